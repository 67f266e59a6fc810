// channels.cpp — Lab "Channels and filters": colour pictures, 3D filters and stacks of feature maps.
//
// A colour picture is three grids, red, green and blue: its shape is (N, C, H, W) = (1, 3, H, W).
// A filter for it is three kernels deep, (C, k, k): lay it on the picture and every weight meets
// one value of one channel; all the products of all channels add up to ONE output number. Several
// filters make several feature maps, stacked: the layer's weight is (C_out, C_in, k, k). A 1x1
// convolution is the same small matrix applied to the channel vector of every pixel. The lab counts
// the parameters (with and without bias) and compares them with a fully connected layer.
//
// Every number comes from the engine: conv2d and conv2d_window (engine/conv.h), linear_forward
// (engine/ops.h), conv2d_params, linear_params and conv2d_output_shape (engine/layer_params.h).
//
// Commands (cnnlab.command), every field optional:
//   {"reset": true}
//   {"image": "quadrants" | "stripes"}            an input picture, 6 x 6 RGB
//   {"input": [[[...]]]}                          your own picture: (3, H, W), H and W 1..8, values -100..100
//   {"filters": 1..4, "kernel": 1..5, "stride": 1..3, "padding": 0..2, "bias": true | false}
//   {"presets": ["red-edges", "green-minus-red", "blue", "brightness"]}   one per filter (names below)
//   {"weights": [[[[...]]]]}                      (C_out, 3, k, k), "biases": [C_out numbers]
//   {"position": [filter, row, col]}              the output value whose sum is shown
//   {"mix_weights": [[...]]}                      the 1x1 convolution: (M, 3), M 1..3; "mix_biases": [M numbers]
//   {"pixel": [row, col]}                         the pixel the 1x1 view works through
//   {"new_exercise": true, "seed": 42}            a random layer: count its parameters and its output shape
//   {"answer": {"params": 224, "output_shape": [1, 8, 26, 26]}}
// State: the fields above plus the shapes ("input_shape", "weight_shape", "bias_shape",
// "output_shape"), "output" (C_out, OH, OW), "window" (the sum behind "position", per channel),
// "params", "fully_connected" (the same input and output fully connected), "mnist_comparison"
// (784 -> 784 fully connected vs one 3x3 filter), "one_by_one" (the 1x1 view), and the exercise
// protocol: "exercise" (null, or the layer), "score" {"answered", "correct"}, "last_answer".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>

#include <imgui.h>

#include "../../engine/conv.h"
#include "../../engine/conv_arithmetic.h"
#include "../../engine/layer_params.h"
#include "../../engine/ops.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../widgets.h"

namespace {

constexpr int kMaxFilters = 4;
constexpr int kMaxKernel = 5;
constexpr int kMaxSide = 8;          // input rows and columns
constexpr float kValueLimit = 100.0f;
constexpr int kChannels = 3;         // R, G, B

const ImU32 kWindowColor = IM_COL32(255, 200, 40, 255);
const char* const kChannelNames[kChannels] = {"R", "G", "B"};

struct FilterPreset {
    const char* id;
    const char* name;
    const char* what;
};

const FilterPreset kFilterPresets[] = {
    {"red-edges", "Red edges", "red channel only: right column minus left column, the other channels 0"},
    {"green-minus-red", "Green minus red", "the centre pixel's green minus its red: positive on green, negative on red"},
    {"blue", "Blue", "the centre pixel's blue value"},
    {"brightness", "Brightness", "the average of every value in the window, all three channels"},
};

// The input, the layer and the 1x1 convolution.
struct ChannelsSettings {
    std::string image = "quadrants";  // a preset's id, or "custom"
    Tensor input;                      // (1, 3, H, W)
    int filters = 3, kernel = 3, stride = 1, padding = 0;  // the layer: C_out filters of (3, k, k)
    bool bias = true;
    std::vector<std::string> presets;  // (C_out) each filter's preset id, or "custom"
    Tensor weight;                     // (C_out, 3, k, k)
    Tensor biases;                     // (C_out)
    Tensor mix_weight;                 // (M, 3, 1, 1) the 1x1 convolution, applied to the same input
    Tensor mix_bias;                   // (M)
    int pixel_row = 1, pixel_col = 1;  // the pixel the 1x1 view works through
    bool operator==(const ChannelsSettings&) const = default;
};

struct ChannelsLab {
    ChannelsSettings settings;
    int filter = 0, row = 0, col = 0;  // output value whose sum is shown
    // The exercise: count a random layer's parameters and give its output shape.
    ExerciseRecord record;
    json expected = nullptr;           // {"params", "output_shape"} for it (engine-computed)
    char params_text[24] = "", shape_text[48] = "";
    // Derived by recompute().
    Conv2dSpec spec;
    Tensor output;                     // (1, C_out, OH, OW) when message is empty
    std::string message;
    std::vector<ConvTerm> terms;       // (3*k*k) the sum behind (filter, row, col)
    LayerParams params, fc_params;
    Tensor mix_output;                 // (1, M, H, W)
    std::vector<float> pixel_vector;   // (3) the input's channels at the pixel
    std::vector<float> pixel_linear;   // (M) W x + b by linear_forward
    // After a command: what to do once it is kept.
    Pending pending;                   // what a command caused, carried out once it is kept
    std::string ui_note;
};

ChannelsLab make_lab();
ChannelsLab g_lab = make_lab();

// ---------------------------------------------------------------------------------------------
// Pictures and filters.

int in_h(const ChannelsLab& lab) { return lab.settings.input.shape[2]; }
int in_w(const ChannelsLab& lab) { return lab.settings.input.shape[3]; }
float& value_at(Tensor& t, int a, int b, int r, int c) {  // (A,B,R,C) tensor
    return t.data[size_t(((int64_t(a) * t.shape[1] + b) * t.shape[2] + r) * t.shape[3] + c)];
}
float value_of(const Tensor& t, int a, int b, int r, int c) {
    return t.data[size_t(((int64_t(a) * t.shape[1] + b) * t.shape[2] + r) * t.shape[3] + c)];
}

// 6x6 pictures: quadrants (red, green / magenta, cyan), or stripes (red, green, blue columns).
Tensor image_preset(const std::string& id) {
    Tensor t{{1, kChannels, 6, 6}, std::vector<float>(size_t(kChannels * 36), 0.0f)};
    for (int r = 0; r < 6; r++)
        for (int c = 0; c < 6; c++) {
            if (id == "stripes") {
                value_at(t, 0, (c / 2) % 3, r, c) = 1;
            } else {
                value_at(t, 0, c < 3 ? 0 : 1, r, c) = 1;  // red left, green right
                if (r >= 4) value_at(t, 0, 2, r, c) = 1;  // blue across the bottom
            }
        }
    return t;
}

bool is_image_preset(const std::string& id) { return id == "quadrants" || id == "stripes"; }

// One filter (3, k, k) from a preset, for any k.
std::vector<float> filter_preset(const std::string& id, int k) {
    std::vector<float> w(size_t(kChannels * k * k), 0.0f);  // (3, k, k)
    auto at = [&](int c, int r, int x) -> float& { return w[size_t((c * k + r) * k + x)]; };
    const int mid = k / 2;
    if (id == "red-edges") {
        for (int r = 0; r < k && k > 1; r++) { at(0, r, 0) = -1; at(0, r, k - 1) = 1; }
    } else if (id == "green-minus-red") {
        at(1, mid, mid) = 1;
        at(0, mid, mid) = -1;
    } else if (id == "blue") {
        at(2, mid, mid) = 1;
    } else if (id == "brightness") {
        std::fill(w.begin(), w.end(), 1.0f / float(kChannels * k * k));
    }
    return w;
}

bool is_filter_preset(const std::string& id) {
    for (const FilterPreset& p : kFilterPresets) if (id == p.id) return true;
    return false;
}

// Rebuilds the weights of every filter that follows a preset (after the kernel size changed, ...).
void apply_presets(ChannelsSettings& s) {
    const int k = s.kernel, per = kChannels * k * k;
    std::vector<float> old = s.weight.data;
    const bool same_shape = s.weight.shape == std::vector<int>{s.filters, kChannels, k, k};
    s.weight.shape = {s.filters, kChannels, k, k};
    s.weight.data.assign(size_t(s.filters * per), 0.0f);
    s.presets.resize(size_t(s.filters), "brightness");
    for (int f = 0; f < s.filters; f++) {
        std::vector<float> w = filter_preset(s.presets[size_t(f)], k);
        if (s.presets[size_t(f)] == "custom") {  // a custom filter keeps its weights while the shape stays
            if (same_shape) std::copy(old.begin() + f * per, old.begin() + (f + 1) * per, w.begin());
            else s.presets[size_t(f)] = "custom";
        }
        std::copy(w.begin(), w.end(), s.weight.data.begin() + f * per);
    }
    s.biases.shape = {s.filters};
    s.biases.data.resize(size_t(s.filters), 0.0f);
}

// ---------------------------------------------------------------------------------------------
// Computing.

void recompute(ChannelsLab& lab) {
    const int H = in_h(lab), W = in_w(lab);
    lab.spec = Conv2dSpec{};
    lab.spec.rows = make_conv_axis(H, lab.settings.kernel, lab.settings.stride, 1, PaddingMode::number, lab.settings.padding);
    lab.spec.cols = make_conv_axis(W, lab.settings.kernel, lab.settings.stride, 1, PaddingMode::number, lab.settings.padding);
    lab.message.clear();
    lab.terms.clear();
    Status s = conv2d(lab.output, lab.settings.input, lab.settings.weight, lab.settings.bias ? &lab.settings.biases : nullptr, lab.spec);
    if (!s.ok()) {
        lab.message = "No output: " + s.message + ".";
        lab.output = Tensor{};
    } else {
        lab.filter = std::clamp(lab.filter, 0, lab.settings.filters - 1);
        lab.row = std::clamp(lab.row, 0, lab.output.shape[2] - 1);
        lab.col = std::clamp(lab.col, 0, lab.output.shape[3] - 1);
        if (!conv2d_window(lab.terms, lab.settings.input, lab.settings.weight, lab.spec, 0, lab.filter, lab.row, lab.col).ok()) lab.terms.clear();
    }
    if (!conv2d_params(lab.params, kChannels, lab.settings.filters, lab.settings.kernel, lab.settings.kernel, 1, lab.settings.bias).ok()) lab.params = LayerParams{};
    const int outputs = lab.message.empty() ? int(lab.output.numel()) : 0;
    if (!linear_params(lab.fc_params, kChannels * H * W, std::max(outputs, 1), lab.settings.bias).ok()) lab.fc_params = LayerParams{};
    // the 1x1 convolution, and the same numbers as a matrix times the pixel's channel vector
    const int M = lab.settings.mix_weight.shape[0];
    Conv2dSpec one;  // 1x1, stride 1, no padding
    if (!conv2d(lab.mix_output, lab.settings.input, lab.settings.mix_weight, &lab.settings.mix_bias, one).ok()) lab.mix_output = Tensor{};
    lab.settings.pixel_row = std::clamp(lab.settings.pixel_row, 0, H - 1);
    lab.settings.pixel_col = std::clamp(lab.settings.pixel_col, 0, W - 1);
    lab.pixel_vector.assign(kChannels, 0.0f);
    for (int c = 0; c < kChannels; c++) lab.pixel_vector[size_t(c)] = value_of(lab.settings.input, 0, c, lab.settings.pixel_row, lab.settings.pixel_col);
    lab.pixel_linear.assign(size_t(M), 0.0f);
    // linear_forward: out (1,M) = x (1,3) @ weight (M,3)^T + bias (M); the 1x1 weight (M,3,1,1) is that matrix
    linear_forward_naive(lab.pixel_linear.data(), lab.pixel_vector.data(), lab.settings.mix_weight.data.data(), lab.settings.mix_bias.data.data(), 1,
                         kChannels, M);
}

ChannelsLab make_lab() {
    ChannelsLab lab;
    lab.settings.input = image_preset("quadrants");
    lab.settings.presets = {"red-edges", "green-minus-red", "blue"};
    apply_presets(lab.settings);
    lab.settings.mix_weight = Tensor{{2, 3, 1, 1}, {0.299f, 0.587f, 0.114f, 1, -1, 0}};  // grey; red minus green
    lab.settings.mix_bias = Tensor{{2}, {0, 0}};
    recompute(lab);
    return lab;
}

// "R 0*-1 + ... = -3" per channel, then the total: what the window adds up.
std::vector<float> channel_sums(const ChannelsLab& lab) {
    std::vector<float> sums(kChannels, 0.0f);
    for (const ConvTerm& t : lab.terms) sums[size_t(t.channel)] += t.product;
    return sums;
}

std::string window_expression(const ChannelsLab& lab) {
    if (lab.terms.empty()) return "";
    std::vector<float> sums = channel_sums(lab);
    std::string s;
    for (int c = 0; c < kChannels; c++) {
        if (c) s += " + ";
        s += kChannelNames[c];
        s += " ";
        s += format_number(sums[size_t(c)]);
    }
    float value = value_of(lab.output, 0, lab.filter, lab.row, lab.col);
    if (lab.settings.bias) s += " + bias " + format_number(lab.settings.biases.data[size_t(lab.filter)]);
    return s + " = " + format_number(value);
}

std::string shape_text(const std::vector<int>& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + ")";
}

std::string count_text(int64_t n) {  // 614656 -> "614,656"
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); i++) {
        if (i && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
        out += digits[i];
    }
    return out;
}

std::string params_formula(const LayerParams& p) {  // "3*3*3*3 + 3 = 84"
    std::string s;
    for (size_t i = 0; i < p.weight_shape.size(); i++) {
        if (i) s += "*";
        s += std::to_string(p.weight_shape[i]);
    }
    if (p.biases) s += " + " + std::to_string(p.biases);
    return s + " = " + count_text(p.total);
}

// ---------------------------------------------------------------------------------------------
// The exercise: a random layer; count its parameters and give its output shape.

void new_exercise(ChannelsLab& lab, uint64_t seed) {
    Rng rng(seed);
    static const int batches[] = {1, 8, 16, 32};
    static const int channels[] = {1, 3, 16, 32, 64};
    static const int sides[] = {28, 32, 64, 224};
    static const int outs[] = {8, 16, 32, 64};
    const int N = batches[rng.uniform_int(0, 3)];
    const bool bias = rng.uniform() < 0.7f;
    json x;
    LayerParams p;
    std::vector<int> out_shape;
    if (rng.uniform() < 0.25f) {
        static const int ins[] = {784, 512, 128, 3072};
        static const int features[] = {10, 64, 128};
        const int IN = ins[rng.uniform_int(0, 3)], OUT = features[rng.uniform_int(0, 2)];
        if (!linear_params(p, IN, OUT, bias).ok()) return;
        out_shape = {N, OUT};
        x = {{"layer", "linear"}, {"input_shape", {N, IN}}, {"out_features", OUT}, {"bias", bias}};
    } else {
        const int C = channels[rng.uniform_int(0, 4)], side = sides[rng.uniform_int(0, 3)], OC = outs[rng.uniform_int(0, 3)];
        const int k = 2 * rng.uniform_int(0, 3) + 1, s = rng.uniform_int(1, 2), pad = rng.uniform() < 0.5f ? 0 : k / 2;
        Conv2dSpec spec;
        spec.rows = spec.cols = make_conv_axis(side, k, s, 1, PaddingMode::number, pad);
        if (!conv2d_params(p, C, OC, k, k, 1, bias).ok() || !conv2d_output_shape(out_shape, {N, C, side, side}, OC, spec).ok()) return;
        x = {{"layer", "conv"}, {"input_shape", {N, C, side, side}}, {"out_channels", OC}, {"kernel", k}, {"stride", s},
             {"padding", pad}, {"bias", bias}};
    }
    lab.record.start(x, seed, lab.pending);
    lab.expected = {{"params", p.total}, {"output_shape", out_shape}};
    lab.params_text[0] = lab.shape_text[0] = 0;
}

// Describes the exercise's layer as PyTorch would write it.
std::string exercise_text(const json& x) {
    std::string in = shape_text(x["input_shape"].get<std::vector<int>>());
    if (x["layer"] == "linear")
        return "Input " + in + " into nn.Linear(" + std::to_string(x["input_shape"][1].get<int>()) + ", " +
               std::to_string(x["out_features"].get<int>()) + (x["bias"].get<bool>() ? "" : ", bias=False") + ")";
    return "Input " + in + " into nn.Conv2d(" + std::to_string(x["input_shape"][1].get<int>()) + ", " +
           std::to_string(x["out_channels"].get<int>()) + ", kernel_size=" + std::to_string(x["kernel"].get<int>()) +
           ", stride=" + std::to_string(x["stride"].get<int>()) + ", padding=" + std::to_string(x["padding"].get<int>()) +
           (x["bias"].get<bool>() ? "" : ", bias=False") + ")";
}

// ---- The mistakes a parameter count and a shape draw, each as the answer it gives for this layer.
struct LayerNumbers {
    bool conv, bias;
    int64_t N, C, OC, k, s, pad, H, OH, OW;  // linear: C = in features, OC = out features
};

LayerNumbers layer_numbers(const json& x, const json& expected) {
    LayerNumbers n{};
    n.conv = x["layer"] == "conv";
    n.bias = x["bias"].get<bool>();
    n.N = x["input_shape"][0].get<int64_t>();
    n.C = x["input_shape"][1].get<int64_t>();
    n.OC = x[n.conv ? "out_channels" : "out_features"].get<int64_t>();
    if (n.conv) {
        n.k = x["kernel"].get<int64_t>();
        n.s = x["stride"].get<int64_t>();
        n.pad = x["padding"].get<int64_t>();
        n.H = x["input_shape"][2].get<int64_t>();
        n.OH = expected["output_shape"][2].get<int64_t>();
        n.OW = expected["output_shape"][3].get<int64_t>();
    }
    return n;
}

std::vector<MistakeAnswer> layer_mistakes(const ChannelsLab& lab) {
    const json& x = lab.record.exercise;
    const json& expected = lab.expected;
    const LayerNumbers n = layer_numbers(x, expected);
    const json shape = expected["output_shape"];
    const int64_t weights = n.conv ? n.OC * n.C * n.k * n.k : n.OC * n.C, biases = n.bias ? n.OC : 0;
    const std::string per_filter = n.conv ? std::to_string(n.C) + " × " + std::to_string(n.k) + " × " + std::to_string(n.k) : std::to_string(n.C);
    auto params = [&](int64_t p) { return json{{"params", p}, {"output_shape", shape}}; };
    auto shaped = [&](json s) { return json{{"params", expected["params"]}, {"output_shape", std::move(s)}}; };
    auto side = [&](int64_t pad, int64_t stride) { return floor_div(n.H + 2 * pad - n.k, stride) + 1; };
    std::vector<MistakeAnswer> list;
    list.push_back({"bias-forgotten", n.bias ? params(weights) : json(nullptr),
                    "You counted the weights only: with bias=True each of the " + std::to_string(n.OC) + " outputs has a bias too, " +
                        count_text(weights) + " + " + count_text(n.OC) + "."});
    list.push_back({"bias-counted", n.bias ? json(nullptr) : params(weights + n.OC),
                    "You added biases, but this layer has bias=False: its parameters are the " + count_text(weights) + " weights alone."});
    list.push_back({"input-channels-forgotten", n.conv ? params(n.OC * n.k * n.k + biases) : json(nullptr),
                    "You left out the input channels: each filter is as deep as the input, " + per_filter + " weights, not " +
                        std::to_string(n.k) + " × " + std::to_string(n.k) + "."});
    list.push_back({"no-weight-sharing", n.conv ? params(weights * n.OH * n.OW + biases) : json(nullptr),
                    "You counted the weights once per output position. A convolution shares them: the same " + count_text(weights) +
                        " weights slide over all " + std::to_string(n.OH) + " × " + std::to_string(n.OW) + " positions."});
    list.push_back({"axes-swapped", n.conv ? shaped({n.N, n.OH, n.OW, n.OC}) : shaped({n.OC, n.N}),
                    n.conv ? "You put the channels last. PyTorch's order is (N, C, H, W): batch, channels, then rows and columns."
                           : "You swapped the axes: a linear layer keeps the batch first, (N, out_features)."});
    list.push_back({"padding-ignored", n.conv && n.pad > 0 ? shaped({n.N, n.OC, side(0, n.s), side(0, n.s)}) : json(nullptr),
                    "You left out the padding: " + std::to_string(n.pad) + " zeros on each side make the input " +
                        std::to_string(n.H + 2 * n.pad) + " wide before the kernel slides."});
    list.push_back({"stride-ignored", n.conv && n.s > 1 ? shaped({n.N, n.OC, side(n.pad, 1), side(n.pad, 1)}) : json(nullptr),
                    "You left out the stride: the kernel moves " + std::to_string(n.s) + " cells at a time, so divide by " +
                        std::to_string(n.s) + " before adding 1."});
    return list;
}

// The hint ladder: the rule, one filter's (or one output's) weights, then all but the last sum.
HintLadder layer_hints(const ChannelsLab& lab) {
    const LayerNumbers n = layer_numbers(lab.record.exercise, lab.expected);
    const std::string biases = n.bias ? " plus " + count_text(n.OC) + " biases" : " and no biases (bias=False)";
    if (!n.conv)
        return {"nn.Linear(in, out) has one weight for every (output, input) pair, out × in, plus one bias per output when "
                "bias=True. It maps (N, in) to (N, out).",
                "Each of the " + std::to_string(n.OC) + " outputs has " + std::to_string(n.C) + " weights, one per input feature.",
                std::to_string(n.OC) + " × " + std::to_string(n.C) + " weights" + biases + "; the batch of " + std::to_string(n.N) +
                    " stays the first axis. Add up, and write the shape."};
    return {"A Conv2d layer has one filter per output channel, each k × k and as deep as the input: C_out × C_in × k × k weights, "
            "plus C_out biases when bias=True. Its output is (N, C_out, H_out, W_out), H_out = floor((H + 2p - k)/s) + 1.",
            "One filter here is " + std::to_string(n.C) + " × " + std::to_string(n.k) + " × " + std::to_string(n.k) + " = " +
                count_text(n.C * n.k * n.k) + " weights.",
            std::to_string(n.OC) + " filters × " + count_text(n.C * n.k * n.k) + " weights" + biases + ". Each side of the output is floor((" +
                std::to_string(n.H) + " + 2·" + std::to_string(n.pad) + " - " + std::to_string(n.k) + ")/" + std::to_string(n.s) +
                ") + 1. Compute both, and write the shape (N, C_out, H_out, W_out)."};
}

std::string check_answer(ChannelsLab& lab, int64_t params, const std::vector<int>& shape) {
    if (!lab.record.open()) return "there is no exercise open: send {\"new_exercise\": true} first";
    const bool params_right = params == lab.expected["params"].get<int64_t>();
    const bool shape_right = json(shape) == lab.expected["output_shape"];
    const bool right = params_right && shape_right;
    const json& x = lab.record.exercise;
    const bool conv = x["layer"] == "conv";
    std::string feedback;
    if (right) feedback = "Right: " + std::string(conv ? "C_out*C_in*k*k weights" : "out*in weights") +
                          (x["bias"].get<bool>() ? " plus one bias per output." : ", and no bias.");
    else if (!params_right && !shape_right) feedback = "Both are off: count the weights (and biases), then use floor((H + 2p - k)/s) + 1 for each side.";
    else if (!params_right) feedback = conv ? "The shape is right; the parameters are off: C_out*C_in*k*k weights, plus C_out biases if there is a bias."
                                            : "The shape is right; the parameters are off: in*out weights, plus out biases if there is a bias.";
    else feedback = conv ? "The parameters are right; the shape is off: (N, C_out, floor((H + 2p - k)/s) + 1, the same for W)."
                         : "The parameters are right; the shape is off: a linear layer gives (N, out_features).";
    const json given = {{"params", params}, {"output_shape", shape}};
    const json mistake = right ? json(nullptr) : name_mistake(given, lab.expected, layer_mistakes(lab), feedback);
    if (!right && mistake["id"] != "other") feedback = mistake["text"].get<std::string>();
    lab.record.checked(right, lab.expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State and commands.

json tensor_json(const Tensor& t) {  // any shape as nested arrays
    std::function<json(size_t, int64_t&)> build = [&](size_t axis, int64_t& index) -> json {
        json a = json::array();
        for (int i = 0; i < t.shape[axis]; i++) {
            if (axis + 1 == t.shape.size()) a.push_back(t.data[size_t(index++)]);
            else a.push_back(build(axis + 1, index));
        }
        return a;
    };
    int64_t index = 0;
    return t.shape.empty() ? json(nullptr) : build(0, index);
}

// Reads nested arrays of numbers of exactly `shape` (1 to 4 axes) into out.
std::string read_nested(const json& v, const char* name, const std::vector<int>& shape, std::vector<float>& out) {
    const std::string msg = std::string("\"") + name + "\" must be numbers nested as " + shape_text(shape) + ", each between -" +
                            format_number(kValueLimit) + " and " + format_number(kValueLimit);
    std::vector<float> values;
    std::function<bool(const json&, size_t)> walk = [&](const json& a, size_t axis) {
        if (axis == shape.size()) {
            if (!a.is_number() || !std::isfinite(a.get<double>()) || std::fabs(a.get<double>()) > kValueLimit) return false;
            values.push_back(float(a.get<double>()));
            return true;
        }
        if (!a.is_array() || int(a.size()) != shape[axis]) return false;
        for (const json& x : a)
            if (!walk(x, axis + 1)) return false;
        return true;
    };
    if (!walk(v, 0)) return msg;
    out = values;
    return "";
}

// ---- The settings' fields, each read and written as the state shows it.

std::string read_image(const json& f, ChannelsSettings& s) {
    std::string image;
    if (std::string e = read_string(f, "image", image); !e.empty()) return e;
    if (image.empty() || image == s.image) return "";
    if (!is_image_preset(image)) return "\"image\" must be \"quadrants\" or \"stripes\" (or send \"input\" for your own)";
    s.image = image;
    s.input = image_preset(image);
    return "";
}

// "input": your own picture, (3, H, W) with H and W 1..8.
std::string read_input(const json& f, ChannelsSettings& s) {
    if (!f.contains("input")) return "";
    const json& v = f["input"];
    const int H = v.is_array() && !v.empty() && v[0].is_array() ? int(v[0].size()) : 0;
    const int W = H > 0 && v[0][0].is_array() ? int(v[0][0].size()) : 0;
    if (H < 1 || H > kMaxSide || W < 1 || W > kMaxSide)
        return "\"input\" must be 3 channels (R, G, B) of 1 to 8 rows of 1 to 8 numbers: (3, H, W)";
    std::vector<float> values;
    if (std::string e = read_nested(v, "input", {kChannels, H, W}, values); !e.empty()) return e;
    Tensor next{{1, kChannels, H, W}, values};
    if (!(next == s.input)) s.image = "custom";
    s.input = next;
    return "";
}

// "presets": one filter name per filter. Whenever the layer's shape changed (or presets came), the
// filters that follow a preset are rebuilt for it.
std::string read_presets(const json& f, ChannelsSettings& s) {
    if (f.contains("presets")) {
        const json& v = f["presets"];
        if (!v.is_array() || int(v.size()) != s.filters)
            return "\"presets\" must be a list of " + std::to_string(s.filters) + " filter names, one per filter";
        for (size_t i = 0; i < v.size(); i++) {
            if (!v[i].is_string() || !(is_filter_preset(v[i].get<std::string>()) || v[i] == "custom"))
                return "\"presets\" has an unknown filter; the filters are: red-edges, green-minus-red, blue, brightness";
            s.presets.resize(size_t(s.filters), "brightness");
            s.presets[i] = v[i].get<std::string>();
        }
    }
    const bool reshaped = s.weight.shape != std::vector<int>{s.filters, kChannels, s.kernel, s.kernel};
    if (reshaped || f.contains("presets")) {
        static const char* const order[] = {"red-edges", "green-minus-red", "blue", "brightness"};
        for (int i = int(s.presets.size()); i < s.filters; i++) s.presets.push_back(order[i % 4]);
        s.presets.resize(size_t(s.filters));
        apply_presets(s);
    }
    return "";
}

// "weights": (C_out, 3, k, k); a filter that no longer matches its preset becomes "custom".
std::string read_weights(const json& f, ChannelsSettings& s) {
    if (!f.contains("weights")) return "";
    std::vector<float> values;
    if (std::string e = read_nested(f["weights"], "weights", s.weight.shape, values); !e.empty()) return e;
    const int per = kChannels * s.kernel * s.kernel;
    for (int i = 0; i < s.filters; i++) {
        std::vector<float> mine(values.begin() + i * per, values.begin() + (i + 1) * per);
        if (mine != filter_preset(s.presets[size_t(i)], s.kernel)) s.presets[size_t(i)] = "custom";
    }
    s.weight.data = values;
    return "";
}

std::string read_biases(const json& f, ChannelsSettings& s) {
    if (!f.contains("biases")) return "";
    return read_nested(f["biases"], "biases", {s.filters}, s.biases.data);
}

// "mix_weights": the 1x1 convolution as (M, 3), M 1..3; a new M starts its biases at 0.
std::string read_mix_weights(const json& f, ChannelsSettings& s) {
    if (!f.contains("mix_weights")) return "";
    const json& v = f["mix_weights"];
    const int M = v.is_array() ? int(v.size()) : 0;
    if (M < 1 || M > kChannels) return "\"mix_weights\" must be 1 to 3 rows of 3 numbers (one row per output channel)";
    std::vector<float> values;
    if (std::string e = read_nested(v, "mix_weights", {M, kChannels}, values); !e.empty()) return e;
    s.mix_weight = Tensor{{M, kChannels, 1, 1}, values};
    s.mix_bias.shape = {M};
    s.mix_bias.data.resize(size_t(M), 0.0f);
    return "";
}

std::string read_mix_biases(const json& f, ChannelsSettings& s) {
    if (!f.contains("mix_biases")) return "";
    return read_nested(f["mix_biases"], "mix_biases", {s.mix_weight.shape[0]}, s.mix_bias.data);
}

std::string read_pixel(const json& f, ChannelsSettings& s) {
    if (!f.contains("pixel")) return "";
    int r = 0, c = 0;
    if (std::string e = read_position(f["pixel"], "pixel", r, c); !e.empty()) return e;
    const int H = s.input.shape[2], W = s.input.shape[3];
    if (r < 0 || r >= H || c < 0 || c >= W)
        return "pixel [" + std::to_string(r) + ", " + std::to_string(c) + "] is outside the " + std::to_string(H) + " x " +
               std::to_string(W) + " input";
    s.pixel_row = r;
    s.pixel_col = c;
    return "";
}

json drop_batch_axis(Tensor t) {  // (1, C, H, W) as (C, H, W) nested arrays
    if (!t.shape.empty()) t.shape.erase(t.shape.begin());
    return tensor_json(t);
}

const Field<ChannelsSettings> kSettingFields[] = {
    {"image", read_image, [](const ChannelsSettings& s) { return json(s.image); }},
    {"input", read_input, [](const ChannelsSettings& s) { return drop_batch_axis(s.input); }},
    whole_field("filters", &ChannelsSettings::filters, 1, kMaxFilters),
    whole_field("kernel", &ChannelsSettings::kernel, 1, kMaxKernel),
    whole_field("stride", &ChannelsSettings::stride, 1, 3),
    whole_field("padding", &ChannelsSettings::padding, 0, 2),
    flag_field("bias", &ChannelsSettings::bias),
    {"presets", read_presets, [](const ChannelsSettings& s) { return json(s.presets); }},
    {"weights", read_weights, [](const ChannelsSettings& s) { return tensor_json(s.weight); }},
    {"biases", read_biases, [](const ChannelsSettings& s) { return json(s.biases.data); }},
    {"mix_weights", read_mix_weights, [](const ChannelsSettings& s) {
         Tensor mix2 = s.mix_weight;
         mix2.shape = {s.mix_weight.shape[0], kChannels};
         return tensor_json(mix2);
     }},
    {"mix_biases", read_mix_biases, [](const ChannelsSettings& s) { return json(s.mix_bias.data); }},
    {"pixel", read_pixel, [](const ChannelsSettings& s) { return json{s.pixel_row, s.pixel_col}; }},
};

json one_by_one_json(const ChannelsLab& lab) {
    const ChannelsSettings& s = lab.settings;
    json conv_at = json::array();
    for (int m = 0; !lab.mix_output.shape.empty() && m < lab.mix_output.shape[1]; m++)
        conv_at.push_back(value_of(lab.mix_output, 0, m, s.pixel_row, s.pixel_col));
    bool equal = conv_at.size() == lab.pixel_linear.size();  // the same sum in the same order; rounding aside
    for (size_t m = 0; equal && m < lab.pixel_linear.size(); m++)
        equal = std::fabs(conv_at[m].get<float>() - lab.pixel_linear[m]) <= 1e-5f * (1.0f + std::fabs(lab.pixel_linear[m]));
    return {{"input_vector", lab.pixel_vector}, {"linear", lab.pixel_linear}, {"conv", conv_at}, {"equal", equal},
            {"output", drop_batch_axis(lab.mix_output)}, {"params", s.mix_weight.numel() + s.mix_bias.numel()}};
}

const Output<ChannelsLab> kOutputs[] = {
    {"input_shape", [](const ChannelsLab& lab) { return json(lab.settings.input.shape); }},
    {"weight_shape", [](const ChannelsLab& lab) { return json(lab.params.weight_shape); }},
    {"bias_shape", [](const ChannelsLab& lab) { return json(lab.params.bias_shape); }},
    {"output_shape", [](const ChannelsLab& lab) { return lab.message.empty() ? json(lab.output.shape) : json(nullptr); }},
    {"output", [](const ChannelsLab& lab) { return lab.message.empty() ? drop_batch_axis(lab.output) : json(nullptr); }},
    {"message", [](const ChannelsLab& lab) { return text_or_null(lab.message); }},
    {"position", [](const ChannelsLab& lab) { return json{lab.filter, lab.row, lab.col}; }},
    {"window", [](const ChannelsLab& lab) {
         if (lab.terms.empty()) return json(nullptr);
         return json{{"per_channel", channel_sums(lab)}, {"bias", lab.settings.bias ? lab.settings.biases.data[size_t(lab.filter)] : 0.0f},
                     {"value", value_of(lab.output, 0, lab.filter, lab.row, lab.col)}, {"expression", window_expression(lab)}};
     }},
    {"params", [](const ChannelsLab& lab) {
         return json{{"weights", lab.params.weights}, {"biases", lab.params.biases}, {"total", lab.params.total},
                     {"without_bias", lab.params.weights}, {"formula", params_formula(lab.params)}};
     }},
    {"fully_connected", [](const ChannelsLab& lab) {
         const LayerParams& fc = lab.fc_params;
         return json{{"inputs", fc.weight_shape.empty() ? 0 : fc.weight_shape[1]}, {"outputs", fc.weight_shape.empty() ? 0 : fc.weight_shape[0]},
                     {"params", fc.total}, {"formula", params_formula(fc)}};
     }},
    {"mnist_comparison", [](const ChannelsLab&) {
         LayerParams fc, conv;
         if (!linear_params(fc, 784, 784, false).ok() || !conv2d_params(conv, 1, 1, 3, 3, 1, false).ok()) return json(nullptr);
         return json{{"fully_connected", fc.total}, {"conv3x3", conv.total}};
     }},
    {"one_by_one", one_by_one_json},
};

json channels_state() {
    json s;
    write_fields(s, kSettingFields, g_lab.settings);
    write_outputs(s, kOutputs, g_lab);
    g_lab.record.write(s);
    return s;
}

std::string apply_command(ChannelsLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, {"reset", "position", "new_exercise", "seed", "hint", "answer"}, kOutputs); !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) lab = make_lab();

    // 1. The input, the layer, the 1x1 convolution.
    if (!(e = read_fields(f, kSettingFields, lab.settings)).empty()) return e;
    recompute(lab);
    if (f.contains("position")) {
        const json& v = f["position"];
        if (!v.is_array() || v.size() != 3 || !v[0].is_number_integer() || !v[1].is_number_integer() || !v[2].is_number_integer())
            return "\"position\" must be [filter, row, col], three whole numbers counted from 0";
        const int fi = v[0].get<int>(), r = v[1].get<int>(), c = v[2].get<int>();
        if (!lab.message.empty()) return "there is no output to point at: " + lab.message;
        if (fi < 0 || fi >= lab.settings.filters || r < 0 || r >= lab.output.shape[2] || c < 0 || c >= lab.output.shape[3])
            return "position [" + std::to_string(fi) + ", " + std::to_string(r) + ", " + std::to_string(c) + "] is outside the output " +
                   shape_text(lab.output.shape);
        lab.filter = fi;
        lab.row = r;
        lab.col = c;
        recompute(lab);
    }
    // 2. The exercise.
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, layer_hints)).empty()) return e;
    if (f.contains("answer")) {
        const json& a = f["answer"];
        const std::string msg = "\"answer\" must be {\"params\": whole number, \"output_shape\": [whole numbers]}";
        if (!lab.record.open()) return "there is no exercise open: send {\"new_exercise\": true} first";
        if (!a.is_object() || !a.contains("params") || !a.contains("output_shape") || !a["output_shape"].is_array() ||
            a["output_shape"].empty() || a["output_shape"].size() > 4)
            return msg;
        int params = 0;
        if (!(e = read_int(a, "params", 0, 2000000000, params)).empty()) return e;
        std::vector<int> shape;
        for (const json& d : a["output_shape"]) {
            if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > 100000) return msg;
            shape.push_back(d.get<int>());
        }
        if (!(e = check_answer(lab, params, shape)).empty()) return e;
    }
    return "";
}

std::string channels_command(const json& fields) { return command_on_copy("channels", g_lab, fields, apply_command); }

// ---------------------------------------------------------------------------------------------
// Drawing.

ImU32 channel_color(int channel, float v) {  // 0 black .. 1 full red / green / blue
    const int level = int(std::clamp(v, 0.0f, 1.0f) * 255.0f);
    return IM_COL32(channel == 0 ? level : 0, channel == 1 ? level : 0, channel == 2 ? level : 0, 255);
}

// A change made in the lab's own controls goes through the command path like one from the page.
void ui_command(const json& fields) {
    std::string e = channels_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

void draw_settings(ChannelsLab& lab) {
    ImGui::TextDisabled("INPUT (1, 3, %d, %d)", in_h(lab), in_w(lab));
    if (ImGui::RadioButton("Quadrants", lab.settings.image == "quadrants")) ui_command({{"image", "quadrants"}});
    ImGui::SameLine();
    if (ImGui::RadioButton("Stripes", lab.settings.image == "stripes")) ui_command({{"image", "stripes"}});
    ImGui::Separator();
    ImGui::TextDisabled("LAYER");
    int filters = lab.settings.filters, kernel = lab.settings.kernel;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    bool changed = ImGui::SliderInt("filters", &filters, 1, kMaxFilters);
    ui_anchor("filters");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    changed |= ImGui::SliderInt("kernel", &kernel, 1, kMaxKernel);
    if (changed) ui_command({{"filters", filters}, {"kernel", kernel}});
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::SliderInt("stride", &lab.settings.stride, 1, 3);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::SliderInt("padding", &lab.settings.padding, 0, 2);
    ImGui::Checkbox("bias", &lab.settings.bias);
    for (int i = 0; i < lab.settings.filters; i++) {
        ImGui::PushID(i);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        std::string label = "filter " + std::to_string(i);
        const std::string& current = lab.settings.presets[size_t(i)];
        const char* shown = "Custom";
        for (const FilterPreset& p : kFilterPresets) if (current == p.id) shown = p.name;
        if (ImGui::BeginCombo(label.c_str(), shown)) {
            for (const FilterPreset& p : kFilterPresets) {
                if (ImGui::Selectable(p.name, current == p.id)) {
                    json presets = lab.settings.presets;
                    presets[size_t(i)] = p.id;
                    ui_command({{"presets", presets}});
                }
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", p.what);
            }
            ImGui::EndCombo();
        }
        if (lab.settings.bias) {
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
            ImGui::DragFloat("bias##b", &lab.settings.biases.data[size_t(i)], 0.05f, -kValueLimit, kValueLimit, "%.2f");
        }
        ImGui::PopID();
    }
    ImGui::Separator();
    ImGui::TextDisabled("EXERCISE");
    if (new_exercise_button(lab.record.answered, lab.record.correct)) new_exercise(lab, fresh_seed());
    if (ImGui::Button("Reset the lab")) ui_command({{"reset", true}});
}

// The input's three channels and the picture they make; the window of the shown sum outlined.
void draw_input(ChannelsLab& lab, float cell) {
    const int H = in_h(lab), W = in_w(lab), pad = lab.settings.padding;
    bool covered[kMaxSide + 4][kMaxSide + 4] = {};  // (H+2p, W+2p) cells under the window
    for (const ConvTerm& t : lab.terms)
        if (t.iy + pad >= 0 && t.iy + pad < H + 2 * pad && t.ix + pad >= 0 && t.ix + pad < W + 2 * pad) covered[t.iy + pad][t.ix + pad] = true;
    for (int c = 0; c < kChannels; c++) {
        ImGui::BeginGroup();
        ImGui::Text("%s channel", c == 0 ? "red" : c == 1 ? "green" : "blue");
        std::string id = std::string("input-") + kChannelNames[c];
        draw_grid(id.c_str(), H + 2 * pad, W + 2 * pad, cell, [&](int r, int x) {
            const int ir = r - pad, ix = x - pad;
            const bool inside = ir >= 0 && ir < H && ix >= 0 && ix < W;
            const float v = inside ? value_of(lab.settings.input, 0, c, ir, ix) : 0.0f;
            GridCell g{format_number(v), inside ? channel_color(c, v) : IM_COL32(45, 45, 52, 255)};
            if (!inside) g.dashed = true;
            if (covered[r][x]) g.border = kWindowColor;
            return g;
        });
        ImGui::EndGroup();
        ImGui::SameLine(0, cell * 0.5f);
    }
    ImGui::BeginGroup();
    ImGui::Text("the picture");
    GridResult picture = draw_grid("input-rgb", H, W, cell, [&](int r, int x) {
        auto level = [&](int c) { return int(std::clamp(value_of(lab.settings.input, 0, c, r, x), 0.0f, 1.0f) * 255.0f); };
        GridCell g{"", IM_COL32(level(0), level(1), level(2), 255)};
        if (r == lab.settings.pixel_row && x == lab.settings.pixel_col) g.border = IM_COL32(255, 255, 255, 255);
        return g;
    });
    ui_anchor("input-picture");
    if (picture.clicked) { lab.settings.pixel_row = picture.hover_row; lab.settings.pixel_col = picture.hover_col; }
    ImGui::EndGroup();
}

// Each filter (its three kernel slices) and the feature map it makes.
void draw_filters(ChannelsLab& lab, float cell) {
    const int k = lab.settings.kernel;
    const float kcell = std::clamp(cell * (k > 3 ? 0.7f : 0.85f), 14.0f, 30.0f);
    float wmax = 1e-6f;
    for (float v : lab.settings.weight.data) wmax = std::max(wmax, std::fabs(v));
    float omax = 1e-6f;
    for (float v : lab.output.data) omax = std::max(omax, std::fabs(v));
    for (int f = 0; f < lab.settings.filters; f++) {
        ImGui::PushID(f);
        ImGui::BeginGroup();
        std::string bias_text;
        if (lab.settings.bias) bias_text = " + bias " + format_number(lab.settings.biases.data[size_t(f)]);
        ImGui::Text("filter %d: (3, %d, %d)%s", f, k, k, bias_text.c_str());
        for (int c = 0; c < kChannels; c++) {
            const char* ids[kChannels] = {"w0", "w1", "w2"};
            draw_grid(ids[c], k, k, kcell, [&](int r, int x) {
                float v = value_of(lab.settings.weight, f, c, r, x);
                return GridCell{kcell >= 18 ? format_number(std::round(v * 100) / 100) : "", signed_color(v, wmax)};
            });
            ImGui::SameLine(0, 4);
            ImGui::TextColored(c == 0 ? ImVec4(1, 0.4f, 0.4f, 1) : c == 1 ? ImVec4(0.4f, 1, 0.4f, 1) : ImVec4(0.5f, 0.6f, 1, 1), "%s",
                               kChannelNames[c]);
            if (c + 1 < kChannels) ImGui::SameLine(0, 8);
        }
        ImGui::EndGroup();
        ImGui::SameLine(0, 12);
        ImGui::BeginGroup();
        if (lab.message.empty()) {
            const int OH = lab.output.shape[2], OW = lab.output.shape[3];
            ImGui::Text("feature map %d: %d x %d", f, OH, OW);
            const float ocell = std::clamp(cell * 0.85f, 14.0f, 30.0f);
            GridResult out = draw_grid("map", OH, OW, ocell, [&](int r, int x) {
                float v = value_of(lab.output, 0, f, r, x);
                GridCell g{ocell >= 18 ? format_number(std::round(v * 100) / 100) : "", signed_color(v, omax)};
                if (f == lab.filter && r == lab.row && x == lab.col) g.border = kWindowColor;
                return g;
            });
            if (f == 0) ui_anchor("feature-map-0");
            if (out.clicked) { lab.filter = f; lab.row = out.hover_row; lab.col = out.hover_col; }
        }
        ImGui::EndGroup();
        ImGui::PopID();
    }
    if (!lab.message.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", lab.message.c_str());
}

void draw_shapes_and_counts(ChannelsLab& lab) {
    ImGui::TextWrapped("input %s  *  weight %s  ->  output %s", shape_text(lab.settings.input.shape).c_str(),
                shape_text(lab.params.weight_shape).c_str(), lab.message.empty() ? shape_text(lab.output.shape).c_str() : "none");
    ImGui::SameLine();
    help_marker("(N, C, H, W): pictures in the batch, channels, rows, columns. The weight is (C_out, C_in, k, k): one "
                "filter per output channel, each as deep as the input has channels.");
    if (!lab.terms.empty())
        ImGui::TextWrapped("feature map %d at [%d, %d]: %s", lab.filter, lab.row, lab.col, window_expression(lab).c_str());
    ImGui::TextWrapped("Parameters: %s weights%s", params_formula(lab.params).c_str(),
                lab.settings.bias ? (" (" + count_text(lab.params.weights) + " without the bias)").c_str() : "");
    ImGui::TextWrapped("Fully connected, same input and output: %s", params_formula(lab.fc_params).c_str());
    LayerParams fc, conv;
    if (linear_params(fc, 784, 784, false).ok() && conv2d_params(conv, 1, 1, 3, 3, 1, false).ok())
        ImGui::TextDisabled("A 28x28 picture to a 28x28 map: fully connected %s weights, one 3x3 filter %s.", count_text(fc.total).c_str(),
                            count_text(conv.total).c_str());
}

void draw_one_by_one(ChannelsLab& lab, float cell) {
    ImGui::TextWrapped("1x1 convolution: the same matrix times every pixel's channels");
    ImGui::SameLine();
    help_marker("A 1x1 filter sees one pixel, but all its channels: it mixes channels and leaves space alone. Click a pixel "
                "of the picture above to choose it.");
    const int M = lab.settings.mix_weight.shape[0];
    std::string rows;
    ImGui::Text("pixel [%d, %d]: x = (%s, %s, %s)", lab.settings.pixel_row, lab.settings.pixel_col, format_number(lab.pixel_vector[0]).c_str(),
                format_number(lab.pixel_vector[1]).c_str(), format_number(lab.pixel_vector[2]).c_str());
    for (int m = 0; m < M; m++) {
        const float conv = lab.mix_output.shape.empty() ? NAN : value_of(lab.mix_output, 0, m, lab.settings.pixel_row, lab.settings.pixel_col);
        ImGui::TextWrapped("out %d = %s*R + %s*G + %s*B + %s = %s   (1x1 conv there: %s)", m,
                    format_number(value_of(lab.settings.mix_weight, m, 0, 0, 0)).c_str(), format_number(value_of(lab.settings.mix_weight, m, 1, 0, 0)).c_str(),
                    format_number(value_of(lab.settings.mix_weight, m, 2, 0, 0)).c_str(), format_number(lab.settings.mix_bias.data[size_t(m)]).c_str(),
                    format_number(lab.pixel_linear[size_t(m)]).c_str(), format_number(conv).c_str());
    }
    if (lab.mix_output.shape.empty()) return;
    const int H = in_h(lab), W = in_w(lab);
    const float c2 = std::clamp(cell * 0.6f, 10.0f, 20.0f);
    for (int m = 0; m < M; m++) {
        ImGui::PushID(100 + m);
        ImGui::BeginGroup();
        ImGui::Text("1x1 map %d", m);
        draw_grid("mix", H, W, c2, [&](int r, int x) {
            float v = value_of(lab.mix_output, 0, m, r, x);
            GridCell g{"", signed_color(v, 1.0f)};
            if (r == lab.settings.pixel_row && x == lab.settings.pixel_col) g.border = kWindowColor;
            return g;
        });
        ImGui::EndGroup();
        ImGui::PopID();
        ImGui::SameLine(0, 12);
    }
    ImGui::NewLine();
}

void draw_exercise(ChannelsLab& lab) {
    if (!lab.record.open()) return;
    ImGui::TextColored(ImVec4(1.0f, 0.85f, 0.4f, 1), "Exercise: %s", exercise_text(lab.record.exercise).c_str());
    ImGui::Text("How many parameters, and what shape comes out?");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::InputText("parameters", lab.params_text, sizeof lab.params_text, ImGuiInputTextFlags_CharsDecimal);
    ui_anchor("answer");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    ImGui::InputText("output shape", lab.shape_text, sizeof lab.shape_text);
    ui_anchor("answer-shape");
    ImGui::SameLine();
    bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (check) {
        char* end = nullptr;
        const long long params = std::strtoll(lab.params_text, &end, 10);
        Rows shape;
        std::string e = parse_rows_text(lab.shape_text, 1, 4, 1e5f, shape);
        if (end == lab.params_text || params < 0 || params > 2000000000) lab.ui_note = "Type the number of parameters first.";
        else if (!e.empty() || shape.empty()) lab.ui_note = "Type the output shape as whole numbers, like 1, 8, 26, 26.";
        else {
            std::vector<int> dims;
            for (float d : shape[0]) dims.push_back(int(d));
            lab.ui_note = check_answer(lab, params, dims);
        }
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) lab.record.give_hint(layer_hints(lab), lab.pending);
    ImGui::Separator();
}

void channels_draw() {
    ChannelsLab& lab = g_lab;
    recompute(lab);
    lab_intro("Channels and filters",
              "A colour picture is three grids: red, green and blue. A filter is just as deep, (3, k, k): all its "
              "products, over every channel, add up to one number of its feature map. Each filter makes one map, so "
              "C_out filters make a stack of C_out maps, and the weights are (C_out, C_in, k, k).");
    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 15, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    recompute(lab);
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    const float cell = std::clamp(ImGui::GetContentRegionAvail().x / 36.0f, 14.0f, 30.0f);
    draw_exercise(lab);  // on top while one is open: the layer asked about is not the one drawn below
    draw_input(lab, cell);
    recompute(lab);
    ImGui::Spacing();
    ImGui::BeginGroup();
    draw_filters(lab, cell);
    ImGui::EndGroup();
    recompute(lab);
    ImGui::SameLine(0, cell);
    ImGui::BeginGroup();  // beside the filters: shapes, counts and the 1x1 view
    ImGui::PushTextWrapPos(0);
    draw_shapes_and_counts(lab);
    ImGui::Separator();
    draw_one_by_one(lab, cell);
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
    if (!lab.ui_note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.ui_note.c_str());
    ImGui::EndChild();
    commit("channels", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "channels", .name = "Channels and filters",
                    .summary = "RGB input, 3D filters, stacks of feature maps, 1x1 convolutions and parameter counts.",
                    .draw = channels_draw, .state = channels_state, .command = channels_command,
                    .teaches = {"parameter-count", "Parameters and shapes"});
