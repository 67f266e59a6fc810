#include "gpu_model.h"

#include <algorithm>

namespace {

GpuConvLayer& layer_textures(GpuConvDevice& device, size_t layer) {
    if (device.layers.size() <= layer) device.layers.resize(layer + 1);
    return device.layers[layer];
}

bool failed(GpuConvDevice& device, const Status& s) {
    if (device.error.empty()) device.error = s.message;
    device.cpu_layers++;
    return false;
}

// out (N,OC,OH,OW), inp (N,C,H,W), weight (OC,C,KH,KW), bias (OC) or nullptr
bool conv_forward_on_gpu(void* context, size_t layer, float* out, const float* inp, const float* weight, const float* bias,
                         int N, int C, int H, int W, int OC, const Conv2dSpec& spec) {
    GpuConvDevice& device = *static_cast<GpuConvDevice*>(context);
    if (!device.ctx || !device.ctx->ready || spec.groups != 1) return false;
    GpuConvLayer& t = layer_textures(device, layer);
    const std::string name = "layer " + std::to_string(layer);
    if (Status s = gpu_tensor(*device.ctx, t.inp, N, C, H, W, name + " input"); !s.ok()) return failed(device, s);
    if (Status s = gpu_conv_weights(*device.ctx, t.weight, weight, bias, OC, C, spec.rows.kernel, spec.cols.kernel, name + " weight");
        !s.ok())
        return failed(device, s);
    gpu_upload(*device.ctx, t.inp, inp);
    if (Status s = gpu_conv2d_forward(*device.ctx, t.out, t.inp, t.weight, spec, false); !s.ok()) return failed(device, s);
    gpu_download(*device.ctx, out, t.out);
    device.gpu_layers++;
    return true;
}

// Accumulates like conv2d_backward: dinp (N,C,H,W) += ..., dweight (OC,C,KH,KW) += ..., dbias (OC) += ...
bool conv_backward_on_gpu(void* context, size_t layer, float* dinp, float* dweight, float* dbias, const float* dout,
                          const float* inp, const float* weight, int N, int C, int H, int W, int OC, const Conv2dSpec& spec) {
    GpuConvDevice& device = *static_cast<GpuConvDevice*>(context);
    if (!device.ctx || !device.ctx->ready || spec.groups != 1) return false;
    GpuContext& ctx = *device.ctx;
    GpuConvLayer& t = layer_textures(device, layer);
    const std::string name = "layer " + std::to_string(layer);
    const int KH = spec.rows.kernel, KW = spec.cols.kernel;
    const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
    // The input and weights again: an evaluation batch may have used these textures since the
    // forward pass, and uploading is cheaper than the bookkeeping that would prove it did not.
    if (Status s = gpu_tensor(ctx, t.inp, N, C, H, W, name + " input"); !s.ok()) return failed(device, s);
    if (Status s = gpu_tensor(ctx, t.dout, N, OC, OH, OW, name + " output gradient"); !s.ok()) return failed(device, s);
    if (Status s = gpu_conv_weights(ctx, t.weight, weight, nullptr, OC, C, KH, KW, name + " weight"); !s.ok())
        return failed(device, s);
    gpu_upload(ctx, t.inp, inp);
    gpu_upload(ctx, t.dout, dout);
    // Both passes first, then the readbacks, so the GPU is not left idle between them.
    if (dinp) {
        if (Status s = gpu_conv2d_backward_input(ctx, t.dinp, t.dout, t.weight, spec, H, W); !s.ok()) return failed(device, s);
    }
    if (dweight || dbias) {
        if (Status s = gpu_conv2d_backward_weight(ctx, t.dweight, t.dout, t.inp, spec); !s.ok()) return failed(device, s);
    }
    if (dinp) {
        const size_t n = size_t(N) * C * H * W;
        device.scratch.resize(n);
        gpu_download(ctx, device.scratch.data(), t.dinp);
        for (size_t i = 0; i < n; i++) dinp[i] += device.scratch[i];  // backward accumulates
    }
    if (dweight || dbias) {
        const size_t nw = size_t(OC) * C * KH * KW;
        device.scratch.resize(nw + size_t(OC));
        gpu_download_weights(ctx, device.scratch.data(), device.scratch.data() + nw, t.dweight);
        if (dweight)
            for (size_t i = 0; i < nw; i++) dweight[i] += device.scratch[i];
        if (dbias)
            for (int oc = 0; oc < OC; oc++) dbias[oc] += device.scratch[nw + size_t(oc)];
    }
    device.gpu_layers++;
    return true;
}

}  // namespace

ConvDevice gpu_conv_device(GpuConvDevice& device) {
    ConvDevice hook;
    hook.context = &device;
    hook.forward = conv_forward_on_gpu;
    hook.backward = conv_backward_on_gpu;
    return hook;
}

void gpu_release(GpuConvDevice& device, bool free_textures) {
    if (free_textures) {
        for (GpuConvLayer& t : device.layers) {
            gpu_free(t.inp), gpu_free(t.out), gpu_free(t.dout), gpu_free(t.dinp);
            gpu_free(t.weight), gpu_free(t.dweight);
        }
    }
    device.layers.clear();
}
