// pooling.cpp — Lab "Pooling": shrinking a feature map, and what a small shift does to it.
//
// Max pooling slides a window over a feature map and keeps the largest value of each window;
// average pooling keeps their mean; global average pooling keeps one mean per channel. The lab
// pools a small grid of numbers (or a real feature map: Sobel x, then ReLU, of a photo), outlines
// the input cell that won each max, and shows the arithmetic of one window. Below, a pattern is
// shifted: the convolution's output moves with it (equivariance), the max-pooled output often
// stays the same (invariance to small shifts).
//
// Every number comes from the engine: maxpool2d / avgpool2d / global_avgpool / pool2d_window /
// shift2d (engine/pool.h), conv2d (engine/conv.h), relu_forward (engine/ops.h).
//
// Commands (cnnlab.command), every field optional:
//   {"reset": true}                              the lab as it opens
//   {"source": "grid" | "photo"}                 pool the grid, or a photo's feature map
//   {"photo": "chelsea"}                         one of the shipped photos (photo_names()); implies source "photo"
//   {"grid": [[1, 2], [3, 4]]}                   the numbers pooled in grid mode, up to 12 x 12
//   {"kind": "max" | "average" | "global-average"}
//   {"kernel": 1..6, "stride": 1..6, "padding": 0..3}   the window (ignored by global average)
//   {"position": [row, col]}                     the output cell whose window is shown
//   {"shift": [down, right]}                     the shift experiment, -3..3 cells each way
//   {"new_exercise": true, "seed": 42}           a random grid to pool by hand (seed optional)
//   {"answer": [[6, 8], [3, 4]]}                 the whole pooled grid of the exercise (a single
//                                                number when the output is 1 x 1), or
//   {"answer": {"position": [0, 1], "value": 8}} one cell of it
// State: the fields above plus "output", "output_size", "winners" (max: the [row, col] of the input
// cell that won each output cell), "window" (the selected output cell's cells and arithmetic),
// "message" (why there is no output), "photo_loaded", "note", "shift_experiment", and the exercise
// protocol: "exercise" (null, or the set-up), "score" {"answered", "correct"}, "last_answer".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <imgui.h>

#include "../../engine/conv.h"
#include "../../engine/ops.h"
#include "../../engine/pool.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../widgets.h"

namespace {

constexpr int kMaxGrid = 12;          // rows and columns of the grid
constexpr float kValueLimit = 1e4f;   // largest |value| in the grid or an answer
constexpr int kMaxWindow = 6;         // kernel and stride
constexpr int kMaxPadding = 3;
constexpr int kMaxShift = 3;
constexpr int kPhotoSide = 32;        // the photo's feature map is kPhotoSide x kPhotoSide
constexpr int kGreySide = kPhotoSide + 2;  // the grey picture: Sobel 3x3 without padding leaves kPhotoSide
constexpr int kMaxAnswer = 4;         // exercise outputs are at most 4 x 4

const ImU32 kWindowColor = IM_COL32(255, 200, 40, 255);  // the selected window and output cell
const ImU32 kWinnerColor = IM_COL32(60, 210, 120, 255);  // the input cell that won a max
const ImU32 kWrongColor = IM_COL32(230, 70, 60, 255);    // an exercise cell answered wrong

enum class Source { grid, photo };
constexpr Choice<Source> kSources[] = {{Source::grid, "grid"}, {Source::photo, "photo"}};
enum class PoolKind { max, average, global_average };
constexpr Choice<PoolKind> kPoolKinds[] = {
    {PoolKind::max, "max"}, {PoolKind::average, "average"}, {PoolKind::global_average, "global-average"}};

// What is pooled, and how.
struct PoolingSettings {
    Source source = Source::grid;  // grid: the numbers below; photo: the photo's feature map
    Rows grid = {{1, 1, 2, 4}, {5, 6, 7, 8}, {3, 2, 1, 0}, {1, 2, 3, 4}};  // (H, W) pooled in grid mode
    std::string photo = "chelsea"; // the photo asked for in photo mode
    PoolKind kind = PoolKind::max;
    int kernel = 2, stride = 2, padding = 0;  // the window (ignored by global average)
    int shift_down = 0, shift_right = 1;      // the shift experiment, cells
    bool operator==(const PoolingSettings&) const = default;
};

// "shift": [down, right], each -3..3.
std::string read_shift(const json& f, PoolingSettings& s) {
    if (!f.contains("shift")) return "";
    int down = 0, right = 0;
    if (!read_position(f["shift"], "shift", down, right).empty() || std::abs(down) > kMaxShift || std::abs(right) > kMaxShift)
        return "\"shift\" must be [down, right], two whole numbers from -" + std::to_string(kMaxShift) + " to " + std::to_string(kMaxShift);
    s.shift_down = down;
    s.shift_right = right;
    return "";
}

// A photo named in a command is pooled: "photo" implies source "photo".
std::string read_photo_source(const json& f, PoolingSettings& s) {
    if (std::string e = read_photo(f, "photo", s.photo); !e.empty()) return e;
    if (f.contains("photo") && !f.contains("source")) s.source = Source::photo;  // a state names both: its source wins
    return "";
}

const Field<PoolingSettings> kSettingFields[] = {
    choice_field("source", &PoolingSettings::source, kSources),
    {"photo", read_photo_source, [](const PoolingSettings& s) { return json(s.photo); }},
    rows_field("grid", &PoolingSettings::grid, kMaxGrid, kMaxGrid, kValueLimit),
    choice_field("kind", &PoolingSettings::kind, kPoolKinds),
    whole_field("kernel", &PoolingSettings::kernel, 1, kMaxWindow),
    whole_field("stride", &PoolingSettings::stride, 1, kMaxWindow),
    whole_field("padding", &PoolingSettings::padding, 0, kMaxPadding),
    {"shift", read_shift, [](const PoolingSettings& s) { return json{s.shift_down, s.shift_right}; }},
};

struct PoolingLab {
    PoolingSettings settings;
    int row = 0, col = 0;          // output cell whose window is shown
    // The exercise: pool the grid by hand.
    ExerciseRecord record;
    bool solved = false;           // the open exercise was answered right
    std::vector<std::vector<bool>> wrong;  // (OH, OW) cells the last whole-grid answer got wrong
    char answer_text[kMaxAnswer][kMaxAnswer][16] = {};  // UI: answers being typed
    // The photo: asked for when photo mode opens; a built-in pattern stands in until it arrives.
    std::string photo_loaded;      // the photo whose feature map `feature_map` is; "" = the built-in pattern
    Tensor photo_grey;             // (1,1,S+2,S+2) the photo in grey, S = kPhotoSide
    Tensor feature_map;            // (1,1,S,S) ReLU(Sobel x) of photo_grey
    std::string note;              // a line about the photo (why it is not shown, ...)
    // Derived by recompute(); never edited directly.
    Tensor input;                  // (1,1,H,W) what is pooled
    Pool2dSpec spec;               // the window (global average: the whole plane)
    Tensor output;                 // (1,1,OH,OW) when `message` is empty
    std::vector<int32_t> argmax;   // (OH*OW) max pooling's winners, index iy*W + ix
    std::vector<PoolTerm> window;  // (KH*KW) the selected output cell's window
    std::string message;           // why there is no output, "" when there is
    // The shift experiment (derived).
    Tensor shift_input, shift_moved;   // (1,1,8,8) the pattern, and the pattern moved
    Tensor conv_a, conv_b;             // (1,1,8,8) ReLU(conv) of each
    Tensor pool_a, pool_b;             // (1,1,4,4) max pooling 2x2 of each conv output
    bool conv_follows = false;         // conv(moved) == moved conv: every value moved along
    int pooled_changed = 0;            // pooled cells that differ
    Pending pending;                   // what a command caused, carried out once it is kept
    char grid_text[1024] = "";         // UI: the grid being typed
    std::string ui_note;
};

PoolingLab make_lab();
PoolingLab g_lab = make_lab();

// ---------------------------------------------------------------------------------------------
// Inputs.

Tensor rows_to_tensor(const Rows& rows) {  // (1,1,R,C)
    Tensor t;
    Status s = tensor_from_rows(t, rows);  // rows were checked when they came in
    (void)s;
    t.shape = {1, 1, t.shape[0], t.shape[1]};
    return t;
}

json plane_json(const Tensor& t) {  // (1,1,H,W) as rows
    if (t.dim() != 4) return nullptr;
    json rows = json::array();
    for (int r = 0; r < t.shape[2]; r++) {
        json row = json::array();
        for (int c = 0; c < t.shape[3]; c++) row.push_back(t.data[size_t(r * t.shape[3] + c)]);
        rows.push_back(row);
    }
    return rows;
}

// The feature map (1,1,S,S) of a grey picture (1,1,S+2,S+2): Sobel x (bright where the picture gets
// brighter to the right), then ReLU, as the first layer of a CNN might learn. No padding: zeros
// around a photo would make its borders look like edges.
Tensor feature_map_of(const Tensor& grey) {
    Tensor sobel = rows_to_tensor({{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}});
    Conv2dSpec spec;
    spec.rows = make_conv_axis(grey.shape[2], 3, 1, 1, PaddingMode::valid, 0);
    spec.cols = make_conv_axis(grey.shape[3], 3, 1, 1, PaddingMode::valid, 0);
    Tensor out;
    if (!conv2d(out, grey, sobel, nullptr, spec).ok()) return Tensor{};
    relu_forward(out.data.data(), out.data.data(), out.numel());
    return out;
}

// Until a photo arrives (and in the tests, where none does): a bright disc and bar on grey.
void use_builtin_picture(PoolingLab& lab) {
    const int S = kGreySide;
    lab.photo_grey.shape = {1, 1, S, S};
    lab.photo_grey.data.assign(size_t(S * S), 0.2f);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            const float dy = float(y) - 16.5f, dx = float(x) - 12.0f;
            if (dy * dy + dx * dx < 64.0f) lab.photo_grey.data[size_t(y * S + x)] = 0.9f;
            if (x >= 23 && x <= 26 && y >= 5 && y <= 28) lab.photo_grey.data[size_t(y * S + x)] = 0.7f;
        }
    lab.feature_map = feature_map_of(lab.photo_grey);
    lab.photo_loaded.clear();
}

// A photo to the lab's grey (1,1,S,S) (grey_square, web/lab_kit.h) and its feature map.
std::string use_picture(PoolingLab& lab, const Picture& picture) {
    if (std::string e = grey_square(lab.photo_grey, picture, kGreySide); !e.empty()) return e;
    lab.feature_map = feature_map_of(lab.photo_grey);
    lab.photo_loaded = picture.name;
    return "";
}

// ---------------------------------------------------------------------------------------------
// Computing.

int out_rows(const PoolingLab& lab) { return lab.message.empty() ? lab.output.shape[2] : 0; }
int out_cols(const PoolingLab& lab) { return lab.message.empty() ? lab.output.shape[3] : 0; }
int in_rows(const PoolingLab& lab) { return lab.input.shape[2]; }
int in_cols(const PoolingLab& lab) { return lab.input.shape[3]; }
float out_at(const PoolingLab& lab, int r, int c) { return lab.output.data[size_t(r * out_cols(lab) + c)]; }
bool is_max(const PoolingLab& lab) { return lab.settings.kind == PoolKind::max; }
bool is_global(const PoolingLab& lab) { return lab.settings.kind == PoolKind::global_average; }

// The shift experiment: a plus sign on 8x8, found by a plus-shaped filter (bias -4, then ReLU:
// it fires only where the whole plus is), then max pooling 2x2.
void compute_shift(PoolingLab& lab) {
    Rows pattern(8, std::vector<float>(8, 0.0f));
    pattern[1][2] = pattern[2][1] = pattern[2][2] = pattern[2][3] = pattern[3][2] = 1;
    lab.shift_input = rows_to_tensor(pattern);
    Tensor plus = rows_to_tensor({{0, 1, 0}, {1, 1, 1}, {0, 1, 0}}), bias{{1}, {-4}};
    Conv2dSpec spec;
    spec.rows = spec.cols = make_conv_axis(8, 3, 1, 1, PaddingMode::same, 0);
    const Pool2dSpec pool = make_pool2d_spec(2, 2, 0);
    std::vector<int32_t> winners;
    Tensor moved_conv;
    bool ok = shift2d(lab.shift_moved, lab.shift_input, lab.settings.shift_down, lab.settings.shift_right).ok() &&
              conv2d(lab.conv_a, lab.shift_input, plus, &bias, spec).ok() && conv2d(lab.conv_b, lab.shift_moved, plus, &bias, spec).ok();
    if (ok) {
        relu_forward(lab.conv_a.data.data(), lab.conv_a.data.data(), lab.conv_a.numel());
        relu_forward(lab.conv_b.data.data(), lab.conv_b.data.data(), lab.conv_b.numel());
        ok = maxpool2d(lab.pool_a, winners, lab.conv_a, pool).ok() && maxpool2d(lab.pool_b, winners, lab.conv_b, pool).ok() &&
             shift2d(moved_conv, lab.conv_a, lab.settings.shift_down, lab.settings.shift_right).ok();
    }
    lab.conv_follows = ok && moved_conv.data == lab.conv_b.data;
    lab.pooled_changed = 0;
    for (size_t i = 0; ok && i < lab.pool_a.data.size(); i++) lab.pooled_changed += lab.pool_a.data[i] != lab.pool_b.data[i];
}

void recompute(PoolingLab& lab) {
    lab.input = lab.settings.source == Source::photo ? lab.feature_map : rows_to_tensor(lab.settings.grid);
    lab.message.clear();
    lab.argmax.clear();
    lab.window.clear();
    Status s;
    if (is_global(lab)) {
        lab.spec = Pool2dSpec{};  // the window is the whole plane
        lab.spec.rows.kernel = in_rows(lab);
        lab.spec.cols.kernel = in_cols(lab);
        s = global_avgpool(lab.output, lab.input);
    } else {
        lab.spec = make_pool2d_spec(lab.settings.kernel, lab.settings.stride, lab.settings.padding);
        s = is_max(lab) ? maxpool2d(lab.output, lab.argmax, lab.input, lab.spec) : avgpool2d(lab.output, lab.input, lab.spec);
    }
    if (!s.ok()) {
        lab.message = "No output: " + s.message + ".";
        lab.output = Tensor{};
    }
    lab.row = std::clamp(lab.row, 0, std::max(out_rows(lab) - 1, 0));
    lab.col = std::clamp(lab.col, 0, std::max(out_cols(lab) - 1, 0));
    if (lab.message.empty() && !pool2d_window(lab.window, lab.input, lab.spec, 0, 0, lab.row, lab.col).ok()) lab.window.clear();
    compute_shift(lab);
}

PoolingLab make_lab() {
    PoolingLab lab;
    use_builtin_picture(lab);
    recompute(lab);
    return lab;
}

// The selected window's arithmetic as a person writes it: "max(1, 1, 5, 6) = 6".
std::string window_expression(const PoolingLab& lab) {
    if (lab.window.empty()) return "";
    const float value = out_at(lab, lab.row, lab.col);
    if (is_global(lab) && lab.window.size() > 16) {
        float sum = 0;
        for (const PoolTerm& t : lab.window) sum += t.input;
        return "(sum of all " + std::to_string(lab.window.size()) + " values = " + format_number(sum) + ") / " +
               std::to_string(lab.window.size()) + " = " + format_number(value);
    }
    std::string terms;
    for (const PoolTerm& t : lab.window) {
        if (is_max(lab) && t.padding) continue;  // padding never wins a max
        terms += (terms.empty() ? "" : is_max(lab) ? ", " : " + ") + format_number(t.input);
    }
    if (is_max(lab)) return "max(" + terms + ") = " + format_number(value);
    return "(" + terms + ") / " + std::to_string(lab.window.size()) + " = " + format_number(value);
}

// ---------------------------------------------------------------------------------------------
// The exercise.

const char* kind_words(PoolKind kind) {
    switch (kind) {
        case PoolKind::max: return "max pooling keeps the largest value of each window";
        case PoolKind::average: return "average pooling adds each window and divides by its number of cells";
        default: return "global average pooling adds every value and divides by how many there are";
    }
}

json output_json(const PoolingLab& lab) { return lab.message.empty() ? plane_json(lab.output) : json(nullptr); }

// ---- The mistakes pooling by hand draws, each as the pooled grid it gives (null where it gives
// another shape, or is not a mistake for this kind).
json pooled_with(const PoolingLab& lab, PoolKind kind, const Pool2dSpec& spec, float scale = 1.0f) {
    Tensor out;
    std::vector<int32_t> argmax;
    Status st = kind == PoolKind::max ? maxpool2d(out, argmax, lab.input, spec) : avgpool2d(out, lab.input, spec);
    if (!st.ok() || out.shape[2] != out_rows(lab) || out.shape[3] != out_cols(lab)) return nullptr;
    for (float& v : out.data) v *= scale;
    return plane_json(out);
}

std::vector<MistakeAnswer> pooling_mistakes(const PoolingLab& lab) {
    const Pool2dSpec& spec = lab.spec;  // global average: the whole plane
    const int k = spec.rows.kernel, stride = spec.rows.stride, cells = k * spec.cols.kernel;
    const int H = lab.input.shape[2], W = lab.input.shape[3];
    std::vector<MistakeAnswer> list;
    if (is_max(lab)) {
        list.push_back({"average-instead-of-max", pooled_with(lab, PoolKind::average, spec),
                        "You took each window's average. Max pooling keeps the largest value of each window."});
    } else {
        list.push_back({"max-instead-of-average", pooled_with(lab, PoolKind::max, spec),
                        "You took the largest value. Average pooling adds the window's " + std::to_string(cells) +
                            " values and divides by " + std::to_string(cells) + "."});
        list.push_back({"sum-not-divided", pooled_with(lab, PoolKind::average, spec, float(cells)),
                        "You added the values but did not divide: the average is the sum divided by " + std::to_string(cells) +
                            ", the number of cells" + (is_global(lab) ? " in the whole map." : " in a window.")});
        if (is_global(lab) && H > 1)
            list.push_back({"divided-by-side", pooled_with(lab, PoolKind::average, spec, float(cells) / float(W)),
                            "You divided by " + std::to_string(W) + ", the map's width. The map has " + std::to_string(H) + " × " +
                                std::to_string(W) + " = " + std::to_string(cells) + " values: divide their sum by " + std::to_string(cells) + "."});
    }
    if (!is_global(lab) && k != stride) {
        const Pool2dSpec window_as_stride = make_pool2d_spec(stride, stride, spec.rows.pad_before);
        list.push_back({"stride-as-window", pooled_with(lab, lab.settings.kind, window_as_stride),
                        "You used " + std::to_string(stride) + " × " + std::to_string(stride) + " windows, the size of the stride. The window is " +
                            std::to_string(k) + " × " + std::to_string(k) + " and moves " + std::to_string(stride) + " cells at a time" +
                            (k > stride ? ", so neighbouring windows overlap." : ", so some cells are skipped.")});
    }
    return list;
}

// The values under output [oy, ox]'s window: "1, 5, 0, 3".
std::string window_values(const PoolingLab& lab, int oy, int ox) {
    std::vector<PoolTerm> terms;
    if (!pool2d_window(terms, lab.input, lab.spec, 0, 0, oy, ox).ok()) return "";
    std::string text;
    for (const PoolTerm& t : terms) text += (text.empty() ? "" : ", ") + format_number(t.input);
    return text;
}

// The hint ladder: the rule with the window and step named, the first window's values, then the
// first cell worked and where the others' windows start.
HintLadder pooling_hints(const PoolingLab& lab) {
    const Pool2dSpec& spec = lab.spec;
    const int k = spec.rows.kernel, stride = spec.rows.stride;
    const std::string first = window_values(lab, 0, 0);
    if (is_global(lab))
        return {"Global average pooling makes one number per channel: the mean of every value in the map.",
                "The map has " + std::to_string(lab.input.shape[2]) + " × " + std::to_string(lab.input.shape[3]) + " = " +
                    std::to_string(k * spec.cols.kernel) + " values.",
                "They add up to " + format_number(out_at(lab, 0, 0) * float(k * spec.cols.kernel)) + ". One step is left."};
    std::string starts;
    for (int i = 0; i < out_cols(lab); i++) starts += (i ? ", " : "") + std::to_string(i * stride);
    return {std::string(kind_words(lab.settings.kind)) + ". The window is " + std::to_string(k) + " × " + std::to_string(k) +
                " and moves " + std::to_string(stride) + " cells at a time, so the output is " + std::to_string(out_rows(lab)) + " × " +
                std::to_string(out_cols(lab)) + ".",
            "Output [0, 0]'s window is rows 0 to " + std::to_string(k - 1) + " and columns 0 to " + std::to_string(k - 1) + ": " + first + ".",
            (is_max(lab) ? "max(" + first + ")" : "(" + first + ") / " + std::to_string(k * k)) + " = " + format_number(out_at(lab, 0, 0)) +
                ". The other windows start at rows and columns " + starts + ": do the same for each."};
}

// Checks the whole pooled grid (values (OH*OW)) or, when row >= 0, one cell (values (1)).
// Returns "" or a message for a request that cannot be checked.
std::string check_answer(PoolingLab& lab, const std::vector<float>& values, const json& given, int row, int col) {
    if (!lab.record.open()) return "there is no exercise open: send {\"new_exercise\": true} first";
    if (!lab.message.empty()) return "there is no output to answer: " + lab.message;
    const int OH = out_rows(lab), OW = out_cols(lab);
    json expected;
    int off = 0;
    if (row >= 0) {
        if (row >= OH || col < 0 || col >= OW)
            return "cell [" + std::to_string(row) + ", " + std::to_string(col) + "] is outside the pooled output (" +
                   std::to_string(OH) + " x " + std::to_string(OW) + ")";
        expected = out_at(lab, row, col);
        off = close_enough(values[0], out_at(lab, row, col)) ? 0 : 1;
        lab.row = row;
        lab.col = col;
        recompute(lab);  // shows that cell's window
    } else {
        expected = output_json(lab);
        lab.wrong.assign(size_t(OH), std::vector<bool>(size_t(OW), false));
        for (int r = 0; r < OH; r++)
            for (int c = 0; c < OW; c++) {
                bool bad = !close_enough(values[size_t(r * OW + c)], out_at(lab, r, c));
                lab.wrong[size_t(r)][size_t(c)] = bad;
                off += bad;
            }
    }
    const bool right = off == 0;
    const PoolKind kind = lab.settings.kind;
    std::string feedback;
    if (right) feedback = row >= 0 ? "Right: " + window_expression(lab) + "." : "Right: " + std::string(kind_words(kind)) + ".";
    else if (row >= 0) feedback = "Not yet: " + std::string(kind_words(kind)) + "; look at that cell's window again.";
    else feedback = "Not yet: " + std::to_string(off) + " of " + std::to_string(OH * OW) + (OH * OW == 1 ? " cell is" : " cells are") +
                    " off (marked red); " + kind_words(kind) + ".";
    if (right && row < 0) lab.solved = true;
    json mistake = nullptr;
    if (!right) {
        std::vector<MistakeAnswer> mistakes = pooling_mistakes(lab);
        if (row >= 0)  // one cell: each mistake's value there
            for (MistakeAnswer& m : mistakes) m.answer = m.answer.is_null() ? json(nullptr) : m.answer[size_t(row)][size_t(col)];
        mistake = name_mistake(row >= 0 ? json(values[0]) : given, expected, mistakes, feedback);
        if (mistake["id"] != "other") feedback = "Not yet: " + mistake["text"].get<std::string>();
    }
    lab.record.checked(right, expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// The exercise as its record shows it: what to pool and how.
json exercise_setup(const PoolingLab& lab) {
    const PoolingSettings& s = lab.settings;
    const bool global = is_global(lab);
    return {{"kind", choice_name(kPoolKinds, s.kind)}, {"grid", s.grid}, {"kernel", global ? json(nullptr) : json(s.kernel)},
            {"stride", global ? json(nullptr) : json(s.stride)}, {"padding", global ? json(nullptr) : json(s.padding)},
            {"output_size", {out_rows(lab), out_cols(lab)}}};
}

// A random grid to pool by hand; the same seed gives the same exercise everywhere.
void new_exercise(PoolingLab& lab, uint64_t seed) {
    Rng rng(seed);
    struct Shape { int size, kernel, stride; };
    static const Shape shapes[] = {{4, 2, 2}, {4, 2, 2}, {6, 2, 2}, {6, 3, 3}, {5, 3, 2}, {4, 2, 1}};
    PoolingSettings& s = lab.settings;
    const float pick = rng.uniform();
    s.kind = pick < 0.5f ? PoolKind::max : pick < 0.85f ? PoolKind::average : PoolKind::global_average;
    const Shape sh = is_global(lab) ? Shape{rng.uniform_int(3, 4), 1, 1} : shapes[rng.uniform_int(0, 5)];
    s.grid.assign(size_t(sh.size), std::vector<float>(size_t(sh.size), 0.0f));
    for (auto& r : s.grid)
        for (float& v : r) v = float(rng.uniform_int(0, 9));
    s.source = Source::grid;
    s.kernel = sh.kernel;
    s.stride = sh.stride;
    s.padding = 0;
    lab.row = lab.col = 0;
    recompute(lab);
    lab.record.start(exercise_setup(lab), seed, lab.pending);
    lab.solved = false;
    lab.wrong.clear();
    for (auto& r : lab.answer_text)
        for (auto& t : r) t[0] = 0;
}

// An open exercise lasts while the problem is the one it set; any change to it ends the exercise.
void leave_exercise_if_changed(PoolingLab& lab) {
    if (!lab.record.open()) return;
    json now = exercise_setup(lab);
    now["seed"] = lab.record.exercise["seed"];
    if (lab.settings.source == Source::grid && now == lab.record.exercise) return;
    lab.record.exercise = nullptr;
    lab.solved = false;
    lab.wrong.clear();
}

// ---------------------------------------------------------------------------------------------
// State and commands.

json winners_json(const PoolingLab& lab) {
    if (!is_max(lab) || !lab.message.empty()) return nullptr;
    json winners = json::array();
    for (int r = 0; r < out_rows(lab); r++) {
        json row = json::array();
        for (int c = 0; c < out_cols(lab); c++) {
            const int at = lab.argmax[size_t(r * out_cols(lab) + c)];
            row.push_back({at / in_cols(lab), at % in_cols(lab)});
        }
        winners.push_back(row);
    }
    return winners;
}

json window_json(const PoolingLab& lab) {
    if (lab.window.empty()) return nullptr;
    json cells = json::array();
    for (const PoolTerm& t : lab.window) cells.push_back({t.iy, t.ix});
    return {{"cells", cells}, {"value", out_at(lab, lab.row, lab.col)}, {"expression", window_expression(lab)}};
}

// What the lab computes from its settings (read-only in the state).
const Output<PoolingLab> kOutputs[] = {
    {"position", [](const PoolingLab& lab) { return json{lab.row, lab.col}; }},
    {"photo_loaded", [](const PoolingLab& lab) { return text_or_null(lab.photo_loaded); }},
    {"input", [](const PoolingLab& lab) { return plane_json(lab.input); }},  // grid mode: the grid; photo mode: the feature map
    {"input_size", [](const PoolingLab& lab) { return json{in_rows(lab), in_cols(lab)}; }},
    {"output", output_json},
    {"output_size", [](const PoolingLab& lab) { return json{out_rows(lab), out_cols(lab)}; }},
    {"message", [](const PoolingLab& lab) { return text_or_null(lab.message); }},
    {"winners", winners_json},
    {"window", window_json},
    {"shift_experiment", [](const PoolingLab& lab) {
         return json{{"input", plane_json(lab.shift_input)}, {"shifted_input", plane_json(lab.shift_moved)},
                     {"conv", plane_json(lab.conv_a)}, {"conv_shifted", plane_json(lab.conv_b)},
                     {"pooled", plane_json(lab.pool_a)}, {"pooled_shifted", plane_json(lab.pool_b)},
                     {"conv_follows_shift", lab.conv_follows}, {"pooled_changed_cells", lab.pooled_changed}};
     }},
    {"note", [](const PoolingLab& lab) { return text_or_null(lab.note); }},
    {"solved", [](const PoolingLab& lab) { return json(lab.solved); }},
};

json pooling_state() {
    json s;
    write_fields(s, kSettingFields, g_lab.settings);
    write_outputs(s, kOutputs, g_lab);
    g_lab.record.write(s);
    return s;
}

// Reads an answer grid: OH x OW numbers, or one number for a 1 x 1 output.
std::string read_answer_grid(const json& v, int OH, int OW, std::vector<float>& out) {
    const std::string shape = std::to_string(OH) + " x " + std::to_string(OW);
    const std::string msg = "\"answer\" must be the pooled grid (" + shape + " rows of numbers)" +
                            (OH * OW == 1 ? ", one number," : "") + " or {\"position\": [row, col], \"value\": number}";
    out.clear();
    if (v.is_number() && OH * OW == 1) {
        double d = v.get<double>();
        if (!std::isfinite(d) || std::fabs(d) > kValueLimit) return msg;
        out.push_back(float(d));
        return "";
    }
    if (!v.is_array() || int(v.size()) != OH) return msg;
    for (const json& row : v) {
        if (!row.is_array() || int(row.size()) != OW) return msg;
        for (const json& x : row) {
            if (!x.is_number() || !std::isfinite(x.get<double>()) || std::fabs(x.get<double>()) > kValueLimit) return msg;
            out.push_back(float(x.get<double>()));
        }
    }
    return "";
}

std::string apply_command(PoolingLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, {"reset", "position", "new_exercise", "seed", "hint", "answer"}, kOutputs); !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) lab = make_lab();

    // 1. What is pooled, and how.
    const PoolingSettings before = lab.settings;
    if (!(e = read_fields(f, kSettingFields, lab.settings)).empty()) return e;
    const PoolingSettings& s = lab.settings;
    const bool photo_asked = s.source == Source::photo && (before.source != Source::photo || f.contains("photo"));
    if (photo_asked && lab.photo_loaded != s.photo && picture_pending("pooling") != s.photo) {
        lab.pending.picture = s.photo;  // asked for once the command is kept
    }
    recompute(lab);
    leave_exercise_if_changed(lab);
    if (!(e = read_cell(f, "position", out_rows(lab), out_cols(lab), "pooled output", lab.row, lab.col)).empty()) return e;
    recompute(lab);

    // 2. The exercise.
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, pooling_hints)).empty()) return e;
    if (f.contains("answer")) {
        const json& a = f["answer"];
        if (!lab.record.open()) return "there is no exercise open: send {\"new_exercise\": true} first";
        std::vector<float> values;
        if (a.is_object()) {
            int r = 0, c = 0;
            float value = 0;
            if (!a.contains("position") || !a.contains("value"))
                return "\"answer\" as one cell must be {\"position\": [row, col], \"value\": number}";
            if (!(e = read_position(a["position"], "answer.position", r, c)).empty()) return e;
            if (!(e = read_number(a, "value", -kValueLimit, kValueLimit, value)).empty()) return e;
            if (r < 0) return "\"answer.position\" counts from [0, 0]";
            values.push_back(value);
            if (!(e = check_answer(lab, values, a, r, c)).empty()) return e;
        } else {
            if (!(e = read_answer_grid(a, out_rows(lab), out_cols(lab), values)).empty()) return e;
            if (!(e = check_answer(lab, values, a, -1, -1)).empty()) return e;
        }
    }
    return "";
}

std::string pooling_command(const json& fields) { return command_on_copy("pooling", g_lab, fields, apply_command); }

void pooling_picture(const Picture& picture) {
    PoolingLab& lab = g_lab;
    std::string e = picture.error.empty() ? use_picture(lab, picture) : picture.error;
    if (!e.empty()) {
        lab.note = "The photo \"" + picture.name + "\" could not be used (" + e + "): pooling a built-in picture instead.";
    } else {
        lab.note.clear();
        if (lab.record.open() && lab.settings.source == Source::photo) lab.record.exercise = nullptr;
    }
    recompute(lab);
    if (e.empty()) post_event("photo-loaded");
}

// ---------------------------------------------------------------------------------------------
// Drawing.

// A change made in the lab's own controls goes through the command path like one from the page.
void ui_command(const json& fields) {
    std::string e = pooling_command(fields);
    g_lab.ui_note = e.empty() ? "" : "Not changed: " + e + ".";
}

void select_source(const std::string& source, const std::string& photo) {
    json command = {{"source", source}};
    if (!photo.empty()) command["photo"] = photo;
    ui_command(command);
}

void draw_settings(PoolingLab& lab) {
    ImGui::TextDisabled("POOL");
    if (ImGui::RadioButton("Max", lab.settings.kind == PoolKind::max)) lab.settings.kind = PoolKind::max;
    ImGui::SameLine();
    if (ImGui::RadioButton("Average", lab.settings.kind == PoolKind::average)) lab.settings.kind = PoolKind::average;
    if (ImGui::RadioButton("Global average", lab.settings.kind == PoolKind::global_average)) lab.settings.kind = PoolKind::global_average;
    ImGui::SameLine();
    help_marker("One number per channel: the mean of the whole feature map. Modern networks use it instead of a big "
                "fully connected layer at the end.");
    if (is_global(lab)) ImGui::BeginDisabled();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::SliderInt("window", &lab.settings.kernel, 1, kMaxWindow);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::SliderInt("stride", &lab.settings.stride, 1, kMaxWindow);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::SliderInt("padding", &lab.settings.padding, 0, kMaxPadding);
    if (is_global(lab)) ImGui::EndDisabled();
    ImGui::Separator();

    ImGui::TextDisabled("INPUT");
    if (ImGui::RadioButton("Grid of numbers", lab.settings.source == Source::grid)) select_source("grid", "");
    bool photo_clicked = ImGui::RadioButton("Feature map of a photo", lab.settings.source == Source::photo);
    ui_anchor("source-photo");
    if (photo_clicked && lab.settings.source != Source::photo) select_source("photo", "");
    if (lab.settings.source == Source::photo) {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
        if (ImGui::BeginCombo("photo", lab.settings.photo.c_str())) {
            for (const std::string& name : photo_names())
                if (ImGui::Selectable(name.c_str(), name == lab.settings.photo)) select_source("photo", name);
            ImGui::EndCombo();
        }
        if (const std::string asked = picture_pending("pooling"); !asked.empty()) ImGui::TextDisabled("loading %s...", asked.c_str());
    } else {
        if (ImGui::Button("Random grid")) {
            Rng rng(uint64_t(ImGui::GetFrameCount()) * 2654435761u);
            int n = rng.uniform_int(4, 6);
            lab.settings.grid.assign(size_t(n), std::vector<float>(size_t(n), 0.0f));
            for (auto& r : lab.settings.grid)
                for (float& v : r) v = float(rng.uniform_int(0, 9));
        }
        if (ImGui::TreeNode("Type the grid")) {
            if (ImGui::IsItemToggledOpen() || lab.grid_text[0] == 0)
                std::snprintf(lab.grid_text, sizeof lab.grid_text, "%s", rows_to_text(lab.settings.grid).c_str());
            ImGui::InputTextMultiline("##grid-text", lab.grid_text, sizeof lab.grid_text, ImVec2(-FLT_MIN, ImGui::GetTextLineHeight() * 6));
            if (ImGui::Button("Use these numbers")) {
                Rows rows;
                std::string e = parse_rows_text(lab.grid_text, kMaxGrid, kMaxGrid, kValueLimit, rows);
                lab.ui_note = e.empty() ? "" : "Grid not changed: " + e + ".";
                if (e.empty()) lab.settings.grid = rows;
            }
            ImGui::TreePop();
        }
    }
    ImGui::Separator();

    ImGui::TextDisabled("EXERCISE");
    if (new_exercise_button(lab.record.answered, lab.record.correct)) new_exercise(lab, fresh_seed());
    if (ImGui::Button("Reset the lab")) ui_command({{"reset", true}});
}

// One grid of the picture: values as grey cells, with numbers when the cells are big enough.
GridCell value_cell(float v, float lo, float hi, float cell) {
    GridCell g;
    g.fill = grey_color(v, lo, hi);
    if (cell >= 18) g.text = format_number(std::round(v * 100.0f) / 100.0f);
    return g;
}

void value_range(const Tensor& t, float& lo, float& hi) {
    lo = 0;
    hi = 1e-6f;
    for (float v : t.data) { lo = std::min(lo, v); hi = std::max(hi, v); }
}

void draw_pooling(PoolingLab& lab) {
    const int H = in_rows(lab), W = in_cols(lab);
    const bool photo = lab.settings.source == Source::photo;
    const int pad = is_global(lab) ? 0 : std::min(lab.settings.padding, kMaxPadding);
    const int rows = H + 2 * pad, cols = W + 2 * pad;
    const int OH = out_rows(lab), OW = out_cols(lab);
    const float avail = ImGui::GetContentRegionAvail().x;
    float cell = avail / float(cols + std::max(OW, 2) + (photo ? kGreySide : 0) + 4);
    cell = std::clamp(cell, photo ? 4.0f : 14.0f, photo ? 9.0f : 44.0f);
    const float out_cell = photo && !is_global(lab) ? cell * float(lab.settings.stride) : photo ? cell * 4 : cell;
    float lo = 0, hi = 1;
    value_range(lab.input, lo, hi);
    const bool exercise = lab.record.open();

    // winners of every window (max pooling), and the selected window's cells
    std::vector<int> won(size_t(H * W), 0);  // (H,W) windows this cell won
    for (int32_t at : lab.argmax) won[size_t(at)]++;
    std::vector<bool> in_window(size_t(rows * cols), false);  // (rows, cols) with the padding ring
    for (const PoolTerm& t : lab.window) {
        const int r = t.iy + pad, c = t.ix + pad;
        if (r >= 0 && r < rows && c >= 0 && c < cols) in_window[size_t(r * cols + c)] = true;
    }
    const int selected_winner = is_max(lab) && OH > 0 ? lab.argmax[size_t(lab.row * OW + lab.col)] : -1;

    if (photo) {
        ImGui::BeginGroup();
        ImGui::Text("Photo (grey)");
        float plo = 0, phi = 1;
        value_range(lab.photo_grey, plo, phi);
        draw_grid("photo", kGreySide, kGreySide, cell, [&](int r, int c) {
            return GridCell{"", grey_color(lab.photo_grey.data[size_t(r * kGreySide + c)], plo, phi)};
        }, false);
        ImGui::TextDisabled("%s", lab.photo_loaded.empty() ? "built-in picture" : lab.photo_loaded.c_str());
        ImGui::EndGroup();
        ImGui::SameLine(0, 12);
    }
    ImGui::BeginGroup();
    ImGui::Text(photo ? "Sobel x, ReLU %d x %d" : "Input %d x %d", H, W);
    GridResult in = draw_grid("pool-input", rows, cols, cell, [&](int r, int c) {
        const int ir = r - pad, ic = c - pad;
        const bool inside = ir >= 0 && ir < H && ic >= 0 && ic < W;
        GridCell g = inside ? value_cell(lab.input.data[size_t(ir * W + ic)], lo, hi, cell) : GridCell{};
        if (!inside) {
            g.fill = IM_COL32(45, 45, 52, 255);
            g.dashed = true;
            g.text = cell >= 18 ? (is_max(lab) ? "-" : "0") : "";
            g.text_color = IM_COL32(140, 140, 150, 255);
        }
        if (inside && won[size_t(ir * W + ic)] && !photo) g.border = kWinnerColor;
        if (inside && ir * W + ic == selected_winner) g.border = kWinnerColor;
        return g;
    }, !photo);
    ui_anchor("input-grid");
    if (!lab.window.empty()) {  // the selected window, outlined
        int r0 = rows, c0 = cols, r1 = -1, c1 = -1;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                if (in_window[size_t(r * cols + c)]) { r0 = std::min(r0, r); c0 = std::min(c0, c); r1 = std::max(r1, r); c1 = std::max(c1, c); }
        if (r1 >= 0) ImGui::GetWindowDrawList()->AddRect(in.cell_min(r0, c0), in.cell_max(r1, c1), kWindowColor, 0, 0, 3.0f);
        if (selected_winner >= 0 && photo) {  // in the photo the winner is one small cell: a ring around it
            const int wr = selected_winner / W + pad, wc = selected_winner % W + pad;
            ImGui::GetWindowDrawList()->AddRect(in.cell_min(wr, wc), in.cell_max(wr, wc), kWinnerColor, 0, 0, 2.0f);
        }
    }
    if (in.clicked && !exercise && OH > 0) {  // a click on the input selects the window that holds it
        const int ir = in.hover_row - pad + lab.spec.rows.pad_before, ic = in.hover_col - pad + lab.spec.cols.pad_before;
        lab.row = std::clamp(ir / std::max(lab.spec.rows.stride, 1), 0, OH - 1);
        lab.col = std::clamp(ic / std::max(lab.spec.cols.stride, 1), 0, OW - 1);
    }
    if (pad) ImGui::TextDisabled(is_max(lab) ? "dashed: padding (never wins)" : "dashed: padding (counts as 0)");
    else if (is_max(lab)) ImGui::TextDisabled("green: the winner of a window");
    ImGui::EndGroup();

    ImGui::SameLine(0, cell);
    ImGui::BeginGroup();
    if (!lab.message.empty()) {
        ImGui::Text("Pooled");
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + std::max(avail * 0.3f, 200.0f));
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", lab.message.c_str());
        ImGui::PopTextWrapPos();
    } else {
        ImGui::Text("%s %d x %d", is_max(lab) ? "Max pooled" : is_global(lab) ? "Global average" : "Average pooled", OH, OW);
        const float big = std::max(out_cell, photo ? 6.0f : 14.0f);
        GridResult out = draw_grid("pool-output", OH, OW, big, [&](int r, int c) {
            GridCell g = value_cell(out_at(lab, r, c), lo, hi, photo && OH * OW > 1 ? 0.0f : big);
            if (exercise && !lab.solved) {
                g.text = "?";
                g.fill = IM_COL32(40, 40, 48, 255);
                g.text_color = 0;
                if (size_t(r) < lab.wrong.size() && lab.wrong[size_t(r)][size_t(c)]) g.border = kWrongColor;
            }
            if (r == lab.row && c == lab.col) g.border = kWindowColor;
            return g;
        }, !photo || OH * OW == 1);
        ui_anchor("output-grid");
        if (out.clicked) {
            lab.row = out.hover_row;
            lab.col = out.hover_col;
        }
        ImGui::TextDisabled("click a cell to see its window");
    }
    ImGui::EndGroup();
}

void draw_window_and_answer(PoolingLab& lab) {
    const bool exercise = lab.record.open();
    if (!lab.window.empty() && (!exercise || lab.solved)) {
        ImGui::Text("Output [%d, %d]:", lab.row, lab.col);
        ImGui::SameLine();
        ImGui::TextWrapped("%s", window_expression(lab).c_str());
    }
    if (!exercise) return;
    const int OH = out_rows(lab), OW = out_cols(lab);
    ImGui::TextColored(ImVec4(1.0f, 0.85f, 0.4f, 1), "Exercise: %s the grid (window %d, stride %d) by hand.",
                       lab.settings.kind == PoolKind::max ? "max pool" : lab.settings.kind == PoolKind::average ? "average pool" : "global-average pool",
                       is_global(lab) ? in_rows(lab) : lab.settings.kernel, is_global(lab) ? 1 : lab.settings.stride);
    if (OH <= 0 || OH > kMaxAnswer || OW > kMaxAnswer) return;
    if (ImGui::BeginTable("answers", OW, ImGuiTableFlags_SizingFixedFit)) {
        for (int r = 0; r < OH; r++) {
            ImGui::TableNextRow();
            for (int c = 0; c < OW; c++) {
                ImGui::TableSetColumnIndex(c);
                ImGui::PushID(r * kMaxAnswer + c);
                ImGui::SetNextItemWidth(ImGui::GetFontSize() * 3.5f);
                ImGui::InputText("##a", lab.answer_text[r][c], sizeof lab.answer_text[r][c], ImGuiInputTextFlags_CharsScientific);
                ui_anchor("answer/" + std::to_string(r) + "," + std::to_string(c));
                if (r == 0 && c == 0) ui_anchor("answer");
                ImGui::PopID();
            }
        }
        ImGui::EndTable();
    }
    bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (check) {
        std::vector<float> values;
        json given = json::array();
        bool all = true;
        for (int r = 0; r < OH; r++) {
            json row = json::array();
            for (int c = 0; c < OW; c++) {
                char* end = nullptr;
                double v = std::strtod(lab.answer_text[r][c], &end);
                if (end == lab.answer_text[r][c] || !std::isfinite(v) || std::fabs(v) > kValueLimit) all = false;
                values.push_back(float(v));
                row.push_back(float(v));
            }
            given.push_back(row);
        }
        lab.ui_note = all ? check_answer(lab, values, given, -1, -1) : "Type a number in every cell first.";
    }
    if (lab.record.last_answer.is_object()) {
        ImGui::SameLine();
        last_answer_feedback(lab.record.last_answer);
    }
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) lab.record.give_hint(pooling_hints(lab), lab.pending);
}

void draw_shift(PoolingLab& lab) {
    ImGui::TextUnformatted("Shift the input");
    ImGui::SameLine();
    help_marker("A plus-shaped filter (bias -4, then ReLU) fires only where the whole plus is. Convolution is "
                "equivariant: move the input and its output moves the same way. Max pooling 2x2 keeps only the "
                "largest value of each 2x2 block, so a move that stays inside a block changes nothing.");
    int shift[2] = {lab.settings.shift_down, lab.settings.shift_right};
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::SliderInt2("down, right", shift, -kMaxShift, kMaxShift)) {
        lab.settings.shift_down = shift[0];
        lab.settings.shift_right = shift[1];
    }
    ui_anchor("shift");
    const float cell = std::clamp(ImGui::GetContentRegionAvail().x / 58.0f, 10.0f, 22.0f);  // 6 grids, 48 cells, and gaps
    auto draw_plane = [&](const char* id, const Tensor& t, float size) {
        float lo = 0, hi = 1;
        value_range(t, lo, hi);
        draw_grid(id, t.shape[2], t.shape[3], size, [&](int r, int c) {
            float v = t.data[size_t(r * t.shape[3] + c)];
            GridCell g{v != 0 ? format_number(v) : "", grey_color(v, lo, hi)};
            if (v != 0 && std::string(id).find("conv") != std::string::npos) g.border = kWindowColor;
            return g;
        });
    };
    const char* labels[2] = {"original", "shifted"};
    for (int i = 0; i < 2; i++) {
        ImGui::BeginGroup();
        ImGui::Text("%s input", labels[i]);
        draw_plane(i ? "moved-input" : "plain-input", i ? lab.shift_moved : lab.shift_input, cell);
        ImGui::EndGroup();
        ImGui::SameLine(0, cell);
        ImGui::BeginGroup();
        ImGui::Text("conv + ReLU");
        draw_plane(i ? "moved-conv" : "plain-conv", i ? lab.conv_b : lab.conv_a, cell);
        ImGui::EndGroup();
        ImGui::SameLine(0, cell);
        ImGui::BeginGroup();
        ImGui::Text("max pool 2x2");
        draw_plane(i ? "moved-pool" : "plain-pool", i ? lab.pool_b : lab.pool_a, cell * 2);
        ImGui::EndGroup();
        if (i == 0) ImGui::SameLine(0, cell * 2);
    }
    ui_anchor("shift-grids");
    const bool moved = lab.settings.shift_down || lab.settings.shift_right;
    ImGui::TextColored(lab.conv_follows ? ImVec4(0.4f, 0.85f, 0.5f, 1) : ImVec4(1.0f, 0.7f, 0.45f, 1), "Convolution: %s",
                       !moved ? "nothing moved yet" : lab.conv_follows ? "its output moved exactly as the input did (equivariant)."
                                                                       : "part of the pattern left the picture, so its output lost it too.");
    ImGui::TextColored(lab.pooled_changed == 0 ? ImVec4(0.4f, 0.85f, 0.5f, 1) : ImVec4(1.0f, 0.7f, 0.45f, 1), "Max pooling: %s",
                       lab.pooled_changed == 0 ? "the pooled output is exactly the same (invariant to this shift)."
                                               : "the peak crossed into another 2x2 block, so the pooled output changed.");
}

void pooling_draw() {
    PoolingLab& lab = g_lab;
    lab_intro("Pooling",
              "Pooling shrinks a feature map: slide a window over it and keep one number per window, the largest "
              "(max) or the mean (average). Global average pooling keeps one number for the whole map. A small "
              "shift of the input moves a convolution's output, but often leaves the max-pooled output as it was.");

    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 15, 0), true);
    draw_settings(lab);
    ImGui::EndChild();
    recompute(lab);  // the settings may have changed
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    draw_pooling(lab);
    recompute(lab);  // a click may have moved the window
    draw_window_and_answer(lab);
    if (!lab.note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.75f, 0.4f, 1), "%s", lab.note.c_str());
    if (!lab.ui_note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.ui_note.c_str());
    ImGui::Separator();
    draw_shift(lab);
    ImGui::EndChild();
    recompute(lab);
    leave_exercise_if_changed(lab);  // the student changed the problem: back to exploring
    commit("pooling", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "pooling", .name = "Pooling",
                    .summary = "Max, average and global average pooling; why a small shift often changes nothing.",
                    .draw = pooling_draw, .state = pooling_state, .command = pooling_command, .on_picture = pooling_picture,
                    .teaches = {"pooling", "Pooling by hand"});
