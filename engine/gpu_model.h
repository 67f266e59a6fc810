// gpu_model.h — training and running a model with its conv layers on the GPU.
//
// A GpuConvDevice plugs into Model::conv_device: model_forward / model_backward then send every
// conv layer (groups 1) through the GPU passes of gpu.h and do the rest on the CPU. Each conv layer
// uploads its input and weights, runs the passes and reads its result back, so the model's
// buffers on the CPU stay the single source of truth (the optimizer, batch norm, the lab's views
// and the saved files all read them). The per-layer readback is the price of that simplicity.
//
// When a pass fails (a batch too large for the GPU's textures, a lost context) the device says so
// in `error` and returns false, and the CPU does that layer: training goes on, on the CPU.
#pragma once
#include <string>
#include <vector>

#include "gpu.h"
#include "model.h"

// The textures one conv layer keeps between batches (reallocated only when a shape changes).
struct GpuConvLayer {
    GpuTensor inp, out, dout, dinp;  // (N,C,H,W), (N,OC,OH,OW), (N,OC,OH,OW), (N,C,H,W)
    GpuConvWeights weight, dweight;  // (OC,C,KH,KW) + bias (OC), and their gradients
};

struct GpuConvDevice {
    GpuContext* ctx = nullptr;
    std::vector<GpuConvLayer> layers;  // indexed by the model's layer index
    std::vector<float> scratch;        // a readback before it is added into a CPU gradient
    std::string error;                 // the first failure ("" while every pass ran on the GPU)
    long long gpu_layers = 0;          // conv layers (forward or backward) the GPU did
    long long cpu_layers = 0;          // those it handed back to the CPU
};

// The hook for Model::conv_device; `device` must outlive its use by the model.
ConvDevice gpu_conv_device(GpuConvDevice& device);
// Frees the textures (with the context current). After a lost context call with free_textures
// false: the names are already gone, only forget them.
void gpu_release(GpuConvDevice& device, bool free_textures = true);
