// nonlinearity.cpp — Lab "Why a nonlinearity" (lesson note 004: convolutions stacked with nothing
// between them are still one linear map).
//
// Two kernels applied one after the other to a photo in grey. With nothing between them they are
// one convolution, whose kernel is the two kernels multiplied like polynomials' coefficients
// (k[u,v] = sum over a+c = u, b+d = v of k1[a,b] k2[c,d], (K1 + K2 - 1) a side): the lab computes
// both ways with the engine's conv2d and shows they agree to rounding. With a ReLU between them no
// single kernel does the same: the lab fits the best one by least squares and shows what it misses.
// Then the same on real data: a deep network with no activations, trained on Fashion-MNIST, ends
// where a linear classifier ends; the same network with ReLUs does better (the three trained side
// by side in the page, web/side_by_side.h).
// Exercise: compose two small 1D kernels into one.
//
// The numbers come from the engine: conv2d, relu_forward (engine/conv.h, ops.h), compose_kernels
// and fit_kernel (engine/kernel_algebra.h). This file decides what to show.
//
// API (window.cnnlab.command / state), besides {"lab": "nonlinearity"}:
//   "kernel1", "kernel2"   rows of numbers, each at most 5 x 5, |weight| <= 100
//   "preset1", "preset2"   a kernel by name: "identity", "sobel-x", "sobel-y", "blur", "sharpen", "laplacian"
//   "between"              "nothing" or "relu": what sits between the two convolutions
//   "photo"                one of the photos shipped with the app (a built-in picture stands in until it is here)
//   "train": true          trains the three networks side by side (Fashion-MNIST is fetched first);
//   "train_steps"          steps each takes (100..6000, batch 32)
//   "new_exercise", "seed" a random exercise (the same for the same seed); "hint": true; "answer": [numbers],
//                          the composed 1D kernel; "reset": true
// State adds: "composed" (the one kernel k1 and k2 make, rows), "two_layers" {"rms"} (the output's
// size), "one_layer" {"kernel", "largest_difference", "rms_error", "relative_error"}: with nothing
// between, the composed kernel and how far one layer is from two (rounding); with a ReLU, the best
// single kernel and what it misses; "picture" (the photo's name, or "built-in"), "loading" (the photo
// is on its way), "note";
// "training" {"state": "idle" | "loading" | "training" | "done" | "unavailable", "note", "steps",
// "steps_done", "seconds", "contenders": [{"name": "linear" | "deep-linear" | "deep-relu",
// "parameters", "curve" (mean loss of every 10 steps), "last_loss", "test_accuracy", "diverged"}]}; the exercise
// record (lab_kit.h: exercise {kernel1, kernel2, seed}, score, last_answer, mistakes, hints).
// Events: "exercise-new", "answer", "hint", "progress" (app.h).
#include <algorithm>
#include <cmath>

#include <imgui.h>

#include "../../engine/conv.h"
#include "../../engine/kernel_algebra.h"
#include "../../engine/ops.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../side_by_side.h"
#include "../widgets.h"

namespace {

constexpr int kSide = 48;            // the picture, kSide x kSide grey pixels
constexpr int kMaxKernel = 5;        // rows and columns of each kernel
constexpr float kWeightLimit = 100;  // largest |weight| taken

// ---------------------------------------------------------------------------------------------
// The state: one plain struct of settings, and the lab around it.

enum class Between { nothing, relu };
constexpr Choice<Between> kBetween[] = {{Between::nothing, "nothing"}, {Between::relu, "relu"}};

struct KernelPreset {
    const char* id;
    Rows kernel;
};
const std::vector<KernelPreset>& kernel_presets() {
    static const float ninth = 1.0f / 9.0f;
    static const std::vector<KernelPreset> presets = {
        {"identity", {{0, 0, 0}, {0, 1, 0}, {0, 0, 0}}},
        {"sobel-x", {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}}},
        {"sobel-y", {{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}}},
        {"blur", {{ninth, ninth, ninth}, {ninth, ninth, ninth}, {ninth, ninth, ninth}}},
        {"sharpen", {{0, -1, 0}, {-1, 5, -1}, {0, -1, 0}}},
        {"laplacian", {{0, 1, 0}, {1, -4, 1}, {0, 1, 0}}},
    };
    return presets;
}

struct Settings {
    Rows kernel1 = kernel_presets()[1].kernel;  // (K1, K1') the first layer's kernel: Sobel x
    Rows kernel2 = kernel_presets()[2].kernel;  // (K2, K2') the second's: Sobel y
    Between between = Between::nothing;
    std::string photo = "chelsea";
    int train_steps = 3000;                     // steps each network of the side-by-side training takes (96,000 pictures)
    bool operator==(const Settings&) const = default;
};

// The networks trained side by side: a linear classifier, and the same deep network (three
// convolutions with average pooling after the first two, then a linear layer) without and with
// ReLUs. Average pooling, not max: max pooling is not linear either.
const char* kLinear = R"({"input": [1, 28, 28], "layers": [{"type": "flatten"}, {"type": "linear", "out": 10}]})";
const char* kDeepLinear = R"({"input": [1, 28, 28], "layers": [
    {"type": "conv", "out": 8, "kernel": 3, "padding": 1}, {"type": "avgpool", "kernel": 2},
    {"type": "conv", "out": 16, "kernel": 3, "padding": 1}, {"type": "avgpool", "kernel": 2},
    {"type": "conv", "out": 16, "kernel": 3, "padding": 1},
    {"type": "flatten"}, {"type": "linear", "out": 10}]})";
const char* kDeepRelu = R"({"input": [1, 28, 28], "layers": [
    {"type": "conv", "out": 8, "kernel": 3, "padding": 1}, {"type": "relu"}, {"type": "avgpool", "kernel": 2},
    {"type": "conv", "out": 16, "kernel": 3, "padding": 1}, {"type": "relu"}, {"type": "avgpool", "kernel": 2},
    {"type": "conv", "out": 16, "kernel": 3, "padding": 1}, {"type": "relu"},
    {"type": "flatten"}, {"type": "linear", "out": 10}]})";

// The side-by-side training: models and data too large to copy with every command.
struct Training {
    SideBySide race;
    bool wanted = false;                   // asked for Fashion-MNIST, training once it is here
    int steps = 0;                         // the steps asked for
    const LoadedDataset* data = nullptr;   // the app's Fashion-MNIST, once here
    std::string note;                      // why it cannot train, "" when all is well
};
Training g_training;

struct NonlinearityLab {
    Settings settings;
    // The picture: a photo once it is here, a built-in one until then.
    Tensor grey;                 // (1,1,kSide,kSide) values 0..1
    std::string picture = "built-in";  // the photo grey was made from
    std::string note;            // why the photo is not shown, "" when nothing to say
    // Derived by recompute(), from the engine.
    Settings computed_for;
    std::string computed_picture;
    bool computed = false;
    std::string message;         // why there is no output, "" when there is
    Tensor middle;               // (1,1,M,M) after the first kernel (and the ReLU)
    Tensor two;                  // (1,1,O,O) after the second: two layers
    Tensor composed;             // (K1+K2-1, ...) the one kernel the two make with nothing between
    Tensor single;               // (K1+K2-1, ...) the kernel one layer uses: composed, or the least-squares fit
    Tensor one;                  // (1,1,O,O) one layer with `single`
    double largest_difference = 0, rms_error = 0, two_rms = 0;
    // The exercise: compose two 1D kernels.
    ExerciseRecord record;
    std::vector<float> ex_kernel1, ex_kernel2;  // (K1), (K2)
    Pending pending;
    bool train_requested = false;  // the command asked for the side-by-side training (started once it is kept)
    // UI only
    char answer_text[128] = "";
    std::string ui_note;
};

// Until a photo arrives (and in the tests, where none does): a bright ring and a dark bar on grey.
Tensor builtin_picture() {
    Tensor t{{1, 1, kSide, kSide}, std::vector<float>(size_t(kSide * kSide), 0.45f)};
    for (int y = 0; y < kSide; y++)
        for (int x = 0; x < kSide; x++) {
            const float dy = float(y) - 20.0f, dx = float(x) - 18.0f, r2 = dy * dy + dx * dx;
            if (r2 < 144.0f && r2 > 49.0f) t.data[size_t(y * kSide + x)] = 0.95f;
            if (x >= 34 && x <= 38 && y >= 8 && y <= 42) t.data[size_t(y * kSide + x)] = 0.1f;
        }
    return t;
}

NonlinearityLab make_lab() {
    NonlinearityLab lab;
    lab.grey = builtin_picture();
    lab.pending.picture = lab.settings.photo;  // asked for once the lab is kept (the first command or draw commits it)
    return lab;
}

NonlinearityLab g_lab = make_lab();

// ---------------------------------------------------------------------------------------------
// Computing: two layers, and one.

Tensor as_nchw(const Tensor& grid) { return Tensor{{1, 1, grid.shape[0], grid.shape[1]}, grid.data}; }
Tensor as_grid(const Tensor& nchw) { return Tensor{{nchw.shape[2], nchw.shape[3]}, nchw.data}; }
Tensor rows_tensor(const Rows& rows) {
    Tensor t;
    (void)tensor_from_rows(t, rows);  // rows were checked when they came in
    return t;
}

// Valid cross-correlation of a (1,1,H,W) picture with a (KH,KW) kernel.
Status correlate(Tensor& out, const Tensor& inp, const Tensor& kernel) {
    Conv2dSpec spec;
    spec.rows = make_conv_axis(inp.shape[2], kernel.shape[0], 1, 1, PaddingMode::valid, 0);
    spec.cols = make_conv_axis(inp.shape[3], kernel.shape[1], 1, 1, PaddingMode::valid, 0);
    return conv2d(out, inp, as_nchw(kernel), nullptr, spec);
}

double rms(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double(x) * x;
    return v.empty() ? 0 : std::sqrt(s / double(v.size()));
}

void recompute(NonlinearityLab& lab) {
    if (lab.computed && lab.settings == lab.computed_for && lab.picture == lab.computed_picture) return;
    lab.computed = true;
    lab.computed_for = lab.settings;
    lab.computed_picture = lab.picture;
    lab.message.clear();
    const Tensor k1 = rows_tensor(lab.settings.kernel1), k2 = rows_tensor(lab.settings.kernel2);
    Status s = correlate(lab.middle, lab.grey, k1);
    if (s.ok() && lab.settings.between == Between::relu) relu_forward(lab.middle.data.data(), lab.middle.data.data(), lab.middle.numel());
    if (s.ok()) s = correlate(lab.two, lab.middle, k2);
    if (s.ok()) s = compose_kernels(lab.composed, k1, k2);
    if (s.ok() && lab.settings.between == Between::nothing) lab.single = lab.composed;
    if (s.ok() && lab.settings.between == Between::relu)
        s = fit_kernel(lab.single, lab.rms_error, as_grid(lab.grey), as_grid(lab.two), lab.composed.shape[0], lab.composed.shape[1]);
    if (s.ok()) s = correlate(lab.one, lab.grey, lab.single);
    if (!s.ok()) {
        lab.message = "No output: " + s.message + ".";
        return;
    }
    lab.largest_difference = 0;
    double sq = 0;
    for (size_t i = 0; i < lab.one.data.size(); i++) {
        const double d = double(lab.one.data[i]) - lab.two.data[i];
        lab.largest_difference = std::max(lab.largest_difference, std::fabs(d));
        sq += d * d;
    }
    lab.rms_error = std::sqrt(sq / double(std::max<size_t>(lab.one.data.size(), 1)));
    lab.two_rms = rms(lab.two.data);
}

// ---------------------------------------------------------------------------------------------
// The exercise: compose two small 1D kernels into one.

std::vector<float> composed_1d(const std::vector<float>& k1, const std::vector<float>& k2) {
    Tensor out;
    if (!compose_kernels(out, Tensor{{1, int(k1.size())}, k1}, Tensor{{1, int(k2.size())}, k2}).ok()) return {};
    return out.data;
}

std::string list_text(const std::vector<float>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); i++) s += (i ? ", " : "") + format_number(v[i]);
    return s + "]";
}

void new_exercise(NonlinearityLab& lab, uint64_t seed) {
    Rng rng(seed);
    static const float weights[] = {-2, -1, 1, 2, 3};  // no zeros: every tap of the composed kernel takes some adding up
    auto kernel = [&] {
        std::vector<float> k(size_t(rng.uniform_int(2, 3)));
        for (float& w : k) w = weights[rng.uniform_int(0, 4)];
        return k;
    };
    lab.ex_kernel1 = kernel();
    lab.ex_kernel2 = kernel();
    lab.record.start({{"kernel1", lab.ex_kernel1}, {"kernel2", lab.ex_kernel2},
                      {"question", "One convolution with " + list_text(lab.ex_kernel1) + ", then one with " + list_text(lab.ex_kernel2) +
                                       ", nothing between: which one kernel does the same?"}},
                     seed, lab.pending);
    lab.answer_text[0] = 0;
}

// The mistakes composing draws, each as the kernel it gives.
std::vector<MistakeAnswer> compose_mistakes(const NonlinearityLab& lab) {
    std::vector<float> reversed2 = lab.ex_kernel2, reversed1 = lab.ex_kernel1;
    std::reverse(reversed2.begin(), reversed2.end());
    std::reverse(reversed1.begin(), reversed1.end());
    const std::string words = "You slid one kernel along the other as a correlation does, without turning it: composing multiplies "
                              "them like polynomials, k[u] = sum over a + b = u of k1[a]·k2[b], so k[0] = k1[0]·k2[0].";
    return {{"one-kernel-reversed", composed_1d(lab.ex_kernel1, reversed2), words},
            {"one-kernel-reversed", composed_1d(reversed1, lab.ex_kernel2), words}};
}

HintLadder compose_hints(const NonlinearityLab& lab) {
    const std::vector<float>& a = lab.ex_kernel1;
    const std::vector<float>& b = lab.ex_kernel2;
    const std::vector<float> k = composed_1d(a, b);
    std::vector<float> all_but_last(k.begin(), k.end() - 1);
    std::string so_far;
    for (size_t i = 0; i < all_but_last.size(); i++) so_far += (i ? ", " : "") + format_number(all_but_last[i]);
    return {"Two convolutions in a row are one, whose kernel is k[u] = sum over a + b = u of k1[a]·k2[b]: the kernels multiplied "
            "like the coefficients of two polynomials. It has K1 + K2 - 1 taps, as a 'full' convolution's output has I + k - 1.",
            "Here k has " + std::to_string(a.size()) + " + " + std::to_string(b.size()) + " - 1 = " + std::to_string(k.size()) +
                " taps. The first: k[0] = k1[0]·k2[0] = " + format_number(a[0]) + "·" + format_number(b[0]) + " = " + format_number(k[0]) + ".",
            "k = [" + so_far + ", ?]. The last tap is k1[" + std::to_string(a.size() - 1) + "]·k2[" + std::to_string(b.size() - 1) + "]."};
}

std::string check_answer(NonlinearityLab& lab, const std::vector<float>& given) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    const std::vector<float> expected = composed_1d(lab.ex_kernel1, lab.ex_kernel2);
    bool right = given.size() == expected.size();
    for (size_t i = 0; right && i < given.size(); i++) right = close_enough(given[i], expected[i]);
    const size_t K1 = lab.ex_kernel1.size(), K2 = lab.ex_kernel2.size();
    std::string feedback = right ? "Right: " + list_text(expected) + ", each tap the sum of the products k1[a]·k2[b] with a + b = u."
                                 : "Not quite: the composed kernel is " + list_text(expected) + ".";
    json mistake = nullptr;
    if (!right && given.size() == K1 + K2)
        mistake = {{"id", "one-tap-too-many"},
                   {"text", "You gave " + std::to_string(given.size()) + " taps. Two kernels of " + std::to_string(K1) + " and " +
                                std::to_string(K2) + " taps make one of " + std::to_string(K1) + " + " + std::to_string(K2) +
                                " - 1 = " + std::to_string(K1 + K2 - 1) + ": the last tap of one meets the last of the other only once."}};
    else if (!right && given.size() < K1 + K2 - 1)
        mistake = {{"id", "too-few-taps"},
                   {"text", "You gave " + std::to_string(given.size()) + (given.size() == 1 ? " tap" : " taps") + ". The composed kernel is longer than either: each output "
                            "of the second layer sees " + std::to_string(K2) + " outputs of the first, each of which sees " +
                            std::to_string(K1) + " inputs, " + std::to_string(K1 + K2 - 1) + " in all."}};
    else if (!right && given.size() == expected.size())
        mistake = name_mistake(given, expected, compose_mistakes(lab), feedback);
    if (!right && mistake.is_object() && mistake["id"] != "other") feedback = "Not quite. " + mistake["text"].get<std::string>();
    lab.record.checked(right, expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State and commands.

std::string read_kernel(const json& f, const char* name, Rows& out) {
    return read_rows(f, name, kMaxKernel, kMaxKernel, kWeightLimit, true, out);
}

const Field<Settings> kSettingFields[] = {
    {"kernel1", [](const json& f, Settings& s) { return read_kernel(f, "kernel1", s.kernel1); },
     [](const Settings& s) { return json(s.kernel1); }},
    {"kernel2", [](const json& f, Settings& s) { return read_kernel(f, "kernel2", s.kernel2); },
     [](const Settings& s) { return json(s.kernel2); }},
    choice_field("between", &Settings::between, kBetween),
    whole_field("train_steps", &Settings::train_steps, 100, 6000),
    {"photo", [](const json& f, Settings& s) { return read_photo(f, "photo", s.photo); }, [](const Settings& s) { return json(s.photo); }},
};

json grid_json(const Tensor& t) {  // a (rows, cols) or (1,1,rows,cols) tensor as rows
    if (t.data.empty()) return nullptr;
    const int rows = t.shape[t.dim() - 2], cols = t.shape[t.dim() - 1];
    json out = json::array();
    for (int r = 0; r < rows; r++) out.push_back(std::vector<float>(t.data.begin() + r * cols, t.data.begin() + (r + 1) * cols));
    return out;
}

json training_json();

const Output<NonlinearityLab> kOutputs[] = {
    {"composed", [](const NonlinearityLab& lab) { return lab.message.empty() ? grid_json(lab.composed) : json(nullptr); }},
    {"two_layers", [](const NonlinearityLab& lab) { return lab.message.empty() ? json{{"rms", lab.two_rms}} : json(nullptr); }},
    {"one_layer",
     [](const NonlinearityLab& lab) {
         if (!lab.message.empty()) return json(nullptr);
         return json{{"kernel", grid_json(lab.single)}, {"largest_difference", lab.largest_difference}, {"rms_error", lab.rms_error},
                     {"relative_error", lab.two_rms > 0 ? lab.rms_error / lab.two_rms : 0.0}};
     }},
    {"picture", [](const NonlinearityLab& lab) { return json(lab.picture); }},
    {"loading", [](const NonlinearityLab&) { return json(!picture_pending("nonlinearity").empty()); }},
    {"note", [](const NonlinearityLab& lab) { return text_or_null(lab.note); }},
    {"message", [](const NonlinearityLab& lab) { return text_or_null(lab.message); }},
    {"training", [](const NonlinearityLab&) { return training_json(); }},
};

json nonlinearity_state() {
    recompute(g_lab);
    json s;
    write_fields(s, kSettingFields, g_lab.settings);
    write_outputs(s, kOutputs, g_lab);
    g_lab.record.write(s);
    return s;
}

std::string read_preset(const json& f, const char* name, Rows& out) {
    std::string id;
    if (std::string e = read_string(f, name, id); !e.empty() || id.empty()) return e;
    for (const KernelPreset& p : kernel_presets())
        if (id == p.id) {
            out = p.kernel;
            return "";
        }
    return "there is no kernel \"" + id.substr(0, 30) + "\"; the kernels are: identity, sobel-x, sobel-y, blur, sharpen, laplacian";
}

std::string apply_command(NonlinearityLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, {"reset", "preset1", "preset2", "train", "new_exercise", "seed", "hint", "answer"},
                                      kOutputs);
        !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) {
        const ExerciseRecord kept = lab.record;
        const Tensor grey = lab.grey;
        const std::string picture = lab.picture;
        lab = make_lab();
        lab.pending = Pending{};
        lab.record.answered = kept.answered;  // the score is the student's, kept across resets
        lab.record.correct = kept.correct;
        lab.record.mistakes = kept.mistakes;
        if (picture == lab.settings.photo) {  // the default photo is here already
            lab.grey = grey;
            lab.picture = picture;
        } else {
            lab.pending.picture = lab.settings.photo;
        }
    }
    // 1. The settings.
    Settings s = lab.settings;
    if (!(e = read_preset(f, "preset1", s.kernel1)).empty()) return e;
    if (!(e = read_preset(f, "preset2", s.kernel2)).empty()) return e;
    if (!(e = read_fields(f, kSettingFields, s)).empty()) return e;
    if (s.photo != lab.settings.photo) lab.pending.picture = s.photo;
    lab.settings = s;
    bool train = false;
    if (!(e = read_bool(f, "train", train)).empty()) return e;
    if (train) lab.train_requested = true;
    // 2. The exercise.
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, compose_hints)).empty()) return e;
    if (f.contains("answer")) {
        const json& a = f["answer"];
        std::vector<float> given;
        if (!a.is_array() || a.empty() || a.size() > 12) return "\"answer\" must be a list of 1 to 12 numbers: the composed kernel's taps";
        for (const json& v : a) {
            if (!v.is_number() || !std::isfinite(v.get<double>()) || std::fabs(v.get<double>()) > 1e6)
                return "\"answer\" must be a list of numbers (each within ±1e6): the composed kernel's taps";
            given.push_back(v.get<float>());
        }
        if (!(e = check_answer(lab, given)).empty()) return e;
    }
    return "";
}

// ---- The side-by-side training.

void start_training(int steps) {
    Training& t = g_training;
    t.steps = steps;
    if (!t.data) {
        t.wanted = true;
        t.note.clear();
        request_dataset("nonlinearity", "fashion");  // training_dataset() starts it once the data is here (perhaps at once)
        return;
    }
    const TrainRecipe recipe = {.optimizer = {.kind = OptimizerKind::adam, .lr = 0.002f}, .batch = 32, .epochs = 1, .seed = 5};
    t.note = side_by_side_start(t.race, {{"linear", kLinear}, {"deep-linear", kDeepLinear}, {"deep-relu", kDeepRelu}}, recipe, steps, 5);
}

void training_dataset(const LoadedDataset& data) {
    Training& t = g_training;
    if (!t.wanted || data.name != "fashion") return;
    if (!data.error.empty()) {
        t.note = "Fashion-MNIST could not be loaded: " + data.error;
        return;  // still wanted: a later request tries again
    }
    if (data.train.rows != 28 || data.train.cols != 28 || data.test.count < 1000) {
        t.note = "Fashion-MNIST could not be read: the dataset is not 28x28 pictures, or too few of them";
        return;
    }
    t.data = &data;
    t.wanted = false;
    start_training(t.steps);
}

bool nonlinearity_work(double budget_ms) {
    Training& t = g_training;
    if (!t.data || !t.race.running) return false;
    const bool more = side_by_side_work(t.race, t.data->train, t.data->test, budget_ms);
    if (!more) post_event("trained");
    return more;
}

json training_json() {
    const Training& t = g_training;
    json j = side_by_side_json(t.race);
    if (!t.note.empty()) j["state"] = "unavailable";
    else if (t.wanted) j["state"] = "loading";
    j["note"] = text_or_null(t.note);
    return j;
}

void start_training_if_asked(NonlinearityLab& lab) {
    if (!lab.train_requested) return;
    lab.train_requested = false;
    start_training(lab.settings.train_steps);
}

std::string nonlinearity_command(const json& fields) {
    return command_on_copy("nonlinearity", g_lab, fields, apply_command, start_training_if_asked);
}

void nonlinearity_picture(const Picture& picture) {
    NonlinearityLab& lab = g_lab;
    if (picture.name != lab.settings.photo) return;  // an answer to an older request
    Tensor grey;
    const std::string e = picture.error.empty() ? grey_square(grey, picture, kSide) : picture.error;
    if (!e.empty()) {
        lab.note = "The photo \"" + picture.name + "\" could not be used (" + e + "): a built-in picture stands in.";
        return;
    }
    lab.grey = std::move(grey);
    lab.picture = picture.name;
    lab.note.clear();
    post_event("photo-loaded");
}

// ---------------------------------------------------------------------------------------------
// Drawing.

void ui_command(const json& fields) {
    std::string e = nonlinearity_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

// A (1,1,H,W) picture, grey from its smallest to its largest value, `size` pixels a side.
void draw_picture(const char* id, const char* title, const Tensor& t, float size) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(title);
    if (t.dim() == 4 && !t.data.empty()) {
        const int H = t.shape[2], W = t.shape[3];
        const auto [lo, hi] = std::minmax_element(t.data.begin(), t.data.end());
        const float low = *lo, high = std::max(*hi, *lo + 1e-6f);
        draw_grid(id, H, W, size / float(std::max(H, W)), [&](int r, int c) {
            GridCell g;
            g.fill = grey_color(t.data[size_t(r * W + c)], low, high);
            return g;
        }, false);
    }
    ImGui::EndGroup();
}

// A small kernel with its numbers, coloured by sign.
void draw_kernel(const char* id, const Tensor& k) {
    if (k.data.empty()) return;
    const int H = k.shape[0], W = k.shape[1];
    float scale = 0;
    for (float v : k.data) scale = std::max(scale, std::fabs(v));
    draw_grid(id, H, W, ImGui::GetFontSize() * (W > 5 ? 2.2f : 2.6f), [&](int r, int c) {
        GridCell g;
        const float v = k.data[size_t(r * W + c)];
        g.fill = signed_color(v, scale);
        g.text = format_number(std::round(v * 100.0f) / 100.0f);
        return g;
    });
}

void draw_settings(NonlinearityLab& lab) {
    for (int which = 1; which <= 2; which++) {
        ImGui::PushID(which);
        ImGui::TextDisabled(which == 1 ? "KERNEL 1 (the first layer)" : "KERNEL 2 (the second layer)");
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
        if (ImGui::BeginCombo("##preset", "Load a kernel...")) {
            for (const KernelPreset& p : kernel_presets())
                if (ImGui::Selectable(p.id)) ui_command({{which == 1 ? "preset1" : "preset2", p.id}});
            ImGui::EndCombo();
        }
        Rows weights = which == 1 ? lab.settings.kernel1 : lab.settings.kernel2;
        if (edit_weights("weights", weights, 0.05f, kWeightLimit)) ui_command({{which == 1 ? "kernel1" : "kernel2", weights}});
        ImGui::PopID();
        ImGui::Spacing();
    }
    ImGui::TextDisabled("BETWEEN THE TWO");
    if (ImGui::RadioButton("nothing", lab.settings.between == Between::nothing)) ui_command({{"between", "nothing"}});
    ui_anchor("between-nothing");
    ImGui::SameLine();
    if (ImGui::RadioButton("ReLU", lab.settings.between == Between::relu)) ui_command({{"between", "relu"}});
    ui_anchor("between-relu");
    ImGui::Spacing();
    ImGui::TextDisabled("PICTURE");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    if (ImGui::BeginCombo("photo", lab.settings.photo.c_str())) {
        for (const std::string& name : photo_names())
            if (ImGui::Selectable(name.c_str(), name == lab.settings.photo)) ui_command({{"photo", name}});
        ImGui::EndCombo();
    }
    if (!lab.note.empty()) ImGui::TextWrapped("%s", lab.note.c_str());
    if (!lab.ui_note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.ui_note.c_str());
}

void draw_layers(NonlinearityLab& lab) {
    if (!lab.message.empty()) {
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.message.c_str());
        return;
    }
    const bool relu = lab.settings.between == Between::relu;
    const float size = std::min(ImGui::GetFontSize() * 9.5f, (ImGui::GetContentRegionAvail().x - 40) / 4);
    draw_picture("picture", "the picture", lab.grey, size);
    ImGui::SameLine();
    draw_picture("middle", relu ? "kernel 1, then ReLU" : "kernel 1", lab.middle, size);
    ImGui::SameLine();
    draw_picture("two", "then kernel 2: two layers", lab.two, size);
    ImGui::SameLine();
    draw_picture("one", relu ? "the best single kernel" : "one layer, the composed kernel", lab.one, size);
    ui_anchor("pictures");
    ImGui::Spacing();
    ImGui::BeginGroup();
    ImGui::Text(relu ? "The best single %dx%d kernel (least squares)" : "The composed kernel, %dx%d", lab.single.shape[0], lab.single.shape[1]);
    draw_kernel("single", lab.single);
    ImGui::EndGroup();
    ImGui::SameLine(0, ImGui::GetFontSize() * 2);
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(0);
    if (!relu) {
        ImGui::TextWrapped("Nothing between the layers: they are one convolution. Its kernel is the two kernels multiplied like the "
                           "coefficients of two polynomials, k[u,v] = sum over a+c = u, b+d = v of k1[a,b]·k2[c,d]: a %dx%d after a "
                           "%dx%d is a %dx%d.",
                           int(lab.settings.kernel2.size()), int(lab.settings.kernel2[0].size()), int(lab.settings.kernel1.size()),
                           int(lab.settings.kernel1[0].size()), lab.single.shape[0], lab.single.shape[1]);
        ImGui::TextColored(ImVec4(0.4f, 0.85f, 0.5f, 1), "Two layers and one differ by at most %.2g: rounding.", lab.largest_difference);
        ImGui::TextWrapped("So a stack of convolutions with nothing between them can never do more than one convolution does. "
                           "Put a ReLU between them and see.");
    } else {
        ImGui::TextWrapped("A ReLU between the layers keeps only the first layer's positive responses. No single kernel does that: "
                           "the best one, fitted by least squares over every pixel, still misses.");
        ImGui::TextColored(ImVec4(1.0f, 0.7f, 0.45f, 1), "Its error: %.3g rms, %.0f%% of the two layers' output (%.3g rms).",
                           lab.rms_error, 100.0 * lab.rms_error / std::max(lab.two_rms, 1e-12), lab.two_rms);
        ImGui::TextWrapped("This is why every convolution in a CNN is followed by a nonlinearity: depth adds power only through it.");
    }
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
}

const char* contender_words(const std::string& name) {
    if (name == "linear") return "a linear classifier (one linear layer)";
    if (name == "deep-linear") return "three convolutions and a linear layer, nothing between";
    return "the same four layers with a ReLU after each convolution";
}

void draw_training(NonlinearityLab& lab) {
    ImGui::Separator();
    ImGui::TextDisabled("ON REAL DATA");
    ImGui::TextWrapped("Three networks learn Fashion-MNIST side by side, on the same pictures in the same order. Without "
                       "activations, four layers can only learn what one linear layer can.");
    const json t = training_json();
    const std::string state = t["state"];
    if (state != "training" && state != "loading") {
        if (ImGui::Button(state == "done" ? "Train again" : "Train side by side")) ui_command({{"train", true}});
        ui_anchor("train");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        int steps = lab.settings.train_steps;
        if (ImGui::SliderInt("steps each (batch 32)", &steps, 100, 6000)) ui_command({{"train_steps", steps}});
    } else if (state == "loading") {
        ImGui::Text("Fetching Fashion-MNIST... %.0f%%", 100.0 * std::max(0.0f, dataset_loading("fashion")));
    } else {
        ImGui::Text("Training: step %d of %d, %.1f s", t["steps_done"].get<int>(), t["steps"].get<int>(), t["seconds"].get<double>());
    }
    if (!t["note"].is_null()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", t["note"].get<std::string>().c_str());
    const float width = std::min(ImGui::GetFontSize() * 16, (ImGui::GetContentRegionAvail().x - 20) / 3);
    int i = 0;
    for (const json& c : t["contenders"]) {
        if (i++) ImGui::SameLine();
        ImGui::BeginGroup();
        const std::string name = c["name"];
        ImGui::TextUnformatted(name.c_str());
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width);
        ImGui::TextDisabled("%s, %d parameters", contender_words(name), c["parameters"].get<int>());
        ImGui::PopTextWrapPos();
        const std::vector<float> curve = c["curve"];
        ImGui::PlotLines(("##" + name).c_str(), curve.data(), int(curve.size()), 0, "training loss", 0.0f, 2.5f, ImVec2(width, ImGui::GetFontSize() * 5));
        if (c["test_accuracy"].is_number()) ImGui::Text("test accuracy %.1f%%", 100.0 * c["test_accuracy"].get<double>());
        else if (c["diverged"].get<bool>()) ImGui::TextUnformatted("diverged");
        ImGui::EndGroup();
    }
}

void draw_exercise(NonlinearityLab& lab) {
    ImGui::Separator();
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) ui_command({{"new_exercise", true}});
    if (!lab.record.open()) return;
    ImGui::TextWrapped("%s", lab.record.exercise["question"].get<std::string>().c_str());
    ImGui::Text("k =");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
    const bool enter = ImGui::InputText("##answer", lab.answer_text, sizeof lab.answer_text, ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer");
    ImGui::SameLine();
    const bool check = ImGui::Button("Check");
    ui_anchor("check");
    ImGui::SameLine();
    ImGui::TextDisabled("(numbers separated by commas)");
    if (check || enter) {
        Rows typed;
        std::string e = parse_rows_text(lab.answer_text, 1, 12, 1e6f, typed);
        if (!e.empty() || typed.empty()) lab.ui_note = "Type the kernel's taps, like 1, -2, 3.";
        else ui_command({{"answer", typed[0]}});
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) ui_command({{"hint", true}});
}

void nonlinearity_draw() {
    NonlinearityLab& lab = g_lab;
    recompute(lab);
    lab_intro("Why a nonlinearity",
              "A convolution is linear: it only multiplies and adds. Stack two with nothing between them and you get one "
              "convolution again, with a bigger kernel. A ReLU between them breaks that, and only then does a second layer "
              "compute something the first could not.");
    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 13, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    recompute(lab);
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    draw_layers(lab);
    draw_exercise(lab);
    draw_training(lab);
    ImGui::EndChild();
    commit("nonlinearity", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "nonlinearity", .name = "Why a nonlinearity",
                    .summary = "Two convolutions with nothing between them are one; a ReLU between them is what makes depth count.",
                    .draw = nonlinearity_draw, .state = nonlinearity_state, .command = nonlinearity_command,
                    .on_picture = nonlinearity_picture, .on_dataset = training_dataset, .work = nonlinearity_work,
                    .teaches = {"linear-composition", "Composing convolutions"});
