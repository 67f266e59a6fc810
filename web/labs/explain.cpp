// explain.cpp — Lab "Why did it say that?" (lesson notes 002 and 003): four ways to open up a
// prediction of the student's own network (or the ready one, web/ready_network.h).
//
// For a test picture or the student's drawing, and a class (the predicted one, or any other):
//   saliency    how much the class's score changes with each pixel: |d score / d pixel|
//   Grad-CAM    where the last convolution saw the class: its channels weighted by the mean
//               gradient each gets, summed, ReLU, scaled up to the picture
//   occlusion   a grey square slid over the picture: how much the class's probability drops with
//               each place covered
//   features    what each filter of a convolution answers most: a picture made by gradient ascent
//               from grey on the filter's middle unit (with a pull back to grey), shown in the pixels
//               that unit sees, beside the first convolution's own kernels
// Exercise: a Grad-CAM channel weight and one cell of the map by hand, on two tiny channels.
//
// The numbers come from the engine: saliency_map, grad_cam, occlusion_map, visualize_feature,
// class_probabilities (engine/explain.h). This file decides what to show.
//
// API (window.cnnlab.command / state), besides {"lab": "explain"}:
//   "network"   "yours" or "ready";  "dataset" the ready network's: "fashion" or "mnist"
//   "source"    "test" (a test picture) or "drawing";  "picture" 0..999;  "drawing" 28 rows of 28 values 0..1
//   "class"     -1 (the one the network predicts) or 0..9: the class explained
//   "patch"     the occluding square's side, 2..14;  "stride" 1..7;  "fill" its grey, 0..1 (0: the
//               pictures' black background, so a square hides a part; a grey square adds a shape of its own)
//   "feature_conv"  which convolution's filters are drawn (1: the first)
//   "new_exercise", "seed", "hint", "answer" ([alpha_0, alpha_1, cam]), "reset"
// State adds: "using" {"source", "about", "dataset"}, "explained" {"label" (the truth, null for a drawing),
// "prediction" {"class", "name", "probabilities"}, "class", "name", "saliency" (28x28 rows),
// "grad_cam" {"layer", "channel_weights", "map" (h rows), "upsampled" (28 rows)}, "occlusion"
// {"rows", "cols", "map", "probability", "worst" [row, col]}, "features" {"conv", "layer", "channels"
// [{"activation", "picture" (the field's rows)}], "field" [top, left, rows, cols] (the pixels the middle unit sees), "kernels" (the first
// convolution's, rows each; null deeper)}} (null until there is
// a network); the exercise record (exercise {activations, gradients, cell, seed}).
// Events: "exercise-new", "answer", "hint", "progress", "network-ready".
#include <algorithm>
#include <array>
#include <cmath>

#include <imgui.h>

#include "../../engine/explain.h"
#include "../../engine/random.h"
#include "../../engine/receptive_field.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../ready_network.h"
#include "../widgets.h"

namespace {

constexpr int kPictures = 1000;
constexpr int kSide = 28;

enum class Source { test, drawing };
constexpr Choice<Source> kSources[] = {{Source::test, "test"}, {Source::drawing, "drawing"}};

struct Settings {
    NetworkChoice network = NetworkChoice::yours;
    DatasetChoice dataset = DatasetChoice::fashion;
    Source source = Source::test;
    int picture = 0;
    Rows drawing = Rows(kSide, std::vector<float>(kSide, 0.0f));  // (28, 28) values 0..1
    int explained_class = -1;   // -1: the predicted class
    int patch = 6, stride = 2;  // occlusion
    float fill = 0.0f;          // the square's grey: the background's black by default
    int feature_conv = 1;       // 1: the first convolution
    bool operator==(const Settings&) const = default;
};

std::string read_drawing(const json& f, Settings& s) {
    if (!f.contains("drawing")) return "";
    Rows rows;
    if (std::string e = read_rows(f, "drawing", kSide, kSide, 1.0f, false, rows); !e.empty()) return e;
    bool square = rows.size() == kSide;
    for (const auto& r : rows) square = square && r.size() == kSide;
    if (!square) return "\"drawing\" must be 28 rows of 28 values";
    for (const auto& r : rows)
        for (float v : r)
            if (v < 0) return "\"drawing\" values must be 0 (black) to 1 (white)";
    s.drawing = rows;
    return "";
}

const std::vector<Field<Settings>> kSettingFields = {
    choice_field("network", &Settings::network, kNetworkChoices),
    choice_field("dataset", &Settings::dataset, kDatasetChoices),
    choice_field("source", &Settings::source, kSources),
    whole_field("picture", &Settings::picture, 0, kPictures - 1),
    {"drawing", read_drawing, [](const Settings& s) { return json(s.drawing); }},
    whole_field("class", &Settings::explained_class, -1, 9),
    whole_field("patch", &Settings::patch, 2, 14),
    whole_field("stride", &Settings::stride, 1, 7),
    number_field("fill", &Settings::fill, 0.0f, 1.0f),
    whole_field("feature_conv", &Settings::feature_conv, 1, 20),
};

NetworkModel g_network;  // the network in use as a model (ready_network.h)

struct Explained {
    int label = -1;                    // the truth (-1 for a drawing)
    std::vector<float> probabilities;  // (10)
    int cls = 0;                       // the class explained
    std::vector<float> saliency;       // (28*28)
    GradCam cam;
    std::vector<float> occlusion;      // (rows*cols)
    int occ_rows = 0, occ_cols = 0;
    float occ_probability = 0;
    int conv_layer = -1;                           // the layer index of the chosen convolution
    int conv_count = 0;                            // convolutions in the network
    std::array<int, 4> field = {0, 0, kSide, kSide};  // the middle unit's receptive field: top, left, rows, cols
    std::vector<std::vector<float>> features;      // (channels)(field rows * field cols) the picture in that field
    std::vector<float> feature_activations;        // (channels)
    std::vector<std::vector<float>> kernels;       // the first convolution's (channels)(k*k), one input channel; empty deeper
    int kernel_side = 0;
};

struct ExplainLab {
    Settings settings;
    // Derived by recompute().
    Settings computed_for;
    const YourNetwork* computed_network = nullptr;
    int computed_version = -1;
    std::string computed_note;
    bool computed = false;
    std::string using_note, source, dataset, message;
    std::vector<float> picture;  // (28*28) what is explained
    Explained out;
    // The exercise: Grad-CAM by hand on two 2x2 channels.
    ExerciseRecord record;
    std::vector<std::vector<float>> ex_activations, ex_gradients;  // (2)(4): two 2x2 maps each
    int ex_cell = 0;                                                // 0..3, row-major
    Pending pending;
    // UI only
    char answer_text[96] = "";
    std::string ui_note;
};
ExplainLab g_lab;

// ---------------------------------------------------------------------------------------------
// Computing.

// The convolutions of a model, as layer indices.
std::vector<int> conv_layers(const Model& m) {
    std::vector<int> convs;
    for (size_t i = 0; i < m.layers.size(); i++)
        if (m.layers[i].kind == LayerKind::conv) convs.push_back(int(i));
    return convs;
}

void explain_features(Explained& out, Model& model, int conv) {
    const std::vector<int> convs = conv_layers(model);
    out.conv_count = int(convs.size());
    out.features.clear();
    out.feature_activations.clear();
    out.kernels.clear();
    if (convs.empty()) return;
    const int index = std::min(conv, out.conv_count) - 1;
    out.conv_layer = convs[size_t(index)];
    const Layer& L = model.layers[size_t(out.conv_layer)];
    // The filter's middle unit raised: the picture changes only inside that unit's receptive field,
    // which is what is shown (the whole picture when the field cannot be counted, past a branch).
    ReceptiveField rows, cols;
    out.field = {0, 0, kSide, kSide};
    if (model_receptive_field(rows, cols, model, out.conv_layer).ok()) {
        const int64_t top = std::max<int64_t>(field_first(rows, L.out_shape[1] / 2), 0);
        const int64_t left = std::max<int64_t>(field_first(cols, L.out_shape[2] / 2), 0);
        out.field = {int(top), int(left), int(std::min<int64_t>(field_first(rows, L.out_shape[1] / 2) + rows.size, kSide) - top),
                     int(std::min<int64_t>(field_first(cols, L.out_shape[2] / 2) + cols.size, kSide) - left)};
    }
    for (int c = 0; c < L.out_shape[0]; c++) {
        std::vector<float> picture;
        float activation = 0;
        if (!visualize_feature(picture, activation, model, {.layer = out.conv_layer, .channel = c, .steps = 48, .step = 0.02f, .l2 = 0.05f,
                                                             .jitter = 0, .seed = uint64_t(c + 1), .middle_unit = true}).ok())
            break;
        std::vector<float> crop;  // (field rows, field cols)
        for (int y = out.field[0]; y < out.field[0] + out.field[2]; y++)
            crop.insert(crop.end(), picture.begin() + y * kSide + out.field[1], picture.begin() + y * kSide + out.field[1] + out.field[3]);
        out.features.push_back(std::move(crop));
        out.feature_activations.push_back(activation);
    }
    if (index == 0 && L.in_shape[0] == 1) {  // the first convolution on grey pictures: its kernels are small pictures too
        const int k = L.conv.rows.kernel, kk = k * L.conv.cols.kernel;
        out.kernel_side = k;
        for (int c = 0; c < L.out_shape[0]; c++)
            out.kernels.emplace_back(model.params.begin() + L.weight + int64_t(c) * kk, model.params.begin() + L.weight + int64_t(c + 1) * kk);
    }
}

void recompute(ExplainLab& lab) {
    std::string note;
    const YourNetwork* net = network_in_use(lab.settings.network == NetworkChoice::yours, dataset_name(lab.settings.dataset), note);
    const int version = net ? net->version : -1;
    if (lab.computed && lab.settings == lab.computed_for && net == lab.computed_network && version == lab.computed_version &&
        note == lab.computed_note)
        return;
    const bool features_stale = !lab.computed || net != lab.computed_network || version != lab.computed_version ||
                                lab.settings.feature_conv != lab.computed_for.feature_conv || lab.out.features.empty();
    lab.computed = true;
    lab.computed_for = lab.settings;
    lab.computed_network = net;
    lab.computed_version = version;
    lab.computed_note = note;
    lab.using_note = note;
    lab.source = !net ? "" : net == your_network() ? "yours" : "ready";
    lab.dataset = net ? net->dataset : dataset_name(lab.settings.dataset);
    lab.message.clear();
    if (!net) {
        lab.message = note;
        lab.out = Explained{};
        return;
    }
    Model* model = network_model(g_network, *net);
    if (!model) {
        lab.message = g_network.error;
        lab.out = Explained{};
        return;
    }
    Explained& out = lab.out;
    lab.picture.assign(size_t(kSide * kSide), 0.0f);
    out.label = -1;
    if (lab.settings.source == Source::test) {
        std::string data_note;
        const LoadedDataset* data = dataset_for(net->dataset, data_note);
        if (!data) {
            lab.message = data_note;
            return;
        }
        const int index = std::min(lab.settings.picture, data->test.count - 1);
        picture_values(lab.picture.data(), data->test, index);
        out.label = data->test.labels[size_t(index)];
    } else {
        for (int r = 0; r < kSide; r++)
            for (int c = 0; c < kSide; c++) lab.picture[size_t(r * kSide + c)] = lab.settings.drawing[size_t(r)][size_t(c)];
    }
    out.probabilities = class_probabilities(*model, lab.picture.data());
    out.cls = lab.settings.explained_class >= 0 ? lab.settings.explained_class : predicted_class(out.probabilities.data(), 10);
    out.saliency.assign(size_t(kSide * kSide), 0.0f);
    Status s = saliency_map(out.saliency.data(), *model, lab.picture.data(), out.cls);
    const int layer = last_conv_layer(*model);
    if (s.ok() && layer >= 0) s = grad_cam(out.cam, *model, lab.picture.data(), out.cls, layer);
    if (s.ok())
        s = occlusion_map(out.occlusion, out.occ_rows, out.occ_cols, out.occ_probability, *model, lab.picture.data(), out.cls,
                          lab.settings.patch, lab.settings.stride, lab.settings.fill);
    if (!s.ok()) {
        lab.message = "No explanation: " + s.message;
        return;
    }
    if (features_stale) explain_features(out, *model, lab.settings.feature_conv);
}

// Values for the state to 5 significant digits (the state stays small and readable).
double significant(float x) {
    if (x == 0 || !std::isfinite(x)) return x;
    const double scale = std::pow(10.0, 4 - std::floor(std::log10(std::fabs(double(x)))));
    return std::round(double(x) * scale) / scale;
}
json rounded(const std::vector<float>& v) {
    json a = json::array();
    for (float x : v) a.push_back(significant(x));
    return a;
}
json as_rows(const std::vector<float>& v, int rows, int cols) {
    json out = json::array();
    for (int r = 0; r < rows; r++) out.push_back(rounded(std::vector<float>(v.begin() + r * cols, v.begin() + (r + 1) * cols)));
    return out;
}

json explained_json(const ExplainLab& lab) {
    if (!lab.message.empty() || lab.out.probabilities.empty()) return nullptr;
    const Explained& o = lab.out;
    const int predicted = predicted_class(o.probabilities.data(), 10);
    int worst = 0;
    for (size_t i = 0; i < o.occlusion.size(); i++)
        if (o.occlusion[i] > o.occlusion[size_t(worst)]) worst = int(i);
    json features = {{"conv", std::min(lab.settings.feature_conv, std::max(o.conv_count, 1))}, {"layer", o.conv_layer},
                     {"field", o.field}, {"channels", json::array()}, {"kernels", nullptr}};
    for (size_t c = 0; c < o.features.size(); c++)
        features["channels"].push_back({{"activation", o.feature_activations[c]}, {"picture", as_rows(o.features[c], o.field[2], o.field[3])}});
    if (!o.kernels.empty()) {
        features["kernels"] = json::array();
        for (const auto& k : o.kernels) features["kernels"].push_back(as_rows(k, o.kernel_side, int(k.size()) / o.kernel_side));
    }
    return {{"label", o.label < 0 ? json(nullptr) : json(o.label)},
            {"prediction", {{"class", predicted}, {"name", class_name(lab.dataset, predicted)}, {"probabilities", rounded(o.probabilities)}}},
            {"class", o.cls},
            {"name", class_name(lab.dataset, o.cls)},
            {"saliency", as_rows(o.saliency, kSide, kSide)},
            {"grad_cam", {{"layer", o.cam.layer}, {"channel_weights", rounded(o.cam.channel_weights)}, {"map", as_rows(o.cam.cam, o.cam.h, o.cam.w)},
                          {"upsampled", as_rows(o.cam.upsampled, kSide, kSide)}}},
            {"occlusion", {{"rows", o.occ_rows}, {"cols", o.occ_cols}, {"map", as_rows(o.occlusion, o.occ_rows, o.occ_cols)},
                           {"probability", o.occ_probability}, {"worst", {worst / std::max(o.occ_cols, 1), worst % std::max(o.occ_cols, 1)}}}},
            {"features", features}};
}

// ---------------------------------------------------------------------------------------------
// The exercise: a Grad-CAM channel weight and one cell of the map, by hand.

struct CamAnswer {
    float alpha0, alpha1, cell;
};
// alpha_k from the gradients (mean, or sum), the cell from alphas and activations (with or without the ReLU).
CamAnswer cam_by_rule(const ExplainLab& lab, bool mean, bool relu, bool swap, bool activation_mean) {
    float alpha[2];
    for (int k = 0; k < 2; k++) {
        const std::vector<float>& g = activation_mean ? lab.ex_activations[size_t(k)] : lab.ex_gradients[size_t(k)];
        float sum = 0;
        for (float v : g) sum += v;
        alpha[k] = mean ? sum / 4 : sum;
    }
    const size_t c = size_t(lab.ex_cell);
    float cell = swap ? alpha[0] * lab.ex_activations[1][c] + alpha[1] * lab.ex_activations[0][c]
                      : alpha[0] * lab.ex_activations[0][c] + alpha[1] * lab.ex_activations[1][c];
    if (relu) cell = std::max(cell, 0.0f);
    return {alpha[0], alpha[1], cell};
}
json answer_json(const CamAnswer& a) { return json::array({a.alpha0, a.alpha1, a.cell}); }
CamAnswer right_answer(const ExplainLab& lab) { return cam_by_rule(lab, true, true, false, false); }

std::string map_text(const std::vector<float>& m) {
    return "[[" + format_number(m[0]) + ", " + format_number(m[1]) + "], [" + format_number(m[2]) + ", " + format_number(m[3]) + "]]";
}

void new_exercise(ExplainLab& lab, uint64_t seed) {
    Rng rng(seed);
    lab.ex_activations.assign(2, std::vector<float>(4));
    lab.ex_gradients.assign(2, std::vector<float>(4));
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++) {
            lab.ex_activations[size_t(k)][size_t(i)] = float(rng.uniform_int(0, 4));  // after a ReLU: 0 or more
            lab.ex_gradients[size_t(k)][size_t(i)] = float(rng.uniform_int(-3, 4));
        }
    lab.ex_cell = rng.uniform_int(0, 3);
    const std::string cell = "[" + std::to_string(lab.ex_cell / 2) + ", " + std::to_string(lab.ex_cell % 2) + "]";
    lab.record.start({{"activations", lab.ex_activations}, {"gradients", lab.ex_gradients}, {"cell", {lab.ex_cell / 2, lab.ex_cell % 2}},
                      {"question", "The last convolution has two 2x2 channels, A0 = " + map_text(lab.ex_activations[0]) + " and A1 = " +
                                       map_text(lab.ex_activations[1]) + "; the class score's gradients at them are G0 = " +
                                       map_text(lab.ex_gradients[0]) + " and G1 = " + map_text(lab.ex_gradients[1]) +
                                       ". What are Grad-CAM's channel weights alpha0, alpha1, and its map at cell " + cell + "?"}},
                     seed, lab.pending);
    lab.answer_text[0] = 0;
}

std::vector<MistakeAnswer> cam_mistakes(const ExplainLab& lab) {
    return {{"sum-not-mean", answer_json(cam_by_rule(lab, false, true, false, false)),
             "You added the gradients up. A channel's weight is their mean over the map's cells: the sum divided by 4 here."},
            {"relu-forgotten", answer_json(cam_by_rule(lab, true, false, false, false)),
             "The weighted sum came out below 0 and you kept it. Grad-CAM keeps only what speaks for the class: ReLU(sum), so 0."},
            {"activations-averaged", answer_json(cam_by_rule(lab, true, true, false, true)),
             "You averaged the activations. The weights come from the gradients, G: how much the score changes with each channel."},
            {"weights-swapped", answer_json(cam_by_rule(lab, true, true, true, false)),
             "You weighted each channel with the other's alpha: the cell is alpha0·A0 + alpha1·A1."}};
}

HintLadder cam_hints(const ExplainLab& lab) {
    const CamAnswer a = right_answer(lab);
    const std::vector<float>& g0 = lab.ex_gradients[0];
    return {"Grad-CAM: alpha_k = the mean of channel k's gradient over its cells; the map = ReLU(alpha0·A0 + alpha1·A1), cell by cell.",
            "alpha0 = (" + format_number(g0[0]) + " + " + format_number(g0[1]) + " + " + format_number(g0[2]) + " + " + format_number(g0[3]) +
                ") / 4 = " + format_number(a.alpha0) + ".",
            "alpha0 = " + format_number(a.alpha0) + ", alpha1 = " + format_number(a.alpha1) + ". Now take the cell's A0 and A1, weight, add, and ReLU."};
}

std::string check_answer(ExplainLab& lab, const std::vector<float>& given) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    const CamAnswer a = right_answer(lab);
    const json expected = answer_json(a);
    const bool right = close_enough(given[0], a.alpha0) && close_enough(given[1], a.alpha1) && close_enough(given[2], a.cell);
    const std::string feedback = right ? "Right: alpha0 = " + format_number(a.alpha0) + ", alpha1 = " + format_number(a.alpha1) +
                                             ", and the cell is ReLU(alpha0·A0 + alpha1·A1) = " + format_number(a.cell) + "."
                                       : "Not quite: alpha0 = " + format_number(a.alpha0) + ", alpha1 = " + format_number(a.alpha1) +
                                             ", cell " + format_number(a.cell) + ".";
    json mistake = right ? json(nullptr) : name_mistake(json(given), expected, cam_mistakes(lab), "Average each channel's gradients, weight, add, ReLU.");
    lab.record.checked(right, expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State and commands.

const std::vector<Output<ExplainLab>> kOutputs = {
    {"using", [](const ExplainLab& lab) -> json {
         return {{"source", lab.source.empty() ? json(nullptr) : json(lab.source)}, {"about", lab.using_note}, {"dataset", lab.dataset}};
     }},
    {"explained", [](const ExplainLab& lab) { return explained_json(lab); }},
};

json explain_state() {
    recompute(g_lab);
    json state;
    write_fields(state, kSettingFields, g_lab.settings);
    write_outputs(state, kOutputs, g_lab);
    g_lab.record.write(state);
    return state;
}

std::string apply_command(ExplainLab& lab, const json& f) {
    std::string e = check_command(f, kSettingFields, {"reset", "clear_drawing", "new_exercise", "seed", "hint", "answer"}, kOutputs);
    if (!e.empty()) return e;
    bool flag = false;
    if (!(e = read_bool(f, "reset", flag)).empty()) return e;
    if (flag) {
        const ExerciseRecord record = lab.record;
        lab = ExplainLab{};
        lab.record = record;
        lab.record.close();
    }
    Settings s = lab.settings;
    if (!(e = read_fields(f, kSettingFields, s)).empty()) return e;
    flag = false;
    if (!(e = read_bool(f, "clear_drawing", flag)).empty()) return e;
    if (flag) s.drawing = Settings{}.drawing;
    lab.settings = s;
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, cam_hints)).empty()) return e;
    if (f.contains("answer")) {
        const json& a = f["answer"];
        if (!a.is_array() || a.size() != 3) return "\"answer\" must be a list of 3 numbers: alpha0, alpha1 and the cell";
        std::vector<float> given;
        for (const json& v : a) {
            if (!v.is_number() || !std::isfinite(v.get<double>()) || std::fabs(v.get<double>()) > 1e6)
                return "\"answer\" must be a list of 3 numbers (each within ±1e6): alpha0, alpha1 and the cell";
            given.push_back(v.get<float>());
        }
        if (!(e = check_answer(lab, given)).empty()) return e;
    }
    return "";
}

std::string explain_command(const json& fields) { return command_on_copy("explain", g_lab, fields, apply_command); }

bool explain_work(double budget_ms) { return ready_networks_work(budget_ms); }

// ---------------------------------------------------------------------------------------------
// Drawing.

void ui_command(const json& fields) {
    std::string e = explain_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

void draw_settings(ExplainLab& lab) {
    const Settings& s = lab.settings;
    draw_network_choice("THE NETWORK", s.network, s.dataset, kDatasetChoices, "dataset", lab.source == "yours", lab.using_note, ui_command);
    ImGui::Spacing();
    ImGui::TextDisabled("THE PICTURE");
    if (ImGui::RadioButton("a test picture", s.source == Source::test)) ui_command({{"source", "test"}});
    ImGui::SameLine();
    if (ImGui::RadioButton("your drawing", s.source == Source::drawing)) ui_command({{"source", "drawing"}});
    ui_anchor("source-drawing");
    if (s.source == Source::test) {
        int picture = s.picture;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
        if (ImGui::SliderInt("test picture", &picture, 0, kPictures - 1)) ui_command({{"picture", picture}});
    } else if (ImGui::Button("Clear the drawing")) {
        ui_command({{"clear_drawing", true}});
    }
    ImGui::Spacing();
    ImGui::TextDisabled("EXPLAIN THE CLASS");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    const std::string current = s.explained_class < 0 ? "the predicted one" : class_name(lab.dataset, s.explained_class);
    if (ImGui::BeginCombo("##class", current.c_str())) {
        if (ImGui::Selectable("the predicted one", s.explained_class < 0)) ui_command({{"class", -1}});
        for (int k = 0; k < 10; k++)
            if (ImGui::Selectable(class_name(lab.dataset, k).c_str(), s.explained_class == k)) ui_command({{"class", k}});
        ImGui::EndCombo();
    }
    ImGui::Spacing();
    ImGui::TextDisabled("OCCLUSION");
    int patch = s.patch, stride = s.stride;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("square", &patch, 2, 14)) ui_command({{"patch", patch}});
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("stride", &stride, 1, 7)) ui_command({{"stride", stride}});
    float fill = s.fill;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderFloat("its grey", &fill, 0.0f, 1.0f, "%.2f")) ui_command({{"fill", fill}});
    if (lab.out.conv_count > 1) {
        ImGui::Spacing();
        ImGui::TextDisabled("FILTERS OF");
        for (int c = 1; c <= lab.out.conv_count; c++) {
            if (c > 1) ImGui::SameLine();
            if (ImGui::RadioButton(("conv " + std::to_string(c)).c_str(), s.feature_conv == c)) ui_command({{"feature_conv", c}});
        }
    }
    if (!lab.ui_note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.ui_note.c_str());
}

// The picture, painted with the mouse when it is the student's drawing.
void draw_input(ExplainLab& lab, float size) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(lab.settings.source == Source::drawing ? "your drawing (paint here)" : "the picture");
    const GridResult g = draw_grid("input", kSide, kSide, size / kSide, [&](int r, int c) {
        GridCell cell;
        cell.fill = grey_color(lab.picture[size_t(r * kSide + c)], 0, 1);
        return cell;
    }, false);
    ui_anchor("input");
    if (lab.settings.source == Source::drawing && g.dragging && g.hover_row >= 0) {
        Rows drawing = lab.settings.drawing;
        for (int dr = -1; dr <= 1; dr++)
            for (int dc = -1; dc <= 1; dc++) {  // a soft round brush, 3 pixels across
                const int r = g.hover_row + dr, c = g.hover_col + dc;
                if (r < 0 || c < 0 || r >= kSide || c >= kSide) continue;
                float& v = drawing[size_t(r)][size_t(c)];
                v = std::max(v, dr == 0 && dc == 0 ? 1.0f : std::abs(dr) + std::abs(dc) == 1 ? 0.7f : 0.35f);
            }
        if (drawing != lab.settings.drawing) ui_command({{"drawing", drawing}});
    }
    ImGui::EndGroup();
}

void draw_explanations(ExplainLab& lab) {
    if (!lab.message.empty()) {
        ImGui::TextWrapped("%s", lab.message.c_str());
        return;
    }
    const Explained& o = lab.out;
    const float size = std::min(ImGui::GetFontSize() * 8, (ImGui::GetContentRegionAvail().x - 50) / 4);
    draw_input(lab, size);
    ImGui::SameLine();
    const float saliency_top = *std::max_element(o.saliency.begin(), o.saliency.end());
    heat_picture("saliency", "saliency", lab.picture.data(), o.saliency.data(), kSide, kSide, size, saliency_top);
    ImGui::SameLine();
    const float cam_top = o.cam.upsampled.empty() ? 0 : *std::max_element(o.cam.upsampled.begin(), o.cam.upsampled.end());
    if (!o.cam.upsampled.empty()) heat_picture("gradcam", "Grad-CAM", lab.picture.data(), o.cam.upsampled.data(), kSide, kSide, size, cam_top);
    ImGui::SameLine();
    // the occlusion map spread over the pixels each square covered (the largest drop where squares overlap)
    std::vector<float> covered(size_t(kSide * kSide), 0.0f);
    float top = 1e-6f;
    for (int i = 0; i < o.occ_rows; i++)
        for (int j = 0; j < o.occ_cols; j++) {
            const float drop = o.occlusion[size_t(i * o.occ_cols + j)];
            top = std::max(top, drop);
            for (int y = i * lab.settings.stride; y < i * lab.settings.stride + lab.settings.patch; y++)
                for (int x = j * lab.settings.stride; x < j * lab.settings.stride + lab.settings.patch; x++)
                    covered[size_t(y * kSide + x)] = std::max(covered[size_t(y * kSide + x)], drop);
        }
    heat_picture("occlusion", "occlusion", lab.picture.data(), covered.data(), kSide, kSide, size, top);
    ui_anchor("maps");
    const int predicted = predicted_class(o.probabilities.data(), 10);
    ImGui::TextWrapped("The network says %s (%.0f%%)%s%s. Explained: %s. Covering the worst place drops its probability from %.0f%% by %.0f points.",
                       class_name(lab.dataset, predicted).c_str(), 100.0 * o.probabilities[size_t(predicted)],
                       o.label >= 0 ? "; the truth is " : "", o.label >= 0 ? class_name(lab.dataset, o.label).c_str() : "",
                       class_name(lab.dataset, o.cls).c_str(), 100.0 * o.occ_probability, 100.0 * top);
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("Saliency: how much the score moves with each pixel. Grad-CAM: where the last convolution saw the class. "
                        "Occlusion: what covering each place costs.");
    ImGui::PopTextWrapPos();
}

void draw_features(ExplainLab& lab) {
    const Explained& o = lab.out;
    if (o.features.empty()) return;
    ImGui::Separator();
    ImGui::TextDisabled("WHAT EACH FILTER OF CONVOLUTION %d LOOKS FOR (the %dx%d pixels one unit sees)", std::min(lab.settings.feature_conv, o.conv_count),
                        o.field[2], o.field[3]);
    const float size = ImGui::GetFontSize() * 4.2f;
    float scale = 1e-6f;
    for (const auto& k : o.kernels)
        for (float v : k) scale = std::max(scale, std::fabs(v));
    const float per_row = std::max(1.0f, std::floor(ImGui::GetContentRegionAvail().x / (size + ImGui::GetStyle().ItemSpacing.x)));
    for (size_t c = 0; c < o.features.size(); c++) {
        if (c % size_t(per_row) != 0) ImGui::SameLine();
        ImGui::BeginGroup();
        ImGui::PushID(int(c));
        value_picture("feature", ("filter " + std::to_string(c)).c_str(), o.features[c].data(), o.field[2], o.field[3], size, 0, 1);
        if (c < o.kernels.size()) value_picture("kernel", "its kernel", o.kernels[c].data(), o.kernel_side, o.kernel_side, size * 0.6f, 0, 0, scale);
        ImGui::PopID();
        ImGui::EndGroup();
    }
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled(o.kernels.empty() ? "Deeper filters answer patterns of patterns: what they want is no longer one small kernel."
                                          : "Each picture is what most excites its filter's middle unit, in the pixels that unit sees: "
                                            "bright where the kernel below is positive (red), dark where it is negative (blue).");
    ImGui::PopTextWrapPos();
}

void draw_exercise(ExplainLab& lab) {
    ImGui::Separator();
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) ui_command({{"new_exercise", true}});
    if (!lab.record.open()) return;
    ImGui::TextWrapped("%s", lab.record.exercise["question"].get<std::string>().c_str());
    ImGui::Text("alpha0, alpha1, cell =");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    const bool enter = ImGui::InputText("##answer", lab.answer_text, sizeof lab.answer_text, ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer");
    ImGui::SameLine();
    const bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (check || enter) {
        Rows typed;
        const std::string e = parse_rows_text(lab.answer_text, 1, 3, 1e6f, typed);
        if (!e.empty() || typed.empty() || typed[0].size() != 3) lab.ui_note = "Type three numbers, like 0.5, 1.25, 3.";
        else ui_command({{"answer", typed[0]}});
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) ui_command({{"hint", true}});
}

void explain_draw() {
    ExplainLab& lab = g_lab;
    recompute(lab);
    lab_intro("Why did it say that?",
              "Four ways to open up a prediction of your network: which pixels its score is most sensitive to, where its last "
              "convolution saw the class, what covering a part of the picture costs it, and what picture each filter wants most.");
    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 13, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    recompute(lab);
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    draw_explanations(lab);
    draw_exercise(lab);
    draw_features(lab);
    ImGui::EndChild();
    commit("explain", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "explain", .name = "Why did it say that?",
                    .summary = "Saliency, Grad-CAM, occlusion and what each filter looks for, on your network.",
                    .draw = explain_draw, .state = explain_state, .command = explain_command, .work = explain_work,
                    .teaches = {"grad-cam", "Grad-CAM by hand"});
