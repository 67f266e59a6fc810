// arithmetic_test.cpp — the convolution-arithmetic engine functions (engine/conv_arithmetic.h) with
// sizes worked out by hand, checked against the engine's conv2d and conv_transpose2d, and the
// "arithmetic" lab driven through the API a course page uses.
#include <doctest/doctest.h>

#include <imgui.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "../engine/conv_arithmetic.h"
#include "../web/app.h"
#include "lab_test_util.h"
#include "test_util.h"

// ---- the engine ---------------------------------------------------------------------------------

TEST_CASE("arithmetic: the output-size formula with the numbers substituted") {
    // valid: floor((5 + 0 - 1*(3-1) - 1)/1) + 1 = 3, the same as Y = I - k + 1 = 5 - 3 + 1 = 3
    CHECK(conv_output_size_formula(5, conv_axis(3, 1, 0, 1)) == "floor((5 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 3");
    CHECK(valid_output_size_formula(5, 3) == "Y = I - k + 1 = 5 - 3 + 1 = 3");
    // same: floor((5 + 2 - 2 - 1)/1) + 1 = 5
    CHECK(conv_output_size_formula(5, conv_axis(3, 1, 1, 1)) == "floor((5 + 2*1 - 1*(3-1) - 1) / 1) + 1 = 5");
    // full: floor((5 + 4 - 2 - 1)/1) + 1 = 7
    CHECK(conv_output_size_formula(5, conv_axis(3, 1, 2, 1)) == "floor((5 + 2*2 - 1*(3-1) - 1) / 1) + 1 = 7");
    // strided: floor((5 + 2 - 2 - 1)/2) + 1 = floor(4/2) + 1 = 3
    CHECK(conv_output_size_formula(5, conv_axis(3, 2, 1, 1)) == "floor((5 + 2*1 - 1*(3-1) - 1) / 2) + 1 = 3");
    // strided, not even: floor((6 - 2 - 1)/2) + 1 = floor(3/2) + 1 = 2 (the last column is never reached)
    CHECK(conv_output_size_formula(6, conv_axis(3, 2, 0, 1)) == "floor((6 + 2*0 - 1*(3-1) - 1) / 2) + 1 = 2");
    // dilated: a 3-tap kernel with d = 2 spans 2*(3-1)+1 = 5: floor((7 - 4 - 1)/1) + 1 = 3
    CHECK(conv_output_size_formula(7, conv_axis(3, 1, 0, 2)) == "floor((7 + 2*0 - 2*(3-1) - 1) / 1) + 1 = 3");
    // too big a kernel: floor((3 - 4 - 1)/1) + 1 = -1
    CHECK(conv_output_size_formula(3, conv_axis(5, 1, 0, 1)) == "floor((3 + 2*0 - 1*(5-1) - 1) / 1) + 1 = -1 (no output)");
    CHECK(valid_output_size_formula(3, 5) == "Y = I - k + 1 = 3 - 5 + 1 = -1 (no output)");
    // floor, not truncation, below zero: floor((2 - 4 - 1)/2) + 1 = floor(-3/2) + 1 = -2 + 1 = -1
    CHECK(conv_output_size_formula(2, conv_axis(5, 2, 0, 1)) == "floor((2 + 2*0 - 1*(5-1) - 1) / 2) + 1 = -1 (no output)");
    // "same" with an even kernel pads 0 before and 1 after: floor((4 + 0 + 1 - 1 - 1)/1) + 1 = 4
    ConvAxis same2 = make_conv_axis(4, 2, 1, 1, PaddingMode::same, 0);
    CHECK(conv_output_size_formula(4, same2) == "floor((4 + 0 + 1 - 1*(2-1) - 1) / 1) + 1 = 4");
    CHECK(floor_div(-3, 2) == -2);
    CHECK(floor_div(3, 2) == 1);
    CHECK(floor_div(-4, 2) == -2);
}

TEST_CASE("arithmetic: the formula's number is conv_output_size for every setting the lab allows") {
    int checked = 0;
    for (int input = 1; input <= 16; input++)
        for (int k = 1; k <= 7; k++)
            for (int s = 1; s <= 4; s++)
                for (int p = 0; p <= 6; p++)
                    for (int d = 1; d <= 4; d++) {
                        ConvAxis a = conv_axis(k, s, p, d);
                        std::string f = conv_output_size_formula(input, a);
                        int64_t size = conv_output_size(input, a);
                        if (size >= 1) {
                            REQUIRE(f.substr(f.rfind("= ") + 2) == std::to_string(size));
                            checked++;
                        } else {
                            REQUIRE(f.find("(no output)") != std::string::npos);
                        }
                    }
    CHECK(checked > 5000);
}

TEST_CASE("arithmetic: the transposed convolution's size, (I-1)s - 2p + d(k-1) + 1") {
    // (3-1)*2 - 0 + 1*(3-1) + 1 = 7: a 3x3 input, stride 2, grows to 7x7
    CHECK(conv_transpose_output_size_formula(3, conv_axis(3, 2, 0, 1)) == "(3-1)*2 - 2*0 + 1*(3-1) + 1 = 7");
    // (2-1)*1 - 0 + 2 + 1 = 4: stride 1, no padding is the full convolution, I + k - 1
    CHECK(conv_transpose_output_size_formula(2, conv_axis(3, 1, 0, 1)) == "(2-1)*1 - 2*0 + 1*(3-1) + 1 = 4");
    // (3-1)*2 - 2 + 2 + 1 = 5: undoes the strided 5 -> 3 convolution above
    CHECK(conv_transpose_output_size_formula(3, conv_axis(3, 2, 1, 1)) == "(3-1)*2 - 2*1 + 1*(3-1) + 1 = 5");
    // dilated: (3-1)*1 - 0 + 2*(3-1) + 1 = 7
    CHECK(conv_transpose_output_size_formula(3, conv_axis(3, 1, 0, 2)) == "(3-1)*1 - 2*0 + 2*(3-1) + 1 = 7");
    // (1-1)*1 - 2*1 + 0 + 1 = -1: the padding crops everything
    CHECK(conv_transpose_output_size_formula(1, conv_axis(1, 1, 1, 1)) == "(1-1)*1 - 2*1 + 1*(1-1) + 1 = -1 (no output)");
    // A transposed convolution maps a conv's output size back to its input size when the stride divides evenly.
    for (int input = 1; input <= 16; input++)
        for (int k = 1; k <= 5; k++)
            for (int s = 1; s <= 3; s++)
                for (int p = 0; p <= 2; p++) {
                    ConvAxis a = conv_axis(k, s, p, 1);
                    int64_t out = conv_output_size(input, a);
                    if (out < 1 || (input + 2 * p - k) % s != 0) continue;
                    CHECK(conv_transpose_output_size(int(out), a, 0) == input);
                }
}

TEST_CASE("arithmetic: which input cells each output reads") {
    std::vector<int> taps;
    // 5 cells, k 3, s 2, p 1: output o reads 2o-1, 2o, 2o+1 (-1 and 5 are padding zeros)
    REQUIRE(conv_axis_taps(taps, 5, conv_axis(3, 2, 1, 1), "columns").ok());
    CHECK(taps == std::vector<int>{-1, 0, 1, /**/ 1, 2, 3, /**/ 3, 4, 5});
    // 7 cells, k 3, d 2: output o reads o, o+2, o+4
    REQUIRE(conv_axis_taps(taps, 7, conv_axis(3, 1, 0, 2), "columns").ok());
    CHECK(taps == std::vector<int>{0, 2, 4, /**/ 1, 3, 5, /**/ 2, 4, 6});
    Status s = conv_axis_taps(taps, 3, conv_axis(5, 1, 0, 1), "columns");
    CHECK(s.message.find("the kernel window covers 5 columns but the padded input has only 3") != std::string::npos);
    CHECK(taps.size() == 9);  // unchanged on error

    // The taps are the positions conv2d_window reports for every output of a random geometry.
    Rng rng(11);
    for (int trial = 0; trial < 40; trial++) {
        const int H = rng.uniform_int(1, 9), W = rng.uniform_int(1, 9);
        Conv2dSpec spec;
        spec.rows = conv_axis(rng.uniform_int(1, 4), rng.uniform_int(1, 3), rng.uniform_int(0, 2), rng.uniform_int(1, 2));
        spec.cols = conv_axis(rng.uniform_int(1, 4), rng.uniform_int(1, 3), rng.uniform_int(0, 2), rng.uniform_int(1, 2));
        std::vector<int> tr, tc;
        if (!conv_axis_taps(tr, H, spec.rows, "rows").ok() || !conv_axis_taps(tc, W, spec.cols, "columns").ok()) continue;
        Tensor inp{{1, 1, H, W}, random_vec(size_t(H * W), rng)};
        Tensor weight{{1, 1, spec.rows.kernel, spec.cols.kernel}, random_vec(size_t(spec.rows.kernel * spec.cols.kernel), rng)};
        const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                std::vector<ConvTerm> terms;
                REQUIRE(conv2d_window(terms, inp, weight, spec, 0, 0, oy, ox).ok());
                for (const ConvTerm& t : terms) {
                    REQUIRE(t.iy == tr[size_t(oy * spec.rows.kernel + t.ky)]);
                    REQUIRE(t.ix == tc[size_t(ox * spec.cols.kernel + t.kx)]);
                }
            }
    }
}

TEST_CASE("arithmetic: where a transposed convolution scatters each input cell") {
    std::vector<int> targets, overlap;
    // 3 cells, k 3, s 2: cell i writes 2i, 2i+1, 2i+2 of 7; cells 2 and 4 get two products each
    REQUIRE(conv_transpose_axis_targets(targets, 3, conv_axis(3, 2, 0, 1), "columns").ok());
    CHECK(targets == std::vector<int>{0, 1, 2, /**/ 2, 3, 4, /**/ 4, 5, 6});
    conv_transpose_axis_overlap(overlap, targets, 7);
    CHECK(overlap == std::vector<int>{1, 1, 2, 1, 2, 1, 1});
    // padding 1 crops one cell from each side: targets shift by -1 and the output is 5
    REQUIRE(conv_transpose_axis_targets(targets, 3, conv_axis(3, 2, 1, 1), "columns").ok());
    CHECK(targets == std::vector<int>{-1, 0, 1, /**/ 1, 2, 3, /**/ 3, 4, 5});
    conv_transpose_axis_overlap(overlap, targets, 5);
    CHECK(overlap == std::vector<int>{1, 2, 1, 2, 1});
    Status s = conv_transpose_axis_targets(targets, 1, conv_axis(1, 1, 1, 1), "columns");
    CHECK(s.message.find("spreads the input over 1 columns, and the padding crops 2") != std::string::npos);

    // The targets are where conv_transpose2d puts a lone 1 (kernel of ones) for random geometries.
    Rng rng(5);
    for (int trial = 0; trial < 40; trial++) {
        const int H = rng.uniform_int(1, 4), W = rng.uniform_int(1, 4);
        ConvTranspose2dSpec spec;
        spec.rows = conv_axis(rng.uniform_int(1, 4), rng.uniform_int(1, 3), rng.uniform_int(0, 1), rng.uniform_int(1, 2));
        spec.cols = conv_axis(rng.uniform_int(1, 4), rng.uniform_int(1, 3), rng.uniform_int(0, 1), rng.uniform_int(1, 2));
        std::vector<int> tr, tc;
        if (!conv_transpose_axis_targets(tr, H, spec.rows, "rows").ok() || !conv_transpose_axis_targets(tc, W, spec.cols, "columns").ok())
            continue;
        const int OH = int(conv_transpose_output_size(H, spec.rows, 0)), OW = int(conv_transpose_output_size(W, spec.cols, 0));
        const int KH = spec.rows.kernel, KW = spec.cols.kernel;
        std::vector<float> weight(size_t(KH * KW), 1.0f);  // (1,1,KH,KW)
        const int iy = rng.uniform_int(0, H - 1), ix = rng.uniform_int(0, W - 1);
        std::vector<float> inp(size_t(H * W), 0.0f);  // (1,1,H,W) one-hot at (iy, ix)
        inp[size_t(iy * W + ix)] = 1.0f;
        std::vector<float> out(size_t(OH * OW), 0.0f);  // (1,1,OH,OW)
        conv_transpose2d_forward(out.data(), inp.data(), weight.data(), nullptr, 1, 1, H, W, 1, spec);
        std::vector<float> expected(size_t(OH * OW), 0.0f);
        for (int ky = 0; ky < KH; ky++)
            for (int kx = 0; kx < KW; kx++) {
                const int oy = tr[size_t(iy * KH + ky)], ox = tc[size_t(ix * KW + kx)];
                if (oy >= 0 && oy < OH && ox >= 0 && ox < OW) expected[size_t(oy * OW + ox)] += 1.0f;
            }
        CHECK(out == expected);
    }
}

// ---- the lab, through the API -------------------------------------------------------------------

static json fresh() {
    g_events.clear();
    app_platform().post_event = record_event;
    json s = command({{"lab", "arithmetic"}, {"reset", true}});
    g_events.clear();
    return s;
}

TEST_CASE("arithmetic lab: opens on a valid 3x3 kernel over a 5x5 input") {
    json s = fresh();
    CHECK(s["lab"] == "arithmetic");
    CHECK(s["input"] == json::array({5, 5}));
    CHECK(s["kernel"] == 3);
    CHECK(s["output_size"] == json::array({3, 3}));
    CHECK(s["formula"]["rows"] == "floor((5 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 3");
    CHECK(s["formula"]["short"] == "Y = I - k + 1 = 5 - 3 + 1 = 3");
    CHECK(s["playing"] == true);  // the animation runs from the start
    CHECK(s["exercise"].is_null());
    CHECK(s["score"] == json{{"answered", 0}, {"correct", 0}});
    CHECK(s["last_answer"].is_null());
    s = command({{"position", {1, 2}}});
    // output [1,2] reads rows 1..3, columns 2..4
    CHECK(s["reads"] == json::parse("[[1,2],[1,3],[1,4],[2,2],[2,3],[2,4],[3,2],[3,3],[3,4]]"));
    CHECK(s["playing"] == false);  // choosing a cell stops the animation
}

TEST_CASE("arithmetic lab: the presets of the convolution-arithmetic guide") {
    fresh();
    json s = command({{"preset", "same"}});
    CHECK(s["output_size"] == json::array({5, 5}));
    CHECK(s["padding"] == "same");
    CHECK(s["padding_sides"] == json{{"top", 1}, {"bottom", 1}, {"left", 1}, {"right", 1}});
    s = command({{"preset", "full"}});
    CHECK(s["output_size"] == json::array({7, 7}));  // 5 + 2*2 - 2 - 1 + 1
    CHECK(s["formula"]["cols"] == "floor((5 + 2*2 - 1*(3-1) - 1) / 1) + 1 = 7");
    s = command({{"preset", "strided"}, {"position", {0, 0}}});
    CHECK(s["output_size"] == json::array({3, 3}));  // floor((5 + 2 - 2 - 1)/2) + 1
    CHECK(s["reads"] == json::parse("[[-1,-1],[-1,0],[-1,1],[0,-1],[0,0],[0,1],[1,-1],[1,0],[1,1]]"));  // the corner, half padding
    s = command({{"position", {1, 1}}});
    CHECK(s["reads"][0] == json::array({1, 1}));  // 1*2 - 1: two cells on
    s = command({{"preset", "dilated"}, {"position", {0, 1}}});
    CHECK(s["output_size"] == json::array({3, 3}));  // floor((7 - 2*2 - 1)/1) + 1
    CHECK(s["reads"] == json::parse("[[0,1],[0,3],[0,5],[2,1],[2,3],[2,5],[4,1],[4,3],[4,5]]"));
    s = command({{"preset", "transposed"}, {"position", {1, 1}}});
    CHECK(s["transposed"] == true);
    CHECK(s["output_size"] == json::array({7, 7}));  // (3-1)*2 + 2 + 1
    CHECK(s["formula"]["rows"] == "(3-1)*2 - 2*0 + 1*(3-1) + 1 = 7");
    CHECK(s["formula"]["short"].is_null());
    CHECK(s["writes"] == json::parse("[[2,2],[2,3],[2,4],[3,2],[3,3],[3,4],[4,2],[4,3],[4,4]]"));  // 2*1 + 0..2
    s = command({{"padding", 1}, {"position", {0, 0}}});
    CHECK(s["output_size"] == json::array({5, 5}));
    CHECK(s["writes"] == json::parse("[[0,0],[0,1],[1,0],[1,1]]"));  // the rest is cropped
    s = command({{"preset", "valid"}, {"dims", 1}, {"input", 8}, {"kernel", 2}, {"stride", 3}});
    CHECK(s["input"] == json::array({1, 8}));
    CHECK(s["output_size"] == json::array({1, 3}));  // floor((8 - 1 - 1)/3) + 1 = 3
    CHECK(s["formula"]["cols"] == "floor((8 + 2*0 - 1*(2-1) - 1) / 3) + 1 = 3");
}

TEST_CASE("arithmetic lab: settings with no output explain why; bad commands change nothing") {
    fresh();
    json s = command({{"input", {3, 3}}, {"kernel", 7}});
    CHECK(s["output_size"].is_null());
    CHECK(s["message"].get<std::string>().find("covers 7 rows but the padded input has only 3") != std::string::npos);
    CHECK(s["reads"] == json::array());
    s = command({{"padding", 2}});  // 3 + 4 = 7 rows: the window just fits
    CHECK(s["output_size"] == json::array({1, 1}));
    s = command({{"transposed", true}, {"padding", "same"}});
    CHECK(s["message"].get<std::string>().find("takes its padding as a number") != std::string::npos);
    s = command({{"padding", 6}, {"kernel", 1}, {"input", {1, 1}}});
    CHECK(s["message"].get<std::string>().find("the padding crops 12 of them away") != std::string::npos);
    fresh();
    refused({{"stride", 5}}, "\"stride\" must be between 1 and 4");
    refused({{"kernel", 0}}, "\"kernel\" must be between 1 and 7");
    refused({{"padding", 7}}, "\"padding\" must be between 0 and 6");
    refused({{"padding", "sometimes"}}, "one of \"valid\", \"same\", \"full\"");
    refused({{"input", {17, 3}}}, "\"input\" rows must be a whole number between 1 and 16");
    refused({{"input", "big"}}, "\"input\" must be [rows, cols]");
    refused({{"strdie", 1}}, "unknown field \"strdie\"");
    refused({{"preset", "fancy"}}, "no preset \"fancy\"");
    refused({{"answer", {3, 3}}}, "there is no exercise to answer");
    refused({{"seed", 3}}, "\"seed\" goes with \"new_exercise\"");
    refused({{"position", {3, 0}}}, "position [3, 0] is outside the output (3 x 3)");
    refused({{"kernel", 2}, {"dilation", "wide"}}, "\"dilation\" must be a whole number");  // neither applied
    CHECK(api_state()["kernel"] == 3);
}

TEST_CASE("arithmetic lab: an exercise, answered right and wrong") {
    fresh();
    reset_progress();
    json a = command({{"new_exercise", true}, {"seed", 42}});
    CHECK(g_events == std::vector<std::string>{"exercise-new"});
    REQUIRE(a["exercise"].is_object());
    json b = command({{"new_exercise", true}, {"seed", 43}});
    json c = command({{"new_exercise", true}, {"seed", 42}});
    CHECK(c["exercise"] == a["exercise"]);  // the same seed, the same exercise
    CHECK(b["exercise"] != a["exercise"]);
    CHECK(c["last_answer"].is_null());
    // The exercise is the lab's settings; the expected shape is the engine's.
    const json& e = c["exercise"];
    CHECK(e["input"] == c["input"]);
    CHECK(e["kernel"] == c["kernel"]);
    const json expected = e["dims"] == 1 ? c["output_size"][1] : c["output_size"];
    g_events.clear();
    json s = command({{"answer", expected}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["last_answer"]["expected"] == expected);
    CHECK(s["last_answer"]["given"] == expected);
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("Right: ") == 0);
    CHECK(s["score"] == json{{"answered", 1}, {"correct", 1}});
    CHECK(g_events == std::vector<std::string>{"answer"});
    CHECK(progress()["arithmetic"] == json{{"answered", 1}, {"correct", 1}});
    reset_progress();
}

TEST_CASE("arithmetic lab: a worked exercise (2D, then transposed, then 1D)") {
    fresh();
    reset_progress();
    // Find seeds for each kind, then check one of each by hand-checkable formulas.
    int seed_2d = 0, seed_t = 0, seed_1d = 0;
    for (int seed = 1; seed < 200 && (!seed_2d || !seed_t || !seed_1d); seed++) {
        json e = command({{"new_exercise", true}, {"seed", seed}})["exercise"];
        if (e["dims"] == 1 && !seed_1d) seed_1d = seed;
        if (e["dims"] == 2 && e["kind"] == "transposed" && !seed_t) seed_t = seed;
        if (e["dims"] == 2 && e["kind"] == "convolution" && !seed_2d) seed_2d = seed;
    }
    REQUIRE(seed_2d);
    REQUIRE(seed_t);
    REQUIRE(seed_1d);
    g_events.clear();
    for (int seed : {seed_2d, seed_t}) {
        json s = command({{"new_exercise", true}, {"seed", seed}});
        const json& e = s["exercise"];
        const int H = e["input"][0], W = e["input"][1], k = e["kernel"], st = e["stride"], p = e["padding"], d = e["dilation"];
        int rows = 0, cols = 0;
        if (e["kind"] == "convolution") {
            rows = (H + 2 * p - d * (k - 1) - 1) / st + 1;  // numerator >= 0 for a generated exercise
            cols = (W + 2 * p - d * (k - 1) - 1) / st + 1;
        } else {
            rows = (H - 1) * st - 2 * p + d * (k - 1) + 1;
            cols = (W - 1) * st - 2 * p + d * (k - 1) + 1;
        }
        INFO("exercise " << e.dump());
        CHECK(s["output_size"] == json::array({rows, cols}));
        s = command({{"answer", {rows + 50, cols}}});  // 50 rows too many: no named mistake gives that
        CHECK(s["last_answer"]["correct"] == false);
        CHECK(s["last_answer"]["feedback"].get<std::string>().find("Not quite: with ") == 0);
        CHECK(s["last_answer"]["feedback"].get<std::string>().find("the rows are ") != std::string::npos);
        s = command({{"answer", {rows, cols}}});
        CHECK(s["last_answer"]["correct"] == true);
    }
    json s = command({{"new_exercise", true}, {"seed", seed_1d}});
    const int n = s["output_size"][1];
    s = command({{"answer", n}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["last_answer"]["expected"] == n);
    s = command({{"answer", {n + 2}}});
    CHECK(s["last_answer"]["correct"] == false);
    CHECK(s["last_answer"]["given"] == n + 2);
    refused({{"answer", {n, n}}}, "\"answer\" must be a number (the output's length), or [length]");
    CHECK(s["score"] == json{{"answered", 6}, {"correct", 3}});
    CHECK(progress()["arithmetic"] == json{{"answered", 6}, {"correct", 3}});
    CHECK(g_events == std::vector<std::string>{"exercise-new", "answer", "answer", "exercise-new", "answer", "answer",
                                               "exercise-new", "answer", "answer"});
    // Changing a setting ends the exercise: the student is exploring again; the score stays.
    s = command({{"stride", 1}});
    CHECK(s["exercise"].is_null());
    CHECK(s["score"] == json{{"answered", 6}, {"correct", 3}});
    reset_progress();
}

TEST_CASE("arithmetic lab: a state sent back as a command gives the same state") {
    fresh();
    json s = command({{"preset", "strided"}, {"dilation", 2}, {"position", {1, 0}}, {"playing", false}});
    command({{"reset", true}});
    json back = command(s);
    CHECK(back == s);
}

static void draw_frames(int frames) { draw_app_frames(frames, true, 0.25f); }

TEST_CASE("arithmetic lab: draws every case without a GPU; the animation moves and loops") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    fresh();
    draw_frames(3);
    CHECK(api_state()["position"] != json::array({0, 0}));  // 4 steps a second at 0.25 s a frame
    command({{"speed", 10}});
    draw_frames(12);  // 9 cells: it came round again
    for (const char* p : {"same", "full", "strided", "dilated", "transposed"}) {
        command({{"preset", p}});
        draw_frames(2);
    }
    command({{"kernel", 7}, {"input", {2, 2}}});  // no output
    draw_frames(2);
    command({{"input", {16, 16}}, {"transposed", true}, {"stride", 4}, {"padding", 0}, {"dilation", 4}, {"kernel", 7}});
    CHECK(api_state()["output_size"] == json::array({85, 85}));  // (16-1)*4 + 4*6 + 1: too big to draw, noted
    draw_frames(2);
    command({{"new_exercise", true}, {"seed", 3}});
    draw_frames(2);
    command({{"answer", {1, 1}}});
    draw_frames(2);
    ImGui::DestroyContext();
    fresh();
}

// Named mistakes: each known mistake's answer, computed here from the exercise's numbers as a
// student would make it, is named by the lab (the first of them when two give the same answer);
// a right answer names none, a far-off one is "other".
static int64_t floor_divide(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

TEST_CASE("arithmetic lab: a wrong output size names the mistake that gives it") {
    command({{"lab", "arithmetic"}, {"reset", true}});
    const char* ids[] = {"forgot-plus-one", "padding-one-side", "dilation-ignored", "stride-ignored", "rounded-up", "wrong-formula"};
    std::map<std::string, int> named;  // times each id was expected and given
    for (int seed = 1; seed <= 120; seed++) {
        const json x = command({{"new_exercise", true}, {"seed", seed}})["exercise"];
        const bool transposed = x["kind"] == "transposed", one_d = x["dims"] == 1;
        const int64_t k = x["kernel"], s = x["stride"], p = x["padding"], d = x["dilation"];
        // the size each mistake gives along an axis of size I (-1: not a mistake this kind of exercise draws)
        auto sizes = [&](int64_t I) {
            const int64_t conv_right = floor_divide(I + 2 * p - d * (k - 1) - 1, s) + 1, trans_right = (I - 1) * s - 2 * p + d * (k - 1) + 1;
            if (!transposed)
                return std::vector<int64_t>{conv_right, floor_divide(I + 2 * p - d * (k - 1) - 1, s), floor_divide(I + p - d * (k - 1) - 1, s) + 1,
                                            floor_divide(I + 2 * p - (k - 1) - 1, s) + 1, I + 2 * p - d * (k - 1),
                                            -floor_divide(-(I + 2 * p - d * (k - 1) - 1), s) + 1, trans_right};
            return std::vector<int64_t>{trans_right, (I - 1) * s - 2 * p + d * (k - 1), (I - 1) * s - p + d * (k - 1) + 1,
                                        (I - 1) * s - 2 * p + (k - 1) + 1, (I - 1) - 2 * p + d * (k - 1) + 1, -1, conv_right};
        };
        const std::vector<int64_t> rows = sizes(x["input"][0]), cols = sizes(x["input"][1]);
        auto answer = [&](size_t i) { return one_d ? json(cols[i]) : json{rows[i], cols[i]}; };
        std::vector<json> answers;  // [0] right, then one per id
        for (size_t i = 0; i < rows.size(); i++) answers.push_back((!one_d && rows[i] < 0) || cols[i] < 0 ? json(nullptr) : answer(i));
        for (size_t m = 1; m < answers.size(); m++) {
            if (answers[m].is_null() || answers[m] == answers[0]) continue;  // the mistake gives the right size here
            size_t first = m;  // the first id whose answer this is
            for (size_t o = 1; o < m; o++)
                if (answers[o] == answers[m]) first = std::min(first, o);
            const json last = command({{"answer", answers[m]}})["last_answer"];
            INFO("seed " << seed << ", " << std::string(ids[m - 1]) << ": " << answers[m].dump() << " -> " << last.dump());
            CHECK(last["correct"] == false);
            CHECK(last["mistake"]["id"] == ids[first - 1]);
            CHECK(last["feedback"] == last["mistake"]["text"]);
            named[ids[m - 1]] += first == m;
        }
        const json right = command({{"answer", answers[0]}})["last_answer"];
        CHECK(right["mistake"].is_null());
        const json far = command({{"new_exercise", true}, {"seed", seed}, {"answer", one_d ? json(99) : json{99, 99}}})["last_answer"];
        CHECK(far["mistake"]["id"] == "other");
    }
    for (const char* id : ids) {
        INFO(id << " named " << named[id] << " times");
        CHECK(named[id] >= 3);  // every mistake met, on its own, in several exercises
    }
    CHECK(api_state()["mistakes"]["forgot-plus-one"].get<int>() >= named["forgot-plus-one"]);
}
