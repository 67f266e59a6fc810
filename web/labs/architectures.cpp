// architectures.cpp — Lab "Architectures" (LeNet-5 to EfficientNet: what grew, and what it costs).
//
// Twenty-one years of CNNs in seven networks. Each is written in the engine's model description
// (engine/architectures.h) and laid out by the engine's shape inference, so every number in the
// lab — a layer's output shape, its parameters, its multiply-adds, its receptive field — is
// computed, not typed in (tests/architectures_test.cpp checks them against torchvision's). The
// typed numbers are history: the year and the published accuracy. A student picks a network,
// reads its layers, runs one forward pass of it on a photo in the page (random weights: it is the
// cost that is shown, not an answer), and scales EfficientNet with the compound coefficient phi.
//
// API (window.cnnlab.command / state), besides {"lab": "architectures"}:
//   "network"  "lenet5", "alexnet", "vgg16", "resnet18", "resnet50", "densenet121", "efficientnet_b0"
//   "phi"      EfficientNet's compound coefficient, 0 to 7 (0: B0); the EfficientNet shown is scaled by it
//   "photo"    one of the shipped photos: the forward pass's input
//   "run"      true: one forward pass of the network shown, in slices between frames ("forward")
//   "new_exercise" true (or with "seed"), "answer" {"shape": [C, H, W] or [D], "params": n}, "hint", "reset"
// State adds: "networks" (each one's key, name, year, idea, top1, top1_source, params, macs, layers),
// "shown" (the network shown: its name, input, totals, memory, whether it fits), "layers" (each
// layer: name, type, what, shape, params, macs, field), "scaling" (phi's network next to 2^phi times
// B0 and the networks that scale one dimension alone), "forward" (state, network, layers done),
// "timings" (milliseconds measured in this browser: build, forward, per layer), "photo_loaded",
// "loading", and the exercise record (lab_kit.h: ExerciseRecord).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <imgui.h>

#include "../../engine/architectures.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../widgets.h"

namespace {

constexpr float kMaxPhi = 7;
constexpr int kTrainingBatch = 32;  // the batch the "to train it" memory is given for

// ---------------------------------------------------------------------------------------------
// The state: one plain struct.

constexpr Choice<Architecture> kNetworks[] = {
    {Architecture::lenet5, "lenet5"},     {Architecture::alexnet, "alexnet"},         {Architecture::vgg16, "vgg16"},
    {Architecture::resnet18, "resnet18"}, {Architecture::resnet50, "resnet50"},       {Architecture::densenet121, "densenet121"},
    {Architecture::efficientnet_b0, "efficientnet_b0"}};

struct ArchitecturesSettings {
    Architecture network = Architecture::resnet18;
    float phi = 0;  // EfficientNet's compound coefficient (0: B0)
    std::string photo = "chelsea";
    bool operator==(const ArchitecturesSettings&) const = default;
};

// A network laid out (model_layout: no parameters allocated) with its layers' reports.
struct Laid {
    std::string title;                // "ResNet-18", "EfficientNet, phi = 1.5"
    std::string description;          // its model JSON
    Model model;                      // layers and tensors only
    std::vector<LayerReport> reports;
    int64_t params = 0, macs = 0;
    int64_t inference_bytes = 0;      // parameters and one picture's activations
    int64_t training_bytes = 0;       // with gradients, Adam's averages and a batch of kTrainingBatch
    std::string message;              // why it could not be laid out ("" when it was)
};

// One row of the scaling table: B0 scaled by (width, depth, resolution).
struct ScaledRow {
    const char* kind;  // "compound", "depth", "width", "resolution"
    EfficientNetScale scale;
    int64_t params = 0, macs = 0;
    std::string message;  // why it was not laid out
};

enum class RunState { idle, running, done, refused };
constexpr Choice<RunState> kRunStates[] = {
    {RunState::idle, "idle"}, {RunState::running, "running"}, {RunState::done, "done"}, {RunState::refused, "refused"}};

// One forward pass, spread over slices of work between frames: the page's memory touched, the
// network allocated, its parameters drawn, then its layers one after another.
enum class RunStep { touch, allocate, initialize, forward };

struct ForwardRun {
    RunState state = RunState::idle;
    RunStep step = RunStep::touch;
    std::string network;             // the title of the network it runs
    std::string description;         // its model JSON
    int64_t bytes = 0;               // the memory it needs (parameters and one picture's activations)
    std::string input_name;          // the photo's name, or "a built-in pattern"
    int next_layer = 0;              // the next layer to run (RunStep::forward)
    int layers = 0;
    std::vector<double> layer_ms;    // (layers) measured here
    double touch_ms = 0, build_ms = 0, forward_ms = 0;
    double slowest_slice_ms = 0;     // the longest the page waited for one slice of this run
    int top_class = -1;              // the largest of the random network's scores
    std::string message;             // why it was refused
};

// The run's memory, kept apart from the lab: a command works on a copy of the lab
// (command_on_copy), and VGG-16's would be 600 MB.
struct RunMemory {
    Model model;                     // built for inference while running; freed when done
    std::vector<float> input;        // (1, C, S, S): the photo, normalized as ImageNet networks expect
    ParamInit init{1};               // the parameters drawn a few layers at a time
    char* touched = nullptr;         // (bytes) memory being touched, then given back for the model
    int64_t touched_bytes = 0;
    void clear() {
        std::free(touched);
        touched = nullptr;
        touched_bytes = 0;
        model = Model{};
        input = {};
        init = ParamInit(1);
    }
};
RunMemory g_run_memory;

struct ArchitecturesLab {
    ArchitecturesSettings settings;
    Laid shown;                          // the network the settings name
    ArchitecturesSettings laid_for;
    bool laid = false;
    std::vector<ScaledRow> scaling;      // for settings.phi
    float scaling_for = -1;
    ForwardRun run;
    std::string photo_loaded;            // the photo that arrived ("" = none yet)
    std::vector<uint8_t> photo_rgba;     // its pixels, kept until a run makes its input
    int photo_width = 0, photo_height = 0;
    std::string note;                    // why the photo is not used, ...
    // The exercise: {"network", "layer" (its name), "index", "kind": "conv" | "linear", "in_shape",
    // "out", "kernel", "stride", "padding", "groups", "bias"}; the answer {"shape", "params"}.
    ExerciseRecord record;
    Pending pending;
    // UI only
    char typed_shape[64] = "", typed_params[32] = "";
};

ArchitecturesLab g_lab;
bool g_photo_requested = false;  // the photo is asked for on the first frame drawn

std::string network_title(const ArchitecturesSettings& s) {
    if (s.network != Architecture::efficientnet_b0 || s.phi == 0) return architecture_info(s.network).name;
    char text[64];
    std::snprintf(text, sizeof text, "EfficientNet, phi = %g", double(s.phi));
    return text;
}

std::string network_json(const ArchitecturesSettings& s) {
    if (s.network == Architecture::efficientnet_b0) return efficientnet_json(compound_scale(s.phi));
    return architecture_json(s.network);
}

void lay_out(Laid& laid, const std::string& title, const std::string& description) {
    laid = Laid{};
    laid.title = title;
    laid.description = description;
    if (Status s = model_layout(laid.model, description); !s.ok()) {
        laid.message = s.message;
        return;
    }
    laid.reports = layer_reports(laid.model);
    laid.params = model_param_count(laid.model);
    laid.macs = model_macs(laid.model);
    const int64_t buffers = model_buffer_count(laid.model);
    laid.model.use = ModelUse::inference;
    laid.inference_bytes = model_memory_bytes(laid.model, laid.params, buffers, 1);
    laid.model.use = ModelUse::training;
    laid.training_bytes = model_memory_bytes(laid.model, laid.params, buffers, kTrainingBatch);
}

void recompute(ArchitecturesLab& lab) {
    if (!lab.laid || !(lab.laid_for == lab.settings)) {
        lay_out(lab.shown, network_title(lab.settings), network_json(lab.settings));
        lab.laid_for = lab.settings;
        lab.laid = true;
    }
    if (lab.scaling_for != lab.settings.phi) {
        // B0 scaled to about 2^phi its multiply-adds: the three together, or one alone (the
        // multiply-adds grow with depth, and with the square of width and of resolution)
        const double phi = lab.settings.phi, twice = std::pow(2.0, phi), root = std::sqrt(twice);
        lab.scaling = {{"compound", compound_scale(phi), 0, 0, ""},
                       {"depth", {1.0, twice, 224}, 0, 0, ""},
                       {"width", {root, 1.0, 224}, 0, 0, ""},
                       {"resolution", {1.0, 1.0, int(std::lround(224 * root))}, 0, 0, ""}};
        for (ScaledRow& row : lab.scaling) {
            Model m;
            if (Status s = model_layout(m, efficientnet_json(row.scale)); !s.ok()) {
                row.message = s.message;
                continue;
            }
            row.params = model_param_count(m);
            row.macs = model_macs(m);
        }
        lab.scaling_for = lab.settings.phi;
    }
}

const Laid& b0() {
    static const Laid laid = [] {
        Laid l;
        lay_out(l, "EfficientNet-B0", architecture_json(Architecture::efficientnet_b0));
        return l;
    }();
    return laid;
}

// Each network at its own size, laid out once.
const Laid& laid_network(Architecture a) {
    static Laid all[kArchitectureCount];
    static bool done[kArchitectureCount] = {};
    if (!done[int(a)]) {
        lay_out(all[int(a)], architecture_info(a).name, architecture_json(a));
        done[int(a)] = true;
    }
    return all[int(a)];
}

// ---------------------------------------------------------------------------------------------
// What a layer is, in words: "conv 3x3 /2, 64 -> 128", "depthwise 5x5", "linear 4096 -> 1000".

std::string layer_what(const Layer& L) {
    char text[96];
    switch (L.kind) {
        case LayerKind::conv: {
            const int k = L.conv.rows.kernel, s = L.conv.rows.stride, g = L.conv.groups;
            const bool depthwise = g > 1 && g == L.in_shape[0];
            std::snprintf(text, sizeof text, "%s %dx%d%s, %d -> %d", depthwise ? "depthwise" : (g > 1 ? "grouped conv" : "conv"), k, k,
                          s > 1 ? (" /" + std::to_string(s)).c_str() : "", L.in_shape[0], L.out_shape[0]);
            return text;
        }
        case LayerKind::maxpool:
        case LayerKind::avgpool:
            std::snprintf(text, sizeof text, "%s %dx%d /%d", L.kind == LayerKind::maxpool ? "max pool" : "avg pool", L.pool.rows.kernel,
                          L.pool.rows.kernel, L.pool.rows.stride);
            return text;
        case LayerKind::linear:
            std::snprintf(text, sizeof text, "linear %d -> %d", L.in_shape[0], L.out_shape[0]);
            return text;
        case LayerKind::adaptive_avgpool:
            std::snprintf(text, sizeof text, "adaptive avg pool to %dx%d", L.out_shape[1], L.out_shape[2]);
            return text;
        case LayerKind::add: return "add (skip connection)";
        case LayerKind::concat: return "concatenate channels";
        case LayerKind::scale: return "scale channels by the gate";
        case LayerKind::batchnorm: return "batch norm";
        default: return layer_kind_name(L.kind);
    }
}

std::string shape_text(const std::vector<int>& shape) {
    std::string text;
    for (size_t i = 0; i < shape.size(); i++) text += (i ? " x " : "") + std::to_string(shape[i]);
    return text;
}

std::string with_commas(int64_t v) {
    std::string digits = std::to_string(v), out;
    for (size_t i = 0; i < digits.size(); i++) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string millions(int64_t v) {  // "11.7 M", "416.5 K", "1.81 G"
    char text[32];
    if (v >= 1000000000) std::snprintf(text, sizeof text, "%.2f G", double(v) / 1e9);
    else if (v >= 1000000) std::snprintf(text, sizeof text, "%.1f M", double(v) / 1e6);
    else if (v >= 1000) std::snprintf(text, sizeof text, "%.1f K", double(v) / 1e3);
    else std::snprintf(text, sizeof text, "%lld", (long long)v);
    return text;
}

// The last receptive field before the network mixes every position (global pooling, flatten).
int64_t last_field(const Laid& laid) {
    int64_t field = 0;
    for (const LayerReport& r : laid.reports)
        if (r.field > 0) field = r.field;
    return field;
}

// ---------------------------------------------------------------------------------------------
// One forward pass, in slices (the lab's `work`).

// The photo as the network's input: ImageNet networks take RGB normalized with ImageNet's mean and
// standard deviation per channel; LeNet-5 a grey picture in [0, 1]. A built-in pattern when no
// photo has arrived.
void make_input(std::vector<float>& input, std::string& input_name, const ArchitecturesLab& lab, const Model& model) {
    const int C = model.input_shape[0], S = model.input_shape[1];
    input.assign(size_t(C) * size_t(S) * size_t(S), 0.0f);
    Picture picture;
    picture.name = lab.photo_loaded;
    picture.width = lab.photo_width;
    picture.height = lab.photo_height;
    picture.rgba = lab.photo_rgba;
    Tensor square;
    std::string e = lab.photo_loaded.empty() ? "no photo has arrived" : (C == 1 ? grey_square(square, picture, S) : rgb_square(square, picture, S));
    if (!e.empty()) {  // stripes: something to look at, not nothing
        for (int c = 0; c < C; c++)
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) input[(size_t(c) * S + y) * S + x] = 0.5f + 0.5f * std::sin(0.2f * float(x + 2 * y + 7 * c));
        input_name = "a built-in pattern";
    } else {
        input = square.data;
        input_name = lab.photo_loaded;
    }
    if (C == 3) {
        const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
        for (int c = 0; c < 3; c++)
            for (size_t i = 0; i < size_t(S) * S; i++) {
                float& v = input[size_t(c) * S * S + i];
                v = (v - mean[c]) / sd[c];
            }
    }
}

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

void start_run(ArchitecturesLab& lab) {
    recompute(lab);
    g_run_memory.clear();
    ForwardRun& run = lab.run;
    run = ForwardRun{};
    run.network = lab.shown.title;
    run.description = lab.shown.description;
    run.bytes = lab.shown.inference_bytes;
    if (!lab.shown.message.empty()) {
        run.state = RunState::refused;
        run.message = lab.shown.message;
        return;
    }
    if (lab.shown.inference_bytes > kModelMemoryBudget) {
        run.state = RunState::refused;
        run.message = "One forward pass of " + run.network + " needs " + megabytes(lab.shown.inference_bytes) +
                      " (its parameters and one picture's activations); the page gives a network at most " +
                      megabytes(kModelMemoryBudget) + ".";
        return;
    }
    run.state = RunState::running;
    post_event("run-started");
}

void refuse_run(ForwardRun& run, const std::string& message) {
    run.state = RunState::refused;
    run.message = message;
    g_run_memory.clear();
}

// One slice of the run, about budget_ms long (at least one step, however long it takes); false when
// the run is over.
bool run_slice(ArchitecturesLab& lab, double budget_ms, std::chrono::steady_clock::time_point start) {
    ForwardRun& run = lab.run;
    RunMemory& mem = g_run_memory;
    switch (run.step) {
        case RunStep::touch: {
            // Memory the page has never used costs about 3 ms a megabyte the first time it is
            // written (the browser maps it in then): 1.5 s for VGG-16's 553 MB in one go. Touched a
            // slice at a time and given back, it is there for the model when it is allocated.
            if (!mem.touched) {
                mem.touched = static_cast<char*>(std::malloc(size_t(run.bytes)));
                if (!mem.touched) {
                    refuse_run(run, "The browser did not give the page the " + megabytes(run.bytes) + " a forward pass of " + run.network +
                                        " needs.");
                    return false;
                }
            }
            do {
                const int64_t chunk = std::min<int64_t>(int64_t(16) << 20, run.bytes - mem.touched_bytes);
                std::memset(mem.touched + mem.touched_bytes, 0, size_t(chunk));
                mem.touched_bytes += chunk;
            } while (mem.touched_bytes < run.bytes && ms_since(start) < budget_ms);
            run.touch_ms += ms_since(start);
            if (mem.touched_bytes < run.bytes) return true;
            std::free(mem.touched);
            mem.touched = nullptr;
            run.step = RunStep::allocate;
            return true;
        }
        case RunStep::allocate: {
            Status s = model_allocate(mem.model, run.description, ModelUse::inference);
            if (s.ok()) s = ensure_batch(mem.model, 1);
            if (!s.ok()) {
                refuse_run(run, s.message);
                return false;
            }
            make_input(mem.input, run.input_name, lab, mem.model);
            run.layers = int(mem.model.layers.size());
            run.layer_ms.assign(size_t(run.layers), 0.0);
            run.build_ms += ms_since(start);
            run.step = RunStep::initialize;
            return true;
        }
        case RunStep::initialize: {  // VGG-16's 138 M values take seconds: a few million at a time
            bool more = true;
            while (more && ms_since(start) < budget_ms) more = init_params_step(mem.model, mem.init, 1 << 21);
            run.build_ms += ms_since(start);
            if (!more) run.step = RunStep::forward;
            return true;
        }
        case RunStep::forward: {
            do {  // at least one layer a slice, however long it takes
                const auto t = std::chrono::steady_clock::now();
                model_forward_layers(mem.model, mem.input.data(), 1, false, run.next_layer, run.next_layer + 1);
                run.layer_ms[size_t(run.next_layer)] = ms_since(t);
                run.forward_ms += run.layer_ms[size_t(run.next_layer)];
                run.next_layer++;
            } while (run.next_layer < run.layers && ms_since(start) < budget_ms);
            if (run.next_layer < run.layers) return true;
            const std::vector<float>& scores = mem.model.acts.back();
            run.top_class = predicted_class(scores.data(), int(output_size(mem.model)));
            mem.clear();  // the memory back: hundreds of MB for VGG-16
            run.state = RunState::done;
            post_event("run-done");
            return false;
        }
    }
    return false;
}

bool architectures_work(double budget_ms) {
    ArchitecturesLab& lab = g_lab;
    if (lab.run.state != RunState::running) {
        if (g_run_memory.touched || !g_run_memory.model.layers.empty()) g_run_memory.clear();  // a reset stopped a run
        return false;
    }
    const auto start = std::chrono::steady_clock::now();
    const bool more = run_slice(lab, budget_ms, start);
    lab.run.slowest_slice_ms = std::max(lab.run.slowest_slice_ms, ms_since(start));
    return more;
}

// ---------------------------------------------------------------------------------------------
// The exercise: one convolution or linear layer of one of the seven networks, its output shape
// and parameter count.

void new_exercise(ArchitecturesLab& lab, uint64_t seed) {
    Rng rng(seed);
    const Architecture a = Architecture(rng.uniform_int(0, kArchitectureCount - 1));
    const Laid& laid = laid_network(a);
    std::vector<int> candidates;  // conv and linear layers
    for (size_t i = 0; i < laid.model.layers.size(); i++)
        if (laid.model.layers[i].kind == LayerKind::conv || laid.model.layers[i].kind == LayerKind::linear) candidates.push_back(int(i));
    const int index = candidates[size_t(rng.uniform_int(0, int(candidates.size()) - 1))];
    const Layer& L = laid.model.layers[size_t(index)];
    json setup = {{"network", architecture_info(a).key}, {"layer", L.name}, {"index", index}, {"in_shape", L.in_shape},
                  {"out", L.out_shape[0]}, {"bias", L.has_bias}};
    if (L.kind == LayerKind::conv) {
        setup["kind"] = "conv";
        setup["kernel"] = L.conv.rows.kernel;
        setup["stride"] = L.conv.rows.stride;
        setup["padding"] = L.conv.rows.pad_before;
        setup["groups"] = L.conv.groups;
    } else {
        setup["kind"] = "linear";
    }
    lab.settings.network = a;  // the network it is about is shown (its numbers hidden until answered)
    lab.settings.phi = 0;
    recompute(lab);
    lab.record.start(setup, seed, lab.pending);
    lab.typed_shape[0] = lab.typed_params[0] = 0;
}

json expected_answer(const ArchitecturesLab& lab) {
    const json& x = lab.record.exercise;
    const Laid& laid = laid_network(find_architecture(x["network"].get<std::string>())->id);
    const Layer& L = laid.model.layers[size_t(x["index"].get<int>())];
    return {{"shape", L.out_shape}, {"params", layer_param_count(laid.model, L)}};
}

// Output side along one axis: floor((H + 2p - k) / s) + 1.
int conv_side(int H, int k, int s, int p) { return (H + 2 * p - k) / s + 1; }

std::vector<MistakeAnswer> exercise_mistakes(const ArchitecturesLab& lab) {
    const json& x = lab.record.exercise;
    const json right = expected_answer(lab);
    const std::vector<int> in = x["in_shape"].get<std::vector<int>>();
    const int OC = x["out"].get<int>();
    const bool bias = x["bias"].get<bool>();
    const int64_t params = right["params"].get<int64_t>();
    std::vector<MistakeAnswer> list;
    auto with_params = [&](int64_t p) { return json{{"shape", right["shape"]}, {"params", p}}; };
    auto with_shape = [&](const std::vector<int>& shape) { return json{{"shape", shape}, {"params", params}}; };
    if (bias) list.push_back({"bias-forgotten", with_params(params - OC), "You left out the biases: one per output, " + std::to_string(OC) + " more."});
    else list.push_back({"bias-counted", with_params(params + OC), "This layer has no bias (a batch norm after it shifts each channel instead): do not add " + std::to_string(OC) + "."});
    if (x["kind"] == "linear") return list;
    const int k = x["kernel"], s = x["stride"], p = x["padding"], G = x["groups"], C = in[0], H = in[1];
    const int64_t b = bias ? OC : 0;
    list.push_back({"input-channels-forgotten", with_params(int64_t(OC) * k * k + b),
                    "Each filter spans all " + std::to_string(C / G) + " input channels it sees, not one: " + std::to_string(OC) + " x " +
                        std::to_string(C / G) + " x " + std::to_string(k) + " x " + std::to_string(k) + " weights."});
    if (G > 1)
        list.push_back({"groups-ignored", with_params(int64_t(OC) * C * k * k + b),
                        "In " + std::to_string(G) + " groups each filter sees only " + std::to_string(C / G) + " of the " + std::to_string(C) +
                            " input channels" + (G == C ? " (depthwise: one each)" : "") + ", not all of them."});
    const int side = conv_side(H, k, s, p);
    if (p > 0)
        list.push_back({"padding-ignored", with_shape({OC, conv_side(H, k, s, 0), conv_side(H, k, s, 0)}),
                        "You left out the padding: " + std::to_string(p) + " zeros on each side make the input " + std::to_string(H + 2 * p) + " wide."});
    if (s > 1)
        list.push_back({"stride-ignored", with_shape({OC, H + 2 * p - k + 1, H + 2 * p - k + 1}),
                        "You left out the stride: the window moves " + std::to_string(s) + " pixels at a time, so divide by " + std::to_string(s) + "."});
    if ((H + 2 * p - k) % s != 0)
        list.push_back({"rounded-up", with_shape({OC, side + 1, side + 1}),
                        "The window's last start must fit inside the input: round (H + 2p - k) / s down, not up."});
    if (C != OC)
        list.push_back({"input-channels-kept", with_shape({C, side, side}),
                        "The output has one channel per filter: " + std::to_string(OC) + ", whatever the input had (" + std::to_string(C) + ")."});
    return list;
}

std::string layer_sentence(const json& x) {
    const std::vector<int> in = x["in_shape"].get<std::vector<int>>();
    const std::string name = architecture_info(find_architecture(x["network"].get<std::string>())->id).name;
    if (x["kind"] == "linear")
        return "In " + name + ", layer " + x["layer"].get<std::string>() + " is a linear layer from " + std::to_string(in[0]) + " to " +
               std::to_string(x["out"].get<int>()) + " values" + (x["bias"].get<bool>() ? ", with biases." : ", without biases.");
    const int k = x["kernel"], s = x["stride"], p = x["padding"], G = x["groups"];
    std::string text = "In " + name + ", layer " + x["layer"].get<std::string>() + " is a " + std::to_string(k) + "x" + std::to_string(k) +
                       " convolution from " + std::to_string(in[0]) + " to " + std::to_string(x["out"].get<int>()) + " channels, stride " +
                       std::to_string(s) + ", padding " + std::to_string(p);
    if (G > 1) text += ", in " + std::to_string(G) + " groups" + (G == in[0] ? " (depthwise)" : "");
    text += x["bias"].get<bool>() ? ", with biases" : ", without biases";
    return text + ". Its input is " + shape_text(in) + ".";
}

HintLadder exercise_hints(const ArchitecturesLab& lab) {
    const json& x = lab.record.exercise;
    const json right = expected_answer(lab);
    const int OC = x["out"].get<int>();
    const std::vector<int> in = x["in_shape"].get<std::vector<int>>();
    const bool bias = x["bias"].get<bool>();
    if (x["kind"] == "linear") {
        const int64_t weights = int64_t(in[0]) * OC;
        return {"A linear layer from D inputs to M outputs has an M x D weight matrix, plus M biases if it has them; its output is M values.",
                "The weights here: " + std::to_string(OC) + " x " + std::to_string(in[0]) + ".",
                "Output (" + std::to_string(OC) + "); weights " + with_commas(weights) + (bias ? ", and then the biases." : ", and no biases.")};
    }
    const int k = x["kernel"], s = x["stride"], p = x["padding"], G = x["groups"], C = in[0], H = in[1];
    const int64_t weights = int64_t(OC) * (C / G) * k * k;
    return {"Output side = floor((H + 2p - k) / s) + 1, with as many channels as filters. Parameters = filters x (input channels / groups) "
            "x k x k weights, plus one bias per filter if the layer has them.",
            "The side: (" + std::to_string(H) + " + 2x" + std::to_string(p) + " - " + std::to_string(k) + ") / " + std::to_string(s) + " = " +
                std::to_string(H + 2 * p - k) + " / " + std::to_string(s) + ", rounded down, plus 1.",
            "Output " + shape_text(right["shape"].get<std::vector<int>>()) + "; weights " + std::to_string(OC) + " x " + std::to_string(C / G) +
                " x " + std::to_string(k) + " x " + std::to_string(k) + " = " + with_commas(weights) + (bias ? ", then the biases." : ", and no biases.")};
}

std::string check_answer(ArchitecturesLab& lab, const json& given) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    if (!given.is_object() || !given.contains("shape") || !given.contains("params"))
        return "\"answer\" must be {\"shape\": [C, H, W] (or [D] for a linear layer), \"params\": n}";
    const json& shape = given["shape"];
    if (!shape.is_array() || shape.empty() || shape.size() > 3) return "\"answer\": \"shape\" must be a list of 1 to 3 whole numbers";
    for (const json& v : shape)
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > (int64_t(1) << 30))
            return "\"answer\": \"shape\" must be a list of 1 to 3 whole numbers";
    if (!given["params"].is_number_integer() || given["params"].get<int64_t>() < 0)
        return "\"answer\": \"params\" must be a whole number, 0 or more";
    const json expected = expected_answer(lab);
    const json clean = {{"shape", shape}, {"params", given["params"]}};
    const bool right = clean["shape"] == expected["shape"] && clean["params"] == expected["params"];
    const std::string sum = "the output is " + shape_text(expected["shape"].get<std::vector<int>>()) + " and the layer has " +
                            with_commas(expected["params"].get<int64_t>()) + " parameters";
    std::string feedback = right ? "Right: " + sum + "." : "Not quite: " + sum + ".";
    json mistake = nullptr;
    if (!right) {
        mistake = name_mistake(clean, expected, exercise_mistakes(lab), feedback);
        if (mistake["id"] != "other") feedback = mistake["text"].get<std::string>() + " In all, " + sum + ".";
    }
    lab.record.checked(right, expected, clean, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State to and from JSON.

std::string read_phi(const json& f, ArchitecturesSettings& s) {
    float phi = s.phi;
    if (std::string e = read_number(f, "phi", 0, kMaxPhi, phi); !e.empty()) return e;
    s.phi = std::round(phi * 10) / 10;  // one decimal: the slider's step
    return "";
}

const Field<ArchitecturesSettings> kSettingFields[] = {
    choice_field("network", &ArchitecturesSettings::network, kNetworks),
    {"phi", read_phi, [](const ArchitecturesSettings& s) { return json(s.phi); }},
    {"photo", [](const json& f, ArchitecturesSettings& s) { return read_photo(f, "photo", s.photo); },
     [](const ArchitecturesSettings& s) { return json(s.photo); }},
};

json megabytes_json(int64_t bytes) { return json(double((bytes + (1 << 20) - 1) >> 20)); }

const Output<ArchitecturesLab> kOutputs[] = {
    {"networks", [](const ArchitecturesLab&) {
         json list = json::array();
         for (const Choice<Architecture>& c : kNetworks) {
             const ArchitectureInfo& info = architecture_info(c.value);
             const Laid& laid = laid_network(c.value);
             list.push_back({{"key", info.key}, {"name", info.name}, {"year", info.year}, {"idea", info.idea}, {"top1", info.top1},
                             {"top1_source", info.top1_source}, {"params", laid.params}, {"macs", laid.macs},
                             {"layers", laid.model.layers.size()}});
         }
         return list;
     }},
    {"shown", [](const ArchitecturesLab& lab) {
         const Laid& l = lab.shown;
         if (!l.message.empty()) return json{{"name", l.title}, {"message", l.message}};
         return json{{"name", l.title},
                     {"input", l.model.input_shape},
                     {"layers", l.model.layers.size()},
                     {"params", l.params},
                     {"macs", l.macs},
                     {"field", last_field(l)},
                     {"inference_mb", megabytes_json(l.inference_bytes)},
                     {"training_mb", megabytes_json(l.training_bytes)},
                     {"budget_mb", megabytes_json(kModelMemoryBudget)},
                     {"fits", l.inference_bytes <= kModelMemoryBudget},
                     {"trains", l.training_bytes <= kModelMemoryBudget}};
     }},
    {"layers", [](const ArchitecturesLab& lab) {
         json list = json::array();
         for (const LayerReport& r : lab.shown.reports) {
             const Layer& L = lab.shown.model.layers[size_t(r.layer)];
             list.push_back({{"name", L.name}, {"type", layer_kind_name(L.kind)}, {"what", layer_what(L)}, {"shape", r.out_shape},
                             {"params", r.params}, {"macs", r.macs}, {"field", r.field}});
         }
         return list;
     }},
    {"scaling", [](const ArchitecturesLab& lab) {
         json rows = json::array();
         for (const ScaledRow& row : lab.scaling) {
             json r = {{"kind", row.kind}, {"width", row.scale.width}, {"depth", row.scale.depth}, {"resolution", row.scale.resolution}};
             if (row.message.empty()) {
                 r["params"] = row.params;
                 r["macs"] = row.macs;
                 r["times_b0"] = double(row.macs) / double(b0().macs);
             } else {
                 r["message"] = row.message;
             }
             rows.push_back(r);
         }
         return json{{"phi", lab.settings.phi}, {"target", std::pow(2.0, double(lab.settings.phi))}, {"b0_macs", b0().macs}, {"rows", rows}};
     }},
    {"forward", [](const ArchitecturesLab& lab) {
         const ForwardRun& r = lab.run;
         json f = {{"state", choice_name(kRunStates, r.state)}, {"network", text_or_null(r.network)},
                   {"layers_done", r.next_layer}, {"layers", r.layers}, {"input", text_or_null(r.input_name)},
                   {"message", text_or_null(r.message)}};
         if (r.state == RunState::done) f["top_class"] = r.top_class;
         return f;
     }},
    {"timings", [](const ArchitecturesLab& lab) {
         const ForwardRun& r = lab.run;
         return json{{"touch_ms", r.touch_ms}, {"build_ms", r.build_ms}, {"forward_ms", r.forward_ms}, {"layer_ms", r.layer_ms},
                     {"slowest_slice_ms", r.slowest_slice_ms}};
     }},
    {"photo_loaded", [](const ArchitecturesLab& lab) { return text_or_null(lab.photo_loaded); }},
    {"loading", [](const ArchitecturesLab&) { return json(!picture_pending("architectures").empty()); }},
    {"note", [](const ArchitecturesLab& lab) { return text_or_null(lab.note); }},
};

json architectures_state() {
    ArchitecturesLab& lab = g_lab;
    recompute(lab);
    json state;
    write_fields(state, kSettingFields, lab.settings);
    write_outputs(state, kOutputs, lab);
    lab.record.write(state);
    return state;
}

std::string apply_command(ArchitecturesLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, {"reset", "run", "new_exercise", "seed", "hint", "answer"}, kOutputs); !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) {
        const ExerciseRecord kept = lab.record;
        const std::string photo = lab.photo_loaded;
        std::vector<uint8_t> rgba = lab.photo_rgba;
        const int w = lab.photo_width, h = lab.photo_height;
        lab = ArchitecturesLab{};
        lab.record.answered = kept.answered;  // the score is the student's, kept across resets
        lab.record.correct = kept.correct;
        lab.photo_loaded = photo;  // the photo that arrived stays: it is not a setting
        lab.photo_rgba = std::move(rgba);
        lab.photo_width = w;
        lab.photo_height = h;
    }
    ArchitecturesSettings s = lab.settings;
    if (!(e = read_fields(f, kSettingFields, s)).empty()) return e;
    if (s.photo != lab.settings.photo || (f.contains("photo") && lab.photo_loaded != s.photo)) lab.pending.picture = s.photo;
    if (lab.record.open() && !(s.network == lab.settings.network && s.phi == lab.settings.phi)) lab.record.close();
    lab.settings = s;
    recompute(lab);
    bool run = false;
    if (!(e = read_bool(f, "run", run)).empty()) return e;
    if (run) {
        if (lab.run.state == RunState::running) return "a forward pass of " + lab.run.network + " is running: wait for it to finish";
        start_run(lab);
    }
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, exercise_hints)).empty()) return e;
    if (f.contains("answer") && !(e = check_answer(lab, f["answer"])).empty()) return e;
    return "";
}

std::string architectures_command(const json& fields) { return command_on_copy("architectures", g_lab, fields, apply_command); }

void architectures_picture(const Picture& picture) {
    ArchitecturesLab& lab = g_lab;
    if (!picture.error.empty() || picture.width < 224 || picture.height < 224) {
        lab.note = "The photo \"" + picture.name + "\" could not be used (" +
                   (picture.error.empty() ? std::string("smaller than 224 pixels a side") : picture.error) + "): a built-in pattern is the input instead.";
        return;
    }
    lab.photo_loaded = picture.name;
    lab.photo_rgba = picture.rgba;
    lab.photo_width = picture.width;
    lab.photo_height = picture.height;
    lab.note.clear();
    post_event("photo-loaded");
}

// ---------------------------------------------------------------------------------------------
// Drawing.

const ImU32 kDot = IM_COL32(62, 112, 178, 220);
const ImU32 kDotShown = IM_COL32(232, 150, 40, 255);

// Published accuracy against multiply-adds (log scale) for the six ImageNet networks: the dot's area
// grows with the parameters. Returns the network clicked, or -1.
int draw_accuracy_chart(const ArchitecturesLab& lab, ImVec2 size) {
    ImGui::InvisibleButton("accuracy-chart", size);
    ui_anchor("accuracy-chart");
    const ImVec2 p0 = ImGui::GetItemRectMin();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    draw->AddRectFilled(p0, ImVec2(p0.x + size.x, p0.y + size.y), IM_COL32(250, 250, 250, 255));
    const float left = 48, bottom = 34, top = 24, right = 12;
    const double lo_macs = std::log10(2e8), hi_macs = std::log10(3e10), lo_acc = 50, hi_acc = 80;
    auto at = [&](double macs, double acc) {
        return ImVec2(p0.x + left + float((std::log10(double(macs)) - lo_macs) / (hi_macs - lo_macs)) * (size.x - left - right),
                      p0.y + top + float((hi_acc - acc) / (hi_acc - lo_acc)) * (size.y - top - bottom));
    };
    const ImU32 axis = IM_COL32(120, 120, 120, 255), text = IM_COL32(60, 60, 60, 255);
    for (double m : {1e9, 1e10}) {
        const ImVec2 a = at(m, lo_acc);
        draw->AddLine(a, at(m, hi_acc), IM_COL32(220, 220, 220, 255));
        draw->AddText(ImVec2(a.x - 10, a.y + 4), text, m == 1e9 ? "1 G" : "10 G");
    }
    for (int acc = 50; acc <= 80; acc += 10) {
        const ImVec2 a = at(std::pow(10, lo_macs), acc);
        draw->AddLine(a, at(std::pow(10, hi_macs), acc), IM_COL32(220, 220, 220, 255));
        draw->AddText(ImVec2(p0.x + 8, a.y - 7), text, (std::to_string(acc) + "%").c_str());
    }
    draw->AddText(ImVec2(p0.x + left, p0.y + size.y - 16), axis, "multiply-adds per picture (log scale)");
    draw->AddText(ImVec2(p0.x + 8, p0.y + 4), axis, "top-1 on ImageNet");
    int clicked = -1;
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    struct Dot {
        Architecture network;
        ImVec2 centre;
        float radius;
    };
    std::vector<Dot> dots;
    for (const Choice<Architecture>& c : kNetworks) {
        if (c.value == Architecture::lenet5) continue;  // MNIST, not ImageNet
        const Laid& laid = laid_network(c.value);
        dots.push_back({c.value, at(double(laid.macs), architecture_info(c.value).top1), 3 + 2.2f * std::sqrt(float(laid.params) / 1e6f)});
    }
    for (const Dot& d : dots) {
        const bool shown = lab.settings.network == d.network;
        draw->AddCircleFilled(d.centre, d.radius, shown ? kDotShown : kDot);
        const float dx = mouse.x - d.centre.x, dy = mouse.y - d.centre.y;
        if (ImGui::IsItemClicked() && dx * dx + dy * dy <= (d.radius + 4) * (d.radius + 4)) clicked = int(d.network);
    }
    const ImVec2 title = ImGui::CalcTextSize("top-1 on ImageNet");
    std::vector<ImVec4> placed = {ImVec4(p0.x + 8, p0.y + 4, p0.x + 8 + title.x, p0.y + 4 + title.y)};  // (x0, y0, x1, y1) of the texts drawn
    for (const Dot& d : dots) {  // each name right of its dot, else left, below or above: where it covers no dot and no name
        const char* name = architecture_info(d.network).name;
        const ImVec2 extent = ImGui::CalcTextSize(name);
        auto clear = [&](ImVec2 corner) {
            if (corner.x < p0.x + left || corner.x + extent.x > p0.x + size.x - 2 || corner.y < p0.y + 2 ||
                corner.y + extent.y > p0.y + size.y - bottom + 4)
                return false;
            for (const Dot& o : dots) {
                const float nx = std::clamp(o.centre.x, corner.x, corner.x + extent.x), ny = std::clamp(o.centre.y, corner.y, corner.y + extent.y);
                if ((nx - o.centre.x) * (nx - o.centre.x) + (ny - o.centre.y) * (ny - o.centre.y) < o.radius * o.radius) return false;
            }
            for (const ImVec4& r : placed)
                if (corner.x < r.z + 6 && corner.x + extent.x + 6 > r.x && corner.y < r.w && corner.y + extent.y > r.y) return false;
            return true;
        };
        const ImVec2 places[] = {ImVec2(d.centre.x + d.radius + 3, d.centre.y - extent.y / 2),
                                 ImVec2(d.centre.x - d.radius - 3 - extent.x, d.centre.y - extent.y / 2),
                                 ImVec2(d.centre.x - extent.x / 2, d.centre.y + d.radius + 1),
                                 ImVec2(d.centre.x - extent.x / 2, d.centre.y - d.radius - 1 - extent.y)};
        ImVec2 place = places[2];
        for (const ImVec2& p : places)
            if (clear(p)) {
                place = p;
                break;
            }
        draw->AddText(place, text, name);
        placed.push_back(ImVec4(place.x, place.y, place.x + extent.x, place.y + extent.y));
    }
    return clicked;
}

void draw_timeline(ArchitecturesLab& lab) {
    ImGui::TextDisabled("TWENTY-ONE YEARS IN SEVEN NETWORKS");
    const float width = (ImGui::GetContentRegionAvail().x - 6 * ImGui::GetStyle().ItemSpacing.x) / 7;
    for (const Choice<Architecture>& c : kNetworks) {
        const ArchitectureInfo& info = architecture_info(c.value);
        const Laid& laid = laid_network(c.value);
        if (c.value != kNetworks[0].value) ImGui::SameLine();
        const bool shown = lab.settings.network == c.value;
        if (shown) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
        const std::string label = std::to_string(info.year) + "\n" + info.name + "\n" + millions(laid.params) + " params\n" +
                                  millions(laid.macs) + " MACs##" + info.key;
        if (ImGui::Button(label.c_str(), ImVec2(width, ImGui::GetTextLineHeight() * 4.6f))) {
            lab.settings.network = c.value;
        }
        if (shown) ImGui::PopStyleColor();
        ui_anchor(std::string("network-") + info.key);
    }
}

void draw_summary(ArchitecturesLab& lab) {
    const Laid& l = lab.shown;
    const ArchitectureInfo& info = architecture_info(lab.settings.network);
    ImGui::PushTextWrapPos(0);
    ImGui::Text("%s (%d). %s", l.title.c_str(), info.year, info.idea);
    if (!l.message.empty()) {
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", l.message.c_str());
        ImGui::PopTextWrapPos();
        return;
    }
    const bool hidden = lab.record.open();
    ImGui::Text("Input %s. %zu layers, %s parameters, %s multiply-adds per picture; the last maps see %lld x %lld input pixels.",
                shape_text(l.model.input_shape).c_str(), l.model.layers.size(), hidden ? "?" : with_commas(l.params).c_str(),
                hidden ? "?" : with_commas(l.macs).c_str(), (long long)last_field(l), (long long)last_field(l));
    if (lab.settings.network != Architecture::efficientnet_b0 || lab.settings.phi == 0)
        ImGui::Text("Published top-1 accuracy: %.2f%% (%s).", info.top1, info.top1_source);
    ImGui::Text("Memory: %s to run it on one picture, %s to train it with Adam on batches of %d (the page gives a network %s).",
                megabytes(l.inference_bytes).c_str(), megabytes(l.training_bytes).c_str(), kTrainingBatch, megabytes(kModelMemoryBudget).c_str());
    ImGui::PopTextWrapPos();
}

void draw_forward(ArchitecturesLab& lab) {
    ImGui::TextDisabled("ONE FORWARD PASS, HERE");
    const ForwardRun& r = lab.run;
    const bool fits = lab.shown.message.empty() && lab.shown.inference_bytes <= kModelMemoryBudget;
    ImGui::BeginDisabled(r.state == RunState::running || !fits);
    if (ImGui::Button(("Run " + lab.shown.title + " once").c_str())) start_run(lab);
    ImGui::EndDisabled();
    ui_anchor("run");
    ImGui::SameLine();
    help_marker("The weights are random (drawn as PyTorch initializes them), so the scores mean nothing: what you see is what one "
                "picture costs. The photo is shrunk to the network's input and normalized with ImageNet's mean and spread.");
    ImGui::PushTextWrapPos(0);
    if (!fits && lab.shown.message.empty())
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s needs %s for one picture; the page gives a network %s.", lab.shown.title.c_str(),
                           megabytes(lab.shown.inference_bytes).c_str(), megabytes(kModelMemoryBudget).c_str());
    if (r.state == RunState::running) {
        const char* building[] = {"getting the memory", "allocating", "drawing the weights"};
        const std::string text = r.step == RunStep::forward ? std::to_string(r.next_layer) + " of " + std::to_string(r.layers) + " layers"
                                                            : building[int(r.step)];
        ImGui::ProgressBar(r.layers ? float(r.next_layer) / float(r.layers) : 0.0f, ImVec2(-1, 0), text.c_str());
    } else if (r.network != lab.shown.title) {
        // the last run was of another network: nothing to say here about this one
    } else if (r.state == RunState::done) {
        double conv_ms = 0;
        Model laid;
        if (model_layout(laid, r.description).ok())
            for (size_t i = 0; i < laid.layers.size() && i < r.layer_ms.size(); i++)
                if (laid.layers[i].kind == LayerKind::conv) conv_ms += r.layer_ms[i];
        ImGui::Text("%s on %s: %s of memory made ready in %.0f ms, the network built in %.0f ms, one forward pass in %.0f ms on one core "
                    "of this computer (%.0f%% of it in convolutions). The largest score is class %d, by chance: the weights are random.",
                    r.network.c_str(), r.input_name.c_str(), megabytes(r.bytes).c_str(), r.touch_ms, r.build_ms, r.forward_ms,
                    r.forward_ms > 0 ? 100 * conv_ms / r.forward_ms : 0.0, r.top_class);
    } else if (r.state == RunState::refused) {
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", r.message.c_str());
    }
    if (!lab.note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", lab.note.c_str());
    ImGui::PopTextWrapPos();
}

void draw_layers(ArchitecturesLab& lab) {
    const Laid& l = lab.shown;
    if (!l.message.empty()) return;
    const ForwardRun& r = lab.run;
    const bool timed = r.state == RunState::done && r.network == l.title && r.layer_ms.size() == l.reports.size();
    // while an exercise is open the numbers it asks for are hidden: in its layer and every layer after
    const int hide_from = lab.record.open() ? lab.record.exercise["index"].get<int>() : int(l.reports.size());
    // the rest of the window, but for the note under the table
    const float height = std::max(ImGui::GetTextLineHeightWithSpacing() * 10,
                                  ImGui::GetContentRegionAvail().y - 2 * ImGui::GetTextLineHeightWithSpacing());
    if (!ImGui::BeginTable("layers", timed ? 7 : 6,
                           ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingFixedFit,
                           ImVec2(0, height)))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("name");
    ImGui::TableSetupColumn("layer");
    ImGui::TableSetupColumn("output");
    ImGui::TableSetupColumn("parameters");
    ImGui::TableSetupColumn("multiply-adds");
    ImGui::TableSetupColumn("field");
    if (timed) ImGui::TableSetupColumn("ms here");
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(int(l.reports.size()));
    while (clipper.Step())
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; i++) {
            const LayerReport& rep = l.reports[size_t(i)];
            const Layer& L = l.model.layers[size_t(i)];
            const bool hide = i >= hide_from;
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            if (i == hide_from) ImGui::TextColored(ImVec4(0.9f, 0.55f, 0.1f, 1.0f), "%s", L.name.c_str());
            else ImGui::TextUnformatted(L.name.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(layer_what(L).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(hide ? "?" : shape_text(rep.out_shape).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(hide ? "?" : rep.params ? with_commas(rep.params).c_str() : "");
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(hide ? "?" : rep.macs ? with_commas(rep.macs).c_str() : "");
            ImGui::TableNextColumn();
            if (rep.field < 0) ImGui::TextUnformatted("all");
            else ImGui::Text(rep.gated ? "%lld + gate" : "%lld", (long long)rep.field);
            if (timed) {
                ImGui::TableNextColumn();
                ImGui::Text("%.2f", r.layer_ms[size_t(i)]);
            }
        }
    ImGui::EndTable();
    ImGui::TextDisabled("field: the receptive field's side in input pixels; \"+ gate\": a squeeze-and-excitation gate, computed from the "
                        "whole picture, also scales these maps");
}

void draw_scaling(ArchitecturesLab& lab) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted("Scale B0 with one coefficient phi: depth (blocks per stage) by 1.2^phi, width (channels) by 1.1^phi, the picture's "
                       "side by 1.15^phi. Multiply-adds grow with depth and with the square of width and of side: 1.2 x 1.1^2 x 1.15^2 is "
                       "about 2, so each step of phi about doubles the cost. Scaling one dimension alone to the same cost gains less: in "
                       "Tan and Le's experiments, accuracy from width, depth or resolution alone levels off near 80%.");
    ImGui::PopTextWrapPos();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
    float phi = lab.settings.phi;
    if (ImGui::SliderFloat("phi", &phi, 0, kMaxPhi, "%.1f")) lab.settings.phi = std::round(phi * 10) / 10;
    ui_anchor("phi");
    ImGui::SameLine();
    if (ImGui::Button("Show this network")) lab.settings.network = Architecture::efficientnet_b0;
    recompute(lab);
    const Laid& base = b0();
    ImGui::Text("2^phi x B0's %s multiply-adds = %s", with_commas(base.macs).c_str(),
                with_commas(int64_t(std::pow(2.0, double(lab.settings.phi)) * double(base.macs))).c_str());
    if (ImGui::BeginTable("scaling", 7, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
        for (const char* h : {"scaled", "depth", "width", "side", "parameters", "multiply-adds", "x B0"}) ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (const ScaledRow& row : lab.scaling) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(std::string(row.kind) == "compound" ? "all three" : (std::string(row.kind) + " alone").c_str());
            ImGui::TableNextColumn();
            ImGui::Text("x %.2f", row.scale.depth);
            ImGui::TableNextColumn();
            ImGui::Text("x %.2f", row.scale.width);
            ImGui::TableNextColumn();
            ImGui::Text("%d", row.scale.resolution);
            if (!row.message.empty()) {
                ImGui::TableNextColumn();
                ImGui::TextDisabled("too large to lay out");
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", row.message.c_str());
                continue;
            }
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(with_commas(row.params).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(with_commas(row.macs).c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%.2f", double(row.macs) / double(base.macs));
        }
        ImGui::EndTable();
    }
}

void draw_exercise(ArchitecturesLab& lab) {
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) new_exercise(lab, fresh_seed());
    if (!lab.record.open()) return;
    const json& x = lab.record.exercise;
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted((layer_sentence(x) + " What is its output shape, and how many parameters does it have?").c_str());
    ImGui::PopTextWrapPos();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    bool entered = ImGui::InputTextWithHint("shape", x["kind"] == "linear" ? "e.g. 1000" : "e.g. 64 56 56", lab.typed_shape,
                                            sizeof lab.typed_shape, ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer-shape");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    entered |= ImGui::InputTextWithHint("parameters", "e.g. 36864", lab.typed_params, sizeof lab.typed_params, ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer-params");
    ImGui::SameLine();
    const bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (entered || check) {
        Rows shape, params;
        std::string params_text = lab.typed_params;
        params_text.erase(std::remove(params_text.begin(), params_text.end(), ','), params_text.end());  // "36,864"
        if (parse_rows_text(lab.typed_shape, 1, 3, 1e9f, shape).empty() && !shape.empty() && !shape[0].empty() &&
            parse_rows_text(params_text, 1, 1, 1e12f, params).empty() && !params.empty() && !params[0].empty()) {
            json dims = json::array();
            for (float v : shape[0]) dims.push_back(int64_t(std::llround(v)));
            (void)check_answer(lab, {{"shape", dims}, {"params", int64_t(std::llround(params[0][0]))}});
        }
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) lab.record.give_hint(exercise_hints(lab), lab.pending);
}

void architectures_draw() {
    ArchitecturesLab& lab = g_lab;
    if (!g_photo_requested) {  // the forward pass's photo, asked for once
        g_photo_requested = true;
        if (lab.photo_loaded.empty() && picture_pending("architectures").empty()) request_picture("architectures", lab.settings.photo);
    }
    lab_intro("Architectures",
              "From LeNet-5 reading cheques to EfficientNet: seven networks, each laid out by the engine layer by layer. What grew "
              "is depth, and what made depth trainable; what it costs is parameters, multiply-adds and memory.");
    const ArchitecturesSettings before = lab.settings;
    draw_timeline(lab);
    const float chart_width = std::min(ImGui::GetContentRegionAvail().x * 0.42f, ImGui::GetFontSize() * 28);
    const int clicked = draw_accuracy_chart(lab, ImVec2(chart_width, ImGui::GetFontSize() * 13));
    if (clicked >= 0) lab.settings.network = Architecture(clicked);
    ImGui::SameLine();
    ImGui::BeginGroup();
    recompute(lab);
    draw_summary(lab);
    ImGui::Separator();
    draw_exercise(lab);
    ImGui::EndGroup();
    ImGui::Separator();
    draw_forward(lab);
    if (ImGui::BeginTabBar("views")) {
        if (ImGui::BeginTabItem("Layer by layer")) {
            draw_layers(lab);
            ImGui::EndTabItem();
        }
        ui_anchor("tab-layers");
        if (ImGui::BeginTabItem("EfficientNet's compound scaling")) {
            draw_scaling(lab);
            ImGui::EndTabItem();
        }
        ui_anchor("tab-scaling");
        ImGui::EndTabBar();
    }
    if (lab.record.open() && !(lab.settings.network == before.network && lab.settings.phi == before.phi)) lab.record.close();
    recompute(lab);
    commit("architectures", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "architectures", .name = "Architectures",
                    .summary = "LeNet-5 to EfficientNet: every layer's shape, parameters and cost, one forward pass timed, compound scaling.",
                    .draw = architectures_draw, .state = architectures_state, .command = architectures_command,
                    .on_picture = architectures_picture, .work = architectures_work,
                    .teaches = {"layer-in-a-network", "Layers of real networks"});
