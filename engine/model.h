// model.h — a CNN as a list of layers, built from a small JSON description, with its
// parameters, gradients and activations in flat buffers (one allocation each, as in llm.c).
//
// A description is {"input": [C, H, W], "layers": [{"type": ..., ...}, ...]}. Each layer reads the
// output of the one before it, or of the earlier layer named by "from" ("input": the network's
// input), which is how a branch starts (ResNet's downsampling shortcut); "add", "concat" and
// "scale" also read the output of an earlier layer named by "with" (a residual connection, a
// DenseNet block, squeeze-and-excitation). Layer types and their fields:
//   conv            out, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true
//   conv_transpose  out, kernel, stride=1, padding=0, output_padding=0, groups=1, bias=true
//   maxpool         kernel, stride=kernel, padding=0        avgpool   (the same fields)
//   global_avgpool  (C,H,W) -> (C)                         flatten   (C,H,W) -> (C*H*W)
//   adaptive_avgpool size: n or [h, w]; (C,H,W) -> (C,h,w) whatever H and W are
//   linear          out, bias=true                          dropout   p=0.5
//   relu, sigmoid, tanh, silu, leaky_relu (slope=0.01)
//   batchnorm       eps=1e-5, momentum=0.1                  layernorm eps=1e-5 (over all of a sample)
//   instancenorm    eps=1e-5, affine=false
//   add             with                                    concat    with (channels)
//   scale           with: the (C,H,W) output whose channels this layer's input (C,1,1) or (C) multiplies
// Every layer may have a "name"; parameters are called "<name>.weight", "<name>.bias" (batchnorm
// also "<name>.running_mean", "<name>.running_var"), as in a PyTorch state_dict. An unnamed
// layer's name is its index in the list.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ops.h"
#include "optim.h"
#include "safetensors.h"

enum class LayerKind {
    conv, conv_transpose, maxpool, avgpool, global_avgpool, flatten, linear, dropout,
    relu, leaky_relu, sigmoid, tanh, batchnorm, layernorm, instancenorm, add, concat,
    silu, adaptive_avgpool, scale
};

// The kind as a description spells it: "conv", "maxpool", ...
const char* layer_kind_name(LayerKind kind);

struct Layer {
    LayerKind kind;
    std::string name;
    std::vector<int> in_shape, out_shape;  // one sample's shape: (C,H,W) or (D)
    int source = -1;                       // index of the layer whose output is the input; -1: the network's input
    int with = -1;                         // add, concat, scale: index of the layer whose output joins
    // geometry and settings (those that apply to the kind)
    Conv2dSpec conv;                       // conv
    ConvTranspose2dSpec conv_transpose;    // conv_transpose
    Pool2dSpec pool;                       // maxpool, avgpool
    float slope = 0.01f;                   // leaky_relu
    float p = 0.5f;                        // dropout
    float eps = 1e-5f, momentum = 0.1f;    // norms
    bool has_bias = true;                  // conv, conv_transpose, linear
    bool affine = true;                    // norms (instancenorm defaults to false)
    // where its tensors live in the model's flat buffers, -1 when it has none
    int64_t weight = -1, bias = -1;        // into Model::params (and grads, optimizer state)
    int64_t running_mean = -1, running_var = -1;  // into Model::buffers
    int64_t aux_size = 0;                  // per sample: argmax, dropout mask, norm statistics ...
};

struct ParamInfo {
    std::string name;        // "conv1.weight"
    std::vector<int> shape;  // PyTorch's shape, e.g. (OC,C,KH,KW)
    int64_t offset;          // into Model::params, or Model::buffers when buffer is true
    bool buffer = false;     // running statistics: saved and loaded, not trained
};

// Another device for the conv layers (the GPU backend: engine/gpu_model.h). When a model has one,
// model_forward and model_backward hand it every conv layer with groups == 1, with exactly the
// arguments (and the accumulate-into-gradients contract) of conv2d_forward / conv2d_backward; it
// returns false when it cannot do that layer, and the CPU does it instead.
struct ConvDevice {
    void* context = nullptr;  // the device's own state, passed back on every call
    bool (*forward)(void* context, size_t layer, float* out, const float* inp, const float* weight, const float* bias,
                    int N, int C, int H, int W, int OC, const Conv2dSpec& spec) = nullptr;
    bool (*backward)(void* context, size_t layer, float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, int N, int C, int H, int W, int OC, const Conv2dSpec& spec) = nullptr;
};

// What a network is built for. Training keeps a gradient for every parameter and activation, and
// room for Adam's two running averages; inference keeps only the parameters and the activations
// (about a quarter of the memory: how VGG-16 runs in the page).
enum class ModelUse { training, inference };

struct Model {
    ModelUse use = ModelUse::training;  // inference: grads, dacts and dinput stay empty; no backward
    std::vector<int> input_shape;  // one sample: (C,H,W)
    std::vector<Layer> layers;
    std::vector<ParamInfo> tensors;  // every named tensor, in order
    std::vector<float> params;       // (P) all trainable parameters
    std::vector<float> grads;        // (P) their gradients (backward accumulates; zero_grad clears)
    std::vector<float> buffers;      // running statistics
    // Per-batch memory, sized for max_batch samples by ensure_batch().
    int max_batch = 0;
    std::vector<std::vector<float>> acts;    // acts[i]: layer i's output (N, out_shape...)
    std::vector<std::vector<float>> dacts;   // dacts[i]: the loss's gradient with respect to acts[i]
    std::vector<std::vector<float>> aux;     // aux[i]: what layer i's backward needs besides its input
    std::vector<std::vector<int32_t>> argmax;  // argmax[i]: maxpool layer i's winners (N, out_shape...)
    std::vector<float> dinput;               // (N, input_shape...) gradient w.r.t. the input, if asked
    std::vector<float> probs;                // (N, classes) softmax of the last forward_loss
    bool training = true;                    // how the last forward ran: backward follows it (eval: running statistics, no dropout)
    uint64_t dropout_seed = 0;               // advanced every training forward
    float label_smoothing = 0.0f;            // the loss's target: (1-eps)*onehot(label) + eps/classes (0: plain)
    ConvDevice conv_device;                  // where conv layers run; empty: the CPU
};

// Builds a model from its JSON description; every size is checked, so an impossible shape is a
// message naming the layer ("layer 3 (conv2): the kernel window covers 5 rows but ..."), never a
// crash, and a network larger than kModelMemoryBudget is refused with its size. Parameters are
// initialised as PyTorch does, from `seed`.
Status model_from_json(Model& model, const std::string& description, uint64_t seed, ModelUse use = ModelUse::training);
// The same checks and shapes with nothing allocated: the layers, their shapes and the named tensors,
// params, grads and buffers left empty. Any size of network, VGG-16 included, is laid out in
// microseconds; model_param_count tells what it would hold.
Status model_layout(Model& model, const std::string& description);
int64_t model_param_count(const Model& model);   // trainable values over model.tensors
int64_t model_buffer_count(const Model& model);  // running statistics
int64_t layer_param_count(const Model& model, const Layer& L);  // that layer's trainable values
// The seed network of the training lab, for (1,28,28) images and 10 classes:
// conv(1->4,3x3,p1)-relu-maxpool2-conv(4->8,3x3,p1)-relu-maxpool2-flatten-fc(392->32)-relu-fc(32->10)
std::string seed_model_json();
int64_t output_size(const Model& model);  // values per sample of the last layer (classes)

// The most memory one network may take: its parameters with their gradients and optimizer state,
// and the activations of a batch. The WebAssembly build's memory ends at 2 GB (its maximum), which
// the datasets (Fashion-MNIST: 55 MB) and the app share; a network that would not fit is refused
// before anything is allocated, with its size.
constexpr int64_t kModelMemoryBudget = int64_t(768) << 20;
constexpr int kMaxBatch = 4096;
// Bytes a model with this many parameters and buffer values needs for a batch of n (see above).
int64_t model_memory_bytes(const Model& model, int64_t params, int64_t buffers, int n);
std::string megabytes(int64_t bytes);  // "12 MB", rounded up
// Multiply-adds of one sample's forward pass through the conv, transposed-conv and linear layers
// (the rest is a few operations per value): what a step costs. Backward is about twice as much.
int64_t model_macs(const Model& model);
int64_t layer_macs(const Layer& L);  // one layer's share of model_macs
int predicted_class(const float* scores, int K);  // the class with the highest of K scores

// PyTorch's default initialisation of conv and linear layers: weights kaiming-uniform with
// a = sqrt(5), i.e. uniform in +-1/sqrt(fan_in), biases uniform in +-1/sqrt(fan_in); batchnorm
// weight 1, bias 0, running mean 0, running var 1.
void init_params(Model& model, uint64_t seed);
// The same, a few layers at a time, for a network whose initialisation is too long for one frame
// (VGG-16: 138 M values, seconds in the page): init_params(model, seed) draws the same numbers as
// `ParamInit init(seed); while (init_params_step(model, init, budget)) {}` for any budget.
struct ParamInit {
    Rng rng;
    size_t layer = 0;  // the next layer to initialise
    explicit ParamInit(uint64_t seed) : rng(seed) {}
};
// Initialises whole layers until about `values` parameters are done (at least one layer); false when
// every layer is.
bool init_params_step(Model& model, ParamInit& init, int64_t values);
// model_from_json without the initialisation: every parameter and buffer 0, for init_params_step or
// a loaded state to fill.
Status model_allocate(Model& model, const std::string& description, ModelUse use = ModelUse::training);

// Sizes the activation buffers for up to n samples (no allocation when already big enough).
Status ensure_batch(Model& model, int n);
// Forward over N samples. inp (N, input_shape...). training: batchnorm uses batch statistics and
// updates its running ones, dropout drops. Returns the last layer's output (N, classes).
const float* model_forward(Model& model, const float* inp, int N, bool training);
// Layers [first, last) of the same forward, for a caller that spreads a long pass over several
// frames; the layers before `first` must have run on the same inp.
void model_forward_layers(Model& model, const float* inp, int N, bool training, int first, int last);
// Softmax cross-entropy of the last forward's output against labels (N), with model.label_smoothing;
// keeps probs for backward.
float model_loss(Model& model, const int32_t* labels, int N);
void zero_grad(Model& model);
// Backward from the last loss: accumulates into model.grads (and model.dinput when want_dinput).
void model_backward(Model& model, const float* inp, const int32_t* labels, int N, bool want_dinput = false);
// One step of training on a batch, the loop every trainer runs: gradients to zero, forward, loss,
// backward, update. Returns the batch's mean loss (measured before the update).
float model_train_step(Model& model, Optimizer& opt, const float* inp, const int32_t* labels, int N);
// Backward from a gradient the caller wrote into dacts[from] (N, layers[from].out_shape...), through
// layers from..0 (the layers after `from` are not involved): accumulates into model.grads, and into
// model.dinput when want_dinput. The last forward must have been over the same N samples of inp.
// model_backward is this from the last layer, after the loss's gradient.
void model_backward_from(Model& model, const float* inp, int N, int from, bool want_dinput);

// The parameters of layers [0, layer) are model.params[0, result): a run that leaves them as they are
// (TrainRecipe::frozen) freezes those layers. layer = layers.size() gives params.size().
int64_t params_before_layer(const Model& model, int layer);

// Named tensors in and out (safetensors). Loading checks every name and shape and changes nothing
// when anything is missing or wrong.
NamedTensors model_state(const Model& model);
Status load_model_state(Model& model, const NamedTensors& state);
