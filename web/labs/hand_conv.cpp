// hand_conv.cpp — Lab "Convolution by hand" (the lesson "seeing edges by hand").
//
// A convolution slides a small grid of weights, the kernel, across an image. Wherever the kernel
// sits, each weight meets one pixel: multiply each pair, add the products (and the bias), and
// that sum is one output number. Step the window yourself and watch the output fill in; then do
// it by hand in the exercise and let the lab check you.
//
// Everything the lab computes comes from the engine (engine/conv.h): conv2d / conv1d for the
// output, conv2d_window for the products under the window. This file only decides what to show.
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

constexpr int kMaxImage2d = 16;      // rows and columns of the image in 2D mode
constexpr int kMaxImage1d = 32;      // values of the signal in 1D mode
constexpr int kMaxKernel = 7;        // rows and columns of the kernel
constexpr int kMaxOutput = 40;       // output rows or columns the lab lays out by hand
constexpr float kValueLimit = 1e6f;  // largest |value| typed into an image, kernel, bias or answer
constexpr int kSettingLimit = 1000;  // largest |stride|, |padding|, |dilation| taken (the engine explains the rest)

// ---------------------------------------------------------------------------------------------
// The state: one plain struct.

// Everything that decides the output. Changing any of it starts the exercise answers afresh.
struct Problem {
    bool one_d = false;                            // 1D mode: the image is one row (a signal), the kernel too
    Rows image;                                    // (H, W) pixel values; white = 1, black = 0
    Rows kernel;                                   // (KH, KW) weights
    float bias = 0;                                // added to every sum
    int stride = 1;                                // s: cells the window moves per step
    PaddingMode padding_mode = PaddingMode::number;
    int padding = 0;                               // p: zeros on each side, when padding_mode is number
    int dilation = 1;                              // d: 1 = taps side by side, 2 = one cell gap, ...
    bool flip = false;                             // true convolution (kernel turned 180 degrees)
    bool operator==(const Problem&) const = default;
};

enum class Mark { open, right, wrong, revealed };  // an exercise cell: not answered yet / ... / shown

struct HandConvLab {
    Problem problem;
    // The window: which output cell it makes.
    int row = 0, col = 0;        // output cell (0-based)
    bool playing = false;        // auto-play steps the window forward
    float speed = 2.0f;          // steps per second while playing
    float play_clock = 0.0f;     // seconds since the last automatic step
    bool show_all = false;       // explore mode: show every output cell, not only those visited
    // The exercise.
    bool exercise = false;                    // exercise mode: output cells hidden until answered
    std::vector<std::vector<Mark>> marks;     // (OH, OW) each cell's state
    std::vector<std::vector<float>> answers;  // (OH, OW) last answer typed for each cell, NaN = none
    std::vector<std::vector<bool>> asked;     // (OH, OW) cells this exercise asks for
    int attempts = 0;                         // answers checked in this exercise
    json seed = nullptr;                      // seed of a generated exercise, null when set up by hand
    ExerciseRecord record;                    // the score since the lab opened, and the last answer
    Pending pending;                          // what a command caused, carried out once it is kept
    // Derived from `problem` by recompute(); never edited directly.
    Problem computed_for;                     // the problem the fields below belong to
    bool computed = false;
    ConvAxis rows_axis, cols_axis;            // resolved geometry (padding per side)
    Tensor output;                            // (1,1,OH,OW) when `message` is empty
    std::string message;                      // why these settings give no output, "" when they do
    std::vector<ConvTerm> terms;              // (KH*KW) the products under the window
    // UI only: text being typed, and a note about the last thing typed.
    char answer_text[32] = "";
    char product_text[kMaxKernel * kMaxKernel][16] = {};
    char image_text[4096] = "";
    float brush = 1.0f;          // value painted by a click on the image
    std::string ui_note;         // e.g. why typed numbers were not taken
};

HandConvLab make_lab();
HandConvLab g_lab = make_lab();  // the lab's one instance

// ---------------------------------------------------------------------------------------------
// Presets.

struct KernelPreset {
    const char* id;
    const char* name;
    Rows kernel_2d;
    Rows kernel_1d;  // empty: no 1D form
    const char* what;
};

const std::vector<KernelPreset>& kernel_presets() {
    static const float ninth = 1.0f / 9.0f, third = 1.0f / 3.0f;
    static const std::vector<KernelPreset> presets = {
        {"identity", "Identity", {{0, 0, 0}, {0, 1, 0}, {0, 0, 0}}, {{0, 1, 0}}, "copies the image: only the centre weight is 1"},
        {"sobel-x", "Sobel x", {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}}, {{-1, 0, 1}}, "right minus left: bright where the image gets brighter to the right"},
        {"sobel-y", "Sobel y", {{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}}, {}, "below minus above: finds horizontal edges"},
        {"edge", "[1, -1] edge", {{1, -1}}, {{1, -1}}, "a pixel minus its right neighbour: the smallest edge detector"},
        {"box-blur", "Box blur", {{ninth, ninth, ninth}, {ninth, ninth, ninth}, {ninth, ninth, ninth}}, {{third, third, third}}, "the average of the window: smooths"},
        {"sharpen", "Sharpen", {{0, -1, 0}, {-1, 5, -1}, {0, -1, 0}}, {{-1, 3, -1}}, "the pixel, plus how much it differs from its neighbours"},
        {"laplacian", "Laplacian", {{0, 1, 0}, {1, -4, 1}, {0, 1, 0}}, {{1, -2, 1}}, "neighbours minus centre: zero on flat areas and straight ramps"},
    };
    return presets;
}

struct ImagePreset {
    const char* id;
    const char* name;
    Rows image;
};

const std::vector<ImagePreset>& image_presets_2d() {
    static const std::vector<ImagePreset> presets = {
        {"white-square", "White square", {{0, 0, 0, 0, 0}, {0, 1, 1, 1, 0}, {0, 1, 1, 1, 0}, {0, 1, 1, 1, 0}, {0, 0, 0, 0, 0}}},
        {"vertical-edge", "Vertical edge", {{0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 1}}},
        {"diagonal", "Diagonal line", {{1, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 0}, {0, 0, 0, 1, 0, 0}, {0, 0, 0, 0, 1, 0}, {0, 0, 0, 0, 0, 1}}},
        {"checker", "Checkerboard", {{1, 0, 1, 0, 1, 0}, {0, 1, 0, 1, 0, 1}, {1, 0, 1, 0, 1, 0}, {0, 1, 0, 1, 0, 1}, {1, 0, 1, 0, 1, 0}, {0, 1, 0, 1, 0, 1}}},
        {"ramp", "Ramp", {{0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}}},
    };
    return presets;
}

const std::vector<ImagePreset>& image_presets_1d() {
    static const std::vector<ImagePreset> presets = {
        {"step", "Step up and down", {{0, 0, 1, 1, 1, 0, 0}}},
        {"spike", "Single spike", {{0, 0, 0, 1, 0, 0, 0}}},
        {"ramp", "Ramp", {{0, 1, 2, 3, 4, 5, 6}}},
        {"noisy", "Noisy step", {{0, 0.2f, 0, 0.1f, 1, 0.9f, 1, 1.1f}}},
    };
    return presets;
}

const KernelPreset* find_kernel_preset(const std::string& id) {
    for (const KernelPreset& p : kernel_presets()) if (id == p.id) return &p;
    return nullptr;
}

const ImagePreset* find_image_preset(const std::string& id, bool one_d) {
    for (const ImagePreset& p : one_d ? image_presets_1d() : image_presets_2d()) if (id == p.id) return &p;
    return nullptr;
}

Problem default_problem(bool one_d) {
    Problem p;
    p.one_d = one_d;
    p.image = one_d ? image_presets_1d()[0].image : image_presets_2d()[0].image;
    p.kernel = one_d ? find_kernel_preset("edge")->kernel_1d : find_kernel_preset("sobel-x")->kernel_2d;
    return p;
}

// ---------------------------------------------------------------------------------------------
// Computing: everything derived comes from the engine.

int image_rows(const Problem& p) { return int(p.image.size()); }
int image_cols(const Problem& p) { return int(p.image[0].size()); }
int kernel_rows(const Problem& p) { return int(p.kernel.size()); }
int kernel_cols(const Problem& p) { return int(p.kernel[0].size()); }
int output_rows(const HandConvLab& lab) { return lab.message.empty() ? lab.output.shape[2] : 0; }
int output_cols(const HandConvLab& lab) { return lab.message.empty() ? lab.output.shape[3] : 0; }
float output_at(const HandConvLab& lab, int r, int c) { return lab.output.data[size_t(r * output_cols(lab) + c)]; }

Tensor rows_to_tensor(const Rows& rows) {  // (1,1,R,C)
    Tensor t;
    Status s = tensor_from_rows(t, rows);  // rows were checked when they came in
    (void)s;
    t.shape = {1, 1, t.shape[0], t.shape[1]};
    return t;
}

Conv2dSpec spec_of(const HandConvLab& lab) {
    Conv2dSpec spec;
    spec.rows = lab.rows_axis;
    spec.cols = lab.cols_axis;
    spec.flip = lab.problem.flip;
    return spec;
}

void reset_exercise(HandConvLab& lab) {
    int OH = output_rows(lab), OW = output_cols(lab);
    lab.marks.assign(size_t(OH), std::vector<Mark>(size_t(OW), Mark::open));
    lab.answers.assign(size_t(OH), std::vector<float>(size_t(OW), NAN));
    lab.asked.assign(size_t(OH), std::vector<bool>(size_t(OW), true));
    lab.attempts = 0;
    lab.record.last_answer = nullptr;
    lab.record.hints.clear();
}

void clear_typing(HandConvLab& lab) {
    lab.answer_text[0] = 0;
    for (auto& t : lab.product_text) t[0] = 0;
}

// Exercise mode hides the output cells until they are answered; explore mode shows them.
void set_mode(HandConvLab& lab, bool exercise) {
    lab.exercise = exercise;
    lab.seed = nullptr;  // an exercise set up by hand
    lab.playing = false;
    reset_exercise(lab);
    clear_typing(lab);
}

// The products under the window at the current position.
void compute_window(HandConvLab& lab) {
    lab.terms.clear();
    if (!lab.message.empty()) return;
    Tensor inp = rows_to_tensor(lab.problem.image), weight = rows_to_tensor(lab.problem.kernel);
    Status s = conv2d_window(lab.terms, inp, weight, spec_of(lab), 0, 0, lab.row, lab.col);
    if (!s.ok()) lab.terms.clear();
}

// Recomputes the output when the problem changed since last time; keeps the window inside it.
void recompute(HandConvLab& lab) {
    if (lab.computed && lab.problem == lab.computed_for) return;
    const Problem& p = lab.problem;
    const int H = image_rows(p), W = image_cols(p);
    lab.rows_axis = make_conv_axis(H, kernel_rows(p), p.one_d ? 1 : p.stride, p.one_d ? 1 : p.dilation,
                                   p.one_d ? PaddingMode::valid : p.padding_mode, p.padding);
    lab.cols_axis = make_conv_axis(W, kernel_cols(p), p.stride, p.dilation, p.padding_mode, p.padding);
    lab.message.clear();
    int64_t OH = conv_output_size(H, lab.rows_axis), OW = conv_output_size(W, lab.cols_axis);
    Tensor bias{{1}, {p.bias}};  // (OC) = (1): one output channel
    Status s;
    bool too_big = false;  // the output exists but is too large to lay out
    if (p.one_d) {
        Tensor inp, weight, out;
        inp.shape = {1, 1, W};
        inp.data = p.image[0];
        weight.shape = {1, 1, kernel_cols(p)};
        weight.data = p.kernel[0];
        s = check_conv_axis(W, lab.cols_axis, "values");
        too_big = s.ok() && OW > kMaxOutput;
        if (s.ok() && !too_big) s = conv1d(out, inp, weight, &bias, lab.cols_axis, p.flip);
        if (s.ok() && !too_big) lab.output = Tensor{{1, 1, 1, out.shape[2]}, out.data};
    } else {
        s = check_conv_axis(H, lab.rows_axis, "rows");
        if (s.ok()) s = check_conv_axis(W, lab.cols_axis, "columns");
        too_big = s.ok() && (OH > kMaxOutput || OW > kMaxOutput);
        if (s.ok() && !too_big) s = conv2d(lab.output, rows_to_tensor(p.image), rows_to_tensor(p.kernel), &bias, spec_of(lab));
    }
    if (!s.ok() || too_big) {
        lab.message = too_big
            ? "The output would be " + std::to_string(OH) + " x " + std::to_string(OW) +
              " cells, more than this lab lays out by hand (at most " + std::to_string(kMaxOutput) +
              " a side). Lower the padding or raise the stride."
            : "No output: " + s.message + ".";
        lab.output = Tensor{};
    }
    lab.computed_for = p;
    lab.computed = true;
    lab.row = std::clamp(lab.row, 0, std::max(output_rows(lab) - 1, 0));
    lab.col = std::clamp(lab.col, 0, std::max(output_cols(lab) - 1, 0));
    reset_exercise(lab);
    lab.seed = nullptr;  // a changed problem is no longer the one a seed made
    clear_typing(lab);
    compute_window(lab);
}

void move_window(HandConvLab& lab, int row, int col) {
    if (row == lab.row && col == lab.col) return;
    lab.row = row;
    lab.col = col;
    lab.record.hints.clear();  // hints are about one cell's sum
    clear_typing(lab);
    compute_window(lab);
}

// Moves the window `steps` cells in reading order (left to right, then down), stopping at the ends.
void step_window(HandConvLab& lab, int steps) {
    int OW = output_cols(lab), cells = output_rows(lab) * OW;
    if (cells == 0) return;
    int index = std::clamp(lab.row * OW + lab.col + steps, 0, cells - 1);
    move_window(lab, index / OW, index % OW);
}

HandConvLab make_lab() {
    HandConvLab lab;
    lab.problem = default_problem(false);
    recompute(lab);
    return lab;
}

// ---------------------------------------------------------------------------------------------
// The exercise.

int count_marks(const HandConvLab& lab, Mark m) {
    int n = 0;
    for (size_t r = 0; r < lab.marks.size(); r++)
        for (size_t c = 0; c < lab.marks[r].size(); c++) n += lab.asked[r][c] && lab.marks[r][c] == m;
    return n;
}

int count_asked(const HandConvLab& lab) {
    int n = 0;
    for (const auto& row : lab.asked) n += int(std::count(row.begin(), row.end(), true));
    return n;
}

bool exercise_complete(const HandConvLab& lab) {
    int asked = count_asked(lab);
    return asked > 0 && count_marks(lab, Mark::right) + count_marks(lab, Mark::revealed) == asked;
}

// Writes the sum for the current window as a person would: "0*-1 + 1*0 + ... = 3"
// (the UI passes "×" for `times`; the API keeps the plain "*").
std::string sum_expression(const HandConvLab& lab, const char* times = "*") {
    std::string s;
    float sum = 0;
    for (size_t i = 0; i < lab.terms.size(); i++) {
        const ConvTerm& t = lab.terms[i];
        s += (i ? " + " : "") + format_number(t.input) + times + format_number(t.weight);
        sum += t.product;
    }
    if (lab.problem.bias != 0) s += " + " + format_number(lab.problem.bias) + " (bias)";
    return s + " = " + format_number(sum + lab.problem.bias);
}

// ---- The mistakes a sum by hand draws, each as the value it gives for the current cell.
// The four output cells beside one: (row step, column step).
constexpr int kNeighbours[4][2] = {{0, 1}, {0, -1}, {1, 0}, {-1, 0}};

std::string cell_name(int row, int col) { return "[" + std::to_string(row) + ", " + std::to_string(col) + "]"; }

float window_sum(const std::vector<ConvTerm>& terms) {
    float sum = 0;
    for (const ConvTerm& t : terms) sum += t.product;
    return sum;
}

std::vector<MistakeAnswer> sum_mistakes(const HandConvLab& lab) {
    const Problem& p = lab.problem;
    const std::string here = cell_name(lab.row, lab.col);
    std::vector<MistakeAnswer> list;
    // The other convention: cross-correlation lays the kernel on as it is; true convolution turns it 180 degrees.
    std::vector<ConvTerm> turned;
    Conv2dSpec other = spec_of(lab);
    other.flip = !p.flip;
    if (conv2d_window(turned, rows_to_tensor(p.image), rows_to_tensor(p.kernel), other, 0, 0, lab.row, lab.col).ok())
        list.push_back({p.flip ? "kernel-not-flipped" : "kernel-flipped", window_sum(turned) + p.bias,
                        p.flip ? "You laid the kernel on as it is. This lab computes a true convolution: turn the kernel 180 degrees "
                                 "first, so its bottom-right weight sits on the window's top-left pixel."
                               : "You turned the kernel around. This lab computes cross-correlation, as CNN libraries do: the kernel "
                                 "is laid on as it is, its top-left weight on the window's top-left pixel."});
    if (p.bias != 0)
        list.push_back({"bias-left-out", window_sum(lab.terms),
                        "You left out the bias: after the products comes + " + format_number(p.bias) + ", added to every output cell."});
    for (const ConvTerm& t : lab.terms)
        if (t.product != 0)
            list.push_back({"product-left-out", window_sum(lab.terms) - t.product + p.bias,
                            "You left out a product: " + format_number(t.input) + " × " + format_number(t.weight) + " = " +
                                format_number(t.product) + " (weight [" + std::to_string(t.ky) + ", " + std::to_string(t.kx) +
                                "] on input [" + std::to_string(t.iy) + ", " + std::to_string(t.ix) + "]). Every weight of the kernel "
                                "makes one product."});
    for (const auto& m : kNeighbours) {
        const int r = lab.row + m[0], c = lab.col + m[1];
        if (r < 0 || r >= output_rows(lab) || c < 0 || c >= output_cols(lab)) continue;
        list.push_back({"neighbouring-window", output_at(lab, r, c),
                        "That is output " + cell_name(r, c) + "'s sum: its window is one step " +
                            (m[0] ? (m[0] > 0 ? "lower" : "higher") : (m[1] > 0 ? "to the right" : "to the left")) + ". Output " +
                            here + "'s window starts at input [" + std::to_string(lab.row * (p.one_d ? 1 : p.stride) - lab.rows_axis.pad_before) +
                            ", " + std::to_string(lab.col * p.stride - lab.cols_axis.pad_before) + "]."});
    }
    return list;
}

// The hint ladder for the current cell: the rule, where the window lies and its first product, and
// every product without the last addition.
HintLadder sum_hints(const HandConvLab& lab) {
    const Problem& p = lab.problem;
    const std::string rule = "Output " + cell_name(lab.row, lab.col) +
                             " is the sum of pixel × weight over its window, plus the bias. " +
                             (p.flip ? "This lab computes a true convolution: the kernel is turned 180 degrees before it is laid on."
                                     : "This lab computes cross-correlation, as CNN libraries do: the kernel is laid on as it is.");
    if (lab.terms.empty()) return {rule, rule, rule};
    const ConvTerm& first = lab.terms.front();
    const ConvTerm& last = lab.terms.back();
    std::string step = "The window covers input rows " + std::to_string(first.iy) + " to " + std::to_string(last.iy) + " and columns " +
                       std::to_string(first.ix) + " to " + std::to_string(last.ix) + (first.padding || last.padding ? " (cells outside the image are padding zeros)" : "") +
                       ". Its first product is " + format_number(first.input) + " × " + format_number(first.weight) + " = " +
                       format_number(first.product) + ".";
    std::string products;
    for (size_t i = 0; i < lab.terms.size(); i++) products += (i ? ", " : "") + format_number(lab.terms[i].product);
    std::string almost = "The products are " + products + ". " +
                         (p.bias != 0 ? "They add up to " + format_number(window_sum(lab.terms)) + "; one step is left: the bias."
                                      : "One step is left: add them (the bias is 0).");
    return {rule, step, almost};
}

// Checks an answer for output cell (row, col); `products` (KH*KW, NaN = not typed) are the
// student's products for that window, optional. Returns "" or a message for a bad request.
std::string check_answer(HandConvLab& lab, int row, int col, float value, const std::vector<float>& products) {
    if (!lab.exercise) return "answers are checked in exercise mode: send {\"mode\": \"exercise\"} first";
    if (!lab.message.empty()) return "there is no output to answer: " + lab.message;
    if (row < 0 || row >= output_rows(lab) || col < 0 || col >= output_cols(lab))
        return "cell [" + std::to_string(row) + ", " + std::to_string(col) + "] is outside the output (" +
               std::to_string(output_rows(lab)) + " x " + std::to_string(output_cols(lab)) + ")";
    if (!lab.asked[size_t(row)][size_t(col)])
        return "cell [" + std::to_string(row) + ", " + std::to_string(col) + "] is not part of this exercise";
    move_window(lab, row, col);
    float expected = output_at(lab, row, col);
    bool right = close_enough(value, expected);
    json off = json::array();
    bool typed_products = false;
    for (size_t i = 0; i < products.size() && i < lab.terms.size(); i++) {
        if (std::isnan(products[i])) continue;
        typed_products = true;
        if (!close_enough(products[i], lab.terms[i].product)) off.push_back({lab.terms[i].ky, lab.terms[i].kx});
    }
    lab.attempts++;
    lab.answers[size_t(row)][size_t(col)] = value;
    Mark& mark = lab.marks[size_t(row)][size_t(col)];
    if (mark != Mark::revealed) mark = right ? Mark::right : Mark::wrong;
    std::string feedback;
    if (right) {
        feedback = "Right! " + sum_expression(lab, "×");
    } else if (!off.empty()) {
        feedback = "Not yet: " + std::to_string(off.size()) + (off.size() == 1 ? " product is" : " products are") +
                   " off (marked red). Each product is the pixel times the weight on top of it.";
    } else if (typed_products) {
        feedback = "Not yet, but the products you typed are right: check the addition" +
                   std::string(lab.problem.bias != 0 ? " and the bias." : ".");
    } else {
        feedback = "Not yet. Type the products of the window to see which one is off, or try again.";
    }
    const json mistake = right ? json(nullptr) : name_mistake(value, expected, sum_mistakes(lab), feedback);
    if (!right && mistake["id"] != "other" && off.empty()) feedback = "Not yet. " + mistake["text"].get<std::string>();
    // Where the view points: the product left out (marked in the products), the neighbour whose sum it is (outlined).
    json points_at = nullptr;
    if (!right && mistake["id"] == "product-left-out")
        for (const ConvTerm& t : lab.terms)
            if (t.product != 0 && close_enough(value, window_sum(lab.terms) - t.product + lab.problem.bias)) {
                points_at = {{"tap", {t.ky, t.kx}}};
                break;
            }
    if (!right && mistake["id"] == "neighbouring-window")
        for (const auto& m : kNeighbours) {
            const int r = row + m[0], c = col + m[1];
            if (r >= 0 && r < output_rows(lab) && c >= 0 && c < output_cols(lab) && close_enough(value, output_at(lab, r, c))) {
                points_at = {{"cell", {r, c}}};
                break;
            }
        }
    lab.record.checked(right, expected, value, feedback, lab.pending,
                       {{"position", {row, col}}, {"products_checked", typed_products}, {"products_off", off}, {"points_at", points_at}},
                       mistake);
    if (right) lab.record.hints.clear();  // the next cell starts its own ladder
    if (right && exercise_complete(lab)) lab.pending.add("exercise-complete");
    return "";
}

std::string reveal_cell(HandConvLab& lab, int row, int col) {
    if (!lab.exercise) return "\"reveal\" is for exercise mode";
    if (row < 0 || row >= output_rows(lab) || col < 0 || col >= output_cols(lab)) return "that cell is outside the output";
    move_window(lab, row, col);
    Mark& mark = lab.marks[size_t(row)][size_t(col)];
    if (mark != Mark::right) mark = Mark::revealed;
    // Shown, not answered: nothing is counted, and last_answer says so.
    lab.record.last_answer = {{"correct", false}, {"expected", output_at(lab, row, col)}, {"given", nullptr},
                              {"feedback", "Shown: " + sum_expression(lab, "×")}, {"position", {row, col}}, {"revealed", true}};
    if (exercise_complete(lab)) lab.pending.add("exercise-complete");
    return "";
}

// The exercise's record: the seed that made it (null when set up by hand) and the cells it asks
// for; the problem itself is in the state's own fields. Null in explore mode.
json exercise_setup(const HandConvLab& lab) {
    if (!lab.exercise) return nullptr;
    json cells = json::array();
    for (size_t r = 0; r < lab.asked.size(); r++)
        for (size_t c = 0; c < lab.asked[r].size(); c++)
            if (lab.asked[r][c]) cells.push_back({int(r), int(c)});
    return {{"seed", lab.seed}, {"cells", cells}};
}

// Makes a random small exercise. The same seed gives the same exercise everywhere.
void new_exercise(HandConvLab& lab, uint64_t seed) {
    Rng rng(seed);
    Problem p;
    p.one_d = lab.problem.one_d;
    if (p.one_d) {
        int W = rng.uniform_int(6, 9), K = rng.uniform_int(2, 3);
        p.image = {std::vector<float>(size_t(W))};
        for (float& v : p.image[0]) v = float(rng.uniform_int(0, 3));
        p.kernel = {std::vector<float>(size_t(K))};
        for (float& v : p.kernel[0]) v = float(rng.uniform_int(-2, 2));
        p.kernel[0][0] = rng.uniform_int(0, 1) ? 1.0f : -1.0f;  // never an all-zero kernel
    } else {
        int H = rng.uniform_int(4, 5), W = rng.uniform_int(4, 5), K = rng.uniform_int(2, 3);
        p.image.assign(size_t(H), std::vector<float>(size_t(W)));
        for (auto& row : p.image)
            for (float& v : row) v = rng.uniform() < 0.55f ? 0.0f : float(rng.uniform_int(1, 2));
        p.kernel.assign(size_t(K), std::vector<float>(size_t(K)));
        for (auto& row : p.kernel)
            for (float& v : row) v = float(rng.uniform_int(-1, 2));
        p.kernel[0][0] = rng.uniform_int(0, 1) ? 1.0f : -1.0f;
        if (K == 2 && rng.uniform() < 0.3f) p.stride = 2;
        else if (K == 3 && rng.uniform() < 0.3f) p.padding = 1;
    }
    if (rng.uniform() < 0.5f) p.bias = float(rng.uniform_int(1, 2)) * (rng.uniform() < 0.5f ? -1.0f : 1.0f);  // so a forgotten bias shows
    lab.problem = p;
    lab.computed = false;
    recompute(lab);  // resets answers
    lab.exercise = true;
    lab.seed = seed;
    lab.show_all = false;
    lab.playing = false;
    move_window(lab, 0, 0);
    lab.record.start(exercise_setup(lab), seed, lab.pending);
}

// ---------------------------------------------------------------------------------------------
// State to and from JSON (the page's window.cnnlab API and saved links use these).

json output_json(const HandConvLab& lab) {
    if (!lab.message.empty()) return nullptr;
    json rows = json::array();
    for (int r = 0; r < output_rows(lab); r++) {
        json row = json::array();
        for (int c = 0; c < output_cols(lab); c++) row.push_back(output_at(lab, r, c));
        rows.push_back(row);
    }
    return rows;
}

// "dims": 1 or 2; switching starts that mode's example (the flip stays).
std::string read_dims(const json& f, Problem& p) {
    int dims = p.one_d ? 1 : 2;
    if (std::string e = read_int(f, "dims", 1, 2, dims); !e.empty()) return e;
    if ((dims == 1) != p.one_d) {
        Problem fresh = default_problem(dims == 1);
        fresh.flip = p.flip;
        p = fresh;
    }
    return "";
}

// "image": rows of numbers, or a preset by name ("image_preset": "white-square"), which comes first.
std::string read_image(const json& f, Problem& p) {
    std::string preset;
    if (std::string e = read_string(f, "image_preset", preset); !e.empty()) return e;
    if (!preset.empty()) {
        const ImagePreset* ip = find_image_preset(preset, p.one_d);
        if (!ip) {
            std::string names;
            for (const ImagePreset& x : p.one_d ? image_presets_1d() : image_presets_2d()) names += std::string(names.empty() ? "" : ", ") + x.id;
            return "no image preset \"" + preset.substr(0, 30) + "\" in " + (p.one_d ? "1D" : "2D") + " mode; try: " + names;
        }
        p.image = ip->image;
    }
    return read_grid(f, "image", p.one_d, kMaxImage2d, kMaxImage1d, kValueLimit, p.image);
}

// "kernel": rows of numbers, or a preset by name ("preset": "sobel-x"), which comes first.
std::string read_kernel(const json& f, Problem& p) {
    std::string preset;
    if (std::string e = read_string(f, "preset", preset); !e.empty()) return e;
    if (!preset.empty()) {
        const KernelPreset* kp = find_kernel_preset(preset);
        if (!kp) {
            std::string names;
            for (const KernelPreset& x : kernel_presets()) names += std::string(names.empty() ? "" : ", ") + x.id;
            return "no kernel preset \"" + preset.substr(0, 30) + "\"; try: " + names;
        }
        if (p.one_d && kp->kernel_1d.empty()) return std::string("the ") + kp->name + " kernel has no 1D form; switch to 2D (dims 2)";
        p.kernel = p.one_d ? kp->kernel_1d : kp->kernel_2d;
    }
    return read_grid(f, "kernel", p.one_d, kMaxKernel, kMaxKernel, kValueLimit, p.kernel);
}

const Field<Problem> kSettingFields[] = {
    {"dims", read_dims, [](const Problem& p) { return json(p.one_d ? 1 : 2); }},
    {"image", read_image, [](const Problem& p) { return json(p.image); }},
    {"kernel", read_kernel, [](const Problem& p) { return json(p.kernel); }},
    number_field("bias", &Problem::bias, -kValueLimit, kValueLimit),
    whole_field("stride", &Problem::stride, -kSettingLimit, kSettingLimit),
    whole_field("dilation", &Problem::dilation, -kSettingLimit, kSettingLimit),
    {"padding", [](const json& f, Problem& p) { return read_padding(f, -kSettingLimit, kSettingLimit, p.padding_mode, p.padding); },
     [](const Problem& p) { return padding_json(p.padding_mode, p.padding); }},
    flag_field("flip", &Problem::flip),
};

json window_json(const HandConvLab& lab) {
    if (lab.terms.empty()) return nullptr;
    json terms = json::array();
    float sum = 0;
    for (const ConvTerm& t : lab.terms) {
        terms.push_back({{"tap", {t.ky, t.kx}}, {"at", {t.iy, t.ix}}, {"input", t.input}, {"weight", t.weight},
                         {"product", t.product}, {"padding", t.padding}});
        sum += t.product;
    }
    return {{"terms", terms}, {"sum", sum}, {"value", sum + lab.problem.bias}, {"expression", sum_expression(lab)}};
}

// Each output cell's last typed answer (null: none).
json answers_json(const HandConvLab& lab) {
    json answers = json::array();
    for (const auto& row : lab.answers) {
        json a = json::array();
        for (float v : row) a.push_back(std::isnan(v) ? json(nullptr) : json(v));
        answers.push_back(a);
    }
    return answers;
}

// Whether each output cell's last answer was right (null: not checked, or shown).
json marks_json(const HandConvLab& lab) {
    json correct = json::array();
    for (const auto& row : lab.marks) {
        json c = json::array();
        for (Mark m : row) c.push_back(m == Mark::right ? json(true) : m == Mark::wrong ? json(false) : json(nullptr));
        correct.push_back(c);
    }
    return correct;
}

// How the window moves, and what is shown of the output.
const Field<HandConvLab> kViewFields[] = {
    flag_field("show_all", &HandConvLab::show_all),
    flag_field("playing", &HandConvLab::playing),
    number_field("speed", &HandConvLab::speed, 0.25f, 20.0f),
};

// What the lab computes, and its view and per-cell exercise fields beside the shared record.
const Output<HandConvLab> kOutputs[] = {
    {"padding_sides", [](const HandConvLab& lab) {
         return json{{"top", lab.rows_axis.pad_before}, {"bottom", lab.rows_axis.pad_after},
                     {"left", lab.cols_axis.pad_before}, {"right", lab.cols_axis.pad_after}};
     }},
    {"output", output_json},
    {"output_size", [](const HandConvLab& lab) { return json{output_rows(lab), output_cols(lab)}; }},
    {"message", [](const HandConvLab& lab) { return text_or_null(lab.message); }},
    {"formula", [](const HandConvLab& lab) {
         return json{{"rows", conv_output_size_formula(image_rows(lab.problem), lab.rows_axis)},
                     {"cols", conv_output_size_formula(image_cols(lab.problem), lab.cols_axis)}};
     }},
    {"parameters", [](const HandConvLab& lab) { return json(kernel_rows(lab.problem) * kernel_cols(lab.problem) + 1); }},  // weights + one bias
    {"position", [](const HandConvLab& lab) { return json{lab.row, lab.col}; }},
    {"window", window_json},
    {"mode", [](const HandConvLab& lab) { return json(lab.exercise ? "exercise" : "explore"); }},
    {"answers", answers_json},
    {"correct", marks_json},
    {"cells", [](const HandConvLab& lab) { return lab.exercise ? exercise_setup(lab)["cells"] : json(nullptr); }},
    {"exercise_score", [](const HandConvLab& lab) {
         return json{{"correct", count_marks(lab, Mark::right)}, {"asked", count_asked(lab)}, {"attempts", lab.attempts},
                     {"revealed", count_marks(lab, Mark::revealed)}};
     }},
    {"complete", [](const HandConvLab& lab) { return json(exercise_complete(lab)); }},
};

json hand_conv_state() {
    json state;
    write_fields(state, kSettingFields, g_lab.problem);
    write_fields(state, kViewFields, g_lab);
    write_outputs(state, kOutputs, g_lab);
    g_lab.record.exercise = exercise_setup(g_lab);  // follows the mode and the cells asked
    g_lab.record.write(state);
    return state;
}

// Reads a grid of numbers or nulls (answers, products): NaN stands for null.
std::string read_optional_rows(const json& v, const char* name, int rows, int cols, bool allow_flat,
                               std::vector<float>& out) {
    json grid = v;
    if (allow_flat && v.is_array() && !v.empty() && !v[0].is_array()) grid = json::array({v});
    std::string shape = std::to_string(rows) + " x " + std::to_string(cols);
    if (!grid.is_array() || int(grid.size()) != rows) return std::string("\"") + name + "\" must be " + shape + " rows of numbers (or null)";
    out.assign(size_t(rows * cols), NAN);
    for (int r = 0; r < rows; r++) {
        if (!grid[size_t(r)].is_array() || int(grid[size_t(r)].size()) != cols)
            return std::string("\"") + name + "\" must be " + shape + " rows of numbers (or null)";
        for (int c = 0; c < cols; c++) {
            const json& x = grid[size_t(r)][size_t(c)];
            if (x.is_null()) continue;
            if (!x.is_number() || !std::isfinite(x.get<double>()) || std::fabs(x.get<double>()) > kValueLimit)
                return std::string("\"") + name + "\" row " + std::to_string(r + 1) + " has something that is not a number we can check";
            out[size_t(r * cols + c)] = float(x.get<double>());
        }
    }
    return "";
}

std::string apply_command(HandConvLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, kViewFields,
                                      {"reset", "image_preset", "preset", "mode", "new_exercise", "seed", "cells", "position", "step",
                                       "hint", "answer", "answers", "reveal"},
                                      kOutputs);
        !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) lab = make_lab();  // the lab as it opens: white square, Sobel x, explore mode
    // 1. The problem.
    Problem& p = lab.problem;
    if (!(e = read_fields(f, kSettingFields, p)).empty()) return e;
    recompute(lab);

    // 2. Mode and exercise.
    static constexpr Choice<bool> kModes[] = {{false, "explore"}, {true, "exercise"}};
    bool exercise = lab.exercise;
    if (!(e = read_choice(f, "mode", kModes, exercise)).empty()) return e;
    if (exercise != lab.exercise) set_mode(lab, exercise);
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (f.contains("cells") && !f["cells"].is_null()) {
        if (!lab.exercise) return "\"cells\" chooses which output cells an exercise asks for: use it in exercise mode";
        const json& v = f["cells"];
        if (v.is_string() && v.get<std::string>() == "all") {
            for (auto& row : lab.asked) row.assign(row.size(), true);
        } else {
            if (!v.is_array() || v.empty()) return "\"cells\" must be \"all\" or a list of [row, column] positions";
            for (auto& row : lab.asked) row.assign(row.size(), false);
            for (const json& pos : v) {
                int r = 0, c = 0;
                if (!(e = read_position(pos, "cells", r, c)).empty()) return e;
                if (r < 0 || r >= output_rows(lab) || c < 0 || c >= output_cols(lab))
                    return "cell [" + std::to_string(r) + ", " + std::to_string(c) + "] is outside the output";
                lab.asked[size_t(r)][size_t(c)] = true;
            }
        }
    }

    // 3. The window.
    if (!(e = read_fields(f, kViewFields, lab)).empty()) return e;
    if (f.contains("position")) {
        int r = 0, c = 0;
        if (!(e = read_position(f["position"], "position", r, c)).empty()) return e;
        if (!lab.message.empty()) {
            if (r != 0 || c != 0) return "there is no output, so no window to place: " + lab.message;
        } else if (r < 0 || r >= output_rows(lab) || c < 0 || c >= output_cols(lab)) {
            return "position [" + std::to_string(r) + ", " + std::to_string(c) + "] is outside the output (" +
                   std::to_string(output_rows(lab)) + " x " + std::to_string(output_cols(lab)) + "), counted from [0, 0]";
        }
        move_window(lab, r, c);
    }
    int steps = 0;
    if (!(e = read_int(f, "step", -100000, 100000, steps)).empty()) return e;
    step_window(lab, steps);

    // 4. Hints and answers.
    if (lab.exercise) lab.record.exercise = exercise_setup(lab);
    if (!(e = give_hint_if_asked(f, lab, sum_hints)).empty()) return e;
    if (f.contains("answers")) {
        std::vector<float> values;
        if (!(e = read_optional_rows(f["answers"], "answers", output_rows(lab), output_cols(lab), p.one_d, values)).empty()) return e;
        for (int r = 0; r < output_rows(lab); r++)
            for (int c = 0; c < output_cols(lab); c++) {
                float v = values[size_t(r * output_cols(lab) + c)];
                // A cell's answer as the state already shows it (the lab's own state sent back) is not a new answer.
                if (std::isnan(v) || v == lab.answers[size_t(r)][size_t(c)]) continue;
                if (!(e = check_answer(lab, r, c, v, {})).empty()) return e;
            }
    }
    if (f.contains("answer")) {
        const json& a = f["answer"];
        if (!a.is_object() || !a.contains("value")) return "\"answer\" must be {\"value\": number, \"position\": [row, col], \"products\": rows (optional)}";
        int r = lab.row, c = lab.col;
        if (a.contains("position") && !(e = read_position(a["position"], "answer.position", r, c)).empty()) return e;
        float value = 0;
        if (!(e = read_number(a, "value", -kValueLimit, kValueLimit, value)).empty()) return e;
        std::vector<float> products;
        if (a.contains("products")) {
            if (!(e = read_optional_rows(a["products"], "products", kernel_rows(p), kernel_cols(p), p.one_d, products)).empty()) return e;
        }
        if (!(e = check_answer(lab, r, c, value, products)).empty()) return e;
    }
    if (f.contains("reveal")) {
        const json& v = f["reveal"];
        int r = lab.row, c = lab.col;
        if (v.is_string() && v.get<std::string>() == "all") {
            for (int rr = 0; rr < output_rows(lab); rr++)
                for (int cc = 0; cc < output_cols(lab); cc++)
                    if (lab.asked[size_t(rr)][size_t(cc)] && !(e = reveal_cell(lab, rr, cc)).empty()) return e;
        } else {
            if (!(v.is_boolean() && v.get<bool>()) && !(e = read_position(v, "reveal", r, c)).empty())
                return "\"reveal\" must be true (the current cell), [row, column] or \"all\"";
            if (!(e = reveal_cell(lab, r, c)).empty()) return e;
        }
    }
    return "";
}

std::string hand_conv_command(const json& fields) { return command_on_copy("hand-conv", g_lab, fields, apply_command); }

// ---------------------------------------------------------------------------------------------
// Drawing.

const ImU32 kWindowColor = IM_COL32(255, 200, 40, 255);   // the kernel window and current cell
const ImU32 kRightColor = IM_COL32(80, 200, 110, 255);
const ImU32 kWrongColor = IM_COL32(150, 40, 40, 255);   // behind a product that is off
const ImU32 kWrongTextColor = IM_COL32(255, 110, 90, 255);  // a wrong answer in its output cell

// Left panel: the problem's settings.
void draw_settings(HandConvLab& lab) {
    Problem& p = lab.problem;
    ImGui::TextDisabled("MODE");
    bool explore = !lab.exercise;
    if (ImGui::RadioButton("Explore", explore) && lab.exercise) set_mode(lab, false);
    ImGui::SameLine();
    bool exercise_clicked = ImGui::RadioButton("Exercise", !explore);
    ui_anchor("mode-exercise");
    if (exercise_clicked && !lab.exercise) set_mode(lab, true);
    if (new_exercise_button(lab.record.answered, lab.record.correct)) new_exercise(lab, fresh_seed());
    bool one_d = p.one_d;
    if (ImGui::Checkbox("1D: a row of numbers", &one_d)) {
        Problem fresh = default_problem(one_d);
        fresh.flip = p.flip;
        p = fresh;
    }
    ImGui::Separator();

    ImGui::TextDisabled("IMAGE");
    int size[2] = {image_rows(p), image_cols(p)};
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (p.one_d) {
        if (ImGui::SliderInt("values", &size[1], 1, kMaxImage1d)) p.image[0].resize(size_t(size[1]), 0.0f);
    } else if (ImGui::SliderInt2("rows, cols##image", size, 1, kMaxImage2d)) {
        p.image.resize(size_t(size[0]), std::vector<float>(size_t(image_cols(p)), 0.0f));
        for (auto& row : p.image) row.resize(size_t(size[1]), 0.0f);
    }
    const auto& image_presets = p.one_d ? image_presets_1d() : image_presets_2d();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::BeginCombo("##image-preset", "Load an image...")) {
        for (const ImagePreset& ip : image_presets)
            if (ImGui::Selectable(ip.name)) p.image = ip.image;
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (ImGui::Button("Clear")) for (auto& row : p.image) std::fill(row.begin(), row.end(), 0.0f);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    ImGui::DragFloat("brush", &lab.brush, 0.05f, -9.0f, 9.0f, "%.2f");
    ImGui::SameLine();
    help_marker("Click or drag on the image to paint this value. White is 1, black is 0.");
    if (ImGui::TreeNode("Type the image")) {
        if (ImGui::IsItemToggledOpen() || lab.image_text[0] == 0)
            std::snprintf(lab.image_text, sizeof lab.image_text, "%s", rows_to_text(p.image).c_str());
        ImGui::InputTextMultiline("##image-text", lab.image_text, sizeof lab.image_text,
                                  ImVec2(-FLT_MIN, ImGui::GetTextLineHeight() * 6));
        if (ImGui::Button("Use these numbers")) {
            Rows rows;
            std::string e = parse_rows_text(lab.image_text, p.one_d ? 1 : kMaxImage2d, p.one_d ? kMaxImage1d : kMaxImage2d, kValueLimit, rows);
            lab.ui_note = e.empty() ? "" : "Image not changed: " + e + ".";
            if (e.empty()) p.image = rows;
        }
        ImGui::TreePop();
    }
    ImGui::Separator();

    ImGui::TextDisabled("KERNEL");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::BeginCombo("##kernel-preset", "Load a kernel...")) {
        for (const KernelPreset& kp : kernel_presets()) {
            if (p.one_d && kp.kernel_1d.empty()) continue;
            if (ImGui::Selectable(kp.name)) p.kernel = p.one_d ? kp.kernel_1d : kp.kernel_2d;
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", kp.what);
        }
        ImGui::EndCombo();
    }
    int ksize[2] = {kernel_rows(p), kernel_cols(p)};
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (p.one_d) {
        if (ImGui::SliderInt("taps", &ksize[1], 1, kMaxKernel)) p.kernel[0].resize(size_t(ksize[1]), 0.0f);
    } else if (ImGui::SliderInt2("rows, cols##kernel", ksize, 1, kMaxKernel)) {
        p.kernel.resize(size_t(ksize[0]), std::vector<float>(size_t(kernel_cols(p)), 0.0f));
        for (auto& row : p.kernel) row.resize(size_t(ksize[1]), 0.0f);
    }
    if (ImGui::BeginTable("kernel-weights", kernel_cols(p), ImGuiTableFlags_SizingFixedFit)) {
        for (int r = 0; r < kernel_rows(p); r++) {
            ImGui::TableNextRow();
            for (int c = 0; c < kernel_cols(p); c++) {
                ImGui::TableSetColumnIndex(c);
                ImGui::PushID(r * kMaxKernel + c);
                ImGui::SetNextItemWidth(ImGui::GetFontSize() * 2.6f);
                float w = p.kernel[size_t(r)][size_t(c)];
                if (ImGui::DragFloat("##w", &w, 0.05f, -kValueLimit, kValueLimit, "%g")) {
                    if (std::isfinite(w)) p.kernel[size_t(r)][size_t(c)] = std::clamp(w, -kValueLimit, kValueLimit);
                }
                ImGui::PopID();
            }
        }
        ImGui::EndTable();
    }
    ImGui::SameLine();
    help_marker("Drag a weight to change it, or double-click it to type a number.");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    if (ImGui::DragFloat("bias", &p.bias, 0.05f, -kValueLimit, kValueLimit, "%g") && !std::isfinite(p.bias)) p.bias = 0;
    ImGui::Separator();

    ImGui::TextDisabled("SLIDING");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::InputInt("stride", &p.stride);
    p.stride = std::clamp(p.stride, -9, 9);
    const char* modes[] = {"number", "valid (0)", "same", "full"};
    int mode = int(p.padding_mode);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::Combo("padding", &mode, modes, 4)) p.padding_mode = PaddingMode(mode);
    if (p.padding_mode == PaddingMode::number) {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        ImGui::InputInt("zeros each side", &p.padding);
        p.padding = std::clamp(p.padding, -9, 9);
    }
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::InputInt("dilation", &p.dilation);
    p.dilation = std::clamp(p.dilation, -9, 9);
    ImGui::Checkbox("True convolution (flip)", &p.flip);
    ImGui::SameLine();
    help_marker("Off: cross-correlation, what deep-learning libraries (PyTorch's Conv2d) compute: the kernel "
                "is laid on the image as it is. On: true convolution as mathematicians define it: the kernel is "
                "turned 180 degrees first. For a symmetric kernel the two agree.");
}

// The numbers line under the board: output size and parameter count, with this lab's numbers.
void draw_formula(const HandConvLab& lab) {
    const Problem& p = lab.problem;
    ImGui::TextDisabled("OUTPUT SIZE");
    ImGui::SameLine();
    help_marker("Along each axis: floor((H + 2p - d(k-1) - 1) / s) + 1, where H is the input size, p the zeros "
                "added on each side, k the kernel size, d the dilation and s the stride. d(k-1)+1 is how many "
                "input cells the window spans.");
    if (!p.one_d) ImGui::Text("rows:    %s", conv_output_size_formula(image_rows(p), lab.rows_axis).c_str());
    ImGui::Text("%s %s", p.one_d ? "values:" : "columns:", conv_output_size_formula(image_cols(p), lab.cols_axis).c_str());
    ImGui::Text("Parameters: %d x %d weights + 1 bias = %d", kernel_rows(p), kernel_cols(p), kernel_rows(p) * kernel_cols(p) + 1);
}

bool cell_visible(const HandConvLab& lab, int r, int c) {
    if (lab.exercise) {
        Mark m = lab.marks[size_t(r)][size_t(c)];
        return !lab.asked[size_t(r)][size_t(c)] || m == Mark::right || m == Mark::revealed;
    }
    return lab.show_all || r * output_cols(lab) + c <= lab.row * output_cols(lab) + lab.col;
}

// The input grid with its padding, the kernel and the output, side by side.
void draw_grids(HandConvLab& lab) {
    Problem& p = lab.problem;
    const int H = image_rows(p), W = image_cols(p);
    const ConvAxis& ar = lab.rows_axis;
    const ConvAxis& ac = lab.cols_axis;
    // Padding is drawn only where it fits on screen; the window never reaches further than 9 cells out.
    const int pt = std::clamp(ar.pad_before, 0, 9), pb = std::clamp(ar.pad_after, 0, 9);
    const int pl = std::clamp(ac.pad_before, 0, 9), pr = std::clamp(ac.pad_after, 0, 9);
    const int in_rows = H + pt + pb, in_cols = W + pl + pr;
    const int OH = output_rows(lab), OW = output_cols(lab);
    const int KH = kernel_rows(p), KW = kernel_cols(p);
    const float avail = ImGui::GetContentRegionAvail().x;
    const float height_budget = std::max(ImGui::GetContentRegionAvail().y * 0.5f, 120.0f);
    // 2D: input, kernel and output side by side. 1D: three rows stacked, each with the full width.
    float cell = p.one_d ? avail / float(std::max({in_cols, KW * (p.flip ? 2 : 1), OW}) + 1)
                         : avail / float(in_cols + KW * (p.flip ? 2 : 1) + std::max(OW, 3) + 4);
    cell = std::min(cell, height_budget / float(std::max({in_rows, KH, OH, 1})));
    cell = std::clamp(cell, 14.0f, 52.0f);

    // Which input cells the window covers, with the weight each meets.
    std::vector<int> tap_at(size_t(in_rows * in_cols), -1);  // (in_rows, in_cols) index into terms
    for (size_t i = 0; i < lab.terms.size(); i++) {
        int r = lab.terms[i].iy + pt, c = lab.terms[i].ix + pl;
        if (r >= 0 && r < in_rows && c >= 0 && c < in_cols) tap_at[size_t(r * in_cols + c)] = int(i);
    }
    float lo = 0, hi = 1;
    for (const auto& row : p.image)
        for (float v : row) { lo = std::min(lo, v); hi = std::max(hi, v); }

    ImGui::BeginGroup();
    ImGui::Text("Input %d x %d", H, W);
    GridResult in = draw_grid("input", in_rows, in_cols, cell, [&](int r, int c) {
        GridCell g;
        int ir = r - pt, ic = c - pl;
        bool inside = ir >= 0 && ir < H && ic >= 0 && ic < W;
        float v = inside ? p.image[size_t(ir)][size_t(ic)] : 0.0f;
        g.fill = inside ? grey_color(v, lo, hi) : IM_COL32(45, 45, 52, 255);
        g.text = format_number(v);
        if (!inside) { g.dashed = true; g.text_color = IM_COL32(140, 140, 150, 255); }
        if (tap_at[size_t(r * in_cols + c)] >= 0) g.border = kWindowColor;
        return g;
    });
    ui_anchor("input-grid");
    // the weight each tap multiplies by, small, in the cell's corner
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const float small = std::max(cell * 0.28f, 9.0f);
    for (size_t i = 0; i < lab.terms.size(); i++) {
        int r = lab.terms[i].iy + pt, c = lab.terms[i].ix + pl;
        if (r < 0 || r >= in_rows || c < 0 || c >= in_cols || cell < 26) continue;
        std::string w = "×" + format_number(lab.terms[i].weight);
        ImVec2 b = in.cell_max(r, c);
        ImVec2 ts = ImGui::GetFont()->CalcTextSizeA(small, FLT_MAX, 0, w.c_str());
        draw->AddRectFilled(ImVec2(b.x - ts.x - 4, b.y - ts.y - 3), ImVec2(b.x - 2, b.y - 2), IM_COL32(0, 0, 0, 170));
        draw->AddText(ImGui::GetFont(), small, ImVec2(b.x - ts.x - 3, b.y - ts.y - 3), kWindowColor, w.c_str());
    }
    if (in.dragging && !lab.exercise) {
        int ir = in.hover_row - pt, ic = in.hover_col - pl;
        if (ir >= 0 && ir < H && ic >= 0 && ic < W) p.image[size_t(ir)][size_t(ic)] = lab.brush;
    }
    if (pt || pb || pl || pr) ImGui::TextDisabled("dashed: padding zeros");
    ImGui::EndGroup();

    if (!p.one_d) ImGui::SameLine(0, cell);
    ImGui::BeginGroup();
    ImGui::Text("Kernel %d x %d", KH, KW);
    float wmax = 0;
    for (const auto& row : p.kernel)
        for (float v : row) wmax = std::max(wmax, std::fabs(v));
    draw_grid("kernel", KH, KW, cell, [&](int r, int c) {
        float v = p.kernel[size_t(r)][size_t(c)];
        return GridCell{format_number(v), signed_color(v, wmax)};
    });
    if (p.flip) {
        ImGui::Text("turned 180°");
        draw_grid("kernel-flipped", KH, KW, cell, [&](int r, int c) {
            float v = p.kernel[size_t(KH - 1 - r)][size_t(KW - 1 - c)];
            return GridCell{format_number(v), signed_color(v, wmax)};
        });
    }
    ImGui::EndGroup();

    if (!p.one_d) ImGui::SameLine(0, cell);
    ImGui::BeginGroup();
    if (!lab.message.empty()) {
        ImGui::Text("Output");
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + std::max(avail * 0.3f, 200.0f));
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", lab.message.c_str());
        ImGui::PopTextWrapPos();
    } else {
        ImGui::Text("Output %d x %d", OH, OW);
        float omax = 0;
        for (float v : lab.output.data) omax = std::max(omax, std::fabs(v));
        GridResult out = draw_grid("output", OH, OW, cell, [&](int r, int c) {
            GridCell g;
            bool visible = cell_visible(lab, r, c);
            float v = output_at(lab, r, c);
            if (visible) {
                g.text = format_number(v);
                g.fill = signed_color(v, omax);
            } else {
                g.text = lab.exercise ? "?" : "";
                g.fill = IM_COL32(40, 40, 48, 255);
            }
            if (lab.exercise) {
                Mark m = lab.marks[size_t(r)][size_t(c)];
                if (m == Mark::right) g.border = kRightColor;
                if (m == Mark::wrong) {  // the student's answer, in red and still open
                    g.text = format_number(lab.answers[size_t(r)][size_t(c)]);
                    g.text_color = kWrongTextColor;
                }
                if (m == Mark::revealed) g.text_color = IM_COL32(110, 110, 120, 255);
            }
            if (r == lab.row && c == lab.col) g.border = kWindowColor;
            const json& last = lab.record.last_answer;  // the neighbour whose window a wrong answer used
            if (lab.exercise && last.is_object() && last.value("points_at", json()).is_object() && last["points_at"].contains("cell") &&
                last["points_at"]["cell"] == json{r, c} && last["position"] == json{lab.row, lab.col})
                g.border = kWrongTextColor;
            return g;
        });
        ui_anchor("output-grid");
        if (out.clicked) {
            move_window(lab, out.hover_row, out.hover_col);
            lab.playing = false;
        }
        ImGui::TextDisabled("click a cell to move the window");
    }
    ImGui::EndGroup();
}

// The window's arithmetic, laid out like the window: input x weight = product in each cell.
void draw_window_sum(HandConvLab& lab) {
    if (lab.terms.empty()) return;
    const int KH = kernel_rows(lab.problem), KW = kernel_cols(lab.problem);
    const Mark mark = lab.exercise ? lab.marks[size_t(lab.row)][size_t(lab.col)] : Mark::right;
    const bool solved = !lab.exercise || mark == Mark::right || mark == Mark::revealed ||
                        !lab.asked[size_t(lab.row)][size_t(lab.col)];
    std::vector<bool> off(lab.terms.size(), false);
    const json& last = lab.record.last_answer;
    if (lab.exercise && last.is_object() && last.contains("products_off") && last["position"] == json{lab.row, lab.col}) {
        for (const json& tap : last["products_off"]) off[size_t(tap[0].get<int>() * KW + tap[1].get<int>())] = true;
        if (last["points_at"].is_object() && last["points_at"].contains("tap"))  // the product the answer left out
            off[size_t(last["points_at"]["tap"][0].get<int>() * KW + last["points_at"]["tap"][1].get<int>())] = true;
    }

    ImGui::Text("Window at output [%d, %d]: each pixel times the weight on top of it", lab.row, lab.col);
    if (ImGui::BeginTable("products", KW, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
        for (int r = 0; r < KH; r++) {
            ImGui::TableNextRow();
            for (int c = 0; c < KW; c++) {
                ImGui::TableSetColumnIndex(c);
                const ConvTerm& t = lab.terms[size_t(r * KW + c)];
                ImGui::TextColored(t.padding ? ImVec4(0.55f, 0.55f, 0.6f, 1) : ImVec4(1, 1, 1, 1), "%s", format_number(t.input).c_str());
                ImGui::SameLine(0, 3);
                ImGui::TextColored(ImVec4(1.0f, 0.78f, 0.16f, 1), "× %s", format_number(t.weight).c_str());
                ImGui::SameLine(0, 3);
                if (solved) {
                    ImGui::Text("= %s", format_number(t.product).c_str());
                } else {
                    ImGui::TextUnformatted("=");
                    ImGui::SameLine(0, 3);
                    ImGui::PushID(r * KW + c);
                    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 2.8f);
                    if (off[size_t(r * KW + c)]) ImGui::PushStyleColor(ImGuiCol_FrameBg, ImGui::ColorConvertU32ToFloat4(kWrongColor));
                    ImGui::InputText("##p", lab.product_text[r * KW + c], sizeof lab.product_text[0], ImGuiInputTextFlags_CharsScientific);
                    ui_anchor("product/" + std::to_string(r) + "," + std::to_string(c));
                    if (off[size_t(r * KW + c)]) ImGui::PopStyleColor();
                    ImGui::PopID();
                }
            }
        }
        ImGui::EndTable();
    }
    if (solved) {
        ImGui::TextWrapped("Sum: %s", sum_expression(lab, "×").c_str());
        return;
    }
    // Exercise: the student's answer for this cell.
    ImGui::Text("Your value for output [%d, %d]:", lab.row, lab.col);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    bool enter = ImGui::InputText("##answer", lab.answer_text, sizeof lab.answer_text,
                                  ImGuiInputTextFlags_CharsScientific | ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer");
    ImGui::SameLine();
    bool check_clicked = ImGui::Button("Check");
    ui_anchor("check");
    if (check_clicked || enter) {
        char* end = nullptr;
        double value = std::strtod(lab.answer_text, &end);
        if (end == lab.answer_text || !std::isfinite(value) || std::fabs(value) > kValueLimit) {
            lab.ui_note = "Type a number for the output cell first.";
        } else {
            std::vector<float> products(lab.terms.size(), NAN);
            for (size_t i = 0; i < lab.terms.size(); i++) {
                char* pend = nullptr;
                double pv = std::strtod(lab.product_text[i], &pend);
                if (pend != lab.product_text[i] && std::isfinite(pv)) products[i] = float(pv);
            }
            lab.ui_note.clear();
            std::string e = check_answer(lab, lab.row, lab.col, float(value), products);
            if (!e.empty()) lab.ui_note = e;
        }
    }
    ImGui::SameLine();
    if (ImGui::Button("Show answer")) (void)reveal_cell(lab, lab.row, lab.col);
    ui_anchor("show-answer");
}

void draw_steps(HandConvLab& lab) {
    if (!lab.message.empty()) return;
    if (ImGui::Button("|<")) { step_window(lab, -1000000); lab.playing = false; }
    ImGui::SameLine();
    if (ImGui::ArrowButton("previous", ImGuiDir_Left)) { step_window(lab, -1); lab.playing = false; }
    ImGui::SameLine();
    if (ImGui::ArrowButton("next", ImGuiDir_Right)) { step_window(lab, 1); lab.playing = false; }
    ui_anchor("next");
    ImGui::SameLine();
    if (ImGui::Button(">|")) { step_window(lab, 1000000); lab.playing = false; }
    ImGui::SameLine();
    if (!lab.exercise) {
        if (ImGui::Button(lab.playing ? "Pause" : "Play", ImVec2(ImGui::GetFontSize() * 4, 0))) {
            lab.playing = !lab.playing;
            bool at_end = lab.row == output_rows(lab) - 1 && lab.col == output_cols(lab) - 1;
            if (lab.playing && at_end) move_window(lab, 0, 0);
            lab.play_clock = 0;
        }
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        ImGui::SliderFloat("steps/s", &lab.speed, 0.25f, 20.0f, "%.2g", ImGuiSliderFlags_Logarithmic);
        ImGui::SameLine();
        ImGui::Checkbox("show whole output", &lab.show_all);
    }
}

void draw_score(HandConvLab& lab) {
    if (!lab.exercise) return;
    ImGui::Separator();
    ImGui::Text("This exercise: %d of %d cells right   (%d checks, %d shown)", count_marks(lab, Mark::right), count_asked(lab),
                lab.attempts, count_marks(lab, Mark::revealed));
    if (exercise_complete(lab)) {
        ImGui::SameLine();
        ImGui::TextColored(ImVec4(0.4f, 0.85f, 0.5f, 1), "  Exercise complete!");
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) lab.record.give_hint(sum_hints(lab), lab.pending);
}

void hand_conv_draw() {
    HandConvLab& lab = g_lab;
    recompute(lab);
    lab_intro("Convolution by hand",
              "A kernel is a small grid of weights. Lay it on the image: every weight sits on one pixel. "
              "Multiply each pair, add the products and the bias, and you have one output number. Slide "
              "the kernel along and repeat. With Sobel x the sum is large where the right side is brighter "
              "than the left, so the output lights up at vertical edges.");

    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 17, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    recompute(lab);  // settings may have changed the problem
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    draw_grids(lab);
    recompute(lab);  // painting may have changed the image
    ImGui::Spacing();
    draw_steps(lab);
    ImGui::Separator();
    draw_window_sum(lab);
    draw_score(lab);
    if (!lab.ui_note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.ui_note.c_str());
    ImGui::Separator();
    draw_formula(lab);
    ImGui::EndChild();

    if (lab.playing && !lab.exercise && lab.message.empty()) {
        lab.play_clock += ImGui::GetIO().DeltaTime;
        if (lab.play_clock >= 1.0f / lab.speed) {
            lab.play_clock = 0;
            bool at_end = lab.row == output_rows(lab) - 1 && lab.col == output_cols(lab) - 1;
            if (at_end) lab.playing = false;
            else step_window(lab, 1);
        }
    }
    commit("hand-conv", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "hand-conv", .name = "Convolution by hand",
                    .summary = "Slide a kernel over a tiny image and add up the products yourself.", .draw = hand_conv_draw,
                    .state = hand_conv_state, .command = hand_conv_command,
                    .teaches = {"convolution-by-hand", "Convolution by hand"});
