// mistakes_test.cpp — named mistakes, hints and mastery across the labs (web/lab_kit.h: ExerciseRecord,
// web/app_progress.cpp). For every named mistake of every lab: exercises drawn from many seeds, the
// answer the mistake gives computed here from the numbers in the lab's state (not by the lab's
// code), submitted, and the mistake's id expected back (never "other"); the right answer names no
// mistake and a far-off one is "other". The arithmetic lab's mistakes are in arithmetic_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <imgui.h>

#include "../web/app.h"
#include "lab_test_util.h"

namespace {

using Grid = std::vector<std::vector<float>>;

struct Expected {
    std::string id;
    json answer;  // null: this mistake gives nothing to tell apart in this exercise
};

// Two answers are the same when every number agrees within 1e-3 (the labs take 0.01 + 0.1%).
bool same(const json& a, const json& b) {
    if (a.is_number() && b.is_number()) return std::fabs(a.get<double>() - b.get<double>()) < 1e-3;
    if (a.is_array() && b.is_array()) {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); i++)
            if (!same(a[i], b[i])) return false;
        return true;
    }
    if (a.is_object() && b.is_object()) {
        if (a.size() != b.size()) return false;
        for (auto it = a.begin(); it != a.end(); ++it)
            if (!b.contains(it.key()) || !same(it.value(), b[it.key()])) return false;
        return true;
    }
    return a == b;
}

struct LabMistakes {
    const char* lab;
    std::vector<std::string> ids;                            // every id the lab names
    json (*right)(const json& state);                        // the right answer, computed here
    std::vector<Expected> (*mistakes)(const json& state);    // each mistake's answer, computed here
    json (*answer_command)(const json& state, const json& answer);  // {"answer": ...} as the lab takes it
};

// The right answer with 1000 added to every number: no mistake gives it.
json far_off(const json& right) {
    if (right.is_array() && !right.empty() && right[0].is_string()) return json::array({"W"});  // axes: no norm averages over W alone
    if (right.is_number_integer()) return right.get<int64_t>() + 1000;
    if (right.is_number()) return right.get<double>() + 1000;
    json out = right;
    for (auto it = out.begin(); it != out.end(); ++it) *it = far_off(*it);
    return out;
}

// Over `seeds` exercises: every mistake's answer submitted, its id named; each id of the lab named
// in at least three exercises.
void check_lab_mistakes(const LabMistakes& L, int seeds) {
    std::map<std::string, int> named;
    for (int seed = 1; seed <= seeds; seed++) {
        const json opened = command({{"lab", L.lab}, {"new_exercise", true}, {"seed", seed}});
        const json right = L.right(opened);
        const std::vector<Expected> list = L.mistakes(opened);
        for (const Expected& m : list) {
            if (m.answer.is_null() || same(m.answer, right)) continue;
            std::set<std::string> giving;  // every mistake that gives this same answer here
            for (const Expected& other : list)
                if (!other.answer.is_null() && same(other.answer, m.answer)) giving.insert(other.id);
            command({{"new_exercise", true}, {"seed", seed}});
            const json reply = api_command(L.answer_command(opened, m.answer));
            INFO(L.lab << " seed " << seed << " mistake " << m.id << " answer " << m.answer.dump() << " right " << right.dump());
            REQUIRE_FALSE(reply.contains("error"));
            const json& last = reply["last_answer"];
            CHECK(last["correct"] == false);
            REQUIRE(last["mistake"].is_object());
            const std::string id = last["mistake"]["id"];
            CHECK(giving.count(id) == 1);  // never "other"
            CHECK(last["mistake"]["text"].get<std::string>().size() > 20);
            if (giving.size() == 1) named[id]++;
        }
        command({{"new_exercise", true}, {"seed", seed}});
        json reply = command(L.answer_command(opened, right));
        INFO(L.lab << " seed " << seed << " right " << right.dump() << " -> " << reply["last_answer"].dump());
        CHECK(reply["last_answer"]["correct"] == true);
        CHECK(reply["last_answer"]["mistake"].is_null());
        reply = command(L.answer_command(opened, far_off(right)));
        CHECK(reply["last_answer"]["mistake"]["id"] == "other");
    }
    for (const std::string& id : L.ids) {
        INFO(L.lab << ": " << id << " named in " << named[id] << " exercises");
        CHECK(named[id] >= 3);
    }
}

Grid grid_of(const json& rows) { return rows.get<Grid>(); }
float cell(const Grid& g, int r, int c) { return r < 0 || c < 0 || r >= int(g.size()) || c >= int(g[0].size()) ? 0.0f : g[size_t(r)][size_t(c)]; }

// ---- Convolution by hand: output [r, c] = sum of image x kernel under the window, plus the bias.
struct HandCell {
    int r, c;
};
HandCell asked_cell(const json& s) {  // one of the output's cells, chosen by the seed
    const int rows = s["output_size"][0], cols = s["output_size"][1];
    const int i = int(s["exercise"]["seed"].get<int>() * 7 % (rows * cols));
    return {i / cols, i % cols};
}
// The window's sum at output [r, c]: cross-correlation (turned: the kernel turned 180 degrees),
// leaving out product `skip` (-1: none), with or without the bias.
float hand_sum(const json& s, int r, int c, bool turned, int skip, bool bias) {
    const Grid img = grid_of(s["image"]), k = grid_of(s["kernel"]);
    const int st = s["stride"], pad = s["padding"].get<int>(), KH = int(k.size()), KW = int(k[0].size());
    float sum = bias ? s["bias"].get<float>() : 0.0f;
    for (int ky = 0; ky < KH; ky++)
        for (int kx = 0; kx < KW; kx++) {
            if (ky * KW + kx == skip) continue;
            const float w = turned ? k[size_t(KH - 1 - ky)][size_t(KW - 1 - kx)] : k[size_t(ky)][size_t(kx)];
            sum += cell(img, r * st - pad + ky, c * st - pad + kx) * w;
        }
    return sum;
}
json hand_right(const json& s) {
    const HandCell at = asked_cell(s);
    const float v = hand_sum(s, at.r, at.c, false, -1, true);
    CHECK(v == doctest::Approx(s["output"][at.r][at.c].get<float>()));  // the lab's output is this sum
    return v;
}
std::vector<Expected> hand_mistakes(const json& s) {
    const HandCell at = asked_cell(s);
    const float right = hand_sum(s, at.r, at.c, false, -1, true);
    std::vector<Expected> list = {{"kernel-flipped", hand_sum(s, at.r, at.c, true, -1, true)},
                                  {"bias-left-out", s["bias"].get<float>() != 0 ? json(right - s["bias"].get<float>()) : json(nullptr)}};
    const int taps = int(s["kernel"].size() * s["kernel"][0].size());
    for (int t = 0; t < taps; t++) list.push_back({"product-left-out", hand_sum(s, at.r, at.c, false, t, true)});
    const int rows = s["output_size"][0], cols = s["output_size"][1];
    const int moves[4][2] = {{0, 1}, {0, -1}, {1, 0}, {-1, 0}};
    for (const auto& m : moves) {
        const int r = at.r + m[0], c = at.c + m[1];
        if (r >= 0 && r < rows && c >= 0 && c < cols) list.push_back({"neighbouring-window", s["output"][r][c]});
    }
    return list;
}
json hand_answer(const json& s, const json& v) {
    const HandCell at = asked_cell(s);
    return {{"answer", {{"position", {at.r, at.c}}, {"value", v}}}};
}

// ---- Channels: params = C_out*C_in*k*k (+ C_out), output (N, C_out, OH, OW).
struct Layer {
    bool conv, bias;
    int64_t N, C, OC, k, s, p, H;
};
Layer layer_of(const json& s) {
    const json& x = s["exercise"];
    Layer L{x["layer"] == "conv", x["bias"].get<bool>(), x["input_shape"][0], x["input_shape"][1], 0, 1, 1, 0, 0};
    L.OC = x[L.conv ? "out_channels" : "out_features"];
    if (L.conv) {
        L.k = x["kernel"];
        L.s = x["stride"];
        L.p = x["padding"];
        L.H = x["input_shape"][2];
    }
    return L;
}
int64_t side(const Layer& L, int64_t pad, int64_t stride) { return (L.H + 2 * pad - L.k) / stride + 1; }  // never negative here
json layer_answer(int64_t params, json shape) { return {{"params", params}, {"output_shape", std::move(shape)}}; }
json channels_right(const json& s) {
    const Layer L = layer_of(s);
    const int64_t weights = L.conv ? L.OC * L.C * L.k * L.k : L.OC * L.C;
    const int64_t o = side(L, L.p, L.s);
    return layer_answer(weights + (L.bias ? L.OC : 0), L.conv ? json{L.N, L.OC, o, o} : json{L.N, L.OC});
}
std::vector<Expected> channels_mistakes(const json& s) {
    const Layer L = layer_of(s);
    const json right = channels_right(s);
    const int64_t params = right["params"], weights = L.conv ? L.OC * L.C * L.k * L.k : L.OC * L.C, biases = L.bias ? L.OC : 0;
    const json shape = right["output_shape"];
    const int64_t o = side(L, L.p, L.s);
    auto fits = [](int64_t p) { return p <= 2000000000; };  // the largest count the lab takes
    std::vector<Expected> list = {
        {"bias-forgotten", L.bias ? layer_answer(weights, shape) : json(nullptr)},
        {"bias-counted", L.bias ? json(nullptr) : layer_answer(params + L.OC, shape)},
        {"input-channels-forgotten", L.conv ? layer_answer(L.OC * L.k * L.k + biases, shape) : json(nullptr)},
        {"no-weight-sharing", L.conv && fits(weights * o * o + biases) ? layer_answer(weights * o * o + biases, shape) : json(nullptr)},
        {"axes-swapped", layer_answer(params, L.conv ? json{L.N, o, o, L.OC} : json{L.OC, L.N})},
        {"padding-ignored", L.conv && L.p > 0 ? layer_answer(params, json{L.N, L.OC, side(L, 0, L.s), side(L, 0, L.s)}) : json(nullptr)},
        {"stride-ignored", L.conv && L.s > 1 ? layer_answer(params, json{L.N, L.OC, side(L, L.p, 1), side(L, L.p, 1)}) : json(nullptr)},
    };
    return list;
}
json plain_answer(const json&, const json& v) { return {{"answer", v}}; }

// ---- Pooling: each window's max or average.
enum class Pool { max, average, sum };
json pooled(const Grid& g, int k, int stride, Pool how, float divide_by = 0) {
    const int n = int(g.size()), o = (n - k) / stride + 1;
    json rows = json::array();
    for (int r = 0; r < o; r++) {
        json row = json::array();
        for (int c = 0; c < o; c++) {
            float best = -1e30f, sum = 0;
            for (int y = 0; y < k; y++)
                for (int x = 0; x < k; x++) {
                    best = std::max(best, g[size_t(r * stride + y)][size_t(c * stride + x)]);
                    sum += g[size_t(r * stride + y)][size_t(c * stride + x)];
                }
            row.push_back(how == Pool::max ? best : how == Pool::sum ? sum : sum / (divide_by > 0 ? divide_by : float(k * k)));
        }
        rows.push_back(row);
    }
    return rows;
}
json pooling_right(const json& s) {
    const json& x = s["exercise"];
    const Grid g = grid_of(x["grid"]);
    if (x["kind"] == "global-average") return pooled(g, int(g.size()), 1, Pool::average);
    return pooled(g, x["kernel"], x["stride"], x["kind"] == "max" ? Pool::max : Pool::average);
}
std::vector<Expected> pooling_mistakes(const json& s) {
    const json& x = s["exercise"];
    const Grid g = grid_of(x["grid"]);
    const int n = int(g.size());
    if (x["kind"] == "global-average")
        return {{"max-instead-of-average", pooled(g, n, 1, Pool::max)},
                {"sum-not-divided", pooled(g, n, 1, Pool::sum)},
                {"divided-by-side", pooled(g, n, 1, Pool::average, float(n))}};
    const int k = x["kernel"], st = x["stride"];
    const bool max = x["kind"] == "max";
    std::vector<Expected> list;
    if (max) list.push_back({"average-instead-of-max", pooled(g, k, st, Pool::average)});
    else {
        list.push_back({"max-instead-of-average", pooled(g, k, st, Pool::max)});
        list.push_back({"sum-not-divided", pooled(g, k, st, Pool::sum)});
    }
    if (k != st && (n - st) / st == (n - k) / st)  // the same output size with stride-sized windows
        list.push_back({"stride-as-window", pooled(g, st, st, max ? Pool::max : Pool::average)});
    return list;
}

// ---- Convolution as a matrix: row r of C holds, in column iy*W + ix, the weight that meets x[iy, ix].
json matrix_row(const json& x, const Grid& kernel, int stride, int oy, int ox) {
    const int dims = x["dims"], H = x["input"][0], W = x["input"][1], p = x["padding"], d = x["dilation"];
    const int KH = int(kernel.size()), KW = int(kernel[0].size());
    const int pr = dims == 1 ? 0 : p, sr = dims == 1 ? 1 : stride, dr = dims == 1 ? 1 : d;
    const int OH = (H + 2 * pr - dr * (KH - 1) - 1) / sr + 1, OW = (W + 2 * p - d * (KW - 1) - 1) / stride + 1;
    if (oy < 0 || ox < 0 || oy >= OH || ox >= OW) return nullptr;
    std::vector<float> row(size_t(H * W), 0.0f);
    for (int ky = 0; ky < KH; ky++)
        for (int kx = 0; kx < KW; kx++) {
            const int iy = oy * sr - pr + ky * dr, ix = ox * stride - p + kx * d;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) row[size_t(iy * W + ix)] = kernel[size_t(ky)][size_t(kx)];
        }
    return row;
}
int matrix_out_cols(const json& x, int stride) {
    const int W = x["input"][1], p = x["padding"], d = x["dilation"], KW = int(x["kernel"][0].size());
    return (W + 2 * p - d * (KW - 1) - 1) / stride + 1;
}
json matrix_right(const json& s) {
    const json& x = s["exercise"];
    const int OW = matrix_out_cols(x, x["stride"]), r = x["row"];
    return matrix_row(x, grid_of(x["kernel"]), x["stride"], r / OW, r % OW);
}
std::vector<Expected> matrix_mistakes(const json& s) {
    const json& x = s["exercise"];
    const Grid k = grid_of(x["kernel"]);
    const int st = x["stride"], OW = matrix_out_cols(x, st), r = x["row"], oy = r / OW, ox = r % OW;
    Grid turned = k, transposed = k;
    for (auto& row : turned) std::reverse(row.begin(), row.end());
    std::reverse(turned.begin(), turned.end());
    std::vector<Expected> list = {{"kernel-flipped", matrix_row(x, turned, st, oy, ox)}};
    if (x["dims"] == 2) {
        for (size_t i = 0; i < k.size(); i++)
            for (size_t j = 0; j < k.size(); j++) transposed[i][j] = k[j][i];
        list.push_back({"kernel-column-major", matrix_row(x, transposed, st, oy, ox)});
    }
    for (int n : {r + 1, r - 1}) list.push_back({"row-shifted", n >= 0 ? matrix_row(x, k, st, n / OW, n % OW) : json(nullptr)});
    if (st > 1) list.push_back({"stride-ignored", matrix_row(x, k, 1, oy, ox)});
    return list;
}

// ---- Receptive field: r = 1 + sum of (k-1)*d*j, j the product of the strides before.
int64_t field(const json& layers, bool strides, bool dilations) {
    int64_t r = 1, j = 1;
    for (const json& L : layers) {
        const int64_t d = dilations && L.contains("dilation") ? L["dilation"].get<int64_t>() : 1;
        r += (L["kernel"].get<int64_t>() - 1) * d * j;
        if (strides) j *= L["stride"].get<int64_t>();
    }
    return r;
}
json rf_right(const json& s) { return field(s["exercise"]["layers"], true, true); }
std::vector<Expected> rf_mistakes(const json& s) {
    const json& layers = s["exercise"]["layers"];
    int64_t product = 1, sum = 0;
    for (const json& L : layers) {
        const int64_t span = (L["kernel"].get<int64_t>() - 1) * (L.contains("dilation") ? L["dilation"].get<int64_t>() : 1) + 1;
        product *= span;
        sum += span;
    }
    return {{"kernels-multiplied", product}, {"kernels-added", sum}, {"jump-ignored", field(layers, false, true)},
            {"dilation-ignored", field(layers, true, false)}};
}

// ---- Backprop: dL/dw[a,b] = sum dz[i,j] x[i+a, j+b]; dL/dx[p,q] = sum dz[i,j] w[p-i, q-j].
json backprop_right(const json& s) {
    const Grid x = grid_of(s["input"]), w = grid_of(s["kernel"]), dz = grid_of(s["dz"]);
    const int a = s["exercise"]["position"][0], b = s["exercise"]["position"][1], K = int(w.size());
    float sum = 0;
    for (int i = 0; i < int(dz.size()); i++)
        for (int j = 0; j < int(dz[0].size()); j++) {
            if (s["exercise"]["which"] == "dw") sum += dz[size_t(i)][size_t(j)] * x[size_t(i + a)][size_t(j + b)];
            else if (a - i >= 0 && a - i < K && b - j >= 0 && b - j < K) sum += dz[size_t(i)][size_t(j)] * w[size_t(a - i)][size_t(b - j)];
        }
    return sum;
}
std::vector<Expected> backprop_mistakes(const json& s) {
    const Grid x = grid_of(s["input"]), w = grid_of(s["kernel"]), dz = grid_of(s["dz"]);
    const int a = s["exercise"]["position"][0], b = s["exercise"]["position"][1], K = int(w.size());
    const bool dw = s["exercise"]["which"] == "dw";
    float no_upstream = 0, unshifted = 0, swapped = 0, unturned = 0;
    bool swap_fits = true;
    for (int i = 0; i < int(dz.size()); i++)
        for (int j = 0; j < int(dz[0].size()); j++) {
            const float g = dz[size_t(i)][size_t(j)];
            if (dw) {
                no_upstream += x[size_t(i + a)][size_t(j + b)];
                unshifted += g * x[size_t(i)][size_t(j)];
                if (i + b < int(x.size()) && j + a < int(x[0].size())) swapped += g * x[size_t(i + b)][size_t(j + a)];
                else swap_fits = false;
            } else if (a - i >= 0 && a - i < K && b - j >= 0 && b - j < K) {
                no_upstream += w[size_t(a - i)][size_t(b - j)];
                unturned += g * w[size_t(K - 1 - (a - i))][size_t(K - 1 - (b - j))];
            }
        }
    std::vector<Expected> list = {{"upstream-left-out", no_upstream}, {"upstream-sign", -backprop_right(s).get<float>()}};
    if (dw) {
        list.push_back({"wrong-cells", a || b ? json(unshifted) : json(nullptr)});
        list.push_back({"wrong-cells", a != b && swap_fits ? json(swapped) : json(nullptr)});
    } else {
        list.push_back({"kernel-not-flipped", unturned});
    }
    return list;
}

// An ImGui context with its font atlas built, for drawing frames without a GPU; gone at the end of the scope.
struct ImGuiForTest {
    ImGuiForTest() {
        ImGui::CreateContext();
        ImGui::GetIO().IniFilename = nullptr;
        unsigned char* pixels;
        int w, h;
        ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    }
    ~ImGuiForTest() { ImGui::DestroyContext(); }
};

// ---- Composing two 1D kernels: k[u] = sum over a + b = u of k1[a] k2[b].
std::vector<float> polynomial_product(const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<float> k(a.size() + b.size() - 1, 0.0f);
    for (size_t i = 0; i < a.size(); i++)
        for (size_t j = 0; j < b.size(); j++) k[i + j] += a[i] * b[j];
    return k;
}
json compose_right(const json& s) { return polynomial_product(s["exercise"]["kernel1"], s["exercise"]["kernel2"]); }
std::vector<Expected> compose_mistakes(const json& s) {
    std::vector<float> a = s["exercise"]["kernel1"], b = s["exercise"]["kernel2"];
    const std::vector<float> right = polynomial_product(a, b);
    std::vector<float> longer = right, shorter(right.begin(), right.end() - 1), ra = a, rb = b;
    longer.push_back(0);
    std::reverse(ra.begin(), ra.end());
    std::reverse(rb.begin(), rb.end());
    return {{"one-kernel-reversed", polynomial_product(a, rb)}, {"one-kernel-reversed", polynomial_product(ra, b)},
            {"one-tap-too-many", longer}, {"too-few-taps", shorter}};
}

// ---- Adversarial: one FGSM step, x + eps·sign(g) clipped to [0, 1], and its four mistakes.
json fgsm_step(const json& s, float direction, bool use_sign, bool clip, bool zero_moves) {
    const std::vector<float> x = s["exercise"]["pixels"], g = s["exercise"]["gradient"];
    const float eps = s["exercise"]["epsilon"];
    json out = json::array();
    for (size_t i = 0; i < x.size(); i++) {
        const float sign = g[i] > 0 ? 1.0f : g[i] < 0 ? -1.0f : zero_moves ? 1.0f : 0.0f;
        float v = x[i] + direction * eps * (use_sign ? sign : g[i]);
        if (clip) v = std::clamp(v, 0.0f, 1.0f);
        out.push_back(std::round(v * 1000.0f) / 1000.0f);
    }
    return out;
}
json fgsm_right(const json& s) { return fgsm_step(s, 1, true, true, false); }
std::vector<Expected> fgsm_mistakes(const json& s) {
    return {{"gradient-not-sign", fgsm_step(s, 1, false, true, false)}, {"wrong-direction", fgsm_step(s, -1, true, true, false)},
            {"clip-forgotten", fgsm_step(s, 1, true, false, false)}, {"zero-gradient-moved", fgsm_step(s, 1, true, true, true)}};
}

// ---- Grad-CAM: alpha_k = mean of G_k; cell = ReLU(alpha0·A0 + alpha1·A1).
json cam_rule(const json& s, bool mean, bool relu, bool swap, bool from_activations) {
    const std::vector<std::vector<float>> A = s["exercise"]["activations"], G = s["exercise"]["gradients"];
    const int cell = s["exercise"]["cell"][0].get<int>() * 2 + s["exercise"]["cell"][1].get<int>();
    float alpha[2];
    for (int k = 0; k < 2; k++) {
        float sum = 0;
        for (float v : from_activations ? A[size_t(k)] : G[size_t(k)]) sum += v;
        alpha[k] = mean ? sum / 4 : sum;
    }
    float v = alpha[0] * A[swap ? 1 : 0][size_t(cell)] + alpha[1] * A[swap ? 0 : 1][size_t(cell)];
    if (relu) v = std::max(v, 0.0f);
    return json::array({alpha[0], alpha[1], v});
}
json cam_right(const json& s) { return cam_rule(s, true, true, false, false); }
std::vector<Expected> cam_mistakes(const json& s) {
    return {{"sum-not-mean", cam_rule(s, false, true, false, false)}, {"relu-forgotten", cam_rule(s, true, false, false, false)},
            {"activations-averaged", cam_rule(s, true, true, false, true)}, {"weights-swapped", cam_rule(s, true, true, true, false)}};
}

// ---- Transfer: the parameters of the layers after the frozen ones.
int64_t params_of(const json& L, bool bias) {
    const int64_t k = L["kind"] == "conv" ? L["kernel"].get<int64_t>() : 1;
    return L["out"].get<int64_t>() * L["in"].get<int64_t>() * k * k + (bias ? L["out"].get<int64_t>() : 0);
}
json params_between(const json& s, int first, int last, bool bias) {
    int64_t n = 0;
    for (int i = first; i < last; i++) n += params_of(s["exercise"]["layers"][size_t(i)], bias);
    return n;
}
json freeze_right(const json& s) { return params_between(s, s["exercise"]["frozen"], 4, true); }
std::vector<Expected> freeze_mistakes(const json& s) {
    const int f = s["exercise"]["frozen"];
    std::vector<Expected> out = {{"frozen-counted", params_between(s, 0, 4, true)}, {"bias-forgotten", params_between(s, f, 4, false)},
                                 {"frozen-only", params_between(s, 0, f, true)}, {"one-layer-off", params_between(s, f + 1, 4, true)}};
    if (f > 0) out.push_back({"one-layer-off", params_between(s, f - 1, 4, true)});
    return out;
}

// ---- Normalization: y = (x - mean) / sqrt(var + eps) * gamma + beta; the axes each norm averages
// over; how many means it makes.
std::vector<std::string> norm_axes(const std::string& norm) {
    if (norm == "batch") return {"N", "H", "W"};
    if (norm == "layer") return {"C", "H", "W"};
    return {"H", "W"};
}
json normalization_right(const json& s) {
    const json& x = s["exercise"];
    if (x["kind"] == "normalize")
        return (x["value"].get<double>() - x["mean"].get<double>()) / std::sqrt(x["variance"].get<double>() + x["eps"].get<double>()) *
                   x["gamma"].get<double>() + x["beta"].get<double>();
    if (x["kind"] == "axes") return norm_axes(x["norm"]);
    const int64_t N = x["shape"][0], C = x["shape"][1];
    const std::string norm = x["norm"];
    return norm == "batch" ? C : norm == "layer" ? N : norm == "instance" ? N * C : N * x["groups"].get<int64_t>();
}
std::vector<Expected> normalization_mistakes(const json& s) {
    const json& x = s["exercise"];
    if (x["kind"] == "normalize") {
        const double v = x["value"], m = x["mean"], var = x["variance"], eps = x["eps"], g = x["gamma"], b = x["beta"], sd = std::sqrt(var + eps);
        return {{"variance-not-rooted", (v - m) / (var + eps) * g + b}, {"gamma-beta-left-out", (v - m) / sd},
                {"shift-before-scale", ((v - m) / sd + b) * g}, {"mean-not-subtracted", v / sd * g + b}};
    }
    if (x["kind"] == "axes") {
        std::vector<Expected> list;
        for (const char* other : {"batch", "layer", "instance"})
            if (x["norm"] != other) list.push_back({std::string("axes-of-") + other + "-norm", norm_axes(other)});
        return list;
    }
    const int64_t N = x["shape"][0], C = x["shape"][1];
    std::vector<Expected> list = {{"per-channel-count", C}, {"per-sample-count", N}, {"per-plane-count", N * C}};
    if (x["norm"] == "group") list.push_back({"groups-without-samples", x["groups"].get<int64_t>()});
    return list;
}

// ---- Skip connections: channels k0 + l·g; a block's parameters; y = ReLU(w2·ReLU(w1·x) + x).
int64_t conv_params(int64_t c_in, int64_t c_out, int64_t k) { return c_out * c_in * k * k + c_out; }
json residual_right(const json& s) {
    const json& x = s["exercise"];
    if (x["kind"] == "dense") return x["k0"].get<int64_t>() + x["layers"].get<int64_t>() * x["growth"].get<int64_t>();
    if (x["kind"] == "params") {
        const int64_t ci = x["in_channels"], co = x["out_channels"];
        return conv_params(ci, co, 3) + conv_params(co, co, 3) + (x["projection"].get<bool>() ? conv_params(ci, co, 1) : 0);
    }
    const int v = x["x"], w1 = x["w1"], w2 = x["w2"];
    return std::max(0, w2 * std::max(0, w1 * v) + v);
}
std::vector<Expected> residual_mistakes(const json& s) {
    const json& x = s["exercise"];
    if (x["kind"] == "dense") {
        const int64_t k0 = x["k0"], g = x["growth"], l = x["layers"];
        return {{"initial-channels-forgotten", l * g}, {"one-layer-off", k0 + (l - 1) * g}, {"one-layer-off", k0 + (l + 1) * g},
                {"growth-added-once", k0 + g}};
    }
    if (x["kind"] == "params") {
        const int64_t ci = x["in_channels"], co = x["out_channels"], right = residual_right(s).get<int64_t>();
        const bool projection = x["projection"];
        const int64_t skip = projection ? conv_params(ci, co, 1) : 0;
        std::vector<Expected> list = {{"one-conv-only", conv_params(ci, co, 3) + skip},
                                      {"bias-forgotten", ci * co * 9 + co * co * 9 + (projection ? ci * co : 0)}};
        if (projection) list.push_back({"projection-forgotten", right - skip});
        else list.push_back({"identity-counted", right + ci * co});
        return list;
    }
    const int v = x["x"], w1 = x["w1"], w2 = x["w2"], h = std::max(0, w1 * v);
    return {{"skip-left-out", std::max(0, w2 * h)}, {"inner-relu-left-out", std::max(0, w2 * w1 * v + v)}, {"outer-relu-left-out", w2 * h + v}};
}

// ---- Convolving lists (fft): the product's coefficients c_k = sum over i + j = k of a_i b_j, or an
// output's length (full n + m - 1, valid n - m + 1).
std::vector<double> list_convolution(const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> c(a.size() + b.size() - 1, 0.0);
    for (size_t i = 0; i < a.size(); i++)
        for (size_t j = 0; j < b.size(); j++) c[i + j] += a[i] * b[j];
    return c;
}
json fft_right(const json& s) {
    const json& x = s["exercise"];
    if (x["kind"] == "length") return x["mode"] == "valid" ? x["n"].get<int>() - x["m"].get<int>() + 1 : x["n"].get<int>() + x["m"].get<int>() - 1;
    return list_convolution(x["a"].get<std::vector<double>>(), x["b"].get<std::vector<double>>());
}
std::vector<Expected> fft_mistakes(const json& s) {
    const json& x = s["exercise"];
    if (x["kind"] == "length") {
        const int n = x["n"], m = x["m"];
        const bool valid = x["mode"] == "valid";
        return {{"forgot-minus-one", valid ? n - m : n + m},
                {"lengths-multiplied", n * m},
                {valid ? "full-instead-of-valid" : "valid-instead-of-full", valid ? n + m - 1 : n - m + 1}};
    }
    const std::vector<double> a = x["a"].get<std::vector<double>>(), b = x["b"].get<std::vector<double>>();
    std::vector<double> matching(a.size() + b.size() - 1, 0.0), reversed(b.rbegin(), b.rend()), right = list_convolution(a, b);
    for (size_t k = 0; k < std::min(a.size(), b.size()); k++) matching[k] = a[k] * b[k];  // like powers only
    return {{"matching-powers-only", matching},
            {"second-list-reversed", list_convolution(a, reversed)},
            {"product-length", std::vector<double>(right.begin(), right.end() - 1)}};  // the last coefficient left out
}

// ---- A layer of a real network (architectures): output side floor((H + 2p - k) / s) + 1 with one
// channel per filter; parameters filters x (C / groups) x k x k, plus a bias per filter if it has them.
json layer_right(const json& s) {
    const json& x = s["exercise"];
    const std::vector<int> in = x["in_shape"];
    const int OC = x["out"];
    const int64_t bias = x["bias"].get<bool>() ? OC : 0;
    if (x["kind"] == "linear") return {{"shape", {OC}}, {"params", int64_t(in[0]) * OC + bias}};
    const int k = x["kernel"], st = x["stride"], p = x["padding"], G = x["groups"];
    const int side = (in[1] + 2 * p - k) / st + 1;
    return {{"shape", {OC, side, side}}, {"params", int64_t(OC) * (in[0] / G) * k * k + bias}};
}
std::vector<Expected> layer_mistakes(const json& s) {
    const json& x = s["exercise"];
    const json right = layer_right(s);
    const std::vector<int> in = x["in_shape"];
    const int OC = x["out"];
    const bool has_bias = x["bias"];
    const int64_t params = right["params"], bias = has_bias ? OC : 0;
    auto with_params = [&](int64_t n) { return json{{"shape", right["shape"]}, {"params", n}}; };
    auto with_side = [&](int c, int side) { return json{{"shape", {c, side, side}}, {"params", params}}; };
    std::vector<Expected> list = {{has_bias ? "bias-forgotten" : "bias-counted", with_params(has_bias ? params - OC : params + OC)}};
    if (x["kind"] == "linear") return list;
    const int k = x["kernel"], st = x["stride"], p = x["padding"], G = x["groups"], C = in[0], H = in[1];
    const int span = H + 2 * p - k, side = span / st + 1;
    list.push_back({"input-channels-forgotten", with_params(int64_t(OC) * k * k + bias)});  // one channel per filter
    list.push_back({"groups-ignored", G > 1 ? with_params(int64_t(OC) * C * k * k + bias) : json(nullptr)});  // every channel seen
    list.push_back({"padding-ignored", p > 0 ? with_side(OC, (H - k) / st + 1) : json(nullptr)});
    list.push_back({"stride-ignored", st > 1 ? with_side(OC, span + 1) : json(nullptr)});
    list.push_back({"rounded-up", span % st ? with_side(OC, side + 1) : json(nullptr)});
    list.push_back({"input-channels-kept", C != OC ? with_side(C, side) : json(nullptr)});
    return list;
}

void fresh_lab(const char* lab) {
    g_events.clear();
    app_platform().post_event = record_event;
    command({{"lab", lab}, {"reset", true}});
}

}  // namespace

TEST_CASE("hand-conv lab: a wrong sum names the mistake that gives it") {
    fresh_lab("hand-conv");
    check_lab_mistakes({"hand-conv", {"kernel-flipped", "bias-left-out", "product-left-out", "neighbouring-window"}, hand_right,
                        hand_mistakes, hand_answer},
                       60);
}

TEST_CASE("hand-conv lab: the view points at the product left out and at the neighbour whose window was used") {
    fresh_lab("hand-conv");
    command({{"mode", "exercise"}});  // the white square under Sobel x
    // output [0, 0]: row 1 of the window 0*-2 + 1*0 + 1*2 = 2, row 2 0*-1 + 1*0 + 1*1 = 1, row 0 all zeros: 3
    json s = command({{"answer", {{"position", {0, 0}}, {"value", 1}}}});  // 3 without 1*2 at weight [1, 2]
    CHECK(s["last_answer"]["mistake"]["id"] == "product-left-out");
    CHECK(s["last_answer"]["points_at"] == json::parse(R"({"tap": [1, 2]})"));
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("1 × 2 = 2 (weight [1, 2] on input [1, 2])") != std::string::npos);
    s = command({{"answer", {{"position", {0, 0}}, {"value", 4}}}});  // output [1, 0]: 0*-1 + 1*0 + 1*1 + 0*-2 + 1*0 + 1*2 + 0*-1 + 1*0 + 1*1 = 4
    CHECK(s["last_answer"]["mistake"]["id"] == "neighbouring-window");
    CHECK(s["last_answer"]["points_at"] == json::parse(R"({"cell": [1, 0]})"));
    s = command({{"answer", {{"position", {0, 0}}, {"value", -3}}}});  // the kernel turned: each row's 1*-w instead of 1*w
    CHECK(s["last_answer"]["mistake"]["id"] == "kernel-flipped");
    CHECK(s["last_answer"]["points_at"].is_null());
    ImGuiForTest imgui;
    draw_app_frames(2);  // the marks drawn
}

TEST_CASE("channels lab: a wrong count or shape names the mistake that gives it") {
    fresh_lab("channels");
    check_lab_mistakes({"channels",
                        {"bias-forgotten", "bias-counted", "input-channels-forgotten", "no-weight-sharing", "axes-swapped", "padding-ignored",
                         "stride-ignored"},
                        channels_right, channels_mistakes, plain_answer},
                       80);
}

TEST_CASE("pooling lab: a wrong pooled grid names the mistake that gives it") {
    fresh_lab("pooling");
    check_lab_mistakes({"pooling", {"average-instead-of-max", "max-instead-of-average", "sum-not-divided", "divided-by-side", "stride-as-window"},
                        pooling_right, pooling_mistakes, plain_answer},
                       120);
    // one cell answered alone: the mistake's value in that cell
    command({{"new_exercise", true}, {"seed", 3}});
    const json s = api_state();
    const json avg = pooling_mistakes(s)[0].answer;
    if (s["exercise"]["kind"] == "max" && !same(avg[0][0], pooling_right(s)[0][0])) {
        const json reply = command({{"answer", {{"position", {0, 0}}, {"value", avg[0][0]}}}});
        CHECK(reply["last_answer"]["mistake"]["id"] == "average-instead-of-max");
    }
}

TEST_CASE("matrix lab: a wrong row of C names the mistake that gives it") {
    fresh_lab("matrix");
    check_lab_mistakes({"matrix", {"kernel-flipped", "kernel-column-major", "row-shifted", "stride-ignored"}, matrix_right, matrix_mistakes,
                        plain_answer},
                       80);
}

TEST_CASE("receptive-field lab: a wrong field names the mistake that gives it") {
    g_events.clear();
    app_platform().post_event = record_event;
    command({{"lab", "receptive-field"}, {"reset", true}, {"net", "stack"}});
    check_lab_mistakes({"receptive-field", {"kernels-multiplied", "kernels-added", "jump-ignored", "dilation-ignored"}, rf_right, rf_mistakes,
                        plain_answer},
                       80);
}

TEST_CASE("backprop lab: a wrong gradient names the mistake that gives it") {
    fresh_lab("backprop");
    check_lab_mistakes({"backprop", {"upstream-left-out", "upstream-sign", "wrong-cells", "kernel-not-flipped"}, backprop_right,
                        backprop_mistakes, plain_answer},
                       80);
}

TEST_CASE("nonlinearity lab: a wrong composed kernel names the mistake that gives it") {
    fresh_lab("nonlinearity");
    check_lab_mistakes({"nonlinearity", {"one-kernel-reversed", "one-tap-too-many", "too-few-taps"}, compose_right, compose_mistakes,
                        plain_answer},
                       40);
}

TEST_CASE("normalization lab: a wrong normalized value, axes or count names the mistake that gives it") {
    fresh_lab("normalization");
    check_lab_mistakes({"normalization",
                        {"variance-not-rooted", "gamma-beta-left-out", "shift-before-scale", "mean-not-subtracted", "axes-of-batch-norm",
                         "axes-of-layer-norm", "axes-of-instance-norm", "per-channel-count", "per-sample-count", "per-plane-count",
                         "groups-without-samples"},
                        normalization_right, normalization_mistakes, plain_answer},
                       150);
}

TEST_CASE("residual lab: a wrong channel count, parameter count or block output names the mistake that gives it") {
    fresh_lab("residual");
    check_lab_mistakes({"residual",
                        {"initial-channels-forgotten", "one-layer-off", "growth-added-once", "one-conv-only", "bias-forgotten",
                         "projection-forgotten", "identity-counted", "skip-left-out", "inner-relu-left-out", "outer-relu-left-out"},
                        residual_right, residual_mistakes, plain_answer},
                       120);
}

TEST_CASE("transfer lab: a wrong count of trained parameters names the mistake that gives it") {
    fresh_lab("transfer");
    check_lab_mistakes({"transfer", {"frozen-counted", "bias-forgotten", "frozen-only", "one-layer-off"}, freeze_right, freeze_mistakes,
                        plain_answer},
                       40);
}

TEST_CASE("adversarial lab: a wrong FGSM step names the mistake that gives it") {
    fresh_lab("adversarial");
    check_lab_mistakes({"adversarial", {"gradient-not-sign", "wrong-direction", "clip-forgotten", "zero-gradient-moved"}, fgsm_right,
                        fgsm_mistakes, plain_answer},
                       40);
}

TEST_CASE("fft lab: a wrong product or length names the mistake that gives it") {
    fresh_lab("fft");
    check_lab_mistakes({"fft",
                        {"matching-powers-only", "second-list-reversed", "product-length", "forgot-minus-one", "lengths-multiplied",
                         "full-instead-of-valid", "valid-instead-of-full"},
                        fft_right, fft_mistakes, plain_answer},
                       80);
}

TEST_CASE("architectures lab: a wrong output shape or parameter count names the mistake that gives it") {
    fresh_lab("architectures");
    check_lab_mistakes({"architectures",
                        {"bias-forgotten", "bias-counted", "input-channels-forgotten", "groups-ignored", "padding-ignored", "stride-ignored",
                         "rounded-up", "input-channels-kept"},
                        layer_right, layer_mistakes, plain_answer},
                       150);
}

TEST_CASE("explain lab: a wrong Grad-CAM weight or cell names the mistake that gives it") {
    fresh_lab("explain");
    check_lab_mistakes({"explain", {"sum-not-mean", "relu-forgotten", "activations-averaged", "weights-swapped"}, cam_right, cam_mistakes,
                        plain_answer},
                       60);
}

TEST_CASE("hints: a ladder of three per exercise, counted in the answer, in every lab with exercises") {
    for (const char* lab : {"hand-conv", "arithmetic", "matrix", "fft", "channels", "pooling", "nonlinearity", "receptive-field", "backprop",
                            "normalization", "residual", "architectures", "transfer", "adversarial", "explain"}) {
        INFO(lab);
        fresh_lab(lab);
        if (std::string(lab) == "receptive-field") command({{"net", "stack"}});
        json s = command({{"new_exercise", true}, {"seed", 5}});
        CHECK(s["hints"] == json::array());
        CHECK(s["hints_used"] == 0);
        g_events.clear();
        for (int i = 1; i <= 3; i++) {
            s = command({{"hint", true}});
            REQUIRE(s["hints"].size() == size_t(i));
            CHECK(s["hints"][i - 1].get<std::string>().size() > 20);
        }
        CHECK(std::count(g_events.begin(), g_events.end(), "hint") == 3);
        s = command({{"hint", true}});  // past the last rung: nothing more
        CHECK(s["hints_used"] == 3);
        CHECK(std::count(g_events.begin(), g_events.end(), "hint") == 3);
        CHECK(s["hints"][0] != s["hints"][1]);
        CHECK(s["hints"][1] != s["hints"][2]);
        s = command({{"new_exercise", true}, {"seed", 6}});  // a new exercise starts its own ladder
        CHECK(s["hints_used"] == 0);
        command({{"reset", true}});
    }
    // no exercise open: a clear message, nothing changed
    fresh_lab("arithmetic");
    refused({{"hint", true}}, "there is no exercise to give a hint for");
    refused({{"hint", 3}}, "\"hint\" must be");
}

TEST_CASE("arithmetic hints are the rule, the first step and all but the last, in the exercise's numbers") {
    fresh_lab("arithmetic");
    // a convolution set up by the seed; its numbers read back from the state
    json s;
    for (int seed = 1;; seed++) {
        s = command({{"new_exercise", true}, {"seed", seed}});
        if (s["exercise"]["kind"] == "convolution" && s["exercise"]["padding"].is_number()) break;
    }
    const json& x = s["exercise"];
    const int I = x["input"][1], k = x["kernel"], st = x["stride"], p = x["padding"], d = x["dilation"];
    const int span = d * (k - 1) + 1;  // e.g. d = 2, k = 3: 2*2 + 1 = 5 cells
    s = command({{"hint", true}});
    CHECK(s["hints"][0].get<std::string>().find("floor((I + 2p - d(k-1) - 1)/s) + 1") != std::string::npos);
    s = command({{"hint", true}});
    CHECK(s["hints"][1].get<std::string>().find("d(k-1) + 1 = " + std::to_string(span) + " cells") != std::string::npos);
    s = command({{"hint", true}});
    const int before_plus_one = (I + 2 * p - span) / st;  // floor, as the numbers here are not negative
    CHECK(s["hints"][2].get<std::string>().find(std::to_string(before_plus_one) + ". One step is left") != std::string::npos);
}

static std::vector<json> g_progress_events;
static void record_progress(const std::string& event, const json& state) {
    g_events.push_back(event);
    if (event == "progress") g_progress_events.push_back(state["concept"]);
    if (event == "answer") g_progress_events.push_back(state["answer"]);
}

static json concept_of(const std::string& id) {
    const json concepts = api_command({{"progress", true}})["progress"]["concepts"];
    for (const json& c : concepts)
        if (c["id"] == id) return c;
    return nullptr;
}

TEST_CASE("mastery: three right in a row without a hint; a wrong answer goes back to practising; hinted answers do not count") {
    fresh_lab("receptive-field");
    command({{"net", "stack"}, {"progress", "reset"}});
    g_progress_events.clear();
    app_platform().post_event = record_progress;
    CHECK(concept_of("receptive-field") == json::parse(R"({"id": "receptive-field", "lab": "receptive-field", "title": "Receptive field",
        "state": "new", "right_in_a_row": 0, "answered": 0, "correct": 0, "mistakes": {}})"));
    auto answer = [](int seed, bool right, bool hint) {
        json s = command({{"new_exercise", true}, {"seed", seed}});
        if (hint) command({{"hint", true}});
        const json value = field(s["exercise"]["layers"], true, true) + (right ? 0 : 1000);
        return command({{"answer", value}});
    };
    answer(1, true, false);
    CHECK(concept_of("receptive-field")["state"] == "practising");
    CHECK(concept_of("receptive-field")["right_in_a_row"] == 1);
    answer(2, true, true);  // right after a hint: breaks the row
    CHECK(concept_of("receptive-field")["right_in_a_row"] == 0);
    CHECK(concept_of("receptive-field")["state"] == "practising");
    answer(3, true, false);
    answer(4, true, false);
    CHECK(concept_of("receptive-field")["state"] == "practising");
    json s = answer(5, true, false);
    json c = concept_of("receptive-field");
    CHECK(c["state"] == "mastered");
    CHECK(c["right_in_a_row"] == 3);
    CHECK(c["answered"] == 5);
    CHECK(c["correct"] == 5);
    // the events: answer (carrying the concept), and progress when the state changed: new -> practising, -> mastered
    std::vector<std::string> progress_changes;
    for (const json& e : g_progress_events)
        if (e.contains("state")) progress_changes.push_back(e["state"]);
    CHECK(progress_changes == std::vector<std::string>{"practising", "mastered"});
    CHECK(g_progress_events.back()["state"] == "mastered");
    // a wrong answer: back to practising, its mistake counted
    s = answer(6, false, false);
    c = concept_of("receptive-field");
    CHECK(c["state"] == "practising");
    CHECK(c["right_in_a_row"] == 0);
    CHECK(c["mistakes"]["other"] == 1);
    const json& last_answer_event = g_progress_events[g_progress_events.size() - 2];
    CHECK(last_answer_event["mistake"] == "other");
    CHECK(last_answer_event["hints_used"] == 0);
    CHECK(last_answer_event["concept"]["state"] == "practising");
    // every lab with exercises has a concept, in lab-list order
    std::vector<std::string> ids;
    const json concepts = api_command({{"progress", true}})["progress"]["concepts"];
    for (const json& one : concepts) ids.push_back(one["id"]);
    CHECK(ids == std::vector<std::string>{"convolution-by-hand", "output-size", "convolution-as-matrix", "list-convolution", "parameter-count", "pooling",
                                          "linear-composition", "receptive-field", "gradient-of-convolution", "normalization", "skip-connections", "layer-in-a-network", "frozen-parameters", "adversarial-step", "grad-cam"});
    command({{"progress", "reset"}});
    CHECK(concept_of("receptive-field")["state"] == "new");
    app_platform().post_event = nullptr;
    command({{"reset", true}});
}

// Presses a key for two frames (ImGui 1.86 reads keys as held at each frame's start).
static void press_key(int key) {
    ImGuiIO& io = ImGui::GetIO();
    io.KeysDown[key] = true;
    draw_app_frames(2);
    io.KeysDown[key] = false;
    draw_app_frames(2);
}

TEST_CASE("the progress view works by keyboard alone: arrows and Space to 'Your progress', to a Practise button and back to a lab") {
    ImGuiForTest imgui;
    ImGuiIO& io = ImGui::GetIO();
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;  // as web/main.cpp sets it
    const int up = 1, down = 2, left = 3, right = 4, space = 5, escape = 6;  // key indices of this test's keyboard
    io.KeyMap[ImGuiKey_UpArrow] = up;
    io.KeyMap[ImGuiKey_DownArrow] = down;
    io.KeyMap[ImGuiKey_LeftArrow] = left;
    io.KeyMap[ImGuiKey_RightArrow] = right;
    io.KeyMap[ImGuiKey_Space] = space;
    io.KeyMap[ImGuiKey_Escape] = escape;
    command({{"lab", "channels"}, {"reset", true}});
    draw_app_frames(2);
    auto progress_view_open = [] { return ui_anchors().contains("progress/open/hand-conv"); };
    // Down: the lab list (the window's first part); Space: into it, on its first item, "Your progress"
    // (no "Copy link" here, without a platform); Space: open it.
    for (int k : {down, space}) press_key(k);
    CHECK_FALSE(progress_view_open());
    press_key(space);
    CHECK(progress_view_open());
    // Escape: out of the list; Right: the view beside it; Space: into it, on the table's header; Down: the
    // first row's Practise button; Space: press it.
    for (int k : {escape, right, space, down, space}) press_key(k);
    CHECK_FALSE(progress_view_open());
    CHECK(api_state()["lab"] == "hand-conv");  // the first concept's lab
    command({{"reset", true}});
}
