// pooling_test.cpp — engine/pool.h (checked pooling, the window of a cell, shifting) against values
// worked out by hand, the shift behaviour of convolution and max pooling, and the pooling lab
// driven through the page's API (cnnlab.command / state) with no GPU and no window.
#include <doctest/doctest.h>

#include <imgui.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../engine/ops.h"
#include "../engine/pool.h"
#include "../web/app.h"
#include "lab_test_util.h"
#include "test_util.h"

// The lab's default grid, the classic 4x4 example.
static Tensor example_grid() { return grid({{1, 1, 2, 4}, {5, 6, 7, 8}, {3, 2, 1, 0}, {1, 2, 3, 4}}); }

TEST_CASE("pool: max pooling 2x2, stride 2, and which input won each window") {
    Tensor out;
    std::vector<int32_t> argmax;
    REQUIRE(maxpool2d(out, argmax, example_grid(), make_pool2d_spec(2, 2, 0)).ok());
    // max(1,1,5,6) = 6   max(2,4,7,8) = 8
    // max(3,2,1,2) = 3   max(1,0,3,4) = 4
    check_tensor(out, {1, 1, 2, 2}, {6, 8, 3, 4});
    // winners as iy*W + ix with W = 4: 6 at (1,1) = 5, 8 at (1,3) = 7, 3 at (2,0) = 8, 4 at (3,3) = 15
    CHECK(argmax == std::vector<int32_t>{5, 7, 8, 15});
}

TEST_CASE("pool: ties go to the first maximum in reading order; negative maps work") {
    Tensor out;
    std::vector<int32_t> argmax;
    REQUIRE(maxpool2d(out, argmax, grid({{2, 2}, {2, 2}}), make_pool2d_spec(2, 2, 0)).ok());
    CHECK(argmax == std::vector<int32_t>{0});
    REQUIRE(maxpool2d(out, argmax, grid({{-3, -1}, {-2, -5}}), make_pool2d_spec(2, 2, 0)).ok());
    check_tensor(out, {1, 1, 1, 1}, {-1});  // the largest of four negatives, not 0
    CHECK(argmax == std::vector<int32_t>{1});
}

TEST_CASE("pool: overlapping windows (3x3, stride 1) and padding") {
    Tensor out;
    std::vector<int32_t> argmax;
    REQUIRE(maxpool2d(out, argmax, example_grid(), make_pool2d_spec(3, 1, 0)).ok());
    // rows 0-2 x cols 0-2: max(1,1,2,5,6,7,3,2,1) = 7   rows 0-2 x cols 1-3: max(1,2,4,6,7,8,2,1,0) = 8
    // rows 1-3 x cols 0-2: max(5,6,7,3,2,1,1,2,3) = 7   rows 1-3 x cols 1-3: max(6,7,8,2,1,0,2,3,4) = 8
    check_tensor(out, {1, 1, 2, 2}, {7, 8, 7, 8});
    // padding 1, window 2, stride 2: 6x6 padded, 3x3 out; the corner windows hold one real cell each
    REQUIRE(maxpool2d(out, argmax, example_grid(), make_pool2d_spec(2, 2, 1)).ok());
    // [1] [1,2] [4] / [5,3] [6,7,2,1] [8,0] / [1] [2,3] [4]
    check_tensor(out, {1, 1, 3, 3}, {1, 2, 4, 5, 7, 8, 1, 3, 4});
    Tensor avg;
    REQUIRE(avgpool2d(avg, example_grid(), make_pool2d_spec(2, 2, 1)).ok());
    // padding counts as 0 and every window divides by 4: 1/4, (1+2)/4, 4/4 / (5+3)/4, (6+7+2+1)/4, (8+0)/4 / 1/4, (2+3)/4, 4/4
    check_tensor(avg, {1, 1, 3, 3}, {0.25f, 0.75f, 1, 2, 4, 2, 0.25f, 1.25f, 1});
}

TEST_CASE("pool: average and global average pooling") {
    Tensor out;
    REQUIRE(avgpool2d(out, example_grid(), make_pool2d_spec(2, 2, 0)).ok());
    // (1+1+5+6)/4 = 3.25   (2+4+7+8)/4 = 5.25
    // (3+2+1+2)/4 = 2      (1+0+3+4)/4 = 2
    check_tensor(out, {1, 1, 2, 2}, {3.25f, 5.25f, 2, 2});
    REQUIRE(global_avgpool(out, example_grid()).ok());
    // rows add to 8, 26, 6, 10: 50 / 16 = 3.125
    check_tensor(out, {1, 1, 1, 1}, {3.125f});
    // two channels: one mean each
    Tensor two{{1, 2, 1, 2}, {1, 3, 10, 20}};
    REQUIRE(global_avgpool(out, two).ok());
    check_tensor(out, {1, 2, 1, 1}, {2, 15});  // (1+3)/2, (10+20)/2
}

TEST_CASE("pool: bad settings are messages, and leave the output alone") {
    Tensor out{{1}, {42}};
    std::vector<int32_t> argmax{7};
    Status s = maxpool2d(out, argmax, example_grid(), make_pool2d_spec(5, 1, 0));
    REQUIRE_FALSE(s.ok());
    CHECK(s.message.find("the kernel window covers 5 rows but the padded input has only 4") != std::string::npos);
    s = maxpool2d(out, argmax, example_grid(), make_pool2d_spec(2, 2, 2));
    CHECK(s.message.find("padding 2 is more than half the kernel size 2") != std::string::npos);
    s = avgpool2d(out, example_grid(), make_pool2d_spec(2, 0, 0));
    CHECK(s.message.find("stride must be at least 1") != std::string::npos);
    Pool2dSpec dilated = make_pool2d_spec(2, 1, 0);
    dilated.rows.dilation = 2;
    s = avgpool2d(out, example_grid(), dilated);
    CHECK(s.message.find("dilation must be 1") != std::string::npos);
    Tensor broken{{1, 1, 2, 2}, {1, 2, 3}};  // 3 values for a 2x2 shape
    s = global_avgpool(out, broken);
    CHECK(s.message.find("holds 3 values but its shape (1,1,2,2) needs 4") != std::string::npos);
    CHECK(out.data == std::vector<float>{42});
    CHECK(argmax == std::vector<int32_t>{7});
}

TEST_CASE("pool: the window of one output cell") {
    std::vector<PoolTerm> terms;
    REQUIRE(pool2d_window(terms, example_grid(), make_pool2d_spec(2, 2, 0), 0, 0, 0, 1).ok());
    // output [0,1] pools rows 0-1, columns 2-3: 2, 4 / 7, 8
    REQUIRE(terms.size() == 4);
    CHECK(terms[0].iy == 0);
    CHECK(terms[0].ix == 2);
    CHECK(terms[3].iy == 1);
    CHECK(terms[3].ix == 3);
    std::vector<float> values;
    for (const PoolTerm& t : terms) values.push_back(t.input);
    CHECK(values == std::vector<float>{2, 4, 7, 8});
    REQUIRE(pool2d_window(terms, example_grid(), make_pool2d_spec(2, 2, 1), 0, 0, 0, 0).ok());
    // with padding 1 the first window is 3 padding cells and input [0,0]
    CHECK(terms[0].padding);
    CHECK(terms[3].padding == false);
    CHECK(terms[3].input == 1);
    Status s = pool2d_window(terms, example_grid(), make_pool2d_spec(2, 2, 0), 0, 0, 2, 0);
    CHECK(s.message.find("outside the output (1,1,2,2)") != std::string::npos);
}

TEST_CASE("pool: shift2d moves a picture and fills with zeros") {
    Tensor out;
    REQUIRE(shift2d(out, grid({{1, 2}, {3, 4}}), 0, 1).ok());
    check_tensor(out, {1, 1, 2, 2}, {0, 1, 0, 3});  // one to the right: the left column is new, 2 and 4 fall off
    REQUIRE(shift2d(out, grid({{1, 2}, {3, 4}}), 1, 0).ok());
    check_tensor(out, {1, 1, 2, 2}, {0, 0, 1, 2});  // one down
    REQUIRE(shift2d(out, grid({{1, 2}, {3, 4}}), -1, -1).ok());
    check_tensor(out, {1, 1, 2, 2}, {4, 0, 0, 0});  // up and left: only 4 stays, at the top left
}

// A plus sign on 8x8 with its centre at (row, col), and the filter that finds it.
static Tensor plus_at(int row, int col) {
    std::vector<std::vector<float>> rows(8, std::vector<float>(8, 0.0f));
    rows[size_t(row - 1)][size_t(col)] = rows[size_t(row)][size_t(col - 1)] = rows[size_t(row)][size_t(col)] = 1;
    rows[size_t(row)][size_t(col + 1)] = rows[size_t(row + 1)][size_t(col)] = 1;
    return grid(rows);
}

static Tensor plus_detector(const Tensor& image) {  // ReLU(conv(image, plus, bias -4)), same padding
    Tensor weight = grid({{0, 1, 0}, {1, 1, 1}, {0, 1, 0}}), bias{{1}, {-4}}, out;
    Conv2dSpec spec;
    spec.rows = spec.cols = make_conv_axis(8, 3, 1, 1, PaddingMode::same, 0);
    REQUIRE(conv2d(out, image, weight, &bias, spec).ok());
    relu_forward(out.data.data(), out.data.data(), out.numel());
    return out;
}

TEST_CASE("shift: convolution moves with the input, max pooling often does not") {
    const Tensor image = plus_at(2, 2);
    Tensor conv = plus_detector(image);
    // the filter fires only on the whole plus: 5 ones - 4 = 1 at its centre, nothing elsewhere
    std::vector<float> expected(64, 0.0f);
    expected[2 * 8 + 2] = 1;
    check_tensor(conv, {1, 1, 8, 8}, expected);
    Tensor pooled, pooled_moved, moved, moved_conv;
    std::vector<int32_t> argmax;
    REQUIRE(maxpool2d(pooled, argmax, conv, make_pool2d_spec(2, 2, 0)).ok());
    // peak (2,2) is in the 2x2 block (1,1)
    check_tensor(pooled, {1, 1, 4, 4}, {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});

    // one to the right: conv output moved by one (equivariance) ...
    REQUIRE(shift2d(moved, image, 0, 1).ok());
    Tensor conv_of_moved = plus_detector(moved);
    REQUIRE(shift2d(moved_conv, conv, 0, 1).ok());
    CHECK(conv_of_moved.data == moved_conv.data);
    // ... but the peak (2,3) is still in block (1,1): the max-pooled output is exactly the same
    REQUIRE(maxpool2d(pooled_moved, argmax, conv_of_moved, make_pool2d_spec(2, 2, 0)).ok());
    CHECK(pooled_moved.data == pooled.data);

    // one to the left: the peak (2,1) crosses into block (1,0), and the pooled output changes
    REQUIRE(shift2d(moved, image, 0, -1).ok());
    REQUIRE(maxpool2d(pooled_moved, argmax, plus_detector(moved), make_pool2d_spec(2, 2, 0)).ok());
    check_tensor(pooled_moved, {1, 1, 4, 4}, {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("shift: convolution is equivariant on any picture with a zero border") {
    Rng rng(11);
    std::vector<std::vector<float>> rows(10, std::vector<float>(10, 0.0f));
    for (int r = 3; r < 7; r++)
        for (int c = 3; c < 7; c++) rows[size_t(r)][size_t(c)] = rng.uniform() * 2 - 1;
    const Tensor image = grid(rows);
    Tensor weight{{1, 1, 3, 3}, random_vec(9, rng)};
    Conv2dSpec spec;
    spec.rows = spec.cols = make_conv_axis(10, 3, 1, 1, PaddingMode::same, 0);
    Tensor conv, moved, conv_of_moved, moved_conv;
    REQUIRE(conv2d(conv, image, weight, nullptr, spec).ok());
    REQUIRE(shift2d(moved, image, 1, 2).ok());
    REQUIRE(conv2d(conv_of_moved, moved, weight, nullptr, spec).ok());
    REQUIRE(shift2d(moved_conv, conv, 1, 2).ok());
    CHECK(max_abs_diff(conv_of_moved.data, moved_conv.data) == 0.0);  // the same sums in the same order
}

// ---- the lab ------------------------------------------------------------------------------------

// Commands to the pooling lab (opened by them), through tests/lab_test_util.h.
static json pool(const json& c) {
    json full = c;
    full["lab"] = "pooling";
    return command(full);
}

static void pool_refused(const json& c, const std::string& message_part) {
    pool({});  // the pooling lab is open
    refused(c, message_part);
}

static json pool_fresh() {
    json s = pool({{"reset", true}});
    g_events.clear();
    app_platform().post_event = record_event;
    return s;
}

TEST_CASE("pooling lab: opens on the 4x4 example, max pooled, winners marked") {
    json s = pool_fresh();
    CHECK(s["lab"] == "pooling");
    CHECK(s["kind"] == "max");
    CHECK(s["kernel"] == 2);
    CHECK(s["stride"] == 2);
    CHECK(s["output"] == json::parse("[[6,8],[3,4]]"));
    CHECK(s["winners"] == json::parse("[[[1,1],[1,3]],[[2,0],[3,3]]]"));
    CHECK(s["window"]["expression"] == "max(1, 1, 5, 6) = 6");
    CHECK(s["window"]["cells"] == json::parse("[[0,0],[0,1],[1,0],[1,1]]"));
    CHECK(s["exercise"].is_null());
    CHECK(s["score"] == json::parse(R"({"answered": 0, "correct": 0})"));
    CHECK(s["last_answer"].is_null());
    s = pool({{"position", {1, 1}}});
    CHECK(s["window"]["expression"] == "max(1, 0, 3, 4) = 4");
}

TEST_CASE("pooling lab: average, global average, other windows, and settings with no output") {
    pool_fresh();
    json s = pool({{"kind", "average"}});
    CHECK(s["output"] == json::parse("[[3.25,5.25],[2,2]]"));  // (1+1+5+6)/4, (2+4+7+8)/4, (3+2+1+2)/4, (1+0+3+4)/4
    CHECK(s["window"]["expression"] == "(1 + 1 + 5 + 6) / 4 = 3.25");
    CHECK(s["winners"].is_null());
    s = pool({{"kind", "global-average"}});
    CHECK(s["output"] == json::parse("[[3.125]]"));  // 50 / 16
    CHECK(s["window"]["expression"] == "(1 + 1 + 2 + 4 + 5 + 6 + 7 + 8 + 3 + 2 + 1 + 0 + 1 + 2 + 3 + 4) / 16 = 3.125");
    s = pool({{"kind", "max"}, {"kernel", 3}, {"stride", 1}});
    CHECK(s["output"] == json::parse("[[7,8],[7,8]]"));
    s = pool({{"kernel", 2}, {"stride", 2}, {"padding", 1}});
    CHECK(s["output"] == json::parse("[[1,2,4],[5,7,8],[1,3,4]]"));
    CHECK(s["window"]["expression"] == "max(1) = 1");  // three of its four cells are padding, which never wins
    s = pool({{"kernel", 5}, {"padding", 0}});
    CHECK(s["output"].is_null());
    CHECK(s["message"].get<std::string>().find("the kernel window covers 5 rows") != std::string::npos);
    s = pool({{"grid", {{1, 2, 3}, {4, 5, 6}}}, {"kernel", 2}, {"stride", 1}});
    CHECK(s["output"] == json::parse("[[5,6]]"));
}

TEST_CASE("pooling lab: bad commands are refused and change nothing") {
    pool_fresh();
    pool_refused({{"kind", "min"}}, "\"kind\" must be \"max\", \"average\" or \"global-average\"");
    pool_refused({{"kernel", 0}}, "\"kernel\" must be between 1 and 6");
    pool_refused({{"stride", 2.5}}, "\"stride\" must be a whole number");
    pool_refused({{"grid", json::array()}}, "\"grid\" must be rows of numbers");
    pool_refused({{"grid", std::vector<std::vector<float>>(13, std::vector<float>(2, 1.0f))}}, "13 rows; at most 12");
    pool_refused({{"position", {2, 0}}}, "position [2, 0] is outside the pooled output (2 x 2)");
    pool_refused({{"shift", {0, 9}}}, "\"shift\" must be [down, right]");
    pool_refused({{"photo", "moon"}}, "there is no photo \"moon\"");
    pool_refused({{"colour", 1}}, "unknown field \"colour\"");
    pool_refused({{"answer", {{1, 2}, {3, 4}}}}, "there is no exercise open");
    pool_refused({{"seed", 3}}, "\"seed\" goes with \"new_exercise\"");
    pool_refused({{"kind", "average"}, {"kernel", -1}}, "\"kernel\" must be");  // the valid kind is not half-applied
    CHECK(g_events.empty());
}

TEST_CASE("pooling lab: the shift experiment") {
    json s = pool_fresh();
    // the default shift, one to the right: the conv output moves, the pooled output stays
    CHECK(s["shift"] == json::array({0, 1}));
    const json& x = s["shift_experiment"];
    CHECK(x["conv"][2][2] == 1);          // the plus detector fires at the plus's centre
    CHECK(x["conv_shifted"][2][3] == 1);  // ... one to the right after the shift
    CHECK(x["conv_follows_shift"] == true);
    CHECK(x["pooled"] == x["pooled_shifted"]);
    CHECK(x["pooled_changed_cells"] == 0);
    s = pool({{"shift", {0, -1}}});  // the peak leaves its 2x2 block: (1,1) loses the 1, (1,0) gains it
    CHECK(s["shift_experiment"]["conv_follows_shift"] == true);
    CHECK(s["shift_experiment"]["pooled_changed_cells"] == 2);
    CHECK(s["shift_experiment"]["pooled_shifted"][1] == json::parse("[1,0,0,0]"));
    s = pool({{"shift", {0, -2}}});  // the plus's left arm falls off the picture: the filter finds nothing
    CHECK(s["shift_experiment"]["conv_follows_shift"] == false);
}

// Max or average pooling of rows by hand (no padding), for checking exercises.
static json pool_by_hand(const json& rows, const std::string& kind, int k, int s) {
    const int H = int(rows.size()), W = int(rows[0].size());
    json out = json::array();
    if (kind == "global-average") {
        double sum = 0;
        for (const json& r : rows)
            for (const json& v : r) sum += v.get<double>();
        return json::array({json::array({sum / (H * W)})});
    }
    for (int oy = 0; oy * s + k <= H; oy++) {
        json row = json::array();
        for (int ox = 0; ox * s + k <= W; ox++) {
            double best = -1e9, sum = 0;
            for (int y = 0; y < k; y++)
                for (int x = 0; x < k; x++) {
                    double v = rows[size_t(oy * s + y)][size_t(ox * s + x)].get<double>();
                    best = std::max(best, v);
                    sum += v;
                }
            row.push_back(kind == "max" ? best : sum / (k * k));
        }
        out.push_back(row);
    }
    return out;
}

TEST_CASE("pooling lab: an exercise answered right, wrong, and one cell at a time") {
    reset_progress();
    pool_fresh();
    json s = pool({{"new_exercise", true}, {"seed", 7}});
    CHECK(g_events == std::vector<std::string>{"exercise-new"});
    REQUIRE(s["exercise"].is_object());
    const json x = s["exercise"];
    CHECK(x["seed"] == 7);
    CHECK(s["grid"] == x["grid"]);
    CHECK(s["kind"] == x["kind"]);
    CHECK(pool({{"new_exercise", true}, {"seed", 7}})["exercise"] == x);  // the same seed, the same exercise
    g_events.clear();
    const std::string kind = x["kind"];
    const int k = kind == "global-average" ? 1 : x["kernel"].get<int>(), st = kind == "global-average" ? 1 : x["stride"].get<int>();
    json expected = pool_by_hand(x["grid"], kind, k, st);
    CHECK(s["output_size"] == json::array({int(expected.size()), int(expected[0].size())}));

    s = pool({{"answer", expected}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["last_answer"]["given"] == expected);
    CHECK(s["solved"] == true);
    CHECK(s["score"] == json::parse(R"({"answered": 1, "correct": 1})"));
    CHECK(g_events == std::vector<std::string>{"answer"});

    json wrong = expected;
    wrong[0][0] = wrong[0][0].get<double>() + 1;
    s = pool({{"answer", wrong}});
    CHECK(s["last_answer"]["correct"] == false);
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("1 of ") != std::string::npos);
    CHECK(s["score"] == json::parse(R"({"answered": 2, "correct": 1})"));
    for (size_t r = 0; r < expected.size(); r++)  // the expected grid is the engine's output
        for (size_t c = 0; c < expected[r].size(); c++)
            CHECK(s["last_answer"]["expected"][r][c].get<double>() == doctest::Approx(expected[r][c].get<double>()).epsilon(1e-6));

    s = pool({{"answer", {{"position", {0, 0}}, {"value", expected[0][0]}}}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["position"] == json::array({0, 0}));
    CHECK(g_events == std::vector<std::string>{"answer", "answer", "answer"});
    CHECK(progress()["pooling"] == json::parse(R"({"answered": 3, "correct": 2})"));

    pool_refused({{"answer", {{1, 2, 3}}}}, "\"answer\" must be the pooled grid");
    pool_refused({{"answer", {{"position", {9, 9}}, {"value", 1}}}}, "is outside the pooled output");
    s = pool({{"kind", kind == "max" ? "average" : "max"}});  // a different problem ends the exercise
    CHECK(s["exercise"].is_null());
    CHECK(s["score"] == json::parse(R"({"answered": 3, "correct": 2})"));
    s = pool({{"reset", true}});
    CHECK(s["score"] == json::parse(R"({"answered": 0, "correct": 0})"));
    reset_progress();
}

TEST_CASE("pooling lab: typical answers - a known 4x4 exercise by seed covers max, average and global") {
    // every seed gives a problem the engine can pool, and a 1x1 answer may be a plain number
    std::vector<std::string> kinds;
    for (int seed = 1; seed <= 40; seed++) {
        json s = pool({{"new_exercise", true}, {"seed", seed}});
        REQUIRE(s["message"].is_null());
        REQUIRE(s["output_size"][0].get<int>() <= 4);
        kinds.push_back(s["kind"]);
        if (s["kind"] == "global-average") {
            json answer = s["output"][0][0];
            CHECK(pool({{"answer", answer}})["last_answer"]["correct"] == true);
        }
    }
    CHECK(std::count(kinds.begin(), kinds.end(), "max") > 5);
    CHECK(std::count(kinds.begin(), kinds.end(), "average") > 5);
    CHECK(std::count(kinds.begin(), kinds.end(), "global-average") > 1);
    pool({{"reset", true}});
    reset_progress();
}

static std::vector<std::string> g_pictures_asked;
static void record_picture_request(const std::string& name) { g_pictures_asked.push_back(name); }

TEST_CASE("pooling lab: a photo's feature map, and a built-in picture while there is none") {
    pool_fresh();
    // no platform here: the photo cannot be loaded, and the lab says so and pools its own picture
    json s = pool({{"source", "photo"}});
    CHECK(s["source"] == "photo");
    CHECK(s["photo_loaded"].is_null());
    CHECK(s["note"].get<std::string>().find("could not be used") != std::string::npos);
    CHECK(s["input_size"] == json::array({32, 32}));
    CHECK(s["output_size"] == json::array({16, 16}));
    for (int r = 0; r < 16; r++)  // each pooled value is the value of its winner
        for (int c = 0; c < 16; c++) {
            const json& at = s["winners"][size_t(r)][size_t(c)];
            CHECK(s["output"][size_t(r)][size_t(c)] == s["input"][at[0].get<size_t>()][at[1].get<size_t>()]);
        }

    // a platform that answers later, as the browser does: a 68x68 photo, black left half, white right half
    app_platform().load_picture = record_picture_request;
    g_pictures_asked.clear();
    s = pool({{"photo", "coffee"}});
    CHECK(g_pictures_asked == std::vector<std::string>{"coffee"});
    Picture photo;
    photo.name = "coffee";
    photo.width = photo.height = 68;
    photo.rgba.assign(68 * 68 * 4, 255);
    for (int y = 0; y < 68; y++)
        for (int x = 0; x < 34; x++)
            for (int c = 0; c < 3; c++) photo.rgba[size_t(y * 68 + x) * 4 + size_t(c)] = 0;
    picture_arrived(photo);
    app_platform().load_picture = nullptr;
    s = api_state();
    CHECK(s["photo_loaded"] == "coffee");
    CHECK(s["note"].is_null());
    // shrunk 2x to 34x34 grey, black columns 0-16, white 17-33; Sobel x without padding gives 32x32,
    // output column j reading grey columns j..j+2: right minus left = (1 + 2 + 1) * 1 = 4 where a
    // window straddles the step (j = 15, 16), 0 elsewhere (ReLU keeps it)
    CHECK(s["input"][10][15].get<double>() == doctest::Approx(4.0).epsilon(1e-5));
    CHECK(s["input"][10][16].get<double>() == doctest::Approx(4.0).epsilon(1e-5));
    CHECK(s["input"][10][5] == 0);
    // 2x2 max pooling: blocks 7 (columns 14-15) and 8 (16-17) hold the edge
    CHECK(s["output"][5][7].get<double>() == doctest::Approx(4.0).epsilon(1e-5));
    CHECK(s["output"][5][8].get<double>() == doctest::Approx(4.0).epsilon(1e-5));
    CHECK(s["output"][5][3] == 0);
    CHECK(std::find(g_events.begin(), g_events.end(), "photo-loaded") != g_events.end());
    pool({{"reset", true}});
}

static void pool_frames(int n, ImVec2 mouse = ImVec2(-1, -1), bool down = false) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60.0f;
    for (int i = 0; i < n; i++) {
        io.MousePos = mouse;
        io.MouseDown[0] = down && i > 0;
        ImGui::NewFrame();
        AppView view;
        draw_app(view);
        ImGui::Render();
        CHECK(ImGui::GetDrawData()->TotalVtxCount > 1000);
    }
}

TEST_CASE("pooling lab: draws in every mode without a GPU, and a change of problem ends an exercise") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    pool_fresh();
    pool_frames(3);
    pool({{"kind", "average"}, {"padding", 1}});
    pool_frames(2);
    pool({{"kind", "global-average"}});
    pool_frames(2);
    pool({{"kind", "max"}, {"kernel", 6}});  // no output: the message is drawn
    pool_frames(2);
    pool({{"source", "photo"}, {"kernel", 2}, {"padding", 0}});
    pool_frames(2);
    json s = pool({{"new_exercise", true}, {"seed", 3}});
    pool_frames(2);
    CHECK(api_state()["exercise"] == s["exercise"]);  // drawing leaves an exercise alone
    pool({{"answer", s["output"]}});
    pool_frames(2);
    CHECK(api_state()["solved"] == true);
    ImGui::DestroyContext();
    pool({{"reset", true}});
    reset_progress();
}
