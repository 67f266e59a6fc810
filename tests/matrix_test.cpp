// matrix_test.cpp — convolution as a matrix (engine/conv_matrix.h): the Toeplitz matrix C worked
// out by hand, y = Cx against the engine's conv2d / conv1d, C^T dy against the engine's conv input
// gradient and conv_transpose2d, im2col; then the "matrix" lab driven through the page's API.
#include <doctest/doctest.h>

#include <imgui.h>

#include <string>
#include <vector>

#include "../engine/conv_matrix.h"
#include "../web/app.h"
#include "lab_test_util.h"
#include "test_util.h"

// ---- the engine ---------------------------------------------------------------------------------

TEST_CASE("matrix: the 1D Toeplitz matrix by hand") {
    std::vector<float> C;
    std::vector<int> tap;
    const std::vector<float> w = {1, 2, 3};
    // 5 inputs, k 3: floor((5 - 2 - 1)/1) + 1 = 3 outputs; row o holds 1 2 3 from column o on
    REQUIRE(conv1d_matrix(C, tap, w, 5, conv_axis(3, 1, 0, 1), false).ok());
    CHECK(C == std::vector<float>{1, 2, 3, 0, 0,  //
                                  0, 1, 2, 3, 0,  //
                                  0, 0, 1, 2, 3});
    CHECK(tap == std::vector<int>{0, 1, 2, -1, -1,  //
                                  -1, 0, 1, 2, -1,  //
                                  -1, -1, 0, 1, 2});
    // stride 2: floor((5 - 2 - 1)/2) + 1 = 2 rows, each shifted two columns
    REQUIRE(conv1d_matrix(C, tap, w, 5, conv_axis(3, 2, 0, 1), false).ok());
    CHECK(C == std::vector<float>{1, 2, 3, 0, 0,  //
                                  0, 0, 1, 2, 3});
    // padding 1: 5 outputs; the first and last windows hang over a padding zero, which has no column
    REQUIRE(conv1d_matrix(C, tap, w, 5, conv_axis(3, 1, 1, 1), false).ok());
    CHECK(C == std::vector<float>{2, 3, 0, 0, 0,  //
                                  1, 2, 3, 0, 0,  //
                                  0, 1, 2, 3, 0,  //
                                  0, 0, 1, 2, 3,  //
                                  0, 0, 0, 1, 2});
    // dilation 2: the taps read columns 0, 2, 4: one output, floor((5 - 4 - 1)/1) + 1 = 1
    REQUIRE(conv1d_matrix(C, tap, w, 5, conv_axis(3, 1, 0, 2), false).ok());
    CHECK(C == std::vector<float>{1, 0, 2, 0, 3});
    // true convolution: the kernel reversed
    REQUIRE(conv1d_matrix(C, tap, w, 4, conv_axis(3, 1, 0, 1), true).ok());
    CHECK(C == std::vector<float>{3, 2, 1, 0,  //
                                  0, 3, 2, 1});
    CHECK(tap == std::vector<int>{2, 1, 0, -1, -1, 2, 1, 0});
    // errors leave C alone and say why
    Status s = conv1d_matrix(C, tap, w, 2, conv_axis(3, 1, 0, 1), false);
    CHECK(s.message.find("the kernel window covers 3 columns but the padded input has only 2") != std::string::npos);
    CHECK(C.size() == 8);
    s = conv1d_matrix(C, tap, {1, 2}, 5, conv_axis(3, 1, 0, 1), false);
    CHECK(s.message == "conv2d_matrix: the kernel has 2 weights but the settings say 1x3");
}

TEST_CASE("matrix: the 2D doubly block Toeplitz matrix by hand") {
    std::vector<float> C;
    std::vector<int> tap;
    Conv2dSpec spec;
    spec.rows = conv_axis(2, 1, 0, 1);
    spec.cols = conv_axis(2, 1, 0, 1);
    // a 2x2 kernel [[1,2],[3,4]] over a 3x3 input (x0..x8 row by row): 2x2 outputs, C is 4 x 9
    REQUIRE(conv2d_matrix(C, tap, {1, 2, 3, 4}, 3, 3, spec).ok());
    CHECK(C == std::vector<float>{1, 2, 0, 3, 4, 0, 0, 0, 0,    // y0 = 1 x0 + 2 x1 + 3 x3 + 4 x4
                                  0, 1, 2, 0, 3, 4, 0, 0, 0,    // y1: one column on
                                  0, 0, 0, 1, 2, 0, 3, 4, 0,    // y2: one input row (3 columns) on
                                  0, 0, 0, 0, 1, 2, 0, 3, 4});  // y3
    // Blocks of 2 rows (an output row) x 3 columns (an input row): block (i, j) depends only on
    // j - i, and each block is itself Toeplitz: [[1,2,0],[0,1,2]] on the diagonal, [[3,4,0],[0,3,4]] next to it.
    auto block = [&](int bi, int bj) {
        std::vector<float> b;
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++) b.push_back(C[size_t((bi * 2 + r) * 9 + bj * 3 + c)]);
        return b;
    };
    CHECK(block(0, 0) == std::vector<float>{1, 2, 0, 0, 1, 2});
    CHECK(block(1, 1) == block(0, 0));
    CHECK(block(0, 1) == std::vector<float>{3, 4, 0, 0, 3, 4});
    CHECK(block(1, 2) == block(0, 1));
    CHECK(block(0, 2) == std::vector<float>(6, 0.0f));
    CHECK(block(1, 0) == std::vector<float>(6, 0.0f));
    ConvMatrixCounts counts = conv_matrix_counts(tap, 4, 9, 4);
    CHECK(counts.dense == 36);    // 4 x 9
    CHECK(counts.nonzero == 16);  // 4 outputs x 4 weights, no padding
    CHECK(counts.window == 16);
    // with padding 1: 4x4 outputs; the corner output reads only x0 (weight 4, tap 3): the rest is padding
    spec.rows = conv_axis(2, 1, 1, 1);
    spec.cols = conv_axis(2, 1, 1, 1);
    REQUIRE(conv2d_matrix(C, tap, {1, 2, 3, 4}, 3, 3, spec).ok());
    CHECK(std::vector<float>(C.begin(), C.begin() + 9) == std::vector<float>{4, 0, 0, 0, 0, 0, 0, 0, 0});
    counts = conv_matrix_counts(tap, 16, 9, 4);
    CHECK(counts.dense == 144);   // 16 x 9
    CHECK(counts.nonzero == 36);  // each of the 9 inputs meets each of the 4 weights once
    CHECK(counts.window == 64);   // 16 windows x 4 taps, padding zeros included
}

// Random one-channel geometries (stride, padding, dilation, flip, non-square) for the comparisons.
struct Case {
    int H, W;
    Conv2dSpec spec;
};
static std::vector<Case> random_cases(uint64_t seed, int n) {
    Rng rng(seed);
    std::vector<Case> cases;
    while (int(cases.size()) < n) {
        Case c;
        c.H = rng.uniform_int(1, 7);
        c.W = rng.uniform_int(1, 7);
        c.spec.rows = conv_axis(rng.uniform_int(1, 4), rng.uniform_int(1, 3), rng.uniform_int(0, 2), rng.uniform_int(1, 3));
        c.spec.cols = conv_axis(rng.uniform_int(1, 4), rng.uniform_int(1, 3), rng.uniform_int(0, 2), rng.uniform_int(1, 3));
        c.spec.flip = rng.uniform() < 0.3f;
        if (conv_output_size(c.H, c.spec.rows) >= 1 && conv_output_size(c.W, c.spec.cols) >= 1) cases.push_back(c);
    }
    return cases;
}

TEST_CASE("matrix: y = Cx is the engine's conv2d, and im2col gives the same, for many geometries") {
    Rng rng(3);
    int strided = 0, padded = 0, dilated = 0;
    for (const Case& k : random_cases(17, 60)) {
        const int KH = k.spec.rows.kernel, KW = k.spec.cols.kernel;
        Tensor inp{{1, 1, k.H, k.W}, random_vec(size_t(k.H * k.W), rng)};
        Tensor weight{{1, 1, KH, KW}, random_vec(size_t(KH * KW), rng)};
        Tensor out;
        REQUIRE(conv2d(out, inp, weight, nullptr, k.spec).ok());
        std::vector<float> C, patches;
        std::vector<int> tap, sources;
        REQUIRE(conv2d_matrix(C, tap, weight.data, k.H, k.W, k.spec).ok());
        const int rows = int(out.data.size()), cols = k.H * k.W;
        REQUIRE(C.size() == size_t(rows * cols));
        std::vector<float> y(rows, 0.0f);
        matrix_times_vector(y.data(), C.data(), inp.data.data(), rows, cols);
        INFO("H " << k.H << " W " << k.W << " k " << KH << "x" << KW << " s " << k.spec.rows.stride << "," << k.spec.cols.stride
                  << " p " << k.spec.rows.pad_before << "," << k.spec.cols.pad_before << " d " << k.spec.rows.dilation << ","
                  << k.spec.cols.dilation << " flip " << k.spec.flip);
        CHECK(max_abs_diff(y, out.data) < 1e-5);
        // im2col: patches w, with w the kernel as the convolution applies it (flipped for a true convolution)
        REQUIRE(im2col(patches, sources, inp.data, k.H, k.W, k.spec).ok());
        std::vector<float> w = weight.data;
        if (k.spec.flip) std::reverse(w.begin(), w.end());
        std::vector<float> y2(rows, 0.0f);
        matrix_times_vector(y2.data(), patches.data(), w.data(), rows, KH * KW);
        CHECK(max_abs_diff(y2, out.data) < 1e-5);
        // each entry of C that is not zero is one product of the sliding window
        ConvMatrixCounts counts = conv_matrix_counts(tap, rows, cols, KH * KW);
        int64_t real = 0;
        for (int s : sources) real += s >= 0;
        CHECK(counts.nonzero == real);
        strided += k.spec.rows.stride > 1 || k.spec.cols.stride > 1;
        padded += k.spec.rows.pad_before > 0 || k.spec.cols.pad_before > 0;
        dilated += k.spec.rows.dilation > 1 || k.spec.cols.dilation > 1;
    }
    CHECK(strided >= 10);  // the random cases do cover each setting
    CHECK(padded >= 10);
    CHECK(dilated >= 10);
}

TEST_CASE("matrix: y = Cx is the engine's conv1d") {
    Rng rng(8);
    for (int trial = 0; trial < 30; trial++) {
        const int L = rng.uniform_int(1, 12);
        ConvAxis a = conv_axis(rng.uniform_int(1, 5), rng.uniform_int(1, 3), rng.uniform_int(0, 2), rng.uniform_int(1, 3));
        if (conv_output_size(L, a) < 1) continue;
        Tensor inp{{1, 1, L}, random_vec(size_t(L), rng)}, weight{{1, 1, a.kernel}, random_vec(size_t(a.kernel), rng)}, out;
        REQUIRE(conv1d(out, inp, weight, nullptr, a, false).ok());
        std::vector<float> C;
        std::vector<int> tap;
        REQUIRE(conv1d_matrix(C, tap, weight.data, L, a, false).ok());
        std::vector<float> y(out.data.size());
        matrix_times_vector(y.data(), C.data(), inp.data.data(), int(y.size()), L);
        CHECK(max_abs_diff(y, out.data) < 1e-5);
    }
}

TEST_CASE("matrix: C^T dy is the engine's conv input gradient and its conv_transpose2d") {
    Rng rng(4);
    int with_output_padding = 0;
    for (const Case& k : random_cases(29, 60)) {
        const int KH = k.spec.rows.kernel, KW = k.spec.cols.kernel;
        if (k.spec.flip) continue;  // conv_transpose2d has no flip; the gradient check below covers C^T alone
        const int OH = int(conv_output_size(k.H, k.spec.rows)), OW = int(conv_output_size(k.W, k.spec.cols));
        std::vector<float> weight = random_vec(size_t(KH * KW), rng);  // (1,1,KH,KW)
        std::vector<float> dy = random_vec(size_t(OH * OW), rng);      // (1,1,OH,OW)
        std::vector<float> inp(size_t(k.H * k.W), 0.0f);               // (1,1,H,W), not used for dinp
        std::vector<float> C;
        std::vector<int> tap;
        REQUIRE(conv2d_matrix(C, tap, weight, k.H, k.W, k.spec).ok());
        std::vector<float> dx(size_t(k.H * k.W));  // (H*W) = C^T dy
        matrix_transposed_times_vector(dx.data(), C.data(), dy.data(), OH * OW, k.H * k.W);
        std::vector<float> dinp(size_t(k.H * k.W), 0.0f);  // (1,1,H,W)
        conv2d_backward(dinp.data(), nullptr, nullptr, dy.data(), inp.data(), weight.data(), 1, 1, k.H, k.W, 1, k.spec);
        CHECK(max_abs_diff(dx, dinp) < 1e-5);
        // conv_transpose2d with the same geometry; output padding picks the size H when the stride
        // skipped the last (H + 2p - span) mod s rows
        ConvTranspose2dSpec t;
        t.rows = k.spec.rows;
        t.cols = k.spec.cols;
        t.output_padding_rows = k.H - int(conv_transpose_output_size(OH, t.rows, 0));
        t.output_padding_cols = k.W - int(conv_transpose_output_size(OW, t.cols, 0));
        if (!check_conv_transpose2d({1, 1, OH, OW}, {1, 1, KH, KW}, nullptr, t).ok()) continue;  // output padding >= s and >= d
        with_output_padding += t.output_padding_rows > 0 || t.output_padding_cols > 0;
        std::vector<float> up(size_t(k.H * k.W), 0.0f);  // (1,1,H,W)
        conv_transpose2d_forward(up.data(), dy.data(), weight.data(), nullptr, 1, 1, OH, OW, 1, t);
        CHECK(max_abs_diff(dx, up) < 1e-5);
    }
    CHECK(with_output_padding >= 3);
    // By hand: 1D, w = [1,2,3] over 5 inputs, dy = [1, 10, 100]: dx = C^T dy = the kernel scattered by each dy
    //   dx = [1, 2+10, 3+20+100, 30+200, 300] = [1, 12, 123, 230, 300]
    std::vector<float> C;
    std::vector<int> tap;
    REQUIRE(conv1d_matrix(C, tap, {1, 2, 3}, 5, conv_axis(3, 1, 0, 1), false).ok());
    std::vector<float> dx(5), dy = {1, 10, 100};
    matrix_transposed_times_vector(dx.data(), C.data(), dy.data(), 3, 5);
    CHECK(dx == std::vector<float>{1, 12, 123, 230, 300});
}

TEST_CASE("matrix: im2col by hand") {
    std::vector<float> patches;
    std::vector<int> sources;
    Conv2dSpec spec;
    spec.rows = conv_axis(2, 1, 0, 1);
    spec.cols = conv_axis(2, 1, 0, 1);
    // [[1,2,0],[0,1,3],[2,0,1]]: output (0,0)'s window is 1 2 / 0 1, (0,1)'s is 2 0 / 1 3, ...
    REQUIRE(im2col(patches, sources, {1, 2, 0, 0, 1, 3, 2, 0, 1}, 3, 3, spec).ok());
    CHECK(patches == std::vector<float>{1, 2, 0, 1, /**/ 2, 0, 1, 3, /**/ 0, 1, 2, 0, /**/ 1, 3, 0, 1});
    CHECK(sources == std::vector<int>{0, 1, 3, 4, /**/ 1, 2, 4, 5, /**/ 3, 4, 6, 7, /**/ 4, 5, 7, 8});
    // padding 1 on a 1x2 input with a 1x2 kernel: windows (pad, x0), (x0, x1), (x1, pad)
    spec.rows = conv_axis(1, 1, 0, 1);
    spec.cols = conv_axis(2, 1, 1, 1);
    REQUIRE(im2col(patches, sources, {5, 7}, 1, 2, spec).ok());
    CHECK(patches == std::vector<float>{0, 5, 5, 7, 7, 0});
    CHECK(sources == std::vector<int>{-1, 0, 0, 1, 1, -1});
    Status s = im2col(patches, sources, {5}, 1, 2, spec);
    CHECK(s.message == "im2col: the input has 1 values but 1x2 needs 2");
}

// ---- the lab, through the API -------------------------------------------------------------------

static json fresh() {
    app_platform().post_event = record_event;
    json s = command({{"lab", "matrix"}, {"reset", true}});
    g_events.clear();
    return s;
}

TEST_CASE("matrix lab: opens on a 2x2 kernel over a 3x3 input, C is 4 x 9") {
    json s = fresh();
    CHECK(s["lab"] == "matrix");
    CHECK(s["input"] == json::parse("[[1,2,0],[0,1,3],[2,0,1]]"));
    CHECK(s["kernel"] == json::parse("[[1,2],[3,4]]"));
    CHECK(s["matrix"] == json::parse("[[1,2,0,3,4,0,0,0,0],[0,1,2,0,3,4,0,0,0],[0,0,0,1,2,0,3,4,0],[0,0,0,0,1,2,0,3,4]]"));
    CHECK(s["taps"][0] == json::parse("[0,1,-1,2,3,-1,-1,-1,-1]"));
    // y0 = 1*1 + 2*2 + 0*3 + 1*4 = 9, y1 = 2 + 0 + 3 + 12 = 17, y2 = 0 + 2 + 6 + 0 = 8, y3 = 1 + 6 + 0 + 4 = 11
    CHECK(s["y"] == json::parse("[9,17,8,11]"));
    CHECK(s["conv_output"] == json::parse("[[9,17],[8,11]]"));
    CHECK(s["matches_conv"] == true);
    CHECK(s["im2col"][1] == json::parse("[2,0,1,3]"));
    CHECK(s["multiplies"] == json{{"dense", 36}, {"nonzero", 16}, {"window", 16}});
    // dy all ones: dx = the column sums of C = [[1, 2+1, 2], [3+1, 4+3+2+1, 4+2], [3, 4+3, 4]]
    CHECK(s["dy"] == json::parse("[[1,1],[1,1]]"));
    CHECK(s["backward"]["dx_matrix"] == json::parse("[[1,3,2],[4,10,6],[3,7,4]]"));
    CHECK(s["backward"]["dx_conv_backward"] == s["backward"]["dx_matrix"]);
    CHECK(s["backward"]["dx_conv_transpose"] == s["backward"]["dx_matrix"]);
    CHECK(s["backward"]["matches"] == true);
    CHECK(s["exercise"].is_null());
    CHECK(s["score"] == json{{"answered", 0}, {"correct", 0}});
    CHECK(s["last_answer"].is_null());
}

TEST_CASE("matrix lab: 1D, stride, padding and the backward pass") {
    fresh();
    json s = command({{"dims", 1}});
    CHECK(s["matrix"] == json::parse("[[1,2,3,0,0],[0,1,2,3,0],[0,0,1,2,3]]"));
    CHECK(s["y"] == json::parse("[14,8,6]"));  // x = 1 2 3 0 1: 1+4+9, 2+6+0, 3+0+3
    s = command({{"stride", 2}, {"padding", 1}});
    // floor((5 + 2 - 2 - 1)/2) + 1 = 3 rows: windows at -1..1, 1..3, 3..5
    CHECK(s["matrix"] == json::parse("[[2,3,0,0,0],[0,1,2,3,0],[0,0,0,1,2]]"));
    CHECK(s["multiplies"] == json{{"dense", 15}, {"nonzero", 7}, {"window", 9}});
    CHECK(s["backward"]["dx_matrix"] == json::parse("[[2,4,2,4,2]]"));  // column sums
    CHECK(s["backward"]["matches"] == true);
    // 6 inputs, stride 2: floor((6 - 3)/2) + 1 = 2 outputs, and the last input is never read;
    // conv_transpose2d needs output padding 1 to give back 6 values
    s = command({{"input", {1, 2, 3, 0, 1, 4}}, {"padding", 0}, {"dy", {1, 10}}});
    CHECK(s["matrix"] == json::parse("[[1,2,3,0,0,0],[0,0,1,2,3,0]]"));
    CHECK(s["backward"]["dx_matrix"] == json::parse("[[1,2,13,20,30,0]]"));  // 1*(1 2 3) + 10*(1 2 3) two on
    CHECK(s["backward"]["dx_conv_transpose"] == s["backward"]["dx_matrix"]);
    CHECK(s["backward"]["matches"] == true);
    s = command({{"dilation", 2}, {"stride", 1}});
    CHECK(s["matrix"] == json::parse("[[1,0,2,0,3,0],[0,1,0,2,0,3]]"));
    CHECK(s["dy"] == json::parse("[[1,10]]"));  // same output shape: dy kept
    s = command({{"view", "backward"}, {"row", 1}});
    CHECK(s["view"] == "backward");
    CHECK(s["row"] == 1);
}

TEST_CASE("matrix lab: settings with no output explain why; bad commands change nothing") {
    fresh();
    json s = command({{"kernel", {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}}}});
    CHECK(s["matrix"].is_null());
    CHECK(s["message"].get<std::string>().find("covers 4 rows but the padded input has only 3") != std::string::npos);
    s = command({{"padding", 1}});  // 3 + 2 = 5: room for 2
    CHECK(s["output_size"] == json::array({2, 2}));
    CHECK(s["matches_conv"] == true);
    fresh();
    refused({{"view", "graph"}}, "\"view\" must be \"matrix\", \"im2col\" or \"backward\"");
    refused({{"row", 4}}, "\"row\" must be between 0 and 3");
    refused({{"input", std::vector<std::vector<float>>(7, std::vector<float>(7, 1.0f))}}, "at most 6");
    refused({{"kernel", {{1, 2}, {3}}}}, "row 2 has 1 numbers but row 1 has 2");
    refused({{"dy", {{1, 2, 3}}}}, "\"dy\" must match the output: 2 x 2");
    refused({{"stride", 4}}, "\"stride\" must be between 1 and 3");
    refused({{"answer", {1, 2}}}, "there is no exercise to answer");
    refused({{"seed", 1}}, "\"seed\" goes with \"new_exercise\"");
    refused({{"colour", 1}}, "unknown field \"colour\"");
    refused({{"padding", 1}, {"dilation", 0}}, "\"dilation\" must be between 1 and 3");  // neither applied
    CHECK(api_state()["padding"] == 0);
}

TEST_CASE("matrix lab: an exercise, one row right and one wrong") {
    fresh();
    reset_progress();
    json a = command({{"new_exercise", true}, {"seed", 42}});
    CHECK(g_events == std::vector<std::string>{"exercise-new"});
    json b = command({{"new_exercise", true}, {"seed", 9}});
    json c = command({{"new_exercise", true}, {"seed", 42}});
    CHECK(c["exercise"] == a["exercise"]);
    CHECK(b["exercise"] != a["exercise"]);
    const int row = c["exercise"]["row"];
    CHECK(c["row"] == row);
    CHECK(c["exercise"]["kernel"] == c["kernel"]);
    const json expected = c["matrix"][size_t(row)];
    // the row is the kernel's weights at the input cells the output reads: check it from im2col's sources
    std::vector<float> from_sources(expected.size(), 0.0f);
    for (size_t t = 0; t < c["im2col_sources"][size_t(row)].size(); t++) {
        const int src = c["im2col_sources"][size_t(row)][t];
        if (src >= 0) from_sources[size_t(src)] = c["weights"][t];
    }
    CHECK(expected == json(from_sources));
    refused({{"row", (row + 1) % int(c["matrix"].size())}}, "answer it first");
    g_events.clear();
    json wrong = expected;
    wrong[0] = wrong[0].get<float>() + 100;  // no named mistake gives that
    json s = command({{"answer", wrong}});
    CHECK(s["last_answer"]["correct"] == false);
    CHECK(s["last_answer"]["wrong"] == json::array({0}));
    CHECK(s["last_answer"]["expected"] == expected);
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("Not quite: 1 of the ") == 0);
    s = command({{"answer", expected}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("Right: y" + std::to_string(row) + " = ") == 0);
    CHECK(s["score"] == json{{"answered", 2}, {"correct", 1}});
    CHECK(g_events == std::vector<std::string>{"answer", "answer"});
    CHECK(progress()["matrix"] == json{{"answered", 2}, {"correct", 1}});
    refused({{"answer", {1, 2}}}, "numbers, one per input cell in reading order (it has 2)");
    refused({{"answer", "1 2 3"}}, "\"answer\" must be a list of numbers");
    s = command({{"stride", 1}, {"padding", 0}, {"dilation", 1}, {"input", {{1, 2, 0}, {0, 1, 3}, {2, 0, 1}}}});
    CHECK(s["exercise"].is_null());  // changing the problem ends the exercise
    reset_progress();
}

TEST_CASE("matrix lab: a state sent back as a command gives the same state") {
    fresh();
    json s = command({{"stride", 2}, {"padding", 1}, {"view", "im2col"}, {"row", 3}});
    command({{"reset", true}});
    json back = command(s);
    CHECK(back == s);
}

static void draw_frames(int frames) { draw_app_frames(frames); }

TEST_CASE("matrix lab: draws every view without a GPU") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    fresh();
    for (const char* v : {"matrix", "im2col", "backward"}) {
        command({{"view", v}});
        draw_frames(2);
    }
    command({{"input", std::vector<std::vector<float>>(6, std::vector<float>(6, 1.0f))}, {"kernel", {{1}}}, {"padding", 2}});
    CHECK(api_state()["output_size"] == json::array({10, 10}));  // C is 100 x 36
    draw_frames(2);
    command({{"kernel", {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}}}, {"padding", 0}, {"input", {{1, 2}, {3, 4}}}});
    draw_frames(2);  // no output
    command({{"new_exercise", true}, {"seed", 5}});
    draw_frames(2);
    command({{"answer", std::vector<float>(size_t(api_state()["x"].size()), 0.0f)}});
    draw_frames(2);
    command({{"dims", 1}});
    draw_frames(2);
    ImGui::DestroyContext();
    fresh();
}
