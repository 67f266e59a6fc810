// train.cpp — Lab "Train a CNN": a real network learns to read clothes (Fashion-MNIST) or digits
// (MNIST) in the page, and the student watches it happen.
//
// Nobody designs the kernels here: they start as noise and training shapes them, step by step,
// to whatever helps tell the classes apart. The lab runs the engine's training loop a few steps per
// frame (so the page stays responsive) and shows the loss falling, the accuracy rising, the first
// layer's kernels changing, what each layer sees of one picture, which classes get confused, and
// what the network makes of a picture the student draws.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include <imgui.h>

#include "../../engine/data.h"
#include "../../engine/gpu_model.h"
#include "../../engine/model.h"
#include "../../engine/model_presets.h"
#include "../../engine/optim.h"
#include "../../engine/train_run.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../widgets.h"

namespace {

const char* kFashionClasses[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
const char* kDigitClasses[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

const char* kLayerTypes[] = {"conv", "maxpool", "avgpool", "global_avgpool", "batchnorm", "relu", "dropout", "flatten", "linear", "residual block"};

// The learning rate over the run: constant, or falling along half a cosine to 0 over the epochs.
enum class Schedule { constant, cosine };
constexpr Choice<Schedule> kSchedules[] = {{Schedule::constant, "constant"}, {Schedule::cosine, "cosine"}};
// Data augmentation: none, or each training picture turned left-right with probability 1/2.
enum class Augment { none, mirror };
constexpr Choice<Augment> kAugments[] = {{Augment::none, "none"}, {Augment::mirror, "mirror"}};
constexpr Choice<OptimizerKind> kOptimizers[] = {{OptimizerKind::sgd, "sgd"}, {OptimizerKind::adam, "adam"}};

// What the student chose: the data, the network, how it trains.
struct TrainSettings {
    std::string dataset = "fashion";  // "fashion" | "mnist"
    std::string preset = "seed";      // a model preset's id, or "custom"
    json layers;                      // the description's layer list (the editor changes it)
    OptimizerSettings optimizer = {.kind = OptimizerKind::adam, .lr = 0.002f};
    int batch = 32;
    int epochs = 5;
    Schedule schedule = Schedule::constant;
    Augment augment = Augment::none;
    float label_smoothing = 0.0f;     // the loss's target: (1-eps)*onehot(label) + eps/10; 0: the plain one-hot
    uint64_t seed = 1;
    Backend backend = Backend::cpu;   // where the conv layers run (the rest is always the CPU's)
    int sample = 0;                   // the test image whose feature maps are shown
    bool operator==(const TrainSettings&) const = default;
};

struct TrainLab {
    TrainSettings settings;
    // Data: the app's copy of the chosen dataset, once it is here (request_dataset).
    const LoadedDataset* data = nullptr;
    std::string data_error;
    // The model.
    Model model;                     // built from settings.layers; empty (no layers) while the description is impossible
    std::string message;             // why the description or the last run failed, "" when all is well
    // The run: where it is, the optimizer's state, the batch (engine/train_run.h).
    TrainRun run;
    bool running = false;
    float last_loss = NAN;
    double loss_sum = 0;             // since the last curve point
    int loss_count = 0;
    std::vector<float> loss_curve;   // mean training loss per 50 steps
    std::vector<float> test_curve;   // test accuracy after each evaluation
    double test_accuracy = NAN;      // the last full evaluation, NaN before one
    int64_t tested_at = -1;          // the step it was measured at
    int confusion[10][10] = {};      // [true][predicted] counts of the last evaluation
    std::vector<int> mistakes;       // test indices predicted wrong (up to 24)
    // A measurement on the test set in progress. While training runs it is spread over frames like
    // the steps are: all 10,000 test images through a bigger network take seconds, which done at
    // once would freeze the page. Nothing trains until it is finished.
    struct Evaluation {
        bool active = false;
        bool ends_epoch = false;     // finishing it completes an epoch (epoch + 1, "epoch-done")
        int total = 0, done = 0, correct = 0;
        int confusion[10][10] = {};
        std::vector<int> mistakes;
    } evaluation;
    double images_per_second = 0;
    double step_ms = 0;              // a training step's time, smoothed over the last few (a frame holds at least one)
    // Views.
    std::vector<float> drawing = std::vector<float>(784, 0.0f);  // (28, 28) the student's picture
    std::vector<float> drawing_probs = std::vector<float>(10, 0.0f);
    int editing = -1;                // the layer open in the editor
    std::string note;                // a one-line message (saved, loaded, restored ...)
    std::chrono::steady_clock::time_point kept_at;  // when the session was last kept in storage
};

TrainLab g_lab;

bool have_data(const TrainLab& lab) { return lab.data != nullptr; }
const Dataset& train_set(const TrainLab& lab) { return lab.data->train; }
const Dataset& test_set(const TrainLab& lab) { return lab.data->test; }
void share_network(const TrainLab& lab);

// The GPU side of the "gpu" backend: the conv layers' textures (engine/gpu_model.h).
GpuConvDevice g_device;
int g_device_generation = -1;  // gpu_generation() its textures belong to

// Points the model's conv layers at the GPU or the CPU before it runs. With "gpu" chosen but no
// GPU (lost context), the CPU does the work and backend_note() says why.
void use_backend(TrainLab& lab) {
    GpuContext* ctx = lab.settings.backend == Backend::gpu ? gpu() : nullptr;
    if (g_device_generation != gpu_generation()) {  // the old textures died with their context
        gpu_release(g_device, false);
        g_device.error.clear();
        g_device_generation = gpu_generation();
    }
    g_device.ctx = ctx;
    lab.model.conv_device = ctx ? gpu_conv_device(g_device) : ConvDevice{};
}

std::string backend_note(const TrainLab& lab) {
    if (lab.settings.backend != Backend::gpu) return "";
    if (!gpu()) return "The GPU is not available (" + gpu_note() + "): training runs on the CPU.";
    if (!g_device.error.empty()) return "Some conv layers ran on the CPU: " + g_device.error;
    return "";
}

const char* const* class_names(const TrainLab& lab) { return lab.settings.dataset == "mnist" ? kDigitClasses : kFashionClasses; }
bool model_ready(const TrainLab& lab) { return !lab.model.layers.empty(); }

// Pictures per forward pass when measuring on the test set. The model keeps buffers for
// max(batch, this) pictures (the deep preset's activations and gradients take about 0.56 MB a
// picture), and WebAssembly memory never shrinks: 50 keeps them near 28 MB.
constexpr int kEvalBatch = 50;
// The most arithmetic one picture may take through the network the lab trains: a training step
// (forward and backward, about 3x the forward's multiply-adds) of a batch of 32 then stays near
// 2 billion multiply-adds, about half a second in WebAssembly, and a frame, which takes at least one
// step, stays under a second. The deep preset takes 2 million; a network past the limit is
// refused before it is built, with its figure.
constexpr int64_t kMaxPictureMacs = 20'000'000;
// A measurement on the test set is done at once when it takes less than this (the whole test set of
// the seed net: 2 billion), else spread over frames like training.
constexpr int64_t kAtOnceMacs = 2'000'000'000;

// ---- building -------------------------------------------------------------------------------

std::string description(const json& layers) { return json{{"input", {1, 28, 28}}, {"layers", layers}}.dump(); }

// The run's recipe from the lab's settings (read again before every step: a change applies at once).
TrainRecipe recipe_of(const TrainSettings& s) {
    return {.optimizer = s.optimizer, .batch = s.batch, .epochs = s.epochs, .cosine = s.schedule == Schedule::cosine,
            .mirror = s.augment == Augment::mirror, .label_smoothing = s.label_smoothing, .seed = s.seed};
}

// Epochs finished and measured: the run counts an epoch at its last step, the lab once the
// measurement on the test set that ends it is done.
int epochs_done(const TrainLab& lab) {
    return lab.run.epoch - (lab.evaluation.active && lab.evaluation.ends_epoch ? 1 : 0);
}

// Builds the model from `layers`; on an impossible description the message names the layer and
// the model is left empty (training cannot start). Resets the run.
void build(TrainLab& lab) {
    Model m;
    Status s = model_from_json(m, description(lab.settings.layers), lab.settings.seed);
    lab.running = false;
    lab.run = TrainRun{};
    lab.step_ms = 0;
    lab.loss_curve.clear();
    lab.test_curve.clear();
    lab.test_accuracy = NAN;
    lab.tested_at = -1;
    lab.last_loss = NAN;
    lab.loss_sum = 0;
    lab.loss_count = 0;
    std::memset(lab.confusion, 0, sizeof lab.confusion);
    lab.mistakes.clear();
    lab.evaluation = {};
    if (!s.ok()) {
        lab.model = Model{};
        lab.message = s.message;
        return;
    }
    if (output_size(m) != 10) {
        lab.model = Model{};
        lab.message = "model: the last layer gives " + std::to_string(output_size(m)) + " values; it needs 10, one per class";
        return;
    }
    if (const int64_t macs = model_macs(m); macs > kMaxPictureMacs) {
        lab.model = Model{};
        lab.message = "model: one picture takes " + std::to_string(macs / 1'000'000) + " million multiply-adds through this network; the lab "
                      "trains networks of up to " + std::to_string(kMaxPictureMacs / 1'000'000) +
                      " million, so that a training step stays under a second in the page";
        return;
    }
    if (s = ensure_batch(m, std::max(lab.settings.batch, kEvalBatch)); !s.ok()) {
        lab.model = Model{};
        lab.message = s.message;
        return;
    }
    lab.model = std::move(m);
    lab.message.clear();
    train_run_start(lab.run, recipe_of(lab.settings), int64_t(lab.model.params.size()));
}

void use_preset(TrainLab& lab, const std::string& id) {
    for (const ModelPreset& p : model_presets())
        if (id == p.id) {
            lab.settings.preset = id;
            lab.settings.layers = json::parse(p.layers);
            build(lab);
        }
}

TrainLab make_lab() {
    TrainLab lab;
    use_preset(lab, "seed");
    return lab;
}

// ---- data -------------------------------------------------------------------------------------

void train_dataset(const LoadedDataset& data) {
    TrainLab& lab = g_lab;
    if (data.name != lab.settings.dataset) return;  // asked for before a change of dataset
    if (!data.error.empty()) {
        lab.data_error = data.error;
        return;
    }
    if (data.train.rows != 28 || data.train.cols != 28 || data.train.classes != 10) {
        lab.data_error = "the dataset is not 28x28 images of 10 classes";
        return;
    }
    lab.data = &data;
    lab.evaluation = {};  // indices into the old data mean nothing in the new
    lab.mistakes.clear();
    lab.run.order.clear();  // the epoch's order is drawn again (the same, for the same data)
    if (lab.run.cursor >= data.train.count) lab.run.cursor = 0;
    lab.data_error.clear();
    lab.settings.sample = std::min(lab.settings.sample, data.test.count - 1);
    post_event("dataset-loaded");
}

void ask_for_data(TrainLab& lab) {
    if (have_data(lab) || !lab.data_error.empty() || dataset_loading(lab.settings.dataset) >= 0) return;
    request_dataset("train", lab.settings.dataset);
}

// ---- training ---------------------------------------------------------------------------------

// Starts measuring the model on the first `count` test images (all by default): accuracy,
// confusion matrix, the first mistakes. evaluate_for() does the work.
void start_evaluation(TrainLab& lab, int count = 1 << 30, bool ends_epoch = false) {
    lab.evaluation = {};
    lab.evaluation.active = true;
    lab.evaluation.ends_epoch = ends_epoch;
    lab.evaluation.total = std::min(count, test_set(lab).count);
}

// Runs the measurement in progress for about `budget_ms` (at least one batch of `B` images) and,
// when the last image is done, publishes its results (and completes the epoch it ends).
void evaluate_for(TrainLab& lab, double budget_ms, int B = 25) {
    TrainLab::Evaluation& e = lab.evaluation;
    if (!e.active) return;
    e.total = std::min(e.total, test_set(lab).count);  // the data may have changed since it started
    const int classes = 10;
    const auto start = std::chrono::steady_clock::now();
    std::vector<float> images(size_t(B) * 784);  // (B, 1, 28, 28)
    std::vector<int32_t> labels(static_cast<size_t>(B));
    const std::vector<int32_t> order = sample_order(test_set(lab).count, nullptr);  // the test set in its own order
    use_backend(lab);
    while (e.done < e.total) {
        const int n = std::min(B, e.total - e.done);
        gather_batch(images.data(), labels.data(), test_set(lab), order, e.done, n);
        const float* logits = model_forward(lab.model, images.data(), n, false);  // (n, classes)
        for (int i = 0; i < n; i++) {
            const int best = predicted_class(logits + i * classes, classes);
            e.confusion[labels[size_t(i)]][best]++;
            if (best == labels[size_t(i)]) e.correct++;
            else if (e.mistakes.size() < 24) e.mistakes.push_back(e.done + i);
        }
        e.done += n;
        if (std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() >= budget_ms) break;
    }
    if (e.done < e.total) return;
    if (e.total > 0) {  // (no test pictures: nothing measured, but an epoch still ends)
        std::memcpy(lab.confusion, e.confusion, sizeof lab.confusion);
        lab.mistakes = e.mistakes;
        lab.test_accuracy = double(e.correct) / e.total;
        lab.tested_at = lab.run.step;
        lab.test_curve.push_back(float(lab.test_accuracy));
    }
    const bool ends_epoch = e.ends_epoch;
    lab.evaluation = {};
    if (ends_epoch) {
        post_event("epoch-done");
        if (lab.run.epoch >= lab.settings.epochs) lab.running = false;
    }
}

// Finishes the measurement in progress at once (a command, a pause: the answer must be complete).
void finish_evaluation(TrainLab& lab) {
    if (lab.evaluation.active && have_data(lab)) evaluate_for(lab, INFINITY, kEvalBatch);
}

// Measures the model on the first `count` test images at once (after the measurement in
// progress, which may end an epoch).
void evaluate(TrainLab& lab, int count = 1 << 30) {
    finish_evaluation(lab);
    start_evaluation(lab, count);
    // a big network's measurement goes on in the frames that follow (state "measuring"): a command
    // must not hold the page for seconds
    if (int64_t(lab.evaluation.total) * model_macs(lab.model) <= kAtOnceMacs) finish_evaluation(lab);
}

// The learning rate for the next step (with the cosine schedule, its share at this point of the run).
float learning_rate_now(const TrainLab& lab) {
    TrainRun now;  // where the run is, with the settings as they are now
    now.recipe = recipe_of(lab.settings);
    now.epoch = lab.run.epoch;
    now.cursor = lab.run.cursor;
    return train_run_lr(now, have_data(lab) ? train_set(lab).count : 0);
}

// A quick look at the test accuracy (2,000 test pictures) every this many training pictures: 300
// steps of the default batch of 32, six points an epoch of the 60,000-picture training sets whatever
// the batch (counting steps, a batch of 16 would spend twice the time on looking).
constexpr int kQuickLookEvery = 9600;

// One optimizer step on the next batch. Returns false (and pauses, with a message) when the loss
// is no longer a number: the run diverged.
bool train_step(TrainLab& lab) {
    finish_evaluation(lab);  // it measures the weights as they were when it started
    use_backend(lab);
    lab.run.recipe = recipe_of(lab.settings);
    const int cursor = lab.run.cursor;
    const float loss = train_run_step(lab.run, lab.model, train_set(lab));
    if (!std::isfinite(loss) || loss > kDivergedLoss) {  // the weights blew up and will not come back: nothing was changed
        lab.running = false;
        lab.message = "Training stopped at step " + std::to_string(lab.run.step + 1) + ": the loss became " +
                      (std::isnan(loss) ? "NaN (not a number)" : std::isinf(loss) ? "infinite" : format_number(loss)) +
                      ". The steps were too large for this network: the weights grew until the numbers overflowed. "
                      "Lower the learning rate and press Reset.";
        post_event("training-diverged");
        return false;
    }
    lab.last_loss = loss;
    lab.loss_sum += loss;
    if (++lab.loss_count == 50) {
        lab.loss_curve.push_back(float(lab.loss_sum / lab.loss_count));
        lab.loss_sum = 0;
        lab.loss_count = 0;
    }
    if (lab.run.cursor == 0) {  // the epoch's last step: measure on the whole test set, then the epoch is done
        start_evaluation(lab, test_set(lab).count, true);
    } else if (lab.run.cursor / kQuickLookEvery != cursor / kQuickLookEvery) {
        start_evaluation(lab, 2000);  // a quick look on part of the test set
    }
    return true;
}

// Runs steps for about `budget_ms` (the rest of the frame is the UI's): at least one step.
void train_for(TrainLab& lab, double budget_ms) {
    using clock = std::chrono::steady_clock;
    const auto since = [](clock::time_point t) { return std::chrono::duration<double, std::milli>(clock::now() - t).count(); };
    const auto start = clock::now();
    int images = 0;
    double training_ms = 0;  // the steps' share of the time (not the measuring)
    do {
        const auto t = clock::now();
        if (lab.evaluation.active) {
            evaluate_for(lab, budget_ms - since(start));
        } else {
            if (!train_step(lab)) return;
            images += lab.settings.batch;
            const double ms = since(t);
            lab.step_ms = lab.step_ms > 0 ? 0.7 * lab.step_ms + 0.3 * ms : ms;  // smoothed: an epoch's first step also shuffles
            training_ms += ms;
        }
    } while (lab.running && since(start) < budget_ms);
    if (images > 0 && training_ms > 0)
        lab.images_per_second = 0.8 * lab.images_per_second + 0.2 * (images / (training_ms / 1000.0));
}

// Class probabilities of test picture `index`, eval mode.
void predict(TrainLab& lab, const float* image, float* probs);
void predict_test(TrainLab& lab, int index, float* probs) {
    float image[784];  // (28, 28)
    picture_values(image, test_set(lab), index);
    predict(lab, image, probs);
}

// Class probabilities of one (28, 28) picture, eval mode.
void predict(TrainLab& lab, const float* image, float* probs) {
    use_backend(lab);
    const float* logits = model_forward(lab.model, image, 1, false);
    float top = logits[0];
    for (int k = 1; k < 10; k++) top = std::max(top, logits[k]);
    float total = 0;
    for (int k = 0; k < 10; k++) total += probs[k] = std::exp(logits[k] - top);
    for (int k = 0; k < 10; k++) probs[k] /= total;
}

// ---- saving, loading, keeping the session --------------------------------------------------

std::vector<uint8_t> model_file(const TrainLab& lab) {
    NamedTensors state = model_state(lab.model);
    state.metadata["cnnlab_model"] = description(lab.settings.layers);
    state.metadata["dataset"] = lab.settings.dataset;
    return safetensors_serialize(state);
}

std::string load_model_file(TrainLab& lab, const std::vector<uint8_t>& bytes, const std::string& name) {
    if (!model_ready(lab)) return "build a model first";
    NamedTensors state;
    if (Status s = safetensors_parse(state, bytes.data(), bytes.size()); !s.ok()) return name + ": " + s.message;
    Model copy = lab.model;
    if (Status s = load_model_state(copy, state); !s.ok())
        return name + " does not fit the current network: " + s.message;
    finish_evaluation(lab);  // it measures the weights about to be replaced (and may end an epoch)
    lab.model.params = copy.params;
    lab.model.buffers = copy.buffers;
    optimizer_init(lab.run.opt, lab.settings.optimizer, int64_t(lab.model.params.size()));
    lab.test_accuracy = NAN;
    if (have_data(lab)) evaluate(lab);
    share_network(lab);
    return "";
}

// ---- The settings' fields, each read and written as the state shows it ------------------------

// "model": a preset's name, or a description {"layers": [...]} (or the list alone). A state sent
// back names "custom" and carries its layers: the layers field then holds the network.
std::string read_model(const json& f, TrainSettings& s) {
    if (!f.contains("model")) return "";
    const json& m = f["model"];
    if (m.is_string() && m.get<std::string>() == "custom" && f.contains("layers")) {
        s.preset = "custom";
        return "";
    }
    if (m.is_string()) {
        std::string names;
        for (const ModelPreset& p : model_presets()) {
            if (m.get<std::string>() == p.id) {
                s.layers = json::parse(p.layers);
                s.preset = p.id;
                return "";
            }
            names += std::string(names.empty() ? "" : ", ") + p.id;
        }
        return "no model preset \"" + m.get<std::string>().substr(0, 30) + "\"; the presets are " + names;
    }
    if (m.is_object() && m.contains("layers") && m["layers"].is_array()) s.layers = m["layers"];
    else if (m.is_array()) s.layers = m;
    else return "\"model\" must be a preset name or a description {\"layers\": [...]}";
    s.preset = "custom";
    return "";
}

// "layers": the description's layer list (a preset named in "model" comes first).
std::string read_layers(const json& f, TrainSettings& s) {
    if (!f.contains("layers") || (f.contains("model") && s.preset != "custom")) return "";
    if (!f["layers"].is_array()) return "\"layers\" must be a list of layers";
    if (f["layers"] != s.layers) {
        s.layers = f["layers"];
        s.preset = "custom";
    }
    return "";
}

// "optimizer": "sgd" (with momentum 0.9) or "adam".
std::string read_optimizer(const json& f, TrainSettings& s) {
    OptimizerKind kind = s.optimizer.kind;
    if (std::string e = read_choice(f, "optimizer", kOptimizers, kind); !e.empty()) return e;
    if (kind != s.optimizer.kind) {
        s.optimizer.kind = kind;
        if (kind == OptimizerKind::sgd) s.optimizer.momentum = 0.9f;
    }
    return "";
}

std::string read_seed(const json& f, TrainSettings& s) {
    int seed = int(s.seed);
    if (std::string e = read_int(f, "seed", 0, 1000000, seed); !e.empty()) return e;
    s.seed = uint64_t(seed);
    return "";
}

std::string read_backend(const json& f, TrainSettings& s) {
    Backend backend = s.backend;
    if (std::string e = read_choice(f, "backend", kBackends, backend); !e.empty()) return e;
    if (backend == Backend::gpu && f.contains("backend") && !gpu())
        return "there is no GPU to train on here (" + gpu_note() + "); training stays on the CPU";
    s.backend = backend;
    return "";
}

// "sample": a test picture's index, below the test set's size once it is here.
std::string read_sample(const json& f, TrainSettings& s) {
    int sample = s.sample;
    if (std::string e = read_int(f, "sample", 0, 59999, sample); !e.empty()) return e;
    if (f.contains("sample") && have_data(g_lab) && sample >= test_set(g_lab).count)
        return "\"sample\" must be a test image index below " + std::to_string(test_set(g_lab).count);
    s.sample = sample;
    return "";
}

const Field<TrainSettings> kSettingFields[] = {
    {"dataset", [](const json& f, TrainSettings& s) {
         static constexpr Choice<int> kDatasets[] = {{0, "fashion"}, {1, "mnist"}};
         int d = s.dataset == "mnist";
         if (std::string e = read_choice(f, "dataset", kDatasets, d); !e.empty()) return e;
         s.dataset = kDatasets[d].name;
         return std::string();
     }, [](const TrainSettings& s) { return json(s.dataset); }},
    {"model", read_model, [](const TrainSettings& s) { return json(s.preset); }},
    {"layers", read_layers, [](const TrainSettings& s) { return s.layers; }},
    {"optimizer", read_optimizer, [](const TrainSettings& s) { return json(optimizer_name(s.optimizer.kind)); }},
    {"lr", [](const json& f, TrainSettings& s) { return read_number(f, "lr", 1e-6f, 1e6f, s.optimizer.lr); },  // huge rates allowed: they show divergence
     [](const TrainSettings& s) { return json(s.optimizer.lr); }},
    whole_field("batch", &TrainSettings::batch, 1, 512),
    whole_field("epochs", &TrainSettings::epochs, 1, 100),
    choice_field("schedule", &TrainSettings::schedule, kSchedules),
    choice_field("augment", &TrainSettings::augment, kAugments),
    number_field("label_smoothing", &TrainSettings::label_smoothing, 0.0f, 1.0f),
    {"seed", read_seed, [](const TrainSettings& s) { return json(s.seed); }},
    {"backend", read_backend, [](const TrainSettings& s) { return json(choice_name(kBackends, s.backend)); }},
    {"sample", read_sample, [](const TrainSettings& s) { return json(s.sample); }},
};

// Puts the network and its weights in the app as "your network", for the other labs.
void share_network(const TrainLab& lab) {
    if (!model_ready(lab)) return;
    std::string about = (lab.settings.preset == "custom" ? std::string("your own network") : "the " + lab.settings.preset + " preset") +
                        " trained on " + (lab.settings.dataset == "mnist" ? "MNIST digits" : "Fashion-MNIST") + " for " +
                        std::to_string(lab.run.step) + " steps";
    if (std::isfinite(lab.test_accuracy)) about += ", " + format_number(float(lab.test_accuracy)) + " right on the test set";
    set_your_network({.description = description(lab.settings.layers), .weights = model_state(lab.model),
                      .dataset = lab.settings.dataset, .about = about});
}

// Keeps the settings, the network, its weights and where the run is (step, epoch, the next picture,
// the optimizer's state) in the browser's storage, for a reload; shares the network with the other
// labs. While training it runs every kKeepSeconds, so a reload loses at most that much.
// The session is kept as bytes, in one piece so that it is never half-written:
//   the session's description as JSON, a zero byte,
//   the network's file (safetensors, "weights_bytes" long),
//   the optimizer's moments m then v (floats, little-endian; as many as the network's parameters).
// Kept as text (JSON with base64 inside), 1 MB took 20-40 ms to write out: a dropped frame each time.
constexpr double kKeepSeconds = 5;
constexpr const char* kSessionKey = "train-session";
constexpr const char* kTextSessionKey = "train";  // the session as JSON with base64, as kept before

void keep_session(TrainLab& lab) {
    if (!model_ready(lab)) return;
    share_network(lab);
    json about;
    write_fields(about, kSettingFields, lab.settings);
    about["step"] = lab.run.step;
    about["epoch"] = epochs_done(lab);
    const bool mid_epoch = !lab.evaluation.active;  // an epoch being measured resumes at the next epoch's start
    about["cursor"] = mid_epoch ? lab.run.cursor : 0;
    about["optimizer_t"] = lab.run.opt.t;
    const std::vector<uint8_t> weights = model_file(lab);
    about["weights_bytes"] = weights.size();
    const std::string text = about.dump();
    const std::vector<float>& m = lab.run.opt.m;  // [parameters]
    const std::vector<float>& v = lab.run.opt.v;  // [parameters]
    std::vector<uint8_t> bytes(text.size() + 1 + weights.size() + 4 * (m.size() + v.size()));
    uint8_t* at = std::copy(text.begin(), text.end(), bytes.data());
    *at++ = 0;
    at = std::copy(weights.begin(), weights.end(), at);
    if (!m.empty()) std::memcpy(at, m.data(), 4 * m.size());
    if (!v.empty()) std::memcpy(at + 4 * m.size(), v.data(), 4 * v.size());
    store_bytes(kSessionKey, bytes);
    if (!stored(kTextSessionKey).empty()) store(kTextSessionKey, "");  // the older form goes once this one is kept
    lab.kept_at = std::chrono::steady_clock::now();
}

// The kept session split into its description, the network's file and the optimizer's moments (m
// then v as bytes; empty when the session has none). Reads the older text form when that is all
// there is. False when nothing is kept or it is damaged.
bool read_session(json& about, std::vector<uint8_t>& weights, std::vector<uint8_t>& moments) {
    const std::vector<uint8_t> bytes = stored_bytes(kSessionKey);
    if (!bytes.empty()) {
        const auto zero = std::find(bytes.begin(), bytes.end(), uint8_t(0));
        if (zero == bytes.end() || !parse_json(about, std::string(bytes.begin(), zero), "the kept session").ok() ||
            !about.is_object() || !about.contains("weights_bytes") || !about["weights_bytes"].is_number_unsigned())
            return false;
        const size_t start = size_t(zero - bytes.begin()) + 1, rest = bytes.size() - start;
        const uint64_t weights_bytes = about["weights_bytes"].get<uint64_t>();
        if (weights_bytes > rest) return false;
        weights.assign(bytes.begin() + start, bytes.begin() + start + weights_bytes);
        moments.assign(bytes.begin() + start + weights_bytes, bytes.end());
        return true;
    }
    const std::string text = stored(kTextSessionKey);
    if (text.empty() || !parse_json(about, text, "the kept session").ok() || !about.is_object() || !about.contains("weights") ||
        !about["weights"].is_string() || !unbase64(about["weights"].get<std::string>(), weights))
        return false;
    const json o = about.contains("optimizer_state") ? about["optimizer_state"] : json();
    std::vector<uint8_t> m, v;
    if (o.is_object() && o.contains("t") && o.contains("m") && o.contains("v") && o["m"].is_string() && o["v"].is_string() &&
        unbase64(o["m"].get<std::string>(), m) && unbase64(o["v"].get<std::string>(), v)) {
        about["optimizer_t"] = o["t"];
        moments = std::move(m);
        moments.insert(moments.end(), v.begin(), v.end());
    }
    return true;
}

// The kept session, read like a command: a field that no longer reads (an older version, a
// damaged store) leaves the session unused, never half-restored.
void restore_session(TrainLab& lab) {
    json s;
    std::vector<uint8_t> weights, moments;
    if (!read_session(s, weights, moments) || !s.contains("layers")) return;
    s.erase("backend");  // the GPU of the last visit may not be there now
    if (!s.contains("model") && s.contains("preset")) s["model"] = s["preset"];  // sessions kept before "model" named it
    TrainLab next = make_lab();
    if (!read_fields(s, kSettingFields, next.settings).empty() || !check_optimizer(next.settings.optimizer).ok()) return;
    build(next);
    if (!model_ready(next) || !load_model_file(next, weights, "the kept session").empty()) return;
    // a count kept in the session: a whole number from 0 (absent: 0), else -1 (damaged)
    auto count = [](const json& from, const char* key) -> int64_t {
        if (!from.contains(key)) return 0;
        const json& v = from[key];
        return v.is_number_unsigned() && v.get<uint64_t>() < (uint64_t(1) << 31) ? int64_t(v.get<uint64_t>()) : -1;
    };
    const int64_t step = count(s, "step"), epoch = count(s, "epoch"), cursor = count(s, "cursor"), t = count(s, "optimizer_t");
    if (step < 0 || epoch < 0 || cursor < 0 || t < 0) return;
    next.run.step = step;
    next.run.epoch = int(epoch);
    next.run.cursor = int(cursor);  // the same picture order (it depends on the seed and the epoch), from where it was
    // the optimizer's state, when it fits this network (older sessions have none: Adam starts afresh)
    std::vector<float>& m = next.run.opt.m;  // [parameters], or empty where the optimizer has none
    std::vector<float>& v = next.run.opt.v;  // [parameters], or empty
    if (s.contains("optimizer_t") && moments.size() == 4 * (m.size() + v.size())) {
        next.run.opt.t = t;
        if (!m.empty()) std::memcpy(m.data(), moments.data(), 4 * m.size());
        if (!v.empty()) std::memcpy(v.data(), moments.data() + 4 * m.size(), 4 * v.size());
    }
    next.note = "Restored your last session (step " + std::to_string(next.run.step) + ").";
    lab = std::move(next);
}

void train_file(const OpenedFile& file) {
    TrainLab& lab = g_lab;
    if (file.purpose != "model") return;
    if (!file.error.empty()) {
        lab.note = "Model not loaded: " + file.error + ".";
        return;
    }
    std::string e = load_model_file(lab, file.bytes, file.name);
    lab.note = e.empty() ? "Loaded " + file.name + "." : "Model not loaded: " + e + ".";
    post_event(e.empty() ? "model-loaded" : "model-rejected");
}

void ensure_restored(TrainLab& lab);

// ---- state and commands ---------------------------------------------------------------------

json layer_table(const TrainLab& lab) {
    json rows = json::array();
    for (size_t i = 0; i < lab.model.layers.size(); i++) {
        const Layer& L = lab.model.layers[i];
        int64_t params = 0;
        for (const ParamInfo& t : lab.model.tensors)
            if (!t.buffer && t.name.rfind(L.name + ".", 0) == 0) params += shape_numel(t.shape);
        rows.push_back({{"name", L.name}, {"type", string_or(lab.settings.layers[i], "type", "")}, {"shape", L.out_shape}, {"params", params}});
    }
    return rows;
}

// A preset's recipe as a whole set of the lab's settings: what it leaves out is off (no augmentation,
// no label smoothing), so applying it after another preset's leaves nothing of that one behind.
json preset_recipe(const ModelPreset& p) {
    json r = json::parse(p.recipe);
    if (!r.contains("augment")) r["augment"] = "none";
    if (!r.contains("label_smoothing")) r["label_smoothing"] = 0.0;
    return r;
}

json recipe_json(const TrainLab& lab) {
    for (const ModelPreset& p : model_presets())
        if (lab.settings.preset == p.id) return preset_recipe(p);
    return nullptr;
}

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// What the lab computes and measures (read-only in the state).
const Output<TrainLab> kOutputs[] = {
    {"data_loaded", [](const TrainLab& lab) { return json(have_data(lab)); }},
    {"data_progress", [](const TrainLab& lab) { return json(dataset_loading(lab.settings.dataset)); }},
    {"data_error", [](const TrainLab& lab) { return text_or_null(lab.data_error); }},
    {"shapes", layer_table},
    {"params", [](const TrainLab& lab) { return model_ready(lab) ? json(lab.model.params.size()) : json(nullptr); }},
    {"lr_now", [](const TrainLab& lab) { return json(learning_rate_now(lab)); }},
    {"recipe", recipe_json},
    {"backend_note", [](const TrainLab& lab) { return text_or_null(backend_note(lab)); }},
    {"running", [](const TrainLab& lab) { return json(lab.running); }},
    {"step", [](const TrainLab& lab) { return json(lab.run.step); }},
    {"epoch", [](const TrainLab& lab) { return json(epochs_done(lab)); }},
    {"train_loss", [](const TrainLab& lab) { return finite_or_null(lab.last_loss); }},
    {"loss_curve", [](const TrainLab& lab) { return json(lab.loss_curve); }},
    {"test_accuracy", [](const TrainLab& lab) { return finite_or_null(lab.test_accuracy); }},
    {"test_curve", [](const TrainLab& lab) { return json(lab.test_curve); }},
    {"measuring", [](const TrainLab& lab) {
         return lab.evaluation.active ? json{{"done", lab.evaluation.done}, {"total", lab.evaluation.total}} : json(nullptr);
     }},
    {"images_per_second", [](const TrainLab& lab) { return json(lab.images_per_second); }},
    {"step_ms", [](const TrainLab& lab) { return json(lab.step_ms); }},
    {"frame_cpu_ms", [](const TrainLab&) { return json(frame_cpu_ms()); }},  // the main thread's last frame, training included
    {"message", [](const TrainLab& lab) { return text_or_null(lab.message); }},
    {"note", [](const TrainLab& lab) { return json(lab.note); }},
    {"sample_label", [](const TrainLab& lab) {  // what the network says about the chosen test picture
         return model_ready(lab) && have_data(lab) ? json(test_set(lab).labels[size_t(lab.settings.sample)]) : json(nullptr);
     }},
    {"sample_probs", [](const TrainLab& lab) {
         if (!model_ready(lab) || !have_data(lab)) return json(nullptr);
         float probs[10];  // predict runs the network on its own scratch buffers; settings and weights stay as they are
         predict_test(const_cast<TrainLab&>(lab), lab.settings.sample, probs);
         return json(std::vector<float>(probs, probs + 10));
     }},
};

json train_state() {
    TrainLab& lab = g_lab;
    ensure_restored(lab);
    json s;
    write_fields(s, kSettingFields, lab.settings);
    write_outputs(s, kOutputs, lab);
    return s;
}

std::string apply_settings(TrainSettings& s, const json& f) {
    if (std::string e = read_fields(f, kSettingFields, s); !e.empty()) return e;
    OptimizerSettings checked = s.optimizer;
    checked.lr = std::min(checked.lr, 1.0f);  // huge learning rates are allowed here: the lab shows what they do
    return check_optimizer(checked).message;
}

std::string train_command(const json& f) {
    TrainLab& lab = g_lab;
    ensure_restored(lab);
    std::string e = check_command(f, kSettingFields, {"action"}, kOutputs);
    if (!e.empty()) return e;
    std::string action;
    if (!(e = read_string(f, "action", action)).empty()) return e;
    const char* actions[] = {"", "start", "pause", "step", "reset", "save", "load", "evaluate"};
    if (std::find_if(std::begin(actions), std::end(actions), [&](const char* a) { return action == a; }) == std::end(actions))
        return "\"action\" must be start, pause, step, reset, save, load or evaluate";
    // The settings are checked on a copy (the datasets and the network stay), then kept together.
    const TrainSettings before = lab.settings;
    if (!(e = command_on_copy("train", lab.settings, f, apply_settings)).empty()) return e;
    const TrainSettings& s = lab.settings;
    if (s.dataset != before.dataset) {
        lab.data = nullptr;
        lab.data_error.clear();
    }
    // A new network (or dataset, or seed) starts a new run; the same one named again (a state sent
    // back) keeps the trained weights ("reset" starts afresh). A new kind of optimizer starts its own
    // state afresh; a new learning rate needs no reset (each step reads it: learning_rate_now), and
    // resetting Adam's averages would make the next steps far too big.
    const bool rebuild = s.dataset != before.dataset || s.layers != before.layers || s.seed != before.seed || s.preset != before.preset;
    if (rebuild || action == "reset") build(lab);
    else if (model_ready(lab)) {
        if (Status fits = ensure_batch(lab.model, std::max(s.batch, kEvalBatch)); !fits.ok()) {
            lab.settings = before;  // only the batch, the rate or the optimizer changed: nothing else to undo
            return fits.message;
        }
        if (s.optimizer.kind != before.optimizer.kind) {
            const int64_t t = lab.run.opt.t;
            optimizer_init(lab.run.opt, s.optimizer, int64_t(lab.model.params.size()));
            lab.run.opt.t = t;
        }
    }
    if (action == "start" || action == "step" || action == "evaluate") {
        if (!model_ready(lab)) return "the network cannot be built: " + lab.message;
        if (!have_data(lab)) {
            ask_for_data(lab);
            if (!have_data(lab)) return "the " + s.dataset + " dataset is still loading; try again when data_loaded is true";
        }
        if (!lab.message.empty() && action != "evaluate") return lab.message;  // diverged: reset first
        if (action == "start") { lab.running = true; post_event("training-started"); }
        if (action == "step") { lab.running = false; train_step(lab); finish_evaluation(lab); }
        if (action == "evaluate") evaluate(lab);
    }
    if (action == "pause") { lab.running = false; keep_session(lab); }  // a measurement under way goes on in frames
    if (action == "save") {
        if (!model_ready(lab)) return "there is no network to save: " + lab.message;
        std::string err = save_file("cnnlab-" + s.dataset + "-" + s.preset + ".safetensors", model_file(lab));
        lab.note = err.empty() ? "Saved the trained weights." : "Not saved: " + err + ".";
    }
    if (action == "load") request_file("model", ".safetensors");
    return "";
}

// ---- drawing ----------------------------------------------------------------------------------

// Pictures as textures: one quad each instead of a rectangle per pixel (a frame with many
// pictures stays cheap to draw). Without a GPU (the tests) the pixels are drawn as rectangles.
// A picture is uploaded only when its pixels changed: an upload makes the renderer draw again
// wherever the texture shows (web/damage.h).
struct PictureSlots {
    std::vector<unsigned> textures;           // one per slot, kept from frame to frame
    std::vector<std::vector<uint8_t>> shown;  // per slot: the pixels last uploaded, (H, W, 4)
    std::vector<uint8_t> rgba;                // scratch
    int generation = -1;                      // gpu_generation() the textures belong to
};
PictureSlots g_slots;

// Draws an H x W single-channel picture at `cell` pixels per value: grey over [0, 1], or signed
// (blue-white-red, scale = full colour). Returns where it went, for clicks.
GridResult draw_picture_slot(int slot, const char* id, const float* values, int H, int W, float cell, bool is_signed, float scale) {
    if (g_slots.generation != gpu_generation()) {  // the old textures died with a lost context
        g_slots.textures.clear();
        g_slots.shown.clear();
        g_slots.generation = gpu_generation();
    }
    if (int(g_slots.textures.size()) <= slot) g_slots.textures.resize(size_t(slot) + 1, 0), g_slots.shown.resize(size_t(slot) + 1);
    colormap_rgba(g_slots.rgba, values, 1, H, W, 0, is_signed ? Colormap::diverging : Colormap::grey, 0.0f, is_signed ? scale : 1.0f);
    unsigned& texture = g_slots.textures[size_t(slot)];
    if (!texture || g_slots.shown[size_t(slot)] != g_slots.rgba) {
        texture = upload_texture(texture, g_slots.rgba.data(), W, H);
        g_slots.shown[size_t(slot)] = g_slots.rgba;
    }
    if (!texture)
        return draw_grid(id, H, W, cell, [&](int r, int c) {
            const float v = values[r * W + c];
            return GridCell{"", is_signed ? signed_color(v, scale) : grey_color(v, 0.0f, 1.0f)};
        }, false);
    GridResult g;
    g.origin = ImGui::GetCursorScreenPos();
    g.cell = cell;
    ImGui::Image(ImTextureID(intptr_t(texture)), ImVec2(W * cell, H * cell));
    if (ImGui::IsItemHovered()) {
        const ImVec2 m = ImGui::GetIO().MousePos;
        g.hover_row = std::clamp(int((m.y - g.origin.y) / cell), 0, H - 1);
        g.hover_col = std::clamp(int((m.x - g.origin.x) / cell), 0, W - 1);
    }
    return g;
}

GridResult draw_picture(int slot, const char* id, const float* pixels, float cell) {
    return draw_picture_slot(slot, id, pixels, 28, 28, cell, false, 1.0f);
}

// A preset's recipe in words: "Adam, learning rate 0.002, batch 32, 5 epochs, constant rate".
std::string recipe_text(const ModelPreset& p) {
    const json r = preset_recipe(p);
    return std::string(r.value("optimizer", "adam") == "sgd" ? "SGD + momentum" : "Adam") + ", learning rate " +
           format_number(r.value("lr", 0.002f)) + ", batch " + std::to_string(r.value("batch", 32)) + ", " +
           std::to_string(r.value("epochs", 5)) + " epochs, " + (r.value("schedule", "constant") == "cosine" ? "cosine decay" : "constant rate") +
           (r.value("augment", "none") == "mirror" ? ", mirrored pictures" : "") +
           (r.value("label_smoothing", 0.0f) > 0 ? ", label smoothing " + format_number(r.value("label_smoothing", 0.0f)) : "");
}

void draw_diagram(TrainLab& lab) {
    ImGui::TextDisabled("THE NETWORK");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 11);
    const char* shown = "custom";
    for (const ModelPreset& p : model_presets())
        if (lab.settings.preset == p.id) shown = p.name;
    if (ImGui::BeginCombo("##model", shown)) {
        for (const ModelPreset& p : model_presets()) {
            if (ImGui::Selectable(p.name, lab.settings.preset == p.id)) {  // the network, and the settings it trains well with
                json command = preset_recipe(p);
                command["model"] = p.id;
                (void)train_command(command);
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\nTrains with: %s", p.what, recipe_text(p).c_str());
        }
        ImGui::EndCombo();
    }
    ImGui::Text("input 1x28x28");
    bool changed = false;
    int remove = -1, move_up = -1;
    for (size_t i = 0; i < lab.settings.layers.size(); i++) {
        ImGui::PushID(int(i));
        const json& L = lab.settings.layers[i];
        std::string label = string_or(L, "type", "?");
        if (label == "conv") label += " " + std::to_string(int_or(L, "out", 0)) + "x" + std::to_string(int_or(L, "kernel", 3)) + "x" + std::to_string(int_or(L, "kernel", 3));
        if (label == "linear") label += " " + std::to_string(int_or(L, "out", 0));
        std::string shape, params;
        if (model_ready(lab) && i < lab.model.layers.size()) {
            shape = shape_string(lab.model.layers[i].out_shape);
            int64_t count = 0;
            for (const ParamInfo& t : lab.model.tensors)
                if (!t.buffer && t.name.rfind(lab.model.layers[i].name + ".", 0) == 0) count += shape_numel(t.shape);
            if (count) params = std::to_string(count) + " params";
        }
        if (ImGui::Selectable(label.c_str(), lab.editing == int(i), 0, ImVec2(ImGui::GetFontSize() * 8, 0))) lab.editing = lab.editing == int(i) ? -1 : int(i);
        ImGui::SameLine(ImGui::GetFontSize() * 9);
        ImGui::TextDisabled("%s  %s", shape.c_str(), params.c_str());
        if (lab.editing == int(i)) {
            json& E = lab.settings.layers[i];
            auto edit_int = [&](const char* key, int lo, int hi, int fallback) {
                int v = int_or(E, key, fallback);
                ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
                if (ImGui::InputInt(key, &v)) { E[key] = std::clamp(v, lo, hi); changed = true; }
            };
            const std::string type = string_or(E, "type", "");
            if (type == "conv") { edit_int("out", 1, 64, 4); edit_int("kernel", 1, 7, 3); edit_int("stride", 1, 4, 1); edit_int("padding", 0, 3, 0); edit_int("dilation", 1, 3, 1); }
            if (type == "maxpool" || type == "avgpool") { edit_int("kernel", 1, 4, 2); }
            if (type == "linear") edit_int("out", 1, 512, 10);
            if (ImGui::SmallButton("move up")) move_up = int(i);
            ImGui::SameLine();
            if (ImGui::SmallButton("remove")) remove = int(i);
        }
        ImGui::PopID();
    }
    if (move_up > 0) { std::swap(lab.settings.layers[size_t(move_up)], lab.settings.layers[size_t(move_up - 1)]); changed = true; lab.editing = move_up - 1; }
    if (remove >= 0) { lab.settings.layers.erase(size_t(remove)); changed = true; lab.editing = -1; }
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    if (ImGui::BeginCombo("##add", "add a layer...")) {
        for (const char* type : kLayerTypes)
            if (ImGui::Selectable(type)) {
                const std::string t = type;
                const size_t at = lab.editing >= 0 ? size_t(lab.editing) + 1 : lab.settings.layers.size();
                json add = {{"type", t}};
                if (t == "conv") add = {{"type", "conv"}, {"out", 8}, {"kernel", 3}, {"padding", 1}};
                if (t == "maxpool" || t == "avgpool") add["kernel"] = 2;
                if (t == "linear") add["out"] = 10;
                if (t == "dropout") add["p"] = 0.25;
                std::vector<json> inserted = {add};
                if (t == "residual block") {  // conv-bn-relu-conv-bn + the input, keeping the channel count
                    int channels = 1;
                    if (model_ready(lab) && at > 0 && lab.model.layers[at - 1].out_shape.size() == 3) channels = lab.model.layers[at - 1].out_shape[0];
                    const std::string in = "res" + std::to_string(lab.settings.layers.size()) + "_in";
                    inserted = {{{"type", "relu"}, {"name", in}}, {{"type", "conv"}, {"out", channels}, {"kernel", 3}, {"padding", 1}},
                                {{"type", "batchnorm"}}, {{"type", "relu"}}, {{"type", "conv"}, {"out", channels}, {"kernel", 3}, {"padding", 1}},
                                {{"type", "batchnorm"}}, {{"type", "add"}, {"with", in}}};
                }
                json rebuilt = json::array();
                for (size_t i = 0; i <= lab.settings.layers.size(); i++) {
                    if (i == at) for (const json& x : inserted) rebuilt.push_back(x);
                    if (i < lab.settings.layers.size()) rebuilt.push_back(lab.settings.layers[i]);
                }
                lab.settings.layers = rebuilt;
                changed = true;
            }
        ImGui::EndCombo();
    }
    if (changed) {
        lab.settings.preset = "custom";
        build(lab);
    }
    if (model_ready(lab)) {
        ImGui::Text("%zu parameters in all", lab.model.params.size());
        ImGui::PushTextWrapPos(0);
        ImGui::TextDisabled("A fully connected layer from the 784 pixels to 784 units would need 784 x 784 = 614,656 weights; "
                            "a 3x3 kernel needs 9, used at every position.");
        ImGui::PopTextWrapPos();
    }
    if (!lab.message.empty()) {
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.message.c_str());
        ImGui::PopTextWrapPos();
    }
}

void draw_training_controls(TrainLab& lab) {
    ImGui::TextDisabled("TRAINING");
    const char* datasets[] = {"Fashion-MNIST", "MNIST digits"};
    int d = lab.settings.dataset == "mnist" ? 1 : 0;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::Combo("data", &d, datasets, 2)) (void)train_command({{"dataset", d ? "mnist" : "fashion"}});
    const char* kinds[] = {"Adam", "SGD + momentum"};
    int k = lab.settings.optimizer.kind == OptimizerKind::sgd ? 1 : 0;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::Combo("optimizer", &k, kinds, 2)) (void)train_command({{"optimizer", k ? "sgd" : "adam"}});
    float lr = lab.settings.optimizer.lr;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::SliderFloat("learning rate", &lr, 1e-4f, 1.0f, "%.4g", ImGuiSliderFlags_Logarithmic)) (void)train_command({{"lr", lr}});
    int batch = lab.settings.batch;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::SliderInt("batch", &batch, 1, 256)) (void)train_command({{"batch", batch}});
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    ImGui::SliderInt("epochs", &lab.settings.epochs, 1, 20);
    const char* schedules[] = {"constant", "cosine decay"};
    int sch = lab.settings.schedule == Schedule::cosine ? 1 : 0;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::Combo("schedule", &sch, schedules, 2)) (void)train_command({{"schedule", sch ? "cosine" : "constant"}});
    ImGui::SameLine();
    help_marker("How the learning rate changes during the run. Constant: the same size of step throughout. Cosine decay: "
                "it starts at the rate above and falls along half a cosine curve to zero at the end of the last epoch, so "
                "the late steps are small and the weights settle into a minimum instead of jumping around it.");
    bool mirror = lab.settings.augment == Augment::mirror;
    if (ImGui::Checkbox("mirror pictures", &mirror)) (void)train_command({{"augment", mirror ? "mirror" : "none"}});
    ImGui::SameLine();
    help_marker("Data augmentation: each training picture is turned left-right (a mirror image) half of the time. "
                "A mirrored shirt is still a shirt, so the network sees more varied examples of every class than the "
                "dataset holds and learns what matters, not where it sits. The test pictures are never changed. "
                "Digits are another matter: a mirrored 2 or 7 is not a digit any more, so for MNIST it teaches wrong shapes.");
    float smoothing = lab.settings.label_smoothing;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::SliderFloat("label smoothing", &smoothing, 0.0f, 0.5f, "%.2f")) (void)train_command({{"label_smoothing", smoothing}});
    ImGui::SameLine();
    help_marker("What the loss asks for. With 0, the right class should get probability 1 and every other class 0, so the "
                "network is pushed to make its scores ever more extreme, even on pictures it already gets right. With 0.1, "
                "the target is 0.91 for the right class and 0.01 for each of the other nine: the network is pulled back "
                "when it gets surer than that and spends its steps on the pictures it still gets wrong. The loss it shows then cannot fall "
                "to 0 (the lowest is about 0.5 at 0.1). PyTorch: F.cross_entropy(scores, labels, label_smoothing=0.1).");
    if (lab.settings.schedule == Schedule::cosine) {
        const float now = learning_rate_now(lab);
        if (now > 0.0f || lab.run.step == 0) ImGui::TextDisabled("learning rate now %.3g", now);
        else ImGui::TextDisabled("learning rate now 0: the schedule has run its %d epochs (raise them to go on)", lab.settings.epochs);
    }
    ImGui::BeginDisabled(!gpu() && lab.settings.backend == Backend::cpu);
    if (ImGui::RadioButton("CPU", lab.settings.backend == Backend::cpu)) (void)train_command({{"backend", "cpu"}});
    ImGui::SameLine();
    if (ImGui::RadioButton("GPU", lab.settings.backend == Backend::gpu)) (void)train_command({{"backend", "gpu"}});
    ui_anchor("backend-gpu");
    ImGui::EndDisabled();
    ImGui::SameLine();
    help_marker("Where the conv layers run. GPU: every conv layer's forward and backward pass runs in WebGL2 shaders; "
                "the other layers, the optimizer and the views stay on the CPU, so each conv layer's result travels back.");
    if (const std::string note = backend_note(lab); !note.empty()) {
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + ImGui::GetFontSize() * 16);
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", note.c_str());
        ImGui::PopTextWrapPos();
    }
    const bool can = model_ready(lab) && have_data(lab) && lab.message.empty();
    ImGui::BeginDisabled(!can);
    if (ImGui::Button(lab.running ? "Pause" : "Start", ImVec2(ImGui::GetFontSize() * 4, 0))) (void)train_command({{"action", lab.running ? "pause" : "start"}});
    ui_anchor("start");
    ImGui::SameLine();
    if (ImGui::Button("Step")) (void)train_command({{"action", "step"}});
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button("Reset")) (void)train_command({{"action", "reset"}});
    if (ImGui::Button("Save model")) (void)train_command({{"action", "save"}});
    ImGui::SameLine();
    if (ImGui::Button("Load model...")) (void)train_command({{"action", "load"}});
    if (!have_data(lab)) {
        const float progress = dataset_loading(lab.settings.dataset);
        if (!lab.data_error.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.data_error.c_str());
        else ImGui::ProgressBar(std::max(progress, 0.0f), ImVec2(-FLT_MIN, 0), progress >= 0 ? "loading the data..." : "data not loaded");
    } else {
        ImGui::Text("step %lld, epoch %d of %d", (long long)lab.run.step, epochs_done(lab), lab.settings.epochs);
        ImGui::Text("%.0f images/s  (%zu training images)", lab.images_per_second, size_t(train_set(lab).count));
        if (lab.evaluation.active)
            ImGui::TextDisabled("measuring on %d test images: %d%%", lab.evaluation.total, 100 * lab.evaluation.done / std::max(lab.evaluation.total, 1));
        if (lab.running && lab.step_ms > 33.0 && lab.settings.batch > 1) {  // one step is longer than a frame: the page stutters
            const int smaller = std::max(1, int(lab.settings.batch * 25.0 / lab.step_ms));
            ImGui::PushTextWrapPos(0.0f);
            ImGui::TextDisabled("One step takes %.0f ms, longer than a frame (33 ms), so the page moves in jerks. "
                                "A batch of %d would keep it smooth.", lab.step_ms, smaller);
            ImGui::PopTextWrapPos();
        }
    }
    if (!lab.note.empty()) ImGui::TextDisabled("%s", lab.note.c_str());
}

void draw_results(TrainLab& lab) {
    const char* const* names = class_names(lab);
    ImGui::Text("Training loss %s", std::isfinite(lab.last_loss) ? format_number(lab.last_loss).c_str() : "-");
    ImGui::PlotLines("##loss", lab.loss_curve.data(), int(lab.loss_curve.size()), 0, "mean loss per 50 steps", 0.0f, FLT_MAX,
                     ImVec2(ImGui::GetContentRegionAvail().x * 0.48f, 70));
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Text("Test accuracy %s", std::isfinite(lab.test_accuracy) ? format_number(float(lab.test_accuracy)).c_str() : "not measured yet");
    ImGui::PlotLines("##acc", lab.test_curve.data(), int(lab.test_curve.size()), 0, "test images", 0.0f, 1.0f,
                     ImVec2(ImGui::GetContentRegionAvail().x, 70));
    ImGui::EndGroup();
    if (!model_ready(lab)) return;

    // The first convolution's kernels: noise at first, then edge and blob detectors.
    for (size_t i = 0; i < lab.model.layers.size(); i++) {
        const Layer& L = lab.model.layers[i];
        if (L.kind != LayerKind::conv) continue;
        const int OC = L.out_shape[0], C = L.in_shape[0] / L.conv.groups, KH = L.conv.rows.kernel, KW = L.conv.cols.kernel;
        ImGui::Text("%s's kernels, learned (compare with Sobel: -1 0 1 / -2 0 2 / -1 0 1)", L.name.c_str());
        const float* w = lab.model.params.data() + L.weight;
        float scale = 1e-6f;
        for (int j = 0; j < OC * C * KH * KW; j++) scale = std::max(scale, std::fabs(w[j]));
        for (int oc = 0; oc < std::min(OC, 16); oc++) {
            ImGui::PushID(oc);
            if (oc) ImGui::SameLine();
            draw_grid("kernel", KH, KW, 14.0f, [&](int r, int c) { return GridCell{"", signed_color(w[(oc * C) * KH * KW + r * KW + c], scale)}; });
            ImGui::PopID();
        }
        break;
    }
    // What each layer sees of one test picture.
    if (have_data(lab)) {
        float image[784];  // (28, 28)
        picture_values(image, test_set(lab), lab.settings.sample);
        float probs[10];
        predict(lab, image, probs);  // fills the activations for one picture
        ImGui::Text("Test picture %d, a %s: what each layer sees", lab.settings.sample, names[test_set(lab).labels[size_t(lab.settings.sample)]]);
        ImGui::SameLine();
        if (ImGui::SmallButton("another")) lab.settings.sample = (lab.settings.sample * 7919 + 13) % test_set(lab).count;
        draw_picture(0, "sample", image, 2.0f);
        for (size_t i = 0; i < lab.model.layers.size(); i++) {
            const Layer& L = lab.model.layers[i];
            if (L.kind != LayerKind::conv && L.kind != LayerKind::maxpool) continue;
            const int C = std::min(L.out_shape[0], 8), H = L.out_shape[1], W = L.out_shape[2];
            const float* act = lab.model.acts[i].data();
            float top = 1e-6f;
            for (int j = 0; j < C * H * W; j++) top = std::max(top, std::fabs(act[j]));
            ImGui::SameLine();
            ImGui::BeginGroup();
            const bool unnamed = L.name.find_first_not_of("0123456789") == std::string::npos;
            ImGui::TextDisabled("%s", unnamed ? (string_or(lab.settings.layers[i], "type", "") + " " + L.name).c_str() : L.name.c_str());
            for (int c = 0; c < C; c++) {
                if (c % 2) ImGui::SameLine();  // two maps a row
                ImGui::PushID(int(i * 64 + size_t(c)));
                draw_picture_slot(1 + int(i) * 8 + c, "map", act + size_t(c) * size_t(H * W), H, W, 42.0f / float(W), true, top);
                ImGui::PopID();
            }
            ImGui::EndGroup();
        }
    }
    // Confusion matrix of the last evaluation, and a few mistakes.
    if (lab.tested_at >= 0) {
        ImGui::Text("Confusion matrix (rows: the true class, columns: the network's answer)");
        int top = 1;
        for (auto& row : lab.confusion)
            for (int v : row) top = std::max(top, v);
        ImGui::BeginGroup();
        int worst = 1;  // the largest confusion, for the red scale
        for (int r = 0; r < 10; r++)
            for (int c = 0; c < 10; c++)
                if (r != c) worst = std::max(worst, lab.confusion[r][c]);
        draw_grid("confusion", 10, 10, 24.0f, [&](int r, int c) {
            const int v = lab.confusion[r][c];
            // right answers on the diagonal in green, mistakes in red, brighter for more
            const float t = r == c ? float(v) / float(top) : float(v) / float(worst);
            const ImU32 fill = v == 0 ? IM_COL32(35, 35, 42, 255)
                             : r == c ? IM_COL32(int(40 + 20 * t), int(70 + 110 * t), int(50 + 30 * t), 255)
                                      : IM_COL32(int(70 + 150 * t), int(40 + 30 * t), int(40 + 20 * t), 255);
            return GridCell{v ? std::to_string(v) : "", fill};
        });
        ImGui::EndGroup();
        if (ImGui::IsItemHovered()) {
            ImGui::BeginTooltip();
            for (int k = 0; k < 10; k++) ImGui::Text("%d: %s", k, names[k]);
            ImGui::EndTooltip();
        }
        ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::TextDisabled("misclassified (hover for the answer)");
        for (size_t m = 0; m < lab.mistakes.size() && m < 12; m++) {
            if (m % 6) ImGui::SameLine();
            ImGui::PushID(int(m));
            const int idx = lab.mistakes[m];
            float image[784];  // (28, 28)
            picture_values(image, test_set(lab), idx);
            draw_picture(200 + int(m), "mistake", image, 1.5f);
            if (ImGui::IsItemHovered()) {
                float p[10];
                predict(lab, image, p);
                const int best = predicted_class(p, 10);
                ImGui::SetTooltip("a %s, taken for a %s (%.0f%%)", names[test_set(lab).labels[size_t(idx)]], names[best], double(p[best]) * 100);
            }
            ImGui::PopID();
        }
        ImGui::EndGroup();
    }
    // The student's own drawing.
    ImGui::Text("Draw a %s (left button draws, right button erases):", lab.settings.dataset == "mnist" ? "digit" : "piece of clothing");
    GridResult pad = draw_picture(250, "drawing", lab.drawing.data(), 5.0f);
    ui_anchor("drawing");
    if (pad.hover_row >= 0 && (ImGui::IsMouseDown(ImGuiMouseButton_Left) || ImGui::IsMouseDown(ImGuiMouseButton_Right))) {
        const float ink = ImGui::IsMouseDown(ImGuiMouseButton_Left) ? 1.0f : 0.0f;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                const int r = pad.hover_row + dy, c = pad.hover_col + dx;
                if (r < 0 || r >= 28 || c < 0 || c >= 28) continue;
                float& v = lab.drawing[size_t(r * 28 + c)];
                const float strength = dx == 0 && dy == 0 ? 1.0f : 0.35f;  // a soft brush, like a pen's stroke
                v = ink > 0 ? std::max(v, strength) : (dx == 0 && dy == 0 ? 0.0f : v);
            }
    }
    ImGui::SameLine();
    ImGui::BeginGroup();
    predict(lab, lab.drawing.data(), lab.drawing_probs.data());
    for (int k = 0; k < 10; k++) {
        char label[64];
        std::snprintf(label, sizeof label, "%s %.0f%%", names[k], double(lab.drawing_probs[size_t(k)]) * 100);
        ImGui::ProgressBar(lab.drawing_probs[size_t(k)], ImVec2(ImGui::GetFontSize() * 12, 0), label);
    }
    if (ImGui::SmallButton("clear")) std::fill(lab.drawing.begin(), lab.drawing.end(), 0.0f);
    ImGui::EndGroup();
}

// Picks up the last session once, before the lab's first use (a command, a state, a frame), and
// the chosen dataset when the app has it already (another lab asked for it).
void ensure_restored(TrainLab& lab) {
    static bool restored = false;
    if (!restored) {
        restored = true;
        restore_session(lab);
    }
    if (!lab.data && loaded_dataset(lab.settings.dataset)) request_dataset("train", lab.settings.dataset);  // told at once
}

// A slice of the lab's work: training while it runs, and a measurement on the test set while one
// is under way (it goes on after a pause). Returns true while there is more to do.
bool train_work(double budget_ms) {
    TrainLab& lab = g_lab;
    if (!have_data(lab) || !model_ready(lab)) return false;
    const auto start = std::chrono::steady_clock::now();
    if (lab.running && std::chrono::duration<double>(start - lab.kept_at).count() >= kKeepSeconds) {
        keep_session(lab);  // a few seconds of training to keep: that comes out of this frame's budget
        budget_ms -= std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (budget_ms <= 0) return true;
    }
    const int epoch_before = epochs_done(lab);
    if (lab.running) train_for(lab, budget_ms);
    else if (lab.evaluation.active) evaluate_for(lab, budget_ms);
    if (epochs_done(lab) != epoch_before) keep_session(lab);  // an epoch finished (and was measured)
    return lab.running || lab.evaluation.active;
}

void train_draw() {
    TrainLab& lab = g_lab;
    ensure_restored(lab);
    ask_for_data(lab);
    lab_intro("Train a CNN",
              "Here nobody designs the kernels. They start as random numbers; each training step shows the network a "
              "batch of pictures, measures how wrong its answers are (the loss), and nudges every weight a little in "
              "the direction that makes the answers less wrong. Watch the first layer's kernels turn into detectors.");
    ImGui::BeginChild("left", ImVec2(ImGui::GetFontSize() * 20, 0), true);
    draw_training_controls(lab);
    ImGui::Separator();
    draw_diagram(lab);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("right", ImVec2(0, 0), false);
    draw_results(lab);
    ImGui::EndChild();
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "train", .name = "Train a CNN",
                    .summary = "Train a real network on clothes or digits and watch its kernels learn.", .draw = train_draw,
                    .state = train_state, .command = train_command, .on_dataset = train_dataset, .on_file = train_file,
                    .work = train_work);

namespace {
// g_lab starts as the seed net (a function-local init would run on first use; this runs at start).
const bool g_lab_built = [] {
    g_lab = make_lab();
    return true;
}();
}  // namespace
