// receptive_field.cpp — Lab "Receptive fields".
//
// Stack layers (convolutions with a kernel, stride and dilation; poolings) and watch how much of the
// input one output unit can see: 3 -> 5 -> 7 pixels for stacked 3x3 convolutions, faster with
// stride, pooling or dilation. The recurrence is shown with the stack's numbers:
//   r_l = r_{l-1} + (k_l - 1) * d_l * j_{l-1}      j_l = j_{l-1} * s_l      (r_0 = j_0 = 1)
// Then the effective receptive field, measured by backpropagating from one output unit: a random
// network built from the stack, or the seed net (random, or trained here on Fashion-MNIST for a
// few hundred steps). Its heat map is bright in the middle and fades well before the theoretical
// field's edge.
//
// Everything is computed by the engine (engine/receptive_field.h): receptive_fields for the
// recurrence, effective_receptive_field for the maps (the "paths" map too: the stack with every
// weight 1), concentrated_size for the size of the bright part; training uses engine/model.h and
// engine/optim.h as the training lab does.
//
// Fields (state; those marked * are also commands):
//   layers*          [{"type": "conv" | "pool", "kernel": 1..7, "stride": 1..3, "dilation": 1..4 (conv)}, ...],
//                    1 to 8 layers; add_layer* (a layer object, or true for a 3x3 conv), remove_layer* (index)
//   preset*          "three-3x3", "one-5x5", "stride", "pool", "dilated", "deep"
//   fields           the recurrence per layer: {"layer", "size", "jump", "start", "r_formula", "j_formula"}
//   receptive_field, jump       r and j of the last layer
//   weights, single_conv_weights   weights per input-output channel pair of the stack's convolutions,
//                                  and of one convolution that sees the same r x r field
//   comparison       {"two_3x3": {"field": 5, "weights": 18}, "one_5x5": {"field": 5, "weights": 25}}
//   paths            the stack with every weight 1 (pooling averages): {"size", "unit", "field": {"first",
//                    "size"}, "support": {"first", "last"}, "map"} or null (the field is too large to draw)
//   net*             the network of the effective field: "stack" (random, 8 channels, ReLU), "seed-random",
//                    "seed-trained", "yours" (the network trained in the training lab: the app's "your network")
//   erf              {"net" (the one shown), "note", "inputs" ("noise" | "test pictures"), "size", "unit",
//                    "field": {"first", "size"}, "effective_size" (side of the middle square holding 90%),
//                    "middle": {"size", "share", "even_share"} (the middle square of about half the field's side,
//                    its share of the map, and what an even spread would give), "outside" (0), "map"}
//   train*           true: fetch Fashion-MNIST and train the seed net (400 steps, in the frame loop)
//   training         {"state": "idle" | "loading" | "training" | "trained" | "unavailable", "steps", "of",
//                    "test_accuracy", "note"}
//   exercise         null, or {"layers": [...], "seed", "question", "answered"}
//   score, last_answer   {"answered", "correct"}; null or {"correct", "expected", "given", "feedback"}
//   new_exercise*    true or a seed (a positive whole number): a random stack whose field to predict
//   answer*          a number: the receptive field (pixels across) of the exercise's stack
//   reset*           true: the lab as it opens
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <imgui.h>

#include "../../engine/data.h"
#include "../../engine/model.h"
#include "../../engine/optim.h"
#include "../../engine/random.h"
#include "../../engine/receptive_field.h"
#include "../../engine/train_run.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../widgets.h"

namespace {

constexpr int kMaxLayers = 8;
constexpr int kMaxPicture = 64;       // the largest input the maps are drawn for (pixels a side)
constexpr int kStackChannels = 8;     // channels of each convolution of the random "stack" network
constexpr int kStackSamples = 64;     // noise pictures the stack's effective field averages over (fewer for large pictures)
constexpr int kSeedSamples = 64;      // pictures the seed net's effective field averages over
constexpr int kTrainSteps = 400;      // steps of the seed net's training (batch 32, Adam 0.002): the first
                                      // 12,800 pictures of a shuffle of Fashion-MNIST's training set
constexpr int kSeedLayer = 5;         // the seed net's second pooling: its units see 10 x 10 pixels
constexpr double kShare = 0.9;        // effective size: the square holding 90% of the map

const ImU32 kFieldColor = IM_COL32(255, 200, 40, 255);  // the theoretical field's outline
const ImU32 kUnitColor = IM_COL32(80, 200, 255, 255);
const ImVec4 kWrong(1.0f, 0.65f, 0.4f, 1), kDim(0.6f, 0.6f, 0.66f, 1);

// ---------------------------------------------------------------------------------------------
// The state: one plain struct (the seed net's training data lives beside it, see SeedTraining).

struct StackLayer {
    bool pool = false;  // a pooling (no dilation) instead of a convolution
    int kernel = 3, stride = 1, dilation = 1;
    bool operator==(const StackLayer&) const = default;
};

// A heat map over an input picture, with the theoretical field of the unit it was measured from.
struct FieldMap {
    int size = 0;                 // H = W of the picture, 0: none
    int unit_y = 0, unit_x = 0;   // the unit, in its layer's output
    int64_t first_y = 0, first_x = 0, field = 0;  // the theoretical field: rows first_y.., columns first_x.., r a side
    std::vector<float> map;       // (size, size) normalised to a largest value of 1
};

// The network whose effective field is measured.
// The stack with random weights (8 channels, ReLU); the seed net, random or trained here; or the
// network the student trained in the training lab (the app's your_network()).
enum class Net { stack, seed_random, seed_trained, yours };
constexpr Choice<Net> kNets[] = {
    {Net::stack, "stack"}, {Net::seed_random, "seed-random"}, {Net::seed_trained, "seed-trained"}, {Net::yours, "yours"}};

struct RfLab {
    std::vector<StackLayer> layers;  // (L) the stack, 1..kMaxLayers
    Net net = Net::stack;
    // The exercise: predict the receptive field of a random stack.
    ExerciseRecord record;
    std::vector<StackLayer> ex_layers;
    bool ex_answered = false;
    Pending pending;               // what a command caused, carried out once it is kept
    bool train_requested = false;  // a command asked for training (started once it is kept)
    // Derived by recompute().
    std::vector<StackLayer> computed_for;
    Net computed_net = Net::stack;
    int computed_yours = 0;               // your_network()'s version the maps were measured on
    int computed_training = -1;
    std::vector<ReceptiveField> fields;  // (L+1) from the engine
    std::string message;                 // why there are no fields, "" when there are
    FieldMap paths;                      // every weight 1: how many paths reach each pixel
    std::string paths_note;
    FieldMap erf;                        // the effective field of `erf_net`
    Net erf_net = Net::stack;            // the network the map is of (seed-random until the seed net is trained)
    std::string erf_note, erf_inputs;
    int64_t erf_size = 0;                // side of the square holding 90%
    int64_t erf_middle = 0;              // side of the middle square of the field
    double erf_central = 0, erf_outside = 0;  // the map's share in the middle square, and outside the field
    // UI only.
    char answer_text[16] = "";
    std::string ui_note;
};

// The seed net's training: data and weights too large to copy with every command.
struct SeedTraining {
    bool wanted = false;         // the lab asked for Fashion-MNIST
    const LoadedDataset* data = nullptr;  // the app's Fashion-MNIST, once here
    std::string note;            // why it is unavailable, "" when all is well
    Model model;                 // the seed net being trained
    TrainRun run;                // its run (engine/train_run.h)
    bool running = false;
    double test_accuracy = NAN;  // on the first 1000 test pictures, once trained
    int generation = 0;          // bumped when the trained weights change
};
SeedTraining g_training;

RfLab make_lab();
RfLab g_lab = make_lab();

// ---------------------------------------------------------------------------------------------
// Computing: the recurrence, the maps.

ConvAxis axis_of(const StackLayer& L) {  // "same"-style padding for convolutions, none for pooling
    const int padding = L.pool ? 0 : L.dilation * (L.kernel - 1) / 2;
    return make_conv_axis(0, L.kernel, L.stride, L.pool ? 1 : L.dilation, PaddingMode::number, padding);
}

std::vector<ConvAxis> axes_of(const std::vector<StackLayer>& layers) {
    std::vector<ConvAxis> axes;
    for (const StackLayer& L : layers) axes.push_back(axis_of(L));
    return axes;
}

// The stack as a model description. ones: one channel, no bias, no ReLU, pooling averages (the
// paths map); otherwise 8 channels, ReLU after each convolution, max pooling (a random network).
// Returns the description and, in unit_layer, the model layer of the stack's last layer.
std::string stack_model_json(const std::vector<StackLayer>& layers, int size, bool ones, int& unit_layer) {
    json list = json::array();
    for (const StackLayer& L : layers) {
        const ConvAxis a = axis_of(L);
        if (L.pool) {
            list.push_back({{"type", ones ? "avgpool" : "maxpool"}, {"kernel", L.kernel}, {"stride", L.stride}});
        } else {
            list.push_back({{"type", "conv"}, {"out", ones ? 1 : kStackChannels}, {"kernel", L.kernel}, {"stride", L.stride},
                            {"dilation", L.dilation}, {"padding", a.pad_before}, {"bias", !ones}});
        }
        unit_layer = int(list.size()) - 1;
        if (!L.pool && !ones && &L != &layers.back()) list.push_back({{"type", "relu"}});
    }
    list.push_back({{"type", "flatten"}});  // a model ends flat; the maps never reach it
    return json{{"input", {1, size, size}}, {"layers", list}}.dump();
}

// The smallest picture (up to kMaxPicture) in which the middle unit of the last layer has its whole
// field inside the picture. 0 when there is none.
int picture_size(const std::vector<StackLayer>& layers, const ReceptiveField& f) {
    for (int size = int(std::max<int64_t>(f.size + 2, 9)); size <= kMaxPicture; size++) {
        int64_t out = size;
        for (const StackLayer& L : layers) {
            const ConvAxis a = axis_of(L);
            if (conv_window_span(a) > out + a.pad_before + a.pad_after) { out = 0; break; }
            out = conv_output_size(int(out), a);
        }
        if (out < 1) continue;
        const int64_t unit = (out - 1) / 2, first = field_first(f, unit);
        if (first >= 0 && first + f.size <= size) return size;
    }
    return 0;
}

void normalise(std::vector<float>& map) {
    float top = 0;
    for (float v : map) top = std::max(top, v);
    if (top > 0)
        for (float& v : map) v /= top;
}

// The paths map and the stack network's effective field, for the stack's middle unit.
void compute_stack_maps(RfLab& lab) {
    lab.paths = FieldMap{};
    lab.paths_note.clear();
    const ReceptiveField& f = lab.fields.back();
    const int size = picture_size(lab.layers, f);
    if (size == 0) {
        lab.paths_note = "The field (" + std::to_string(f.size) + " pixels) does not fit the " + std::to_string(kMaxPicture) +
                         "-pixel picture this lab draws; the numbers above still hold.";
        return;
    }
    for (bool ones : {true, false}) {
        if (!ones && lab.net != Net::stack) break;
        int unit_layer = 0;
        Model model;
        Status s = model_from_json(model, stack_model_json(lab.layers, size, ones, unit_layer), 1);
        if (!s.ok()) {
            lab.paths_note = "This stack cannot be built: " + s.message;
            return;
        }
        const std::vector<int>& out = model.layers[size_t(unit_layer)].out_shape;  // (C, OH, OW)
        FieldMap m;
        m.size = size;
        m.unit_y = (out[1] - 1) / 2;
        m.unit_x = (out[2] - 1) / 2;
        m.first_y = field_first(f, m.unit_y);
        m.first_x = field_first(f, m.unit_x);
        m.field = f.size;
        // fewer noise pictures for a large picture, so a change is drawn without a long wait
        const int samples = ones ? 1 : std::clamp(kStackSamples * 256 / (size * size), 4, kStackSamples);
        std::vector<float> inputs(size_t(samples) * size_t(size * size));  // (samples, 1, size, size)
        if (ones) {
            std::fill(model.params.begin(), model.params.end(), 1.0f);
            std::fill(inputs.begin(), inputs.end(), 1.0f);
        } else {
            Rng rng(7);
            for (float& v : inputs) v = rng.uniform();
        }
        s = effective_receptive_field(m.map, model, inputs.data(), samples, unit_layer, -1, m.unit_y, m.unit_x);
        if (!s.ok()) {
            lab.paths_note = s.message;
            return;
        }
        if (ones) lab.paths = std::move(m);
        else lab.erf = std::move(m);
    }
}

// The effective field of one unit of `model`: the middle unit of layer `layer`, all its channels,
// averaged over the first test pictures (or noise until Fashion-MNIST is here). The status says
// why a network cannot be measured (a branch, batch norm, ...).
Status measure_model_map(RfLab& lab, Model& model, int layer) {
    ReceptiveField rows, cols;
    if (Status s = model_receptive_field(rows, cols, model, layer); !s.ok()) return s;
    const std::vector<int>& out = model.layers[size_t(layer)].out_shape;  // (C, H, W)
    FieldMap m;
    m.size = 28;
    m.unit_y = (out[1] - 1) / 2;
    m.unit_x = (out[2] - 1) / 2;
    m.first_y = field_first(rows, m.unit_y);
    m.first_x = field_first(cols, m.unit_x);
    m.field = rows.size;
    std::vector<float> inputs(size_t(kSeedSamples) * 784);  // (kSeedSamples, 1, 28, 28)
    if (g_training.data) {
        for (int i = 0; i < kSeedSamples; i++) picture_values(inputs.data() + size_t(i) * 784, g_training.data->test, i);
        lab.erf_inputs = "test pictures";
    } else {
        Rng rng(7);
        for (float& v : inputs) v = rng.uniform();
        lab.erf_inputs = "noise";
    }
    if (Status s = effective_receptive_field(m.map, model, inputs.data(), kSeedSamples, layer, -1, m.unit_y, m.unit_x); !s.ok()) return s;
    lab.erf = std::move(m);
    return ok_status();
}

// The seed net's effective field: the middle unit of its second pooling, all 8 channels.
void compute_seed_map(RfLab& lab, bool trained) {
    Model model;
    if (Status s = model_from_json(model, seed_model_json(), 1); !s.ok()) {
        lab.erf_note = s.message;
        return;
    }
    if (trained) model.params = g_training.model.params;
    if (Status s = measure_model_map(lab, model, kSeedLayer); !s.ok()) lab.erf_note = s.message;
}

// Your network's effective field: the middle unit of its last layer that still has a picture's
// shape (before flatten, a linear layer or global pooling).
void compute_your_map(RfLab& lab) {
    const YourNetwork* yours = your_network();
    if (!yours) {
        lab.erf_note = "You have not trained a network yet: in the training lab, press Start, then Pause (or wait for an epoch's end).";
        return;
    }
    Model model;
    Status s = model_from_json(model, yours->description, 1);
    if (s.ok()) s = load_model_state(model, yours->weights);
    if (s.ok() && (model.input_shape != std::vector<int>{1, 28, 28})) s = error_status("it does not take 28x28 grey pictures");
    int layer = -1;
    for (size_t i = 0; s.ok() && i < model.layers.size(); i++) {
        const std::vector<int>& out = model.layers[i].out_shape;
        if (out.size() != 3 || out[1] < 2 || out[2] < 2) break;
        layer = int(i);
    }
    if (s.ok() && layer < 0) s = error_status("it has no layer that keeps a picture's shape");
    if (s.ok()) s = measure_model_map(lab, model, layer);
    if (!s.ok()) {
        lab.erf_note = "Your network (" + yours->about + ") cannot be measured here: " + s.message + ".";
        return;
    }
    const Layer& L = model.layers[size_t(layer)];
    lab.erf_note = "Your network: " + yours->about + "; the middle unit of its layer " + std::to_string(layer + 1) + ", a " +
                   layer_kind_name(L.kind) + " giving " + shape_string(L.out_shape) + ".";
}

bool trained() { return g_training.run.step >= kTrainSteps; }

void recompute(RfLab& lab) {
    const int training_generation = g_training.generation, yours = your_network() ? your_network()->version : 0;
    if (lab.layers == lab.computed_for && lab.net == lab.computed_net && lab.computed_training == training_generation &&
        (lab.net != Net::yours || lab.computed_yours == yours))
        return;
    lab.computed_for = lab.layers;
    lab.computed_net = lab.net;
    lab.computed_training = training_generation;
    lab.computed_yours = yours;
    lab.message.clear();
    lab.erf = FieldMap{};
    lab.erf_note.clear();
    lab.erf_inputs = "noise";
    Status s = receptive_fields(lab.fields, axes_of(lab.layers));
    if (!s.ok()) {
        lab.message = s.message;
        lab.fields.assign(1, ReceptiveField{});
    }
    compute_stack_maps(lab);
    lab.erf_net = lab.net;
    if (lab.net == Net::seed_trained && !trained()) {
        lab.erf_net = Net::seed_random;
        lab.erf_note = "The seed net is not trained yet, so this is its random start. Press \"Train the seed net\" "
                       "(a few seconds) to see the trained one.";
    }
    if (lab.erf_net == Net::yours) compute_your_map(lab);
    else if (lab.erf_net != Net::stack) compute_seed_map(lab, lab.erf_net == Net::seed_trained);
    else if (lab.erf.size == 0 && lab.erf_note.empty()) lab.erf_note = lab.paths_note;
    // How concentrated the map is, against the theoretical field.
    lab.erf_size = 0;
    lab.erf_central = lab.erf_outside = 0;
    if (lab.erf.size > 0) {
        const FieldMap& m = lab.erf;
        lab.erf_size = concentrated_size(m.map, m.size, m.size, m.first_y, m.first_x, m.field, kShare);
        double total = 0, central = 0, outside = 0;
        // the middle square: about half the field's side, centred (so r - side is even)
        lab.erf_middle = m.field / 2 + (m.field - m.field / 2) % 2;
        const int64_t q0 = (m.field - lab.erf_middle) / 2, q1 = q0 + lab.erf_middle;
        for (int y = 0; y < m.size; y++)
            for (int x = 0; x < m.size; x++) {
                const float v = m.map[size_t(y * m.size + x)];
                const int64_t dy = y - m.first_y, dx = x - m.first_x;
                total += v;
                if (dy >= q0 && dy < q1 && dx >= q0 && dx < q1) central += v;
                if (dy < 0 || dy >= m.field || dx < 0 || dx >= m.field) outside += v;
            }
        lab.erf_central = total > 0 ? central / total : 0;
        lab.erf_outside = total > 0 ? outside / total : 0;
        normalise(lab.erf.map);
    }
    normalise(lab.paths.map);
}

std::vector<StackLayer> three_3x3() { return {StackLayer{}, StackLayer{}, StackLayer{}}; }

RfLab make_lab() {
    RfLab lab;
    lab.layers = three_3x3();
    recompute(lab);
    return lab;
}

// ---------------------------------------------------------------------------------------------
// The seed net's training (the frame loop runs it a slice at a time).

void start_training() {
    SeedTraining& t = g_training;
    if (t.running || trained()) return;
    if (!t.data) {
        t.wanted = true;
        t.note.clear();
        request_dataset("receptive-field", "fashion");  // seed_dataset() starts the training once the data is here (perhaps at once)
        return;
    }
    Status s = model_from_json(t.model, seed_model_json(), 1);
    if (s.ok()) s = ensure_batch(t.model, 32);
    if (!s.ok()) {
        t.note = s.message;
        return;
    }
    const TrainRecipe recipe = {.optimizer = {.kind = OptimizerKind::adam, .lr = 0.002f}, .batch = 32, .epochs = 1, .seed = 11};
    train_run_start(t.run, recipe, int64_t(t.model.params.size()));
    t.running = true;
}

void seed_dataset(const LoadedDataset& data) {
    SeedTraining& t = g_training;
    if (!t.wanted || t.data) return;
    if (!data.error.empty()) {
        t.note = "Fashion-MNIST could not be loaded: " + data.error;
        return;  // still wanted: a later request tries again
    }
    if (data.train.rows != 28 || data.train.cols != 28 || data.train.count < kTrainSteps * 32 || data.test.count < 1000) {
        t.note = "Fashion-MNIST could not be read: the dataset is not 28x28 pictures, or too few of them";
        return;
    }
    t.data = &data;
    t.wanted = false;
    t.note.clear();
    g_training.generation++;  // the seed maps now average over test pictures
    start_training();
}

// Trains for about budget_ms (at least one step); measures the test accuracy when done.
void train_for(double budget_ms) {
    SeedTraining& t = g_training;
    if (!t.running) return;
    const auto start = std::chrono::steady_clock::now();
    do {
        (void)train_run_step(t.run, t.model, t.data->train);  // Adam 0.002 on the seed net does not diverge
    } while (t.run.step < kTrainSteps &&
             std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() < budget_ms);
    if (t.run.step < kTrainSteps) return;
    t.running = false;
    t.test_accuracy = dataset_accuracy(t.model, t.data->test, 1000, 32);  // the first 1000 test pictures
    t.generation++;
    post_event("trained");
}

std::string training_state() {
    const SeedTraining& t = g_training;
    if (trained()) return "trained";
    if (t.running) return "training";
    if (!t.note.empty()) return "unavailable";
    if (t.wanted && dataset_loading("fashion") >= 0) return "loading";
    return "idle";
}

// ---------------------------------------------------------------------------------------------
// Words.

std::string layer_words(const StackLayer& L) {
    std::string s = L.pool ? "pool " + std::to_string(L.kernel) + "x" + std::to_string(L.kernel)
                           : "conv " + std::to_string(L.kernel) + "x" + std::to_string(L.kernel);
    if (L.stride != 1) s += " stride " + std::to_string(L.stride);
    if (!L.pool && L.dilation != 1) s += " dilation " + std::to_string(L.dilation);
    return s;
}

std::string stack_words(const std::vector<StackLayer>& layers) {
    std::string s;
    for (size_t i = 0; i < layers.size(); i++) s += (i ? ", then " : "") + layer_words(layers[i]);
    return s;
}

// "r_2 = r_1 + (k-1)*d*j_1 = 3 + (3-1)*1*1 = 5" with the engine's numbers.
std::string r_formula(const std::vector<StackLayer>& layers, const std::vector<ReceptiveField>& f, size_t l) {
    const StackLayer& L = layers[l - 1];
    const int d = L.pool ? 1 : L.dilation;
    return "r" + std::to_string(l) + " = " + std::to_string(f[l - 1].size) + " + (" + std::to_string(L.kernel) + "-1)*" +
           std::to_string(d) + "*" + std::to_string(f[l - 1].jump) + " = " + std::to_string(f[l].size);
}

std::string j_formula(const std::vector<StackLayer>& layers, const std::vector<ReceptiveField>& f, size_t l) {
    return "j" + std::to_string(l) + " = " + std::to_string(f[l - 1].jump) + "*" + std::to_string(layers[l - 1].stride) +
           " = " + std::to_string(f[l].jump);
}

// "1 + (3-1)*1*1 + (3-1)*1*1 = 5": the whole field as one sum.
std::string field_sum(const std::vector<StackLayer>& layers, const std::vector<ReceptiveField>& f) {
    std::string s = "1";
    for (size_t l = 1; l < f.size(); l++) {
        const StackLayer& L = layers[l - 1];
        s += " + (" + std::to_string(L.kernel) + "-1)*" + std::to_string(L.pool ? 1 : L.dilation) + "*" + std::to_string(f[l - 1].jump);
    }
    return s + " = " + std::to_string(f.back().size);
}

// Two stacked 3x3 convolutions against one 5x5: the same field, fewer weights (from the engine's recurrence).
json comparison() {
    const std::vector<StackLayer> two = {StackLayer{}, StackLayer{}}, one = {StackLayer{false, 5, 1, 1}};
    std::vector<ReceptiveField> f2, f1;
    Status s = receptive_fields(f2, axes_of(two));
    if (s.ok()) s = receptive_fields(f1, axes_of(one));
    if (!s.ok()) return nullptr;
    return {{"two_3x3", {{"field", f2.back().size}, {"weights", 2 * 3 * 3}}}, {"one_5x5", {{"field", f1.back().size}, {"weights", 5 * 5}}}};
}

int64_t stack_weights(const std::vector<StackLayer>& layers) {
    int64_t n = 0;
    for (const StackLayer& L : layers)
        if (!L.pool) n += int64_t(L.kernel) * L.kernel;
    return n;
}

// ---------------------------------------------------------------------------------------------
// The exercise.

json layer_json(const StackLayer& L) {
    json j = {{"type", L.pool ? "pool" : "conv"}, {"kernel", L.kernel}, {"stride", L.stride}};
    if (!L.pool) j["dilation"] = L.dilation;
    return j;
}

json layers_json(const std::vector<StackLayer>& layers) {
    json list = json::array();
    for (const StackLayer& L : layers) list.push_back(layer_json(L));
    return list;
}

std::vector<StackLayer> random_stack(Rng& rng) {
    std::vector<StackLayer> layers(size_t(rng.uniform_int(2, 4)));
    for (StackLayer& L : layers) {
        const float kind = rng.uniform();
        if (kind < 0.2f) {
            L.pool = true;
            L.kernel = L.stride = 2;
        } else {
            const int kernels[] = {1, 3, 3, 5, 7};
            L.kernel = kernels[rng.uniform_int(0, 4)];
            L.stride = rng.uniform() < 0.3f ? 2 : 1;
            L.dilation = rng.uniform() < 0.2f ? 2 : 1;
        }
    }
    return layers;
}

void new_exercise(RfLab& lab, uint64_t seed) {
    Rng rng(seed);
    lab.ex_layers = random_stack(rng);
    lab.ex_answered = false;
    lab.record.start({{"layers", layers_json(lab.ex_layers)},
                      {"question", "What is the receptive field of: " + stack_words(lab.ex_layers) + "?"}, {"answered", false}},
                     seed, lab.pending);
    lab.answer_text[0] = 0;
}

// ---- The mistakes a receptive field draws, each as the size it gives for the exercise's stack.
int64_t field_of(const std::vector<StackLayer>& layers) {
    std::vector<ReceptiveField> f;
    return receptive_fields(f, axes_of(layers)).ok() ? f.back().size : -1;
}

std::vector<MistakeAnswer> field_mistakes(const RfLab& lab) {
    const std::vector<StackLayer>& layers = lab.ex_layers;
    std::vector<ReceptiveField> f;
    if (!receptive_fields(f, axes_of(layers)).ok()) return {};
    const std::string sum = field_sum(layers, f);
    int64_t product = 1, kernels = 0;
    std::vector<StackLayer> unit_strides = layers, no_dilation = layers;
    bool strided = false, dilated = false;
    for (size_t i = 0; i < layers.size(); i++) {
        const StackLayer& L = layers[i];
        const int64_t span = int64_t(L.pool ? 1 : L.dilation) * (L.kernel - 1) + 1;
        product *= span;
        kernels += span;
        strided |= L.stride > 1 && i + 1 < layers.size();  // a stride matters only to the layers after it
        dilated |= !L.pool && L.dilation > 1;
        unit_strides[i].stride = 1;
        no_dilation[i].dilation = 1;
    }
    auto when = [](bool applies, int64_t value) { return applies && value > 0 ? json(value) : json(nullptr); };
    return {
        {"kernels-multiplied", when(true, product),
         "You multiplied the kernel sizes. Each layer adds (k-1)·d times the jump to the field; it does not multiply it: r = " + sum + "."},
        {"kernels-added", when(true, kernels),
         "You added the kernel sizes. Each layer adds k - 1 (times d and the jump), not k: the first pixel is counted once, r = " + sum + "."},
        {"jump-ignored", when(strided, field_of(unit_strides)),
         "You left out the jump: after a stride-2 layer neighbouring units are 2 pixels apart, so every later layer's k - 1 counts "
         "double. r = " + sum + "."},
        {"dilation-ignored", when(dilated, field_of(no_dilation)),
         "You left out the dilation: a dilated kernel spans d(k-1) + 1 pixels, not k. r = " + sum + "."},
    };
}

// The hint ladder: the recurrence, the first layer worked, every layer but the last.
HintLadder field_hints(const RfLab& lab) {
    const std::vector<StackLayer>& layers = lab.ex_layers;
    std::vector<ReceptiveField> f;
    const std::string rule = "Start with r = 1 and j = 1 (one pixel, one pixel apart). Each layer with kernel k, dilation d and "
                             "stride s does r = r + (k-1)·d·j, then j = j·s. A pooling layer is a kernel with d = 1.";
    if (!receptive_fields(f, axes_of(layers)).ok() || f.size() < 2) return {rule, rule, rule};
    std::string steps;
    for (size_t l = 1; l + 1 < f.size(); l++)
        steps += (steps.empty() ? "" : "; ") + r_formula(layers, f, l) + ", " + j_formula(layers, f, l);
    const size_t last = f.size() - 1;
    const StackLayer& L = layers[last - 1];
    return {rule, "The first layer: " + r_formula(layers, f, 1) + ", and " + j_formula(layers, f, 1) + ".",
            steps + ". The last layer adds (" + std::to_string(L.kernel) + "-1)·" + std::to_string(L.pool ? 1 : L.dilation) + "·" +
                std::to_string(f[last - 1].jump) + " to r = " + std::to_string(f[last - 1].size) + "."};
}

std::string check_answer(RfLab& lab, double value) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    std::vector<ReceptiveField> f;
    if (Status s = receptive_fields(f, axes_of(lab.ex_layers)); !s.ok()) return s.message;
    const int64_t expected = f.back().size;
    const bool right = std::fabs(value - double(expected)) < 0.5;
    const std::string sum = field_sum(lab.ex_layers, f);
    const std::string feedback = right ? "Right: r = " + sum + "."
                                       : "Not quite: r = " + sum + "; each layer adds (k-1)*d times the jump of the layers before it.";
    lab.ex_answered = true;
    lab.record.exercise["answered"] = true;
    const json mistake = right ? json(nullptr) : name_mistake(std::round(value), expected, field_mistakes(lab), feedback);
    lab.record.checked(right, expected, value, right || mistake["id"] == "other" ? feedback : "Not quite. " + mistake["text"].get<std::string>(),
                       lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State and commands.

json map_rows(const FieldMap& m) {
    json rows = json::array();
    for (int y = 0; y < m.size; y++) {
        json row = json::array();
        for (int x = 0; x < m.size; x++) row.push_back(std::round(double(m.map[size_t(y * m.size + x)]) * 1000.0) / 1000.0);
        rows.push_back(row);
    }
    return rows;
}

// The first and last rows where a map is not zero (its support), as [first, last].
json support_json(const FieldMap& m) {
    int first = -1, last = -1;
    for (int y = 0; y < m.size; y++)
        for (int x = 0; x < m.size; x++)
            if (m.map[size_t(y * m.size + x)] > 0) {
                if (first < 0) first = y;
                last = y;
            }
    return {{"first", first}, {"last", last}};
}

json fields_json(const RfLab& lab) {
    json fields = json::array();
    if (lab.message.empty())
        for (size_t l = 1; l < lab.fields.size(); l++)
            fields.push_back({{"layer", l}, {"size", lab.fields[l].size}, {"jump", lab.fields[l].jump}, {"start", lab.fields[l].start},
                              {"r_formula", r_formula(lab.layers, lab.fields, l)}, {"j_formula", j_formula(lab.layers, lab.fields, l)}});
    return fields;
}

json paths_json(const RfLab& lab) {
    const FieldMap& m = lab.paths;
    if (m.size == 0) return nullptr;
    return {{"size", m.size}, {"unit", {m.unit_y, m.unit_x}}, {"field", {{"first", {m.first_y, m.first_x}}, {"size", m.field}}},
            {"support", support_json(m)}, {"map", map_rows(m)}};
}

json erf_json(const RfLab& lab) {
    const FieldMap& m = lab.erf;
    const char* net = choice_name(kNets, lab.erf_net);
    if (m.size == 0) return {{"net", net}, {"note", lab.erf_note}, {"map", nullptr}};
    return {{"net", net}, {"note", text_or_null(lab.erf_note)}, {"inputs", lab.erf_inputs},
            {"size", m.size}, {"unit", {m.unit_y, m.unit_x}}, {"field", {{"first", {m.first_y, m.first_x}}, {"size", m.field}}},
            {"effective_size", lab.erf_size},
            {"middle", {{"size", lab.erf_middle}, {"share", lab.erf_central},
                        {"even_share", double(lab.erf_middle * lab.erf_middle) / double(m.field * m.field)}}},
            {"outside", lab.erf_outside}, {"map", map_rows(m)}};
}

json training_json(const RfLab&) {
    const SeedTraining& t = g_training;
    return {{"state", training_state()}, {"steps", t.run.step}, {"of", kTrainSteps},
            {"test_accuracy", std::isnan(t.test_accuracy) ? json(nullptr) : json(t.test_accuracy)},
            {"note", text_or_null(t.note)}};
}

const Output<RfLab> kOutputs[] = {
    {"fields", fields_json},
    {"message", [](const RfLab& lab) { return text_or_null(lab.message); }},
    {"receptive_field", [](const RfLab& lab) { return json(lab.fields.back().size); }},
    {"jump", [](const RfLab& lab) { return json(lab.fields.back().jump); }},
    {"weights", [](const RfLab& lab) { return json(stack_weights(lab.layers)); }},
    {"single_conv_weights", [](const RfLab& lab) { return json(lab.fields.back().size * lab.fields.back().size); }},
    {"comparison", [](const RfLab&) { return comparison(); }},
    {"paths", paths_json},
    {"erf", erf_json},
    {"training", training_json},
};

std::string read_layer(const json& v, const std::string& where, StackLayer& L) {
    if (!v.is_object()) return where + " must be {\"type\": \"conv\" or \"pool\", \"kernel\", \"stride\", \"dilation\"}";
    if (std::string e = check_fields(v, {"type", "kernel", "stride", "dilation"}, {}); !e.empty()) return where + ": " + e;
    static constexpr Choice<bool> kTypes[] = {{false, "conv"}, {true, "pool"}};
    L = StackLayer{};
    if (std::string e = read_choice(v, "type", kTypes, L.pool); !e.empty()) return where + ": " + e;
    if (L.pool) L.kernel = L.stride = 2;
    if (std::string e = read_int(v, "kernel", 1, 7, L.kernel); !e.empty()) return where + ": " + e;
    if (L.pool) L.stride = L.kernel;  // pooling's stride defaults to its kernel, as in PyTorch
    if (std::string e = read_int(v, "stride", 1, 3, L.stride); !e.empty()) return where + ": " + e;
    if (std::string e = read_int(v, "dilation", 1, 4, L.dilation); !e.empty()) return where + ": " + e;
    if (L.pool && L.dilation != 1) return where + ": a pooling has no dilation here";
    return "";
}

std::string read_layers(const json& f, RfLab& lab) {
    if (!f.contains("layers")) return "";
    const json& v = f["layers"];
    if (!v.is_array() || v.empty() || v.size() > size_t(kMaxLayers))
        return "\"layers\" must be a list of 1 to " + std::to_string(kMaxLayers) + " layers";
    std::vector<StackLayer> layers(v.size());
    for (size_t i = 0; i < v.size(); i++)
        if (std::string e = read_layer(v[i], "layer " + std::to_string(i + 1), layers[i]); !e.empty()) return e;
    lab.layers = layers;
    return "";
}

// The settings: the stack and the network measured. (Its other fields are the exercise and what
// is derived from these two.)
const Field<RfLab> kSettingFields[] = {
    {"layers", read_layers, [](const RfLab& lab) { return layers_json(lab.layers); }},
    choice_field("net", &RfLab::net, kNets),
};

json rf_state() {
    recompute(g_lab);  // the training may have finished since the last command
    json s;
    write_fields(s, kSettingFields, g_lab);
    write_outputs(s, kOutputs, g_lab);
    g_lab.record.write(s);
    return s;
}

struct Preset {
    const char* id;
    const char* name;
    std::vector<StackLayer> layers;
};

const std::vector<Preset>& presets() {
    static const StackLayer c3{}, pool{true, 2, 2, 1};
    static const std::vector<Preset> list = {
        {"three-3x3", "Three 3x3 convs", {c3, c3, c3}},
        {"one-5x5", "One 5x5 conv", {StackLayer{false, 5, 1, 1}}},
        {"stride", "3x3 stride 2, then two 3x3", {StackLayer{false, 3, 2, 1}, c3, c3}},
        {"pool", "conv, pool, conv, pool (the seed net)", {c3, pool, c3, pool}},
        {"dilated", "3x3 with dilation 1, 2, 4", {c3, StackLayer{false, 3, 1, 2}, StackLayer{false, 3, 1, 4}}},
        {"deep", "Eight 3x3 convs", std::vector<StackLayer>(8, c3)},
    };
    return list;
}

std::string apply_command(RfLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields,
                                      {"reset", "add_layer", "remove_layer", "preset", "train", "new_exercise", "seed", "hint", "answer"}, kOutputs);
        !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) {
        const ExerciseRecord kept = lab.record;
        lab = make_lab();
        lab.record.answered = kept.answered;  // the score is the student's, kept across resets
        lab.record.correct = kept.correct;
    }
    // 1. The stack, and the network of the effective field.
    std::string preset;
    if (!(e = read_string(f, "preset", preset)).empty()) return e;
    if (!preset.empty()) {
        const Preset* found = nullptr;
        std::string names;
        for (const Preset& p : presets()) {
            if (preset == p.id) found = &p;
            names += std::string(names.empty() ? "" : ", ") + p.id;
        }
        if (!found) return "no preset \"" + preset.substr(0, 30) + "\"; try: " + names;
        lab.layers = found->layers;
    }
    if (!(e = read_fields(f, kSettingFields, lab)).empty()) return e;
    if (f.contains("remove_layer")) {
        int index = 0;
        if (!(e = read_int(f, "remove_layer", 0, int(lab.layers.size()) - 1, index)).empty()) return e + " (a layer's index, from 0)";
        if (lab.layers.size() == 1) return "the stack needs at least one layer";
        lab.layers.erase(lab.layers.begin() + index);
    }
    if (f.contains("add_layer")) {
        StackLayer L;
        const json& v = f["add_layer"];
        if (!(v.is_boolean() && v.get<bool>()) && !(e = read_layer(v, "\"add_layer\"", L)).empty()) return e;
        if (lab.layers.size() >= size_t(kMaxLayers)) return "the stack has " + std::to_string(kMaxLayers) + " layers, the most this lab takes";
        lab.layers.push_back(L);
    }
    // 2. Training the seed net.
    bool train = false;
    if (!(e = read_bool(f, "train", train)).empty()) return e;
    if (train) {
        lab.train_requested = true;
        if (!f.contains("net")) lab.net = Net::seed_trained;
    }
    // 3. The exercise.
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, field_hints)).empty()) return e;
    if (f.contains("answer")) {
        float value = 0;
        if (!(e = read_number(f, "answer", -1e9f, 1e9f, value)).empty()) return e + " (the receptive field, in pixels)";
        if (!(e = check_answer(lab, value)).empty()) return e;
    }
    recompute(lab);
    return "";
}

// Training starts once the command that asked for it has been kept.
void start_training_if_asked(RfLab& lab) {
    if (!lab.train_requested) return;
    lab.train_requested = false;
    start_training();
}

std::string rf_command(const json& fields) {
    return command_on_copy("receptive-field", g_lab, fields, apply_command, start_training_if_asked);
}

void ui_command(const json& fields) {
    std::string e = rf_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

// ---------------------------------------------------------------------------------------------
// Drawing.

void draw_layers(RfLab& lab) {
    ImGui::TextDisabled("LAYERS");
    std::vector<StackLayer> edited = lab.layers;
    bool changed = false;
    int remove = -1;
    for (size_t i = 0; i < edited.size(); i++) {
        StackLayer& L = edited[i];
        ImGui::PushID(int(i));
        ImGui::Text("%d", int(i + 1));
        ImGui::SameLine();
        if (ImGui::SmallButton(L.pool ? "pool" : "conv")) {
            L.pool = !L.pool;
            L.dilation = 1;
            if (L.pool) L.kernel = L.stride = 2;
            changed = true;
        }
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 1.8f);
        changed |= ImGui::DragInt("k", &L.kernel, 0.1f, 1, 7);
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 1.8f);
        changed |= ImGui::DragInt("s", &L.stride, 0.1f, 1, 3);
        if (!L.pool) {
            ImGui::SameLine();
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 1.8f);
            changed |= ImGui::DragInt("d", &L.dilation, 0.1f, 1, 4);
        }
        if (edited.size() > 1) {
            ImGui::SameLine();
            if (ImGui::SmallButton("x")) remove = int(i);
        }
        ImGui::PopID();
    }
    if (changed) {
        for (StackLayer& L : edited) {  // dragging may pass the limits; the command checks them too
            L.kernel = std::clamp(L.kernel, 1, 7);
            L.stride = std::clamp(L.stride, 1, 3);
            L.dilation = std::clamp(L.dilation, 1, 4);
        }
        ui_command({{"layers", layers_json(edited)}});
    }
    if (remove >= 0) ui_command({{"remove_layer", remove}});
    if (lab.layers.size() < size_t(kMaxLayers)) {
        if (ImGui::Button("+ conv 3x3")) ui_command({{"add_layer", true}});
        ui_anchor("add-conv");
        ImGui::SameLine();
        if (ImGui::Button("+ pool 2")) ui_command({{"add_layer", {{"type", "pool"}, {"kernel", 2}}}});
    }
    ImGui::SetNextItemWidth(-FLT_MIN);
    if (ImGui::BeginCombo("##preset", "Load a stack...")) {
        for (const Preset& p : presets())
            if (ImGui::Selectable(p.name)) ui_command({{"preset", p.id}});
        ImGui::EndCombo();
    }
    if (ImGui::Button("Reset")) ui_command({{"reset", true}});
    ui_anchor("reset");
    ImGui::TextDisabled("k kernel, s stride, d dilation; drag to change");
}

void draw_network_choice(RfLab& lab) {
    ImGui::Separator();
    ImGui::TextDisabled("EFFECTIVE FIELD OF");
    if (ImGui::RadioButton("your stack, random weights", lab.net == Net::stack)) ui_command({{"net", "stack"}});
    if (ImGui::RadioButton("the seed net, random", lab.net == Net::seed_random)) ui_command({{"net", "seed-random"}});
    if (ImGui::RadioButton("the seed net, trained", lab.net == Net::seed_trained)) ui_command({{"net", "seed-trained"}});
    if (ImGui::RadioButton("your network (the training lab's)", lab.net == Net::yours)) ui_command({{"net", "yours"}});
    const SeedTraining& t = g_training;
    const std::string state = training_state();
    if (state == "trained") {
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(kDim, "Trained %d steps: %.0f%% right on 1000 test pictures.", int(t.run.step), t.test_accuracy * 100);
        ImGui::PopTextWrapPos();
    } else if (state == "training") {
        ImGui::ProgressBar(float(t.run.step) / kTrainSteps, ImVec2(-FLT_MIN, 0), "training...");
    } else if (state == "loading") {
        ImGui::ProgressBar(std::max(dataset_loading("fashion"), 0.0f), ImVec2(-FLT_MIN, 0), "Fashion-MNIST...");
    } else {
        if (ImGui::Button("Train the seed net")) ui_command({{"train", true}});
        ui_anchor("train");
        if (!t.note.empty()) {
            ImGui::PushTextWrapPos(0);
            ImGui::TextColored(kWrong, "%s", t.note.c_str());
            ImGui::PopTextWrapPos();
        }
    }
}

void draw_recurrence(const RfLab& lab) {
    if (!lab.message.empty()) {
        ImGui::TextColored(kWrong, "%s", lab.message.c_str());
        return;
    }
    ImGui::Text("r = pixels one unit sees, j = pixels between neighbouring units:   r_l = r_(l-1) + (k_l - 1)*d_l*j_(l-1),   j_l = j_(l-1)*s_l");
    const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg;
    if (ImGui::BeginTable("recurrence", 4, flags)) {
        ImGui::TableSetupColumn("layer");
        ImGui::TableSetupColumn("what");
        ImGui::TableSetupColumn("receptive field r");
        ImGui::TableSetupColumn("jump j");
        ImGui::TableHeadersRow();
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted("0");
        ImGui::TableSetColumnIndex(1);
        ImGui::TextUnformatted("input");
        ImGui::TableSetColumnIndex(2);
        ImGui::TextUnformatted("r0 = 1");
        ImGui::TableSetColumnIndex(3);
        ImGui::TextUnformatted("j0 = 1");
        for (size_t l = 1; l < lab.fields.size(); l++) {
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::Text("%d", int(l));
            ImGui::TableSetColumnIndex(1);
            ImGui::TextUnformatted(layer_words(lab.layers[l - 1]).c_str());
            ImGui::TableSetColumnIndex(2);
            ImGui::TextUnformatted(r_formula(lab.layers, lab.fields, l).c_str());
            ImGui::TableSetColumnIndex(3);
            ImGui::TextUnformatted(j_formula(lab.layers, lab.fields, l).c_str());
        }
        ImGui::EndTable();
    }
    const int64_t r = lab.fields.back().size;
    ImGui::Text("Weights per channel pair: this stack %lld, one conv seeing the same %lldx%lld field %lld.",
                (long long)stack_weights(lab.layers), (long long)r, (long long)r, (long long)(r * r));
    const json c = comparison();
    if (c.is_object())
        ImGui::Text("Two stacked 3x3 convs see %dx%d with %d weights; one 5x5 sees %dx%d with %d.", c["two_3x3"]["field"].get<int>(),
                    c["two_3x3"]["field"].get<int>(), c["two_3x3"]["weights"].get<int>(), c["one_5x5"]["field"].get<int>(),
                    c["one_5x5"]["field"].get<int>(), c["one_5x5"]["weights"].get<int>());
    ImGui::SameLine();
    help_marker("The same view for fewer weights, and a nonlinearity in between: that is why networks stack small kernels.");
}

// A heat map of a field map with the theoretical field outlined and the unit's centre marked.
void draw_field_map(const char* id, const FieldMap& m, float side) {
    const float cell = side / float(m.size);
    GridResult g = draw_grid(id, m.size, m.size, cell, [&](int r, int c) {
        const float v = m.map[size_t(r * m.size + c)];
        const float t = std::sqrt(v);  // a gentler scale, so faint paths still show
        return GridCell{"", IM_COL32(int(20 + 235 * t), int(20 + 235 * t * t), int(40 + 215 * t * t * t), 255)};
    }, false);
    ImDrawList* draw = ImGui::GetWindowDrawList();
    draw->AddRect(g.cell_min(int(m.first_y), int(m.first_x)), g.cell_max(int(m.first_y + m.field - 1), int(m.first_x + m.field - 1)),
                  kFieldColor, 0, 0, 2.0f);
    const float centre_y = g.origin.y + (float(m.first_y) + float(m.field) * 0.5f) * cell;
    const float centre_x = g.origin.x + (float(m.first_x) + float(m.field) * 0.5f) * cell;
    draw->AddCircle(ImVec2(centre_x, centre_y), std::max(cell * 0.35f, 3.0f), kUnitColor, 12, 2.0f);
}

void draw_maps(RfLab& lab) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float side = std::clamp((avail - 30) / 2, 120.0f, 300.0f);
    ImGui::BeginGroup();
    ImGui::Text("Theoretical field: paths from the unit");
    ImGui::SameLine();
    help_marker("Every weight set to 1 (pooling averages): brighter pixels reach the unit along more paths. Nothing outside "
                "the yellow r x r square reaches it at all.");
    if (lab.paths.size > 0) {
        draw_field_map("paths", lab.paths, side);
        ImGui::Text("r = %lld of a %dx%d picture", (long long)lab.paths.field, lab.paths.size, lab.paths.size);
    } else {
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
        ImGui::TextColored(kDim, "%s", lab.paths_note.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::EndGroup();
    ui_anchor("paths-map");
    ImGui::SameLine(0, 30);
    ImGui::BeginGroup();
    const char* title = lab.erf_net == Net::stack ? "Effective field: your stack, random weights"
                        : lab.erf_net == Net::seed_trained ? "Effective field: the trained seed net"
                        : lab.erf_net == Net::yours        ? "Effective field: your network"
                                                        : "Effective field: the seed net, random start";
    ImGui::TextUnformatted(title);
    ImGui::SameLine();
    help_marker("|d unit / d pixel|, averaged over many pictures by backpropagating from the unit in the middle. Yellow: the "
                "theoretical field. The bright part is much smaller and fades like a Gaussian.");
    if (lab.erf.size > 0) {
        draw_field_map("erf", lab.erf, side);
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
        const long long r = lab.erf.field, middle = lab.erf_middle;
        ImGui::Text("The middle %lldx%lld of the %lldx%lld field holds %.0f%% of the gradient (spread evenly it would hold "
                    "%.0f%%); 90%% of it lies in the middle %lldx%lld.",
                    middle, middle, r, r, lab.erf_central * 100, 100.0 * double(middle * middle) / double(r * r),
                    (long long)lab.erf_size, (long long)lab.erf_size);
        if (!lab.erf_note.empty()) ImGui::TextColored(kWrong, "%s", lab.erf_note.c_str());
        ImGui::PopTextWrapPos();
    } else {
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + side);
        ImGui::TextColored(kDim, "%s", lab.erf_note.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::EndGroup();
    ui_anchor("erf-map");
}

void draw_exercise(RfLab& lab) {
    ImGui::Separator();
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) ui_command({{"new_exercise", true}});
    if (lab.record.open()) {
        ImGui::TextWrapped("Predict the receptive field of: %s.", stack_words(lab.ex_layers).c_str());
        ImGui::Text("r =");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
        const bool enter = ImGui::InputText("##answer", lab.answer_text, sizeof lab.answer_text,
                                            ImGuiInputTextFlags_CharsDecimal | ImGuiInputTextFlags_EnterReturnsTrue);
        ui_anchor("answer");
        ImGui::SameLine();
        const bool check = ImGui::Button("Check");
        ui_anchor("check");
        if (check || enter) {
            char* end = nullptr;
            const double value = std::strtod(lab.answer_text, &end);
            if (end == lab.answer_text || !std::isfinite(value)) lab.ui_note = "Type a number first.";
            else ui_command({{"answer", value}});
        }
    }
    last_answer_feedback(lab.record.last_answer);
    if (lab.record.open() && hint_ladder(lab.record.last_answer, lab.record.hints)) ui_command({{"hint", true}});
}

void rf_draw() {
    RfLab& lab = g_lab;
    if (g_training.running) {
        // The training lab's share of a frame: what is left of 30 ms after the rest of the main thread's
        // work, or as long as drawing takes (up to 40 ms) where drawing alone is slow (a software GPU).
        static double last_train_ms = 0;
        const double other = std::max(frame_cpu_ms() - last_train_ms, 0.0);
        const double budget = other < 24.0 ? std::clamp(30.0 - other, 6.0, 28.0) : std::min(other, 40.0);
        const auto start = std::chrono::steady_clock::now();
        train_for(budget);
        last_train_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    recompute(lab);
    lab_intro("Receptive fields",
              "A unit deep in a network sees only a patch of the picture: its receptive field. Each 3x3 layer "
              "widens it by 2 pixels, and stride, pooling or dilation widen it faster. Yet the pixels that "
              "really move the unit crowd in the middle of that patch.");
    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 16, 0), true);
    draw_layers(lab);
    draw_network_choice(lab);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    recompute(g_lab);  // the settings may have changed the lab
    draw_recurrence(g_lab);
    ImGui::Spacing();
    draw_maps(g_lab);
    draw_exercise(g_lab);
    if (!g_lab.ui_note.empty()) ImGui::TextColored(kWrong, "%s", g_lab.ui_note.c_str());
    ImGui::EndChild();
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "receptive-field", .name = "Receptive fields",
                    .summary = "Stack layers and see how much of the picture one unit sees, in theory and in practice.",
                    .draw = rf_draw, .state = rf_state, .command = rf_command, .on_dataset = seed_dataset,
                    .teaches = {"receptive-field", "Receptive field"});
