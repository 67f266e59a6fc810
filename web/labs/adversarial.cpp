// adversarial.cpp — Lab "Adversarial examples" (lesson note 003): a picture changed by a few levels
// of grey in every pixel, each in the direction that raises the network's loss, and the network
// that was right is now sure of something else.
//
// On the student's network (or the ready one, web/ready_network.h): a test picture, the attack's
// change (amplified so it can be seen), the attacked picture and the class probabilities before and
// after. FGSM takes one step of eps along the sign of the loss's input gradient; PGD takes several
// small ones, each projected back into the eps-box around the picture and into [0, 1]; targeted
// attacks pull one class's loss down instead. Then, on 1,000 test pictures, the accuracy against
// eps: for FGSM and PGD made on this network; for FGSM made on a second network and tried on this
// one (the black-box transfer attack); and for two defences: one epoch of adversarial training
// (half of each batch attacked with FGSM, eps 0.1), and a blur before the network, against an
// attacker who does not know of it (PGD made on the network alone) and one who does (PGD through
// the blur).
// Exercise: the FGSM step by hand on four pixels.
//
// The numbers come from the engine: input_gradient, fgsm, pgd, count_correct (engine/adversarial.h),
// the one training loop (engine/train_run.h). This file decides what to show.
//
// API (window.cnnlab.command / state), besides {"lab": "adversarial"}:
//   "network"      "yours" (the training lab's, when there is one) or "ready"
//   "dataset"      the ready network's: "fashion" or "mnist"
//   "picture"      which test picture, 0..999
//   "attack"       "fgsm" or "pgd";  "epsilon" 0..0.5;  "steps" 1..100 and "step_size" 0.001..0.5 (PGD)
//   "target"       -1 (untargeted: away from the true class) or a class 0..9 (towards it)
//   "curve": true  measures the accuracy against eps on "curve_pictures" (100..1000) test pictures
//   "new_exercise", "seed", "hint", "answer" ([four numbers]: the attacked pixels), "reset"
// State adds: "using" {"source": "yours" | "ready" | null, "about", "dataset"} (null source: none yet,
// "about" says why), "result" {"label", "before" {"class", "name", "probability", "probabilities"},
// "after" {...}, "fooled", "largest_change", "pixels_changed"} (null until there is a network),
// "robustness" {"state": "idle" | "waiting" | "measuring" | "done", "note", "pictures", "epsilons",
// "lines" [{"name", "accuracy" [one per eps]}], "seconds"}; the exercise record (lab_kit.h: exercise
// {pixels, gradient, epsilon, seed}, score, last_answer, mistakes, hints).
// Events: "exercise-new", "answer", "hint", "progress", "network-ready", "curve-done".
#include <algorithm>
#include <chrono>
#include <cmath>

#include <imgui.h>

#include "../../engine/adversarial.h"
#include "../../engine/explain.h"
#include "../../engine/random.h"
#include "../../engine/train_run.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../ready_network.h"
#include "../widgets.h"

namespace {

constexpr int kPictures = 1000;  // the test pictures a student can pick from, and the curve's largest count

// ---------------------------------------------------------------------------------------------
// The state: one plain struct of settings, and the lab around it.

enum class Attack { fgsm, pgd };
constexpr Choice<Attack> kAttacks[] = {{Attack::fgsm, "fgsm"}, {Attack::pgd, "pgd"}};

struct Settings {
    NetworkChoice network = NetworkChoice::yours;
    DatasetChoice dataset = DatasetChoice::fashion;
    int picture = 0;            // test picture 0..kPictures-1
    Attack attack = Attack::fgsm;
    float epsilon = 0.1f;       // the largest change of a pixel (pixels are 0..1)
    int steps = 10;             // PGD's steps
    float step_size = 0.025f;   // PGD's step
    int target = -1;            // -1: untargeted; else the class the attack pulls towards
    int curve_pictures = kPictures;
    bool operator==(const Settings&) const = default;
};

const std::vector<Field<Settings>> kSettingFields = {
    choice_field("network", &Settings::network, kNetworkChoices),
    choice_field("dataset", &Settings::dataset, kDatasetChoices),
    whole_field("picture", &Settings::picture, 0, kPictures - 1),
    choice_field("attack", &Settings::attack, kAttacks),
    number_field("epsilon", &Settings::epsilon, 0.0f, 0.5f),
    whole_field("steps", &Settings::steps, 1, 100),
    number_field("step_size", &Settings::step_size, 0.001f, 0.5f),
    whole_field("target", &Settings::target, -1, 9),
    whole_field("curve_pictures", &Settings::curve_pictures, 100, kPictures),
};

NetworkModel g_network;  // the network in use as a model (ready_network.h)

// The lines of the accuracy-against-eps chart, in the order they are measured.
enum class Line { fgsm, pgd, transfer, adversarially_trained, blur_unaware, blur_aware };
constexpr Choice<Line> kLines[] = {{Line::fgsm, "fgsm"}, {Line::pgd, "pgd"}, {Line::transfer, "fgsm-from-another-network"},
                                   {Line::adversarially_trained, "pgd-after-adversarial-training"},
                                   {Line::blur_unaware, "pgd-blur-unaware"}, {Line::blur_aware, "pgd-through-blur"}};
const std::vector<float> kCurveEpsilons = {0.0f, 0.05f, 0.1f, 0.15f, 0.2f, 0.3f};
constexpr int kCurveSteps = 10;   // PGD in the curve: 10 steps of eps/4
constexpr int kCurveChunk = 50;   // pictures attacked per slice of work

struct Curve {
    bool wanted = false, done = false;
    int pictures = kPictures;
    const YourNetwork* network = nullptr;  // what it measures (the network in use when asked)
    int network_version = -1;
    std::vector<std::vector<float>> accuracy;  // [line][eps]: measured so far
    size_t line = 0, eps = 0;                  // the point being measured
    int cursor = 0, right = 0;                 // pictures of it done, and classified right
    Model target, other, defended, blurred;    // copies: this network; the second one; adversarially trained; blur + this network
    bool other_ready = false, defended_ready = false;
    TrainRun defence_run;
    int64_t defence_steps = 0;
    double seconds = 0;
    std::string note;
};
Curve g_curve;

struct AdversarialLab {
    Settings settings;
    // Derived by recompute().
    Settings computed_for;
    const YourNetwork* computed_network = nullptr;
    int computed_version = -1;
    bool computed = false;
    std::string using_note;          // which network, or why there is none
    std::string source;              // "yours", "ready", or "" when none yet
    std::string dataset;             // the pictures the network knows
    std::vector<float> picture;      // (28*28) the test picture, 0..1
    std::vector<float> attacked;     // (28*28)
    int label = -1;
    std::vector<float> before, after;  // (10) probabilities
    std::string message;             // why there is no result, "" when there is
    // The exercise: one FGSM step on four pixels.
    ExerciseRecord record;
    std::vector<float> ex_pixels, ex_gradient;  // (4) each
    float ex_epsilon = 0.1f;
    Pending pending;
    bool curve_requested = false;
    // UI only
    char answer_text[96] = "";
    std::string ui_note;
};

AdversarialLab g_lab;

// ---------------------------------------------------------------------------------------------
// Computing: the network, the picture, the attack.

void recompute(AdversarialLab& lab) {
    std::string note;
    const YourNetwork* net = network_in_use(lab.settings.network == NetworkChoice::yours, dataset_name(lab.settings.dataset), note);
    const int version = net ? net->version : -1;
    if (lab.computed && lab.settings == lab.computed_for && net == lab.computed_network && version == lab.computed_version &&
        lab.using_note == note)
        return;
    lab.computed = true;
    lab.computed_for = lab.settings;
    lab.computed_network = net;
    lab.computed_version = version;
    lab.using_note = note;
    lab.source = !net ? "" : net == your_network() ? "yours" : "ready";
    lab.dataset = net ? net->dataset : dataset_name(lab.settings.dataset);
    lab.message.clear();
    lab.before.clear();
    if (!net) {
        lab.message = note;
        return;
    }
    Model* model = network_model(g_network, *net);
    std::string data_note;
    const LoadedDataset* data = dataset_for(net->dataset, data_note);
    if (!model || !data) {
        lab.message = model ? data_note : g_network.error;
        return;
    }
    const int index = std::min(lab.settings.picture, data->test.count - 1);
    lab.picture.resize(784);
    picture_values(lab.picture.data(), data->test, index);
    lab.label = data->test.labels[size_t(index)];
    const int32_t wanted = lab.settings.target >= 0 ? lab.settings.target : lab.label;
    const bool targeted = lab.settings.target >= 0;
    lab.attacked.resize(784);
    Status s = lab.settings.attack == Attack::fgsm
                   ? fgsm(lab.attacked.data(), *model, lab.picture.data(), &wanted, 1, lab.settings.epsilon, targeted)
                   : pgd(lab.attacked.data(), *model, lab.picture.data(), &wanted, 1, lab.settings.epsilon, lab.settings.step_size,
                         lab.settings.steps, targeted);
    if (!s.ok()) {
        lab.message = "No attack: " + s.message;
        return;
    }
    lab.before = class_probabilities(*model, lab.picture.data());
    lab.after = class_probabilities(*model, lab.attacked.data());
}

json prediction_json(const AdversarialLab& lab, const std::vector<float>& p) {
    const int k = predicted_class(p.data(), int(p.size()));
    return {{"class", k}, {"name", class_name(lab.dataset, k)}, {"probability", p[size_t(k)]}, {"probabilities", p}};
}

json result_json(const AdversarialLab& lab) {
    if (lab.before.empty()) return nullptr;
    float largest = 0;
    int changed = 0;
    for (size_t i = 0; i < lab.picture.size(); i++) {
        const float d = std::fabs(lab.attacked[i] - lab.picture[i]);
        largest = std::max(largest, d);
        changed += d > 1e-6f;
    }
    const int before = predicted_class(lab.before.data(), 10), after = predicted_class(lab.after.data(), 10);
    const bool fooled = lab.settings.target >= 0 ? after == lab.settings.target && before != lab.settings.target
                                                 : before == lab.label && after != lab.label;
    return {{"label", lab.label}, {"label_name", class_name(lab.dataset, lab.label)}, {"before", prediction_json(lab, lab.before)},
            {"after", prediction_json(lab, lab.after)}, {"fooled", fooled}, {"largest_change", largest}, {"pixels_changed", changed}};
}

// ---------------------------------------------------------------------------------------------
// The curve: accuracy against eps on many test pictures, measured a slice at a time.

// The network with a 3x3 blur in front of it: a convolution (1 -> 1 channel, padding 1, no bias)
// whose weights are [1 2 1]' [1 2 1] / 16, put before the first layer.
Status blurred_model(Model& out, const YourNetwork& net, const Model& plain) {
    json description = json::parse(net.description, nullptr, false);
    if (!description.is_object() || !description["layers"].is_array()) return error_status("its description is not a model");
    description["layers"].insert(description["layers"].begin(),
                                 json{{"type", "conv"}, {"name", "blur"}, {"out", 1}, {"kernel", 3}, {"padding", 1}, {"bias", false}});
    if (Status s = model_from_json(out, description.dump(), 1); !s.ok()) return s;
    const float blur[9] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
    for (int i = 0; i < 9; i++) out.params[size_t(i)] = blur[i] / 16.0f;
    std::copy(plain.params.begin(), plain.params.end(), out.params.begin() + 9);  // the same layout after the blur's 9 weights
    out.buffers = plain.buffers;
    return ok_status();
}

void start_curve(int pictures) {
    Curve& c = g_curve;
    c = Curve{};
    c.wanted = true;
    c.pictures = pictures;
    c.accuracy.assign(std::size(kLines), {});
}

// Sets up what the curve needs: this network's copies, the second network, the adversarially
// trained copy (one epoch, a slice at a time). True when all is there.
bool curve_ready(Curve& c, const Dataset& train, double budget_ms) {
    if (!c.network) {
        std::string note;
        c.network = network_in_use(g_lab.settings.network == NetworkChoice::yours, dataset_name(g_lab.settings.dataset), note);
        c.note = note;
        if (!c.network) return false;
        c.network_version = c.network->version;
        Status s = build_network(c.target, *c.network);
        if (s.ok()) s = blurred_model(c.blurred, *c.network, c.target);
        if (!s.ok()) {
            c.note = "The curve cannot be measured: " + s.message;
            c.wanted = false;
            return false;
        }
        c.defended = c.target;
        c.note.clear();
    }
    if (!c.other_ready) {
        std::string note;
        const YourNetwork* other = ready_network(c.network->dataset, 1, note);
        c.note = note;
        if (!other) return false;
        if (Status s = build_network(c.other, *other); !s.ok()) {
            c.note = "The curve cannot be measured: the second network " + s.message;
            c.wanted = false;
            return false;
        }
        c.other_ready = true;
    }
    if (!c.defended_ready) {
        if (c.defence_steps == 0) {
            const TrainRecipe recipe = {.optimizer = {.kind = OptimizerKind::adam, .lr = 0.001f}, .batch = 32, .epochs = 1, .seed = 31};
            train_run_start(c.defence_run, recipe, int64_t(c.defended.params.size()));
            if (Status s = ensure_batch(c.defended, 32); !s.ok()) {
                c.note = "The curve cannot be measured: " + s.message;
                c.wanted = false;
                return false;
            }
            c.defence_steps = (train.count + 31) / 32;
            // Half of each batch attacked with FGSM (eps 0.1) on the network as it is at that step.
            c.defence_run.perturb = [](float* images, const int32_t* labels, int n) {
                const int half = n / 2;
                std::vector<float> attacked(size_t(half) * 784);
                if (half > 0 && fgsm(attacked.data(), g_curve.defended, images, labels, half, 0.1f, false).ok())
                    std::copy(attacked.begin(), attacked.end(), images);
            };
        }
        const auto start = std::chrono::steady_clock::now();
        while (c.defence_run.step < c.defence_steps &&
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() < budget_ms)
            (void)train_run_step(c.defence_run, c.defended, train);
        c.note = "Adversarial training (the defence): step " + std::to_string(c.defence_run.step) + " of " + std::to_string(c.defence_steps);
        if (c.defence_run.step < c.defence_steps) return false;
        c.defended_ready = true;
        c.note.clear();
    }
    return true;
}

// Attacks pictures [first, first + n) for one point of one line; returns how many stay right.
int measure(Curve& c, Line line, float eps, const float* x, const int32_t* y, int n) {
    std::vector<float> adv(size_t(n) * 784);
    const float step = eps / 4;
    switch (line) {
        case Line::fgsm: (void)fgsm(adv.data(), c.target, x, y, n, eps, false); return count_correct(c.target, adv.data(), y, n);
        case Line::pgd: (void)pgd(adv.data(), c.target, x, y, n, eps, step, kCurveSteps, false); return count_correct(c.target, adv.data(), y, n);
        case Line::transfer: (void)fgsm(adv.data(), c.other, x, y, n, eps, false); return count_correct(c.target, adv.data(), y, n);
        case Line::adversarially_trained:
            (void)pgd(adv.data(), c.defended, x, y, n, eps, step, kCurveSteps, false);
            return count_correct(c.defended, adv.data(), y, n);
        case Line::blur_unaware:
            (void)pgd(adv.data(), c.target, x, y, n, eps, step, kCurveSteps, false);
            return count_correct(c.blurred, adv.data(), y, n);
        case Line::blur_aware:
            (void)pgd(adv.data(), c.blurred, x, y, n, eps, step, kCurveSteps, false);
            return count_correct(c.blurred, adv.data(), y, n);
    }
    return 0;
}

bool curve_work(double budget_ms) {
    Curve& c = g_curve;
    if (!c.wanted || c.done) return false;
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(); };
    std::string note;
    const std::string dataset = c.network ? c.network->dataset : dataset_name(g_lab.settings.dataset);
    const LoadedDataset* data = dataset_for(dataset, note);
    if (!data) {
        c.note = note;
        return dataset_loading(dataset) >= 0;
    }
    if (!curve_ready(c, data->train, budget_ms)) {
        c.seconds += elapsed() / 1000.0;
        return c.wanted;
    }
    const int pictures = std::min(c.pictures, data->test.count);
    std::vector<float> x(size_t(kCurveChunk) * 784);
    std::vector<int32_t> y(size_t{kCurveChunk});
    const std::vector<int32_t> order = sample_order(pictures, nullptr);
    do {
        const int n = std::min(kCurveChunk, pictures - c.cursor);
        gather_batch(x.data(), y.data(), data->test, order, c.cursor, n);
        c.right += measure(c, kLines[c.line].value, kCurveEpsilons[c.eps], x.data(), y.data(), n);
        c.cursor += n;
        if (c.cursor < pictures) continue;
        c.accuracy[c.line].push_back(float(c.right) / float(pictures));
        c.cursor = c.right = 0;
        if (++c.eps == kCurveEpsilons.size()) c.eps = 0, c.line++;
        if (c.line == std::size(kLines)) {
            c.done = true;
            c.seconds += elapsed() / 1000.0;
            post_event("curve-done");
            return false;
        }
    } while (elapsed() < budget_ms);
    c.seconds += elapsed() / 1000.0;
    return true;
}

json curve_json() {
    const Curve& c = g_curve;
    json lines = json::array();
    for (size_t l = 0; l < c.accuracy.size(); l++) lines.push_back({{"name", kLines[l].name}, {"accuracy", c.accuracy[l]}});
    const char* state = c.done ? "done" : !c.wanted ? "idle" : c.defended_ready ? "measuring" : "waiting";
    return {{"state", state}, {"note", text_or_null(c.note)}, {"pictures", c.pictures}, {"epsilons", kCurveEpsilons},
            {"lines", lines}, {"seconds", c.seconds}};
}

// ---------------------------------------------------------------------------------------------
// The exercise: one FGSM step by hand on four pixels.

std::vector<float> fgsm_by_rule(const AdversarialLab& lab, bool use_sign, float direction, bool clip, bool zero_is_plus) {
    std::vector<float> out;
    for (size_t i = 0; i < lab.ex_pixels.size(); i++) {
        const float g = lab.ex_gradient[i];
        const float step = use_sign ? (g > 0 ? 1.0f : g < 0 ? -1.0f : zero_is_plus ? 1.0f : 0.0f) : g;
        float v = lab.ex_pixels[i] + direction * lab.ex_epsilon * step;
        if (clip) v = std::clamp(v, 0.0f, 1.0f);
        out.push_back(std::round(v * 1000.0f) / 1000.0f);
    }
    return out;
}
std::vector<float> fgsm_answer(const AdversarialLab& lab) { return fgsm_by_rule(lab, true, 1, true, false); }

std::string list_text(const std::vector<float>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); i++) s += (i ? ", " : "") + format_number(v[i]);
    return s + "]";
}

void new_exercise(AdversarialLab& lab, uint64_t seed) {
    Rng rng(seed);
    static const float epsilons[] = {0.05f, 0.1f, 0.2f, 0.25f};
    lab.ex_epsilon = epsilons[rng.uniform_int(0, 3)];
    lab.ex_pixels.clear();
    lab.ex_gradient.clear();
    // Four pixels: one near white with a rising gradient (so the clip matters), one with a zero
    // gradient (sign 0: it stays), the others anywhere with gradients of either sign.
    const int near_white = rng.uniform_int(0, 3);
    int zero = rng.uniform_int(0, 2);
    if (zero >= near_white) zero++;
    for (int i = 0; i < 4; i++) {
        float p = float(rng.uniform_int(2, 8)) / 10.0f, g = float(rng.uniform_int(1, 30)) / 10.0f * (rng.uniform() < 0.5f ? -1.0f : 1.0f);
        if (i == near_white) p = 1.0f - float(rng.uniform_int(0, 3)) / 100.0f, g = std::fabs(g);
        if (i == zero) g = 0.0f;
        lab.ex_pixels.push_back(p);
        lab.ex_gradient.push_back(g);
    }
    lab.record.start({{"pixels", lab.ex_pixels}, {"gradient", lab.ex_gradient}, {"epsilon", lab.ex_epsilon},
                      {"question", "Four pixels " + list_text(lab.ex_pixels) + " and the loss's gradient at them " + list_text(lab.ex_gradient) +
                                       ". What does one untargeted FGSM step with eps = " + format_number(lab.ex_epsilon) + " make of them?"}},
                     seed, lab.pending);
    lab.answer_text[0] = 0;
}

std::vector<MistakeAnswer> fgsm_mistakes(const AdversarialLab& lab) {
    const std::string e = format_number(lab.ex_epsilon);
    return {{"gradient-not-sign", fgsm_by_rule(lab, false, 1, true, false),
             "You moved each pixel by eps times its gradient. FGSM moves every pixel by the same eps, in the direction of the "
             "gradient's sign: x + " + e + "·sign(g), so a gradient of 3 and one of 0.1 move their pixels alike."},
            {"wrong-direction", fgsm_by_rule(lab, true, -1, true, false),
             "You stepped against the gradient, which lowers the loss and makes the network surer of the right class. The "
             "untargeted attack raises the loss: x + eps·sign(g) (a targeted one steps against the target's gradient)."},
            {"clip-forgotten", fgsm_by_rule(lab, true, 1, false, false),
             "A pixel went past 1. A picture's values stay in [0, 1], so the step is clipped: clip(x + " + e + "·sign(g), 0, 1)."},
            {"zero-gradient-moved", fgsm_by_rule(lab, true, 1, true, true),
             "The pixel whose gradient is 0 has sign 0: the loss does not change with it, so FGSM leaves it as it is."}};
}

HintLadder fgsm_hints(const AdversarialLab& lab) {
    const std::vector<float> right = fgsm_answer(lab);
    std::vector<float> first_three(right.begin(), right.begin() + 3);
    return {"FGSM: x_adv = clip(x + eps·sign(g), 0, 1). sign(g) is +1 for a positive gradient, -1 for a negative one, 0 for 0: "
            "every pixel moves by eps or not at all, whatever the gradient's size.",
            "The first pixel: " + format_number(lab.ex_pixels[0]) + " + " + format_number(lab.ex_epsilon) + "·sign(" +
                format_number(lab.ex_gradient[0]) + ") = " + format_number(right[0]) + " (before clipping to [0, 1]).",
            "The first three: " + list_text(first_three) + ". The last is " + format_number(lab.ex_pixels[3]) + " with gradient " +
                format_number(lab.ex_gradient[3]) + "."};
}

std::string check_answer(AdversarialLab& lab, const std::vector<float>& given) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    const std::vector<float> expected = fgsm_answer(lab);
    bool right = given.size() == expected.size();
    for (size_t i = 0; right && i < given.size(); i++) right = close_enough(given[i], expected[i]);
    const std::string feedback =
        right ? "Right: " + list_text(expected) + ". Every pixel moved by eps = " + format_number(lab.ex_epsilon) +
                    " in its gradient's direction (or stayed, at gradient 0), and none left [0, 1]."
              : "Not quite: x + eps·sign(g), clipped to [0, 1], gives " + list_text(expected) + ".";
    json mistake = right ? json(nullptr) : name_mistake(given, expected, fgsm_mistakes(lab), "Move every pixel by eps in the direction of its gradient's sign.");
    lab.record.checked(right, expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State and commands.

const std::vector<Output<AdversarialLab>> kOutputs = {
    {"using", [](const AdversarialLab& lab) -> json {
         return {{"source", lab.source.empty() ? json(nullptr) : json(lab.source)}, {"about", lab.using_note}, {"dataset", lab.dataset}};
     }},
    {"result", [](const AdversarialLab& lab) { return result_json(lab); }},
    {"robustness", [](const AdversarialLab&) { return curve_json(); }},
};

json adversarial_state() {
    recompute(g_lab);
    json state;
    write_fields(state, kSettingFields, g_lab.settings);
    write_outputs(state, kOutputs, g_lab);
    g_lab.record.write(state);
    return state;
}

std::string apply_command(AdversarialLab& lab, const json& f) {
    std::string e = check_command(f, kSettingFields, {"reset", "curve", "new_exercise", "seed", "hint", "answer"}, kOutputs);
    if (!e.empty()) return e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) {
        const ExerciseRecord record = lab.record;
        lab = AdversarialLab{};
        lab.record = record;
        lab.record.close();
    }
    Settings s = lab.settings;
    if (!(e = read_fields(f, kSettingFields, s)).empty()) return e;
    lab.settings = s;
    bool curve = false;
    if (!(e = read_bool(f, "curve", curve)).empty()) return e;
    if (curve) lab.curve_requested = true;
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, fgsm_hints)).empty()) return e;
    if (f.contains("answer")) {
        const json& a = f["answer"];
        if (!a.is_array() || a.size() != 4) return "\"answer\" must be a list of 4 numbers: the pixels after the step";
        std::vector<float> given;
        for (const json& v : a) {
            if (!v.is_number() || !std::isfinite(v.get<double>()) || std::fabs(v.get<double>()) > 1e6)
                return "\"answer\" must be a list of 4 numbers (each within ±1e6): the pixels after the step";
            given.push_back(v.get<float>());
        }
        if (!(e = check_answer(lab, given)).empty()) return e;
    }
    return "";
}

void start_curve_if_asked(AdversarialLab& lab) {
    if (!lab.curve_requested) return;
    lab.curve_requested = false;
    start_curve(lab.settings.curve_pictures);
}

std::string adversarial_command(const json& fields) {
    return command_on_copy("adversarial", g_lab, fields, apply_command, start_curve_if_asked);
}

bool adversarial_work(double budget_ms) {
    const bool training = ready_networks_work(budget_ms);  // the ready network (and the curve's second one), until trained
    const bool measuring = curve_work(budget_ms);
    return training || measuring;
}

// ---------------------------------------------------------------------------------------------
// Drawing.

void ui_command(const json& fields) {
    std::string e = adversarial_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

std::vector<std::string> class_names(const std::string& dataset) {
    std::vector<std::string> names;
    for (int k = 0; k < 10; k++) names.push_back(class_name(dataset, k));
    return names;
}

void draw_settings(AdversarialLab& lab) {
    const Settings& s = lab.settings;
    draw_network_choice("THE NETWORK", s.network, s.dataset, kDatasetChoices, "dataset", lab.source == "yours", lab.using_note, ui_command);
    ImGui::Spacing();
    ImGui::TextDisabled("THE PICTURE");
    int picture = s.picture;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    if (ImGui::SliderInt("test picture", &picture, 0, kPictures - 1)) ui_command({{"picture", picture}});
    ui_anchor("picture");
    ImGui::Spacing();
    ImGui::TextDisabled("THE ATTACK");
    if (ImGui::RadioButton("FGSM", s.attack == Attack::fgsm)) ui_command({{"attack", "fgsm"}});
    ui_anchor("attack-fgsm");
    ImGui::SameLine();
    if (ImGui::RadioButton("PGD", s.attack == Attack::pgd)) ui_command({{"attack", "pgd"}});
    ui_anchor("attack-pgd");
    float eps = s.epsilon;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    if (ImGui::SliderFloat("eps", &eps, 0.0f, 0.5f, "%.3f")) ui_command({{"epsilon", eps}});
    ui_anchor("epsilon");
    if (s.attack == Attack::pgd) {
        int steps = s.steps;
        float step = s.step_size;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
        if (ImGui::SliderInt("steps", &steps, 1, 100)) ui_command({{"steps", steps}});
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
        if (ImGui::SliderFloat("step size", &step, 0.001f, 0.5f, "%.3f")) ui_command({{"step_size", step}});
    }
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    const std::string target_name = s.target < 0 ? "none (away from the truth)" : class_name(lab.dataset, s.target);
    if (ImGui::BeginCombo("target", target_name.c_str())) {
        if (ImGui::Selectable("none (away from the truth)", s.target < 0)) ui_command({{"target", -1}});
        for (int k = 0; k < 10; k++)
            if (ImGui::Selectable(class_name(lab.dataset, k).c_str(), s.target == k)) ui_command({{"target", k}});
        ImGui::EndCombo();
    }
    if (!lab.ui_note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.ui_note.c_str());
}

void draw_attack(AdversarialLab& lab) {
    if (!lab.message.empty()) {
        ImGui::TextWrapped("%s", lab.message.c_str());
        return;
    }
    const float size = std::min(ImGui::GetFontSize() * 8.5f, (ImGui::GetContentRegionAvail().x - 40) / 3);
    std::vector<float> change(784);
    float largest = 1e-6f;
    for (size_t i = 0; i < 784; i++) change[i] = lab.attacked[i] - lab.picture[i], largest = std::max(largest, std::fabs(change[i]));
    value_picture("picture", "the picture", lab.picture.data(), 28, 28, size, 0, 1);
    ImGui::SameLine();
    value_picture("change", "+ the change (amplified)", change.data(), 28, 28, size, 0, 0, largest);
    ImGui::SameLine();
    value_picture("attacked", "= the attacked picture", lab.attacked.data(), 28, 28, size, 0, 1);
    ui_anchor("pictures");
    const json r = result_json(lab);
    ImGui::TextWrapped("Truth: %s. Before: %s (%.0f%%). After: %s (%.0f%%). Every pixel changed by at most %.3f.",
                       class_name(lab.dataset, lab.label).c_str(), r["before"]["name"].get<std::string>().c_str(),
                       100.0 * r["before"]["probability"].get<double>(), r["after"]["name"].get<std::string>().c_str(),
                       100.0 * r["after"]["probability"].get<double>(), r["largest_change"].get<double>());
    if (r["fooled"].get<bool>()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.35f, 1), "Fooled: the network now says something else.");
    const std::vector<std::string> names = class_names(lab.dataset);
    const float width = std::min(ImGui::GetFontSize() * 15, (ImGui::GetContentRegionAvail().x - 20) / 2);
    ImGui::BeginGroup();
    ImGui::TextDisabled("before");
    probability_bars("before", lab.before, names, lab.label, width);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextDisabled("after");
    probability_bars("after", lab.after, names, lab.label, width);
    ImGui::EndGroup();
}

void draw_curve(AdversarialLab& lab) {
    ImGui::Separator();
    ImGui::TextDisabled("ON %d TEST PICTURES", lab.settings.curve_pictures);
    const json c = curve_json();
    const std::string state = c["state"];
    if (state == "idle" || state == "done") {
        if (ImGui::Button(state == "done" ? "Measure again" : "Measure accuracy against eps")) ui_command({{"curve", true}});
        ui_anchor("curve");
        ImGui::SameLine();
        ImGui::TextDisabled("also trains a second network and a defended copy");
    } else {
        ImGui::Text("Measuring... %.1f s", c["seconds"].get<double>());
    }
    if (!c["note"].is_null()) ImGui::TextWrapped("%s", c["note"].get<std::string>().c_str());
    std::vector<ChartLine> lines;
    static const char* words[] = {"FGSM", "PGD", "FGSM made on another network", "PGD after adversarial training",
                                  "PGD, blur unknown to the attacker", "PGD through the blur"};
    for (size_t l = 0; l < g_curve.accuracy.size(); l++) lines.push_back({words[l], g_curve.accuracy[l]});
    if (!lines.empty())
        line_chart("curve", kCurveEpsilons, lines, 0, 1, ImVec2(std::min(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 34), ImGui::GetFontSize() * 11),
                   "accuracy against eps");
}

void draw_exercise(AdversarialLab& lab) {
    ImGui::Separator();
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) ui_command({{"new_exercise", true}});
    if (!lab.record.open()) return;
    ImGui::TextWrapped("%s", lab.record.exercise["question"].get<std::string>().c_str());
    ImGui::Text("x_adv =");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
    const bool enter = ImGui::InputText("##answer", lab.answer_text, sizeof lab.answer_text, ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer");
    ImGui::SameLine();
    const bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (check || enter) {
        Rows typed;
        const std::string e = parse_rows_text(lab.answer_text, 1, 4, 1e6f, typed);
        if (!e.empty() || typed.empty() || typed[0].size() != 4) lab.ui_note = "Type the four pixels, like 0.3, 0.5, 1, 0.2.";
        else ui_command({{"answer", typed[0]}});
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) ui_command({{"hint", true}});
}

void adversarial_draw() {
    AdversarialLab& lab = g_lab;
    recompute(lab);
    lab_intro("Adversarial examples",
              "Change every pixel of a picture by a few levels of grey, each in the direction that raises the network's loss, and a "
              "network that was right becomes sure of something else. The change is computed from the loss's gradient with respect "
              "to the picture: the same backward pass that trains the network, taken one layer further.");
    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 14, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    recompute(lab);
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    draw_attack(lab);
    draw_exercise(lab);
    draw_curve(lab);
    ImGui::EndChild();
    commit("adversarial", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "adversarial", .name = "Adversarial examples",
                    .summary = "A change too small to see, made from the gradient, makes your network wrong; and two defences.",
                    .draw = adversarial_draw, .state = adversarial_state, .command = adversarial_command, .work = adversarial_work,
                    .teaches = {"adversarial-step", "The FGSM step"});
