// transfer.cpp — Lab "Transfer learning" (lesson notes 002 and 003): a network trained on one
// dataset reused for another that has only a few labelled pictures per class.
//
// The source is the student's network (or the ready one, web/ready_network.h), trained on MNIST
// digits or Fashion-MNIST; the target is the other dataset, with 10 to 1,000 labelled pictures per
// class. Three networks of the same architecture learn the target side by side, on the same
// pictures in the same order (web/side_by_side.h):
//   from scratch        new weights everywhere, every layer trained
//   feature extraction  the source's weights, a new last layer (the head), every other layer frozen
//   fine-tuning         the source's weights and a new head, every layer trained at a smaller rate
// with their test accuracy as they learn and how many parameters each trains. Then the layers frozen
// one by one: the source's weights with the first k layers frozen, k = 0 to all but the head, each
// trained the same way; where the accuracy drops, the frozen layers had become specific to the source.
// Exercise: the parameters left to train when some layers are frozen.
//
// The numbers come from the engine: the one training loop with TrainRecipe::frozen and
// params_before_layer (engine/train_run.h, model.h), take_per_class (engine/data.h).
//
// API (window.cnnlab.command / state), besides {"lab": "transfer"}:
//   "network"     "yours" or "ready" (the source);  "source" the ready network's dataset: "mnist" or "fashion"
//   "per_class"   labelled target pictures per class, 10..1000;  "steps" each network takes, 50..3000 (batch 32)
//   "train": true the three side by side;  "sweep": true  the freezing sweep
//   "new_exercise", "seed", "hint", "answer" (a whole number: the trainable parameters), "reset"
// State adds: "using" {"source", "about", "dataset"}, "target" (the other dataset), "layers" (the source's layers
// with parameters: [{"layer", "kind", "parameters"}]), "race" and "freezing" (side_by_side_json, each
// contender with "trainable" and "accuracy_curve"; "state" also "waiting" while the source or the data
// is on its way, with "note"); the exercise record (exercise {layers [{"kind", "in", "out", "kernel"}], "frozen", seed}).
// Events: "exercise-new", "answer", "hint", "progress", "network-ready", "trained".
#include <algorithm>
#include <cmath>

#include <imgui.h>

#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../ready_network.h"
#include "../side_by_side.h"
#include "../widgets.h"

namespace {

// The ready source network's datasets, digits first (transfer from digits to clothes is the lesson's case).
constexpr Choice<DatasetChoice> kSourceChoices[] = {{DatasetChoice::mnist, "mnist"}, {DatasetChoice::fashion, "fashion"}};

struct Settings {
    NetworkChoice network = NetworkChoice::yours;
    DatasetChoice source = DatasetChoice::mnist;  // the ready network's
    int per_class = 100;
    int steps = 600;
    bool operator==(const Settings&) const = default;
};

const std::vector<Field<Settings>> kSettingFields = {
    choice_field("network", &Settings::network, kNetworkChoices),
    choice_field("source", &Settings::source, kSourceChoices),
    whole_field("per_class", &Settings::per_class, 10, 1000),
    whole_field("steps", &Settings::steps, 50, 3000),
};

constexpr int kAccuracyEvery = 50;  // steps between two points of the accuracy curves
constexpr int kTestPictures = 1000;

// A side-by-side training waiting for its source network and data: too large to copy with every command.
struct Training {
    SideBySide race;
    bool wanted = false;      // asked for, not started yet (the source or the data is on its way)
    bool sweep = false;       // the freezing sweep (else the three side by side)
    Settings settings;        // as asked
    const YourNetwork* source = nullptr;
    Dataset few;              // the target's few labelled pictures
    const LoadedDataset* target = nullptr;
    std::string note;
};
Training g_race, g_sweep;

struct TransferLab {
    Settings settings;
    ExerciseRecord record;
    json ex_layers = json::array();  // [{"kind", "in", "out", "kernel"}]
    int ex_frozen = 0;               // the first ex_frozen layers are frozen
    Pending pending;
    bool train_requested = false, sweep_requested = false;
    // UI only
    char answer_text[32] = "";
    std::string ui_note;
};
TransferLab g_lab;

std::string other_dataset(const std::string& d) { return d == "mnist" ? "fashion" : "mnist"; }

const YourNetwork* source_network(const Settings& s, std::string& note) {
    return network_in_use(s.network == NetworkChoice::yours, dataset_name(s.source), note);
}

// The parameter layers of a model (conv, linear, norms) as indices, in order.
std::vector<int> parameter_layers(const Model& m) {
    std::vector<int> out;
    for (size_t i = 0; i < m.layers.size(); i++)
        if (m.layers[i].weight >= 0 || m.layers[i].bias >= 0) out.push_back(int(i));
    return out;
}

// ---------------------------------------------------------------------------------------------
// The trainings.

// Builds the contenders once the source network and both datasets are here. "" or a message.
std::string start_when_ready(Training& t) {
    std::string note;
    if (!t.source) t.source = source_network(t.settings, note);
    if (!t.source) return t.note = note, "";
    const std::string target = other_dataset(t.source->dataset);
    t.target = dataset_for(target, note);
    if (!t.target) return t.note = note, "";
    Model source, fresh;
    Status s = build_network(source, *t.source);
    if (s.ok()) s = model_from_json(fresh, t.source->description, 7);
    if (!s.ok()) return "the source network cannot be used: " + s.message;
    const std::vector<int> layers = parameter_layers(source);
    if (layers.size() < 2 || source.layers.back().kind != LayerKind::linear || output_size(source) != 10)
        return "the source network must end with a linear layer of 10 classes, after at least one other layer with weights";
    // the source's weights, with a new head: the last layer's parameters as a fresh network draws them
    const int64_t head = params_before_layer(source, layers.back());
    std::vector<float> start = source.params;
    std::copy(fresh.params.begin() + head, fresh.params.end(), start.begin() + head);
    t.few = take_per_class(t.target->train, t.settings.per_class);
    const TrainRecipe recipe = {.optimizer = {.kind = OptimizerKind::adam, .lr = 0.002f}, .batch = 32, .epochs = 1000, .seed = 3};
    std::vector<ContenderSpec> specs;
    if (!t.sweep) {
        TrainRecipe frozen = recipe, slower = recipe;
        frozen.frozen = head;
        slower.optimizer.lr = 0.0005f;
        specs = {{"scratch", t.source->description, recipe, {}, {}},
                 {"feature-extraction", t.source->description, frozen, start, source.buffers},
                 {"fine-tuning", t.source->description, slower, start, source.buffers}};
    } else {
        for (size_t k = 0; k < layers.size(); k++) {
            TrainRecipe r = recipe;
            r.frozen = params_before_layer(source, layers[k]);
            specs.push_back({"freeze-" + std::to_string(k), t.source->description, r, start, source.buffers});
        }
    }
    t.race.test_pictures = kTestPictures;
    t.race.accuracy_every = kAccuracyEvery;
    if (std::string e = side_by_side_start(t.race, specs, t.settings.steps, 7); !e.empty()) return e;
    t.wanted = false;
    t.note.clear();
    return "";
}

bool training_work(Training& t, double budget_ms) {
    if (t.wanted) {
        if (std::string e = start_when_ready(t); !e.empty()) {
            t.note = e;
            t.wanted = false;
        }
        if (t.wanted) return true;
    }
    if (!t.race.running || !t.target) return false;
    const bool more = side_by_side_work(t.race, t.few, t.target->test, budget_ms);
    if (!more) post_event("trained");
    return more;
}

void start_training(Training& t, const Settings& s, bool sweep) {
    t = Training{};
    t.wanted = true;
    t.sweep = sweep;
    t.settings = s;
}

json training_json(const Training& t) {
    json j = side_by_side_json(t.race);
    if (t.wanted) j["state"] = "waiting";
    else if (!t.note.empty() && !t.race.running && t.race.contenders.empty()) j["state"] = "unavailable";
    j["note"] = text_or_null(t.note);
    j["pictures"] = t.few.count;
    return j;
}

// ---------------------------------------------------------------------------------------------
// The exercise: trainable parameters with the first layers frozen.

int64_t layer_parameters(const json& L, bool bias) {
    const int64_t in = L["in"], out = L["out"];
    const int64_t k = L["kind"] == "conv" ? L["kernel"].get<int64_t>() : 1;
    return out * in * k * k + (bias ? out : 0);
}
int64_t count_parameters(const TransferLab& lab, int first, int last, bool bias) {  // layers [first, last)
    int64_t n = 0;
    for (int i = first; i < last; i++) n += layer_parameters(lab.ex_layers[size_t(i)], bias);
    return n;
}

std::string layer_text(const json& L) {
    return L["kind"] == "conv" ? "conv " + std::to_string(L["in"].get<int>()) + " -> " + std::to_string(L["out"].get<int>()) + " channels, " +
                                     std::to_string(L["kernel"].get<int>()) + "x" + std::to_string(L["kernel"].get<int>())
                               : "linear " + std::to_string(L["in"].get<int>()) + " -> " + std::to_string(L["out"].get<int>());
}

void new_exercise(TransferLab& lab, uint64_t seed) {
    Rng rng(seed);
    static const int channels[] = {4, 6, 8, 12, 16};
    const int c1 = channels[rng.uniform_int(0, 2)], c2 = channels[rng.uniform_int(1, 4)], k = rng.uniform_int(0, 1) ? 3 : 5;
    const int side = rng.uniform_int(0, 1) ? 7 : 4, hidden = 16 * rng.uniform_int(1, 4);
    lab.ex_layers = json::array({{{"kind", "conv"}, {"in", 1}, {"out", c1}, {"kernel", k}},
                                 {{"kind", "conv"}, {"in", c1}, {"out", c2}, {"kernel", 3}},
                                 {{"kind", "linear"}, {"in", c2 * side * side}, {"out", hidden}},
                                 {{"kind", "linear"}, {"in", hidden}, {"out", 10}}});
    lab.ex_frozen = rng.uniform_int(1, 3);
    std::string list;
    for (size_t i = 0; i < lab.ex_layers.size(); i++) list += (i ? "; " : "") + std::to_string(i + 1) + ". " + layer_text(lab.ex_layers[i]);
    lab.record.start({{"layers", lab.ex_layers}, {"frozen", lab.ex_frozen},
                      {"question", "A network: " + list + " (each with a bias). Layers 1 to " + std::to_string(lab.ex_frozen) +
                                       " are frozen. How many parameters are trained?"}},
                     seed, lab.pending);
    lab.answer_text[0] = 0;
}

std::vector<MistakeAnswer> freeze_mistakes(const TransferLab& lab) {
    const int L = int(lab.ex_layers.size()), f = lab.ex_frozen;
    return {{"frozen-counted", count_parameters(lab, 0, L, true),
             "You counted every layer. Frozen layers keep their weights: only layers " + std::to_string(f + 1) + " to " + std::to_string(L) +
                 " are trained."},
            {"bias-forgotten", count_parameters(lab, f, L, false),
             "You left out the biases: each trained layer also learns one bias per output (channel or unit)."},
            {"frozen-only", count_parameters(lab, 0, f, true), "You counted the frozen layers: the question asks for the ones still trained."},
            {"one-layer-off", count_parameters(lab, f + 1, L, true),
             "You froze one layer too many: layer " + std::to_string(f + 1) + " is still trained."},
            {"one-layer-off", f > 0 ? json(count_parameters(lab, f - 1, L, true)) : json(nullptr),
             "You froze one layer too few: layer " + std::to_string(f) + " is frozen."}};
}

HintLadder freeze_hints(const TransferLab& lab) {
    const json& first = lab.ex_layers[size_t(lab.ex_frozen)];
    const int L = int(lab.ex_layers.size());
    return {"A conv layer has out·in·k·k weights and out biases; a linear layer out·in weights and out biases. Frozen layers are not trained.",
            "Layer " + std::to_string(lab.ex_frozen + 1) + " is the first trained: " + layer_text(first) + " has " +
                std::to_string(layer_parameters(first, true)) + " parameters.",
            lab.ex_frozen + 1 < L ? "Layers " + std::to_string(lab.ex_frozen + 1) + " to " + std::to_string(L - 1) + " have " +
                                        std::to_string(count_parameters(lab, lab.ex_frozen, L - 1, true)) + " together; add the last layer's."
                                  : "Only the last layer is trained: count its weights and biases."};
}

std::string check_answer(TransferLab& lab, int64_t given) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    const int64_t expected = count_parameters(lab, lab.ex_frozen, int(lab.ex_layers.size()), true);
    const bool right = given == expected;
    const std::string feedback = right ? "Right: " + std::to_string(expected) + " parameters are trained; the frozen layers' " +
                                             std::to_string(count_parameters(lab, 0, lab.ex_frozen, true)) + " stay as the source left them."
                                       : "Not quite: the layers after the frozen ones have " + std::to_string(expected) + " parameters.";
    json mistake = right ? json(nullptr) : name_mistake(given, expected, freeze_mistakes(lab), "Count out·in·k·k + out for each layer that is not frozen.");
    lab.record.checked(right, expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State and commands.

NetworkModel g_source_model;  // the source network's layers, built once per network (state and every frame read them)

json layers_json(const TransferLab& lab) {
    std::string note;
    const YourNetwork* net = source_network(lab.settings, note);
    json out = json::array();
    const Model* model = net ? network_model(g_source_model, *net) : nullptr;
    if (!model) return out;
    const Model& m = *model;
    for (int i : parameter_layers(m)) {
        const Layer& L = m.layers[size_t(i)];
        const int64_t end = i + 1 < int(m.layers.size()) ? params_before_layer(m, i + 1) : int64_t(m.params.size());
        out.push_back({{"layer", i}, {"kind", layer_kind_name(L.kind)}, {"name", L.name}, {"parameters", end - params_before_layer(m, i)}});
    }
    return out;
}

const std::vector<Output<TransferLab>> kOutputs = {
    {"using", [](const TransferLab& lab) -> json {
         std::string note;
         const YourNetwork* net = source_network(lab.settings, note);
         return {{"source", !net ? json(nullptr) : json(net == your_network() ? "yours" : "ready")}, {"about", note},
                 {"dataset", net ? net->dataset : dataset_name(lab.settings.source)}};
     }},
    {"target", [](const TransferLab& lab) -> json {
         std::string note;
         const YourNetwork* net = source_network(lab.settings, note);
         return other_dataset(net ? net->dataset : dataset_name(lab.settings.source));
     }},
    {"layers", [](const TransferLab& lab) { return layers_json(lab); }},
    {"race", [](const TransferLab&) { return training_json(g_race); }},
    {"freezing", [](const TransferLab&) { return training_json(g_sweep); }},
};

json transfer_state() {
    json state;
    write_fields(state, kSettingFields, g_lab.settings);
    write_outputs(state, kOutputs, g_lab);
    g_lab.record.write(state);
    return state;
}

std::string apply_command(TransferLab& lab, const json& f) {
    std::string e = check_command(f, kSettingFields, {"reset", "train", "sweep", "new_exercise", "seed", "hint", "answer"}, kOutputs);
    if (!e.empty()) return e;
    bool flag = false;
    if (!(e = read_bool(f, "reset", flag)).empty()) return e;
    if (flag) {
        const ExerciseRecord record = lab.record;
        lab = TransferLab{};
        lab.record = record;
        lab.record.close();
    }
    Settings s = lab.settings;
    if (!(e = read_fields(f, kSettingFields, s)).empty()) return e;
    lab.settings = s;
    flag = false;
    if (!(e = read_bool(f, "train", flag)).empty()) return e;
    if (flag) lab.train_requested = true;
    flag = false;
    if (!(e = read_bool(f, "sweep", flag)).empty()) return e;
    if (flag) lab.sweep_requested = true;
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, freeze_hints)).empty()) return e;
    if (f.contains("answer")) {
        const json& a = f["answer"];
        if (!a.is_number_integer() || a.get<int64_t>() < 0 || a.get<int64_t>() > 1000000000)
            return "\"answer\" must be a whole number from 0 to 1e9: the parameters trained";
        if (!(e = check_answer(lab, a.get<int64_t>())).empty()) return e;
    }
    return "";
}

void start_if_asked(TransferLab& lab) {
    if (lab.train_requested) start_training(g_race, lab.settings, false);
    if (lab.sweep_requested) start_training(g_sweep, lab.settings, true);
    lab.train_requested = lab.sweep_requested = false;
}

std::string transfer_command(const json& fields) { return command_on_copy("transfer", g_lab, fields, apply_command, start_if_asked); }

bool transfer_work(double budget_ms) {
    const bool ready = ready_networks_work(budget_ms);
    const bool race = training_work(g_race, budget_ms);
    const bool sweep = training_work(g_sweep, budget_ms);
    return ready || race || sweep;
}

// ---------------------------------------------------------------------------------------------
// Drawing.

void ui_command(const json& fields) {
    std::string e = transfer_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

const char* contender_words(const std::string& name) {
    if (name == "scratch") return "from scratch: new weights, all trained";
    if (name == "feature-extraction") return "feature extraction: the source's layers frozen, a new head";
    if (name == "fine-tuning") return "fine-tuning: everything trained, a 4x smaller rate";
    return "";
}

void draw_settings(TransferLab& lab) {
    const Settings& s = lab.settings;
    const json using_ = kOutputs[0].write(lab);
    draw_network_choice("THE SOURCE NETWORK", s.network, s.source, kSourceChoices, "source", using_["source"] == "yours",
                        using_["about"].get<std::string>(), ui_command);
    ImGui::Spacing();
    ImGui::TextDisabled("THE NEW TASK: %s", dataset_title(kOutputs[1].write(lab).get<std::string>()));
    int per_class = s.per_class, steps = s.steps;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("per class", &per_class, 10, 1000, "%d", ImGuiSliderFlags_Logarithmic)) ui_command({{"per_class", per_class}});
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("steps", &steps, 50, 3000)) ui_command({{"steps", steps}});
    ImGui::Spacing();
    ImGui::TextDisabled("ITS LAYERS WITH WEIGHTS");
    for (const json& L : layers_json(lab))
        ImGui::Text("%s %s: %d", L["kind"].get<std::string>().c_str(), L["name"].get<std::string>().c_str(), L["parameters"].get<int>());
    if (!lab.ui_note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.ui_note.c_str());
}

void draw_training(const char* anchor_name, const char* button, const Training& t, const json& action) {
    const json j = training_json(t);
    const std::string state = j["state"];
    if (state != "training" && state != "waiting") {
        if (ImGui::Button(button)) ui_command(action);
        ui_anchor(anchor_name);
    } else {
        ImGui::Text("Training: step %d of %d, %.1f s", j["steps_done"].get<int>(), j["steps"].get<int>(), j["seconds"].get<double>());
    }
    if (!j["note"].is_null()) ImGui::TextWrapped("%s", j["note"].get<std::string>().c_str());
}

void draw_race(TransferLab&) {
    ImGui::TextDisabled("THREE WAYS TO LEARN THE NEW TASK");
    draw_training("train", "Train the three side by side", g_race, {{"train", true}});
    const json j = training_json(g_race);
    if (j["contenders"].empty()) return;
    std::vector<float> x;
    std::vector<ChartLine> lines;
    for (const json& c : j["contenders"]) lines.push_back({c["name"].get<std::string>(), c["accuracy_curve"].get<std::vector<float>>()});
    for (int i = 1; i <= j["steps"].get<int>() / kAccuracyEvery; i++) x.push_back(float(i * kAccuracyEvery));
    line_chart("race", x, lines, 0, 1, ImVec2(std::min(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 34), ImGui::GetFontSize() * 10),
               "test accuracy against steps");
    for (const json& c : j["contenders"]) {
        const std::string name = c["name"];
        ImGui::Text("%s", contender_words(name));
        ImGui::SameLine();
        ImGui::TextDisabled("%lld of %lld parameters trained", c["trainable"].get<long long>(), c["parameters"].get<long long>());
        if (c["test_accuracy"].is_number()) {
            ImGui::SameLine();
            ImGui::Text("test accuracy %.1f%%", 100.0 * c["test_accuracy"].get<double>());
        }
    }
}

void draw_sweep(TransferLab&) {
    ImGui::Separator();
    ImGui::TextDisabled("FREEZE THE FIRST K LAYERS");
    draw_training("sweep", "Train with 0, 1, 2, ... layers frozen", g_sweep, {{"sweep", true}});
    const json j = training_json(g_sweep);
    for (const json& c : j["contenders"]) {
        const std::string name = c["name"];
        ImGui::Text("%s layers frozen", name.substr(7).c_str());
        ImGui::SameLine(ImGui::GetFontSize() * 8);
        const float a = c["test_accuracy"].is_number() ? c["test_accuracy"].get<float>() : 0.0f;
        char text[48];
        std::snprintf(text, sizeof text, c["test_accuracy"].is_number() ? "%.1f%%" : "...", 100.0 * a);
        ImGui::ProgressBar(a, ImVec2(ImGui::GetFontSize() * 14, 0), text);
        ImGui::SameLine();
        ImGui::TextDisabled("%lld trained", c["trainable"].get<long long>());
    }
    if (!j["contenders"].empty())
        ImGui::TextWrapped("Early layers learn edges and strokes that serve any picture; the last ones learn the source's own classes. "
                           "Where the accuracy falls as more are frozen, the frozen layers had become specific to the source.");
}

void draw_exercise(TransferLab& lab) {
    ImGui::Separator();
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) ui_command({{"new_exercise", true}});
    if (!lab.record.open()) return;
    ImGui::TextWrapped("%s", lab.record.exercise["question"].get<std::string>().c_str());
    ImGui::Text("trained parameters =");
    ImGui::SameLine();
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
        if (end == lab.answer_text || *end != 0 || v < 0) lab.ui_note = "Type a whole number, like 4810.";
        else ui_command({{"answer", int64_t(v)}});
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) ui_command({{"hint", true}});
}

void transfer_draw() {
    TransferLab& lab = g_lab;
    lab_intro("Transfer learning",
              "A network trained on one task has learned features that serve others. Reuse it on a new task with only a few "
              "labelled pictures: keep its layers and train a new last layer, or train it all a little, and compare with "
              "learning from scratch.");
    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 13, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    draw_race(lab);
    draw_exercise(lab);
    draw_sweep(lab);
    ImGui::EndChild();
    commit("transfer", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "transfer", .name = "Transfer learning",
                    .summary = "Your network reused for a new task with few labels: frozen, fine-tuned, or from scratch.",
                    .draw = transfer_draw, .state = transfer_state, .command = transfer_command, .work = transfer_work,
                    .teaches = {"frozen-parameters", "Trainable parameters"});
