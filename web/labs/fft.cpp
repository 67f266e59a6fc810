// fft.cpp — Lab "Convolution and the FFT" (convolving lists: polynomials, dice, and the Fourier route).
//
// Convolution is older than CNNs. Convolve two lists and you get a third: multiply two polynomials
// and the coefficients of the product are the coefficient lists convolved; roll two dice and the
// distribution of their sum is the two distributions convolved; average a signal over a sliding
// window and you have convolved it with a short list of equal weights. Every product of the direct
// sum is shown, as in the hand lab. Then the same numbers come out of the Fourier domain: transform
// both lists, multiply value by value, transform back. Which route is cheaper depends on the
// lengths: the lab counts and times both, in 1D and on a photo blurred in 2D.
//
// The arithmetic is the engine's (engine/fft.h): convolve_direct / convolve_fft, correlate_*,
// convolve2d_*, fft and the counts of multiplications. This file decides what to show.
//
// API (window.cnnlab.command / state), besides {"lab": "fft"}:
//   "example"     "polynomials", "dice", "moving-average": sets both lists; "own" after editing them
//   "a", "b"      the two lists (1 to 12 numbers each, |value| <= 1000); editing one makes the example "own"
//   "operation"   "convolution" (full: n + m - 1 values, the polynomial product) or "correlation"
//                 (valid: n - m + 1 values, what a CNN layer computes; needs m <= n)
//   "position"    the output value whose products are shown (0-based)
//   "blur"        the 2D part's Gaussian kernel: 3..31 pixels a side, odd
//   "photo"       one of the shipped photos (the 2D part blurs it)
//   "time_cost"   true: time both routes for lengths 1 to 4096 (in "timings")
//   "new_exercise" true (or with "seed"), "answer" (a list of coefficients, or a length), "hint", "reset"
// State adds: "length", "formula" (the length's sum), "direct", "fourier" (the output both ways),
// "fourier_length" L, "spectrum" {"a", "b", "product"} ([re, im] pairs), "rounding" (largest
// |fourier - direct|), "products" (of the output at "position": [[i, j, a_i, b_j], ...]), "cost"
// ([{n, direct, fft}] multiplications for two lists of n), "crossover" (the first n there where the
// FFT needs fewer), "blur_cost" {"side", "direct", "fft", "direct_3x3", "fft_3x3"}, "blur_difference",
// "timings" (measured in this browser: {"cost": [{n, direct_us, fft_us}], "blur_direct_ms",
// "blur_fft_ms"}), "photo_loaded", "loading", and the exercise record (lab_kit.h: ExerciseRecord).
#include <algorithm>
#include <chrono>
#include <cmath>

#include <imgui.h>

#include "../../engine/fft.h"
#include "../../engine/random.h"
#include "../app.h"
#include "../lab_kit.h"
#include "../widgets.h"

namespace {

constexpr int kMaxList = 12;           // values in each list
constexpr float kValueLimit = 1000;    // largest |value| in a list
constexpr int kPhotoSide = 128;        // the 2D part blurs a 128 x 128 grey photo
constexpr int kMaxBlur = 31;           // the Gaussian kernel's side
constexpr int kCostLengths[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};

// ---------------------------------------------------------------------------------------------
// The state: one plain struct.

enum class Example { polynomials, dice, moving_average, own };
constexpr Choice<Example> kExamples[] = {
    {Example::polynomials, "polynomials"}, {Example::dice, "dice"}, {Example::moving_average, "moving-average"}, {Example::own, "own"}};
enum class Operation { convolution, correlation };
constexpr Choice<Operation> kOperations[] = {{Operation::convolution, "convolution"}, {Operation::correlation, "correlation"}};

struct FftSettings {
    Example example = Example::polynomials;
    Rows a = {{1, 2}};     // (1, n): the first list (1 + 2x)
    Rows b = {{3, 1, 1}};  // (1, m): the second list (3 + x + x^2)
    Operation operation = Operation::convolution;
    int blur = 15;                 // the Gaussian's side in the 2D part (odd)
    std::string photo = "chelsea";
    bool operator==(const FftSettings&) const = default;
};

// The lists of an example.
void set_example(FftSettings& s, Example e) {
    s.example = e;
    if (e == Example::polynomials) {
        s.a = {{1, 2}};
        s.b = {{3, 1, 1}};
    } else if (e == Example::dice) {  // a fair die: faces 1..6, each 1/6
        s.a = {std::vector<float>(6, 1.0f / 6)};
        s.b = s.a;
    } else if (e == Example::moving_average) {  // a noisy rise, averaged over 3 neighbours
        s.a = {{2, 1, 3, 2, 4, 3, 6, 4, 7, 6, 8, 7}};
        s.b = {{1.0f / 3, 1.0f / 3, 1.0f / 3}};
    }
}

// What the settings give, from the engine.
struct Lists {
    std::vector<double> a, b;            // (n), (m)
    std::vector<double> direct, fourier; // (length) the output both ways
    std::vector<Complex> A, B, product;  // (L) the spectra and their product (A conj(B) for correlation)
    int L = 0;                           // the transforms' length
    double rounding = 0;                 // largest |fourier - direct|
    std::string message;                 // why there is no output ("" when there is)
};

struct Blur {
    std::vector<float> photo;          // (S, S) grey 0..1
    std::vector<float> kernel;         // (k, k) a Gaussian, sums to 1
    std::vector<float> direct, fourier;  // (S, S) the photo blurred both ways
    double difference = 0;             // largest |fourier - direct|
    double direct_ms = NAN, fourier_ms = NAN;
    int computed_for = 0;              // the kernel side they were computed for (0: not yet)
    std::string photo_name;            // the photo they were computed from ("" = the built-in picture)
};

struct CostTiming {
    int n = 0;
    double direct_us = 0, fft_us = 0;  // one convolution of two lists of n, microseconds
};

struct FftLab {
    FftSettings settings;
    Lists lists;                      // from settings.a, settings.b and the operation (recompute)
    FftSettings computed_for;
    bool computed = false;
    int position = 0;                 // the output value whose products are shown
    std::vector<CostTiming> timings;  // measured by "time_cost" (empty until then)
    Blur blur;
    std::string photo_loaded;         // the photo the 2D part uses ("" = a built-in picture)
    std::vector<float> photo_grey;    // (S, S) that photo in grey
    std::string note;                 // why the photo is not shown, ...
    // The exercise: {"kind": "product", "a", "b"} (the coefficients of the product) or
    // {"kind": "length", "n", "m", "mode": "full" | "valid"} (the output's length).
    ExerciseRecord record;
    Pending pending;
    // UI only
    char typed_a[128] = "", typed_b[128] = "", typed_answer[128] = "";
};

std::vector<double> as_doubles(const Rows& rows) {
    return rows.empty() ? std::vector<double>() : std::vector<double>(rows[0].begin(), rows[0].end());
}

Lists compute_lists(const FftSettings& s) {
    Lists r;
    r.a = as_doubles(s.a);
    r.b = as_doubles(s.b);
    const int n = int(r.a.size()), m = int(r.b.size());
    if (n == 0 || m == 0) {
        r.message = "each list needs at least one number";
        return r;
    }
    const bool correlation = s.operation == Operation::correlation;
    if (correlation && m > n) {
        r.message = "the second list (" + std::to_string(m) + " values) is longer than the first (" + std::to_string(n) +
                    "): it does not fit inside it anywhere, so a valid cross-correlation has no output";
        return r;
    }
    const int length = correlation ? n - m + 1 : n + m - 1;
    r.direct.assign(size_t(length), 0);
    r.fourier.assign(size_t(length), 0);
    if (correlation) {
        correlate_direct(r.direct.data(), r.a.data(), n, r.b.data(), m);
        correlate_fft(r.fourier.data(), r.a.data(), n, r.b.data(), m);
    } else {
        convolve_direct(r.direct.data(), r.a.data(), n, r.b.data(), m);
        convolve_fft(r.fourier.data(), r.a.data(), n, r.b.data(), m);
    }
    // the spectra the Fourier route multiplied, for the table
    r.L = convolve_fft_length(n, m);
    r.A.assign(size_t(r.L), 0);
    r.B.assign(size_t(r.L), 0);
    for (int i = 0; i < n; i++) r.A[size_t(i)] = r.a[size_t(i)];
    for (int i = 0; i < m; i++) r.B[size_t(i)] = r.b[size_t(i)];
    fft(r.A.data(), r.L, false);
    fft(r.B.data(), r.L, false);
    r.product.resize(size_t(r.L));
    for (int k = 0; k < r.L; k++) r.product[size_t(k)] = r.A[size_t(k)] * (correlation ? std::conj(r.B[size_t(k)]) : r.B[size_t(k)]);
    for (int i = 0; i < length; i++) r.rounding = std::max(r.rounding, std::fabs(r.fourier[size_t(i)] - r.direct[size_t(i)]));
    return r;
}

void recompute(FftLab& lab) {
    if (lab.computed && lab.settings == lab.computed_for) return;
    lab.lists = compute_lists(lab.settings);
    lab.computed_for = lab.settings;
    lab.computed = true;
    lab.position = std::clamp(lab.position, 0, std::max(int(lab.lists.direct.size()) - 1, 0));
}

// The products that make output value i: [i_a, i_b] pairs, a's index first.
std::vector<std::pair<int, int>> products_of(const FftLab& lab, int i) {
    std::vector<std::pair<int, int>> list;
    const int n = int(lab.lists.a.size()), m = int(lab.lists.b.size());
    if (!lab.lists.message.empty() || i < 0 || i >= int(lab.lists.direct.size())) return list;
    if (lab.settings.operation == Operation::correlation) {
        for (int j = 0; j < m; j++) list.push_back({i + j, j});  // b slides along a, unflipped
    } else {
        for (int j = std::max(0, i - m + 1); j <= std::min(i, n - 1); j++) list.push_back({j, i - j});  // powers adding to i
    }
    return list;
}

// "n + m - 1 = 2 + 3 - 1 = 4" (or the valid one).
std::string length_formula(int n, int m, bool valid) {
    return valid ? "n - m + 1 = " + std::to_string(n) + " - " + std::to_string(m) + " + 1 = " + std::to_string(n - m + 1)
                 : "n + m - 1 = " + std::to_string(n) + " + " + std::to_string(m) + " - 1 = " + std::to_string(n + m - 1);
}

// A polynomial from its coefficients: "1 + 2x + x^2".
std::string polynomial_text(const std::vector<double>& c) {
    std::string text;
    for (size_t k = 0; k < c.size(); k++) {
        const float v = float(c[k]);
        if (v == 0 && c.size() > 1) continue;
        const std::string power = k == 0 ? "" : k == 1 ? "x" : "x^" + std::to_string(k);
        std::string number = format_number(std::fabs(v));
        if (k > 0 && number == "1") number = "";
        text += text.empty() ? (v < 0 ? "-" : "") : (v < 0 ? " - " : " + ");
        text += number + power;
    }
    return text.empty() ? "0" : text;
}

// ---- The 2D part: a photo, blurred with a Gaussian both ways.

// Until a photo arrives (and in the tests, where none does): a checkerboard with a bright disc.
std::vector<float> builtin_picture() {
    const int S = kPhotoSide;
    std::vector<float> p(size_t(S * S));
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            const float dy = float(y - S / 2), dx = float(x - S / 2);
            p[size_t(y * S + x)] = dy * dy + dx * dx < 900 ? 0.9f : ((x / 16 + y / 16) % 2 ? 0.6f : 0.2f);
        }
    return p;
}

// A k x k Gaussian with sigma k/6 (three sigmas each side), summing to 1.
std::vector<float> gaussian(int k) {
    std::vector<float> g(size_t(k * k));
    const double sigma = k / 6.0;
    double sum = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            const double dy = i - k / 2, dx = j - k / 2;
            sum += g[size_t(i * k + j)] = float(std::exp(-(dy * dy + dx * dx) / (2 * sigma * sigma)));
        }
    for (float& v : g) v = float(v / sum);
    return g;
}

// Blurs the photo both ways (when the kernel or the photo changed), timing each.
void compute_blur(FftLab& lab) {
    Blur& b = lab.blur;
    if (b.computed_for == lab.settings.blur && b.photo_name == lab.photo_loaded && !b.direct.empty()) return;
    const int S = kPhotoSide, k = lab.settings.blur;
    b.photo = lab.photo_grey.empty() ? builtin_picture() : lab.photo_grey;
    b.kernel = gaussian(k);
    b.direct.assign(size_t(S * S), 0);
    b.fourier.assign(size_t(S * S), 0);
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    convolve2d_direct(b.direct.data(), b.photo.data(), S, S, b.kernel.data(), k, k);
    const auto t1 = clock::now();
    convolve2d_fft(b.fourier.data(), b.photo.data(), S, S, b.kernel.data(), k, k);
    const auto t2 = clock::now();
    b.direct_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    b.fourier_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
    b.difference = 0;
    for (size_t i = 0; i < b.direct.size(); i++) b.difference = std::max(b.difference, double(std::fabs(b.direct[i] - b.fourier[i])));
    b.computed_for = k;
    b.photo_name = lab.photo_loaded;
}

// Times one convolution of two random lists of each length both ways, repeating each until it has
// run for a few milliseconds.
void time_cost(FftLab& lab) {
    using clock = std::chrono::steady_clock;
    lab.timings.clear();
    Rng rng(1);
    for (int n : kCostLengths) {
        std::vector<double> a(static_cast<size_t>(n)), b(static_cast<size_t>(n)), out(size_t(2 * n - 1));
        for (double& v : a) v = rng.uniform();
        for (double& v : b) v = rng.uniform();
        auto microseconds = [&](auto route) {
            int runs = 0;
            const auto start = clock::now();
            double spent = 0;
            do {
                route(out.data(), a.data(), n, b.data(), n);
                runs++;
                spent = std::chrono::duration<double, std::micro>(clock::now() - start).count();
            } while (spent < 3000 && runs < 100000);
            return spent / runs;
        };
        lab.timings.push_back({n, microseconds(convolve_direct), microseconds(convolve_fft)});
    }
}

// The first length in kCostLengths at which the Fourier route needs fewer multiplications.
int counted_crossover() {
    for (int n : kCostLengths)
        if (convolve_fft_multiplications(n, n) < convolve_direct_multiplications(n, n)) return n;
    return 0;
}

FftLab make_lab() {
    FftLab lab;
    recompute(lab);
    return lab;
}

FftLab g_lab = make_lab();
bool g_photo_requested = false;  // the photo is asked for on the first frame drawn

// ---------------------------------------------------------------------------------------------
// The exercise: the coefficients of a product of two small polynomials, or an output's length.

void new_exercise(FftLab& lab, uint64_t seed) {
    Rng rng(seed);
    json setup;
    if (rng.uniform() < 0.6f) {  // a product: two lists of 2 or 3 small whole numbers, none of them 0 at the ends
        auto list = [&](int size) {
            json l = json::array();
            for (int i = 0; i < size; i++) {
                int v = 0;
                while (v == 0) v = rng.uniform_int(-3, 3);
                l.push_back(v);
            }
            return l;
        };
        // (the board keeps its own lists: the exercise's product is not shown there)
        setup = {{"kind", "product"}, {"a", list(rng.uniform_int(2, 3))}, {"b", list(rng.uniform_int(2, 3))}};
    } else {
        const bool valid = rng.uniform() < 0.5f;
        const int n = rng.uniform_int(4, 40), m = rng.uniform_int(2, valid ? std::min(n, 11) : 11);
        setup = {{"kind", "length"}, {"n", n}, {"m", m}, {"mode", valid ? "valid" : "full"}};
    }
    recompute(lab);
    lab.record.start(setup, seed, lab.pending);
    lab.typed_answer[0] = 0;
}

// The right answer of the open exercise.
json expected_answer(const FftLab& lab) {
    const json& x = lab.record.exercise;
    if (x["kind"] == "length") {
        const int n = x["n"].get<int>(), m = x["m"].get<int>();
        return x["mode"] == "valid" ? n - m + 1 : n + m - 1;
    }
    const std::vector<double> a = x["a"].get<std::vector<double>>(), b = x["b"].get<std::vector<double>>();
    std::vector<double> c(a.size() + b.size() - 1);
    convolve_direct(c.data(), a.data(), int(a.size()), b.data(), int(b.size()));
    json list = json::array();
    for (double v : c) list.push_back(int(std::lround(v)));
    return list;
}

// The mistakes each kind draws, with the answer each gives here.
std::vector<MistakeAnswer> exercise_mistakes(const FftLab& lab) {
    const json& x = lab.record.exercise;
    std::vector<MistakeAnswer> list;
    if (x["kind"] == "length") {
        const int n = x["n"].get<int>(), m = x["m"].get<int>();
        const bool valid = x["mode"] == "valid";
        list.push_back({"forgot-minus-one", valid ? json(n - m) : json(n + m),
                        valid ? "You left out the + 1: the list of " + std::to_string(m) + " fits at n - m + 1 places, the first one too."
                              : "You added the lengths: the last product has power (n-1) + (m-1) = n + m - 2, so there are n + m - 1 values, not n + m."});
        list.push_back({"lengths-multiplied", json(n * m),
                        "You multiplied the lengths: that counts the products (" + std::to_string(n * m) +
                            "), but several products add into the same output value."});
        list.push_back({valid ? "full-instead-of-valid" : "valid-instead-of-full", valid ? json(n + m - 1) : json(n - m + 1),
                        valid ? std::string("You gave the full length: a valid output keeps only the places where the short list fits "
                                            "inside the long one.")
                              : std::string("You gave the valid length: a full convolution (the polynomial product) keeps every place "
                                            "where the lists overlap at all.")});
        return list;
    }
    const std::vector<double> a = x["a"].get<std::vector<double>>(), b = x["b"].get<std::vector<double>>();
    const size_t n = a.size(), m = b.size();
    json matching = json::array(), flipped = json::array();
    std::vector<double> reversed(b.rbegin(), b.rend()), c(n + m - 1);
    convolve_direct(c.data(), a.data(), int(n), reversed.data(), int(m));
    for (size_t k = 0; k < n + m - 1; k++) {
        matching.push_back(k < n && k < m ? int(std::lround(a[k] * b[k])) : 0);
        flipped.push_back(int(std::lround(c[k])));
    }
    list.push_back({"matching-powers-only", matching,
                    "You multiplied only the terms with the same power, as if adding polynomials: every term of the first meets "
                    "every term of the second, and a_i x^i times b_j x^j lands at x^(i+j)."});
    list.push_back({"second-list-reversed", flipped,
                    "You paired the lists in the same direction, as a cross-correlation does: in a product the powers add up, so "
                    "one list runs forwards while the other runs backwards."});
    return list;
}

HintLadder exercise_hints(const FftLab& lab) {
    const json& x = lab.record.exercise;
    if (x["kind"] == "length") {
        const int n = x["n"].get<int>(), m = x["m"].get<int>();
        const bool valid = x["mode"] == "valid";
        return {"A full convolution of lists of n and m values has n + m - 1 values (the hand lab's Y = I + k - 1); a valid one, "
                "where the short list stays inside the long one, has n - m + 1 (Y = I - k + 1).",
                valid ? "The list of m = " + std::to_string(m) + " starts at position 0; its last start is n - m = " + std::to_string(n - m) + "."
                      : "The last output pairs the last values of both lists: power (n-1) + (m-1) = " + std::to_string(n + m - 2) + ".",
                valid ? "Starts 0, 1, ..., " + std::to_string(n - m) + ": count them." : "Powers 0, 1, ..., " + std::to_string(n + m - 2) + ": count them."};
    }
    const std::vector<double> a = x["a"].get<std::vector<double>>(), b = x["b"].get<std::vector<double>>();
    const json want = expected_answer(lab);
    std::string first = "x^0 has one product: a0 b0 = " + format_number(float(a[0])) + " x " + format_number(float(b[0])) + " = " +
                        format_number(float(a[0] * b[0])) + ". x^1 has a0 b1 + a1 b0.";
    std::string most;
    for (size_t k = 0; k + 1 < want.size(); k++) most += (k ? ", " : "") + want[k].dump();
    return {"The coefficient of x^k in the product is the sum of a_i b_j over every pair with i + j = k: the two coefficient lists "
            "convolved. There are n + m - 1 of them.",
            first, "All but the last: " + most + ". The last one is the product of the two highest terms."};
}

// Reads a typed or sent answer: a list of numbers (product) or one number (length).
std::string check_answer(FftLab& lab, const json& given) {
    if (!lab.record.open()) return "there is no exercise to answer: send {\"new_exercise\": true} first";
    const json& x = lab.record.exercise;
    const json expected = expected_answer(lab);
    const bool product = x["kind"] == "product";
    if (product) {
        if (!given.is_array() || given.empty() || given.size() > 40)
            return "\"answer\" must be the product's coefficients, a list like [3, 7, 3, 2]";
        for (const json& v : given)
            if (!v.is_number() || !std::isfinite(v.get<double>())) return "\"answer\" must be a list of numbers";
    } else if (!given.is_number() || !std::isfinite(given.get<double>())) {
        return "\"answer\" must be the output's length, a number";
    }
    bool right = false;
    json mistake = nullptr;
    std::string feedback;
    if (product) {
        right = given.size() == expected.size();
        for (size_t i = 0; right && i < given.size(); i++) right = close_enough(given[i].get<float>(), expected[i].get<float>());
        const std::vector<double> a = x["a"].get<std::vector<double>>(), b = x["b"].get<std::vector<double>>();
        const std::string sum = "(" + polynomial_text(a) + ")(" + polynomial_text(b) + ") = " +
                                polynomial_text(expected.get<std::vector<double>>());
        if (right) {
            feedback = "Right: " + sum + ".";
        } else if (given.size() != expected.size()) {
            feedback = "The product has " + std::to_string(expected.size()) + " coefficients (n + m - 1 = " + std::to_string(a.size()) + " + " +
                       std::to_string(b.size()) + " - 1), you gave " + std::to_string(given.size()) + ": " + sum + ".";
            mistake = {{"id", "product-length"}, {"text", feedback}};
        } else {
            feedback = "Not quite: " + sum + ".";
            mistake = name_mistake(given, expected, exercise_mistakes(lab), feedback);
            if (mistake["id"] != "other") feedback = mistake["text"].get<std::string>() + " " + sum + ".";
        }
    } else {
        right = given.get<double>() == expected.get<double>();
        const std::string sum = length_formula(x["n"].get<int>(), x["m"].get<int>(), x["mode"] == "valid");
        feedback = right ? "Right: " + sum + "." : "Not quite: " + sum + ".";
        if (!right) {
            mistake = name_mistake(given, expected, exercise_mistakes(lab), feedback);
            if (mistake["id"] != "other") feedback = mistake["text"].get<std::string>() + " " + sum + ".";
        }
    }
    lab.record.checked(right, expected, given, feedback, lab.pending, json::object(), mistake);
    return "";
}

// ---------------------------------------------------------------------------------------------
// State to and from JSON.

// A list: 1 to kMaxList numbers (a flat list, or one row). Editing a list makes the example "own".
Field<FftSettings> list_field(const char* name, Rows FftSettings::*member) {
    return {name,
            [=](const json& f, FftSettings& s) {
                if (!f.contains(name)) return std::string();
                Rows rows;
                if (std::string e = read_rows(f, name, 1, kMaxList, kValueLimit, true, rows); !e.empty()) return e;
                if (rows.empty() || rows[0].empty()) return "\"" + std::string(name) + "\" needs at least one number";
                if (rows != s.*member && !f.contains("example")) s.example = Example::own;
                s.*member = rows;
                return std::string();
            },
            [=](const FftSettings& s) { return json(s.*member); }};
}

std::string read_example(const json& f, FftSettings& s) {
    Example e = s.example;
    if (std::string m = read_choice(f, "example", kExamples, e); !m.empty()) return m;
    if (f.contains("example") && e != Example::own && !(f.contains("a") || f.contains("b"))) set_example(s, e);
    else s.example = e;
    return "";
}

std::string read_blur(const json& f, FftSettings& s) {
    int k = s.blur;
    if (std::string e = read_int(f, "blur", 3, kMaxBlur, k); !e.empty()) return e;
    if (k % 2 == 0) return "\"blur\" must be odd (the kernel has a middle pixel): 3, 5, ..., 31";
    s.blur = k;
    return "";
}

const Field<FftSettings> kSettingFields[] = {
    {"example", read_example, [](const FftSettings& s) { return json(choice_name(kExamples, s.example)); }},
    list_field("a", &FftSettings::a),
    list_field("b", &FftSettings::b),
    choice_field("operation", &FftSettings::operation, kOperations),
    {"blur", read_blur, [](const FftSettings& s) { return json(s.blur); }},
    {"photo", [](const json& f, FftSettings& s) { return read_photo(f, "photo", s.photo); }, [](const FftSettings& s) { return json(s.photo); }},
};

json complex_list(const std::vector<Complex>& values) {
    json list = json::array();
    for (const Complex& c : values) list.push_back({c.real(), c.imag()});
    return list;
}

const Output<FftLab> kOutputs[] = {
    {"length", [](const FftLab& lab) { return lab.lists.message.empty() ? json(lab.lists.direct.size()) : json(nullptr); }},
    {"formula", [](const FftLab& lab) {
         return lab.lists.message.empty() ? json(length_formula(int(lab.lists.a.size()), int(lab.lists.b.size()),
                                                                lab.settings.operation == Operation::correlation))
                                          : json(nullptr);
     }},
    {"message", [](const FftLab& lab) { return text_or_null(lab.lists.message); }},
    {"direct", [](const FftLab& lab) { return json(lab.lists.direct); }},
    {"fourier", [](const FftLab& lab) { return json(lab.lists.fourier); }},
    {"fourier_length", [](const FftLab& lab) { return json(lab.lists.L); }},
    {"spectrum", [](const FftLab& lab) {
         return json{{"a", complex_list(lab.lists.A)}, {"b", complex_list(lab.lists.B)}, {"product", complex_list(lab.lists.product)}};
     }},
    {"rounding", [](const FftLab& lab) { return json(lab.lists.rounding); }},
    {"position", [](const FftLab& lab) { return json(lab.position); }},
    {"products", [](const FftLab& lab) {
         json list = json::array();
         for (auto [i, j] : products_of(lab, lab.position)) list.push_back({i, j, lab.lists.a[size_t(i)], lab.lists.b[size_t(j)]});
         return list;
     }},
    {"cost", [](const FftLab&) {
         json list = json::array();
         for (int n : kCostLengths)
             list.push_back({{"n", n}, {"direct", convolve_direct_multiplications(n, n)}, {"fft", convolve_fft_multiplications(n, n)}});
         return list;
     }},
    {"crossover", [](const FftLab&) { return json(counted_crossover()); }},
    {"blur_cost", [](const FftLab& lab) {
         const int S = kPhotoSide, k = lab.settings.blur;
         return json{{"side", S},
                     {"direct", convolve2d_direct_multiplications(S, S, k, k)},
                     {"fft", convolve2d_fft_multiplications(S, S, k, k)},
                     {"direct_3x3", convolve2d_direct_multiplications(S, S, 3, 3)},
                     {"fft_3x3", convolve2d_fft_multiplications(S, S, 3, 3)}};
     }},
    {"blur_difference", [](const FftLab& lab) { return lab.blur.direct.empty() ? json(nullptr) : json(lab.blur.difference); }},
    {"timings", [](const FftLab& lab) {
         json cost = json::array();
         for (const CostTiming& t : lab.timings) cost.push_back({{"n", t.n}, {"direct_us", t.direct_us}, {"fft_us", t.fft_us}});
         auto ms = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
         return json{{"cost", cost}, {"blur_direct_ms", ms(lab.blur.direct_ms)}, {"blur_fft_ms", ms(lab.blur.fourier_ms)}};
     }},
    {"photo_loaded", [](const FftLab& lab) { return text_or_null(lab.photo_loaded); }},
    {"loading", [](const FftLab&) { return json(!picture_pending("fft").empty()); }},
    {"note", [](const FftLab& lab) { return text_or_null(lab.note); }},
};

json fft_state() {
    FftLab& lab = g_lab;
    recompute(lab);
    compute_blur(lab);
    json state;
    write_fields(state, kSettingFields, lab.settings);
    write_outputs(state, kOutputs, lab);
    lab.record.write(state);
    return state;
}

std::string apply_command(FftLab& lab, const json& f) {
    if (std::string e = check_command(f, kSettingFields, {"reset", "time_cost", "new_exercise", "seed", "hint", "answer"}, kOutputs); !e.empty())
        return e;
    std::string e;
    bool reset = false;
    if (!(e = read_bool(f, "reset", reset)).empty()) return e;
    if (reset) lab = make_lab();
    // 1. The settings. A change to the lists leaves an exercise: the student is exploring again.
    FftSettings s = lab.settings;
    if (!(e = read_fields(f, kSettingFields, s)).empty()) return e;
    if (s.photo != lab.settings.photo || (f.contains("photo") && lab.photo_loaded != s.photo)) lab.pending.picture = s.photo;
    if (!(s.a == lab.settings.a && s.b == lab.settings.b && s.operation == lab.settings.operation)) lab.record.close();
    lab.settings = s;
    recompute(lab);
    // 2. Where the student looks, and the timing.
    if (f.contains("position")) {
        int p = 0;
        if (!(e = read_int(f, "position", 0, 1000, p)).empty()) return e;
        const int length = int(lab.lists.direct.size());
        if (p >= length) return "\"position\" " + std::to_string(p) + " is past the output's " + std::to_string(length) + " values";
        lab.position = p;
    }
    bool time = false;
    if (!(e = read_bool(f, "time_cost", time)).empty()) return e;
    if (time) time_cost(lab);
    // 3. The exercise.
    if (!(e = start_exercise_if_asked(f, lab, new_exercise)).empty()) return e;
    if (!(e = give_hint_if_asked(f, lab, exercise_hints)).empty()) return e;
    if (f.contains("answer") && !(e = check_answer(lab, f["answer"])).empty()) return e;
    return "";
}

std::string fft_command(const json& fields) { return command_on_copy("fft", g_lab, fields, apply_command); }

void fft_picture(const Picture& picture) {
    FftLab& lab = g_lab;
    Tensor grey;
    std::string e = picture.error.empty() ? grey_square(grey, picture, kPhotoSide) : picture.error;
    if (!e.empty()) {
        lab.note = "The photo \"" + picture.name + "\" could not be used (" + e + "): blurring a built-in picture instead.";
        return;
    }
    lab.photo_grey = grey.data;
    lab.photo_loaded = picture.name;
    lab.note.clear();
    post_event("photo-loaded");
}

// ---------------------------------------------------------------------------------------------
// Drawing.

const ImU32 kListA = IM_COL32(62, 112, 178, 255);   // the first list (blue)
const ImU32 kListB = IM_COL32(178, 112, 62, 255);   // the second (orange)
const ImU32 kPaired = IM_COL32(232, 190, 60, 255);  // values in the products shown
const ImU32 kOutput = IM_COL32(40, 165, 140, 255);  // the output
const ImU32 kCurrent = IM_COL32(255, 200, 40, 255);

// A list as one row of cells, highlighted where `lit` says; returns the cell clicked (-1 for none).
int draw_list(const char* id, const std::vector<double>& values, float cell, ImU32 fill, const std::function<bool(int)>& lit) {
    GridResult g = draw_grid(id, 1, int(values.size()), cell, [&](int, int c) {
        GridCell gc;
        gc.text = format_number(float(values[size_t(c)]));
        gc.fill = lit(c) ? kPaired : fill;
        if (lit(c)) gc.border = kCurrent;
        return gc;
    });
    return g.clicked ? g.hover_col : -1;
}

void draw_settings(FftLab& lab) {
    FftSettings& s = lab.settings;
    ImGui::TextDisabled("EXAMPLES");
    const char* names[] = {"Polynomials", "Two dice", "Moving average"};
    for (int i = 0; i < 3; i++) {
        if (ImGui::Button(names[i], ImVec2(-1, 0))) {
            set_example(s, Example(i));
            s.operation = Operation::convolution;
            lab.position = 0;
        }
        ui_anchor(std::string("example-") + kExamples[i].name);
    }
    ImGui::Separator();
    ImGui::TextDisabled("THE LISTS");
    for (auto [label, rows, buffer] : {std::tuple{"a", &s.a, lab.typed_a}, std::tuple{"b", &s.b, lab.typed_b}}) {
        if (!ImGui::IsAnyItemActive()) {  // shows the list as it is, unless one is being typed
            const std::string text = rows_to_text(*rows);
            std::snprintf(buffer, 128, "%s", text.c_str());
        }
        ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 1.5f);
        if (ImGui::InputText(label, buffer, 128, ImGuiInputTextFlags_EnterReturnsTrue)) {
            Rows typed;
            if (parse_rows_text(buffer, 1, kMaxList, kValueLimit, typed).empty() && !typed.empty() && !typed[0].empty()) {
                *rows = typed;
                s.example = Example::own;
            }
        }
        ui_anchor(std::string("list-") + label);
    }
    ImGui::TextDisabled("numbers with spaces, Enter to use them");
    ImGui::Separator();
    int op = int(s.operation);
    ImGui::RadioButton("Convolution (full)", &op, 0);
    ImGui::RadioButton("Cross-correlation (valid)", &op, 1);
    s.operation = Operation(op);
    ImGui::SameLine();
    help_marker("A CNN layer slides its kernel without flipping it and keeps the places where it fits: a valid "
                "cross-correlation, n - m + 1 values. A polynomial product flips one list (the powers add up) and keeps every "
                "overlap: a full convolution, n + m - 1 values. In the Fourier domain the difference is one complex conjugate.");
    ImGui::Separator();
    ImGui::TextDisabled("IN 2D");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    int k = s.blur;
    if (ImGui::SliderInt("blur k x k", &k, 3, kMaxBlur)) s.blur = k | 1;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    if (ImGui::BeginCombo("photo", s.photo.c_str())) {
        for (const std::string& name : photo_names())
            if (ImGui::Selectable(name.c_str(), name == s.photo)) {
                s.photo = name;
                request_picture("fft", name);
            }
        ImGui::EndCombo();
    }
    if (const std::string asked = picture_pending("fft"); !asked.empty()) ImGui::TextDisabled("loading %s ...", asked.c_str());
}

// The direct sum: both lists, the products of the output value at `position`, and the output.
void draw_direct(FftLab& lab) {
    const Lists& l = lab.lists;
    const bool correlation = lab.settings.operation == Operation::correlation;
    ImGui::TextDisabled("THE DIRECT SUM");
    const std::vector<std::pair<int, int>> pairs = products_of(lab, lab.position);
    auto uses = [&](bool first, int i) {
        for (auto [ia, ib] : pairs)
            if ((first ? ia : ib) == i) return true;
        return false;
    };
    const float cell = std::clamp(ImGui::GetContentRegionAvail().x / 20, 20.0f, 40.0f);
    ImGui::Text("a (n = %d)", int(l.a.size()));
    draw_list("list-a", l.a, cell, kListA, [&](int i) { return uses(true, i); });
    ImGui::Text("b (m = %d)%s", int(l.b.size()), correlation ? "" : ": in a product its powers run the other way under a");
    draw_list("list-b", l.b, cell, kListB, [&](int i) { return uses(false, i); });
    if (!l.message.empty()) {
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "No output: %s.", l.message.c_str());
        return;
    }
    ImGui::Text("%s: %d values (%s)", correlation ? "Output, valid" : "Output, full", int(l.direct.size()),
                length_formula(int(l.a.size()), int(l.b.size()), correlation).c_str());
    GridResult out = draw_grid("output", 1, int(l.direct.size()), cell, [&](int, int c) {
        GridCell gc;
        gc.text = format_number(float(l.direct[size_t(c)]));
        gc.fill = kOutput;
        if (c == lab.position) gc.border = kCurrent;
        return gc;
    });
    ui_anchor("output");
    if (out.clicked) lab.position = out.hover_col;
    // the sum written out
    std::string names, numbers;
    double sum = 0;
    for (size_t p = 0; p < pairs.size(); p++) {
        auto [ia, ib] = pairs[p];
        names += (p ? " + " : "") + std::string("a") + std::to_string(ia) + " b" + std::to_string(ib);
        numbers += (p ? " + " : "") + format_number(float(l.a[size_t(ia)])) + " x " + format_number(float(l.b[size_t(ib)]));
        sum += l.a[size_t(ia)] * l.b[size_t(ib)];
    }
    ImGui::PushTextWrapPos(0);
    ImGui::Text("value %d = %s = %s = %s", lab.position, names.c_str(), numbers.c_str(), format_number(float(sum)).c_str());
    if (!correlation) {
        switch (lab.settings.example) {
            case Example::polynomials:
            case Example::own:
                ImGui::Text("As polynomials: (%s)(%s) = %s; value %d is the coefficient of x^%d.", polynomial_text(l.a).c_str(),
                            polynomial_text(l.b).c_str(), polynomial_text(l.direct).c_str(), lab.position, lab.position);
                break;
            case Example::dice:
                ImGui::Text("Two dice: value %d is P(sum = %d) = %s/36, the ways to roll it (%d) over 36.", lab.position, lab.position + 2,
                            format_number(float(l.direct[size_t(lab.position)] * 36)).c_str(),
                            int(std::lround(l.direct[size_t(lab.position)] * 36)));
                break;
            case Example::moving_average:
                ImGui::Text("A moving average: each value is the mean of %d neighbours (at the ends, of fewer: the rest is zeros).",
                            int(l.b.size()));
                break;
        }
    }
    ImGui::PopTextWrapPos();
}

// The Fourier route: the spectra, their product, and what comes back.
void draw_fourier(const FftLab& lab) {
    const Lists& l = lab.lists;
    if (!l.message.empty()) return;
    const bool correlation = lab.settings.operation == Operation::correlation;
    ImGui::TextDisabled("THROUGH THE FOURIER DOMAIN");
    ImGui::SameLine();
    help_marker("Both lists are padded with zeros to L values (a power of two at least n + m - 1, so that nothing wraps "
                "around), transformed, multiplied value by value, and transformed back. The convolution theorem: a convolution "
                "is a product in the Fourier domain. For a cross-correlation the second spectrum is conjugated.");
    ImGui::Text("L = %d; %s, value by value:", l.L, correlation ? "A[k] times conj(B[k])" : "A[k] times B[k]");
    const int shown = std::min(l.L, 16);
    if (ImGui::BeginTable("spectra", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
        ImGui::TableSetupColumn("k");
        ImGui::TableSetupColumn("A[k]");
        ImGui::TableSetupColumn("B[k]");
        ImGui::TableSetupColumn(correlation ? "A conj(B)" : "A B");
        ImGui::TableHeadersRow();
        auto text = [](Complex c) {
            char t[48];
            std::snprintf(t, sizeof t, "%.3g %s %.3gi", std::fabs(c.real()) < 5e-13 ? 0.0 : c.real(), c.imag() < 0 ? "-" : "+",
                          std::fabs(c.imag()) < 5e-13 ? 0.0 : std::fabs(c.imag()));
            return std::string(t);
        };
        for (int k = 0; k < shown; k++) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::Text("%d", k);
            for (const Complex& c : {l.A[size_t(k)], l.B[size_t(k)], l.product[size_t(k)]}) {
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(text(c).c_str());
            }
        }
        ImGui::EndTable();
    }
    if (shown < l.L) ImGui::TextDisabled("(the first %d of %d rows)", shown, l.L);
    std::string back;
    for (size_t i = 0; i < l.fourier.size(); i++) {
        char t[32];
        std::snprintf(t, sizeof t, "%s%.6g", i ? ", " : "", l.fourier[i]);
        back += t;
    }
    ImGui::PushTextWrapPos(0);
    ImGui::Text("Transformed back (real parts): %s", back.c_str());
    ImGui::Text("The largest difference to the direct sum: %.2g, the rounding of the transforms' sines and cosines.", l.rounding);
    ImGui::PopTextWrapPos();
}

std::string with_commas(int64_t v) {
    std::string digits = std::to_string(v), out;
    for (size_t i = 0; i < digits.size(); i++) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// Multiplications (and, once timed, microseconds) of both routes as the lists grow.
void draw_cost(FftLab& lab) {
    ImGui::TextDisabled("WHICH ROUTE IS CHEAPER");
    ImGui::TextWrapped("Two lists of n values each: the direct sum makes n x n multiplications; the Fourier route three transforms "
                       "of L values, about (L/2) log2 L complex multiplications each (4 real ones apiece), and L products.");
    const bool timed = !lab.timings.empty();
    if (ImGui::BeginTable("cost", timed ? 5 : 3, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
        ImGui::TableSetupColumn("n");
        ImGui::TableSetupColumn("direct");
        ImGui::TableSetupColumn("Fourier");
        if (timed) {
            ImGui::TableSetupColumn("direct, here");
            ImGui::TableSetupColumn("Fourier, here");
        }
        ImGui::TableHeadersRow();
        const int crossover = counted_crossover();
        for (size_t i = 0; i < std::size(kCostLengths); i++) {
            const int n = kCostLengths[i];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::Text(n == crossover ? "%d <" : "%d", n);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(with_commas(convolve_direct_multiplications(n, n)).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(with_commas(convolve_fft_multiplications(n, n)).c_str());
            if (timed) {
                ImGui::TableNextColumn();
                ImGui::Text("%.3g us", lab.timings[i].direct_us);
                ImGui::TableNextColumn();
                ImGui::Text("%.3g us", lab.timings[i].fft_us);
            }
        }
        ImGui::EndTable();
    }
    ImGui::Text("Counted, the Fourier route needs fewer from n = %d (marked <).", counted_crossover());
    if (timed) {
        int timed_crossover = 0;
        for (const CostTiming& t : lab.timings)
            if (!timed_crossover && t.fft_us < t.direct_us) timed_crossover = t.n;
        ImGui::Text("Timed here, it is faster from n = %d.", timed_crossover);
    }
    if (ImGui::Button("Time both routes")) time_cost(lab);
    ui_anchor("time-cost");
}

void draw_blur(FftLab& lab) {
    compute_blur(lab);
    const Blur& b = lab.blur;
    const int S = kPhotoSide, k = lab.settings.blur;
    ImGui::TextDisabled("IN 2D: A PHOTO BLURRED BOTH WAYS");
    ImGui::PushTextWrapPos(0);
    ImGui::Text("A %d x %d Gaussian over the %d x %d photo: directly %s multiplications (%.1f ms here), through the Fourier domain %s "
                "(%.1f ms here). Largest difference: %.2g.",
                k, k, S, S, with_commas(convolve2d_direct_multiplications(S, S, k, k)).c_str(), b.direct_ms,
                with_commas(convolve2d_fft_multiplications(S, S, k, k)).c_str(), b.fourier_ms, b.difference);
    ImGui::Text("With a 3 x 3 kernel, the size CNNs use, the direct sum needs %s and the Fourier route still %s: that is why CNN "
                "layers convolve directly (or with Winograd's transform), and the FFT pays off for large kernels.",
                with_commas(convolve2d_direct_multiplications(S, S, 3, 3)).c_str(), with_commas(convolve2d_fft_multiplications(S, S, 3, 3)).c_str());
    if (!lab.note.empty()) ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1.0f), "%s", lab.note.c_str());
    ImGui::PopTextWrapPos();
    const float size = std::clamp(ImGui::GetContentRegionAvail().x / 3.3f, 96.0f, 256.0f);
    value_picture("blur-photo", lab.photo_loaded.empty() ? "built-in picture" : lab.photo_loaded.c_str(), b.photo.data(), S, S, size, 0, 1);
    ImGui::SameLine();
    value_picture("blur-direct", "direct", b.direct.data(), S, S, size, 0, 1);
    ImGui::SameLine();
    value_picture("blur-fourier", "Fourier", b.fourier.data(), S, S, size, 0, 1);
}

void draw_exercise(FftLab& lab) {
    if (new_exercise_button(lab.record.answered, lab.record.correct, true)) new_exercise(lab, fresh_seed());
    if (!lab.record.open()) return;
    const json& x = lab.record.exercise;
    ImGui::PushTextWrapPos(0);
    if (x["kind"] == "product") {
        ImGui::Text("Multiply (%s)(%s): type the product's coefficients, lowest power first (e.g. 3 7 3 2).",
                    polynomial_text(x["a"].get<std::vector<double>>()).c_str(), polynomial_text(x["b"].get<std::vector<double>>()).c_str());
    } else {
        ImGui::Text("A %s convolution of a list of %d values with a list of %d values: how many values does it give?",
                    x["mode"].get<std::string>().c_str(), x["n"].get<int>(), x["m"].get<int>());
    }
    ImGui::PopTextWrapPos();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
    const bool entered = ImGui::InputText("##answer", lab.typed_answer, sizeof lab.typed_answer, ImGuiInputTextFlags_EnterReturnsTrue);
    ui_anchor("answer");
    ImGui::SameLine();
    const bool check = ImGui::Button("Check");
    ui_anchor("check");
    if (entered || check) {
        Rows typed;
        if (parse_rows_text(lab.typed_answer, 1, 40, 1e6f, typed).empty() && !typed.empty() && !typed[0].empty())
            (void)check_answer(lab, x["kind"] == "product" ? json(typed[0]) : json(typed[0][0]));
    }
    last_answer_feedback(lab.record.last_answer);
    if (hint_ladder(lab.record.last_answer, lab.record.hints)) lab.record.give_hint(exercise_hints(lab), lab.pending);
}

void fft_draw() {
    FftLab& lab = g_lab;
    if (!g_photo_requested) {  // the 2D part's photo, asked for once
        g_photo_requested = true;
        if (lab.photo_loaded.empty() && picture_pending("fft").empty()) request_picture("fft", lab.settings.photo);
    }
    lab_intro("Convolution and the FFT",
              "Convolving two lists gives a third: the coefficients of two polynomials multiplied, the chances of two dice added, "
              "a signal averaged. The same numbers come out of the Fourier domain, where convolution is plain multiplication; "
              "which route is cheaper depends on how long the lists are.");
    ImGui::BeginChild("settings", ImVec2(ImGui::GetFontSize() * 16, 0), true);
    const FftSettings before = lab.settings;
    draw_settings(lab);
    if (!(lab.settings.a == before.a && lab.settings.b == before.b && lab.settings.operation == before.operation)) lab.record.close();
    ImGui::EndChild();
    recompute(lab);
    ImGui::SameLine();
    ImGui::BeginChild("board", ImVec2(0, 0), false);
    draw_direct(lab);
    ImGui::Separator();
    draw_exercise(lab);  // right under the lists it asks about, above the fold
    ImGui::Separator();
    draw_fourier(lab);
    ImGui::Separator();
    draw_cost(lab);
    ImGui::Separator();
    draw_blur(lab);
    ImGui::EndChild();
    commit("fft", lab.pending);
}

}  // namespace

CNNLAB_REGISTER_LAB(.id = "fft", .name = "Convolution and the FFT",
                    .summary = "Convolve lists: polynomials, dice, averages; the same numbers through the Fourier domain.",
                    .draw = fft_draw, .state = fft_state, .command = fft_command, .on_picture = fft_picture,
                    .teaches = {"list-convolution", "Convolving lists"});
