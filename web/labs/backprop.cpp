// backprop.cpp — Lab "Backprop through a convolution".
//
// A tiny one-channel convolution z = x ⋆ w (cross-correlation, stride 1, no padding) and a loss
// L = 1/2 * sum (z - t)^2 against a target t, so dL/dz = z - t. The student picks one entry of a
// gradient and steps through the products that make it up, each highlighted on the grids:
//   dL/dw[a,b] = sum over i,j of dL/dz[i,j] * x[i+a, j+b]   (the input correlated with dL/dz)
//   dL/dx[p,q] = sum over i,j of dL/dz[i,j] * w[p-i, q-j]   (dL/dz fully convolved with the kernel
//                                                            turned 180 degrees)
// and sees the sum next to the engine's conv2d_backward and a finite difference measured live.
//
// All numbers come from the engine: conv2d (forward), half_squared_error_* (loss and dL/dz),
// conv2d_backward (dL/dw, dL/dx), conv2d_dweight_terms / conv2d_dinput_terms (the products of one
// entry) and central_difference (engine/conv.h, engine/conv_backprop.h).
//
// Fields (state; those marked * are also commands):
//   input*, kernel*, target*   rows of numbers: x (2..6 a side), w (1..4 a side, not larger than x),
//                              t (the output's shape; resized with zeros when x or w change without it)
//   output, loss, dz, dw, dx   z, L, dL/dz, dL/dw, dL/dx
//   focus*                     {"which": "dw" | "dx", "position": [row, col]}: the entry being summed
//   term*, step*               term: the highlighted product (0-based) or null for the whole sum;
//                              step: moves the highlight n products on (null after the last)
//   terms, sum, expression,    the entry's products [{dz_at, dz, factor_at, factor, product}], their
//   engine_value,              sum, the sum written out, conv2d_backward's value, and the central
//   finite_difference, h       difference (L(v+h) - L(v-h)) / 2h with step h
//   exercise                   null, or {"which", "position", "seed", "question", "answered"}
//   score, last_answer         {"answered", "correct"}; null or {"correct", "expected", "given", "feedback"}
//   new_exercise*              true or a seed (a positive whole number): random numbers and one entry to compute
//   answer*                    a number (the entry the exercise asks for), or
//                              {"which": "dw" | "dx", "position": [row, col], "value": number}
//   reset*                     true: the lab as it opens
// Answers count as right within 0.01 + 0.1%.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <imgui.h>

#include "../../engine/conv.h"
#include "../../engine/conv_backprop.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../widgets.h"

namespace {

constexpr int kMaxInput = 6;        // rows and columns of x
constexpr int kMaxKernel = 4;       // rows and columns of w
constexpr float kValueLimit = 1000; // largest |value| in x, w, t or an answer
constexpr float kStep = 0.01f;      // h of the finite difference

const ImU32 kTermColor = IM_COL32(255, 200, 40, 255);     // every cell a product of the sum uses
const ImU32 kCurrentColor = IM_COL32(255, 90, 200, 255);  // the cells of the highlighted product
const ImU32 kFocusColor = IM_COL32(80, 200, 255, 255);    // the gradient entry being summed
const ImVec4 kWrong(1.0f, 0.65f, 0.4f, 1), kDim(0.6f, 0.6f, 0.66f, 1);

// ---------------------------------------------------------------------------------------------
// The state: one plain struct.

struct Problem {
    Rows input;   // x (H, W)
    Rows kernel;  // w (KH, KW)
    Rows target;  // t (OH, OW)
    bool operator==(const Problem&) const = default;
};

struct BackpropLab {
    Problem problem;
    bool dweight = true;      // focus: an entry of dL/dw (true) or of dL/dx (false)
    int row = 0, col = 0;     // its position
    int term = -1;            // highlighted product, -1: the whole sum
    // The exercise: compute one entry of a gradient by hand.
    ExerciseRecord record;
    bool ex_dweight = true;   // the entry it asks for: of dL/dw (true) or dL/dx
    int ex_row = 0, ex_col = 0;
    bool ex_answered = false; // checked at least once: the working is shown
    Pending pending;          // what a command caused, carried out once it is kept
    // Derived by recompute(), from the engine.
    Tensor x, w, t;           // (1,1,H,W), (1,1,KH,KW), (1,1,OH,OW)
    Tensor z, dz, dw, dx;     // (1,1,OH,OW), (1,1,OH,OW), (1,1,KH,KW), (1,1,H,W)
    float loss = 0;
    std::vector<GradTerm> terms;  // the focused entry's products
    float sum = 0;                // their sum, added in order
    float engine_value = 0;       // conv2d_backward's value of the entry
    double finite_difference = 0;
    // UI only.
    char answer_text[32] = "";
    char input_text[512] = "", kernel_text[256] = "", target_text[512] = "";
    std::string ui_note;
};

BackpropLab make_lab();
BackpropLab g_lab = make_lab();

Conv2dSpec spec_for(const Problem& p) {  // stride 1, no padding, cross-correlation
    Conv2dSpec spec;
    spec.rows = make_conv_axis(int(p.input.size()), int(p.kernel.size()), 1, 1, PaddingMode::valid, 0);
    spec.cols = make_conv_axis(int(p.input[0].size()), int(p.kernel[0].size()), 1, 1, PaddingMode::valid, 0);
    return spec;
}

Tensor grid_tensor(const Rows& rows) {  // (1,1,R,C)
    Tensor t;
    Status s = tensor_from_rows(t, rows);  // rows were checked when they came in
    (void)s;
    t.shape = {1, 1, t.shape[0], t.shape[1]};
    return t;
}

int rows_of(const Tensor& t) { return t.shape[2]; }
int cols_of(const Tensor& t) { return t.shape[3]; }
float at(const Tensor& t, int r, int c) { return t.data[size_t(r * cols_of(t) + c)]; }

// The loss for the current x, w and t, through the engine (the finite difference calls it).
double loss_of(const Tensor& x, const Tensor& w, const Tensor& t, const Conv2dSpec& spec) {
    Tensor z;
    if (!conv2d(z, x, w, nullptr, spec).ok()) return NAN;
    return half_squared_error_forward(z.data.data(), t.data.data(), int64_t(z.data.size()));
}

// Everything derived: forward, loss, dL/dz, both gradients, the focused entry's terms and checks.
void recompute(BackpropLab& lab) {
    const Problem& p = lab.problem;
    const Conv2dSpec spec = spec_for(p);
    lab.x = grid_tensor(p.input);
    lab.w = grid_tensor(p.kernel);
    lab.t = grid_tensor(p.target);
    Status s = conv2d(lab.z, lab.x, lab.w, nullptr, spec);  // commands keep the shapes valid
    (void)s;
    const int64_t outputs = int64_t(lab.z.data.size());
    lab.loss = half_squared_error_forward(lab.z.data.data(), lab.t.data.data(), outputs);
    lab.dz = Tensor{lab.z.shape, std::vector<float>(size_t(outputs), 0.0f)};
    half_squared_error_backward(lab.dz.data.data(), lab.z.data.data(), lab.t.data.data(), outputs);
    lab.dw = Tensor{lab.w.shape, std::vector<float>(lab.w.data.size(), 0.0f)};
    lab.dx = Tensor{lab.x.shape, std::vector<float>(lab.x.data.size(), 0.0f)};
    const int H = rows_of(lab.x), W = cols_of(lab.x), OC = 1, C = 1, N = 1;
    conv2d_backward(lab.dx.data.data(), lab.dw.data.data(), nullptr, lab.dz.data.data(), lab.x.data.data(),
                    lab.w.data.data(), N, C, H, W, OC, spec);

    // The focused entry, kept inside its grid.
    const Tensor& grad = lab.dweight ? lab.dw : lab.dx;
    lab.row = std::clamp(lab.row, 0, rows_of(grad) - 1);
    lab.col = std::clamp(lab.col, 0, cols_of(grad) - 1);
    if (lab.dweight) s = conv2d_dweight_terms(lab.terms, lab.dz, lab.x, lab.w.shape, spec, 0, 0, lab.row, lab.col);
    else s = conv2d_dinput_terms(lab.terms, lab.dz, lab.w, lab.x.shape, spec, 0, 0, lab.row, lab.col);
    if (!s.ok()) lab.terms.clear();
    lab.term = std::clamp(lab.term, -1, int(lab.terms.size()) - 1);
    lab.sum = 0;
    for (const GradTerm& term : lab.terms) lab.sum += term.product;
    lab.engine_value = at(grad, lab.row, lab.col);
    Tensor& nudged = lab.dweight ? lab.w : lab.x;
    float& value = nudged.data[size_t(lab.row * cols_of(nudged) + lab.col)];
    lab.finite_difference = central_difference([&] { return loss_of(lab.x, lab.w, lab.t, spec); }, value, kStep);
}

// The example the lab opens on: x 4x4, w 3x3, so z is 2x2 and dL/dw[0,0] has four products:
// z = [[3,5],[0,3]], t = [[2,7],[1,2]], dL/dz = [[1,-2],[-1,1]], dL/dw[0,0] = 1*1 - 2*2 - 1*0 + 1*1 = -2.
Problem default_problem() {
    return Problem{{{1, 2, 0, 1}, {0, 1, 3, 1}, {2, 0, 1, 0}, {1, 1, 0, 2}},
                   {{1, 0, -1}, {2, 1, 0}, {0, -1, 1}},
                   {{2, 7}, {1, 2}}};
}

BackpropLab make_lab() {
    BackpropLab lab;
    lab.problem = default_problem();
    recompute(lab);
    return lab;
}

// ---------------------------------------------------------------------------------------------
// Words for the entries and their products.

std::string entry_name(bool dweight, int r, int c) {
    return std::string(dweight ? "dL/dw[" : "dL/dx[") + std::to_string(r) + "," + std::to_string(c) + "]";
}

std::string cell_name(const char* grid, int r, int c) { return std::string(grid) + "[" + std::to_string(r) + "," + std::to_string(c) + "]"; }

// The factor a product multiplies dL/dz by: a pixel of x (for dL/dw) or a weight of w (for dL/dx).
std::string factor_name(const BackpropLab& lab, const GradTerm& t) {
    return lab.dweight ? cell_name("x", t.iy, t.ix) : cell_name("w", t.ky, t.kx);
}

// "1*1 + -2*2 + -1*0 + 1*1 = -2" (the UI passes "×" for `times`).
std::string sum_expression(const BackpropLab& lab, const char* times = "*") {
    std::string s;
    for (size_t i = 0; i < lab.terms.size(); i++)
        s += (i ? " + " : "") + format_number(lab.terms[i].dout) + times + format_number(lab.terms[i].factor);
    return (s.empty() ? "0" : s) + " = " + format_number(lab.sum);
}

json rows_json(const Tensor& t) {
    json rows = json::array();
    for (int r = 0; r < rows_of(t); r++) {
        json row = json::array();
        for (int c = 0; c < cols_of(t); c++) row.push_back(at(t, r, c));
        rows.push_back(row);
    }
    return rows;
}

// ---------------------------------------------------------------------------------------------
// The exercise.

// ---- The mistakes a gradient by hand draws, each as the value it gives for the focused entry
// (recompute() has made its terms).
std::vector<MistakeAnswer> gradient_mistakes(const BackpropLab& lab) {
    const std::string name = entry_name(lab.dweight, lab.row, lab.col);
    const int OH = rows_of(lab.dz), OW = cols_of(lab.dz), KH = rows_of(lab.w), KW = cols_of(lab.w);
    float factors = 0;
    for (const GradTerm& t : lab.terms) factors += t.factor;
    std::vector<MistakeAnswer> list;
    list.push_back({"upstream-left-out", factors,
                    "You added the " + std::string(lab.dweight ? "inputs" : "weights") + " without multiplying each by dL/dz. The chain "
                    "rule weighs every path by the gradient arriving from above: each product is dL/dz[i,j] × " +
                        (lab.dweight ? "x[i+a, j+b]." : "w[p-i, q-j].")});
    list.push_back({"upstream-sign", -lab.engine_value,
                    "Your sign is turned: for L = ½ Σ (z - t)², dL/dz = z - t, not t - z."});
    if (lab.dweight) {
        // The input under output [i, j] itself, not shifted by the weight's position; and rows and columns swapped.
        float unshifted = 0, swapped = 0;
        bool swap_fits = true;
        for (int i = 0; i < OH; i++)
            for (int j = 0; j < OW; j++) {
                unshifted += at(lab.dz, i, j) * at(lab.x, i, j);
                if (i + lab.col < rows_of(lab.x) && j + lab.row < cols_of(lab.x)) swapped += at(lab.dz, i, j) * at(lab.x, i + lab.col, j + lab.row);
                else swap_fits = false;
            }
        const std::string shift = "[i+" + std::to_string(lab.row) + ", j+" + std::to_string(lab.col) + "]";
        if (lab.row || lab.col)
            list.push_back({"wrong-cells", unshifted,
                            "You multiplied each dL/dz[i,j] by x[i,j]. Weight " + name.substr(name.find('[')) + " touches, at output [i,j], the "
                            "input " + shift + ": shift every input by the weight's position."});
        if (lab.row != lab.col && swap_fits)
            list.push_back({"wrong-cells", swapped,
                            "You swapped rows and columns: at output [i,j] this weight touches x" + shift + " (row first)."});
    } else {
        // The full convolution with the kernel as it is, not turned: w[KH-1-(p-i), KW-1-(q-j)].
        float unturned = 0;
        for (const GradTerm& t : lab.terms) unturned += t.dout * at(lab.w, KH - 1 - t.ky, KW - 1 - t.kx);
        list.push_back({"kernel-not-flipped", unturned,
                        "You laid the kernel on as it is. dL/dx is dL/dz fully convolved with the kernel turned 180 degrees: output "
                        "[i,j] reached x[p,q] through weight w[p-i, q-j]."});
    }
    return list;
}

// The hint ladder for the entry the exercise asks for: the rule, the first product, every product
// without the sum.
HintLadder gradient_hints(const BackpropLab& open) {
    BackpropLab lab = open;  // the focus may have moved away from the asked entry
    lab.dweight = lab.ex_dweight;
    lab.row = lab.ex_row;
    lab.col = lab.ex_col;
    recompute(lab);
    const std::string name = entry_name(lab.dweight, lab.row, lab.col);
    const std::string rule =
        lab.dweight ? "dL/dw[a,b] = Σ over every output [i,j] of dL/dz[i,j] × x[i+a, j+b]: each output used this weight on one input "
                      "pixel. dL/dz = z - t, shown beside z."
                    : "dL/dx[p,q] = Σ over the outputs [i,j] whose window covers x[p,q] of dL/dz[i,j] × w[p-i, q-j]: the weight that "
                      "pixel met in that window. dL/dz = z - t, shown beside z.";
    if (lab.terms.empty()) return {rule, rule, rule};
    const GradTerm& t = lab.terms.front();
    std::string products;
    for (size_t i = 0; i < lab.terms.size(); i++) products += (i ? ", " : "") + format_number(lab.terms[i].product);
    return {rule,
            name + " has " + std::to_string(lab.terms.size()) + " products. The first: output [" + std::to_string(t.oy) + "," +
                std::to_string(t.ox) + "], dL/dz = " + format_number(t.dout) + " × " +
                (lab.dweight ? "x[" + std::to_string(t.iy) + "," + std::to_string(t.ix) + "]"
                             : "w[" + std::to_string(t.ky) + "," + std::to_string(t.kx) + "]") +
                " = " + format_number(t.factor) + ", gives " + format_number(t.product) + ".",
            "The products are " + products + ". One step is left: add them."};
}

// Checks `value` as the student's answer for an entry (the UI's Check button comes here too).
std::string check_answer(BackpropLab& lab, bool dweight, int row, int col, float value) {
    const Tensor& grad = dweight ? lab.dw : lab.dx;
    if (row < 0 || row >= rows_of(grad) || col < 0 || col >= cols_of(grad))
        return entry_name(dweight, row, col) + " is outside " + (dweight ? "dL/dw (" : "dL/dx (") +
               std::to_string(rows_of(grad)) + " x " + std::to_string(cols_of(grad)) + ")";
    if (lab.record.open() && (dweight != lab.ex_dweight || row != lab.ex_row || col != lab.ex_col))
        return "this exercise asks for " + entry_name(lab.ex_dweight, lab.ex_row, lab.ex_col) + ", not " +
               entry_name(dweight, row, col);
    lab.dweight = dweight;
    lab.row = row;
    lab.col = col;
    lab.term = -1;
    recompute(lab);
    const float expected = lab.engine_value;
    const bool right = close_enough(value, expected);
    const std::string name = entry_name(dweight, row, col);
    std::string feedback;
    if (right) feedback = "Right: " + name + " = " + sum_expression(lab, "×") + ".";
    else if (dweight) feedback = "Not quite: " + name + " = " + format_number(expected) + ", the sum of dL/dz[i,j] × x[i+" +
                                 std::to_string(row) + ", j+" + std::to_string(col) + "] over every output.";
    else feedback = "Not quite: " + name + " = " + format_number(expected) + ", the sum of dL/dz[i,j] × w[" + std::to_string(row) +
                    "-i, " + std::to_string(col) + "-j] over the outputs whose window covers x[" + std::to_string(row) + "," +
                    std::to_string(col) + "].";
    if (lab.record.open()) {
        lab.ex_answered = true;
        lab.record.exercise["answered"] = true;
    }
    const json mistake = right ? json(nullptr) : name_mistake(value, expected, gradient_mistakes(lab), feedback);
    if (!right && mistake["id"] != "other") feedback = "Not quite. " + mistake["text"].get<std::string>();
    lab.record.checked(right, expected, value, feedback, lab.pending, {{"which", dweight ? "dw" : "dx"}, {"position", {row, col}}}, mistake);
    return "";
}

// Random small integers and one entry to compute by hand; the same seed gives the same exercise.
void new_exercise(BackpropLab& lab, uint64_t seed) {
    Rng rng(seed);
    const int H = rng.uniform_int(3, 4), W = rng.uniform_int(3, 4);
    const int K = rng.uniform_int(2, std::min(H, W) - 1);  // leaves an output of at least 2 x 2
    Problem p;
    p.input.assign(size_t(H), std::vector<float>(size_t(W)));
    for (auto& r : p.input)
        for (float& v : r) v = float(rng.uniform_int(0, 3));
    p.kernel.assign(size_t(K), std::vector<float>(size_t(K)));
    for (auto& r : p.kernel)
        for (float& v : r) v = float(rng.uniform_int(-2, 2));
    p.kernel[0][0] = rng.uniform_int(0, 1) ? 1.0f : -1.0f;  // never an all-zero kernel
    // t = z - (a small dL/dz), so dL/dz is small whole numbers
    Tensor z;
    Conv2dSpec spec = spec_for(p);
    Status s = conv2d(z, grid_tensor(p.input), grid_tensor(p.kernel), nullptr, spec);
    (void)s;
    p.target.assign(size_t(rows_of(z)), std::vector<float>(size_t(cols_of(z))));
    for (int r = 0; r < rows_of(z); r++)
        for (int c = 0; c < cols_of(z); c++) p.target[size_t(r)][size_t(c)] = at(z, r, c) - float(rng.uniform_int(-2, 2));
    lab.problem = p;
    lab.ex_dweight = rng.uniform() < 0.5f;
    if (lab.ex_dweight) {
        lab.ex_row = rng.uniform_int(0, K - 1);
        lab.ex_col = rng.uniform_int(0, K - 1);
    } else {  // an input pixel that more than one window covers
        lab.ex_row = rng.uniform_int(1, H - 2);
        lab.ex_col = rng.uniform_int(1, W - 2);
    }
    lab.ex_answered = false;
    lab.record.start({{"which", lab.ex_dweight ? "dw" : "dx"}, {"position", {lab.ex_row, lab.ex_col}},
                      {"question", entry_name(lab.ex_dweight, lab.ex_row, lab.ex_col)}, {"answered", false}},
                     seed, lab.pending);
    lab.dweight = lab.ex_dweight;
    lab.row = lab.ex_row;
    lab.col = lab.ex_col;
    lab.term = -1;
    lab.answer_text[0] = 0;
    recompute(lab);
}

// The working of the asked entry stays hidden until the student has answered it.
bool hidden(const BackpropLab& lab, bool dweight, int r, int c) {
    return lab.record.open() && !lab.ex_answered && dweight == lab.ex_dweight && r == lab.ex_row && c == lab.ex_col;
}

// ---------------------------------------------------------------------------------------------
// State and commands.

// Reads "which" ("dw" | "dx") and "position" of a focus or an answer object.
std::string read_entry(const json& v, const char* name, bool& dweight, int& row, int& col) {
    if (!v.is_object()) return std::string("\"") + name + "\" must be {\"which\": \"dw\" or \"dx\", \"position\": [row, col]}";
    std::string which = dweight ? "dw" : "dx";
    if (std::string e = read_string(v, "which", which); !e.empty()) return e;
    if (which != "dw" && which != "dx") return "\"which\" must be \"dw\" (a weight's gradient) or \"dx\" (an input pixel's)";
    dweight = which == "dw";
    if (v.contains("position"))
        if (std::string e = read_position(v["position"], "position", row, col); !e.empty()) return e;
    return "";
}

// "target": t, the output's shape. Read after "input" and "kernel", it first checks that they fit
// together and fits the target to their output (values kept where they overlap, zeros elsewhere),
// so a command that changes x or w without t still has a target.
std::string read_target(const json& f, Problem& p) {
    if (p.input.size() < 2 || p.input[0].size() < 2) return "\"input\" must be at least 2 x 2";
    if (p.kernel.size() > p.input.size() || p.kernel[0].size() > p.input[0].size())
        return "the kernel (" + std::to_string(p.kernel.size()) + " x " + std::to_string(p.kernel[0].size()) +
               ") must fit inside the input (" + std::to_string(p.input.size()) + " x " + std::to_string(p.input[0].size()) + ")";
    const size_t OH = p.input.size() - p.kernel.size() + 1, OW = p.input[0].size() - p.kernel[0].size() + 1;
    p.target.resize(OH);
    for (auto& r : p.target) r.resize(OW, 0.0f);
    if (!f.contains("target")) return "";
    if (std::string e = read_rows(f, "target", kMaxInput, kMaxInput, kValueLimit, false, p.target); !e.empty()) return e;
    if (p.target.size() != OH || p.target[0].size() != OW)
        return "\"target\" must have the output's shape, " + std::to_string(OH) + " x " + std::to_string(OW) + " (it is " +
               std::to_string(p.target.size()) + " x " + std::to_string(p.target[0].size()) + ")";
    return "";
}

const Field<Problem> kSettingFields[] = {
    rows_field("input", &Problem::input, kMaxInput, kMaxInput, kValueLimit),
    rows_field("kernel", &Problem::kernel, kMaxKernel, kMaxKernel, kValueLimit),
    {"target", read_target, [](const Problem& p) { return json(p.target); }},
};

json terms_json(const BackpropLab& lab) {
    json terms = json::array();
    for (const GradTerm& t : lab.terms)
        terms.push_back({{"dz_at", {t.oy, t.ox}}, {"dz", t.dout}, {"factor_at", lab.dweight ? json{t.iy, t.ix} : json{t.ky, t.kx}},
                         {"factor", t.factor}, {"product", t.product}});
    return terms;
}

const Output<BackpropLab> kOutputs[] = {
    {"output", [](const BackpropLab& lab) { return rows_json(lab.z); }},
    {"loss", [](const BackpropLab& lab) { return json(lab.loss); }},
    {"dz", [](const BackpropLab& lab) { return rows_json(lab.dz); }},
    {"dw", [](const BackpropLab& lab) { return rows_json(lab.dw); }},
    {"dx", [](const BackpropLab& lab) { return rows_json(lab.dx); }},
    {"focus", [](const BackpropLab& lab) { return json{{"which", lab.dweight ? "dw" : "dx"}, {"position", {lab.row, lab.col}}}; }},
    {"term", [](const BackpropLab& lab) { return lab.term < 0 ? json(nullptr) : json(lab.term); }},
    {"terms", terms_json},
    {"sum", [](const BackpropLab& lab) { return json(lab.sum); }},
    {"expression", [](const BackpropLab& lab) { return json(sum_expression(lab)); }},
    {"engine_value", [](const BackpropLab& lab) { return json(lab.engine_value); }},
    {"finite_difference", [](const BackpropLab& lab) { return json(lab.finite_difference); }},
    {"h", [](const BackpropLab&) { return json(kStep); }},
};

json backprop_state() {
    json s;
    write_fields(s, kSettingFields, g_lab.problem);
    write_outputs(s, kOutputs, g_lab);
    g_lab.record.write(s);
    return s;
}

std::string apply_command(BackpropLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, {"reset", "focus", "term", "step", "new_exercise", "seed", "hint", "answer"}, kOutputs);
        !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) {
        const ExerciseRecord kept = lab.record;
        lab = make_lab();
        lab.record.answered = kept.answered;  // the score is the student's, kept across examples
        lab.record.correct = kept.correct;
    }
    // 1. The numbers. A state sent back carries all three; each is checked against the others.
    Problem p = lab.problem;
    if (!(e = read_fields(f, kSettingFields, p)).empty()) return e;
    if (!(p == lab.problem)) {
        lab.problem = p;
        lab.record.close();  // new numbers end the exercise
    }
    recompute(lab);

    // 2. The exercise.
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;

    // 3. The focus and the highlighted product.
    if (f.contains("focus")) {
        bool dweight = lab.dweight;
        int r = lab.row, c = lab.col;
        if (!(e = read_entry(f["focus"], "focus", dweight, r, c)).empty()) return e;
        const Tensor& grad = dweight ? lab.dw : lab.dx;
        if (r < 0 || r >= rows_of(grad) || c < 0 || c >= cols_of(grad))
            return entry_name(dweight, r, c) + " is outside " + (dweight ? "dL/dw (" : "dL/dx (") + std::to_string(rows_of(grad)) +
                   " x " + std::to_string(cols_of(grad)) + "), counted from [0,0]";
        if (dweight != lab.dweight || r != lab.row || c != lab.col) lab.term = -1;
        lab.dweight = dweight;
        lab.row = r;
        lab.col = c;
        recompute(lab);
    }
    if (f.contains("term")) {
        if (f["term"].is_null()) {
            lab.term = -1;
        } else {
            int n = int(lab.terms.size());
            if (n == 0) return "this entry has no products to highlight";
            if (!(e = read_int(f, "term", 0, n - 1, lab.term)).empty()) return e + " (or null for the whole sum)";
        }
    }
    if (f.contains("step")) {
        int steps = 0;
        if (!(e = read_int(f, "step", -100, 100, steps)).empty()) return e;
        const int n = int(lab.terms.size());
        // -1 (the whole sum) sits after the last product: 0, 1, ..., n-1, whole, 0, ...
        int at_index = lab.term < 0 ? n : lab.term;
        at_index = ((at_index + steps) % (n + 1) + (n + 1)) % (n + 1);
        lab.term = at_index == n ? -1 : at_index;
    }

    // 4. A hint, an answer.
    if (!(e = give_hint_if_asked(f, lab, gradient_hints)).empty()) return e;
    if (f.contains("answer")) {
        const json& a = f["answer"];
        float value = 0;
        if (a.is_number()) {
            if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true}, or name the entry: "
                                      "{\"answer\": {\"which\": \"dw\", \"position\": [0, 0], \"value\": 1}}";
            if (!(e = read_number(f, "answer", -kValueLimit * kValueLimit, kValueLimit * kValueLimit, value)).empty()) return e;
            if (!(e = check_answer(lab, lab.ex_dweight, lab.ex_row, lab.ex_col, value)).empty()) return e;
        } else {
            bool dweight = lab.record.open() ? lab.ex_dweight : lab.dweight;
            int r = lab.record.open() ? lab.ex_row : lab.row, c = lab.record.open() ? lab.ex_col : lab.col;
            if (!a.is_object() || !a.contains("value"))
                return "\"answer\" must be a number, or {\"which\": \"dw\" or \"dx\", \"position\": [row, col], \"value\": number}";
            if (!(e = read_entry(a, "answer", dweight, r, c)).empty()) return e;
            if (!(e = read_number(a, "value", -kValueLimit * kValueLimit, kValueLimit * kValueLimit, value)).empty()) return e;
            if (!(e = check_answer(lab, dweight, r, c, value)).empty()) return e;
        }
    }
    return "";
}

std::string backprop_command(const json& fields) { return command_on_copy("backprop", g_lab, fields, apply_command); }

// A UI action goes through the command, so it is checked exactly like one from the page.
void ui_command(const json& fields) {
    std::string e = backprop_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

// ---------------------------------------------------------------------------------------------
// Drawing.

// Which product (index into terms) uses a cell; -1 none. `grid` is "x", "w" or "dz".
int term_at(const BackpropLab& lab, const char* grid, int r, int c) {
    if (hidden(lab, lab.dweight, lab.row, lab.col)) return -1;  // the exercise's entry: no hints until answered
    for (size_t i = 0; i < lab.terms.size(); i++) {
        const GradTerm& t = lab.terms[i];
        bool uses = false;
        if (grid[0] == 'd') uses = t.oy == r && t.ox == c;
        else if (grid[0] == 'x') uses = lab.dweight && t.iy == r && t.ix == c;
        else uses = !lab.dweight && t.ky == r && t.kx == c;
        if (uses && (lab.term < 0 || int(i) == lab.term)) return int(i);
    }
    return -1;
}

float largest(const Tensor& t) {
    float m = 0;
    for (float v : t.data) m = std::max(m, std::fabs(v));
    return m;
}

// One labelled grid of a tensor; cells a product uses get the term colour. Returns where it was.
GridResult value_grid(const BackpropLab& lab, const char* id, const char* caption, const Tensor& t, float cell, const char* uses) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(caption);
    const float scale = largest(t);
    GridResult g = draw_grid(id, rows_of(t), cols_of(t), cell, [&](int r, int c) {
        GridCell cellv{format_number(at(t, r, c)), signed_color(at(t, r, c), scale)};
        if (uses && term_at(lab, uses, r, c) >= 0) cellv.border = lab.term >= 0 ? kCurrentColor : kTermColor;
        return cellv;
    });
    ImGui::EndGroup();
    return g;
}

// dL/dz with K-1 zeros around it and the turned kernel laid on it at (p, q): the full convolution.
void draw_full_convolution(const BackpropLab& lab, float cell) {
    const int KH = rows_of(lab.w), KW = cols_of(lab.w), OH = rows_of(lab.dz), OW = cols_of(lab.dz);
    const int R = OH + 2 * (KH - 1), C = OW + 2 * (KW - 1);
    const float scale = largest(lab.dz);
    ImGui::BeginGroup();
    ImGui::Text("dL/dz padded, kernel turned 180°");
    GridResult g = draw_grid("full", R, C, cell, [&](int r, int c) {
        const int i = r - (KH - 1), j = c - (KW - 1);
        const bool inside = i >= 0 && i < OH && j >= 0 && j < OW;
        GridCell cellv;
        cellv.text = inside ? format_number(at(lab.dz, i, j)) : "0";
        cellv.fill = inside ? signed_color(at(lab.dz, i, j), scale) : IM_COL32(45, 45, 52, 255);
        if (!inside) { cellv.dashed = true; cellv.text_color = IM_COL32(140, 140, 150, 255); }
        const bool in_window = r >= lab.row && r < lab.row + KH && c >= lab.col && c < lab.col + KW;
        if (in_window) cellv.border = inside && term_at(lab, "dz", i, j) >= 0 && lab.term >= 0 ? kCurrentColor : kTermColor;
        return cellv;
    });
    // the turned weight each window cell multiplies by, in the cell's corner
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const float small = std::max(cell * 0.3f, 9.0f);
    for (int a = 0; a < KH && cell >= 26; a++)
        for (int b = 0; b < KW; b++) {
            const std::string wtext = "×" + format_number(at(lab.w, KH - 1 - a, KW - 1 - b));
            ImVec2 corner = g.cell_max(lab.row + a, lab.col + b);
            ImVec2 ts = ImGui::GetFont()->CalcTextSizeA(small, FLT_MAX, 0, wtext.c_str());
            draw->AddRectFilled(ImVec2(corner.x - ts.x - 4, corner.y - ts.y - 3), ImVec2(corner.x - 2, corner.y - 2), IM_COL32(0, 0, 0, 170));
            draw->AddText(ImGui::GetFont(), small, ImVec2(corner.x - ts.x - 3, corner.y - ts.y - 3), kTermColor, wtext.c_str());
        }
    ImGui::EndGroup();
}

void draw_settings(BackpropLab& lab) {
    ImGui::TextDisabled("GRADIENT ENTRY");
    if (ImGui::RadioButton("a weight: dL/dw", lab.dweight) && !lab.dweight) ui_command({{"focus", {{"which", "dw"}, {"position", {0, 0}}}}});
    if (ImGui::RadioButton("a pixel: dL/dx", !lab.dweight) && lab.dweight) ui_command({{"focus", {{"which", "dx"}, {"position", {1, 1}}}}});
    ImGui::TextDisabled("click a cell of dL/dw or dL/dx to pick it");
    ImGui::Separator();
    ImGui::TextDisabled("STEP THROUGH THE SUM");
    if (ImGui::ArrowButton("previous", ImGuiDir_Left)) ui_command({{"step", -1}});
    ImGui::SameLine();
    if (ImGui::ArrowButton("next", ImGuiDir_Right)) ui_command({{"step", 1}});
    ui_anchor("next");
    ImGui::SameLine();
    if (ImGui::Button("Whole sum")) ui_command({{"term", nullptr}});
    if (lab.term >= 0) ImGui::Text("product %d of %d", lab.term + 1, int(lab.terms.size()));
    else ImGui::Text("all %d products", int(lab.terms.size()));
    ImGui::Separator();
    ImGui::TextDisabled("NUMBERS");
    auto edit = [&](const char* label, const char* field, char* text, size_t size, const Rows& rows, int max) {
        if (ImGui::TreeNode(label)) {
            if (ImGui::IsItemToggledOpen() || text[0] == 0) std::snprintf(text, size, "%s", rows_to_text(rows).c_str());
            ImGui::InputTextMultiline("##text", text, size, ImVec2(-FLT_MIN, ImGui::GetTextLineHeight() * 5));
            if (ImGui::Button("Use these numbers")) {
                Rows parsed;
                std::string e = parse_rows_text(text, max, max, kValueLimit, parsed);
                if (e.empty()) ui_command({{field, parsed}});
                else lab.ui_note = "Not changed: " + e + ".";
            }
            ImGui::TreePop();
        }
    };
    edit("Input x", "input", lab.input_text, sizeof lab.input_text, lab.problem.input, kMaxInput);
    edit("Kernel w", "kernel", lab.kernel_text, sizeof lab.kernel_text, lab.problem.kernel, kMaxKernel);
    edit("Target t", "target", lab.target_text, sizeof lab.target_text, lab.problem.target, kMaxInput);
    const bool reset_clicked = ImGui::Button("Reset");
    ui_anchor("reset");
    if (reset_clicked) {
        ui_command({{"reset", true}});
        g_lab.input_text[0] = g_lab.kernel_text[0] = g_lab.target_text[0] = 0;
    }
    ImGui::Separator();
    ImGui::TextDisabled("EXERCISE");
    if (new_exercise_button(lab.record.answered, lab.record.correct)) ui_command({{"new_exercise", true}});
}

// The products of the focused entry, one line each, then the sum and the two checks.
void draw_sum(BackpropLab& lab) {
    const std::string name = entry_name(lab.dweight, lab.row, lab.col);
    ImGui::Text("%s = sum of dL/dz[i,j] × %s", name.c_str(),
                lab.dweight ? ("x[i+" + std::to_string(lab.row) + ", j+" + std::to_string(lab.col) + "]").c_str()
                            : ("w[" + std::to_string(lab.row) + "-i, " + std::to_string(lab.col) + "-j]").c_str());
    if (hidden(lab, lab.dweight, lab.row, lab.col)) {
        ImGui::TextColored(kDim, "Find the products yourself and add them; the working appears once you have checked an answer.");
        return;
    }
    for (size_t i = 0; i < lab.terms.size(); i++) {
        const GradTerm& t = lab.terms[i];
        const bool current = int(i) == lab.term;
        ImVec4 colour = current ? ImGui::ColorConvertU32ToFloat4(kCurrentColor) : ImVec4(1, 1, 1, 1);
        std::string line = cell_name("dL/dz", t.oy, t.ox) + " × " + factor_name(lab, t) + " = " + format_number(t.dout) +
                           " × " + format_number(t.factor) + " = " + format_number(t.product);
        ImGui::TextColored(colour, "%s %s", current ? ">" : " ", line.c_str());
        if (ImGui::IsItemClicked()) {
            ui_command({{"term", int(i)}});
            break;  // the terms may have been rebuilt
        }
    }
    ImGui::Text("Sum: %s", sum_expression(lab, "×").c_str());
    ImGui::Text("Engine (conv2d_backward): %s", format_number(lab.engine_value).c_str());
    char fd[64];
    std::snprintf(fd, sizeof fd, "%.4f", lab.finite_difference);
    ImGui::Text("Finite difference (L(%s + h) - L(%s - h)) / 2h, h = %s: %s", lab.dweight ? "w" : "x", lab.dweight ? "w" : "x",
                format_number(kStep).c_str(), fd);
    ImGui::SameLine();
    help_marker("Nudge that one number up and down a little, run the convolution and the loss again, and see how much L "
                "moved per unit of nudge. That slope is what the gradient means, so it must match the sum.");
}

void draw_exercise(BackpropLab& lab) {
    if (!lab.record.open()) return;
    ImGui::Separator();
    const std::string name = entry_name(lab.ex_dweight, lab.ex_row, lab.ex_col);
    ImGui::Text("Exercise: compute %s by hand.", name.c_str());
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    const bool enter = ImGui::InputText("##answer", lab.answer_text, sizeof lab.answer_text,
                                        ImGuiInputTextFlags_CharsScientific | ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer");
    ImGui::SameLine();
    const bool check_clicked = ImGui::Button("Check");
    ui_anchor("check");
    if (check_clicked || enter) {
        char* end = nullptr;
        const double value = std::strtod(lab.answer_text, &end);
        if (end == lab.answer_text || !std::isfinite(value)) lab.ui_note = "Type a number first.";
        else ui_command({{"answer", value}});
    }
}

void draw_feedback(const BackpropLab& lab) {
    last_answer_feedback(lab.record.last_answer);
    if (lab.record.open() && hint_ladder(lab.record.last_answer, lab.record.hints)) ui_command({{"hint", true}});
}

void backprop_draw() {
    BackpropLab& lab = g_lab;
    lab_intro("Backprop through a convolution",
              "The loss L = ½·sum of (z − t)² says how each output z should move: dL/dz = z − t. A weight's gradient "
              "adds, over every output, dL/dz times the pixel that weight touched; a pixel's gradient adds dL/dz "
              "times each weight that touched it, which is dL/dz convolved with the kernel turned 180°.");

    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 15, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    const float avail = ImGui::GetContentRegionAvail().x;
    const int H = rows_of(lab.x), W = cols_of(lab.x), KW = cols_of(lab.w), OW = cols_of(lab.z);
    float cell = avail / float(W + KW + 3 * OW + 6);
    cell = std::clamp(cell, 20.0f, 46.0f);
    (void)H;

    ImGui::TextDisabled("FORWARD");
    value_grid(lab, "x", "input x", lab.x, cell, "x");
    ui_anchor("input-grid");
    ImGui::SameLine(0, cell * 0.6f);
    value_grid(lab, "w", "kernel w", lab.w, cell, "w");
    ImGui::SameLine(0, cell * 0.6f);
    value_grid(lab, "z", "output z", lab.z, cell, nullptr);
    ImGui::SameLine(0, cell * 0.6f);
    value_grid(lab, "t", "target t", lab.t, cell, nullptr);
    ImGui::SameLine(0, cell * 0.6f);
    value_grid(lab, "dz", "dL/dz = z − t", lab.dz, cell, "dz");
    ImGui::Text("L = ½·sum of (z − t)² = %s", format_number(lab.loss).c_str());

    ImGui::Spacing();
    ImGui::TextDisabled("BACKWARD");
    const bool hide_dw = lab.record.open() && !lab.ex_answered && lab.ex_dweight;
    const bool hide_dx = lab.record.open() && !lab.ex_answered && !lab.ex_dweight;
    // In an exercise the asked entry reads "?" even while another entry is in focus.
    auto gradient_grid = [&](const char* id, const char* caption, const Tensor& t, bool is_dw, bool hide_any) {
        ImGui::BeginGroup();
        ImGui::TextUnformatted(caption);
        const float scale = largest(t);
        GridResult g = draw_grid(id, rows_of(t), cols_of(t), cell, [&](int r, int c) {
            GridCell cv{format_number(at(t, r, c)), signed_color(at(t, r, c), scale)};
            if (hide_any && r == lab.ex_row && c == lab.ex_col) {
                cv.text = "?";
                cv.fill = IM_COL32(40, 40, 48, 255);
            }
            if (lab.dweight == is_dw && r == lab.row && c == lab.col) cv.border = kFocusColor;
            return cv;
        });
        ImGui::EndGroup();
        if (g.clicked) ui_command({{"focus", {{"which", is_dw ? "dw" : "dx"}, {"position", {g.hover_row, g.hover_col}}}}});
    };
    gradient_grid("dw", "dL/dw", lab.dw, true, hide_dw);
    ui_anchor("dw-grid");
    ImGui::SameLine(0, cell);
    gradient_grid("dx", "dL/dx", lab.dx, false, hide_dx);
    ui_anchor("dx-grid");
    if (!lab.dweight && !hidden(lab, lab.dweight, lab.row, lab.col)) {
        ImGui::SameLine(0, cell);
        draw_full_convolution(lab, cell * 0.8f);
    }
    ImGui::Separator();
    draw_sum(lab);
    draw_exercise(lab);
    draw_feedback(lab);
    if (!lab.ui_note.empty()) ImGui::TextColored(kWrong, "%s", lab.ui_note.c_str());
    ImGui::EndChild();
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "backprop", .name = "Backprop through a convolution",
                    .summary = "Step through the sums behind a convolution's gradients and check them against a finite difference.",
                    .draw = backprop_draw, .state = backprop_state, .command = backprop_command,
                    .teaches = {"gradient-of-convolution", "Gradient of a convolution"});
