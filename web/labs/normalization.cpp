// normalization.cpp — Lab "Normalization" (lesson note 003: batch, layer, instance and group norm,
// and their trouble with small batches).
//
// A real activation tensor (N,C,H,W): a batch of Fashion-MNIST test pictures through the seed net's
// first convolution (4 filters of 3x3): as PyTorch initializes it, after 300 steps of training in
// the page, or the one of the network the student trained in the training lab when it has that shape. The tensor is drawn as a table of
// planes, a row per sample and a column per channel, and the planes one statistic averages over
// are highlighted: batch norm, per channel over (N,H,W); layer norm, per sample over (C,H,W);
// instance norm, per sample and channel over (H,W); group norm, per sample and group of C/G
// channels over (C/G,H,W). The means and variances, one element's normalization written out with
// its numbers, gamma and beta per channel editable. Then batch norm's running statistics (momentum
// 0.1, as PyTorch) and what eval mode uses; what a batch of one does in training mode; and how much
// the batch statistics move from batch to batch as the batch shrinks, beside layer norm's.
// And the claim "batch norm allows higher learning rates", tried: the seed net with and without
// batch norm trained side by side (web/side_by_side.h) with plain SGD at four learning rates, the same
// pictures for all eight; their curves, and the largest rate at which each still learns.
// Exercises: normalize one element by hand; which axes a norm averages over; how many means it computes.
//
// Every number comes from the engine's ops (engine/ops.h): conv2d, batchnorm2d_forward_train and
// _eval, layernorm_forward, instancenorm2d_forward, groupnorm_forward (their mean and rstd outputs
// are the statistics shown).
//
// API (window.cnnlab.command / state), besides {"lab": "normalization"}:
//   "weights"     the first convolution's: "initialized", "trained" (the seed net trained 300 steps here)
//                 or "yours" (your network's first layer, when it is a 1 -> 4 channel 3x3 convolution)
//   "norm"        "batch", "layer", "instance" or "group"
//   "groups"      G for group norm: 1, 2 or 4 (it must divide the 4 channels)
//   "batch"       N, the samples in the batch (1..256)
//   "first"       the first test picture of the batch (0..9000)
//   "gamma", "beta"  4 numbers each, one per channel (|value| <= 100)
//   "element"     [n, c, y, x]: the element whose normalization is written out
//   "batches_seen" 0..50: batches batch norm's running statistics have followed (training mode)
//   "race": true  trains the seed net without and with batch norm at each rate of kRates;
//   "race_steps"  steps each of the eight takes (100..2000, batch 32)
//   "new_exercise", "seed", "hint", "answer" (a number, a list of axis letters, or a whole number,
//                 as the exercise asks), "reset"
// State adds: "shape" [N,C,H,W], "source" ("Fashion-MNIST test pictures" or "built-in pictures"),
// "loading" (Fashion-MNIST is on its way), "note", "statistics" {"axes", "count", "means", "variances"} (the first 64), "normalized" {"value",
// "mean", "variance", "eps", "gamma", "beta", "output", "formula"}, "running" {"mean", "var",
// "batch_mean", "batch_var"} for the element's channel, "batch_of_one" {"train_mode_rms",
// "eval_mode_rms", "difference_rms"}, "spread" [{"batch", "batch_norm", "layer_norm"}] (the
// standard deviation of channel 0's batch mean and of sample 0's layer-norm mean over 16 batches),
// "rate_race" {"state", "note", "steps", "steps_done", "seconds", "contenders": [{"name" ("plain-0.01",
// "batchnorm-0.8", ...), "lr", "curve", "test_accuracy", "diverged", ...}], "largest_rate": {"plain",
// "batchnorm"} (the largest rate at which it ends above 50% on the test pictures, null when none)},
// and the exercise record (lab_kit.h).
// Events: "exercise-new", "answer", "hint", "progress" (app.h).
#include <algorithm>
#include <cmath>

#include <imgui.h>

#include "../../engine/conv.h"
#include "../../engine/data.h"
#include "../../engine/model.h"
#include "../../engine/ops.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../../engine/model_presets.h"
#include "../lab_kit.h"
#include "../side_by_side.h"
#include "../widgets.h"

namespace {

constexpr int kC = 4, kSide = 28, kHW = kSide * kSide;  // the activation's channels and plane
constexpr float kEps = 1e-5f, kMomentum = 0.1f;         // PyTorch's defaults
constexpr int kMaxBatch = 256, kShownSamples = 8;       // samples in a batch; rows of planes drawn
constexpr int kSpreadBatches = 16;                      // batches the spread is measured over

enum class Weights { initialized, trained, yours };
constexpr Choice<Weights> kWeights[] = {{Weights::initialized, "initialized"}, {Weights::trained, "trained"}, {Weights::yours, "yours"}};

enum class Norm { batch, layer, instance, group };
constexpr Choice<Norm> kNorms[] = {{Norm::batch, "batch"}, {Norm::layer, "layer"}, {Norm::instance, "instance"}, {Norm::group, "group"}};

struct Settings {
    Weights weights = Weights::initialized;
    Norm norm = Norm::batch;
    int groups = 2;                                  // G, group norm only
    int batch = 8;                                   // N
    int first = 0;                                   // the first test picture of the batch
    std::vector<float> gamma = std::vector<float>(kC, 1.0f), beta = std::vector<float>(kC, 0.0f);  // (C) each
    std::vector<int> element = {0, 0, 14, 14};       // [n, c, y, x]
    int batches_seen = 10;                           // batch norm's running statistics: batches followed
    int race_steps = 400;                            // steps each network of the learning-rate race takes
    bool operator==(const Settings&) const = default;
};

enum class Kind { normalize, axes, count };  // the three kinds of exercise

struct NormalizationLab {
    Settings settings;
    // Derived by recompute(), from the engine.
    Settings computed_for;
    int data_version = -1;          // pictures().version * 1000003 + the weights' version they were computed with
    std::vector<float> acts;        // (N,C,H,W) the first convolution's output
    std::vector<float> out;         // (N,C,H,W) normalized
    std::vector<float> mean, rstd;  // (count) the statistics the norm computed
    json running = nullptr, batch_of_one = nullptr;  // for the settings' batch, first, batches_seen and element
    std::vector<int> modes_for;     // [batch, first, batches_seen, n, c, data version] they were computed for
    std::vector<int> running_for;   // [batch, first, batches_seen, data version] the running statistics followed
    std::vector<float> running_mean = std::vector<float>(kC, 0.0f), running_var = std::vector<float>(kC, 1.0f);  // (C)
    // The exercise.
    ExerciseRecord record;
    Kind kind = Kind::normalize;
    Pending pending;
    bool race_requested = false;    // the command asked for the race (started once it is kept)
    // UI only
    char answer_text[64] = "";
    std::string ui_note;
};

// ---------------------------------------------------------------------------------------------
// The pictures and the first convolution.

struct Pictures {
    const LoadedDataset* data = nullptr;  // the app's Fashion-MNIST, once here
    bool asked = false;
    std::string note;                     // why the built-in pictures stand in
    int version = 0;                      // bumped when the data arrives
    Model seed_net;                       // the seed net as PyTorch initializes it (seed 1): its first convolution, 4 filters of 3x3, padding 1
};
Pictures& pictures() {
    static Pictures p = [] {
        Pictures q;
        (void)model_from_json(q.seed_net, seed_model_json(), 1);  // a fixed description: it builds
        return q;
    }();
    return p;
}

// Picture i of the batch (28x28, values 0..1): a test picture, or a built-in one (a bright blob
// that moves and grows with i) until the data is here.
void picture(float* out, int index) {
    const Pictures& p = pictures();
    if (p.data && p.data->error.empty()) {
        picture_values(out, p.data->test, index % p.data->test.count);
        return;
    }
    const float cy = 8.0f + float(index * 7 % 13), cx = 6.0f + float(index * 5 % 17), r = 4.0f + float(index % 5);
    for (int y = 0; y < kSide; y++)
        for (int x = 0; x < kSide; x++) {
            const float d = std::sqrt((y - cy) * (y - cy) + (x - cx) * (x - cx));
            out[y * kSide + x] = std::clamp(1.2f - d / r, 0.0f, 1.0f);
        }
}

// ---- The first convolution's weights: as initialized, trained here, or yours.
constexpr int kSeedSteps = 300;
struct FirstLayer {
    SideBySide training;         // the seed net's 300 steps (one network)
    bool wanted = false;         // asked for, waiting for the data
    Model yours;                 // your network, when its first layer fits
    int yours_version = -1;      // your_network()'s version `yours` was built from
    std::string yours_note;      // why yours does not fit, "" when it does
};
FirstLayer& first_layer() {
    static FirstLayer f;
    return f;
}

bool seed_trained() {
    const FirstLayer& f = first_layer();
    return !f.training.contenders.empty() && !f.training.running;
}

void start_seed_training() {
    FirstLayer& f = first_layer();
    if (seed_trained() || f.training.running) return;
    const Pictures& p = pictures();
    if (!p.data || !p.data->error.empty()) {
        f.wanted = true;
        return;
    }
    f.wanted = false;
    const TrainRecipe recipe = {.optimizer = {.kind = OptimizerKind::adam, .lr = 0.002f}, .batch = 32, .epochs = 1, .seed = 11};
    (void)side_by_side_start(f.training, {{"seed", seed_model_json()}}, recipe, kSeedSteps, 1);  // a fixed description: it builds
}

// Your network, when its first layer is a 3x3 convolution from 1 to 4 channels keeping 28x28.
const Model* yours() {
    FirstLayer& f = first_layer();
    const YourNetwork* net = your_network();
    if (!net) {
        f.yours_note = "You have not trained a network yet: in the training lab, press Start, then Pause.";
        return nullptr;
    }
    if (f.yours_version != net->version) {
        f.yours_version = net->version;
        f.yours = Model{};
        Status s = model_from_json(f.yours, net->description, 1);
        if (s.ok()) s = load_model_state(f.yours, net->weights);
        const Layer* L = s.ok() && !f.yours.layers.empty() ? &f.yours.layers[0] : nullptr;
        if (s.ok() && (!L || L->kind != LayerKind::conv || L->in_shape != std::vector<int>{1, 28, 28} ||
                       L->out_shape != std::vector<int>{kC, 28, 28} || L->conv.rows.kernel != 3 || L->conv.cols.kernel != 3 || L->conv.groups != 1))
            s = error_status("its first layer is not a 3x3 convolution from 1 to 4 channels that keeps 28x28 (the seed net's is)");
        f.yours_note = s.ok() ? "" : "Your network (" + net->about + ") does not fit here: " + s.message + ".";
    }
    return f.yours_note.empty() ? &f.yours : nullptr;
}

// The model whose first layer makes the activations, and a note when it is not the one asked for.
const Model& first_layer_model(Weights w, std::string* note) {
    if (w == Weights::trained) {
        if (seed_trained()) return first_layer().training.contenders[0].model;
        if (note) *note = "The seed net is training (" + std::to_string(first_layer().training.contenders.empty() ? 0 :
                          first_layer().training.contenders[0].run.step) + " of " + std::to_string(kSeedSteps) + " steps): its first layer as initialized until then.";
    }
    if (w == Weights::yours) {
        if (const Model* m = yours()) return *m;
        if (note) *note = first_layer().yours_note + " The first layer as initialized instead.";
    }
    return pictures().seed_net;
}
int weights_version(Weights w) {
    if (w == Weights::trained) return seed_trained() ? 1 : 0;
    if (w == Weights::yours) return your_network() ? 2 + your_network()->version : 0;
    return 0;
}

// The first convolution's output for pictures first .. first+N-1 (with `lead` >= 0: that picture
// as sample 0 instead of `first`): (N,C,H,W).
std::vector<float> activations(const Model& m, int first, int N, int lead = -1) {
    std::vector<float> inp(size_t(N) * kHW);
    for (int i = 0; i < N; i++) picture(&inp[size_t(i) * kHW], i == 0 && lead >= 0 ? lead : first + i);
    std::vector<float> out(size_t(N) * kC * kHW);
    const Layer& L = m.layers[0];
    conv2d_forward(out.data(), inp.data(), m.params.data() + L.weight, m.params.data() + L.bias, N, 1, kSide, kSide, kC, L.conv);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Computing: the norm, its statistics, one element.

// How many means a norm computes for (N, C, H, W) with G groups.
int64_t mean_count(Norm norm, int64_t N, int64_t C, int64_t G) {
    switch (norm) {
        case Norm::batch: return C;
        case Norm::layer: return N;
        case Norm::instance: return N * C;
        default: return N * G;
    }
}
int stat_count(Norm norm, int N, int G) { return int(mean_count(norm, N, kC, G)); }
// The statistic element (n, c) is normalized with.
int stat_index(Norm norm, int n, int c, int G) {
    switch (norm) {
        case Norm::batch: return c;
        case Norm::layer: return n;
        case Norm::instance: return n * kC + c;
        default: return n * G + c / (kC / G);
    }
}
std::vector<std::string> axes_of(Norm norm) {
    switch (norm) {
        case Norm::batch: return {"N", "H", "W"};
        case Norm::layer: return {"C", "H", "W"};
        case Norm::instance: return {"H", "W"};
        default: return {"C/G", "H", "W"};
    }
}

// Normalizes acts (N,C,H,W) with the engine's op for `norm`: out, and the mean and rstd it used.
void normalize(std::vector<float>& out, std::vector<float>& mean, std::vector<float>& rstd, const std::vector<float>& acts,
               const Settings& s, int N) {
    out.assign(acts.size(), 0.0f);
    mean.assign(size_t(stat_count(s.norm, N, s.groups)), 0.0f);
    rstd = mean;
    switch (s.norm) {
        case Norm::batch:
            batchnorm2d_forward_train(out.data(), mean.data(), rstd.data(), nullptr, nullptr, acts.data(), s.gamma.data(), s.beta.data(), N,
                                      kC, kHW, kEps, kMomentum);
            break;
        case Norm::layer: {  // F.layer_norm over (C,H,W), its elementwise weight and bias set from each channel's gamma and beta
            std::vector<float> g(size_t(kC) * kHW), b(g.size());
            for (int c = 0; c < kC; c++)
                for (int i = 0; i < kHW; i++) {
                    g[size_t(c * kHW + i)] = s.gamma[size_t(c)];
                    b[size_t(c * kHW + i)] = s.beta[size_t(c)];
                }
            layernorm_forward(out.data(), mean.data(), rstd.data(), acts.data(), g.data(), b.data(), N, kC * kHW, kEps);
            break;
        }
        case Norm::instance:
            instancenorm2d_forward(out.data(), mean.data(), rstd.data(), acts.data(), s.gamma.data(), s.beta.data(), N, kC, kHW, kEps);
            break;
        case Norm::group:
            groupnorm_forward(out.data(), mean.data(), rstd.data(), acts.data(), s.gamma.data(), s.beta.data(), N, kC, kHW, s.groups, kEps);
            break;
    }
}

double standard_deviation(const std::vector<double>& v) {
    double m = 0, s = 0;
    for (double x : v) m += x / double(v.size());
    for (double x : v) s += (x - m) * (x - m) / double(v.size());
    return std::sqrt(s);
}

// The spread of the statistics over kSpreadBatches batches of each size: how much a batch's channel-0
// mean (batch norm's) moves from batch to batch, and how much picture 0's own mean (layer norm's)
// moves with the batch it is put in (not at all). It depends on the pictures alone: measured once
// per dataset.
const json& spread() {
    static json measured = nullptr;
    static int version = -1;
    if (version == pictures().version) return measured;
    version = pictures().version;
    const Model& seed_net = pictures().seed_net;  // the spread is about batches, not weights: the first layer as initialized
    measured = json::array();
    for (int B : {1, 2, 4, 8, 16, 32, 64, 128, 256}) {
        std::vector<double> batch_means, layer_means;
        for (int b = 0; b < kSpreadBatches; b++) {
            const std::vector<float> a = activations(seed_net, 1 + b * B, B), with_0 = activations(seed_net, 1 + b * B, B, 0);
            std::vector<float> bo(a.size()), mm(kC), rr(kC), lo(a.size()), lm(static_cast<size_t>(B)), lr(static_cast<size_t>(B));
            batchnorm2d_forward_train(bo.data(), mm.data(), rr.data(), nullptr, nullptr, a.data(), nullptr, nullptr, B, kC, kHW, kEps, kMomentum);
            layernorm_forward(lo.data(), lm.data(), lr.data(), with_0.data(), nullptr, nullptr, B, kC * kHW, kEps);
            batch_means.push_back(mm[0]);
            layer_means.push_back(lm[0]);
        }
        measured.push_back({{"batch", B}, {"batch_norm", standard_deviation(batch_means)}, {"layer_norm", standard_deviation(layer_means)}});
    }
    return measured;
}

void recompute(NormalizationLab& lab) {
    const Settings& s = lab.settings;
    const int version = pictures().version * 1000003 + weights_version(s.weights);
    if (lab.data_version == version && lab.computed_for == s && !lab.acts.empty()) return;
    const bool data_changed = lab.data_version != version || s.weights != lab.computed_for.weights;
    const Model& conv = first_layer_model(s.weights, nullptr);
    if (data_changed || lab.acts.empty() || s.batch != lab.computed_for.batch || s.first != lab.computed_for.first)
        lab.acts = activations(conv, s.first, s.batch);
    lab.computed_for = s;
    lab.data_version = version;
    const int N = s.batch;
    normalize(lab.out, lab.mean, lab.rstd, lab.acts, s, N);
    const std::vector<int> modes_for = {N, s.first, s.batches_seen, s.element[0], s.element[1], lab.data_version};
    if (modes_for == lab.modes_for) return;
    lab.modes_for = modes_for;

    // Batch norm's running statistics after following `batches_seen` batches of N (training mode),
    // from PyTorch's start (mean 0, var 1): the costly part (up to 50 batches of 256), redone only
    // when the batches change, not when another element is chosen.
    const int c = s.element[1];
    const std::vector<int> running_for = {N, s.first, s.batches_seen, lab.data_version};
    std::vector<float> o, m(kC), r(kC);
    if (running_for != lab.running_for) {
        lab.running_for = running_for;
        lab.running_mean.assign(kC, 0.0f);
        lab.running_var.assign(kC, 1.0f);
        for (int b = 0; b < s.batches_seen; b++) {
            const std::vector<float> a = activations(conv, s.first + b * N, N);
            o.assign(a.size(), 0.0f);
            batchnorm2d_forward_train(o.data(), m.data(), r.data(), lab.running_mean.data(), lab.running_var.data(), a.data(), nullptr, nullptr,
                                      N, kC, kHW, kEps, kMomentum);
        }
    }
    const std::vector<float>&rm = lab.running_mean, &rv = lab.running_var;
    std::vector<float> bm(kC), br(kC);
    o.assign(lab.acts.size(), 0.0f);
    batchnorm2d_forward_train(o.data(), bm.data(), br.data(), nullptr, nullptr, lab.acts.data(), nullptr, nullptr, N, kC, kHW, kEps, kMomentum);
    lab.running = {{"batches", s.batches_seen}, {"mean", rm[size_t(c)]}, {"var", rv[size_t(c)]}, {"batch_mean", bm[size_t(c)]},
                   {"batch_var", 1.0 / (double(br[size_t(c)]) * br[size_t(c)]) - kEps}};

    // A batch of one in training mode: each channel normalized over one picture's plane, whatever
    // the others are; eval mode uses the running statistics instead.
    const int n = s.element[0];
    const std::vector<float> one(lab.acts.begin() + size_t(n) * kC * kHW, lab.acts.begin() + size_t(n + 1) * kC * kHW);
    std::vector<float> train_out(one.size()), eval_out(one.size()), m1(kC), r1(kC);
    batchnorm2d_forward_train(train_out.data(), m1.data(), r1.data(), nullptr, nullptr, one.data(), nullptr, nullptr, 1, kC, kHW, kEps, kMomentum);
    batchnorm2d_forward_eval(eval_out.data(), one.data(), nullptr, nullptr, rm.data(), rv.data(), 1, kC, kHW, kEps);
    double tr = 0, ev = 0, diff = 0;
    for (size_t i = 0; i < one.size(); i++) {
        tr += double(train_out[i]) * train_out[i];
        ev += double(eval_out[i]) * eval_out[i];
        diff += double(train_out[i] - eval_out[i]) * (train_out[i] - eval_out[i]);
    }
    const double count = double(one.size());
    lab.batch_of_one = {{"sample", n}, {"train_mode_rms", std::sqrt(tr / count)}, {"eval_mode_rms", std::sqrt(ev / count)},
                        {"difference_rms", std::sqrt(diff / count)}};

}

json element_json(const NormalizationLab& lab) {
    const Settings& s = lab.settings;
    const int n = s.element[0], c = s.element[1], y = s.element[2], x = s.element[3];
    const size_t at = (size_t(n) * kC + size_t(c)) * kHW + size_t(y) * kSide + size_t(x);
    const int k = stat_index(s.norm, n, c, s.groups);
    const float mean = lab.mean[size_t(k)], r = lab.rstd[size_t(k)];
    const double var = 1.0 / (double(r) * r) - kEps;
    const float v = lab.acts[at];
    const std::string formula = "(" + format_number(v) + " - " + format_number(mean) + ") / sqrt(" + format_number(float(var)) +
                                " + 0.00001) * " + format_number(s.gamma[size_t(c)]) + " + " + format_number(s.beta[size_t(c)]) + " = " +
                                format_number(lab.out[at]);
    return {{"position", s.element}, {"value", v}, {"mean", mean}, {"variance", var}, {"eps", kEps}, {"gamma", s.gamma[size_t(c)]},
            {"beta", s.beta[size_t(c)]}, {"output", lab.out[at]}, {"statistic", k}, {"formula", formula}};
}

// ---------------------------------------------------------------------------------------------
// The exercises.

const char* norm_words(Norm norm) {
    switch (norm) {
        case Norm::batch: return "batch norm";
        case Norm::layer: return "layer norm";
        case Norm::instance: return "instance norm";
        default: return "group norm";
    }
}

void new_exercise(NormalizationLab& lab, uint64_t seed) {
    Rng rng(seed);
    lab.kind = Kind(rng.uniform_int(0, 2));
    json x;
    if (lab.kind == Kind::normalize) {
        // numbers that work out by hand: var + eps a perfect square
        const int std_dev = rng.uniform_int(1, 4), offset = rng.uniform_int(-3, 3) * std_dev, gamma = rng.uniform_int(1, 3);
        const float mean = float(rng.uniform_int(-4, 6)) * 0.5f, beta = float(rng.uniform_int(-2, 2)) * 0.5f, eps = 0.01f;
        x = {{"kind", "normalize"}, {"value", mean + float(offset)}, {"mean", mean}, {"variance", float(std_dev * std_dev) - eps},
             {"eps", eps}, {"gamma", gamma}, {"beta", beta}};
        x["question"] = "Normalize x = " + format_number(x["value"]) + " with mean " + format_number(mean) + ", variance " +
                        format_number(x["variance"]) + ", eps " + format_number(eps) + ", gamma " + std::to_string(gamma) + ", beta " +
                        format_number(beta) + ".";
    } else if (lab.kind == Kind::axes) {
        const Norm norm = Norm(rng.uniform_int(0, 2));
        x = {{"kind", "axes"}, {"norm", choice_name(kNorms, norm)}};
        x["question"] = "Over which axes of an (N, C, H, W) tensor does " + std::string(norm_words(norm)) +
                        " average to make one mean? Answer with letters, like [\"N\", \"C\"].";
    } else {
        static const int batches[] = {8, 16, 32, 64}, channels[] = {16, 32, 64, 128}, sides[] = {7, 14, 28, 56}, groups[] = {4, 8, 16};
        const Norm norm = Norm(rng.uniform_int(0, 3));
        const int N = batches[rng.uniform_int(0, 3)], C = channels[rng.uniform_int(0, 3)], S = sides[rng.uniform_int(0, 3)];
        const int G = groups[rng.uniform_int(0, 2)];
        x = {{"kind", "count"}, {"norm", choice_name(kNorms, norm)}, {"shape", {N, C, S, S}}};
        if (norm == Norm::group) x["groups"] = G;
        x["question"] = "How many means does " + std::string(norm_words(norm)) + (norm == Norm::group ? " with G = " + std::to_string(G) : "") +
                        " compute for a tensor of shape (" + std::to_string(N) + ", " + std::to_string(C) + ", " + std::to_string(S) +
                        ", " + std::to_string(S) + ")?";
    }
    lab.record.start(x, seed, lab.pending);
    lab.answer_text[0] = 0;
}

Norm norm_of(const json& x) {
    Norm n = Norm::batch;
    (void)read_choice(x, "norm", kNorms, n);
    return n;
}

// The right answer of the open exercise.
json expected_answer(const NormalizationLab& lab) {
    const json& x = lab.record.exercise;
    if (lab.kind == Kind::normalize) {
        const double v = x["value"], m = x["mean"], var = x["variance"], eps = x["eps"], g = x["gamma"], b = x["beta"];
        return (v - m) / std::sqrt(var + eps) * g + b;
    }
    if (lab.kind == Kind::axes) return axes_of(norm_of(x));
    return mean_count(norm_of(x), x["shape"][0], x["shape"][1], x.value("groups", 1));
}

std::vector<MistakeAnswer> exercise_mistakes(const NormalizationLab& lab) {
    const json& x = lab.record.exercise;
    std::vector<MistakeAnswer> list;
    if (lab.kind == Kind::normalize) {
        const double v = x["value"], m = x["mean"], var = x["variance"], eps = x["eps"], g = x["gamma"], b = x["beta"];
        const double sd = std::sqrt(var + eps);
        list.push_back({"variance-not-rooted", (v - m) / (var + eps) * g + b,
                        "You divided by the variance. Normalizing divides by the standard deviation, sqrt(variance + eps) = " +
                            format_number(float(sd)) + "."});
        list.push_back({"gamma-beta-left-out", (v - m) / sd,
                        "You stopped at the normalized value. Then comes the layer's own scale and shift: times gamma, plus beta."});
        list.push_back({"shift-before-scale", ((v - m) / sd + b) * g,
                        "You added beta before multiplying by gamma. The order is (x - mean) / std, times gamma, then plus beta."});
        list.push_back({"mean-not-subtracted", v / sd * g + b,
                        "You divided x itself. First subtract the mean: x - mean = " + format_number(float(v - m)) + "."});
        return list;
    }
    if (lab.kind == Kind::axes) {
        for (Norm other : {Norm::batch, Norm::layer, Norm::instance})
            if (other != norm_of(x))
                list.push_back({other == Norm::batch ? "axes-of-batch-norm" : other == Norm::layer ? "axes-of-layer-norm" : "axes-of-instance-norm",
                                axes_of(other),
                                std::string("Those are ") + norm_words(other) + "'s axes. " + norm_words(norm_of(x)) +
                                    (norm_of(x) == Norm::batch ? " makes one mean per channel, over the batch and the plane: N, H, W."
                                     : norm_of(x) == Norm::layer ? " makes one mean per sample, over its channels and plane: C, H, W."
                                                                 : " makes one mean per sample and channel, over the plane alone: H, W.")});
        return list;
    }
    const int N = x["shape"][0], C = x["shape"][1];
    const int G = x.value("groups", 1);
    list.push_back({"per-channel-count", C, "That is one mean per channel, batch norm's count: it averages over the whole batch."});
    list.push_back({"per-sample-count", N, "That is one mean per sample, layer norm's count."});
    list.push_back({"per-plane-count", N * C, "That is one mean per sample and channel, instance norm's count."});
    if (norm_of(x) == Norm::group)
        list.push_back({"groups-without-samples", G, "You counted the groups once. Group norm makes a mean for each group of each sample: N × G."});
    return list;
}

// The same answer in any order: axes are a set.
json canonical(json answer) {
    if (answer.is_array() && !answer.empty() && answer[0].is_string()) std::sort(answer.begin(), answer.end());
    return answer;
}

HintLadder exercise_hints(const NormalizationLab& lab) {
    const json& x = lab.record.exercise;
    if (lab.kind == Kind::normalize) {
        const double v = x["value"], m = x["mean"], var = x["variance"], eps = x["eps"];
        return {"y = (x - mean) / sqrt(variance + eps) × gamma + beta: center, divide by the standard deviation (eps keeps it from "
                "being 0), then the layer's own scale gamma and shift beta.",
                "x - mean = " + format_number(float(v)) + " - " + format_number(float(m)) + " = " + format_number(float(v - m)) +
                    ", and sqrt(" + format_number(float(var)) + " + " + format_number(float(eps)) + ") = " + format_number(float(std::sqrt(var + eps))) + ".",
                "(x - mean) / std = " + format_number(float((v - m) / std::sqrt(var + eps))) + ". One step is left: times gamma, plus beta."};
    }
    if (lab.kind == Kind::axes) {
        const Norm n = norm_of(x);
        return {"A norm averages over every axis it does not keep apart: batch norm keeps channels apart, layer norm samples, "
                "instance norm both.",
                std::string(norm_words(n)) + " makes one mean per " +
                    (n == Norm::batch ? "channel" : n == Norm::layer ? "sample" : "sample and channel") + ".",
                std::string("So it averages over every other axis: of N, C, H, W leave out ") +
                    (n == Norm::batch ? "C" : n == Norm::layer ? "N" : "N and C") + "."};
    }
    const Norm n = norm_of(x);
    const int N = x["shape"][0], C = x["shape"][1];
    return {"A norm computes one mean for each group of values it keeps apart: batch norm per channel (C), layer norm per sample (N), "
            "instance norm per sample and channel (N × C), group norm per sample and group (N × G).",
            std::string(norm_words(n)) + " keeps apart " +
                (n == Norm::batch ? "the channels" : n == Norm::layer ? "the samples" : n == Norm::instance ? "each sample's channels" : "each sample's groups") + ".",
            "Here N = " + std::to_string(N) + ", C = " + std::to_string(C) + (n == Norm::group ? ", G = " + std::to_string(x["groups"].get<int>()) : "") +
                ". Multiply what it keeps apart."};
}

std::string check_answer(NormalizationLab& lab, const json& given) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    const json expected = expected_answer(lab);
    json answer = given;
    if (lab.kind == Kind::normalize && !(given.is_number() && std::isfinite(given.get<double>())))
        return "\"answer\" must be a number: the normalized value";
    if (lab.kind == Kind::axes) {
        if (!given.is_array() || given.empty() || given.size() > 4) return "\"answer\" must be a list of axis letters, like [\"N\", \"H\", \"W\"]";
        for (const json& a : given)
            if (!a.is_string() || (a != "N" && a != "C" && a != "H" && a != "W"))
                return "\"answer\" must be a list of axis letters: \"N\", \"C\", \"H\" or \"W\"";
        answer = canonical(given);
    }
    if (lab.kind == Kind::count && !(given.is_number_integer() && given.get<int64_t>() >= 0))
        return "\"answer\" must be a whole number: how many means";
    const bool right = lab.kind == Kind::normalize ? close_enough(given.get<float>(), expected.get<float>()) : answer == canonical(expected);
    std::vector<MistakeAnswer> mistakes = exercise_mistakes(lab);
    for (MistakeAnswer& m : mistakes) m.answer = canonical(m.answer);
    std::string feedback = right ? "Right." : "Not quite.";
    if (lab.kind == Kind::normalize) feedback += " y = " + format_number(expected.get<float>()) + ".";
    json mistake = right ? json(nullptr) : name_mistake(answer, canonical(expected), mistakes, feedback);
    if (!right && mistake["id"] != "other") feedback = "Not quite. " + mistake["text"].get<std::string>();
    lab.record.checked(right, expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State and commands.

std::string read_channel_values(const json& f, const char* name, std::vector<float>& out) {
    if (!f.contains(name)) return "";
    const json& v = f[name];
    const std::string msg = std::string("\"") + name + "\" must be 4 numbers, one per channel, each within ±100";
    if (!v.is_array() || v.size() != size_t(kC)) return msg;
    std::vector<float> values;
    for (const json& x : v) {
        if (!x.is_number() || !std::isfinite(x.get<double>()) || std::fabs(x.get<double>()) > 100) return msg;
        values.push_back(x.get<float>());
    }
    out = values;
    return "";
}

const Field<Settings> kSettingFields[] = {
    choice_field("weights", &Settings::weights, kWeights),
    choice_field("norm", &Settings::norm, kNorms),
    {"groups",
     [](const json& f, Settings& s) {
         int g = s.groups;
         if (std::string e = read_int(f, "groups", 1, 4, g); !e.empty()) return e;
         if (kC % g != 0) return std::string("\"groups\" must divide the 4 channels: 1, 2 or 4");
         s.groups = g;
         return std::string();
     },
     [](const Settings& s) { return json(s.groups); }},
    whole_field("batch", &Settings::batch, 1, kMaxBatch),
    whole_field("first", &Settings::first, 0, 9000),
    {"gamma", [](const json& f, Settings& s) { return read_channel_values(f, "gamma", s.gamma); }, [](const Settings& s) { return json(s.gamma); }},
    {"beta", [](const json& f, Settings& s) { return read_channel_values(f, "beta", s.beta); }, [](const Settings& s) { return json(s.beta); }},
    {"element",
     [](const json& f, Settings& s) {
         if (!f.contains("element")) return std::string();
         const json& v = f["element"];
         const std::string msg = "\"element\" must be [n, c, y, x]: a sample of the batch, a channel 0..3, a row and a column 0..27";
         if (!v.is_array() || v.size() != 4) return msg;
         std::vector<int> e;
         for (const json& x : v) {
             if (!x.is_number_integer()) return msg;
             e.push_back(x.get<int>());
         }
         if (e[0] < 0 || e[0] >= kMaxBatch || e[1] < 0 || e[1] >= kC || e[2] < 0 || e[2] >= kSide || e[3] < 0 || e[3] >= kSide) return msg;
         s.element = e;
         return std::string();
     },
     [](const Settings& s) { return json(s.element); }},
    whole_field("batches_seen", &Settings::batches_seen, 0, 50),
    whole_field("race_steps", &Settings::race_steps, 100, 2000),
};

json statistics_json(const NormalizationLab& lab) {
    json means = json::array(), variances = json::array();
    for (size_t i = 0; i < lab.mean.size() && i < 64; i++) {
        means.push_back(lab.mean[i]);
        variances.push_back(1.0 / (double(lab.rstd[i]) * lab.rstd[i]) - kEps);
    }
    return {{"axes", axes_of(lab.settings.norm)}, {"count", lab.mean.size()}, {"means", means}, {"variances", variances}};
}

json race_json();

const Output<NormalizationLab> kOutputs[] = {
    {"shape", [](const NormalizationLab& lab) { return json{lab.settings.batch, kC, kSide, kSide}; }},
    {"source", [](const NormalizationLab&) {
         return json(pictures().data && pictures().data->error.empty() ? "Fashion-MNIST test pictures" : "built-in pictures");
     }},
    {"note",
     [](const NormalizationLab& lab) {
         std::string note = pictures().note;
         first_layer_model(lab.settings.weights, &note);
         return text_or_null(note);
     }},
    {"loading", [](const NormalizationLab&) { return json(dataset_loading("fashion") >= 0); }},
    {"statistics", statistics_json},
    {"normalized", element_json},
    {"running", [](const NormalizationLab& lab) { return lab.running; }},
    {"batch_of_one", [](const NormalizationLab& lab) { return lab.batch_of_one; }},
    {"spread", [](const NormalizationLab&) { return spread(); }},
    {"rate_race", [](const NormalizationLab&) { return race_json(); }},
};

// ---- The learning-rate race: the seed net without and with batch norm, plain SGD at rates around
// where the net without it stops learning.
constexpr float kRates[] = {0.1f, 0.2f, 0.4f, 0.8f};
SideBySide g_race;
std::string g_race_note;  // why it cannot run, "" when all is well
bool g_race_wanted = false;

void start_race(int steps) {
    const Pictures& p = pictures();
    if (!p.data || !p.data->error.empty()) {
        g_race_wanted = true;
        g_race_note = "waiting for Fashion-MNIST";
        return;
    }
    g_race_wanted = false;
    std::vector<ContenderSpec> specs;
    for (const char* net : {"seed", "seed-bn"})
        for (float lr : kRates) {
            TrainRecipe recipe = {.optimizer = {.kind = OptimizerKind::sgd, .lr = lr, .momentum = 0.0f}, .batch = 32, .epochs = 1, .seed = 7};
            specs.push_back({std::string(net == std::string("seed") ? "plain-" : "batchnorm-") + format_number(lr), preset_model_json(net), recipe, {}, {}});
        }
    g_race_note = side_by_side_start(g_race, specs, steps, 7);
}

json race_json() {
    json j = side_by_side_json(g_race);
    if (g_race_wanted) j["state"] = "loading";
    else if (!g_race_note.empty()) j["state"] = "unavailable";
    j["note"] = text_or_null(g_race_note);
    json largest = {{"plain", nullptr}, {"batchnorm", nullptr}};
    for (const json& c : j["contenders"]) {
        const std::string which = c["name"].get<std::string>().rfind("plain", 0) == 0 ? "plain" : "batchnorm";
        if (c["test_accuracy"].is_number() && c["test_accuracy"].get<double>() > 0.5 &&
            (largest[which].is_null() || c["lr"].get<double>() > largest[which].get<double>()))
            largest[which] = c["lr"];
    }
    j["largest_rate"] = largest;
    return j;
}

bool normalization_work(double budget_ms) {
    const Pictures& p = pictures();
    FirstLayer& f = first_layer();
    if (p.data && f.training.running) {  // the seed net's 300 steps first: the picture waits for them
        if (!side_by_side_work(f.training, p.data->train, p.data->test, budget_ms)) post_event("trained");
        return true;
    }
    if (!p.data || !g_race.running) return false;
    const bool more = side_by_side_work(g_race, p.data->train, p.data->test, budget_ms);
    if (!more) post_event("trained");
    return more;
}

void start_race_if_asked(NormalizationLab& lab) {
    if (lab.settings.weights == Weights::trained) start_seed_training();
    if (!lab.race_requested) return;
    lab.race_requested = false;
    start_race(lab.settings.race_steps);
}

NormalizationLab make_lab() { return NormalizationLab{}; }
NormalizationLab g_lab = make_lab();

void ask_for_pictures() {
    Pictures& p = pictures();
    if (p.asked) return;
    p.asked = true;
    p.note = "Fashion-MNIST is on its way: built-in pictures stand in.";
    request_dataset("normalization", "fashion");
}

void normalization_dataset(const LoadedDataset& data) {
    Pictures& p = pictures();
    if (data.name != "fashion") return;
    if (!data.error.empty()) {
        p.note = "Fashion-MNIST could not be loaded (" + data.error + "): built-in pictures stand in.";
        return;
    }
    p.data = &data;
    p.note.clear();
    p.version++;
    if (g_race_wanted) start_race(g_lab.settings.race_steps);
    if (first_layer().wanted) start_seed_training();
}

json normalization_state() {
    ask_for_pictures();
    recompute(g_lab);
    json s;
    write_fields(s, kSettingFields, g_lab.settings);
    write_outputs(s, kOutputs, g_lab);
    g_lab.record.write(s);
    return s;
}

std::string apply_command(NormalizationLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, {"reset", "race", "new_exercise", "seed", "hint", "answer"}, kOutputs); !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) {
        const ExerciseRecord kept = lab.record;
        lab = make_lab();
        lab.record.answered = kept.answered;  // the score is the student's, kept across resets
        lab.record.correct = kept.correct;
        lab.record.mistakes = kept.mistakes;
    }
    Settings s = lab.settings;
    if (!(e = read_fields(f, kSettingFields, s)).empty()) return e;
    if (s.element[0] >= s.batch) {
        if (f.contains("element")) return "\"element\" sample " + std::to_string(s.element[0]) + " is not in a batch of " + std::to_string(s.batch);
        s.element[0] = s.batch - 1;  // a smaller batch: the last sample
    }
    lab.settings = s;
    bool race = false;
    if (!(e = read_bool(f, "race", race)).empty()) return e;
    if (race) lab.race_requested = true;
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, exercise_hints)).empty()) return e;
    if (f.contains("answer") && !(e = check_answer(lab, f["answer"])).empty()) return e;
    return "";
}

std::string normalization_command(const json& fields) {
    ask_for_pictures();
    return command_on_copy("normalization", g_lab, fields, apply_command, start_race_if_asked);
}

// ---------------------------------------------------------------------------------------------
// Drawing.

void ui_command(const json& fields) {
    std::string e = normalization_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

const ImU32 kHighlight = IM_COL32(255, 200, 40, 255);

// The batch as a table of planes: a row per sample (the first kShownSamples), a column per channel;
// the planes the element's statistic averages over are outlined.
void draw_cube(NormalizationLab& lab) {
    const Settings& s = lab.settings;
    const int N = s.batch, shown = std::min(N, kShownSamples);
    const float side = std::min(ImGui::GetFontSize() * 3.6f, (ImGui::GetContentRegionAvail().x * 0.45f - 60) / kC);
    const int k = stat_index(s.norm, s.element[0], s.element[1], s.groups);
    float lo = 0, hi = 0;
    for (float v : lab.acts) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    ImGui::BeginGroup();
    ImGui::Text("The batch (%d, %d, %d, %d): samples down, channels across", N, kC, kSide, kSide);
    for (int n = 0; n < shown; n++) {
        for (int c = 0; c < kC; c++) {
            if (c) ImGui::SameLine(0, 4);
            ImGui::PushID(n * kC + c);
            const bool in_stat = stat_index(s.norm, n, c, s.groups) == k;
            const float* plane = &lab.acts[(size_t(n) * kC + size_t(c)) * kHW];
            ImGui::BeginGroup();
            GridResult g = draw_grid("plane", kSide, kSide, side / kSide, [&](int r, int col) {
                GridCell cell;
                cell.fill = grey_color(plane[r * kSide + col], lo, hi);
                if (n == s.element[0] && c == s.element[1] && r == s.element[2] && col == s.element[3]) cell.border = IM_COL32(255, 80, 80, 255);
                return cell;
            }, false);
            if (in_stat)
                ImGui::GetWindowDrawList()->AddRect(ImVec2(g.origin.x - 2, g.origin.y - 2), ImVec2(g.origin.x + side + 2, g.origin.y + side + 2),
                                                    kHighlight, 0, 0, 2.0f);
            if (g.clicked) ui_command({{"element", {n, c, g.hover_row, g.hover_col}}});
            ImGui::EndGroup();
            ImGui::PopID();
        }
    }
    if (N > shown) ImGui::TextDisabled("... and %d more samples", N - shown);
    ui_anchor("cube");
    ImGui::EndGroup();
}

void draw_numbers(NormalizationLab& lab) {
    const Settings& s = lab.settings;
    const json el = element_json(lab), st = statistics_json(lab);
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(0);
    ImGui::Text("%s: one mean per %s, over %s (%d means)", norm_words(s.norm),
                s.norm == Norm::batch ? "channel" : s.norm == Norm::layer ? "sample" : s.norm == Norm::instance ? "sample and channel" : "sample and group",
                s.norm == Norm::batch ? "N, H, W" : s.norm == Norm::layer ? "C, H, W" : s.norm == Norm::instance ? "H, W" : "C/G, H, W",
                st["count"].get<int>());
    std::string means;
    for (size_t i = 0; i < st["means"].size() && i < 8; i++) means += (i ? ", " : "") + format_number(st["means"][i].get<float>());
    ImGui::TextDisabled("means: %s%s", means.c_str(), st["count"].get<int>() > 8 ? ", ..." : "");
    ImGui::Spacing();
    ImGui::Text("Element [%d, %d, %d, %d] (click a pixel to choose another):", s.element[0], s.element[1], s.element[2], s.element[3]);
    ImGui::Text("mean %s, variance %s (the outlined planes)", format_number(el["mean"].get<float>()).c_str(),
                format_number(el["variance"].get<float>()).c_str());
    ImGui::TextColored(ImVec4(1.0f, 0.85f, 0.4f, 1), "y = %s", el["formula"].get<std::string>().c_str());
    ImGui::Spacing();
    ImGui::TextDisabled("GAMMA AND BETA, PER CHANNEL");
    std::vector<std::vector<float>> gb = {s.gamma, s.beta};
    if (edit_weights("gamma-beta", gb, 0.02f, 100.0f)) ui_command({{"gamma", gb[0]}, {"beta", gb[1]}});
    ImGui::SameLine();
    ImGui::TextDisabled("gamma (top), beta");
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
}

void draw_settings(NormalizationLab& lab) {
    Settings s = lab.settings;
    ImGui::TextDisabled("THE NORM");
    for (const Choice<Norm>& n : kNorms) {
        if (ImGui::RadioButton(norm_words(n.value), s.norm == n.value)) ui_command({{"norm", n.name}});
        ui_anchor(std::string("norm-") + n.name);
    }
    if (s.norm == Norm::group) {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        int g = s.groups == 1 ? 0 : s.groups == 2 ? 1 : 2;
        if (ImGui::SliderInt("groups", &g, 0, 2, g == 0 ? "1" : g == 1 ? "2" : "4")) ui_command({{"groups", g == 0 ? 1 : g == 1 ? 2 : 4}});
    }
    ImGui::Spacing();
    ImGui::TextDisabled("THE BATCH");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("samples N", &s.batch, 1, kMaxBatch, "%d", ImGuiSliderFlags_Logarithmic)) ui_command({{"batch", s.batch}});
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("first picture", &s.first, 0, 9000)) ui_command({{"first", s.first}});
    ImGui::TextWrapped("%s through the seed net's first convolution (4 filters of 3x3):",
                       pictures().data && pictures().data->error.empty() ? "Fashion-MNIST test pictures" : "Built-in pictures");
    for (const Choice<Weights>& w : kWeights) {
        const char* label = w.value == Weights::initialized ? "as initialized" : w.value == Weights::trained ? "trained 300 steps here" : "yours";
        if (ImGui::RadioButton(label, s.weights == w.value)) ui_command({{"weights", w.name}});
        ui_anchor(std::string("weights-") + w.name);
    }
    std::string note = pictures().note;
    first_layer_model(s.weights, &note);
    if (!note.empty()) ImGui::TextWrapped("%s", note.c_str());
    if (!lab.ui_note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.ui_note.c_str());
}

void draw_training_modes(NormalizationLab& lab) {
    const Settings& s = lab.settings;
    ImGui::Separator();
    ImGui::TextDisabled("TRAINING MODE AND EVAL MODE (batch norm)");
    ImGui::PushTextWrapPos(0);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    int seen = s.batches_seen;
    if (ImGui::SliderInt("batches seen", &seen, 0, 50)) ui_command({{"batches_seen", seen}});
    const json& r = lab.running;
    ImGui::Text("Channel %d: this batch's mean %s, variance %s. Running mean %s, running variance %s after %d batches "
                "(each step: running = 0.9 running + 0.1 batch).",
                s.element[1], format_number(r["batch_mean"].get<float>()).c_str(), format_number(r["batch_var"].get<float>()).c_str(),
                format_number(r["mean"].get<float>()).c_str(), format_number(r["var"].get<float>()).c_str(), s.batches_seen);
    ImGui::TextWrapped("Eval mode normalizes with the running statistics, so a picture's output does not depend on the others in its batch.");
    const json& one = lab.batch_of_one;
    ImGui::TextColored(ImVec4(1.0f, 0.7f, 0.45f, 1),
                       "A batch of one in training mode: each channel is normalized over one picture alone, its means become exactly 0 "
                       "and the output differs from eval mode's by %.2f rms (outputs %.2f and %.2f rms).",
                       one["difference_rms"].get<double>(), one["train_mode_rms"].get<double>(), one["eval_mode_rms"].get<double>());
    ImGui::Spacing();
    ImGui::TextDisabled("SMALL BATCHES");
    std::vector<float> bn, ln;
    for (const json& p : spread()) {
        bn.push_back(p["batch_norm"].get<float>());
        ln.push_back(p["layer_norm"].get<float>());
    }
    const float top = bn.empty() ? 1.0f : *std::max_element(bn.begin(), bn.end()) * 1.1f + 1e-6f;
    const ImVec2 size(ImGui::GetFontSize() * 14, ImGui::GetFontSize() * 4);
    ImGui::PlotLines("##bn", bn.data(), int(bn.size()), 0, "batch norm", 0.0f, top, size);
    ImGui::SameLine();
    ImGui::PlotLines("##ln", ln.data(), int(ln.size()), 0, "layer norm", 0.0f, top, size);
    ImGui::TextWrapped("How much a batch's channel-0 mean moves from batch to batch (its standard deviation over %d batches), for "
                       "batches of 1, 2, 4 ... 256: %s at 1, %s at 256. Layer norm's mean belongs to one picture and does not move "
                       "with the batch it is in: %s.",
                       kSpreadBatches, format_number(bn.empty() ? 0 : bn.front()).c_str(), format_number(bn.empty() ? 0 : bn.back()).c_str(),
                       format_number(ln.empty() ? 0 : ln.front()).c_str());
    ImGui::PopTextWrapPos();
}

void draw_race(NormalizationLab& lab) {
    ImGui::Separator();
    ImGui::TextDisabled("DOES BATCH NORM ALLOW HIGHER LEARNING RATES?");
    ImGui::PushTextWrapPos(0);
    ImGui::TextWrapped("The seed net without and with batch norm after each convolution, trained with plain SGD at four "
                       "learning rates on the same pictures: eight networks side by side.");
    const json r = race_json();
    const std::string state = r["state"];
    if (state == "training") {
        ImGui::Text("Training: step %d of %d, %.1f s", r["steps_done"].get<int>(), r["steps"].get<int>(), r["seconds"].get<double>());
    } else if (state == "loading") {
        ImGui::TextUnformatted("Waiting for Fashion-MNIST...");
    } else {
        if (ImGui::Button(state == "done" ? "Race again" : "Race")) ui_command({{"race", true}});
        ui_anchor("race");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        int steps = lab.settings.race_steps;
        if (ImGui::SliderInt("steps each", &steps, 100, 2000)) ui_command({{"race_steps", steps}});
    }
    if (!r["note"].is_null() && state == "unavailable") ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", r["note"].get<std::string>().c_str());
    const float w = std::min(ImGui::GetFontSize() * 9, (ImGui::GetContentRegionAvail().x - 40) / 4);
    for (int row = 0; row < 2 && r["contenders"].size() == 8; row++) {
        ImGui::TextUnformatted(row == 0 ? "without batch norm" : "with batch norm");
        for (int i = 0; i < 4; i++) {
            const json& c = r["contenders"][size_t(row * 4 + i)];
            if (i) ImGui::SameLine();
            ImGui::BeginGroup();
            const std::vector<float> curve = c["curve"];
            ImGui::PlotLines(("##" + c["name"].get<std::string>()).c_str(), curve.data(), int(curve.size()), 0,
                             ("lr " + format_number(c["lr"].get<float>())).c_str(), 0.0f, 2.5f, ImVec2(w, ImGui::GetFontSize() * 3.5f));
            if (c["diverged"].get<bool>()) ImGui::TextColored(ImVec4(1.0f, 0.5f, 0.4f, 1), "diverged");
            else if (c["test_accuracy"].is_number()) ImGui::Text("test %.1f%%", 100.0 * c["test_accuracy"].get<double>());
            ImGui::EndGroup();
        }
    }
    if (state == "done") {
        const json& l = r["largest_rate"];
        auto rate = [](const json& v) { return v.is_null() ? std::string("none") : format_number(v.get<float>()); };
        ImGui::Text("The largest rate that still learns (above 50%%): %s without batch norm, %s with it.", rate(l["plain"]).c_str(),
                    rate(l["batchnorm"]).c_str());
    }
    ImGui::PopTextWrapPos();
}

void draw_exercise(NormalizationLab& lab) {
    ImGui::Separator();
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) ui_command({{"new_exercise", true}});
    if (!lab.record.open()) return;
    ImGui::TextWrapped("%s", lab.record.exercise["question"].get<std::string>().c_str());
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    const bool enter = ImGui::InputText("##answer", lab.answer_text, sizeof lab.answer_text, ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer");
    ImGui::SameLine();
    const bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (check || enter) {
        const std::string text = lab.answer_text;
        if (lab.kind == Kind::axes) {  // "N, H, W"
            json axes = json::array();
            std::string letter;
            for (char ch : text + ",") {
                if (ch == ',' || ch == ' ') {
                    if (!letter.empty()) axes.push_back(letter);
                    letter.clear();
                } else if (ch != '"' && ch != '[' && ch != ']') {
                    letter += char(std::toupper(static_cast<unsigned char>(ch)));
                }
            }
            ui_command({{"answer", axes}});
        } else {
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || !std::isfinite(v)) lab.ui_note = "Type a number first.";
            else ui_command({{"answer", lab.kind == Kind::count ? json(int64_t(std::llround(v))) : json(v)}});
        }
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) ui_command({{"hint", true}});
}

void normalization_draw() {
    NormalizationLab& lab = g_lab;
    ask_for_pictures();
    recompute(lab);
    lab_intro("Normalization",
              "A norm rescales activations to mean 0 and variance 1, then lets the layer choose its own scale (gamma) and shift "
              "(beta). The norms differ only in which values share a mean: the same channel across the batch, the same sample, "
              "or one plane. Click a pixel to see its statistic's planes outlined and its normalization written out.");
    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 13, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    recompute(lab);
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    draw_cube(lab);
    ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
    draw_numbers(lab);
    draw_training_modes(lab);
    draw_exercise(lab);
    draw_race(lab);
    ImGui::EndChild();
    commit("normalization", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "normalization", .name = "Normalization",
                    .summary = "Batch, layer, instance and group norm on real activations; train vs eval; small batches.",
                    .draw = normalization_draw, .state = normalization_state, .command = normalization_command,
                    .on_dataset = normalization_dataset, .work = normalization_work, .teaches = {"normalization", "Normalization"});
