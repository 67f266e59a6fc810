// matrix.cpp — Lab "Convolution as a matrix" (the lesson's y = Cx, Toeplitz matrix).
//
// Flatten a small input into a column x: the convolution's output is then y = C x for one matrix C
// whose rows are the kernel's weights, shifted along (a Toeplitz matrix in 1D, doubly block
// Toeplitz in 2D). The same few weights repeat everywhere (weight sharing), coloured by which
// kernel weight they are; most entries are zeros. The im2col view copies each window into a row
// instead; the backward view shows that the input gradient is C^T dy, a transposed convolution.
// Exercise: fill in one row of C.
//
// Everything comes from the engine (engine/conv_matrix.h, engine/conv.h, ops.h): conv2d_matrix,
// im2col, matrix_times_vector, conv2d / conv1d, conv2d_backward_naive, conv_transpose2d_forward.
//
// API (window.cnnlab.command / state), besides {"lab": "matrix"}:
//   "dims"      1 or 2 (switching loads that mode's example unless "input"/"kernel" come too)
//   "input"     rows of numbers (2D up to 6x6, 1D one row up to 12), |values| <= 100
//   "kernel"    rows of numbers (2D up to 4x4, 1D up to 5)
//   "stride" 1..3, "padding" 0..2, "dilation" 1..3
//   "dy"        rows matching the output: the gradient for the backward view (default all ones)
//   "view"      "matrix" | "im2col" | "backward"
//   "row"       the output (row of C) highlighted, counted from 0 in reading order
//   "new_exercise" true (optional "seed": integer): a small problem; one row of C is hidden
//   "answer"    [values...]: that row of C, H*W numbers (input cells in reading order)
//   "reset"     true
// State adds: "output_size", "message" (why there is no output), "matrix" (rows of C), "taps"
// (rows: which kernel weight, ky*KW + kx, or -1), "x", "y" (= C x), "conv_output" (the engine's
// conv), "matches_conv", "im2col" (rows), "im2col_sources", "weights", "multiplies"
// {"dense", "nonzero", "window"}, "backward" {"dx_matrix", "dx_conv_backward",
// "dx_conv_transpose", "matches"}, "exercise" (null or {"dims", "input", "kernel", "stride",
// "padding", "dilation", "row", "seed"}), "score" {"answered", "correct"}, "last_answer" (null or
// {"correct", "expected", "given", "feedback", "wrong": [column indices]}).
// Events: "exercise-new", "answer" (after record_answer("matrix", correct)).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>

#include <imgui.h>

#include "../../engine/conv.h"
#include "../../engine/conv_matrix.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../widgets.h"

namespace {

constexpr int kMaxInput2d = 6, kMaxInput1d = 12;
constexpr int kMaxKernel2d = 4, kMaxKernel1d = 5;
constexpr int kMaxStride = 3, kMaxPadding = 2, kMaxDilation = 3;
constexpr float kValueLimit = 100.0f;

// ---------------------------------------------------------------------------------------------
// The state: one plain struct.

struct Problem {
    int dims = 2;
    Rows input;   // (H, W); 1D: one row
    Rows kernel;  // (KH, KW); 1D: one row
    int stride = 1, padding = 0, dilation = 1;
    bool operator==(const Problem&) const = default;
};

// Everything derived from the problem, by the engine.
struct Computed {
    std::string message;          // why there is no output ("" when there is)
    int H = 0, W = 0, KH = 0, KW = 0, OH = 0, OW = 0;
    Conv2dSpec spec;
    std::vector<float> C;         // C (OH*OW, H*W)
    std::vector<int> tap;         // tap (OH*OW, H*W): ky*KW + kx or -1
    std::vector<float> x;         // x (H*W) the input flattened
    std::vector<float> w;         // w (KH*KW) the kernel flattened
    std::vector<float> y;         // y (OH*OW) = C x
    std::vector<float> conv_out;  // (OH*OW) the engine's conv2d / conv1d
    std::vector<float> patches;   // patches (OH*OW, KH*KW) im2col
    std::vector<int> sources;     // sources (OH*OW, KH*KW) input index or -1
    std::vector<float> y_im2col;  // (OH*OW) = patches w
    ConvMatrixCounts counts;
    std::vector<float> dx_matrix;     // (H*W) = C^T dy
    std::vector<float> dx_backward;   // (H*W) the engine's conv2d input gradient
    std::vector<float> dx_transpose;  // (H*W) the engine's conv_transpose2d of dy
};

enum class View { matrix, im2col, backward };
constexpr Choice<View> kViews[] = {{View::matrix, "matrix"}, {View::im2col, "im2col"}, {View::backward, "backward"}};

struct MatrixLab {
    Problem problem;
    Rows dy;                        // (OH, OW) output gradient for the backward view
    View view = View::matrix;
    int row = 0;                    // highlighted output / row of C
    Computed computed;
    Problem computed_for;
    Rows computed_dy;
    bool has_computed = false;
    // The exercise: fill in row `row` of C.
    ExerciseRecord record;
    bool attempted = false;         // the open exercise has had an answer (its row is shown)
    Pending pending;                // what a command caused, carried out once it is kept
    // UI only
    float typed[kMaxInput1d * kMaxInput1d] = {};
};

Problem default_problem(int dims) {
    Problem p;
    p.dims = dims;
    if (dims == 1) {
        p.input = {{1, 2, 3, 0, 1}};
        p.kernel = {{1, 2, 3}};
    } else {
        p.input = {{1, 2, 0}, {0, 1, 3}, {2, 0, 1}};
        p.kernel = {{1, 2}, {3, 4}};
    }
    return p;
}

float mean_abs(const std::vector<float>& v) {
    float m = 0;
    for (float a : v) m = std::max(m, std::fabs(a));
    return m;
}

bool same_values(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
        if (std::fabs(a[i] - b[i]) > 1e-4f * (1.0f + std::fabs(b[i]))) return false;
    return true;
}

Computed compute(const Problem& p, Rows& dy) {
    Computed c;
    c.H = int(p.input.size());
    c.W = int(p.input[0].size());
    c.KH = int(p.kernel.size());
    c.KW = int(p.kernel[0].size());
    c.spec.rows = make_conv_axis(c.H, c.KH, p.dims == 1 ? 1 : p.stride, p.dims == 1 ? 1 : p.dilation, PaddingMode::number,
                                 p.dims == 1 ? 0 : p.padding);
    c.spec.cols = make_conv_axis(c.W, c.KW, p.stride, p.dilation, PaddingMode::number, p.padding);
    for (const auto& r : p.input) c.x.insert(c.x.end(), r.begin(), r.end());
    for (const auto& r : p.kernel) c.w.insert(c.w.end(), r.begin(), r.end());
    Status s = p.dims == 1 ? conv1d_matrix(c.C, c.tap, c.w, c.W, c.spec.cols, false)
                           : conv2d_matrix(c.C, c.tap, c.w, c.H, c.W, c.spec);
    if (!s.ok()) {
        c.message = "No output: " + s.message + ".";
        return c;
    }
    c.OH = int(conv_output_size(c.H, c.spec.rows));
    c.OW = int(conv_output_size(c.W, c.spec.cols));
    const int rows = c.OH * c.OW, cols = c.H * c.W;
    c.y.assign(size_t(rows), 0.0f);
    matrix_times_vector(c.y.data(), c.C.data(), c.x.data(), rows, cols);
    // The engine's own convolution, to compare with.
    Tensor out;
    if (p.dims == 1) {
        Tensor inp{{1, 1, c.W}, c.x}, weight{{1, 1, c.KW}, c.w};
        s = conv1d(out, inp, weight, nullptr, c.spec.cols, false);
    } else {
        Tensor inp{{1, 1, c.H, c.W}, c.x}, weight{{1, 1, c.KH, c.KW}, c.w};
        s = conv2d(out, inp, weight, nullptr, c.spec);
    }
    c.conv_out = s.ok() ? out.data : std::vector<float>();
    // im2col
    if (im2col(c.patches, c.sources, c.x, c.H, c.W, c.spec).ok()) {
        c.y_im2col.assign(size_t(rows), 0.0f);
        matrix_times_vector(c.y_im2col.data(), c.patches.data(), c.w.data(), rows, c.KH * c.KW);
    }
    c.counts = conv_matrix_counts(c.tap, rows, cols, c.KH * c.KW);
    // Backward: dy (OH, OW), all ones unless it was set for this output shape.
    if (int(dy.size()) != c.OH || dy.empty() || int(dy[0].size()) != c.OW)
        dy.assign(size_t(c.OH), std::vector<float>(size_t(c.OW), 1.0f));
    std::vector<float> dy_flat;  // (OH*OW)
    for (const auto& r : dy) dy_flat.insert(dy_flat.end(), r.begin(), r.end());
    c.dx_matrix.assign(size_t(cols), 0.0f);
    matrix_transposed_times_vector(c.dx_matrix.data(), c.C.data(), dy_flat.data(), rows, cols);
    c.dx_backward.assign(size_t(cols), 0.0f);
    conv2d_backward_naive(c.dx_backward.data(), nullptr, nullptr, dy_flat.data(), c.x.data(), c.w.data(), 1, 1, c.H, c.W, 1, c.spec);
    ConvTranspose2dSpec t;
    t.rows = c.spec.rows;
    t.cols = c.spec.cols;
    // the extra rows / columns a strided conv never reached: (H + 2p - span) mod s
    t.output_padding_rows = c.H - int(conv_transpose_output_size(c.OH, t.rows, 0));
    t.output_padding_cols = c.W - int(conv_transpose_output_size(c.OW, t.cols, 0));
    if (check_conv_transpose2d({1, 1, c.OH, c.OW}, {1, 1, c.KH, c.KW}, nullptr, t).ok()) {
        c.dx_transpose.assign(size_t(cols), 0.0f);
        conv_transpose2d_forward(c.dx_transpose.data(), dy_flat.data(), c.w.data(), nullptr, 1, 1, c.OH, c.OW, 1, t);
    }
    return c;
}

void recompute(MatrixLab& lab) {
    if (lab.has_computed && lab.problem == lab.computed_for && lab.dy == lab.computed_dy) return;
    lab.computed = compute(lab.problem, lab.dy);
    lab.computed_for = lab.problem;
    lab.computed_dy = lab.dy;
    lab.has_computed = true;
    lab.row = std::clamp(lab.row, 0, std::max(lab.computed.OH * lab.computed.OW - 1, 0));
}

MatrixLab make_lab() {
    MatrixLab lab;
    lab.problem = default_problem(2);
    recompute(lab);
    return lab;
}

MatrixLab g_lab = make_lab();

// ---------------------------------------------------------------------------------------------
// The exercise.

json exercise_setup(const MatrixLab& lab) {
    const Problem& p = lab.problem;
    return {{"dims", p.dims}, {"input", {lab.computed.H, lab.computed.W}}, {"kernel", p.kernel}, {"stride", p.stride},
            {"padding", p.padding}, {"dilation", p.dilation}, {"row", lab.row}};
}

// A small random problem with small whole-number weights; the same seed gives the same exercise.
void new_exercise(MatrixLab& lab, uint64_t seed) {
    Rng rng(seed);
    for (int attempt = 0; attempt < 1000; attempt++) {
        Problem p;
        p.dims = rng.uniform() < 0.5f ? 1 : 2;
        const int W = p.dims == 1 ? rng.uniform_int(4, 7) : rng.uniform_int(3, 4);
        const int H = p.dims == 1 ? 1 : W;
        const int K = p.dims == 1 ? rng.uniform_int(2, 3) : 2;
        p.input.assign(size_t(H), std::vector<float>(size_t(W)));
        for (auto& r : p.input)
            for (float& v : r) v = float(rng.uniform_int(0, 3));
        p.kernel.assign(size_t(p.dims == 1 ? 1 : K), std::vector<float>(size_t(K)));
        for (auto& r : p.kernel)
            for (float& v : r) v = float(rng.uniform_int(1, 5)) * (rng.uniform() < 0.2f ? -1.0f : 1.0f);
        p.stride = rng.uniform() < 0.3f ? 2 : 1;
        p.padding = rng.uniform() < 0.3f ? 1 : 0;
        p.dilation = p.dims == 1 && rng.uniform() < 0.2f ? 2 : 1;
        Rows dy;
        Computed c = compute(p, dy);
        if (!c.message.empty() || c.OH * c.OW < 2) continue;
        lab.problem = p;
        lab.dy.clear();
        recompute(lab);
        lab.row = rng.uniform_int(0, c.OH * c.OW - 1);
        break;
    }
    lab.record.start(exercise_setup(lab), seed, lab.pending);
    lab.attempted = false;
    lab.view = View::matrix;
    std::fill(std::begin(lab.typed), std::end(lab.typed), 0.0f);
}

// ---- The mistakes a row of C draws, each as the row it gives.
// Row (oy, ox) of C for problem p, or null when p has no such output.
json row_of(const Problem& p, int oy, int ox) {
    Rows dy;
    const Computed c = compute(p, dy);
    if (!c.message.empty() || oy < 0 || oy >= c.OH || ox < 0 || ox >= c.OW) return nullptr;
    const int cols = c.H * c.W, r = oy * c.OW + ox;
    return std::vector<float>(c.C.begin() + r * cols, c.C.begin() + (r + 1) * cols);
}

std::vector<MistakeAnswer> row_mistakes(const MatrixLab& lab) {
    const Problem& p = lab.problem;
    const Computed& c = lab.computed;
    const int oy = lab.row / c.OW, ox = lab.row % c.OW;
    std::vector<MistakeAnswer> list;
    Problem turned = p, transposed = p, unit_stride = p;
    for (auto& r : turned.kernel) std::reverse(r.begin(), r.end());
    std::reverse(turned.kernel.begin(), turned.kernel.end());
    list.push_back({"kernel-flipped", row_of(turned, oy, ox),
                    "You turned the kernel around. The matrix computes cross-correlation, like the engine's conv2d: weight [0, 0] "
                    "multiplies the first cell of the window."});
    if (p.dims == 2 && int(p.kernel.size()) == int(p.kernel[0].size())) {
        for (size_t i = 0; i < p.kernel.size(); i++)
            for (size_t j = 0; j < p.kernel.size(); j++) transposed.kernel[i][j] = p.kernel[j][i];
        list.push_back({"kernel-column-major", row_of(transposed, oy, ox),
                        "You laid the kernel out column by column. The input is flattened row by row (reading order), and so is "
                        "the kernel: w[0, 1] sits beside w[0, 0], one column to the right."});
    }
    for (int step : {1, -1}) {
        const int r = lab.row + step;
        if (r < 0 || r >= c.OH * c.OW) continue;
        list.push_back({"row-shifted", row_of(p, r / c.OW, r % c.OW),
                        "You wrote row " + std::to_string(r) + ", the neighbouring output's window. Row " + std::to_string(lab.row) +
                            " is output [" + std::to_string(oy) + ", " + std::to_string(ox) + "], whose window starts at input [" +
                            std::to_string(oy * (p.dims == 1 ? 1 : p.stride) - (p.dims == 1 ? 0 : p.padding)) + ", " +
                            std::to_string(ox * p.stride - p.padding) + "]."});
    }
    if (p.stride > 1) {
        unit_stride.stride = 1;
        list.push_back({"stride-ignored", row_of(unit_stride, p.dims == 1 ? 0 : oy, ox),
                        "You moved the window one cell per output. With stride " + std::to_string(p.stride) + " it moves " +
                            std::to_string(p.stride) + " cells: output " + std::to_string(ox) + "'s window starts " +
                            std::to_string(ox * p.stride) + " cells in."});
    }
    return list;
}

// The hint ladder: what a row of C holds, where this row's window starts, then which columns get
// which weight.
HintLadder row_hints(const MatrixLab& lab) {
    const Computed& c = lab.computed;
    const int cols = c.H * c.W, oy = lab.row / c.OW, ox = lab.row % c.OW;
    std::string reads, weights;
    for (int i = 0; i < cols; i++) {
        const int t = c.tap[size_t(lab.row * cols + i)];
        if (t < 0) continue;
        reads += (reads.empty() ? "x" : ", x") + std::to_string(i);
        weights += (weights.empty() ? "" : ", ") + format_number(c.w[size_t(t)]);
    }
    const Conv2dSpec& sp = c.spec;
    return {"Row r of C makes output y_r = C[r] · x: it holds, in column i, the weight that multiplies input cell x_i, and 0 for "
            "every cell outside output r's window. Input cells are numbered in reading order, from 0 to " + std::to_string(cols - 1) + ".",
            "Row " + std::to_string(lab.row) + " is output [" + std::to_string(oy) + ", " + std::to_string(ox) +
                "]. Its window starts at input [" + std::to_string(oy * sp.rows.stride - sp.rows.pad_before) + ", " +
                std::to_string(ox * sp.cols.stride - sp.cols.pad_before) + "] and moves " + std::to_string(sp.cols.stride) +
                " cell(s) per output" + (sp.cols.pad_before ? "; taps in the padding multiply zeros and get no column." : "."),
            "The window reads " + reads + ", with the weights " + weights + " in that order. Put each in its column, and 0 in the others."};
}

// Checks a row of C typed by the student (H*W values). The UI and the "answer" command come here.
std::string check_answer(MatrixLab& lab, const std::vector<float>& given) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    const Computed& c = lab.computed;
    const int cols = c.H * c.W;
    if (int(given.size()) != cols)
        return "\"answer\" must be row " + std::to_string(lab.row) + " of C: " + std::to_string(cols) +
               " numbers, one per input cell in reading order (it has " + std::to_string(given.size()) + ")";
    json expected = json::array(), wrong = json::array();
    for (int i = 0; i < cols; i++) {
        const float e = c.C[size_t(lab.row * cols + i)];
        expected.push_back(e);
        if (!close_enough(given[size_t(i)], e)) wrong.push_back(i);
    }
    const bool right = wrong.empty();
    std::string reads;  // the columns this row reads, with their weights
    for (int i = 0; i < cols; i++)
        if (c.tap[size_t(lab.row * cols + i)] >= 0)
            reads += std::string(reads.empty() ? "" : ", ") + "x" + std::to_string(i) + "*" + format_number(c.C[size_t(lab.row * cols + i)]);
    std::string feedback =
        right ? "Right: y" + std::to_string(lab.row) + " = " + reads + "; every other entry of the row is 0."
              : "Not quite: " + std::to_string(wrong.size()) + " of the " + std::to_string(cols) +
                    " entries are off (marked). Output " + std::to_string(lab.row) +
                    " multiplies only the input cells under its window, each by the weight on top of it; the rest are 0.";
    lab.attempted = true;
    const json mistake = right ? json(nullptr) : name_mistake(given, expected, row_mistakes(lab), feedback);
    if (!right && mistake["id"] != "other") feedback = "Not quite: " + mistake["text"].get<std::string>();
    lab.record.checked(right, expected, given, feedback, lab.pending, {{"wrong", wrong}}, mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State to and from JSON.

json grid_json(const std::vector<float>& v, int rows, int cols) {
    if (v.empty()) return nullptr;
    json out = json::array();
    for (int r = 0; r < rows; r++) out.push_back(std::vector<float>(v.begin() + r * cols, v.begin() + (r + 1) * cols));
    return out;
}

json int_grid_json(const std::vector<int>& v, int rows, int cols) {
    if (v.empty()) return nullptr;
    json out = json::array();
    for (int r = 0; r < rows; r++) out.push_back(std::vector<int>(v.begin() + r * cols, v.begin() + (r + 1) * cols));
    return out;
}

// "dims": switching loads that mode's example (a command's "input" and "kernel" then replace it).
std::string read_dims(const json& f, Problem& p) {
    int dims = p.dims;
    if (std::string e = read_int(f, "dims", 1, 2, dims); !e.empty()) return e;
    if (dims != p.dims) {
        const Problem fresh = default_problem(dims);
        p.input = fresh.input;
        p.kernel = fresh.kernel;
        if (dims == 1) p.stride = std::min(p.stride, kMaxStride);
    }
    p.dims = dims;
    return "";
}

const Field<Problem> kSettingFields[] = {
    {"dims", read_dims, [](const Problem& p) { return json(p.dims); }},
    {"input", [](const json& f, Problem& p) { return read_grid(f, "input", p.dims == 1, kMaxInput2d, kMaxInput1d, kValueLimit, p.input); },
     [](const Problem& p) { return json(p.input); }},
    {"kernel", [](const json& f, Problem& p) { return read_grid(f, "kernel", p.dims == 1, kMaxKernel2d, kMaxKernel1d, kValueLimit, p.kernel); },
     [](const Problem& p) { return json(p.kernel); }},
    whole_field("stride", &Problem::stride, 1, kMaxStride),
    whole_field("padding", &Problem::padding, 0, kMaxPadding),
    whole_field("dilation", &Problem::dilation, 1, kMaxDilation),
};

bool has_output(const MatrixLab& lab) { return lab.computed.message.empty(); }
int c_rows(const MatrixLab& lab) { return lab.computed.OH * lab.computed.OW; }
int c_cols(const MatrixLab& lab) { return lab.computed.H * lab.computed.W; }

const Output<MatrixLab> kOutputs[] = {
    {"dy", [](const MatrixLab& lab) { return json(lab.dy); }},
    {"view", [](const MatrixLab& lab) { return json(choice_name(kViews, lab.view)); }},
    {"row", [](const MatrixLab& lab) { return json(lab.row); }},
    {"output_size", [](const MatrixLab& lab) { return has_output(lab) ? json{lab.computed.OH, lab.computed.OW} : json(nullptr); }},
    {"message", [](const MatrixLab& lab) { return text_or_null(lab.computed.message); }},
    {"matrix", [](const MatrixLab& lab) { return has_output(lab) ? grid_json(lab.computed.C, c_rows(lab), c_cols(lab)) : json(nullptr); }},
    {"taps", [](const MatrixLab& lab) { return has_output(lab) ? int_grid_json(lab.computed.tap, c_rows(lab), c_cols(lab)) : json(nullptr); }},
    {"x", [](const MatrixLab& lab) { return json(lab.computed.x); }},
    {"weights", [](const MatrixLab& lab) { return json(lab.computed.w); }},
    {"y", [](const MatrixLab& lab) { return has_output(lab) ? json(lab.computed.y) : json(nullptr); }},
    {"conv_output", [](const MatrixLab& lab) {
         const Computed& c = lab.computed;
         return has_output(lab) ? grid_json(c.conv_out, c.OH, c.OW) : json(nullptr);
     }},
    {"matches_conv", [](const MatrixLab& lab) {
         const Computed& c = lab.computed;
         return json(has_output(lab) && same_values(c.y, c.conv_out) && same_values(c.y_im2col, c.conv_out));
     }},
    {"im2col", [](const MatrixLab& lab) {
         const Computed& c = lab.computed;
         return has_output(lab) ? grid_json(c.patches, c_rows(lab), c.KH * c.KW) : json(nullptr);
     }},
    {"im2col_sources", [](const MatrixLab& lab) {
         const Computed& c = lab.computed;
         return has_output(lab) ? int_grid_json(c.sources, c_rows(lab), c.KH * c.KW) : json(nullptr);
     }},
    {"multiplies", [](const MatrixLab& lab) {
         const Computed& c = lab.computed;
         return has_output(lab) ? json{{"dense", c.counts.dense}, {"nonzero", c.counts.nonzero}, {"window", c.counts.window}} : json(nullptr);
     }},
    {"backward", [](const MatrixLab& lab) {
         const Computed& c = lab.computed;
         if (!has_output(lab)) return json(nullptr);
         return json{{"dx_matrix", grid_json(c.dx_matrix, c.H, c.W)}, {"dx_conv_backward", grid_json(c.dx_backward, c.H, c.W)},
                     {"dx_conv_transpose", grid_json(c.dx_transpose, c.H, c.W)},
                     {"matches", same_values(c.dx_matrix, c.dx_backward) && same_values(c.dx_matrix, c.dx_transpose)}};
     }},
};

json matrix_state() {
    json state;
    write_fields(state, kSettingFields, g_lab.problem);
    write_outputs(state, kOutputs, g_lab);
    g_lab.record.write(state);
    return state;
}

std::string apply_command(MatrixLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, {"reset", "dy", "view", "row", "new_exercise", "seed", "hint", "answer"}, kOutputs);
        !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) lab = make_lab();

    // 1. The problem. Any change leaves an exercise.
    Problem p = lab.problem;
    if (!(e = read_fields(f, kSettingFields, p)).empty()) return e;
    if (!(p == lab.problem)) {
        lab.problem = p;
        lab.record.close();
        lab.attempted = false;
    }
    recompute(lab);
    const Computed& c = lab.computed;
    if (f.contains("dy") && !f["dy"].is_null()) {
        if (!c.message.empty()) return "there is no output, so no output gradient to set: " + c.message;
        Rows dy;
        if (!(e = read_rows(f, "dy", 32, 32, kValueLimit, p.dims == 1, dy)).empty()) return e;
        if (int(dy.size()) != c.OH || int(dy[0].size()) != c.OW)
            return "\"dy\" must match the output: " + std::to_string(c.OH) + " x " + std::to_string(c.OW);
        lab.dy = dy;
        recompute(lab);
    }

    // 2. What is shown.
    if (!(e = read_choice(f, "view", kViews, lab.view)).empty()) return e;
    if (f.contains("row")) {
        const int rows = c.OH * c.OW;
        int row = 0;
        if (!(e = read_int(f, "row", 0, std::max(rows - 1, 0), row)).empty()) return e + " (one per output cell)";
        if (lab.record.open() && !lab.attempted && row != lab.row && !f.contains("new_exercise"))
            return "the exercise asks for row " + std::to_string(lab.row) + "; answer it first (or start a new exercise)";
        lab.row = row;
    }

    // 3. The exercise.
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, row_hints)).empty()) return e;
    if (f.contains("answer")) {
        const json& a = f["answer"];
        if (!a.is_array()) return "\"answer\" must be a list of numbers: one row of C";
        std::vector<float> given;
        for (const json& v : a) {
            if (!v.is_number() || !std::isfinite(v.get<double>()) || std::fabs(v.get<double>()) > 1e6)
                return "\"answer\" must be a list of numbers: one row of C";
            given.push_back(float(v.get<double>()));
        }
        if (!(e = check_answer(lab, given)).empty()) return e;
    }
    return "";
}

std::string matrix_command(const json& fields) { return command_on_copy("matrix", g_lab, fields, apply_command); }

// ---------------------------------------------------------------------------------------------
// Drawing.

const ImU32 kZeroColor = IM_COL32(38, 38, 46, 255);
const ImU32 kRowColor = IM_COL32(255, 200, 40, 255);   // the highlighted row / output / window
const ImU32 kWrongColor = IM_COL32(230, 80, 70, 255);

// One colour per kernel weight, so the repeats of each weight in C are easy to follow.
ImU32 tap_color(int tap) {
    static const ImU32 palette[] = {
        IM_COL32(220, 90, 80, 255),  IM_COL32(80, 150, 230, 255), IM_COL32(90, 190, 110, 255), IM_COL32(200, 120, 220, 255),
        IM_COL32(230, 160, 60, 255), IM_COL32(70, 190, 190, 255), IM_COL32(170, 170, 80, 255), IM_COL32(230, 110, 160, 255),
        IM_COL32(130, 110, 230, 255), IM_COL32(150, 200, 90, 255), IM_COL32(200, 140, 110, 255), IM_COL32(100, 130, 160, 255),
        IM_COL32(240, 200, 140, 255), IM_COL32(120, 220, 160, 255), IM_COL32(180, 80, 120, 255), IM_COL32(160, 160, 200, 255),
    };
    return tap < 0 ? kZeroColor : palette[tap % 16];
}

// Labels a grid's rows or columns ("x0".."x8") above or beside it.
void label_text(ImVec2 at, const std::string& text, float size, ImU32 color = IM_COL32(160, 160, 170, 255)) {
    ImGui::GetWindowDrawList()->AddText(ImGui::GetFont(), size, at, color, text.c_str());
}

// A row vector or column vector of numbers, optionally coloured.
GridResult draw_vector(const char* id, const std::vector<float>& v, bool column, float cell, const std::function<ImU32(int)>& fill) {
    const int n = int(v.size());
    const float scale = mean_abs(v);
    return draw_grid(id, column ? n : 1, column ? 1 : n, cell, [&](int r, int c) {
        const int i = column ? r : c;
        GridCell g;
        g.text = format_number(v[size_t(i)]);
        g.fill = fill ? fill(i) : signed_color(v[size_t(i)], scale);
        return g;
    });
}

void draw_settings(MatrixLab& lab) {
    Problem& p = lab.problem;
    bool one_d = p.dims == 1;
    if (ImGui::Checkbox("1D: a row of numbers", &one_d)) {
        const Problem fresh = default_problem(one_d ? 1 : 2);
        p.dims = fresh.dims;
        p.input = fresh.input;
        p.kernel = fresh.kernel;
    }
    ImGui::Separator();
    ImGui::TextDisabled("VIEW");
    const char* names[] = {"y = C x", "im2col", "backward: C^T dy"};
    for (int i = 0; i < 3; i++) {
        if (ImGui::RadioButton(names[i], lab.view == kViews[i].value)) lab.view = kViews[i].value;
        ui_anchor(std::string("view-") + kViews[i].name);
    }
    ImGui::Separator();
    ImGui::TextDisabled("GEOMETRY");
    const float w = ImGui::GetFontSize() * 6;
    int H = int(p.input.size()), W = int(p.input[0].size());
    ImGui::SetNextItemWidth(w);
    if (one_d) {
        if (ImGui::SliderInt("length", &W, 1, kMaxInput1d)) p.input[0].resize(size_t(W), 1.0f);
    } else {
        int size[2] = {H, W};
        if (ImGui::SliderInt2("input", size, 1, kMaxInput2d)) {
            p.input.resize(size_t(size[0]), std::vector<float>(size_t(W), 1.0f));
            for (auto& r : p.input) r.resize(size_t(size[1]), 1.0f);
        }
    }
    int KH = int(p.kernel.size()), KW = int(p.kernel[0].size());
    ImGui::SetNextItemWidth(w);
    if (one_d) {
        if (ImGui::SliderInt("kernel", &KW, 1, kMaxKernel1d)) p.kernel[0].resize(size_t(KW), 1.0f);
    } else {
        int size[2] = {KH, KW};
        if (ImGui::SliderInt2("kernel", size, 1, kMaxKernel2d)) {
            p.kernel.resize(size_t(size[0]), std::vector<float>(size_t(KW), 1.0f));
            for (auto& r : p.kernel) r.resize(size_t(size[1]), 1.0f);
        }
    }
    ImGui::SetNextItemWidth(w);
    ImGui::SliderInt("stride", &p.stride, 1, kMaxStride);
    ImGui::SetNextItemWidth(w);
    ImGui::SliderInt("padding", &p.padding, 0, kMaxPadding);
    ImGui::SetNextItemWidth(w);
    ImGui::SliderInt("dilation", &p.dilation, 1, kMaxDilation);
    ImGui::TextDisabled("KERNEL WEIGHTS");
    if (ImGui::BeginTable("weights", int(p.kernel[0].size()), ImGuiTableFlags_SizingFixedFit)) {
        for (size_t r = 0; r < p.kernel.size(); r++) {
            ImGui::TableNextRow();
            for (size_t c = 0; c < p.kernel[r].size(); c++) {
                ImGui::TableSetColumnIndex(int(c));
                ImGui::PushID(int(r * 8 + c));
                ImGui::PushStyleColor(ImGuiCol_FrameBg, tap_color(int(r * p.kernel[r].size() + c)));
                ImGui::SetNextItemWidth(ImGui::GetFontSize() * 2.4f);
                float v = p.kernel[r][c];
                if (ImGui::DragFloat("##w", &v, 0.1f, -kValueLimit, kValueLimit, "%g") && std::isfinite(v))
                    p.kernel[r][c] = std::clamp(v, -kValueLimit, kValueLimit);
                ImGui::PopStyleColor();
                ImGui::PopID();
            }
        }
        ImGui::EndTable();
    }
    p.stride = std::clamp(p.stride, 1, kMaxStride);
    p.padding = std::clamp(p.padding, 0, kMaxPadding);
    p.dilation = std::clamp(p.dilation, 1, kMaxDilation);
}

// Input, kernel and output as small grids; the highlighted output's window in the input.
void draw_picture(MatrixLab& lab, float cell) {
    const Problem& p = lab.problem;
    const Computed& c = lab.computed;
    const int cols = c.H * c.W;
    std::vector<int> reads(size_t(cols), -1);  // (H*W) the tap the highlighted output puts on each input
    if (c.message.empty() && !(lab.record.open() && !lab.attempted))  // in an exercise the reads are the answer
        for (int i = 0; i < cols; i++) reads[size_t(i)] = c.tap[size_t(lab.row * cols + i)];
    const float small = std::max(cell * 0.3f, 8.0f);
    ImGui::BeginGroup();
    ImGui::Text("input x (%d x %d)", c.H, c.W);
    GridResult in = draw_grid("input", c.H, c.W, cell, [&](int r, int col) {
        GridCell g;
        const int i = r * c.W + col;
        g.text = format_number(p.input[size_t(r)][size_t(col)]);
        g.fill = reads[size_t(i)] >= 0 ? tap_color(reads[size_t(i)]) : IM_COL32(62, 112, 178, 255);
        if (reads[size_t(i)] >= 0) g.border = kRowColor;
        return g;
    });
    for (int i = 0; i < cols && cell >= 24; i++) {
        char name[16];
        std::snprintf(name, sizeof name, "x%d", i);
        label_text(ImVec2(in.cell_min(i / c.W, i % c.W).x + 2, in.cell_min(i / c.W, i % c.W).y + 1), name, small);
    }
    ImGui::EndGroup();
    ImGui::SameLine(0, cell);
    ImGui::BeginGroup();
    ImGui::Text("kernel");
    draw_grid("kernel", c.KH, c.KW, cell, [&](int r, int col) {
        return GridCell{format_number(p.kernel[size_t(r)][size_t(col)]), tap_color(r * c.KW + col)};
    });
    ImGui::EndGroup();
    ImGui::SameLine(0, cell);
    ImGui::BeginGroup();
    if (!c.message.empty()) {
        ImGui::Text("output");
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + ImGui::GetFontSize() * 18);
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", c.message.c_str());
        ImGui::PopTextWrapPos();
    } else {
        ImGui::Text("output y (%d x %d)", c.OH, c.OW);
        const float scale = mean_abs(c.conv_out);
        GridResult out = draw_grid("output", c.OH, c.OW, cell, [&](int r, int col) {
            GridCell g;
            const int i = r * c.OW + col;
            const bool hidden = lab.record.open() && !lab.attempted && i == lab.row;
            g.text = hidden ? "?" : format_number(c.conv_out[size_t(i)]);
            g.fill = hidden ? kZeroColor : signed_color(c.conv_out[size_t(i)], scale);
            if (i == lab.row) g.border = kRowColor;
            return g;
        });
        ui_anchor("output-grid");
        if (out.clicked && !(lab.record.open() && !lab.attempted)) lab.row = out.hover_row * c.OW + out.hover_col;
    }
    ImGui::EndGroup();
}

// C (rows, cols) as a grid coloured by kernel weight, with the block lines of the 2D case.
GridResult draw_c(MatrixLab& lab, const char* id, bool transposed, float cell) {
    const Computed& c = lab.computed;
    const int rows = c.OH * c.OW, cols = c.H * c.W;
    const bool hide_row = lab.record.open() && !lab.attempted;
    std::vector<bool> wrong(size_t(cols), false);
    if (lab.record.open() && lab.record.last_answer.is_object())
        for (const json& i : lab.record.last_answer["wrong"]) wrong[size_t(i.get<int>())] = true;
    GridResult g = draw_grid(id, transposed ? cols : rows, transposed ? rows : cols, cell, [&](int r, int col) {
        const int row = transposed ? col : r, i = transposed ? r : col;
        const int t = c.tap[size_t(row * cols + i)];
        GridCell gc;
        if (hide_row && row == lab.row) {
            gc.fill = IM_COL32(70, 62, 30, 255);
            gc.text = "?";
        } else {
            gc.fill = tap_color(t);
            gc.text = t >= 0 ? format_number(c.C[size_t(row * cols + i)]) : (cell >= 18 ? "0" : "");
            if (t < 0) gc.text_color = IM_COL32(95, 95, 105, 255);
        }
        if (row == lab.row) gc.border = lab.record.open() && row == lab.row && wrong[size_t(i)] ? kWrongColor : kRowColor;
        return gc;
    });
    // 2D: the blocks of W columns (one per input row) and OW rows (one per output row)
    ImDrawList* draw = ImGui::GetWindowDrawList();
    if (lab.problem.dims == 2) {
        const ImU32 line = IM_COL32(230, 230, 240, 200);
        const int n_rows = transposed ? cols : rows, n_cols = transposed ? rows : cols;
        const int block_r = transposed ? c.W : c.OW, block_c = transposed ? c.OW : c.W;
        for (int k = block_c; k < n_cols; k += block_c)
            draw->AddLine(ImVec2(g.origin.x + k * cell, g.origin.y), ImVec2(g.origin.x + k * cell, g.origin.y + n_rows * cell), line, 2.0f);
        for (int k = block_r; k < n_rows; k += block_r)
            draw->AddLine(ImVec2(g.origin.x, g.origin.y + k * cell), ImVec2(g.origin.x + n_cols * cell, g.origin.y + k * cell), line, 2.0f);
    }
    return g;
}

void draw_times_equals(const char* text, float cell) {
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Dummy(ImVec2(1, cell * 0.5f));
    ImGui::TextUnformatted(text);
    ImGui::EndGroup();
    ImGui::SameLine();
}

void draw_matrix_view(MatrixLab& lab, float cell) {
    const Computed& c = lab.computed;
    const int rows = c.OH * c.OW, cols = c.H * c.W;
    ImGui::Text("C (%d x %d)", rows, cols);
    ImGui::SameLine();
    help_marker("Row r of C holds the weights output r multiplies each input by: the kernel's weights at the input "
                "cells under its window, 0 everywhere else. Each colour is one kernel weight; the same few repeat, "
                "shifted along: weight sharing.");
    ImGui::BeginGroup();
    GridResult g = draw_c(lab, "C", false, cell);
    ui_anchor("matrix");
    if (g.clicked && !(lab.record.open() && !lab.attempted)) lab.row = g.hover_row;
    ImGui::EndGroup();
    draw_times_equals("x", cell);
    ImGui::BeginGroup();
    draw_vector("x", c.x, true, cell, nullptr);
    ImGui::EndGroup();
    draw_times_equals("=", cell);
    ImGui::BeginGroup();
    std::vector<float> y = c.y;
    draw_grid("y", rows, 1, cell, [&](int r, int) {
        const bool hidden = lab.record.open() && !lab.attempted && r == lab.row;
        GridCell gc{hidden ? "?" : format_number(y[size_t(r)]), hidden ? kZeroColor : signed_color(y[size_t(r)], mean_abs(y))};
        if (r == lab.row) gc.border = kRowColor;
        return gc;
    });
    ImGui::EndGroup();
    ImGui::TextWrapped("Multiplies: C times x does %d x %d = %lld, but only %lld entries of C are not zero: that is all the "
                "convolution really computes (the sliding window does %lld, padding zeros included).",
                rows, cols, (long long)c.counts.dense, (long long)c.counts.nonzero, (long long)c.counts.window);
}

void draw_im2col_view(MatrixLab& lab, float cell) {
    const Computed& c = lab.computed;
    const int rows = c.OH * c.OW, taps = c.KH * c.KW;
    ImGui::Text("patches (%d x %d): row r is output r's window, copied", rows, taps);
    ImGui::BeginGroup();
    const float scale = mean_abs(c.x);
    draw_grid("patches", rows, taps, cell, [&](int r, int t) {
        GridCell gc;
        const int src = c.sources[size_t(r * taps + t)];
        gc.text = format_number(c.patches[size_t(r * taps + t)]);
        gc.fill = src < 0 ? kZeroColor : grey_color(c.patches[size_t(r * taps + t)], std::min(0.0f, -scale), scale);
        gc.dashed = src < 0;
        if (r == lab.row) gc.border = kRowColor;
        return gc;
    });
    ImGui::EndGroup();
    draw_times_equals("x", cell);
    ImGui::BeginGroup();
    draw_vector("w", c.w, true, cell, [](int i) { return tap_color(i); });
    ImGui::EndGroup();
    draw_times_equals("=", cell);
    ImGui::BeginGroup();
    draw_vector("y-im2col", c.y_im2col, true, cell, nullptr);
    ImGui::EndGroup();
    ImGui::TextWrapped("im2col copies each input value once per window that reads it (%lld copies of %d values), then "
                       "does one dense product of %lld multiplies: more memory, but the fast matrix code of a GPU or BLAS.",
                       (long long)c.counts.window, c.H * c.W, (long long)c.counts.window);
}

void draw_backward_view(MatrixLab& lab, float cell) {
    const Computed& c = lab.computed;
    const int rows = c.OH * c.OW, cols = c.H * c.W;
    std::vector<float> dy;
    for (const auto& r : lab.dy) dy.insert(dy.end(), r.begin(), r.end());
    ImGui::Text("C^T (%d x %d) times the output's gradient dy gives the input's gradient dx", cols, rows);
    ImGui::BeginGroup();
    draw_c(lab, "CT", true, cell);
    ImGui::EndGroup();
    draw_times_equals("x", cell);
    ImGui::BeginGroup();
    draw_vector("dy", dy, true, cell, nullptr);
    ImGui::EndGroup();
    draw_times_equals("=", cell);
    ImGui::BeginGroup();
    draw_vector("dx", c.dx_matrix, true, cell, nullptr);
    ImGui::EndGroup();
    const bool match = same_values(c.dx_matrix, c.dx_backward) && same_values(c.dx_matrix, c.dx_transpose);
    ImGui::TextWrapped("Each dy scatters the kernel back onto the inputs its window read: that is a transposed convolution. "
                       "The engine's conv2d backward pass and conv_transpose2d(dy) give %s.",
                       match ? "the same dx" : "a different dx (this should not happen)");
    ImGui::SameLine();
    help_marker("The dy values are all 1 unless set through the API (\"dy\": rows matching the output). With all ones, "
                "dx counts, weight by weight, how much each input cell is used.");
}

void draw_exercise(MatrixLab& lab) {
    ImGui::Separator();
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) new_exercise(lab, fresh_seed());
    if (!lab.record.open()) return;
    const Computed& c = lab.computed;
    const int cols = c.H * c.W;
    ImGui::Text("Fill in row %d of C: what does output %d multiply each input cell x0..x%d by?", lab.row, lab.row, cols - 1);
    for (int i = 0; i < cols && i < int(std::size(lab.typed)); i++) {
        if (i % 12) ImGui::SameLine();
        ImGui::PushID(i);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 2.4f);
        ImGui::InputFloat("##entry", &lab.typed[i], 0, 0, "%g");
        ui_anchor(i == 0 ? "answer" : "answer/" + std::to_string(i));
        ImGui::PopID();
    }
    ImGui::SameLine();
    bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (check) (void)check_answer(lab, std::vector<float>(lab.typed, lab.typed + cols));
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) lab.record.give_hint(row_hints(lab), lab.pending);
}

void matrix_draw() {
    MatrixLab& lab = g_lab;
    recompute(lab);
    lab_intro("Convolution as a matrix",
              "Flatten the input into a column x: the convolution is then one matrix product, y = C x. Each row "
              "of C is the kernel, shifted to that output's window, and zeros elsewhere: the same few weights "
              "(one colour each) repeat all over C.");

    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 14, 0), true);
    const Problem before = lab.problem;
    draw_settings(lab);
    if (!(lab.problem == before)) {  // the student changed the problem: exploring again
        lab.record.close();
        lab.attempted = false;
    }
    ImGui::EndChild();
    recompute(lab);
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    const Computed& c = lab.computed;
    const float avail = ImGui::GetContentRegionAvail().x;
    float picture_cell = std::clamp(avail / float(c.W + c.KW + std::max(c.OW, 3) + 6), 14.0f, 40.0f);
    draw_picture(lab, picture_cell);
    ImGui::Separator();
    if (c.message.empty()) {
        const int rows = c.OH * c.OW, cols = c.H * c.W;
        const bool backward = lab.view == View::backward;
        const int wide = lab.view == View::im2col ? c.KH * c.KW : backward ? rows : cols;
        const int tall = backward ? cols : rows;
        const float height = std::max(ImGui::GetContentRegionAvail().y - ImGui::GetFontSize() * 9, 100.0f);
        float cell = std::min(avail / float(wide + 6), height / float(std::max(tall, 1)));
        cell = std::clamp(cell, 9.0f, 34.0f);
        if (lab.view == View::im2col) draw_im2col_view(lab, cell);
        else if (backward) draw_backward_view(lab, cell);
        else draw_matrix_view(lab, cell);
    }
    draw_exercise(lab);
    ImGui::EndChild();
    commit("matrix", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "matrix", .name = "Convolution as a matrix",
                    .summary = "The same convolution as one matrix product, y = Cx, and its transpose.", .draw = matrix_draw,
                    .state = matrix_state, .command = matrix_command,
                    .teaches = {"convolution-as-matrix", "Convolution as a matrix"});
