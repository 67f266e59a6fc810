#include "model.h"

#include "json_text.h"
#include "model_presets.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

using json = nlohmann::json;
using std::to_string;

std::string seed_model_json() { return preset_model_json("seed"); }  // engine/model_presets.cpp

namespace {

// Laid out, a network may name up to 2^36 parameters (a count that cannot overflow); built, it must
// fit kModelMemoryBudget, which decides long before that.
constexpr int64_t kMaxParams = int64_t(1) << 36;
constexpr int64_t kMaxSampleValues = int64_t(1) << 26; // values of one sample's activation in one layer (256 MB)
constexpr size_t kMaxLayers = 2048;                     // DenseNet-121 written out is 430 layers

struct Kind {
    const char* name;
    LayerKind kind;
};
const Kind kKinds[] = {
    {"conv", LayerKind::conv}, {"conv_transpose", LayerKind::conv_transpose}, {"maxpool", LayerKind::maxpool},
    {"avgpool", LayerKind::avgpool}, {"global_avgpool", LayerKind::global_avgpool}, {"flatten", LayerKind::flatten},
    {"linear", LayerKind::linear}, {"dropout", LayerKind::dropout}, {"relu", LayerKind::relu},
    {"leaky_relu", LayerKind::leaky_relu}, {"sigmoid", LayerKind::sigmoid}, {"tanh", LayerKind::tanh},
    {"batchnorm", LayerKind::batchnorm}, {"layernorm", LayerKind::layernorm}, {"instancenorm", LayerKind::instancenorm},
    {"add", LayerKind::add}, {"concat", LayerKind::concat}, {"silu", LayerKind::silu},
    {"adaptive_avgpool", LayerKind::adaptive_avgpool}, {"scale", LayerKind::scale},
};

// Reads an optional whole-number field in [lo, hi]; `error` gets a message naming the field.
bool get_int(const json& j, const char* key, int fallback, int lo, int hi, int& out, std::string& error) {
    if (!j.contains(key)) { out = fallback; return true; }
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
        error = std::string("\"") + key + "\" must be a whole number from " + to_string(lo) + " to " + to_string(hi);
        return false;
    }
    out = int(v.get<int64_t>());
    return true;
}

bool get_float(const json& j, const char* key, float fallback, float lo, float hi, float& out, std::string& error) {
    if (!j.contains(key)) { out = fallback; return true; }
    const json& v = j[key];
    if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi)) {
        char range[64];
        std::snprintf(range, sizeof range, " must be a number from %g to %g", double(lo), double(hi));
        error = std::string("\"") + key + "\"" + range;
        return false;
    }
    out = float(v.get<double>());
    return true;
}

bool get_bool(const json& j, const char* key, bool fallback, bool& out, std::string& error) {
    if (!j.contains(key)) { out = fallback; return true; }
    if (!j[key].is_boolean()) { error = std::string("\"") + key + "\" must be true or false"; return false; }
    out = j[key].get<bool>();
    return true;
}


int64_t numel_of(const std::vector<int>& shape) { return shape_numel(shape); }

// An earlier layer named by `field` ("with", "from"): its name or index; -1 with a message if none.
int earlier_layer(const json& ref, const std::vector<Layer>& before, const char* field, std::string& error) {
    for (size_t k = 0; k < before.size(); k++)
        if ((ref.is_string() && before[k].name == ref.get<std::string>()) || (ref.is_number_integer() && ref.get<int64_t>() == int64_t(k)))
            return int(k);
    error = std::string("\"") + field + "\": no earlier layer is called " + ref.dump().substr(0, 40);
    return -1;
}

// A message from an op, without the op's own "conv2d: " in front (the layer is named already).
std::string without_prefix(const std::string& message, const std::string& prefix) {
    return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

// Works out one layer's settings and output shape from its JSON and input shape.
Status build_layer(Layer& L, const json& j, const std::vector<Layer>& before, std::string& error_field) {
    std::string e;
    const std::vector<int>& in = L.in_shape;
    auto need_image = [&]() -> Status {
        if (in.size() != 3) return error_status("needs an image input (C,H,W) but gets " + shape_string(in));
        return ok_status();
    };
    auto fail = [&]() { return error_status(e); };
    switch (L.kind) {
        case LayerKind::conv:
        case LayerKind::conv_transpose: {
            if (Status s = need_image(); !s.ok()) return s;
            int out, kernel, stride, padding, dilation, groups, output_padding = 0;
            if (!j.contains("out")) return error_status("needs \"out\", the number of output channels");
            if (!get_int(j, "out", 1, 1, 1 << 16, out, e) || !get_int(j, "kernel", 3, 1, 64, kernel, e) ||
                !get_int(j, "stride", 1, 1, 64, stride, e) || !get_int(j, "padding", 0, 0, 64, padding, e) ||
                !get_int(j, "dilation", 1, 1, 64, dilation, e) || !get_int(j, "groups", 1, 1, 1 << 16, groups, e) ||
                !get_bool(j, "bias", true, L.has_bias, e))
                return fail();
            if (L.kind == LayerKind::conv) {
                L.conv.rows = L.conv.cols = make_conv_axis(0, kernel, stride, dilation, PaddingMode::number, padding);
                L.conv.groups = groups;
                if (groups < 1 || in[0] % groups || out % groups)
                    return error_status(to_string(groups) + " groups must divide both the " + to_string(in[0]) +
                                        " input channels and the " + to_string(out) + " output channels");
                std::vector<int> bias_shape = {out};
                if (Status s = check_conv2d({1, in[0], in[1], in[2]}, {out, in[0] / groups, kernel, kernel}, &bias_shape, L.conv); !s.ok())
                    return error_status(without_prefix(s.message, "conv2d: "));
                L.out_shape = {out, int(conv_output_size(in[1], L.conv.rows)), int(conv_output_size(in[2], L.conv.cols))};
            } else {
                if (!get_int(j, "output_padding", 0, 0, 64, output_padding, e)) return fail();
                L.conv_transpose.rows = L.conv_transpose.cols = make_conv_axis(0, kernel, stride, dilation, PaddingMode::number, padding);
                L.conv_transpose.output_padding_rows = L.conv_transpose.output_padding_cols = output_padding;
                L.conv_transpose.groups = groups;
                if (groups < 1 || in[0] % groups || out % groups)
                    return error_status(to_string(groups) + " groups must divide both the " + to_string(in[0]) +
                                        " input channels and the " + to_string(out) + " output channels");
                std::vector<int> bias_shape = {out};
                if (Status s = check_conv_transpose2d({1, in[0], in[1], in[2]}, {in[0], out / groups, kernel, kernel}, &bias_shape,
                                                      L.conv_transpose);
                    !s.ok())
                    return error_status(without_prefix(s.message, "conv_transpose2d: "));
                L.out_shape = {out, int(conv_transpose_output_size(in[1], L.conv_transpose.rows, output_padding)),
                               int(conv_transpose_output_size(in[2], L.conv_transpose.cols, output_padding))};
            }
            return ok_status();
        }
        case LayerKind::maxpool:
        case LayerKind::avgpool: {
            if (Status s = need_image(); !s.ok()) return s;
            int kernel, stride, padding;
            if (!get_int(j, "kernel", 2, 1, 64, kernel, e) || !get_int(j, "stride", kernel, 1, 64, stride, e) ||
                !get_int(j, "padding", 0, 0, 32, padding, e))
                return fail();
            L.pool.rows = L.pool.cols = make_conv_axis(0, kernel, stride, 1, PaddingMode::number, padding);
            if (Status s = check_pool2d({1, in[0], in[1], in[2]}, L.pool, L.kind == LayerKind::maxpool ? "maxpool" : "avgpool"); !s.ok())
                return error_status(without_prefix(s.message, L.kind == LayerKind::maxpool ? "maxpool: " : "avgpool: "));
            L.out_shape = {in[0], int(conv_output_size(in[1], L.pool.rows)), int(conv_output_size(in[2], L.pool.cols))};
            return ok_status();
        }
        case LayerKind::global_avgpool:
            if (Status s = need_image(); !s.ok()) return s;
            L.out_shape = {in[0]};
            return ok_status();
        case LayerKind::adaptive_avgpool: {
            if (Status s = need_image(); !s.ok()) return s;
            if (!j.contains("size")) return error_status("needs \"size\": the output's height and width, n or [h, w]");
            json size = j["size"].is_array() ? j["size"] : json::array({j["size"], j["size"]});
            int oh = 0, ow = 0;
            if (size.size() != 2 || !get_int(json{{"size", size[0]}}, "size", 1, 1, 4096, oh, e) ||
                !get_int(json{{"size", size[1]}}, "size", 1, 1, 4096, ow, e))
                return error_status("\"size\" must be a whole number from 1 to 4096, or two of them [h, w]");
            L.out_shape = {in[0], oh, ow};
            return ok_status();
        }
        case LayerKind::flatten:
            L.out_shape = {int(numel_of(in))};
            return ok_status();
        case LayerKind::linear: {
            if (in.size() != 1)
                return error_status("needs a flat input (D) but gets " + shape_string(in) + "; put a flatten layer before it");
            int out;
            if (!j.contains("out")) return error_status("needs \"out\", the number of outputs");
            if (!get_int(j, "out", 1, 1, 1 << 20, out, e) || !get_bool(j, "bias", true, L.has_bias, e)) return fail();
            L.out_shape = {out};
            return ok_status();
        }
        case LayerKind::dropout:
            if (!get_float(j, "p", 0.5f, 0.0f, 0.99f, L.p, e)) return fail();
            L.out_shape = in;
            return ok_status();
        case LayerKind::leaky_relu:
            if (!get_float(j, "slope", 0.01f, -10.0f, 10.0f, L.slope, e)) return fail();
            L.out_shape = in;
            return ok_status();
        case LayerKind::relu:
        case LayerKind::sigmoid:
        case LayerKind::tanh:
        case LayerKind::silu:
            L.out_shape = in;
            return ok_status();
        case LayerKind::batchnorm:
        case LayerKind::instancenorm:
            if (Status s = need_image(); !s.ok()) return s;
            [[fallthrough]];
        case LayerKind::layernorm:
            if (!get_float(j, "eps", 1e-5f, 1e-12f, 1.0f, L.eps, e) || !get_float(j, "momentum", 0.1f, 0.0f, 1.0f, L.momentum, e) ||
                !get_bool(j, "affine", L.kind != LayerKind::instancenorm, L.affine, e))
                return fail();
            L.out_shape = in;
            return ok_status();
        case LayerKind::add:
        case LayerKind::concat:
        case LayerKind::scale: {
            if (!j.contains("with")) return error_status("needs \"with\": the name or index of an earlier layer whose output joins");
            L.with = earlier_layer(j["with"], before, "with", e);
            if (L.with < 0) {
                error_field = "with";
                return fail();
            }
            const std::vector<int>& other = before[size_t(L.with)].out_shape;
            if (L.kind == LayerKind::scale) {
                const bool gate_shape = (in.size() == 3 && in[1] == 1 && in[2] == 1) || in.size() == 1;
                if (other.size() != 3 || !gate_shape || in[0] != other[0])
                    return error_status("scales the channels of " + shape_string(other) + " by its input " + shape_string(in) +
                                        ", which must be one value per channel: (C,1,1) or (C) with the same C");
                L.out_shape = other;
            } else if (L.kind == LayerKind::add) {
                if (other != in)
                    return error_status("adds layer " + to_string(L.with) + "'s output " + shape_string(other) +
                                        " to its input " + shape_string(in) + ", but the shapes differ");
                L.out_shape = in;
            } else {
                if (in.size() != 3 || other.size() != 3 || in[1] != other[1] || in[2] != other[2])
                    return error_status("concatenates channels of " + shape_string(in) + " and " + shape_string(other) +
                                        ", which need the same height and width");
                L.out_shape = {in[0] + other[0], in[1], in[2]};
            }
            return ok_status();
        }
    }
    return error_status("unknown layer");
}

// Adds a named tensor: parameters to model.params, buffers to model.buffers; returns its offset.
int64_t add_tensor(Model& m, int64_t& param_count, int64_t& buffer_count, const std::string& name,
                   const std::vector<int>& shape, bool buffer) {
    int64_t& count = buffer ? buffer_count : param_count;
    int64_t offset = count;
    m.tensors.push_back(ParamInfo{name, shape, offset, buffer});
    const int64_t n = numel_of(shape);
    count += n < 0 ? kMaxParams + 1 : n;  // a shape too large to count fails the caller's limit check
    return offset;
}

}  // namespace

const char* layer_kind_name(LayerKind kind) {
    for (const Kind& k : kKinds)
        if (k.kind == kind) return k.name;
    return "";
}

Status model_layout(Model& model, const std::string& description) {
    json spec;
    if (Status s = parse_json(spec, description, "model: the description"); !s.ok()) return s;
    if (!spec.is_object()) return error_status("model: the description is not a JSON object");
    if (!spec.contains("input") || !spec["input"].is_array() || spec["input"].size() != 3)
        return error_status("model: \"input\" must be [channels, height, width]");
    Model m;
    for (const json& d : spec["input"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > 4096)
            return error_status("model: \"input\" sizes must be whole numbers from 1 to 4096");
        m.input_shape.push_back(int(d.get<int64_t>()));
    }
    if (!spec.contains("layers") || !spec["layers"].is_array() || spec["layers"].empty())
        return error_status("model: \"layers\" must be a non-empty list");
    if (spec["layers"].size() > kMaxLayers) return error_status("model: at most " + to_string(kMaxLayers) + " layers");
    int64_t param_count = 0, buffer_count = 0;
    std::vector<int> shape = m.input_shape;
    for (size_t i = 0; i < spec["layers"].size(); i++) {
        const json& j = spec["layers"][i];
        std::string where = "model: layer " + to_string(i);
        if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
            return error_status(where + " must be an object with a \"type\"");
        Layer L;
        const std::string type = j["type"].get<std::string>();
        bool found = false;
        for (const Kind& k : kKinds)
            if (type == k.name) { L.kind = k.kind; found = true; }
        if (!found) {
            std::string names;
            for (const Kind& k : kKinds) names += std::string(names.empty() ? "" : ", ") + k.name;
            return error_status(where + ": unknown type \"" + type.substr(0, 30) + "\"; the types are " + names);
        }
        if (j.contains("name") && (!j["name"].is_string() || j["name"].get<std::string>().empty() || j["name"].get<std::string>().size() > 64))
            return error_status(where + ": \"name\" must be a short non-empty string");
        L.name = j.contains("name") ? j["name"].get<std::string>() : to_string(i);
        for (const Layer& other : m.layers)
            if (other.name == L.name) return error_status(where + ": the name \"" + L.name + "\" is used twice");
        where += " (" + L.name + ", " + type + ")";
        L.source = int(i) - 1;
        if (j.contains("from")) {
            std::string e;
            L.source = j["from"] == "input" ? -1 : earlier_layer(j["from"], m.layers, "from", e);
            if (L.source < 0 && j["from"] != "input") return error_status(where + ": " + e);
        }
        L.in_shape = L.source < 0 ? m.input_shape : m.layers[size_t(L.source)].out_shape;
        std::string field;
        if (Status s = build_layer(L, j, m.layers, field); !s.ok()) return error_status(where + ": " + s.message);
        const int64_t out_values = numel_of(L.out_shape);
        if (out_values < 1 || out_values > kMaxSampleValues)
            return error_status(where + ": its output " + shape_string(L.out_shape) + " is empty or too large");
        // parameters, with PyTorch's names and shapes
        const int C = L.in_shape[0];
        switch (L.kind) {
            case LayerKind::conv:
                L.weight = add_tensor(m, param_count, buffer_count, L.name + ".weight",
                                      {L.out_shape[0], C / L.conv.groups, L.conv.rows.kernel, L.conv.cols.kernel}, false);
                if (L.has_bias) L.bias = add_tensor(m, param_count, buffer_count, L.name + ".bias", {L.out_shape[0]}, false);
                break;
            case LayerKind::conv_transpose:
                L.weight = add_tensor(m, param_count, buffer_count, L.name + ".weight",
                                      {C, L.out_shape[0] / L.conv_transpose.groups, L.conv_transpose.rows.kernel,
                                       L.conv_transpose.cols.kernel}, false);
                if (L.has_bias) L.bias = add_tensor(m, param_count, buffer_count, L.name + ".bias", {L.out_shape[0]}, false);
                break;
            case LayerKind::linear:
                L.weight = add_tensor(m, param_count, buffer_count, L.name + ".weight", {L.out_shape[0], L.in_shape[0]}, false);
                if (L.has_bias) L.bias = add_tensor(m, param_count, buffer_count, L.name + ".bias", {L.out_shape[0]}, false);
                break;
            case LayerKind::batchnorm:
                if (L.affine) {
                    L.weight = add_tensor(m, param_count, buffer_count, L.name + ".weight", {C}, false);
                    L.bias = add_tensor(m, param_count, buffer_count, L.name + ".bias", {C}, false);
                }
                L.running_mean = add_tensor(m, param_count, buffer_count, L.name + ".running_mean", {C}, true);
                L.running_var = add_tensor(m, param_count, buffer_count, L.name + ".running_var", {C}, true);
                break;
            case LayerKind::instancenorm:
                if (L.affine) {
                    L.weight = add_tensor(m, param_count, buffer_count, L.name + ".weight", {C}, false);
                    L.bias = add_tensor(m, param_count, buffer_count, L.name + ".bias", {C}, false);
                }
                break;
            case LayerKind::layernorm:
                if (L.affine) {
                    L.weight = add_tensor(m, param_count, buffer_count, L.name + ".weight", L.in_shape, false);
                    L.bias = add_tensor(m, param_count, buffer_count, L.name + ".bias", L.in_shape, false);
                }
                break;
            default:
                break;
        }
        if (param_count > kMaxParams) return error_status(where + ": the model would have more than " + to_string(kMaxParams) + " parameters");
        shape = L.out_shape;
        m.layers.push_back(std::move(L));
    }
    if (shape.size() != 1) return error_status("model: the last layer's output " + shape_string(shape) +
                                               " must be flat (one score per class): end with flatten and linear");
    model = std::move(m);
    return ok_status();
}

int64_t model_param_count(const Model& model) {
    int64_t n = 0;
    for (const ParamInfo& t : model.tensors) n += t.buffer ? 0 : numel_of(t.shape);
    return n;
}

int64_t model_buffer_count(const Model& model) {
    int64_t n = 0;
    for (const ParamInfo& t : model.tensors) n += t.buffer ? numel_of(t.shape) : 0;
    return n;
}

int64_t layer_param_count(const Model& model, const Layer& L) {
    int64_t n = 0;
    for (const ParamInfo& t : model.tensors)
        if (!t.buffer && (t.offset == L.weight || t.offset == L.bias)) n += numel_of(t.shape);
    return n;
}

Status model_from_json(Model& model, const std::string& description, uint64_t seed, ModelUse use) {
    Model m;
    if (Status s = model_allocate(m, description, use); !s.ok()) return s;
    init_params(m, seed);
    model = std::move(m);
    return ok_status();
}

Status model_allocate(Model& model, const std::string& description, ModelUse use) {
    Model m;
    if (Status s = model_layout(m, description); !s.ok()) return s;
    m.use = use;
    const int64_t param_count = model_param_count(m), buffer_count = model_buffer_count(m);
    if (const int64_t bytes = model_memory_bytes(m, param_count, buffer_count, 1); bytes > kModelMemoryBudget)
        return error_status("model: the network would need " + megabytes(bytes) + " for its parameters and one picture's activations; a network may use at most " +
                            megabytes(kModelMemoryBudget));
    m.params.assign(size_t(param_count), 0.0f);
    if (use == ModelUse::training) m.grads.assign(size_t(param_count), 0.0f);
    m.buffers.assign(size_t(buffer_count), 0.0f);
    model = std::move(m);
    return ok_status();
}

std::string megabytes(int64_t bytes) { return to_string((bytes + (1 << 20) - 1) >> 20) + " MB"; }

int64_t model_memory_bytes(const Model& model, int64_t params, int64_t buffers, int n) {
    const bool training = model.use == ModelUse::training;
    int64_t per_sample = training ? numel_of(model.input_shape) : 0;  // dinput
    for (const Layer& L : model.layers) {
        const int64_t values = numel_of(L.out_shape);
        per_sample += training ? 2 * values : values;                     // acts (and dacts)
        if (L.kind == LayerKind::dropout || L.kind == LayerKind::maxpool) per_sample += values;  // mask, argmax
    }
    // training: parameters with their gradients and the optimizer's two running averages (Adam), 4 bytes a value
    return 4 * ((training ? 4 : 1) * params + buffers) + 4 * per_sample * int64_t(n);
}

int64_t layer_macs(const Layer& L) {
    switch (L.kind) {
        case LayerKind::conv:  // each output value: C/G input channels times the kernel's taps
            return numel_of(L.out_shape) * (L.in_shape[0] / L.conv.groups) * L.conv.rows.kernel * L.conv.cols.kernel;
        case LayerKind::conv_transpose:  // each input value spreads over OC/G channels times the kernel's taps
            return numel_of(L.in_shape) * (L.out_shape[0] / L.conv_transpose.groups) * L.conv_transpose.rows.kernel *
                   L.conv_transpose.cols.kernel;
        case LayerKind::linear: return numel_of(L.in_shape) * numel_of(L.out_shape);
        default: return 0;
    }
}

int64_t model_macs(const Model& model) {
    int64_t macs = 0;
    for (const Layer& L : model.layers) macs += layer_macs(L);
    return macs;
}

int64_t output_size(const Model& model) { return numel_of(model.layers.back().out_shape); }

int predicted_class(const float* scores, int K) {
    int best = 0;
    for (int k = 1; k < K; k++)
        if (scores[k] > scores[best]) best = k;  // ties: the first class
    return best;
}

void init_params(Model& model, uint64_t seed) {
    ParamInit init(seed);
    while (init_params_step(model, init, INT64_MAX)) {
    }
}

bool init_params_step(Model& model, ParamInit& init, int64_t values) {
    Rng& rng = init.rng;
    int64_t done = 0;
    auto uniform = [&](int64_t offset, int64_t count, float bound) {
        for (int64_t i = 0; i < count; i++) model.params[size_t(offset + i)] = (2.0f * rng.uniform() - 1.0f) * bound;
        done += count;
    };
    for (; init.layer < model.layers.size() && (done < values || done == 0); init.layer++) {
        const Layer& L = model.layers[init.layer];
        int64_t fan_in = 0, weights = 0, biases = L.out_shape.empty() ? 0 : L.out_shape[0];
        switch (L.kind) {
            case LayerKind::conv:
                fan_in = int64_t(L.in_shape[0] / L.conv.groups) * L.conv.rows.kernel * L.conv.cols.kernel;
                weights = fan_in * L.out_shape[0];
                break;
            case LayerKind::conv_transpose:  // PyTorch's fan_in is weight.size(1) * kernel area
                fan_in = int64_t(L.out_shape[0] / L.conv_transpose.groups) * L.conv_transpose.rows.kernel * L.conv_transpose.cols.kernel;
                weights = fan_in * L.in_shape[0];
                break;
            case LayerKind::linear:
                fan_in = L.in_shape[0];
                weights = fan_in * L.out_shape[0];
                break;
            case LayerKind::batchnorm:
            case LayerKind::instancenorm:
            case LayerKind::layernorm: {
                const int64_t n = L.kind == LayerKind::layernorm ? numel_of(L.in_shape) : L.in_shape[0];
                for (int64_t i = 0; L.weight >= 0 && i < n; i++) model.params[size_t(L.weight + i)] = 1.0f;
                for (int64_t i = 0; L.bias >= 0 && i < n; i++) model.params[size_t(L.bias + i)] = 0.0f;
                for (int64_t i = 0; L.running_mean >= 0 && i < n; i++) model.buffers[size_t(L.running_mean + i)] = 0.0f;
                for (int64_t i = 0; L.running_var >= 0 && i < n; i++) model.buffers[size_t(L.running_var + i)] = 1.0f;
                continue;
            }
            default:
                continue;
        }
        // kaiming_uniform_(a=sqrt(5)): gain sqrt(2/(1+5)), bound gain*sqrt(3/fan_in) = 1/sqrt(fan_in)
        const float bound = 1.0f / std::sqrt(float(fan_in));
        uniform(L.weight, weights, bound);
        if (L.bias >= 0) uniform(L.bias, biases, bound);
    }
    return init.layer < model.layers.size();
}

Status ensure_batch(Model& model, int n) {
    if (n < 1) return error_status("model: a batch needs at least one sample");
    if (n <= model.max_batch) return ok_status();
    if (n > kMaxBatch) return error_status("model: a batch of " + to_string(n) + " is more than " + to_string(kMaxBatch) + " pictures");
    if (const int64_t bytes = model_memory_bytes(model, int64_t(model.params.size()), int64_t(model.buffers.size()), n); bytes > kModelMemoryBudget)
        return error_status("model: a batch of " + to_string(n) + " would need " + megabytes(bytes) + " for this network; a network may use at most " +
                            megabytes(kModelMemoryBudget));
    const size_t layers = model.layers.size();
    const bool training = model.use == ModelUse::training;
    model.acts.resize(layers);
    model.dacts.resize(layers);
    model.aux.resize(layers);
    model.argmax.resize(layers);
    for (size_t i = 0; i < layers; i++) {
        const Layer& L = model.layers[i];
        const size_t values = size_t(numel_of(L.out_shape)) * size_t(n);
        model.acts[i].assign(values, 0.0f);
        model.dacts[i].assign(training ? values : 0, 0.0f);
        size_t aux = 0;
        switch (L.kind) {
            case LayerKind::dropout: aux = values; break;                        // mask
            case LayerKind::batchnorm: aux = 2 * size_t(L.in_shape[0]); break;  // mean, rstd per channel
            case LayerKind::layernorm: aux = 2 * size_t(n); break;              // mean, rstd per sample
            case LayerKind::instancenorm: aux = 2 * size_t(n) * size_t(L.in_shape[0]); break;
            default: break;
        }
        model.aux[i].assign(aux, 0.0f);
        model.argmax[i].assign(L.kind == LayerKind::maxpool ? values : 0, 0);
    }
    model.dinput.assign(training ? size_t(numel_of(model.input_shape)) * size_t(n) : 0, 0.0f);
    model.probs.assign(size_t(output_size(model)) * size_t(n), 0.0f);
    model.max_batch = n;
    return ok_status();
}

const float* model_forward(Model& model, const float* inp, int N, bool training) {
    model_forward_layers(model, inp, N, training, 0, int(model.layers.size()));
    return model.acts.back().data();
}

void model_forward_layers(Model& model, const float* inp, int N, bool training, int first, int last) {
    model.training = training;
    const float* P = model.params.data();
    for (size_t i = size_t(std::max(first, 0)); i < std::min(size_t(std::max(last, 0)), model.layers.size()); i++) {
        const Layer& L = model.layers[i];
        const float* x = L.source < 0 ? inp : model.acts[size_t(L.source)].data();  // (N, in_shape...)
        float* y = model.acts[i].data();                            // (N, out_shape...)
        const int64_t in_values = numel_of(L.in_shape) * N;
        const int C = L.in_shape[0], H = L.in_shape.size() == 3 ? L.in_shape[1] : 1, W = L.in_shape.size() == 3 ? L.in_shape[2] : 1;
        const float* weight = L.weight >= 0 ? P + L.weight : nullptr;
        const float* bias = L.bias >= 0 ? P + L.bias : nullptr;
        float* aux = model.aux[i].data();
        switch (L.kind) {
            case LayerKind::conv: {
                const ConvDevice& device = model.conv_device;
                if (!(device.forward && L.conv.groups == 1 &&
                      device.forward(device.context, i, y, x, weight, bias, N, C, H, W, L.out_shape[0], L.conv)))
                    conv2d_forward(y, x, weight, bias, N, C, H, W, L.out_shape[0], L.conv);
                break;
            }
            case LayerKind::conv_transpose:
                conv_transpose2d_forward(y, x, weight, bias, N, C, H, W, L.out_shape[0], L.conv_transpose);
                break;
            case LayerKind::maxpool: maxpool2d_forward(y, model.argmax[i].data(), x, N, C, H, W, L.pool); break;
            case LayerKind::avgpool: avgpool2d_forward(y, x, N, C, H, W, L.pool); break;
            case LayerKind::global_avgpool: global_avgpool_forward(y, x, N, C, H * W); break;
            case LayerKind::flatten: std::memcpy(y, x, size_t(in_values) * sizeof(float)); break;
            case LayerKind::linear: linear_forward(y, x, weight, bias, N, L.in_shape[0], L.out_shape[0]); break;
            case LayerKind::dropout:
                if (training) {
                    Rng rng(model.dropout_seed++);
                    dropout_forward(y, aux, x, in_values, L.p, rng);
                } else {
                    std::memcpy(y, x, size_t(in_values) * sizeof(float));
                }
                break;
            case LayerKind::relu: relu_forward(y, x, in_values); break;
            case LayerKind::leaky_relu: leaky_relu_forward(y, x, in_values, L.slope); break;
            case LayerKind::sigmoid: sigmoid_forward(y, x, in_values); break;
            case LayerKind::tanh: tanh_forward(y, x, in_values); break;
            case LayerKind::batchnorm: {
                float* rm = model.buffers.data() + L.running_mean;
                float* rv = model.buffers.data() + L.running_var;
                if (training) batchnorm2d_forward_train(y, aux, aux + C, rm, rv, x, weight, bias, N, C, H * W, L.eps, L.momentum);
                else batchnorm2d_forward_eval(y, x, weight, bias, rm, rv, N, C, H * W, L.eps);
                break;
            }
            case LayerKind::layernorm:
                layernorm_forward(y, aux, aux + N, x, weight, bias, N, int(numel_of(L.in_shape)), L.eps);
                break;
            case LayerKind::instancenorm:
                instancenorm2d_forward(y, aux, aux + int64_t(N) * C, x, weight, bias, N, C, H * W, L.eps);
                break;
            case LayerKind::add: add_forward(y, x, model.acts[size_t(L.with)].data(), in_values); break;
            case LayerKind::concat: {
                const Layer& other = model.layers[size_t(L.with)];
                concat_forward(y, x, model.acts[size_t(L.with)].data(), N, C, other.out_shape[0], H * W);
                break;
            }
            case LayerKind::silu: silu_forward(y, x, in_values); break;
            case LayerKind::adaptive_avgpool:
                adaptive_avgpool2d_forward(y, x, N, C, H, W, L.out_shape[1], L.out_shape[2]);
                break;
            case LayerKind::scale: {  // x is the gate (N,C); with's output the (N,C,H,W) it scales
                const std::vector<int>& map = L.out_shape;
                channel_scale_forward(y, model.acts[size_t(L.with)].data(), x, N, map[0], map[1] * map[2]);
                break;
            }
        }
    }
}

float model_loss(Model& model, const int32_t* labels, int N) {
    return softmax_cross_entropy_forward(model.probs.data(), model.acts.back().data(), labels, N, int(output_size(model)),
                                         model.label_smoothing);
}

void zero_grad(Model& model) { std::fill(model.grads.begin(), model.grads.end(), 0.0f); }

float model_train_step(Model& model, Optimizer& opt, const float* inp, const int32_t* labels, int N) {
    if (model.use != ModelUse::training) return std::nanf("");  // built for inference: nothing to train with
    zero_grad(model);
    model_forward(model, inp, N, true);
    const float loss = model_loss(model, labels, N);
    model_backward(model, inp, labels, N);
    optimizer_step(opt, model.params.data(), model.grads.data(), int64_t(model.params.size()));
    return loss;
}

void model_backward(Model& model, const float* inp, const int32_t* labels, int N, bool want_dinput) {
    if (model.use != ModelUse::training) return;
    std::vector<float>& dlogits = model.dacts.back();
    std::fill(dlogits.begin(), dlogits.begin() + int64_t(dlogits.size() / size_t(model.max_batch)) * N, 0.0f);
    softmax_cross_entropy_backward(dlogits.data(), model.probs.data(), labels, N, int(output_size(model)), model.label_smoothing);
    model_backward_from(model, inp, N, int(model.layers.size()) - 1, want_dinput);
}

void model_backward_from(Model& model, const float* inp, int N, int from, bool want_dinput) {
    if (model.use != ModelUse::training) return;  // built for inference: no gradients are kept
    for (int i = 0; i < from; i++) {
        std::vector<float>& d = model.dacts[size_t(i)];
        std::fill(d.begin(), d.begin() + int64_t(d.size() / size_t(model.max_batch)) * N, 0.0f);
    }
    if (want_dinput) std::fill(model.dinput.begin(), model.dinput.end(), 0.0f);
    const float* P = model.params.data();
    float* G = model.grads.data();
    for (size_t i = size_t(from) + 1; i-- > 0;) {
        const Layer& L = model.layers[i];
        const float* x = L.source < 0 ? inp : model.acts[size_t(L.source)].data();
        float* dx = L.source < 0 ? (want_dinput ? model.dinput.data() : nullptr) : model.dacts[size_t(L.source)].data();
        const float* y = model.acts[i].data();
        const float* dy = model.dacts[i].data();
        const int64_t in_values = numel_of(L.in_shape) * N;
        const int C = L.in_shape[0], H = L.in_shape.size() == 3 ? L.in_shape[1] : 1, W = L.in_shape.size() == 3 ? L.in_shape[2] : 1;
        const float* weight = L.weight >= 0 ? P + L.weight : nullptr;
        float* dweight = L.weight >= 0 ? G + L.weight : nullptr;
        float* dbias = L.bias >= 0 ? G + L.bias : nullptr;
        const float* aux = model.aux[i].data();
        switch (L.kind) {
            case LayerKind::conv: {
                const ConvDevice& device = model.conv_device;
                if (!(device.backward && L.conv.groups == 1 &&
                      device.backward(device.context, i, dx, dweight, dbias, dy, x, weight, N, C, H, W, L.out_shape[0], L.conv)))
                    conv2d_backward(dx, dweight, dbias, dy, x, weight, N, C, H, W, L.out_shape[0], L.conv);
                break;
            }
            case LayerKind::conv_transpose:
                conv_transpose2d_backward(dx, dweight, dbias, dy, x, weight, N, C, H, W, L.out_shape[0], L.conv_transpose);
                break;
            case LayerKind::linear: linear_backward(dx, dweight, dbias, dy, x, weight, N, L.in_shape[0], L.out_shape[0]); break;
            case LayerKind::batchnorm:
                if (model.training) batchnorm2d_backward(dx, dweight, dbias, dy, x, weight, aux, aux + C, N, C, H * W);
                else batchnorm2d_backward_eval(dx, dweight, dbias, dy, x, weight, model.buffers.data() + L.running_mean,
                                               model.buffers.data() + L.running_var, N, C, H * W, L.eps);
                break;
            case LayerKind::layernorm:
                layernorm_backward(dx, dweight, dbias, dy, x, weight, aux, aux + N, N, int(numel_of(L.in_shape)));
                break;
            case LayerKind::instancenorm:
                instancenorm2d_backward(dx, dweight, dbias, dy, x, weight, aux, aux + int64_t(N) * C, N, C, H * W);
                break;
            case LayerKind::add:
                add_backward(dx, model.dacts[size_t(L.with)].data(), dy, in_values);
                break;
            case LayerKind::concat: {
                const Layer& other = model.layers[size_t(L.with)];
                concat_backward(dx, model.dacts[size_t(L.with)].data(), dy, N, C, other.out_shape[0], H * W);
                break;
            }
            case LayerKind::scale: {
                const std::vector<int>& map = L.out_shape;
                channel_scale_backward(model.dacts[size_t(L.with)].data(), dx, dy, model.acts[size_t(L.with)].data(), x, N, map[0],
                                       map[1] * map[2]);
                break;
            }
            default: {
                if (!dx) break;  // the rest have no parameters: nothing to do without an input gradient
                switch (L.kind) {
                    case LayerKind::maxpool: maxpool2d_backward(dx, dy, model.argmax[i].data(), N, C, H, W, L.pool); break;
                    case LayerKind::avgpool: avgpool2d_backward(dx, dy, N, C, H, W, L.pool); break;
                    case LayerKind::global_avgpool: global_avgpool_backward(dx, dy, N, C, H * W); break;
                    case LayerKind::flatten: add_backward(dx, nullptr, dy, in_values); break;
                    case LayerKind::dropout:
                        if (model.training) dropout_backward(dx, dy, aux, in_values);
                        else add_backward(dx, nullptr, dy, in_values);  // eval: the identity
                        break;
                    case LayerKind::relu: relu_backward(dx, dy, y, in_values); break;
                    case LayerKind::leaky_relu: leaky_relu_backward(dx, dy, x, in_values, L.slope); break;
                    case LayerKind::sigmoid: sigmoid_backward(dx, dy, y, in_values); break;
                    case LayerKind::tanh: tanh_backward(dx, dy, y, in_values); break;
                    case LayerKind::silu: silu_backward(dx, dy, x, in_values); break;
                    case LayerKind::adaptive_avgpool:
                        adaptive_avgpool2d_backward(dx, dy, N, C, H, W, L.out_shape[1], L.out_shape[2]);
                        break;
                    default: break;
                }
            }
        }
    }
}

int64_t params_before_layer(const Model& model, int layer) {
    for (size_t i = size_t(std::max(layer, 0)); i < model.layers.size(); i++)
        if (model.layers[i].weight >= 0) return model.layers[i].weight;
        else if (model.layers[i].bias >= 0) return model.layers[i].bias;
    return int64_t(model.params.size());
}

NamedTensors model_state(const Model& model) {
    NamedTensors state;
    for (const ParamInfo& t : model.tensors) {
        Tensor v;
        v.shape = t.shape;
        const std::vector<float>& from = t.buffer ? model.buffers : model.params;
        v.data.assign(from.begin() + t.offset, from.begin() + t.offset + numel_of(t.shape));
        state.tensors.emplace_back(t.name, std::move(v));
    }
    return state;
}

Status load_model_state(Model& model, const NamedTensors& state) {
    for (const ParamInfo& t : model.tensors) {
        const Tensor* v = state.find(t.name);
        if (!v) {
            auto other = state.other_dtypes.find(t.name);
            if (other != state.other_dtypes.end())
                return error_status("tensor \"" + t.name + "\" has dtype " + other->second +
                                    "; CNN Lab needs float32 (F32): save it with .float()");
            return error_status("tensor \"" + t.name + "\" " + shape_string(t.shape) + " is missing from the file");
        }
        if (v->shape != t.shape)
            return error_status("tensor \"" + t.name + "\" has shape " + shape_string(v->shape) + " but the model needs " +
                                shape_string(t.shape));
    }
    for (const auto& [name, v] : state.tensors) {
        bool known = false;
        for (const ParamInfo& t : model.tensors) known = known || t.name == name;
        if (!known) return error_status("the file has a tensor \"" + name.substr(0, 60) + "\" that this model does not have");
    }
    // A weight that is not a finite number makes every output NaN: such a file is refused, not loaded
    // with a warning, because nothing could be learned or shown with it.
    for (const ParamInfo& t : model.tensors) {
        const Tensor* v = state.find(t.name);
        const int64_t bad = std::count_if(v->data.begin(), v->data.end(), [](float x) { return !std::isfinite(x); });
        if (bad > 0)
            return error_status("tensor \"" + t.name + "\" holds " + std::to_string(bad) + " of " + std::to_string(v->data.size()) +
                                " values that are not finite numbers (NaN or infinite): the network would only output NaN");
    }
    for (const ParamInfo& t : model.tensors) {  // everything checked: now copy
        std::vector<float>& to = t.buffer ? model.buffers : model.params;
        const Tensor* v = state.find(t.name);
        std::copy(v->data.begin(), v->data.end(), to.begin() + t.offset);
    }
    return ok_status();
}
