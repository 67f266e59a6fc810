// arithmetic.cpp — Lab "Convolution arithmetic" (the lesson's output-size formula, with pictures).
//
// Pick an input size, a kernel, stride, padding and dilation, and watch which input cells each
// output cell reads, in the style of Dumoulin & Visin's convolution-arithmetic animations: valid,
// same, full, strided, dilated and transposed convolution (which scatters each input cell into a
// larger output). The size formulas are shown with the current numbers substituted. Exercise:
// predict the output shape of random settings.
//
// The geometry comes from the engine (engine/conv.h, engine/conv_arithmetic.h): make_conv_axis,
// conv_axis_taps, conv_transpose_axis_targets and the formula strings. This file decides what to show.
//
// API (window.cnnlab.command / state), besides {"lab": "arithmetic"}:
//   "dims"        1 or 2 (1D: one row of cells)
//   "input"       [rows, cols] (each 1..16); in 1D a number (the length) is accepted
//   "kernel"      k (1..7), a square k x k kernel (1 x k in 1D)
//   "stride"      1..4      "dilation" 1..4
//   "padding"     0..6 zeros on each side, or "valid", "same", "full" (convolution only)
//   "transposed"  true: transposed convolution (input cells scatter into the output)
//   "preset"      "valid", "same", "full", "strided", "dilated", "transposed": a typical set-up
//   "position"    [row, col]: the output cell (convolution) or input cell (transposed) shown;
//   "step"        n: move it n cells in reading order;  "playing" true/false;  "speed" 0.25..10 steps/s
//   "new_exercise" true (or with "seed": integer, the same exercise for the same seed)
//   "answer"      exercise: [rows, cols] of the output; in 1D a number (or [n])
//   "hint"        true: the open exercise's next hint (the rule, the first step, all but the last)
//   "reset"       true
// State adds: "padding_sides", "output_size" [rows, cols] (null with "message" when there is
// none), "formula" {"rows", "cols", "short": Y = I - k + 1 for the columns, null when
// transposed}, "reads" (the input cells [row, col] the current output
// cell reads, padding included, in tap order) or "writes" (transposed: the output cells the current
// input cell adds into, those the padding crops left out), "exercise" (null or its set-up),
// "score" {"answered", "correct"}, "last_answer" (null or {"correct", "expected", "given", "feedback",
// "mistake", "hints_used"}), "mistakes", "hints", "hints_used" (lab_kit.h: ExerciseRecord).
// Events: "exercise-new", "answer", "hint", "progress" (app.h).
#include <algorithm>
#include <cmath>
#include <ctime>

#include <imgui.h>

#include "../../engine/conv.h"
#include "../../engine/conv_arithmetic.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../widgets.h"

namespace {

constexpr int kMaxInput = 16;
constexpr int kMaxKernel = 7;
constexpr int kMaxStride = 4;
constexpr int kMaxPadding = 6;
constexpr int kMaxDilation = 4;
constexpr int kMaxDrawn = 48;  // cells a side the picture lays out; larger outputs get a note

// ---------------------------------------------------------------------------------------------
// The state: one plain struct.

struct Settings {
    int dims = 2;                  // 1: one row of cells
    int input_rows = 5, input_cols = 5;
    int kernel = 3;                // k: the kernel is k x k (1 x k in 1D)
    int stride = 1;
    PaddingMode padding_mode = PaddingMode::number;
    int padding = 0;               // zeros on each side when padding_mode is number
    int dilation = 1;
    bool transposed = false;
    bool operator==(const Settings&) const = default;
};

// What the settings give, all from the engine.
struct Geometry {
    ConvAxis rows, cols;           // resolved padding per side
    int out_rows = 0, out_cols = 0;
    std::string message;           // why there is no output ("" when there is)
    // Convolution: taps_rows (OH, KH) / taps_cols (OW, KW): the input row / column each tap reads.
    // Transposed: taps_rows (H, KH) / taps_cols (W, KW): the output row / column each tap writes.
    std::vector<int> taps_rows, taps_cols;
    std::string formula_rows, formula_cols, formula_short;
};

struct ArithmeticLab {
    Settings settings;
    Geometry geometry;              // derived from settings by recompute()
    Settings computed_for;
    bool computed = false;
    int step = 0;                   // current output cell (convolution) or input cell (transposed), reading order
    bool playing = true;
    float speed = 1.5f;             // steps per second
    float clock = 0;
    // The exercise: predict the output shape of `settings`.
    ExerciseRecord record;
    bool attempted = false;         // the open exercise has had an answer (the output is shown)
    Pending pending;                // what a command caused, carried out once it is kept
    // UI only
    int typed[2] = {0, 0};
};

int steps_count(const ArithmeticLab& lab) {
    const Settings& s = lab.settings;
    if (!lab.geometry.message.empty()) return 0;
    return s.transposed ? s.input_rows * s.input_cols : lab.geometry.out_rows * lab.geometry.out_cols;
}
int step_cols(const ArithmeticLab& lab) { return lab.settings.transposed ? lab.settings.input_cols : lab.geometry.out_cols; }

Geometry compute_geometry(const Settings& s) {
    Geometry g;
    const bool one_d = s.dims == 1;
    const int H = one_d ? 1 : s.input_rows, W = s.input_cols;
    g.rows = one_d ? make_conv_axis(1, 1, 1, 1, PaddingMode::valid, 0)
                   : make_conv_axis(H, s.kernel, s.stride, s.dilation, s.padding_mode, s.padding);
    g.cols = make_conv_axis(W, s.kernel, s.stride, s.dilation, s.padding_mode, s.padding);
    Status st;
    if (s.transposed) {
        g.formula_rows = conv_transpose_output_size_formula(H, g.rows);
        g.formula_cols = conv_transpose_output_size_formula(W, g.cols);
        g.formula_short = "";
        if (s.padding_mode != PaddingMode::number) {
            st = error_status("a transposed convolution takes its padding as a number (the cells cropped from each "
                              "border), not \"valid\", \"same\" or \"full\"");
        } else {
            st = conv_transpose_axis_targets(g.taps_rows, H, g.rows, "rows");
            if (st.ok()) st = conv_transpose_axis_targets(g.taps_cols, W, g.cols, one_d ? "values" : "columns");
        }
        if (st.ok()) {
            g.out_rows = int(conv_transpose_output_size(H, g.rows, 0));
            g.out_cols = int(conv_transpose_output_size(W, g.cols, 0));
        }
    } else {
        g.formula_rows = conv_output_size_formula(H, g.rows);
        g.formula_cols = conv_output_size_formula(W, g.cols);
        g.formula_short = valid_output_size_formula(W, s.kernel);
        st = conv_axis_taps(g.taps_rows, H, g.rows, "rows");
        if (st.ok()) st = conv_axis_taps(g.taps_cols, W, g.cols, one_d ? "values" : "columns");
        if (st.ok()) {
            g.out_rows = int(conv_output_size(H, g.rows));
            g.out_cols = int(conv_output_size(W, g.cols));
        }
    }
    if (!st.ok()) {
        g.message = "No output: " + st.message + ".";
        g.taps_rows.clear();
        g.taps_cols.clear();
        g.out_rows = g.out_cols = 0;
    }
    return g;
}

void recompute(ArithmeticLab& lab) {
    if (lab.computed && lab.settings == lab.computed_for) return;
    lab.geometry = compute_geometry(lab.settings);
    lab.computed_for = lab.settings;
    lab.computed = true;
    lab.step = std::clamp(lab.step, 0, std::max(steps_count(lab) - 1, 0));
}

ArithmeticLab make_lab() {
    ArithmeticLab lab;
    recompute(lab);
    return lab;
}

ArithmeticLab g_lab = make_lab();

// ---------------------------------------------------------------------------------------------
// Presets: the cases of Dumoulin & Visin's guide.

struct Preset {
    const char* id;
    const char* name;
    Settings settings;
    const char* what;
};

Settings preset_settings(int H, int k, int s, PaddingMode mode, int p, int d, bool transposed) {
    Settings x;
    x.input_rows = x.input_cols = H;
    x.kernel = k;
    x.stride = s;
    x.padding_mode = mode;
    x.padding = p;
    x.dilation = d;
    x.transposed = transposed;
    return x;
}

const std::vector<Preset>& presets() {
    static const std::vector<Preset> list = {
        {"valid", "Valid", preset_settings(5, 3, 1, PaddingMode::valid, 0, 1, false), "no padding: the window stays inside, the output shrinks by k-1"},
        {"same", "Same", preset_settings(5, 3, 1, PaddingMode::same, 0, 1, false), "just enough zeros that the output is as big as the input"},
        {"full", "Full", preset_settings(5, 3, 1, PaddingMode::full, 0, 1, false), "every position where the window touches the input at all: the output grows by k-1"},
        {"strided", "Strided", preset_settings(5, 3, 2, PaddingMode::number, 1, 1, false), "the window jumps 2 cells: about half the outputs in each direction"},
        {"dilated", "Dilated", preset_settings(7, 3, 1, PaddingMode::number, 0, 2, false), "gaps between the taps: a 3x3 kernel spans 5x5 cells"},
        {"transposed", "Transposed", preset_settings(3, 3, 2, PaddingMode::number, 0, 1, true), "each input cell scatters a copy of the kernel, 2 cells apart: 3x3 grows to 7x7"},
    };
    return list;
}

// ---------------------------------------------------------------------------------------------
// The exercise.

json exercise_setup(const Settings& s) {
    return {{"kind", s.transposed ? "transposed" : "convolution"}, {"dims", s.dims},
            {"input", {s.dims == 1 ? 1 : s.input_rows, s.input_cols}}, {"kernel", s.kernel}, {"stride", s.stride},
            {"padding", padding_json(s.padding_mode, s.padding)}, {"dilation", s.dilation}};
}

// Random settings with an output of at most 12 a side. The same seed gives the same exercise.
void new_exercise(ArithmeticLab& lab, uint64_t seed) {
    Rng rng(seed);
    for (int attempt = 0; attempt < 1000; attempt++) {
        Settings s;
        s.dims = rng.uniform() < 0.25f ? 1 : 2;
        s.transposed = rng.uniform() < 0.3f;
        if (s.transposed) {
            s.input_rows = rng.uniform_int(2, 5);
            s.input_cols = rng.uniform() < 0.5f ? s.input_rows : rng.uniform_int(2, 5);
            s.kernel = rng.uniform_int(2, 4);
            s.stride = rng.uniform_int(1, 3);
            s.padding = rng.uniform_int(0, 1);
            s.dilation = rng.uniform() < 0.2f ? 2 : 1;
        } else {
            s.input_rows = rng.uniform_int(4, 12);
            s.input_cols = rng.uniform() < 0.5f ? s.input_rows : rng.uniform_int(4, 12);
            s.kernel = rng.uniform_int(1, 5);
            s.stride = rng.uniform() < 0.5f ? 1 : rng.uniform_int(2, 3);
            s.padding = rng.uniform_int(0, 2);
            s.dilation = rng.uniform() < 0.25f ? 2 : 1;
        }
        if (s.dims == 1) s.input_rows = 1;
        Geometry g = compute_geometry(s);
        if (!g.message.empty() || g.out_rows > 12 || g.out_cols > 12) continue;
        lab.settings = s;
        break;
    }
    recompute(lab);
    lab.record.start(exercise_setup(lab.settings), seed, lab.pending);
    lab.attempted = false;
    lab.step = 0;
    lab.typed[0] = lab.typed[1] = 0;
}

// ---- The mistakes an output size draws, each as the size it gives along one axis: I the input's
// size, k the kernel, s the stride, p the padding on each side, d the dilation.
struct AxisNumbers {
    int64_t I, k, s, p, d;
};
int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }  // floor_div: engine/conv_arithmetic.h

struct SizeMistake {
    const char* id;
    int64_t (*convolution)(const AxisNumbers& a);  // the size it gives for a convolution
    int64_t (*transposed)(const AxisNumbers& a);   // ... and for a transposed convolution
    const char* words;                             // what went wrong, before the right sum
};

const SizeMistake kSizeMistakes[] = {
    {"forgot-plus-one",
     [](const AxisNumbers& a) { return floor_div(a.I + 2 * a.p - a.d * (a.k - 1) - 1, a.s); },
     [](const AxisNumbers& a) { return (a.I - 1) * a.s - 2 * a.p + a.d * (a.k - 1); },
     "You left out the + 1: the formula counts the steps between the first and the last position, and the first one counts too"},
    {"padding-one-side",
     [](const AxisNumbers& a) { return floor_div(a.I + a.p - a.d * (a.k - 1) - 1, a.s) + 1; },
     [](const AxisNumbers& a) { return (a.I - 1) * a.s - a.p + a.d * (a.k - 1) + 1; },
     "You counted the padding on one side only: p zeros go on each side, 2p in all"},
    {"dilation-ignored",
     [](const AxisNumbers& a) { return floor_div(a.I + 2 * a.p - (a.k - 1) - 1, a.s) + 1; },
     [](const AxisNumbers& a) { return (a.I - 1) * a.s - 2 * a.p + (a.k - 1) + 1; },
     "You left out the dilation: a dilated kernel spans d(k-1) + 1 cells, not k"},
    {"stride-ignored",
     [](const AxisNumbers& a) { return a.I + 2 * a.p - a.d * (a.k - 1); },
     [](const AxisNumbers& a) { return (a.I - 1) - 2 * a.p + a.d * (a.k - 1) + 1; },
     "You left out the stride: the window jumps s cells at a time"},
    {"rounded-up",
     [](const AxisNumbers& a) { return ceil_div(a.I + 2 * a.p - a.d * (a.k - 1) - 1, a.s) + 1; },
     [](const AxisNumbers&) { return int64_t(-1); },
     "You rounded up: a window that would run past the padded input is not there, so the division rounds down"},
    {"wrong-formula",
     [](const AxisNumbers& a) { return (a.I - 1) * a.s - 2 * a.p + a.d * (a.k - 1) + 1; },
     [](const AxisNumbers& a) { return floor_div(a.I + 2 * a.p - a.d * (a.k - 1) - 1, a.s) + 1; },
     "You used the other direction's formula: a convolution shrinks by floor((I + 2p - d(k-1) - 1)/s) + 1, a transposed "
     "convolution grows by (I-1)s - 2p + d(k-1) + 1"},
};

// The right sum with the exercise's numbers: "floor((6 + 2*1 - 1*(3-1) - 1) / 1) + 1 = 6", for both axes when they differ.
std::string size_sum(const ArithmeticLab& lab) {
    const Geometry& g = lab.geometry;
    return lab.settings.dims == 1 || g.formula_rows == g.formula_cols ? g.formula_cols
                                                                       : g.formula_rows + " rows and " + g.formula_cols + " columns";
}

// Each named mistake with the answer it gives for this exercise (null where it gives the right one).
std::vector<MistakeAnswer> size_mistakes(const ArithmeticLab& lab) {
    const Settings& s = lab.settings;
    const Geometry& g = lab.geometry;
    const bool one_d = s.dims == 1;
    const AxisNumbers rows{one_d ? 1 : s.input_rows, s.kernel, s.stride, s.padding, s.dilation};
    const AxisNumbers cols{s.input_cols, s.kernel, s.stride, s.padding, s.dilation};
    const json right = one_d ? json(g.out_cols) : json{g.out_rows, g.out_cols};
    std::vector<MistakeAnswer> list;
    for (const SizeMistake& m : kSizeMistakes) {
        const auto size = s.transposed ? m.transposed : m.convolution;
        const int64_t r = size(rows), c = size(cols);
        json answer = one_d ? json(c) : json{r, c};
        if ((!one_d && r < 0) || c < 0 || answer == right) answer = nullptr;
        list.push_back({m.id, answer, std::string(m.words) + "."});
    }
    return list;
}

// The hint ladder: the rule, the first step (the span and the padded size, or (I-1)s), all but the
// last step (the +1).
HintLadder size_hints(const ArithmeticLab& lab) {
    const Settings& s = lab.settings;
    const bool one_d = s.dims == 1;
    const int64_t span = int64_t(s.dilation) * (s.kernel - 1) + 1;
    auto both = [&](auto per_axis) {  // "7" in 1D or for a square input, else "7 (rows) and 9 (columns)"
        const std::string r = per_axis(int64_t(one_d ? 1 : s.input_rows)), c = per_axis(int64_t(s.input_cols));
        return one_d || r == c ? c : r + " for the rows and " + c + " for the columns";
    };
    if (s.transposed) {
        const int64_t crop = 2 * int64_t(s.padding);
        return {"A transposed convolution enlarges: O = (I-1)s - 2p + d(k-1) + 1, where I is the input's size, s the stride "
                "(how far apart the input cells land), p the padding cropped from each side, k the kernel and d the dilation.",
                "The input's cells land s = " + std::to_string(s.stride) + " apart: (I-1)s = " +
                    both([&](int64_t I) { return std::to_string((I - 1) * s.stride); }) + ". The kernel then reaches d(k-1) = " +
                    std::to_string(span - 1) + " further.",
                "(I-1)s - 2p + d(k-1) = " + both([&](int64_t I) { return std::to_string((I - 1) * s.stride - crop + span - 1); }) +
                    ". One step is left: the first cell itself."};
    }
    const int64_t pad = lab.geometry.cols.pad_before + lab.geometry.cols.pad_after;
    return {"Along each axis O = floor((I + 2p - d(k-1) - 1)/s) + 1: I is the input's size, p the zeros on each side, "
            "k the kernel, d the dilation (the gap between taps) and s the stride (the window's step).",
            "The kernel spans d(k-1) + 1 = " + std::to_string(span) + " cells, and the padded input has I + 2p = " +
                both([&](int64_t I) { return std::to_string(I + pad); }) + " cells.",
            "The window's first position is at 0 and its last start at " + both([&](int64_t I) { return std::to_string(I + pad - span); }) +
                "; it moves " + std::to_string(s.stride) + " at a time, so floor((I + 2p - d(k-1) - 1)/s) = " +
                both([&](int64_t I) { return std::to_string(floor_div(I + pad - span, s.stride)); }) + ". One step is left."};
}

// Checks a predicted shape (rows is ignored in 1D). The UI and the "answer" command both come here.
std::string check_answer(ArithmeticLab& lab, int rows, int cols) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    const Settings& s = lab.settings;
    const Geometry& g = lab.geometry;
    const bool one_d = s.dims == 1;
    const bool right = one_d ? cols == g.out_cols : (rows == g.out_rows && cols == g.out_cols);
    const json expected = one_d ? json(g.out_cols) : json{g.out_rows, g.out_cols};
    const json given = one_d ? json(cols) : json{rows, cols};
    std::string feedback;
    const std::string rule = s.transposed ? "(I-1)s - 2p + d(k-1) + 1" : "floor((I + 2p - d(k-1) - 1)/s) + 1";
    if (right) {
        feedback = "Right: " + size_sum(lab) + ".";
    } else {
        std::string where = one_d ? g.formula_cols
                          : rows != g.out_rows && cols != g.out_cols ? g.formula_rows + " rows and " + g.formula_cols + " columns"
                          : rows != g.out_rows                      ? "the rows are " + g.formula_rows
                                                                    : "the columns are " + g.formula_cols;
        feedback = "Not quite: with " + rule + ", " + where + ".";
    }
    lab.attempted = true;
    json mistake = right ? json(nullptr) : name_mistake(given, expected, size_mistakes(lab), feedback);
    if (!right && mistake["id"] != "other") {  // the mistake's words (each mistake's, when two give this answer), then the right sum once
        mistake["text"] = mistake["text"].get<std::string>() + " The right sum: " + size_sum(lab) + ".";
        feedback = mistake["text"].get<std::string>();
    }
    lab.record.checked(right, expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State to and from JSON.

// An integer from a JSON value, with a range, for the parts of "input" and "answer".
std::string read_whole(const json& v, const std::string& what, int lo, int hi, int& out) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() != std::floor(v.get<double>()) ||
        v.get<double>() < lo || v.get<double>() > hi)
        return what + " must be a whole number between " + std::to_string(lo) + " and " + std::to_string(hi);
    out = int(v.get<double>());
    return "";
}

// "input": [rows, cols] (each 1..16), or a number: the length in 1D, a square in 2D.
std::string read_input(const json& f, Settings& s) {
    if (!f.contains("input")) return "";
    const json& v = f["input"];
    std::string e;
    if (v.is_number()) {
        if (!(e = read_whole(v, "\"input\"", 1, kMaxInput, s.input_cols)).empty()) return e;
        if (s.dims == 2) s.input_rows = s.input_cols;  // a square input
    } else if (v.is_array() && v.size() == 2) {
        if (!(e = read_whole(v[0], "\"input\" rows", 1, kMaxInput, s.input_rows)).empty()) return e;
        if (!(e = read_whole(v[1], "\"input\" columns", 1, kMaxInput, s.input_cols)).empty()) return e;
        if (s.dims == 1 && s.input_rows != 1) return "\"input\" in 1D mode is one row: [1, length] or a number";
    } else {
        return "\"input\" must be [rows, cols] (each 1 to 16), or a number";
    }
    return "";
}

const Field<Settings> kSettingFields[] = {
    whole_field("dims", &Settings::dims, 1, 2),
    {"input", read_input, [](const Settings& s) { return json{s.dims == 1 ? 1 : s.input_rows, s.input_cols}; }},
    whole_field("kernel", &Settings::kernel, 1, kMaxKernel),
    whole_field("stride", &Settings::stride, 1, kMaxStride),
    {"padding", [](const json& f, Settings& s) { return read_padding(f, 0, kMaxPadding, s.padding_mode, s.padding); },
     [](const Settings& s) { return padding_json(s.padding_mode, s.padding); }},
    whole_field("dilation", &Settings::dilation, 1, kMaxDilation),
    flag_field("transposed", &Settings::transposed),
};

// The input cells the current output cell reads (convolution), or the output cells the current
// input cell adds into (transposed; those the padding crops left out).
json current_cells(const ArithmeticLab& lab) {
    const Settings& s = lab.settings;
    const Geometry& g = lab.geometry;
    json cells = json::array();
    if (steps_count(lab) == 0) return cells;
    const int sc = std::max(step_cols(lab), 1), r = lab.step / sc, c = lab.step % sc, KH = g.rows.kernel, KW = g.cols.kernel;
    for (int ky = 0; ky < KH; ky++)
        for (int kx = 0; kx < KW; kx++) {
            const int y = g.taps_rows[size_t(r * KH + ky)], x = g.taps_cols[size_t(c * KW + kx)];
            if (s.transposed && (y < 0 || y >= g.out_rows || x < 0 || x >= g.out_cols)) continue;  // cropped
            cells.push_back({y, x});
        }
    return cells;
}

// The animation.
const Field<ArithmeticLab> kViewFields[] = {
    flag_field("playing", &ArithmeticLab::playing),
    number_field("speed", &ArithmeticLab::speed, 0.25f, 10.0f),
};

const Output<ArithmeticLab> kOutputs[] = {
    {"padding_sides", [](const ArithmeticLab& lab) {
         const Geometry& g = lab.geometry;
         return json{{"top", g.rows.pad_before}, {"bottom", g.rows.pad_after}, {"left", g.cols.pad_before}, {"right", g.cols.pad_after}};
     }},
    {"output_size", [](const ArithmeticLab& lab) {
         const Geometry& g = lab.geometry;
         return g.message.empty() ? json{g.out_rows, g.out_cols} : json(nullptr);
     }},
    {"message", [](const ArithmeticLab& lab) { return text_or_null(lab.geometry.message); }},
    {"formula", [](const ArithmeticLab& lab) {
         const Geometry& g = lab.geometry;
         return json{{"rows", g.formula_rows}, {"cols", g.formula_cols},
                     {"short", text_or_null(g.formula_short)}};
     }},
    {"position", [](const ArithmeticLab& lab) {
         const int sc = std::max(step_cols(lab), 1);
         return json{lab.step / sc, lab.step % sc};
     }},
    {"reads", [](const ArithmeticLab& lab) { return lab.settings.transposed ? json(nullptr) : current_cells(lab); }},
    {"writes", [](const ArithmeticLab& lab) { return lab.settings.transposed ? current_cells(lab) : json(nullptr); }},
};

json arithmetic_state() {
    json state;
    write_fields(state, kSettingFields, g_lab.settings);
    write_fields(state, kViewFields, g_lab);
    write_outputs(state, kOutputs, g_lab);
    g_lab.record.write(state);
    return state;
}

std::string apply_command(ArithmeticLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, kViewFields, {"reset", "preset", "position", "step", "new_exercise", "seed", "hint", "answer"},
                                      kOutputs);
        !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) lab = make_lab();

    // 1. The settings. Any change leaves an exercise: the student is exploring again.
    Settings s = lab.settings;
    std::string preset;
    if (!(e = read_string(f, "preset", preset)).empty()) return e;
    if (!preset.empty()) {
        const Preset* found = nullptr;
        for (const Preset& p : presets()) if (preset == p.id) found = &p;
        if (!found) return "no preset \"" + preset.substr(0, 30) + "\"; try: valid, same, full, strided, dilated, transposed";
        const int dims = s.dims;
        s = found->settings;
        s.dims = dims;
        if (dims == 1) s.input_rows = 1;
    }
    if (!(e = read_fields(f, kSettingFields, s)).empty()) return e;
    if (s.dims == 1) s.input_rows = 1;
    else if (lab.settings.dims == 1 && !f.contains("input")) s.input_rows = s.input_cols;  // back to 2D: a square
    if (!(s == lab.settings)) {
        lab.settings = s;
        lab.record.close();
        lab.attempted = false;
    }
    recompute(lab);

    // 2. The animation.
    if (!(e = read_fields(f, kViewFields, lab)).empty()) return e;
    const int n = steps_count(lab), sc = std::max(step_cols(lab), 1);
    if (f.contains("position")) {
        int r = 0, c = 0;
        if (!(e = read_position(f["position"], "position", r, c)).empty()) return e;
        const int rows = n / sc;
        if (n == 0 && (r != 0 || c != 0)) return "there is no output, so no cell to show: " + lab.geometry.message;
        if (n > 0 && (r < 0 || r >= rows || c < 0 || c >= sc))
            return "position [" + std::to_string(r) + ", " + std::to_string(c) + "] is outside the " +
                   (lab.settings.transposed ? "input (" : "output (") + std::to_string(rows) + " x " + std::to_string(sc) + ")";
        lab.step = r * sc + c;
        lab.playing = f.contains("playing") ? lab.playing : false;
    }
    int steps = 0;
    if (!(e = read_int(f, "step", -100000, 100000, steps)).empty()) return e;
    if (steps && n > 0) lab.step = std::clamp(lab.step + steps, 0, n - 1);

    // 3. The exercise.
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, size_hints)).empty()) return e;
    if (f.contains("answer")) {
        const json& a = f["answer"];
        const bool one_d = lab.settings.dims == 1;
        int rows = 1, cols = 0;
        const char* shape = one_d ? "a number (the output's length), or [length]" : "[rows, cols], two whole numbers";
        if (one_d && a.is_number()) {
            if (!(e = read_whole(a, "\"answer\"", -10000, 10000, cols)).empty()) return e;
        } else if (a.is_array() && a.size() == (one_d ? 1u : 2u)) {
            if (!one_d && !(e = read_whole(a[0], "\"answer\" rows", -10000, 10000, rows)).empty()) return e;
            if (!(e = read_whole(a[one_d ? 0 : 1], "\"answer\" columns", -10000, 10000, cols)).empty()) return e;
        } else {
            return std::string("\"answer\" must be ") + shape;
        }
        if (!(e = check_answer(lab, rows, cols)).empty()) return e;
    }
    return "";
}

std::string arithmetic_command(const json& fields) { return command_on_copy("arithmetic", g_lab, fields, apply_command); }

// ---------------------------------------------------------------------------------------------
// Drawing.

const ImU32 kInputColor = IM_COL32(62, 112, 178, 255);     // input cells (blue, as in Dumoulin & Visin)
const ImU32 kPaddingColor = IM_COL32(42, 42, 50, 255);     // padding zeros / cropped border
const ImU32 kTapColor = IM_COL32(232, 190, 60, 255);       // cells the current window reads
const ImU32 kWindowColor = IM_COL32(255, 200, 40, 255);    // outline of the current cell
const ImU32 kOutputColor = IM_COL32(40, 165, 140, 255);    // output cells already made
const ImU32 kEmptyColor = IM_COL32(36, 36, 44, 255);       // output cells not made yet

void draw_settings(ArithmeticLab& lab) {
    Settings& s = lab.settings;
    ImGui::TextDisabled("EXAMPLES");
    int i = 0;
    for (const Preset& p : presets()) {
        const bool second = i++ % 2;  // two buttons a row, sharing the width
        if (second) ImGui::SameLine();
        const float avail = ImGui::GetContentRegionAvail().x;
        const float width = second ? avail : (avail - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
        if (ImGui::Button(p.name, ImVec2(width, 0))) {
            const int dims = s.dims;
            s = p.settings;
            s.dims = dims;
            if (dims == 1) s.input_rows = 1;
            lab.step = 0;
            lab.playing = true;
        }
        ui_anchor(std::string("preset-") + p.id);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", p.what);
    }
    ImGui::Separator();
    ImGui::TextDisabled("SETTINGS");
    bool one_d = s.dims == 1;
    if (ImGui::Checkbox("1D: one row of cells", &one_d)) {
        s.dims = one_d ? 1 : 2;
        s.input_rows = one_d ? 1 : s.input_cols;
    }
    const float w = ImGui::GetFontSize() * 7;
    ImGui::SetNextItemWidth(w);
    if (one_d) {
        ImGui::SliderInt("length", &s.input_cols, 1, kMaxInput);
    } else {
        int size[2] = {s.input_rows, s.input_cols};
        if (ImGui::SliderInt2("input rows, cols", size, 1, kMaxInput)) { s.input_rows = size[0]; s.input_cols = size[1]; }
    }
    ImGui::SetNextItemWidth(w);
    ImGui::SliderInt("kernel k", &s.kernel, 1, kMaxKernel);
    ImGui::SetNextItemWidth(w);
    ImGui::SliderInt("stride s", &s.stride, 1, kMaxStride);
    const char* modes[] = {"number", "valid (0)", "same", "full"};
    int mode = int(s.padding_mode);
    ImGui::SetNextItemWidth(w);
    if (ImGui::Combo("padding", &mode, modes, s.transposed ? 1 : 4)) s.padding_mode = PaddingMode(mode);
    if (s.padding_mode == PaddingMode::number) {
        ImGui::SetNextItemWidth(w);
        ImGui::SliderInt("zeros p", &s.padding, 0, kMaxPadding);
    }
    ImGui::SetNextItemWidth(w);
    ImGui::SliderInt("dilation d", &s.dilation, 1, kMaxDilation);
    if (ImGui::Checkbox("Transposed", &s.transposed) && s.transposed && s.padding_mode != PaddingMode::number) {
        s.padding_mode = PaddingMode::number;
        s.padding = 0;
    }
    ImGui::SameLine();
    help_marker("A transposed convolution runs the arrows backwards: each input cell adds a copy of the kernel, "
                "scaled by its value, into the output, s cells further along for each step in the input. "
                "Padding p then crops p cells from each border. It enlarges: 'upsampling' in decoders.");
    s.input_rows = std::clamp(s.input_rows, 1, kMaxInput);
    s.input_cols = std::clamp(s.input_cols, 1, kMaxInput);
    s.kernel = std::clamp(s.kernel, 1, kMaxKernel);
    s.stride = std::clamp(s.stride, 1, kMaxStride);
    s.padding = std::clamp(s.padding, 0, kMaxPadding);
    s.dilation = std::clamp(s.dilation, 1, kMaxDilation);
    if (s.dims == 1) s.input_rows = 1;
}

// The input (with its padding) and the output, side by side, for a convolution.
void draw_convolution(ArithmeticLab& lab, float cell, bool hide_output) {
    const Settings& s = lab.settings;
    const Geometry& g = lab.geometry;
    const int H = s.dims == 1 ? 1 : s.input_rows, W = s.input_cols;
    const int pt = g.rows.pad_before, pb = g.rows.pad_after, pl = g.cols.pad_before, pr = g.cols.pad_after;
    const int rows = H + pt + pb, cols = W + pl + pr;
    const int OH = g.out_rows, OW = g.out_cols, KH = g.rows.kernel, KW = g.cols.kernel;
    const int oy = OW ? lab.step / OW : 0, ox = OW ? lab.step % OW : 0;
    std::vector<int> tap_at(size_t(rows * cols), -1);  // (rows, cols): tap number of the window there, padded coordinates
    if (g.message.empty())
        for (int ky = 0; ky < KH; ky++)
            for (int kx = 0; kx < KW; kx++) {
                const int r = g.taps_rows[size_t(oy * KH + ky)] + pt, c = g.taps_cols[size_t(ox * KW + kx)] + pl;
                if (r >= 0 && r < rows && c >= 0 && c < cols) tap_at[size_t(r * cols + c)] = ky * KW + kx;
            }
    ImGui::BeginGroup();
    ImGui::Text("Input %d x %d%s", H, W, pt + pb + pl + pr ? " + padding" : "");
    draw_grid("input", rows, cols, cell, [&](int r, int c) {
        GridCell gc;
        const bool inside = r >= pt && r < pt + H && c >= pl && c < pl + W;
        const int t = tap_at[size_t(r * cols + c)];
        gc.fill = t >= 0 ? kTapColor : inside ? kInputColor : kPaddingColor;
        gc.dashed = !inside;
        if (t >= 0) { gc.border = kWindowColor; gc.text = cell >= 22 ? "w" + std::to_string(t) : ""; }
        return gc;
    });
    ui_anchor("input-grid");
    ImGui::EndGroup();
    ImGui::SameLine(0, cell * 1.5f);
    ImGui::BeginGroup();
    if (!g.message.empty()) {
        ImGui::Text("Output");
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + ImGui::GetFontSize() * 16);
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", g.message.c_str());
        ImGui::PopTextWrapPos();
    } else if (hide_output) {
        ImGui::Text("Output: ? x ?");
        draw_grid("output-hidden", 1, 1, cell * 2, [](int, int) { return GridCell{"?", kEmptyColor}; });
    } else {
        ImGui::Text("Output %d x %d", OH, OW);
        GridResult out = draw_grid("output", OH, OW, cell, [&](int r, int c) {
            GridCell gc;
            const int index = r * OW + c;
            gc.fill = index <= lab.step ? kOutputColor : kEmptyColor;
            if (index == lab.step) gc.border = kWindowColor;
            return gc;
        });
        ui_anchor("output-grid");
        if (out.clicked) { lab.step = out.hover_row * OW + out.hover_col; lab.playing = false; }
    }
    ImGui::EndGroup();
}

// A transposed convolution: the input, and the output each input cell scatters its kernel into,
// with the border the padding crops drawn dashed. Numbers: how many products each cell has added so far.
void draw_transposed(ArithmeticLab& lab, float cell, bool hide_output) {
    const Settings& s = lab.settings;
    const Geometry& g = lab.geometry;
    const int H = s.dims == 1 ? 1 : s.input_rows, W = s.input_cols;
    const int KH = g.rows.kernel, KW = g.cols.kernel;
    const int iy = lab.step / std::max(W, 1), ix = lab.step % std::max(W, 1);
    ImGui::BeginGroup();
    ImGui::Text("Input %d x %d", H, W);
    GridResult in = draw_grid("input", H, W, cell, [&](int r, int c) {
        GridCell gc;
        const int index = r * W + c;
        gc.fill = index == lab.step && g.message.empty() ? kTapColor : kInputColor;
        if (index == lab.step) gc.border = kWindowColor;
        return gc;
    });
    ui_anchor("input-grid");
    if (in.clicked) { lab.step = in.hover_row * W + in.hover_col; lab.playing = false; }
    ImGui::EndGroup();
    ImGui::SameLine(0, cell * 1.5f);
    ImGui::BeginGroup();
    if (!g.message.empty()) {
        ImGui::Text("Output");
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + ImGui::GetFontSize() * 16);
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", g.message.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndGroup();
        return;
    }
    if (hide_output) {
        ImGui::Text("Output: ? x ?");
        draw_grid("output-hidden", 1, 1, cell * 2, [](int, int) { return GridCell{"?", kEmptyColor}; });
        ImGui::EndGroup();
        return;
    }
    // The canvas before cropping: pad_before cells before the output and pad_after after it.
    const int pt = g.rows.pad_before, pl = g.cols.pad_before;
    const int rows = g.out_rows + pt + g.rows.pad_after, cols = g.out_cols + pl + g.cols.pad_after;
    std::vector<int> count(size_t(rows * cols), 0);   // (rows, cols) products added so far, canvas coordinates
    std::vector<int> current(size_t(rows * cols), -1);  // (rows, cols) tap of the current input cell there
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            if (y * W + x > lab.step) continue;
            for (int ky = 0; ky < KH; ky++)
                for (int kx = 0; kx < KW; kx++) {
                    const int r = g.taps_rows[size_t(y * KH + ky)] + pt, c = g.taps_cols[size_t(x * KW + kx)] + pl;
                    count[size_t(r * cols + c)]++;
                    if (y == iy && x == ix) current[size_t(r * cols + c)] = ky * KW + kx;
                }
        }
    ImGui::Text("Output %d x %d%s", g.out_rows, g.out_cols, pt + pl + g.rows.pad_after + g.cols.pad_after ? " (dashed: cropped by the padding)" : "");
    draw_grid("output", rows, cols, cell, [&](int r, int c) {
        GridCell gc;
        const bool inside = r >= pt && r < pt + g.out_rows && c >= pl && c < pl + g.out_cols;
        const int n = count[size_t(r * cols + c)], t = current[size_t(r * cols + c)];
        gc.dashed = !inside;
        gc.fill = t >= 0 ? kTapColor : n == 0 ? (inside ? kEmptyColor : kPaddingColor)
                                             : IM_COL32(40, std::min(120 + 30 * n, 230), std::min(100 + 25 * n, 200), 255);
        if (t >= 0) gc.border = kWindowColor;
        if (n > 0 && cell >= 16) gc.text = std::to_string(n);
        return gc;
    });
    ui_anchor("output-grid");
    ImGui::TextDisabled("numbers: products added into each cell so far");
    ImGui::EndGroup();
}

void draw_formula(const ArithmeticLab& lab, bool hide_numbers) {
    const Settings& s = lab.settings;
    const Geometry& g = lab.geometry;
    ImGui::TextDisabled("OUTPUT SIZE");
    ImGui::SameLine();
    if (s.transposed) {
        help_marker("Transposed: O = (I-1)s - 2p + d(k-1) + 1. The input's I cells land s apart, the last one's "
                    "kernel reaches d(k-1) further, and p cells are cropped from each side.");
        ImGui::Text("O = (I-1)s - 2p + d(k-1) + 1");
    } else {
        help_marker("Along each axis: O = floor((I + 2p - d(k-1) - 1)/s) + 1. The window spans d(k-1)+1 cells of the "
                    "I + 2p padded ones and moves s at a time. With no padding, stride 1 and no dilation: Y = I - k + 1.");
        ImGui::Text("O = floor((I + 2p - d(k-1) - 1)/s) + 1");
    }
    if (hide_numbers) {
        ImGui::TextDisabled("(the numbers appear once you have answered)");
        return;
    }
    if (s.dims == 2) ImGui::Text("rows:    %s", g.formula_rows.c_str());
    ImGui::Text("%s %s", s.dims == 1 ? "length:" : "columns:", g.formula_cols.c_str());
    if (!s.transposed) {
        const bool plain = s.stride == 1 && s.dilation == 1 && g.cols.pad_before == 0 && g.cols.pad_after == 0;
        ImGui::Text("%s%s", g.formula_short.c_str(), plain ? "   (valid, stride 1: the same)" : "   (only without padding, stride, dilation)");
    }
}

void draw_exercise(ArithmeticLab& lab) {
    ImGui::Separator();
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) new_exercise(lab, fresh_seed());
    if (!lab.record.open()) return;
    const Settings& s = lab.settings;
    ImGui::Text("Predict the output's %s for these settings:", s.dims == 1 ? "length" : "shape (rows x columns)");
    ImGui::Text("%s, input %s%d, k = %d, s = %d, p = %d, d = %d", s.transposed ? "transposed convolution" : "convolution",
                s.dims == 1 ? "" : (std::to_string(s.input_rows) + " x ").c_str(), s.input_cols, s.kernel, s.stride, s.padding, s.dilation);
    const float w = ImGui::GetFontSize() * 6;
    if (s.dims == 2) {
        ImGui::SetNextItemWidth(w);
        ImGui::InputInt("rows##answer", &lab.typed[0]);
        ui_anchor("answer");
        ImGui::SameLine();
    }
    ImGui::SetNextItemWidth(w);
    ImGui::InputInt(s.dims == 2 ? "cols##answer" : "length##answer", &lab.typed[1]);
    ui_anchor(s.dims == 2 ? "answer-cols" : "answer");
    ImGui::SameLine();
    bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (check) (void)check_answer(lab, lab.typed[0], lab.typed[1]);
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) lab.record.give_hint(size_hints(lab), lab.pending);
}

void arithmetic_draw() {
    ArithmeticLab& lab = g_lab;
    recompute(lab);
    lab_intro("Convolution arithmetic",
              "The output's size depends only on the geometry: input size I, kernel k, stride s, padding p "
              "and dilation d. Watch which input cells (yellow) each output cell reads, and how a transposed "
              "convolution runs the same arrows backwards to enlarge.");

    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 17, 0), true);
    const Settings before = lab.settings;
    draw_settings(lab);
    if (!(lab.settings == before)) {  // the student changed the set-up: exploring again
        lab.record.close();
        lab.attempted = false;
    }
    ImGui::EndChild();
    recompute(lab);
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    const Settings& s = lab.settings;
    const Geometry& g = lab.geometry;
    const bool hide = lab.record.open() && !lab.attempted;
    const int H = s.dims == 1 ? 1 : s.input_rows;
    int left_cols = s.transposed ? s.input_cols : s.input_cols + g.cols.pad_before + g.cols.pad_after;
    int left_rows = s.transposed ? H : H + g.rows.pad_before + g.rows.pad_after;
    int right_cols = s.transposed ? g.out_cols + g.cols.pad_before + g.cols.pad_after : g.out_cols;
    int right_rows = s.transposed ? g.out_rows + g.rows.pad_before + g.rows.pad_after : g.out_rows;
    if (hide || !g.message.empty()) right_cols = right_rows = 2;
    if (std::max({left_cols, left_rows, right_cols, right_rows}) > kMaxDrawn) {
        ImGui::TextWrapped("This output is too large to lay out cell by cell (more than %d a side); the formula below still holds.", kMaxDrawn);
    } else {
        const float avail = ImGui::GetContentRegionAvail().x;
        const float height = std::max(ImGui::GetContentRegionAvail().y * 0.55f, 120.0f);
        float cell = avail / float(left_cols + right_cols + 3);
        cell = std::min(cell, height / float(std::max({left_rows, right_rows, 1})));
        cell = std::clamp(cell, 6.0f, 44.0f);
        if (s.transposed) draw_transposed(lab, cell, hide);
        else draw_convolution(lab, cell, hide);
    }
    // The animation's controls.
    if (hide) {
        lab.step = 0;  // the first window only: the count of steps would give the answer away
        lab.playing = false;
    } else if (steps_count(lab) > 0) {
        if (ImGui::ArrowButton("previous", ImGuiDir_Left)) { lab.step = std::max(lab.step - 1, 0); lab.playing = false; }
        ImGui::SameLine();
        if (ImGui::ArrowButton("next", ImGuiDir_Right)) { lab.step = std::min(lab.step + 1, steps_count(lab) - 1); lab.playing = false; }
        ui_anchor("next");
        ImGui::SameLine();
        if (ImGui::Button(lab.playing ? "Pause" : "Play", ImVec2(ImGui::GetFontSize() * 4, 0))) { lab.playing = !lab.playing; lab.clock = 0; }
        ui_anchor("play");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        ImGui::SliderFloat("steps/s", &lab.speed, 0.25f, 10.0f, "%.2g", ImGuiSliderFlags_Logarithmic);
        ImGui::SameLine();
        ImGui::TextDisabled("%s cell %d of %d", s.transposed ? "input" : "output", lab.step + 1, steps_count(lab));
    }
    ImGui::Separator();
    draw_formula(lab, hide);
    draw_exercise(lab);
    ImGui::EndChild();

    if (lab.playing && steps_count(lab) > 0) {  // loops, like the animations it imitates
        lab.clock += ImGui::GetIO().DeltaTime;
        if (lab.clock >= 1.0f / lab.speed) {
            lab.clock = 0;
            lab.step = (lab.step + 1) % steps_count(lab);
        }
    }
    commit("arithmetic", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "arithmetic", .name = "Convolution arithmetic",
                    .summary = "Which input cells each output reads, and how big the output is.", .draw = arithmetic_draw,
                    .state = arithmetic_state, .command = arithmetic_command, .teaches = {"output-size", "Output size"});
