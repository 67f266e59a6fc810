// residual.cpp — Lab "Skip connections" (lesson notes 003 and 004: ResNet's y = F(x) + x and
// DenseNet's concatenation).
//
// A plain stack and a residual stack of the same depth, every convolution 8 channels of 3x3 with a
// ReLU: the gradient that reaches each layer at initialization, for a batch of Fashion-MNIST
// pictures, side by side (the plain stack's fades with depth, the residual one's does not); both
// trained side by side for a fixed number of steps (web/side_by_side.h). The residual block as the
// notes draw it. DenseNet: each layer's input is the concatenation of all the outputs before it,
// so channels grow by the growth rate, k0 + l·g, and so does the memory each layer needs.
// Exercises: channels after l dense layers; parameters of a residual block; a tiny block by hand.
//
// The numbers come from the engine: the stacks and the dense block are model descriptions
// (engine/model.h: conv, relu, add, concat), their shapes, gradients (model_backward) and memory
// the engine's; the parameter counts layer_params.h's.
//
// API (window.cnnlab.command / state), besides {"lab": "residual"}:
//   "blocks"        2..10: blocks of two convolutions after the first one (so 5..21 convolutions)
//   "first"         the first test picture of the batch of 32 the gradients are measured on
//   "dense"         {"k0": 1..64, "growth": 1..48, "layers": 1..12}: the dense block
//   "train": true   trains the plain and the residual stack side by side (SGD, momentum 0.9, rate 0.05:
//                   Adam would scale each weight's step up to hide the fading gradient); "train_steps" 100..4000
//   "new_exercise", "seed", "hint", "answer" (a number), "reset"
// State adds: "gradient_norms" {"plain": [...], "residual": [...]} (the L2 norm of each convolution's
// weight gradient, first layer first), "ratio" (the first layer's norm over the last's, each stack),
// "dense_layers" [{"layer", "in_channels", "out_channels", "input_kilobytes"}] (per picture, float32),
// "training" (side_by_side.h's state), "source", "loading", "note", and the exercise record (lab_kit.h).
// Events: "exercise-new", "answer", "hint", "progress", "trained".
#include <algorithm>
#include <cmath>

#include <imgui.h>

#include "../../engine/data.h"
#include "../../engine/layer_params.h"
#include "../../engine/model.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../side_by_side.h"
#include "../widgets.h"

namespace {

constexpr int kWidth = 8;     // channels of every convolution of the stacks
constexpr int kBatch = 32;    // pictures the gradients are measured on

struct Dense {
    int k0 = 16, growth = 12, layers = 6;
    bool operator==(const Dense&) const = default;
};

struct Settings {
    int blocks = 6;           // blocks of two convolutions after the first convolution
    int first = 0;            // the first test picture of the batch
    Dense dense;
    int train_steps = 1000;
    bool operator==(const Settings&) const = default;
};

enum class Kind { dense, params, block };  // the three kinds of exercise

struct ResidualLab {
    Settings settings;
    // Derived by recompute(), from the engine.
    Settings computed_for;
    int data_version = -1;
    std::vector<double> plain_norms, residual_norms;  // (1 + 2 * blocks) each
    json dense_layers = json::array();
    std::string message;
    // The exercise.
    ExerciseRecord record;
    Kind kind = Kind::dense;
    Pending pending;
    bool train_requested = false;
    // UI only
    char answer_text[32] = "";
    std::string ui_note;
};

// ---------------------------------------------------------------------------------------------
// The networks, as descriptions.

// "x3": a layer's name (built by appending, which GCC 12 does not misread as an overlapping copy).
std::string layer_name(const char* prefix, int index) {
    std::string name = prefix;
    name += std::to_string(index);
    return name;
}

// The first convolution (then 4x4 average pooling, to 7x7) and `blocks` blocks of two more, each
// followed by a ReLU; residual: each block's output is ReLU(conv(ReLU(conv(x))) + x). Then global
// average pooling and a linear layer.
std::string stack_json(int blocks, bool residual) {
    json layers = json::array();
    auto conv = [&](const std::string& name) { layers.push_back({{"type", "conv"}, {"name", name}, {"out", kWidth}, {"kernel", 3}, {"padding", 1}}); };
    conv("conv0");
    layers.push_back({{"type", "relu"}});
    layers.push_back({{"type", "avgpool"}, {"kernel", 4}, {"name", "x0"}});  // 28x28 -> 7x7: the blocks work on small planes
    for (int b = 1; b <= blocks; b++) {
        conv(layer_name("conv", 2 * b - 1));
        layers.push_back({{"type", "relu"}});
        conv(layer_name("conv", 2 * b));
        if (residual) layers.push_back({{"type", "add"}, {"with", layer_name("x", b - 1)}});
        layers.push_back({{"type", "relu"}, {"name", layer_name("x", b)}});
    }
    layers.push_back({{"type", "global_avgpool"}});
    layers.push_back({{"type", "linear"}, {"name", "fc"}, {"out", 10}});
    return json{{"input", {1, 28, 28}}, {"layers", layers}}.dump();
}

// A dense block: a first convolution to k0 channels, then `layers` convolutions of `growth`
// channels, each one's output concatenated to everything before it.
std::string dense_json(const Dense& d) {
    json layers = json::array();
    layers.push_back({{"type", "conv"}, {"name", "stem"}, {"out", d.k0}, {"kernel", 3}, {"padding", 1}});
    layers.push_back({{"type", "relu"}, {"name", "c0"}});
    for (int l = 1; l <= d.layers; l++) {
        layers.push_back({{"type", "conv"}, {"out", d.growth}, {"kernel", 3}, {"padding", 1}});
        layers.push_back({{"type", "relu"}});
        layers.push_back({{"type", "concat"}, {"with", layer_name("c", l - 1)}, {"name", layer_name("c", l)}});
    }
    layers.push_back({{"type", "global_avgpool"}});
    layers.push_back({{"type", "linear"}, {"out", 10}});
    return json{{"input", {1, 28, 28}}, {"layers", layers}}.dump();
}

// ---------------------------------------------------------------------------------------------
// The pictures: Fashion-MNIST's test set once here, built-in ones until then.

struct Pictures {
    const LoadedDataset* data = nullptr;
    bool asked = false;
    std::string note;
    int version = 0;
};
Pictures& pictures() {
    static Pictures p;
    return p;
}

void batch(std::vector<float>& images, std::vector<int32_t>& labels, int first) {
    images.assign(size_t(kBatch) * 784, 0.0f);
    labels.assign(size_t(kBatch), 0);
    const Pictures& p = pictures();
    for (int i = 0; i < kBatch; i++) {
        if (p.data && p.data->error.empty()) {
            const int index = (first + i) % p.data->test.count;
            picture_values(&images[size_t(i) * 784], p.data->test, index);
            labels[size_t(i)] = p.data->test.labels[size_t(index)];
            continue;
        }
        const float cy = 8.0f + float(i * 7 % 13), cx = 6.0f + float(i * 5 % 17);  // a bright square that moves
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) images[size_t(i) * 784 + size_t(y * 28 + x)] = std::fabs(y - cy) < 5 && std::fabs(x - cx) < 5 ? 1.0f : 0.0f;
        labels[size_t(i)] = i % 10;
    }
}

// The L2 norm of each convolution's weight gradient, first layer first, for one batch at initialization.
Status gradient_norms(std::vector<double>& norms, const std::string& description, const std::vector<float>& images,
                      const std::vector<int32_t>& labels) {
    Model model;
    Status s = model_from_json(model, description, 3);
    if (s.ok()) s = ensure_batch(model, kBatch);
    if (!s.ok()) return s;
    model_forward(model, images.data(), kBatch, true);
    (void)model_loss(model, labels.data(), kBatch);
    zero_grad(model);
    model_backward(model, images.data(), labels.data(), kBatch);
    norms.clear();
    for (const Layer& L : model.layers) {
        if (L.kind != LayerKind::conv) continue;
        const int64_t n = int64_t(L.out_shape[0]) * L.in_shape[0] * 9;  // (OC, C, 3, 3)
        double sq = 0;
        for (int64_t i = 0; i < n; i++) sq += double(model.grads[size_t(L.weight + i)]) * model.grads[size_t(L.weight + i)];
        norms.push_back(std::sqrt(sq));
    }
    return ok_status();
}

void recompute(ResidualLab& lab) {
    const Settings& s = lab.settings;
    if (lab.computed_for == s && lab.data_version == pictures().version && !lab.plain_norms.empty()) return;
    lab.computed_for = s;
    lab.data_version = pictures().version;
    lab.message.clear();
    std::vector<float> images;
    std::vector<int32_t> labels;
    batch(images, labels, s.first);
    Status st = gradient_norms(lab.plain_norms, stack_json(s.blocks, false), images, labels);
    if (st.ok()) st = gradient_norms(lab.residual_norms, stack_json(s.blocks, true), images, labels);
    // the dense block's shapes, from the engine's model
    Model dense;
    if (st.ok()) st = model_from_json(dense, dense_json(s.dense), 1);
    lab.dense_layers = json::array();
    if (st.ok()) {
        int l = 0;
        for (size_t i = 0; i < dense.layers.size(); i++) {
            const Layer& L = dense.layers[i];
            if (L.kind != LayerKind::conv || i == 0) continue;
            l++;
            const int64_t in = L.in_shape[0], values = int64_t(L.in_shape[0]) * L.in_shape[1] * L.in_shape[2];
            lab.dense_layers.push_back({{"layer", l}, {"in_channels", in}, {"out_channels", L.out_shape[0]},
                                        {"input_kilobytes", double(values) * 4.0 / 1024.0}});
        }
    }
    if (!st.ok()) lab.message = st.message;
}

// ---------------------------------------------------------------------------------------------
// The side-by-side training of the two stacks.

struct Training {
    SideBySide race;
    bool wanted = false;
    std::string note;
};
Training g_training;

void start_training(const Settings& s) {
    const Pictures& p = pictures();
    if (!p.data || !p.data->error.empty()) {
        g_training.wanted = true;
        g_training.note = "waiting for Fashion-MNIST";
        return;
    }
    g_training.wanted = false;
    // plain SGD: Adam rescales every weight's step by its own gradient's size, which hides a fading gradient
    const TrainRecipe recipe = {.optimizer = {.kind = OptimizerKind::sgd, .lr = 0.05f, .momentum = 0.9f}, .batch = 32, .epochs = 1, .seed = 9};
    g_training.note = side_by_side_start(g_training.race, {{"plain", stack_json(s.blocks, false)}, {"residual", stack_json(s.blocks, true)}},
                                         recipe, s.train_steps, 3);
}

json training_json() {
    json j = side_by_side_json(g_training.race);
    if (g_training.wanted) j["state"] = "loading";
    else if (!g_training.note.empty()) j["state"] = "unavailable";
    j["note"] = text_or_null(g_training.note);
    return j;
}

// ---------------------------------------------------------------------------------------------
// The exercises.

void new_exercise(ResidualLab& lab, uint64_t seed) {
    Rng rng(seed);
    lab.kind = Kind(rng.uniform_int(0, 2));
    json x;
    if (lab.kind == Kind::dense) {
        static const int k0s[] = {16, 24, 32, 64}, growths[] = {12, 16, 24, 32};
        const int k0 = k0s[rng.uniform_int(0, 3)], g = growths[rng.uniform_int(0, 3)], l = rng.uniform_int(2, 8);
        x = {{"kind", "dense"}, {"k0", k0}, {"growth", g}, {"layers", l}};
        x["question"] = "A dense block starts with " + std::to_string(k0) + " channels and has growth rate " + std::to_string(g) +
                        ". How many channels come out after " + std::to_string(l) + " layers (everything concatenated)?";
    } else if (lab.kind == Kind::params) {
        static const int channels[] = {16, 32, 64, 128};
        const int c_in = channels[rng.uniform_int(0, 3)];
        const bool projection = rng.uniform() < 0.5f;
        const int c_out = projection ? c_in * 2 : c_in;
        x = {{"kind", "params"}, {"in_channels", c_in}, {"out_channels", c_out}, {"projection", projection}};
        x["question"] = "A residual block: two 3x3 convolutions with biases, " + std::to_string(c_in) + " channels in, " + std::to_string(c_out) +
                        " out" + (projection ? ", and a 1x1 convolution (with bias) on the skip to match them" : ", the skip the identity") +
                        ". How many parameters?";
    } else {
        int x0 = 1, w1 = 1, w2 = 1;
        for (int attempt = 0; attempt < 200; attempt++) {  // no zeros; where it can, each mistake gives its own answer
            const int v = rng.uniform_int(-3, 3), a1 = rng.uniform_int(-2, 3), a2 = rng.uniform_int(-3, 2);
            if (v == 0 || a1 == 0 || a2 == 0) continue;
            x0 = v;
            w1 = a1;
            w2 = a2;
            const int h = std::max(0, w1 * x0), right = std::max(0, w2 * h + x0);
            const int a = std::max(0, w2 * h), b = std::max(0, w2 * w1 * x0 + x0), c = w2 * h + x0;
            if (a != right && b != right && c != right && a != b && a != c && b != c) break;
        }
        x = {{"kind", "block"}, {"x", x0}, {"w1", w1}, {"w2", w2}};
        x["question"] = "A tiny residual block on one number: y = ReLU(w2 · ReLU(w1 · x) + x), with x = " + std::to_string(x0) +
                        ", w1 = " + std::to_string(w1) + ", w2 = " + std::to_string(w2) + ". What is y?";
    }
    lab.record.start(x, seed, lab.pending);
    lab.answer_text[0] = 0;
}

// The parameters of a conv layer, from the engine's count.
int64_t conv_parameters(int c_in, int c_out, int k) {
    LayerParams p;
    return conv2d_params(p, c_in, c_out, k, k, 1, true).ok() ? p.total : 0;
}

int64_t expected_answer(const ResidualLab& lab) {
    const json& x = lab.record.exercise;
    if (lab.kind == Kind::dense) return x["k0"].get<int64_t>() + x["layers"].get<int64_t>() * x["growth"].get<int64_t>();
    if (lab.kind == Kind::params) {
        const int ci = x["in_channels"], co = x["out_channels"];
        return conv_parameters(ci, co, 3) + conv_parameters(co, co, 3) + (x["projection"].get<bool>() ? conv_parameters(ci, co, 1) : 0);
    }
    const int v = x["x"], w1 = x["w1"], w2 = x["w2"];
    return std::max(0, w2 * std::max(0, w1 * v) + v);
}

std::vector<MistakeAnswer> exercise_mistakes(const ResidualLab& lab) {
    const json& x = lab.record.exercise;
    if (lab.kind == Kind::dense) {
        const int64_t k0 = x["k0"], g = x["growth"], l = x["layers"];
        return {{"initial-channels-forgotten", l * g,
                 "You counted only what the layers added. The block's first " + std::to_string(k0) + " channels are concatenated too: k0 + l·g."},
                {"one-layer-off", k0 + (l - 1) * g, "You counted one layer too few: each of the " + std::to_string(l) + " layers adds " +
                                                        std::to_string(g) + " channels."},
                {"one-layer-off", k0 + (l + 1) * g, "You counted one layer too many: " + std::to_string(l) + " layers add " +
                                                        std::to_string(l) + " × " + std::to_string(g) + "."},
                {"growth-added-once", k0 + g, "You added the growth rate once. Every layer's output stays: after " + std::to_string(l) +
                                                  " layers, k0 + " + std::to_string(l) + "·g."}};
    }
    if (lab.kind == Kind::params) {
        const int ci = x["in_channels"], co = x["out_channels"];
        const bool projection = x["projection"];
        const int64_t right = expected_answer(lab), skip = projection ? conv_parameters(ci, co, 1) : 0;
        const int64_t no_bias = int64_t(ci) * co * 9 + int64_t(co) * co * 9 + (projection ? int64_t(ci) * co : 0);
        std::vector<MistakeAnswer> list = {
            {"one-conv-only", conv_parameters(ci, co, 3) + skip, "You counted one convolution. The block has two: F(x) = conv(ReLU(conv(x)))."},
            {"bias-forgotten", no_bias, "You left out the biases: each convolution has one per output channel."}};
        if (projection)
            list.push_back({"projection-forgotten", right - skip,
                            "You left out the 1x1 convolution on the skip: " + std::to_string(ci) + " × " + std::to_string(co) + " + " +
                                std::to_string(co) + " = " + std::to_string(skip) + " parameters that make x fit F(x)."});
        else
            list.push_back({"identity-counted", right + int64_t(ci) * co,
                            "You gave the skip weights. An identity skip adds x as it is: it has no parameters."});
        return list;
    }
    const int v = x["x"], w1 = x["w1"], w2 = x["w2"], h = std::max(0, w1 * v);
    return {{"skip-left-out", std::max(0, w2 * h), "You left out the skip: y = ReLU(F(x) + x), and F(x) = " + std::to_string(w2 * h) +
                                                       " is only part of it; x = " + std::to_string(v) + " comes back in."},
            {"inner-relu-left-out", std::max(0, w2 * w1 * v + v), "You left out the ReLU inside F: ReLU(w1 · x) = ReLU(" +
                                                                     std::to_string(w1 * v) + ") = " + std::to_string(h) + "."},
            {"outer-relu-left-out", w2 * h + v, "You left out the last ReLU, after the sum: ReLU(" + std::to_string(w2 * h + v) + ")."}};
}

HintLadder exercise_hints(const ResidualLab& lab) {
    const json& x = lab.record.exercise;
    if (lab.kind == Kind::dense) {
        const int k0 = x["k0"], g = x["growth"], l = x["layers"];
        return {"In a dense block every layer's output is concatenated to its input, and kept: after l layers there are k0 + l·g channels.",
                "Here k0 = " + std::to_string(k0) + " and each of the " + std::to_string(l) + " layers adds g = " + std::to_string(g) + ".",
                "The layers add " + std::to_string(l) + " × " + std::to_string(g) + " = " + std::to_string(l * g) + ". One step is left."};
    }
    if (lab.kind == Kind::params) {
        const int ci = x["in_channels"], co = x["out_channels"];
        return {"A k×k convolution from C_in to C_out channels has C_out·C_in·k·k weights and C_out biases. A residual block has two, "
                "and a 1x1 convolution on the skip only when the shapes differ.",
                "The first: " + std::to_string(co) + "·" + std::to_string(ci) + "·3·3 + " + std::to_string(co) + " = " +
                    std::to_string(conv_parameters(ci, co, 3)) + ".",
                "The second: " + std::to_string(conv_parameters(co, co, 3)) + (x["projection"].get<bool>()
                                                                                  ? "; the skip's 1x1: " + std::to_string(conv_parameters(ci, co, 1))
                                                                                  : "; the identity skip: none") +
                    ". Add them up."};
    }
    const int v = x["x"], w1 = x["w1"], w2 = x["w2"];
    return {"y = ReLU(F(x) + x) with F(x) = w2 · ReLU(w1 · x): the block computes F, adds its input back, then the last ReLU.",
            "ReLU(w1 · x) = ReLU(" + std::to_string(w1) + " · " + std::to_string(v) + ") = " + std::to_string(std::max(0, w1 * v)) + ".",
            "F(x) = " + std::to_string(w2) + " · " + std::to_string(std::max(0, w1 * v)) + " = " + std::to_string(w2 * std::max(0, w1 * v)) +
                "; F(x) + x = " + std::to_string(w2 * std::max(0, w1 * v) + v) + ". One step is left."};
}

std::string check_answer(ResidualLab& lab, const json& given) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    if (!given.is_number_integer()) return "\"answer\" must be a whole number";
    const int64_t expected = expected_answer(lab);
    const bool right = given.get<int64_t>() == expected;
    std::string feedback = right ? "Right: " + std::to_string(expected) + "." : "Not quite: " + std::to_string(expected) + ".";
    const json mistake = right ? json(nullptr) : name_mistake(given, expected, exercise_mistakes(lab), feedback);
    if (!right && mistake["id"] != "other") feedback = "Not quite. " + mistake["text"].get<std::string>();
    lab.record.checked(right, expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State and commands.

const Field<Settings> kSettingFields[] = {
    whole_field("blocks", &Settings::blocks, 2, 10),
    whole_field("first", &Settings::first, 0, 9000),
    {"dense",
     [](const json& f, Settings& s) {
         if (!f.contains("dense")) return std::string();
         const json& d = f["dense"];
         if (!d.is_object()) return std::string("\"dense\" must be {\"k0\": 1..64, \"growth\": 1..48, \"layers\": 1..12}");
         Dense next = s.dense;
         std::string e = read_int(d, "k0", 1, 64, next.k0);
         if (e.empty()) e = read_int(d, "growth", 1, 48, next.growth);
         if (e.empty()) e = read_int(d, "layers", 1, 12, next.layers);
         if (e.empty()) e = check_fields(d, {"k0", "growth", "layers"}, {});
         if (!e.empty()) return "\"dense\": " + e;
         s.dense = next;
         return std::string();
     },
     [](const Settings& s) { return json{{"k0", s.dense.k0}, {"growth", s.dense.growth}, {"layers", s.dense.layers}}; }},
    whole_field("train_steps", &Settings::train_steps, 100, 4000),
};

json training_json();

const Output<ResidualLab> kOutputs[] = {
    {"gradient_norms", [](const ResidualLab& lab) { return json{{"plain", lab.plain_norms}, {"residual", lab.residual_norms}}; }},
    {"ratio",
     [](const ResidualLab& lab) {
         auto ratio = [](const std::vector<double>& v) { return v.empty() || v.back() == 0 ? 0.0 : v.front() / v.back(); };
         return json{{"plain", ratio(lab.plain_norms)}, {"residual", ratio(lab.residual_norms)}};
     }},
    {"dense_layers", [](const ResidualLab& lab) { return lab.dense_layers; }},
    {"training", [](const ResidualLab&) { return training_json(); }},
    {"source", [](const ResidualLab&) {
         return json(pictures().data && pictures().data->error.empty() ? "Fashion-MNIST test pictures" : "built-in pictures");
     }},
    {"loading", [](const ResidualLab&) { return json(dataset_loading("fashion") >= 0); }},
    {"note", [](const ResidualLab&) { return text_or_null(pictures().note); }},
    {"message", [](const ResidualLab& lab) { return text_or_null(lab.message); }},
};

ResidualLab g_lab;

void ask_for_pictures() {
    Pictures& p = pictures();
    if (p.asked) return;
    p.asked = true;
    p.note = "Fashion-MNIST is on its way: built-in pictures stand in.";
    request_dataset("residual", "fashion");
}

void residual_dataset(const LoadedDataset& data) {
    Pictures& p = pictures();
    if (data.name != "fashion") return;
    if (!data.error.empty()) {
        p.note = "Fashion-MNIST could not be loaded (" + data.error + "): built-in pictures stand in.";
        return;
    }
    p.data = &data;
    p.note.clear();
    p.version++;
    if (g_training.wanted) start_training(g_lab.settings);
}

bool residual_work(double budget_ms) {
    const Pictures& p = pictures();
    if (!p.data || !g_training.race.running) return false;
    const bool more = side_by_side_work(g_training.race, p.data->train, p.data->test, budget_ms);
    if (!more) post_event("trained");
    return more;
}

json residual_state() {
    ask_for_pictures();
    recompute(g_lab);
    json s;
    write_fields(s, kSettingFields, g_lab.settings);
    write_outputs(s, kOutputs, g_lab);
    g_lab.record.write(s);
    return s;
}

std::string apply_command(ResidualLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, {"reset", "train", "new_exercise", "seed", "hint", "answer"}, kOutputs); !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) {
        const ExerciseRecord kept = lab.record;
        lab = ResidualLab{};
        lab.record.answered = kept.answered;  // the score is the student's, kept across resets
        lab.record.correct = kept.correct;
        lab.record.mistakes = kept.mistakes;
    }
    Settings s = lab.settings;
    if (!(e = read_fields(f, kSettingFields, s)).empty()) return e;
    lab.settings = s;
    bool train = false;
    if (!(e = read_bool(f, "train", train)).empty()) return e;
    if (train) lab.train_requested = true;
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, exercise_hints)).empty()) return e;
    if (f.contains("answer") && !(e = check_answer(lab, f["answer"])).empty()) return e;
    return "";
}

void start_training_if_asked(ResidualLab& lab) {
    if (!lab.train_requested) return;
    lab.train_requested = false;
    start_training(lab.settings);
}

std::string residual_command(const json& fields) {
    ask_for_pictures();
    return command_on_copy("residual", g_lab, fields, apply_command, start_training_if_asked);
}

// ---------------------------------------------------------------------------------------------
// Drawing.

void ui_command(const json& fields) {
    std::string e = residual_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

void draw_settings(ResidualLab& lab) {
    Settings s = lab.settings;
    ImGui::TextDisabled("THE STACKS");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("blocks", &s.blocks, 2, 10)) ui_command({{"blocks", s.blocks}});
    ImGui::TextWrapped("%d convolutions of %d channels, 3x3, each followed by a ReLU: the first, then %d blocks of two.", 1 + 2 * s.blocks,
                       kWidth, s.blocks);
    ImGui::Spacing();
    ImGui::TextDisabled("THE DENSE BLOCK");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("k0", &s.dense.k0, 1, 64)) ui_command({{"dense", {{"k0", s.dense.k0}}}});
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("growth g", &s.dense.growth, 1, 48)) ui_command({{"dense", {{"growth", s.dense.growth}}}});
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("layers", &s.dense.layers, 1, 12)) ui_command({{"dense", {{"layers", s.dense.layers}}}});
    ImGui::Spacing();
    ImGui::TextWrapped("%s", pictures().data && pictures().data->error.empty() ? "Gradients measured on 32 Fashion-MNIST test pictures."
                                                                               : "Gradients measured on 32 built-in pictures.");
    if (!pictures().note.empty()) ImGui::TextWrapped("%s", pictures().note.c_str());
    if (!lab.ui_note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.ui_note.c_str());
}

void draw_gradients(ResidualLab& lab) {
    if (!lab.message.empty()) {
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.message.c_str());
        return;
    }
    ImGui::TextUnformatted("The residual block:  x -> conv -> BN -> ReLU -> conv -> BN -> (+ x) -> ReLU");
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("with a 1x1 convolution on the skip when F(x) has another shape than x. The stacks here leave batch norm out, "
                       "to show the gradient without its help: x -> conv -> ReLU -> conv -> (+ x) -> ReLU.");
    ImGui::PopStyleColor();
    ImGui::Spacing();
    ImGui::TextUnformatted("How much gradient reaches each convolution at initialization (log scale, first layer on the left):");
    auto logs = [](const std::vector<double>& v) {
        std::vector<float> out;
        for (double x : v) out.push_back(float(std::log10(std::max(x, 1e-12))));
        return out;
    };
    std::vector<float> plain = logs(lab.plain_norms), residual = logs(lab.residual_norms);
    float lo = 0, hi = -12;
    for (const auto* v : {&plain, &residual})
        for (float x : *v) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
        }
    for (auto* v : {&plain, &residual})  // bars up from the smallest: the taller, the more gradient
        for (float& x : *v) x -= lo - 0.5f;
    hi -= lo - 0.5f;
    lo = 0.5f;
    const ImVec2 size(std::min(ImGui::GetFontSize() * 18, (ImGui::GetContentRegionAvail().x - 20) / 2), ImGui::GetFontSize() * 6);
    ImGui::BeginGroup();
    ImGui::TextUnformatted("plain stack");
    ImGui::PlotHistogram("##plain", plain.data(), int(plain.size()), 0, nullptr, lo - 0.5f, hi + 0.5f, size);
    ImGui::Text("first layer / last layer: %.3g", lab.plain_norms.front() / std::max(lab.plain_norms.back(), 1e-30));
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("residual stack");
    ImGui::PlotHistogram("##residual", residual.data(), int(residual.size()), 0, nullptr, lo - 0.5f, hi + 0.5f, size);
    ImGui::Text("first layer / last layer: %.3g", lab.residual_norms.front() / std::max(lab.residual_norms.back(), 1e-30));
    ImGui::EndGroup();
    ui_anchor("gradients");
    ImGui::TextWrapped("Each block of the plain stack multiplies the gradient on its way back, and with these weights it shrinks: the "
                       "first layers learn slowly. The skip adds the gradient past each block unchanged, so it reaches the first layer whole.");
}

void draw_dense(ResidualLab& lab) {
    ImGui::Separator();
    ImGui::TextDisabled("DENSENET: CONCATENATE, DO NOT ADD");
    ImGui::TextWrapped("Each layer's input is every output before it, side by side: channels grow by g per layer, k0 + l·g, and each "
                       "layer keeps all of them in memory.");
    if (ImGui::BeginTable("dense", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
        ImGui::TableSetupColumn("layer");
        ImGui::TableSetupColumn("channels in");
        ImGui::TableSetupColumn("adds");
        ImGui::TableSetupColumn("its input, per 28x28 picture");
        ImGui::TableHeadersRow();
        for (const json& row : lab.dense_layers) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::Text("%d", row["layer"].get<int>());
            ImGui::TableNextColumn();
            ImGui::Text("%d", row["in_channels"].get<int>());
            ImGui::TableNextColumn();
            ImGui::Text("%d", row["out_channels"].get<int>());
            ImGui::TableNextColumn();
            ImGui::Text("%.1f KB", row["input_kilobytes"].get<double>());
        }
        ImGui::EndTable();
    }
}

void draw_training(ResidualLab& lab) {
    ImGui::Separator();
    ImGui::TextDisabled("TRAINED SIDE BY SIDE");
    const json t = training_json();
    const std::string state = t["state"];
    if (state == "training") {
        ImGui::Text("Training: step %d of %d, %.1f s", t["steps_done"].get<int>(), t["steps"].get<int>(), t["seconds"].get<double>());
    } else if (state == "loading") {
        ImGui::TextUnformatted("Waiting for Fashion-MNIST...");
    } else {
        if (ImGui::Button(state == "done" ? "Train again" : "Train both")) ui_command({{"train", true}});
        ui_anchor("train");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        int steps = lab.settings.train_steps;
        if (ImGui::SliderInt("steps each (SGD, batch 32)", &steps, 100, 4000)) ui_command({{"train_steps", steps}});
    }
    const float w = std::min(ImGui::GetFontSize() * 16, (ImGui::GetContentRegionAvail().x - 20) / 2);
    int i = 0;
    for (const json& c : t["contenders"]) {
        if (i++) ImGui::SameLine();
        ImGui::BeginGroup();
        const std::vector<float> curve = c["curve"];
        ImGui::PlotLines(("##" + c["name"].get<std::string>()).c_str(), curve.data(), int(curve.size()), 0, c["name"].get<std::string>().c_str(),
                         0.0f, 2.5f, ImVec2(w, ImGui::GetFontSize() * 4));
        if (c["test_accuracy"].is_number()) ImGui::Text("test accuracy %.1f%%", 100.0 * c["test_accuracy"].get<double>());
        ImGui::EndGroup();
    }
}

void draw_exercise(ResidualLab& lab) {
    ImGui::Separator();
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) ui_command({{"new_exercise", true}});
    if (!lab.record.open()) return;
    ImGui::TextWrapped("%s", lab.record.exercise["question"].get<std::string>().c_str());
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    const bool enter = ImGui::InputText("##answer", lab.answer_text, sizeof lab.answer_text,
                                        ImGuiInputTextFlags_CharsDecimal | ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer");
    ImGui::SameLine();
    const bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (check || enter) {
        char* end = nullptr;
        const long long v = std::strtoll(lab.answer_text, &end, 10);
        if (end == lab.answer_text) lab.ui_note = "Type a whole number first.";
        else ui_command({{"answer", int64_t(v)}});
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) ui_command({{"hint", true}});
}

void residual_draw() {
    ResidualLab& lab = g_lab;
    ask_for_pictures();
    recompute(lab);
    lab_intro("Skip connections",
              "A residual block adds its input back to what it computed: y = F(x) + x. On the way back the gradient takes the "
              "same shortcut, so a deep stack still learns at its first layers. DenseNet goes further and keeps every output, "
              "concatenated.");
    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 13, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    recompute(lab);
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    draw_gradients(lab);
    draw_exercise(lab);
    draw_training(lab);
    draw_dense(lab);
    ImGui::EndChild();
    commit("residual", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "residual", .name = "Skip connections",
                    .summary = "Plain and residual stacks side by side: the gradient each layer gets, training; DenseNet's growing channels.",
                    .draw = residual_draw, .state = residual_state, .command = residual_command, .on_dataset = residual_dataset,
                    .work = residual_work, .teaches = {"skip-connections", "Skip connections"});
