// fft_lab_test.cpp — the "fft" lab driven through the API a course page uses: the examples' numbers
// worked out by hand, the Fourier route against them, the exercise right and wrong with its named
// mistakes, and bad commands refused.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <imgui.h>

#include "../web/app.h"
#include "lab_test_util.h"

namespace {

double largest_difference(const json& a, const json& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); i++) m = std::fmax(m, std::fabs(a[i].get<double>() - b[i].get<double>()));
    return m;
}

}  // namespace

TEST_CASE("fft lab: polynomials, dice and a moving average, directly and through the Fourier domain") {
    command({{"lab", "fft"}, {"reset", true}});
    // (1 + 2x)(3 + x + x^2) = 3 + 7x + 3x^2 + 2x^3: n + m - 1 = 2 + 3 - 1 = 4 values
    json s = command({{"example", "polynomials"}});
    CHECK(s["direct"] == json{3.0, 7.0, 3.0, 2.0});
    CHECK(s["length"] == 4);
    CHECK(s["formula"] == "n + m - 1 = 2 + 3 - 1 = 4");
    CHECK(s["fourier_length"] == 4);
    INFO("rounding " << s["rounding"]);
    CHECK(s["rounding"].get<double>() < 1e-12);
    CHECK(largest_difference(s["fourier"], s["direct"]) < 1e-12);
    // value 1, the coefficient of x: a0 b1 + a1 b0 = 1 x 1 + 2 x 3 = 7
    s = command({{"position", 1}});
    CHECK(s["products"] == json{{0, 1, 1.0, 1.0}, {1, 0, 2.0, 3.0}});
    // the spectra at k = 0 are the lists' sums: A[0] = 3, B[0] = 5, their product 15 = 3 + 7 + 3 + 2
    CHECK(s["spectrum"]["a"][0][0].get<double>() == doctest::Approx(3));
    CHECK(s["spectrum"]["b"][0][0].get<double>() == doctest::Approx(5));
    CHECK(s["spectrum"]["product"][0][0].get<double>() == doctest::Approx(15));
    // two dice: P(sum = 7) = 6/36, at value 7 - 2 = 5; 11 values for the sums 2..12
    s = command({{"example", "dice"}});
    REQUIRE(s["direct"].size() == 11);
    CHECK(s["direct"][5].get<double>() == doctest::Approx(6.0 / 36).epsilon(1e-6));
    CHECK(s["direct"][0].get<double>() == doctest::Approx(1.0 / 36).epsilon(1e-6));
    // a moving average over 3: value 2 is (2 + 1 + 3)/3 = 2 (float thirds: within 1e-6)
    s = command({{"example", "moving-average"}});
    CHECK(s["direct"].size() == 14);
    CHECK(s["direct"][2].get<double>() == doctest::Approx(2).epsilon(1e-6));
    // the lists typed: the example is "own"
    s = command({{"a", {1, 1}}, {"b", {1, 1}}});
    CHECK(s["example"] == "own");
    CHECK(s["direct"] == json{1.0, 2.0, 1.0});  // (1 + x)^2 = 1 + 2x + x^2
}

TEST_CASE("fft lab: cross-correlation is valid (n - m + 1 values) and pairs the lists unflipped") {
    command({{"lab", "fft"}, {"reset", true}});
    // [1, 2, 3, 4] with [1, -1]: [1 - 2, 2 - 3, 3 - 4] = [-1, -1, -1]
    json s = command({{"a", {1, 2, 3, 4}}, {"b", {1, -1}}, {"operation", "correlation"}});
    CHECK(s["direct"] == json{-1.0, -1.0, -1.0});
    CHECK(s["formula"] == "n - m + 1 = 4 - 2 + 1 = 3");
    CHECK(largest_difference(s["fourier"], s["direct"]) < 1e-12);
    s = command({{"position", 2}});
    CHECK(s["products"] == json{{2, 0, 3.0, 1.0}, {3, 1, 4.0, -1.0}});
    // a second list longer than the first has no valid output
    s = command({{"a", {1, 2}}, {"b", {1, 2, 3}}});
    CHECK(s["length"].is_null());
    CHECK(s["message"].get<std::string>().find("longer than the first") != std::string::npos);
}

TEST_CASE("fft lab: the counts of multiplications, and the crossover") {
    command({{"lab", "fft"}, {"reset", true}});
    const json s = api_state();
    // n = 4: 16 directly; L = 8: 3 transforms of 8 values, (8/2) log2 8 = 12 complex multiplications each, and 8 products,
    // 4 real multiplications apiece: 4 * (36 + 8) = 176
    for (const json& row : s["cost"])
        if (row["n"] == 4) {
            CHECK(row["direct"] == 16);
            CHECK(row["fft"] == 176);
        }
    // n = 64: 4096 directly, L = 128: 4 * (3 * 64 * 7 + 128) = 5888; n = 128: 16384 against 4 * (3 * 128 * 8 + 256) = 13312
    CHECK(s["crossover"] == 128);
    // the 2D part: 128 x 128 with 15 x 15 directly: 128 * 128 * 225 = 3,686,400
    CHECK(s["blur_cost"]["direct"] == 3686400);
    CHECK(s["blur_cost"]["direct_3x3"] == 147456);
    CHECK(s["blur_cost"]["fft_3x3"].get<int64_t>() > 147456);
    CHECK(s["blur_difference"].get<double>() < 1e-5);
}

TEST_CASE("fft lab: an exercise right, wrong with a named mistake, and a length") {
    command({{"lab", "fft"}, {"reset", true}});
    // find a product exercise and a length exercise among the first seeds
    int product_seed = -1, length_seed = -1;
    for (int seed = 1; seed < 40 && (product_seed < 0 || length_seed < 0); seed++) {
        const json s = command({{"new_exercise", true}, {"seed", seed}});
        (s["exercise"]["kind"] == "product" ? product_seed : length_seed) = seed;
    }
    REQUIRE(product_seed > 0);
    REQUIRE(length_seed > 0);
    json s = command({{"new_exercise", true}, {"seed", product_seed}});
    const std::vector<double> a = s["exercise"]["a"].get<std::vector<double>>(), b = s["exercise"]["b"].get<std::vector<double>>();
    std::vector<double> right(a.size() + b.size() - 1, 0.0), matching(a.size() + b.size() - 1, 0.0);
    for (size_t i = 0; i < a.size(); i++)
        for (size_t j = 0; j < b.size(); j++) right[i + j] += a[i] * b[j];
    for (size_t k = 0; k < std::min(a.size(), b.size()); k++) matching[k] = a[k] * b[k];
    app_platform().post_event = record_event;
    g_events.clear();
    s = command({{"answer", right}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["score"] == json{{"answered", 1}, {"correct", 1}});
    if (matching != right) {
        s = command({{"answer", matching}});
        CHECK(s["last_answer"]["correct"] == false);
        CHECK(s["last_answer"]["mistake"]["id"] == "matching-powers-only");
    }
    s = command({{"answer", {1}}});
    CHECK(s["last_answer"]["mistake"]["id"] == "product-length");
    s = command({{"hint", true}});
    CHECK(s["hints"].size() == 1);
    // the length: full n + m - 1, valid n - m + 1; n + m is "forgot-minus-one" for full
    s = command({{"new_exercise", true}, {"seed", length_seed}});
    const int n = s["exercise"]["n"].get<int>(), m = s["exercise"]["m"].get<int>();
    const bool valid = s["exercise"]["mode"] == "valid";
    s = command({{"answer", valid ? n - m + 1 : n + m - 1}});
    CHECK(s["last_answer"]["correct"] == true);
    s = command({{"answer", valid ? n - m : n + m}});
    CHECK(s["last_answer"]["mistake"]["id"] == "forgot-minus-one");
    CHECK(g_events.size() >= 4);
}

TEST_CASE("fft lab: bad commands are refused and change nothing") {
    command({{"lab", "fft"}, {"reset", true}});
    refused({{"a", json::array()}}, "\"a\"");
    refused({{"a", std::vector<int>(13, 1)}}, "\"a\"");
    refused({{"b", {1, "x"}}}, "\"b\"");
    refused({{"operation", "multiply"}}, "\"operation\" must be");
    refused({{"blur", 4}}, "must be odd");
    refused({{"blur", 99}}, "\"blur\"");
    refused({{"position", 9}}, "past the output");
    refused({{"answer", {3, 7}}}, "no exercise");
    refused({{"warp", true}}, "warp");
    command({{"new_exercise", true}, {"seed", 3}});
    refused({{"answer", "seven"}}, "\"answer\" must be");
}

TEST_CASE("fft lab: draws without a GPU") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the font atlas; no texture upload
    command({{"lab", "fft"}, {"reset", true}});
    draw_app_frames(2);
    command({{"operation", "correlation"}, {"new_exercise", true}, {"seed", 2}});
    draw_app_frames(2);
    command({{"time_cost", true}, {"blur", 31}});
    draw_app_frames(2);
    ImGui::DestroyContext();
}
