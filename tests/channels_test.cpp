// channels_test.cpp — engine/layer_params.h (parameter counts, conv output shapes) against counts
// worked out by hand and against the model builder, a 3D filter summing over channels, a 1x1
// convolution as a per-pixel matrix multiply, and the channels lab through the page's API.
#include <doctest/doctest.h>

#include <imgui.h>

#include <string>
#include <vector>

#include "../engine/layer_params.h"
#include "../engine/model.h"
#include "../engine/ops.h"
#include "../web/app.h"
#include "lab_test_util.h"
#include "test_util.h"

TEST_CASE("params: conv2d layers, with and without bias") {
    LayerParams p;
    REQUIRE(conv2d_params(p, 3, 8, 3, 3, 1, true).ok());
    CHECK(p.weight_shape == std::vector<int>{8, 3, 3, 3});
    CHECK(p.bias_shape == std::vector<int>{8});
    CHECK(p.weights == 216);  // 8*3*3*3
    CHECK(p.biases == 8);
    CHECK(p.total == 224);    // 3*3*3*8 + 8 = 224
    REQUIRE(conv2d_params(p, 3, 8, 3, 3, 1, false).ok());
    CHECK(p.total == 216);    // no bias: the weights alone
    CHECK(p.bias_shape.empty());
    REQUIRE(conv2d_params(p, 1, 1, 3, 3, 1, true).ok());
    CHECK(p.total == 10);     // the hand lab's single kernel: 3*3 + 1
    REQUIRE(conv2d_params(p, 64, 128, 3, 3, 1, true).ok());
    CHECK(p.total == 73856);  // 128*64*3*3 = 73728, + 128
    REQUIRE(conv2d_params(p, 256, 64, 1, 1, 1, true).ok());
    CHECK(p.total == 16448);  // a 1x1 convolution 256 -> 64: 64*256 = 16384, + 64
    REQUIRE(conv2d_params(p, 3, 2, 5, 3, 1, false).ok());
    CHECK(p.total == 90);     // a 5x3 kernel: 2*3*5*3
    REQUIRE(conv2d_params(p, 32, 32, 3, 3, 32, true).ok());
    CHECK(p.weight_shape == std::vector<int>{32, 1, 3, 3});  // depthwise: each filter sees one channel
    CHECK(p.total == 320);    // 32*1*3*3 = 288, + 32
}

TEST_CASE("params: linear layers, and the fully connected comparison") {
    LayerParams fc, conv;
    REQUIRE(linear_params(fc, 784, 784, false).ok());
    CHECK(fc.weight_shape == std::vector<int>{784, 784});
    CHECK(fc.total == 614656);  // 784^2: every pixel of a 28x28 picture to every value of a 28x28 map
    REQUIRE(conv2d_params(conv, 1, 1, 3, 3, 1, false).ok());
    CHECK(conv.total == 9);     // one 3x3 filter does it with 9, whatever the picture's size
    REQUIRE(linear_params(fc, 784, 784, true).ok());
    CHECK(fc.total == 615440);  // 614656 + 784
    REQUIRE(linear_params(fc, 784, 10, true).ok());
    CHECK(fc.total == 7850);    // 784*10 + 10
    REQUIRE(linear_params(fc, 2000000000, 2000000000, true).ok());
    CHECK(fc.total == 4000000002000000000LL);  // 2e9 * 2e9 + 2e9, counted exactly in 64 bits
}

TEST_CASE("params: impossible layers are explained") {
    LayerParams p;
    Status s = conv2d_params(p, 3, 8, 3, 3, 2, true);
    CHECK(s.message.find("2 groups must divide both the 3 input channels and the 8 output channels") != std::string::npos);
    s = conv2d_params(p, 0, 8, 3, 3, 1, true);
    CHECK(s.message.find("at least one input and one output channel") != std::string::npos);
    s = conv2d_params(p, 3, 8, 0, 3, 1, true);
    CHECK(s.message.find("at least 1x1") != std::string::npos);
    s = conv2d_params(p, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1, true);
    CHECK(s.message.find("too many parameters") != std::string::npos);
    s = linear_params(p, 0, 10, true);
    CHECK(s.message.find("at least one input") != std::string::npos);
}

TEST_CASE("params: output shapes of conv layers") {
    std::vector<int> shape;
    Conv2dSpec spec;
    spec.rows = spec.cols = make_conv_axis(32, 3, 1, 1, PaddingMode::number, 0);
    REQUIRE(conv2d_output_shape(shape, {1, 3, 32, 32}, 8, spec).ok());
    CHECK(shape == std::vector<int>{1, 8, 30, 30});  // floor((32 - 3)/1) + 1 = 30
    spec.rows = spec.cols = make_conv_axis(224, 5, 2, 1, PaddingMode::number, 2);
    REQUIRE(conv2d_output_shape(shape, {16, 3, 224, 224}, 64, spec).ok());
    CHECK(shape == std::vector<int>{16, 64, 112, 112});  // floor((224 + 4 - 5)/2) + 1 = 111 + 1
    spec.rows = spec.cols = make_conv_axis(28, 3, 1, 1, PaddingMode::same, 0);
    REQUIRE(conv2d_output_shape(shape, {8, 1, 28, 28}, 4, spec).ok());
    CHECK(shape == std::vector<int>{8, 4, 28, 28});  // "same" padding keeps 28
    spec.rows = spec.cols = make_conv_axis(3, 5, 1, 1, PaddingMode::number, 0);
    Status s = conv2d_output_shape(shape, {1, 3, 3, 3}, 8, spec);
    CHECK(s.message.find("the kernel window covers 5 rows but the padded input has only 3") != std::string::npos);
}

TEST_CASE("params: the counts and shapes are the ones the model builder gives its layers") {
    Model m;
    REQUIRE(model_from_json(m, R"({"input": [3, 32, 32], "layers": [{"type": "conv", "out": 8, "kernel": 3}, {"type": "flatten"}]})", 1).ok());
    LayerParams p;
    REQUIRE(conv2d_params(p, 3, 8, 3, 3, 1, true).ok());
    CHECK(int64_t(m.params.size()) == p.total);  // 224
    CHECK(m.tensors[0].shape == p.weight_shape);
    std::vector<int> shape;
    REQUIRE(conv2d_output_shape(shape, {1, 3, 32, 32}, 8, m.layers[0].conv).ok());
    CHECK(std::vector<int>(shape.begin() + 1, shape.end()) == m.layers[0].out_shape);  // (8, 30, 30)
    REQUIRE(model_from_json(m, R"({"input": [1, 28, 28], "layers": [{"type": "flatten"}, {"type": "linear", "out": 784}]})", 1).ok());
    REQUIRE(linear_params(p, 784, 784, true).ok());
    CHECK(int64_t(m.params.size()) == p.total);  // 615440
}

TEST_CASE("channels: a 3D filter adds its products over every channel; two filters make two maps") {
    // input (1,3,2,2): R = [[1,2],[3,4]], G = [[0,1],[0,1]], B = [[2,2],[2,2]]
    Tensor inp{{1, 3, 2, 2}, {1, 2, 3, 4, 0, 1, 0, 1, 2, 2, 2, 2}};
    // filter 0: R all 1, G all -1, B all 0.5; filter 1: only G[0][1] = 2
    Tensor weight{{2, 3, 2, 2}, {1, 1, 1, 1, -1, -1, -1, -1, 0.5f, 0.5f, 0.5f, 0.5f, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0}};
    Tensor bias{{2}, {1, 0}};
    Conv2dSpec spec;
    spec.rows = spec.cols = make_conv_axis(2, 2, 1, 1, PaddingMode::number, 0);
    Tensor out;
    REQUIRE(conv2d(out, inp, weight, &bias, spec).ok());
    // filter 0: (1+2+3+4) - (0+1+0+1) + 0.5*(2+2+2+2) + 1 = 10 - 2 + 4 + 1 = 13
    // filter 1: 2 * G[0][1] = 2 * 1 = 2
    check_tensor(out, {1, 2, 1, 1}, {13, 2});
}

TEST_CASE("channels: a 1x1 convolution is a matrix times each pixel's channel vector") {
    // by hand: x = (1, 2, 3); W = [[1, 0, -1], [0.5, 0.5, 0.5]], b = (0, 1): y = (1 - 3, 0.5*6 + 1) = (-2, 4)
    Tensor pixel{{1, 3, 1, 1}, {1, 2, 3}}, w{{2, 3, 1, 1}, {1, 0, -1, 0.5f, 0.5f, 0.5f}}, b{{2}, {0, 1}}, out;
    Conv2dSpec one;
    REQUIRE(conv2d(out, pixel, w, &b, one).ok());
    check_tensor(out, {1, 2, 1, 1}, {-2, 4});

    // any picture: conv2d with (OC, C, 1, 1) weights = linear_forward over the (H*W, C) pixel rows
    Rng rng(5);
    const int C = 4, H = 3, W = 5, OC = 6;
    Tensor inp{{1, C, H, W}, random_vec(size_t(C * H * W), rng)};
    Tensor weight{{OC, C, 1, 1}, random_vec(size_t(OC * C), rng)}, bias{{OC}, random_vec(size_t(OC), rng)};
    REQUIRE(conv2d(out, inp, weight, &bias, one).ok());
    std::vector<float> pixels(size_t(H * W * C));  // (H*W, C): each pixel's channel vector
    for (int c = 0; c < C; c++)
        for (int i = 0; i < H * W; i++) pixels[size_t(i * C + c)] = inp.data[size_t(c * H * W + i)];
    std::vector<float> lin(size_t(H * W * OC));  // (H*W, OC)
    linear_forward(lin.data(), pixels.data(), weight.data.data(), bias.data.data(), H * W, C, OC);
    std::vector<float> lin_as_maps(size_t(OC * H * W));  // (OC, H*W), the conv's layout
    for (int o = 0; o < OC; o++)
        for (int i = 0; i < H * W; i++) lin_as_maps[size_t(o * H * W + i)] = lin[size_t(i * OC + o)];
    CHECK(max_abs_diff(out.data, lin_as_maps) <= 1e-6);
}

// ---- the lab ------------------------------------------------------------------------------------

// Commands to the channels lab (opened by them), through tests/lab_test_util.h.
static json ch(const json& c) {
    json full = c;
    full["lab"] = "channels";
    return command(full);
}

static void ch_refused(const json& c, const std::string& message_part) {
    ch({});  // the channels lab is open
    refused(c, message_part);
}

static json ch_fresh() {
    json s = ch({{"reset", true}});
    g_events.clear();
    app_platform().post_event = record_event;
    return s;
}

TEST_CASE("channels lab: opens on a 6x6 RGB picture and three 3x3x3 filters") {
    json s = ch_fresh();
    CHECK(s["lab"] == "channels");
    CHECK(s["input_shape"] == json::array({1, 3, 6, 6}));
    CHECK(s["weight_shape"] == json::array({3, 3, 3, 3}));
    CHECK(s["bias_shape"] == json::array({3}));
    CHECK(s["output_shape"] == json::array({1, 3, 4, 4}));  // 6 - 3 + 1 = 4
    // quadrants: red left (columns 0-2), green right, blue along the bottom (rows 4-5)
    // red edges (red: right column minus left): windows across the red/green border lose 3 reds
    CHECK(s["output"][0] == json::parse("[[0,-3,-3,0],[0,-3,-3,0],[0,-3,-3,0],[0,-3,-3,0]]"));
    // green minus red at the centre pixel: centre columns 1, 2 red, 3, 4 green
    CHECK(s["output"][1] == json::parse("[[-1,-1,1,1],[-1,-1,1,1],[-1,-1,1,1],[-1,-1,1,1]]"));
    // blue at the centre: only output row 3 has its centre (row 4) in the blue stripe
    CHECK(s["output"][2] == json::parse("[[0,0,0,0],[0,0,0,0],[0,0,0,0],[1,1,1,1]]"));
    CHECK(s["params"]["total"] == 84);  // 3*3*3*3 + 3
    CHECK(s["params"]["without_bias"] == 81);
    CHECK(s["params"]["formula"] == "3*3*3*3 + 3 = 84");
    // fully connected from the same 3*6*6 = 108 inputs to the same 3*4*4 = 48 outputs: 108*48 + 48
    CHECK(s["fully_connected"]["params"] == 5232);
    CHECK(s["mnist_comparison"] == json::parse(R"({"fully_connected": 614656, "conv3x3": 9})"));
    s = ch({{"position", {0, 0, 1}}});
    CHECK(s["window"]["per_channel"] == json::array({-3, 0, 0}));  // three red pixels times -1
    CHECK(s["window"]["expression"] == "R -3 + G 0 + B 0 + bias 0 = -3");
    CHECK(s["exercise"].is_null());
    CHECK(s["score"] == json::parse(R"({"answered": 0, "correct": 0})"));
}

TEST_CASE("channels lab: more filters, other kernels, padding and no bias change shapes and counts") {
    ch_fresh();
    json s = ch({{"filters", 4}});
    CHECK(s["presets"] == json::array({"red-edges", "green-minus-red", "blue", "brightness"}));
    CHECK(s["output_shape"] == json::array({1, 4, 4, 4}));
    CHECK(s["params"]["total"] == 112);  // 4*3*3*3 + 4
    CHECK(s["output"][3][0][0].get<double>() == doctest::Approx(9.0 / 27));  // brightness: rows 0-2 x cols 0-2 are all red: 9 ones among 27 values, / 27
    s = ch({{"padding", 1}, {"bias", false}});
    CHECK(s["output_shape"] == json::array({1, 4, 6, 6}));
    CHECK(s["params"]["total"] == 108);  // 4*3*3*3, no bias
    CHECK(s["bias_shape"] == json::array());
    s = ch({{"kernel", 1}, {"padding", 0}, {"stride", 2}});
    CHECK(s["weight_shape"] == json::array({4, 3, 1, 1}));
    CHECK(s["output_shape"] == json::array({1, 4, 3, 3}));  // floor((6 - 1)/2) + 1 = 3
    CHECK(s["params"]["total"] == 12);
    s = ch({{"kernel", 5}, {"stride", 1}, {"image", "stripes"}});
    CHECK(s["output_shape"] == json::array({1, 4, 2, 2}));
    CHECK(s["params"]["formula"] == "4*3*5*5 = 300");
    // your own weights: filter 0 becomes custom, the others keep their presets
    s = ch({{"filters", 1}, {"kernel", 1}, {"bias", true}, {"weights", json::parse("[[[[1]], [[1]], [[1]]]]")}, {"biases", json::array({0.5})}});
    CHECK(s["presets"] == json::array({"custom"}));
    // stripes: columns 0-1 red, 2-3 green, 4-5 blue: each pixel has one channel at 1, so 1 + 0.5 everywhere
    CHECK(s["output"][0][0] == json::array({1.5, 1.5, 1.5, 1.5, 1.5, 1.5}));
}

TEST_CASE("channels lab: the 1x1 view computes W x + b per pixel, and the 1x1 conv agrees") {
    json s = ch_fresh();
    // pixel [1,1] of the quadrants is red (1, 0, 0); default mix: grey (0.299, 0.587, 0.114), red minus green
    const json& v = s["one_by_one"];
    CHECK(s["pixel"] == json::array({1, 1}));
    CHECK(v["input_vector"] == json::array({1, 0, 0}));
    CHECK(v["linear"][0].get<double>() == doctest::Approx(0.299));
    CHECK(v["linear"][1] == 1);
    CHECK(v["equal"] == true);
    CHECK(v["params"] == 8);  // 2*3 weights + 2 biases
    // pixel [4,0] is magenta (1, 0, 1): W = [[1,0,-1],[0.5,0.5,0.5]], b = (0, 1): (1 - 1, 0.5 + 0.5 + 1) = (0, 2)
    s = ch({{"mix_weights", {{1, 0, -1}, {0.5, 0.5, 0.5}}}, {"mix_biases", {0, 1}}, {"pixel", {4, 0}}});
    CHECK(s["one_by_one"]["input_vector"] == json::array({1, 0, 1}));
    CHECK(s["one_by_one"]["linear"] == json::array({0, 2}));
    CHECK(s["one_by_one"]["conv"] == json::array({0, 2}));
    CHECK(s["one_by_one"]["output"][1][4][0] == 2);
}

TEST_CASE("channels lab: bad commands are refused and change nothing") {
    ch_fresh();
    ch_refused({{"filters", 5}}, "\"filters\" must be between 1 and 4");
    ch_refused({{"kernel", 0}}, "\"kernel\" must be between 1 and 5");
    ch_refused({{"weights", {{1, 2}}}}, "\"weights\" must be numbers nested as (3, 3, 3, 3)");
    ch_refused({{"presets", {"sobel", "blue", "blue"}}}, "unknown filter");
    ch_refused({{"presets", {"blue"}}}, "a list of 3 filter names");
    ch_refused({{"position", {3, 0, 0}}}, "is outside the output (1, 3, 4, 4)");
    ch_refused({{"pixel", {6, 0}}}, "pixel [6, 0] is outside the 6 x 6 input");
    ch_refused({{"input", std::vector<std::vector<std::vector<float>>>(3, std::vector<std::vector<float>>(9, std::vector<float>(2, 0)))}},
               "(3, H, W)");
    ch_refused({{"image", "cat"}}, "\"image\" must be \"quadrants\" or \"stripes\"");
    ch_refused({{"mix_weights", json::parse("[[1, 2]]")}}, "\"mix_weights\" must be numbers nested as (1, 3)");
    ch_refused({{"answer", {{"params", 3}, {"output_shape", {1}}}}}, "there is no exercise open");
    ch_refused({{"filters", 2}, {"biases", {1, 2, 3}}}, "\"biases\" must be numbers nested as (2)");  // filters not half-applied
    ch_refused({{"channels", 3}}, "unknown field \"channels\"");
    CHECK(g_events.empty());
    // a kernel larger than the padded input is not an error: the lab explains it
    json s = ch({{"input", json::parse("[[[1, 2]], [[3, 4]], [[5, 6]]]")}, {"kernel", 3}});
    CHECK(s["image"] == "custom");
    CHECK(s["output"].is_null());
    CHECK(s["message"].get<std::string>().find("the kernel window covers 3 rows") != std::string::npos);
    CHECK(s["params"]["total"] == 84);  // the layer still has its parameters
}

TEST_CASE("channels lab: exercises on random layers, answered right and wrong") {
    reset_progress();
    ch_fresh();
    for (int seed = 1; seed <= 30; seed++) {  // every exercise has a shape and a count a person can work out
        json s = ch({{"new_exercise", true}, {"seed", seed}});
        const json& x = s["exercise"];
        REQUIRE(x.is_object());
        const std::vector<int> in = x["input_shape"];
        const bool bias = x["bias"];
        int64_t params = 0;
        std::vector<int> shape;
        if (x["layer"] == "linear") {
            const int out = x["out_features"];
            params = int64_t(out) * in[1] + (bias ? out : 0);  // out*in + out
            shape = {in[0], out};
        } else {
            const int oc = x["out_channels"], k = x["kernel"], st = x["stride"], p = x["padding"];
            params = int64_t(oc) * in[1] * k * k + (bias ? oc : 0);  // C_out*C_in*k*k + C_out
            const int side = (in[2] + 2 * p - k) / st + 1;           // floor((H + 2p - k)/s) + 1
            shape = {in[0], oc, side, side};
        }
        g_events.clear();
        s = ch({{"answer", {{"params", params}, {"output_shape", shape}}}});
        CHECK(s["last_answer"]["correct"] == true);
        CHECK(s["last_answer"]["expected"]["params"] == params);
        CHECK(g_events == std::vector<std::string>{"answer"});
        if (seed == 1) {
            s = ch({{"answer", {{"params", params + 1}, {"output_shape", shape}}}});
            CHECK(s["last_answer"]["correct"] == false);
            CHECK(s["last_answer"]["given"]["params"] == params + 1);
            CHECK(s["last_answer"]["feedback"].get<std::string>().find("the parameters are off") != std::string::npos);
        }
    }
    json s = api_state();
    CHECK(s["score"] == json::parse(R"({"answered": 31, "correct": 30})"));
    CHECK(progress()["channels"] == json::parse(R"({"answered": 31, "correct": 30})"));
    g_events.clear();
    s = ch({{"new_exercise", true}, {"seed", 4}});
    CHECK(g_events == std::vector<std::string>{"exercise-new"});
    CHECK(ch({{"new_exercise", true}, {"seed", 4}})["exercise"] == s["exercise"]);  // the same seed, the same layer
    ch_refused({{"answer", {{"params", 3}}}}, "\"answer\" must be {\"params\"");
    ch_refused({{"answer", 224}}, "\"answer\" must be {\"params\"");
    s = ch({{"reset", true}});
    CHECK(s["exercise"].is_null());
    CHECK(s["score"] == json::parse(R"({"answered": 0, "correct": 0})"));
    reset_progress();
}

TEST_CASE("channels lab: draws in every mode without a GPU") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    ch_fresh();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60.0f;
    auto frames = [](int n) {
        for (int i = 0; i < n; i++) {
            ImGui::NewFrame();
            AppView view;
            draw_app(view);
            ImGui::Render();
            CHECK(ImGui::GetDrawData()->TotalVtxCount > 1000);
        }
    };
    frames(3);
    ch({{"filters", 4}, {"kernel", 5}, {"padding", 2}});
    frames(2);
    ch({{"input", json::parse("[[[1, 2]], [[3, 4]], [[5, 6]]]")}, {"padding", 0}});  // no output: the message is drawn
    frames(2);
    ch({{"reset", true}, {"new_exercise", true}, {"seed", 9}});
    frames(2);
    CHECK(api_state()["exercise"].is_object());
    ImGui::DestroyContext();
    ch({{"reset", true}});
    reset_progress();
}
