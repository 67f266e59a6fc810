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
#include "../../engine/layer_params.h"
#include "../../engine/ops.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../fields.h"
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

struct ChannelsLab {
    // The input: (1, 3, H, W).
    std::string image = "quadrants";  // a preset's id, or "custom"
    Tensor input;
    // The layer: C_out filters of (3, k, k).
    int filters = 3, kernel = 3, stride = 1, padding = 0;
    bool bias = true;
    std::vector<std::string> presets;  // (C_out) each filter's preset id, or "custom"
    Tensor weight;                     // (C_out, 3, k, k)
    Tensor biases;                     // (C_out)
    int filter = 0, row = 0, col = 0;  // output value whose sum is shown
    // The 1x1 convolution: (M, 3, 1, 1), applied to the same input.
    Tensor mix_weight;                 // (M, 3, 1, 1)
    Tensor mix_bias;                   // (M)
    int pixel_row = 1, pixel_col = 1;
    // The exercise.
    json exercise = nullptr;           // the layer asked about, or null
    json expected = nullptr;           // {"params", "output_shape"} for it (engine-computed)
    int answered = 0, correct = 0;
    json last_answer = nullptr;
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
    PendingEvents pending;  // posted once a command has been kept
    std::string ui_note;
};

ChannelsLab make_lab();
ChannelsLab g_lab = make_lab();

// ---------------------------------------------------------------------------------------------
// Pictures and filters.

int in_h(const ChannelsLab& lab) { return lab.input.shape[2]; }
int in_w(const ChannelsLab& lab) { return lab.input.shape[3]; }
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
void apply_presets(ChannelsLab& lab) {
    const int k = lab.kernel, per = kChannels * k * k;
    std::vector<float> old = lab.weight.data;
    const bool same_shape = lab.weight.shape == std::vector<int>{lab.filters, kChannels, k, k};
    lab.weight.shape = {lab.filters, kChannels, k, k};
    lab.weight.data.assign(size_t(lab.filters * per), 0.0f);
    lab.presets.resize(size_t(lab.filters), "brightness");
    for (int f = 0; f < lab.filters; f++) {
        std::vector<float> w = filter_preset(lab.presets[size_t(f)], k);
        if (lab.presets[size_t(f)] == "custom") {  // a custom filter keeps its weights while the shape stays
            if (same_shape) std::copy(old.begin() + f * per, old.begin() + (f + 1) * per, w.begin());
            else lab.presets[size_t(f)] = "custom";
        }
        std::copy(w.begin(), w.end(), lab.weight.data.begin() + f * per);
    }
    lab.biases.shape = {lab.filters};
    lab.biases.data.resize(size_t(lab.filters), 0.0f);
}

// ---------------------------------------------------------------------------------------------
// Computing.

void recompute(ChannelsLab& lab) {
    const int H = in_h(lab), W = in_w(lab);
    lab.spec = Conv2dSpec{};
    lab.spec.rows = make_conv_axis(H, lab.kernel, lab.stride, 1, PaddingMode::number, lab.padding);
    lab.spec.cols = make_conv_axis(W, lab.kernel, lab.stride, 1, PaddingMode::number, lab.padding);
    lab.message.clear();
    lab.terms.clear();
    Status s = conv2d(lab.output, lab.input, lab.weight, lab.bias ? &lab.biases : nullptr, lab.spec);
    if (!s.ok()) {
        lab.message = "No output: " + s.message + ".";
        lab.output = Tensor{};
    } else {
        lab.filter = std::clamp(lab.filter, 0, lab.filters - 1);
        lab.row = std::clamp(lab.row, 0, lab.output.shape[2] - 1);
        lab.col = std::clamp(lab.col, 0, lab.output.shape[3] - 1);
        if (!conv2d_window(lab.terms, lab.input, lab.weight, lab.spec, 0, lab.filter, lab.row, lab.col).ok()) lab.terms.clear();
    }
    if (!conv2d_params(lab.params, kChannels, lab.filters, lab.kernel, lab.kernel, 1, lab.bias).ok()) lab.params = LayerParams{};
    const int outputs = lab.message.empty() ? int(lab.output.numel()) : 0;
    if (!linear_params(lab.fc_params, kChannels * H * W, std::max(outputs, 1), lab.bias).ok()) lab.fc_params = LayerParams{};
    // the 1x1 convolution, and the same numbers as a matrix times the pixel's channel vector
    const int M = lab.mix_weight.shape[0];
    Conv2dSpec one;  // 1x1, stride 1, no padding
    if (!conv2d(lab.mix_output, lab.input, lab.mix_weight, &lab.mix_bias, one).ok()) lab.mix_output = Tensor{};
    lab.pixel_row = std::clamp(lab.pixel_row, 0, H - 1);
    lab.pixel_col = std::clamp(lab.pixel_col, 0, W - 1);
    lab.pixel_vector.assign(kChannels, 0.0f);
    for (int c = 0; c < kChannels; c++) lab.pixel_vector[size_t(c)] = value_of(lab.input, 0, c, lab.pixel_row, lab.pixel_col);
    lab.pixel_linear.assign(size_t(M), 0.0f);
    // linear_forward: out (1,M) = x (1,3) @ weight (M,3)^T + bias (M); the 1x1 weight (M,3,1,1) is that matrix
    linear_forward_naive(lab.pixel_linear.data(), lab.pixel_vector.data(), lab.mix_weight.data.data(), lab.mix_bias.data.data(), 1,
                         kChannels, M);
}

ChannelsLab make_lab() {
    ChannelsLab lab;
    lab.input = image_preset("quadrants");
    lab.presets = {"red-edges", "green-minus-red", "blue"};
    apply_presets(lab);
    lab.mix_weight = Tensor{{2, 3, 1, 1}, {0.299f, 0.587f, 0.114f, 1, -1, 0}};  // grey; red minus green
    lab.mix_bias = Tensor{{2}, {0, 0}};
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
    if (lab.bias) s += " + bias " + format_number(lab.biases.data[size_t(lab.filter)]);
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
    x["seed"] = seed;
    lab.exercise = x;
    lab.expected = {{"params", p.total}, {"output_shape", out_shape}};
    lab.last_answer = nullptr;
    lab.params_text[0] = lab.shape_text[0] = 0;
    lab.pending.add("exercise-new");
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

std::string check_answer(ChannelsLab& lab, int64_t params, const std::vector<int>& shape) {
    if (lab.exercise.is_null()) return "there is no exercise open: send {\"new_exercise\": true} first";
    const bool params_right = params == lab.expected["params"].get<int64_t>();
    const bool shape_right = json(shape) == lab.expected["output_shape"];
    const bool right = params_right && shape_right;
    const json& x = lab.exercise;
    const bool conv = x["layer"] == "conv";
    std::string feedback;
    if (right) feedback = "Right: " + std::string(conv ? "C_out*C_in*k*k weights" : "out*in weights") +
                          (x["bias"].get<bool>() ? " plus one bias per output." : ", and no bias.");
    else if (!params_right && !shape_right) feedback = "Both are off: count the weights (and biases), then use floor((H + 2p - k)/s) + 1 for each side.";
    else if (!params_right) feedback = conv ? "The shape is right; the parameters are off: C_out*C_in*k*k weights, plus C_out biases if there is a bias."
                                            : "The shape is right; the parameters are off: in*out weights, plus out biases if there is a bias.";
    else feedback = conv ? "The parameters are right; the shape is off: (N, C_out, floor((H + 2p - k)/s) + 1, the same for W)."
                         : "The parameters are right; the shape is off: a linear layer gives (N, out_features).";
    lab.answered++;
    lab.correct += right;
    lab.last_answer = {{"correct", right}, {"expected", lab.expected},
                       {"given", {{"params", params}, {"output_shape", shape}}}, {"feedback", feedback}};
    lab.pending.answer(right);
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

json channels_state() {
    const ChannelsLab& lab = g_lab;
    json s;
    s["image"] = lab.image;
    Tensor input3 = lab.input;
    input3.shape = {kChannels, in_h(lab), in_w(lab)};
    s["input"] = tensor_json(input3);
    s["input_shape"] = lab.input.shape;
    s["filters"] = lab.filters;
    s["kernel"] = lab.kernel;
    s["stride"] = lab.stride;
    s["padding"] = lab.padding;
    s["bias"] = lab.bias;
    s["presets"] = lab.presets;
    s["weights"] = tensor_json(lab.weight);
    s["biases"] = lab.biases.data;
    s["weight_shape"] = lab.params.weight_shape;
    s["bias_shape"] = lab.params.bias_shape;
    if (lab.message.empty()) {
        s["output_shape"] = lab.output.shape;
        Tensor out3 = lab.output;
        out3.shape = {lab.output.shape[1], lab.output.shape[2], lab.output.shape[3]};
        s["output"] = tensor_json(out3);
        s["message"] = nullptr;
    } else {
        s["output_shape"] = nullptr;
        s["output"] = nullptr;
        s["message"] = lab.message;
    }
    s["position"] = {lab.filter, lab.row, lab.col};
    if (lab.terms.empty()) {
        s["window"] = nullptr;
    } else {
        s["window"] = {{"per_channel", channel_sums(lab)}, {"bias", lab.bias ? lab.biases.data[size_t(lab.filter)] : 0.0f},
                       {"value", value_of(lab.output, 0, lab.filter, lab.row, lab.col)}, {"expression", window_expression(lab)}};
    }
    s["params"] = {{"weights", lab.params.weights}, {"biases", lab.params.biases}, {"total", lab.params.total},
                   {"without_bias", lab.params.weights}, {"formula", params_formula(lab.params)}};
    s["fully_connected"] = {{"inputs", lab.fc_params.weight_shape.empty() ? 0 : lab.fc_params.weight_shape[1]},
                            {"outputs", lab.fc_params.weight_shape.empty() ? 0 : lab.fc_params.weight_shape[0]},
                            {"params", lab.fc_params.total}, {"formula", params_formula(lab.fc_params)}};
    LayerParams fc, conv;
    if (linear_params(fc, 784, 784, false).ok() && conv2d_params(conv, 1, 1, 3, 3, 1, false).ok())
        s["mnist_comparison"] = {{"fully_connected", fc.total}, {"conv3x3", conv.total}};
    Tensor mix2 = lab.mix_weight;
    mix2.shape = {lab.mix_weight.shape[0], kChannels};
    s["mix_weights"] = tensor_json(mix2);
    s["mix_biases"] = lab.mix_bias.data;
    s["pixel"] = {lab.pixel_row, lab.pixel_col};
    json conv_at = json::array();
    for (int m = 0; !lab.mix_output.shape.empty() && m < lab.mix_output.shape[1]; m++)
        conv_at.push_back(value_of(lab.mix_output, 0, m, lab.pixel_row, lab.pixel_col));
    bool equal = conv_at.size() == lab.pixel_linear.size();  // the same sum in the same order; rounding aside
    for (size_t m = 0; equal && m < lab.pixel_linear.size(); m++)
        equal = std::fabs(conv_at[m].get<float>() - lab.pixel_linear[m]) <= 1e-5f * (1.0f + std::fabs(lab.pixel_linear[m]));
    Tensor mix_out3 = lab.mix_output;
    if (!mix_out3.shape.empty()) mix_out3.shape = {mix_out3.shape[1], mix_out3.shape[2], mix_out3.shape[3]};
    s["one_by_one"] = {{"input_vector", lab.pixel_vector}, {"linear", lab.pixel_linear}, {"conv", conv_at},
                       {"equal", equal}, {"output", tensor_json(mix_out3)},
                       {"params", lab.mix_weight.numel() + lab.mix_bias.numel()}};
    s["exercise"] = lab.exercise;
    s["score"] = {{"answered", lab.answered}, {"correct", lab.correct}};
    s["last_answer"] = lab.last_answer;
    return s;
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

std::string apply_command(ChannelsLab& lab, const json& f) {
    if (std::string e = check_fields(f,
            {"reset", "image", "input", "filters", "kernel", "stride", "padding", "bias", "presets", "weights", "biases",
             "position", "mix_weights", "mix_biases", "pixel", "new_exercise", "seed", "answer"},
            {"lab", "input_shape", "weight_shape", "bias_shape", "output_shape", "output", "message", "window", "params",
             "fully_connected", "mnist_comparison", "one_by_one", "exercise", "score", "last_answer"});
        !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) lab = make_lab();

    // 1. The input.
    std::string image;
    if (!(e = read_string(f, "image", image)).empty()) return e;
    if (!image.empty() && image != lab.image) {
        if (!is_image_preset(image)) return "\"image\" must be \"quadrants\" or \"stripes\" (or send \"input\" for your own)";
        lab.image = image;
        lab.input = image_preset(image);
    }
    if (f.contains("input")) {
        const json& v = f["input"];
        const int H = v.is_array() && !v.empty() && v[0].is_array() ? int(v[0].size()) : 0;
        const int W = H > 0 && v[0][0].is_array() ? int(v[0][0].size()) : 0;
        if (H < 1 || H > kMaxSide || W < 1 || W > kMaxSide)
            return "\"input\" must be 3 channels (R, G, B) of 1 to 8 rows of 1 to 8 numbers: (3, H, W)";
        std::vector<float> values;
        if (!(e = read_nested(v, "input", {kChannels, H, W}, values)).empty()) return e;
        Tensor next{{1, kChannels, H, W}, values};
        if (next.shape != lab.input.shape || next.data != lab.input.data) lab.image = "custom";
        lab.input = next;
    }
    // 2. The layer.
    const int old_filters = lab.filters, old_kernel = lab.kernel;
    if (!(e = read_int(f, "filters", 1, kMaxFilters, lab.filters)).empty()) return e;
    if (!(e = read_int(f, "kernel", 1, kMaxKernel, lab.kernel)).empty()) return e;
    if (!(e = read_int(f, "stride", 1, 3, lab.stride)).empty()) return e;
    if (!(e = read_int(f, "padding", 0, 2, lab.padding)).empty()) return e;
    if (!(e = read_bool(f, "bias", lab.bias)).empty()) return e;
    if (f.contains("presets")) {
        const json& v = f["presets"];
        if (!v.is_array() || int(v.size()) != lab.filters)
            return "\"presets\" must be a list of " + std::to_string(lab.filters) + " filter names, one per filter";
        for (size_t i = 0; i < v.size(); i++) {
            if (!v[i].is_string() || !(is_filter_preset(v[i].get<std::string>()) || v[i] == "custom"))
                return "\"presets\" has an unknown filter; the filters are: red-edges, green-minus-red, blue, brightness";
            lab.presets.resize(size_t(lab.filters), "brightness");
            lab.presets[i] = v[i].get<std::string>();
        }
    }
    if (lab.filters != old_filters || lab.kernel != old_kernel || f.contains("presets")) {
        static const char* const order[] = {"red-edges", "green-minus-red", "blue", "brightness"};
        for (int i = int(lab.presets.size()); i < lab.filters; i++) lab.presets.push_back(order[i % 4]);
        lab.presets.resize(size_t(lab.filters));
        apply_presets(lab);
    }
    if (f.contains("weights")) {
        std::vector<float> values;
        if (!(e = read_nested(f["weights"], "weights", lab.weight.shape, values)).empty()) return e;
        const int per = kChannels * lab.kernel * lab.kernel;
        for (int i = 0; i < lab.filters; i++) {
            std::vector<float> mine(values.begin() + i * per, values.begin() + (i + 1) * per);
            std::vector<float> preset = filter_preset(lab.presets[size_t(i)], lab.kernel);
            if (lab.presets[size_t(i)] == "custom" || mine != preset) lab.presets[size_t(i)] = "custom";
        }
        lab.weight.data = values;
    }
    if (f.contains("biases")) {
        std::vector<float> values;
        if (!(e = read_nested(f["biases"], "biases", {lab.filters}, values)).empty()) return e;
        lab.biases.data = values;
    }
    // 3. The 1x1 convolution.
    if (f.contains("mix_weights")) {
        const json& v = f["mix_weights"];
        const int M = v.is_array() ? int(v.size()) : 0;
        if (M < 1 || M > kChannels) return "\"mix_weights\" must be 1 to 3 rows of 3 numbers (one row per output channel)";
        std::vector<float> values;
        if (!(e = read_nested(v, "mix_weights", {M, kChannels}, values)).empty()) return e;
        lab.mix_weight = Tensor{{M, kChannels, 1, 1}, values};
        lab.mix_bias.shape = {M};
        lab.mix_bias.data.resize(size_t(M), 0.0f);
    }
    if (f.contains("mix_biases")) {
        std::vector<float> values;
        if (!(e = read_nested(f["mix_biases"], "mix_biases", {lab.mix_weight.shape[0]}, values)).empty()) return e;
        lab.mix_bias.data = values;
    }
    if (f.contains("pixel")) {
        int r = 0, c = 0;
        if (!(e = read_position(f["pixel"], "pixel", r, c)).empty()) return e;
        if (r < 0 || r >= in_h(lab) || c < 0 || c >= in_w(lab))
            return "pixel [" + std::to_string(r) + ", " + std::to_string(c) + "] is outside the " + std::to_string(in_h(lab)) + " x " +
                   std::to_string(in_w(lab)) + " input";
        lab.pixel_row = r;
        lab.pixel_col = c;
    }
    recompute(lab);
    if (f.contains("position")) {
        const json& v = f["position"];
        if (!v.is_array() || v.size() != 3 || !v[0].is_number_integer() || !v[1].is_number_integer() || !v[2].is_number_integer())
            return "\"position\" must be [filter, row, col], three whole numbers counted from 0";
        const int fi = v[0].get<int>(), r = v[1].get<int>(), c = v[2].get<int>();
        if (!lab.message.empty()) return "there is no output to point at: " + lab.message;
        if (fi < 0 || fi >= lab.filters || r < 0 || r >= lab.output.shape[2] || c < 0 || c >= lab.output.shape[3])
            return "position [" + std::to_string(fi) + ", " + std::to_string(r) + ", " + std::to_string(c) + "] is outside the output " +
                   shape_text(lab.output.shape);
        lab.filter = fi;
        lab.row = r;
        lab.col = c;
        recompute(lab);
    }
    // 4. The exercise.
    bool wanted = false;
    uint64_t seed = 0;
    if (!(e = read_new_exercise(f, wanted, seed)).empty()) return e;
    if (wanted) new_exercise(lab, seed);
    if (f.contains("answer")) {
        const json& a = f["answer"];
        const std::string msg = "\"answer\" must be {\"params\": whole number, \"output_shape\": [whole numbers]}";
        if (lab.exercise.is_null()) return "there is no exercise open: send {\"new_exercise\": true} first";
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

void commit_pending(ChannelsLab& lab) {
    post_events("channels", lab.pending);
}

std::string channels_command(const json& fields) {
    ChannelsLab next = g_lab;  // work on a copy: an error leaves the lab exactly as it was
    next.pending = PendingEvents{};
    std::string error = apply_command(next, fields);
    if (!error.empty()) return error;
    g_lab = std::move(next);
    commit_pending(g_lab);
    return "";
}

// ---------------------------------------------------------------------------------------------
// Drawing.

ImU32 channel_color(int channel, float v) {  // 0 black .. 1 full red / green / blue
    const int level = int(std::clamp(v, 0.0f, 1.0f) * 255.0f);
    return IM_COL32(channel == 0 ? level : 0, channel == 1 ? level : 0, channel == 2 ? level : 0, 255);
}

void draw_settings(ChannelsLab& lab) {
    ImGui::TextDisabled("INPUT (1, 3, %d, %d)", in_h(lab), in_w(lab));
    if (ImGui::RadioButton("Quadrants", lab.image == "quadrants")) (void)apply_command(lab, {{"image", "quadrants"}});
    ImGui::SameLine();
    if (ImGui::RadioButton("Stripes", lab.image == "stripes")) (void)apply_command(lab, {{"image", "stripes"}});
    ImGui::Separator();
    ImGui::TextDisabled("LAYER");
    int filters = lab.filters, kernel = lab.kernel;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    bool changed = ImGui::SliderInt("filters", &filters, 1, kMaxFilters);
    ui_anchor("filters");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    changed |= ImGui::SliderInt("kernel", &kernel, 1, kMaxKernel);
    if (changed) (void)apply_command(lab, {{"filters", filters}, {"kernel", kernel}});
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::SliderInt("stride", &lab.stride, 1, 3);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::SliderInt("padding", &lab.padding, 0, 2);
    ImGui::Checkbox("bias", &lab.bias);
    for (int i = 0; i < lab.filters; i++) {
        ImGui::PushID(i);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        std::string label = "filter " + std::to_string(i);
        const std::string& current = lab.presets[size_t(i)];
        const char* shown = "Custom";
        for (const FilterPreset& p : kFilterPresets) if (current == p.id) shown = p.name;
        if (ImGui::BeginCombo(label.c_str(), shown)) {
            for (const FilterPreset& p : kFilterPresets) {
                if (ImGui::Selectable(p.name, current == p.id)) {
                    json presets = lab.presets;
                    presets[size_t(i)] = p.id;
                    (void)apply_command(lab, {{"presets", presets}});
                }
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", p.what);
            }
            ImGui::EndCombo();
        }
        if (lab.bias) {
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
            ImGui::DragFloat("bias##b", &lab.biases.data[size_t(i)], 0.05f, -kValueLimit, kValueLimit, "%.2f");
        }
        ImGui::PopID();
    }
    ImGui::Separator();
    ImGui::TextDisabled("EXERCISE");
    bool new_clicked = ImGui::Button("New exercise");
    ui_anchor("new-exercise");
    if (new_clicked) new_exercise(lab, (uint64_t(std::time(nullptr)) * 7919u + uint64_t(ImGui::GetFrameCount())) % 1000000007u);
    ImGui::Text("Score: %d of %d right", lab.correct, lab.answered);
    if (ImGui::Button("Reset the lab")) lab = make_lab();
}

// The input's three channels and the picture they make; the window of the shown sum outlined.
void draw_input(ChannelsLab& lab, float cell) {
    const int H = in_h(lab), W = in_w(lab), pad = lab.padding;
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
            const float v = inside ? value_of(lab.input, 0, c, ir, ix) : 0.0f;
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
        auto level = [&](int c) { return int(std::clamp(value_of(lab.input, 0, c, r, x), 0.0f, 1.0f) * 255.0f); };
        GridCell g{"", IM_COL32(level(0), level(1), level(2), 255)};
        if (r == lab.pixel_row && x == lab.pixel_col) g.border = IM_COL32(255, 255, 255, 255);
        return g;
    });
    ui_anchor("input-picture");
    if (picture.clicked) { lab.pixel_row = picture.hover_row; lab.pixel_col = picture.hover_col; }
    ImGui::EndGroup();
}

// Each filter (its three kernel slices) and the feature map it makes.
void draw_filters(ChannelsLab& lab, float cell) {
    const int k = lab.kernel;
    const float kcell = std::clamp(cell * (k > 3 ? 0.7f : 0.85f), 14.0f, 30.0f);
    float wmax = 1e-6f;
    for (float v : lab.weight.data) wmax = std::max(wmax, std::fabs(v));
    float omax = 1e-6f;
    for (float v : lab.output.data) omax = std::max(omax, std::fabs(v));
    for (int f = 0; f < lab.filters; f++) {
        ImGui::PushID(f);
        ImGui::BeginGroup();
        std::string bias_text;
        if (lab.bias) bias_text = " + bias " + format_number(lab.biases.data[size_t(f)]);
        ImGui::Text("filter %d: (3, %d, %d)%s", f, k, k, bias_text.c_str());
        for (int c = 0; c < kChannels; c++) {
            const char* ids[kChannels] = {"w0", "w1", "w2"};
            draw_grid(ids[c], k, k, kcell, [&](int r, int x) {
                float v = value_of(lab.weight, f, c, r, x);
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
    ImGui::TextWrapped("input %s  *  weight %s  ->  output %s", shape_text(lab.input.shape).c_str(),
                shape_text(lab.params.weight_shape).c_str(), lab.message.empty() ? shape_text(lab.output.shape).c_str() : "none");
    ImGui::SameLine();
    help_marker("(N, C, H, W): pictures in the batch, channels, rows, columns. The weight is (C_out, C_in, k, k): one "
                "filter per output channel, each as deep as the input has channels.");
    if (!lab.terms.empty())
        ImGui::TextWrapped("feature map %d at [%d, %d]: %s", lab.filter, lab.row, lab.col, window_expression(lab).c_str());
    ImGui::TextWrapped("Parameters: %s weights%s", params_formula(lab.params).c_str(),
                lab.bias ? (" (" + count_text(lab.params.weights) + " without the bias)").c_str() : "");
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
    const int M = lab.mix_weight.shape[0];
    std::string rows;
    ImGui::Text("pixel [%d, %d]: x = (%s, %s, %s)", lab.pixel_row, lab.pixel_col, format_number(lab.pixel_vector[0]).c_str(),
                format_number(lab.pixel_vector[1]).c_str(), format_number(lab.pixel_vector[2]).c_str());
    for (int m = 0; m < M; m++) {
        const float conv = lab.mix_output.shape.empty() ? NAN : value_of(lab.mix_output, 0, m, lab.pixel_row, lab.pixel_col);
        ImGui::TextWrapped("out %d = %s*R + %s*G + %s*B + %s = %s   (1x1 conv there: %s)", m,
                    format_number(value_of(lab.mix_weight, m, 0, 0, 0)).c_str(), format_number(value_of(lab.mix_weight, m, 1, 0, 0)).c_str(),
                    format_number(value_of(lab.mix_weight, m, 2, 0, 0)).c_str(), format_number(lab.mix_bias.data[size_t(m)]).c_str(),
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
            if (r == lab.pixel_row && x == lab.pixel_col) g.border = kWindowColor;
            return g;
        });
        ImGui::EndGroup();
        ImGui::PopID();
        ImGui::SameLine(0, 12);
    }
    ImGui::NewLine();
}

void draw_exercise(ChannelsLab& lab) {
    if (lab.exercise.is_null()) return;
    ImGui::TextColored(ImVec4(1.0f, 0.85f, 0.4f, 1), "Exercise: %s", exercise_text(lab.exercise).c_str());
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
    if (lab.last_answer.is_object()) {
        answer_feedback(lab.last_answer["correct"].get<bool>(), lab.last_answer["feedback"].get<std::string>());
    }
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
    commit_pending(lab);
}

}  // namespace

CNNLAB_REGISTER_LAB("channels", "Channels and filters",
                    "RGB input, 3D filters, stacks of feature maps, 1x1 convolutions and parameter counts.", channels_draw,
                    channels_state, channels_command);
