// backprop_test.cpp — the sums behind conv2d's backward pass (engine/conv_backprop.h), checked by
// hand, against conv2d_backward and against finite differences; then the "backprop" lab through
// the page's API (window.cnnlab.command / state) and a few frames drawn without a GPU.
#include <doctest/doctest.h>

#include <imgui.h>

#include <cmath>
#include <string>
#include <vector>

#include "../engine/conv_backprop.h"
#include "../web/app.h"
#include "lab_test_util.h"
#include "test_util.h"

// ---- the engine -------------------------------------------------------------------------------

// The lab's opening example: x 4x4, w 3x3, so z = x * w is 2x2 (cross-correlation, no padding).
static const std::vector<std::vector<float>> kX = {{1, 2, 0, 1}, {0, 1, 3, 1}, {2, 0, 1, 0}, {1, 1, 0, 2}};
static const std::vector<std::vector<float>> kW = {{1, 0, -1}, {2, 1, 0}, {0, -1, 1}};
static const std::vector<std::vector<float>> kT = {{2, 7}, {1, 2}};

static Conv2dSpec valid_spec(int kernel) {
    Conv2dSpec spec;
    spec.rows = spec.cols = conv_axis(kernel, 1, 0, 1);
    return spec;
}

TEST_CASE("the loss and dL/dz of the lab's example, by hand") {
    // z[0,0] = 1*1 + 2*0 + 0*-1 + 0*2 + 1*1 + 3*0 + 2*0 + 0*-1 + 1*1 = 3
    // z[0,1] = 2*1 + 0*0 + 1*-1 + 1*2 + 3*1 + 1*0 + 0*0 + 1*-1 + 0*1 = 5
    // z[1,0] = 0*1 + 1*0 + 3*-1 + 2*2 + 0*1 + 1*0 + 1*0 + 1*-1 + 0*1 = 0
    // z[1,1] = 1*1 + 3*0 + 1*-1 + 0*2 + 1*1 + 0*0 + 1*0 + 0*-1 + 2*1 = 3
    Tensor z;
    REQUIRE(conv2d(z, grid(kX), grid(kW), nullptr, valid_spec(3)).ok());
    check_tensor(z, {1, 1, 2, 2}, {3, 5, 0, 3});
    Tensor t = grid(kT);
    // L = 1/2 * ((3-2)^2 + (5-7)^2 + (0-1)^2 + (3-2)^2) = 1/2 * (1 + 4 + 1 + 1) = 3.5
    CHECK(half_squared_error_forward(z.data.data(), t.data.data(), 4) == 3.5f);
    std::vector<float> dz = {10, 0, 0, 0};  // backward accumulates
    half_squared_error_backward(dz.data(), z.data.data(), t.data.data(), 4);
    CHECK(dz == std::vector<float>{11, -2, -1, 1});  // z - t = (1, -2, -1, 1), plus the 10 already there
}

TEST_CASE("one entry of dL/dw and of dL/dx, term by term, by hand") {
    Tensor dz = grid({{1, -2}, {-1, 1}});  // z - t
    Tensor x = grid(kX), w = grid(kW);
    std::vector<GradTerm> terms;
    // dL/dw[0,0] = sum dz[i,j] * x[i,j] = 1*1 + -2*2 + -1*0 + 1*1 = -2
    REQUIRE(conv2d_dweight_terms(terms, dz, x, w.shape, valid_spec(3), 0, 0, 0, 0).ok());
    REQUIRE(terms.size() == 4);
    CHECK(terms[1].oy == 0);
    CHECK(terms[1].ox == 1);
    CHECK(terms[1].iy == 0);
    CHECK(terms[1].ix == 1);
    CHECK(terms[1].dout == -2);
    CHECK(terms[1].factor == 2);
    CHECK(terms[1].product == -4);
    float sum = 0;
    for (const GradTerm& t : terms) sum += t.product;
    CHECK(sum == -2);
    // dL/dw[1,2] = sum dz[i,j] * x[i+1, j+2] = 1*3 + -2*1 + -1*1 + 1*0 = 0
    REQUIRE(conv2d_dweight_terms(terms, dz, x, w.shape, valid_spec(3), 0, 0, 1, 2).ok());
    sum = 0;
    for (const GradTerm& t : terms) sum += t.product;
    CHECK(sum == 0);
    // dL/dx[1,1] = sum dz[i,j] * w[1-i, 1-j] = dz[0,0]*w[1,1] + dz[0,1]*w[1,0] + dz[1,0]*w[0,1] + dz[1,1]*w[0,0]
    //            = 1*1 + -2*2 + -1*0 + 1*1 = -2, listed by tap: w[0,0], w[0,1], w[1,0], w[1,1]
    REQUIRE(conv2d_dinput_terms(terms, dz, w, x.shape, valid_spec(3), 0, 0, 1, 1).ok());
    REQUIRE(terms.size() == 4);
    CHECK(terms[0].ky == 0);
    CHECK(terms[0].kx == 0);
    CHECK(terms[0].oy == 1);
    CHECK(terms[0].ox == 1);
    CHECK(terms[2].factor == 2);  // w[1,0], met by dz[0,1] = -2
    CHECK(terms[2].dout == -2);
    sum = 0;
    for (const GradTerm& t : terms) sum += t.product;
    CHECK(sum == -2);
    // dL/dx[0,0]: only output [0,0]'s window covers the corner, with w[0,0]: 1*1 = 1
    REQUIRE(conv2d_dinput_terms(terms, dz, w, x.shape, valid_spec(3), 0, 0, 0, 0).ok());
    REQUIRE(terms.size() == 1);
    CHECK(terms[0].product == 1);
    // dL/dx[3,3]: only output [1,1] with w[2,2]: 1*1 = 1
    REQUIRE(conv2d_dinput_terms(terms, dz, w, x.shape, valid_spec(3), 0, 0, 3, 3).ok());
    REQUIRE(terms.size() == 1);
    CHECK(terms[0].ky == 2);
    CHECK(terms[0].product == 1);
}

TEST_CASE("bad requests for terms are messages") {
    Tensor dz = grid({{1, -2}, {-1, 1}});
    Tensor x = grid(kX), w = grid(kW);
    std::vector<GradTerm> terms;
    Status s = conv2d_dweight_terms(terms, dz, x, w.shape, valid_spec(3), 0, 0, 3, 0);
    CHECK(s.message == "dweight[0, 0, 3, 0] is outside the weight (1,1,3,3)");
    s = conv2d_dinput_terms(terms, dz, w, x.shape, valid_spec(3), 0, 0, 4, 0);
    CHECK(s.message == "dinp[0, 0, 4, 0] is outside the input (1,1,4,4)");
    s = conv2d_dweight_terms(terms, grid({{1, 2, 3}}), x, w.shape, valid_spec(3), 0, 0, 0, 0);
    CHECK(s.message == "the output's gradient is (1,1,1,3) but the output is (1,1,2,2)");
    s = conv2d_dinput_terms(terms, dz, w, x.shape, valid_spec(5), 0, 0, 0, 0);
    CHECK(s.message.find("does not match the kernel size 5x5") != std::string::npos);
}

TEST_CASE("term sums equal conv2d_backward and finite differences, on random convolutions") {
    Rng rng(2024);
    for (int round = 0; round < 30; round++) {
        const int N = rng.uniform_int(1, 2), G = rng.uniform_int(1, 2), Cg = rng.uniform_int(1, 2), OCg = rng.uniform_int(1, 2);
        const int C = G * Cg, OC = G * OCg, K = rng.uniform_int(1, 3), H = rng.uniform_int(4, 7), W = rng.uniform_int(4, 7);
        Conv2dSpec spec;
        spec.rows = conv_axis(K, rng.uniform_int(1, 2), rng.uniform_int(0, 1), rng.uniform_int(1, 2));
        spec.cols = conv_axis(K, rng.uniform_int(1, 2), rng.uniform_int(0, 1), rng.uniform_int(1, 2));
        spec.flip = rng.uniform() < 0.3f;
        spec.groups = G;
        const std::vector<int> xs = {N, C, H, W}, ws = {OC, Cg, K, K};
        if (!check_conv2d(xs, ws, nullptr, spec).ok()) continue;
        Tensor x{xs, random_vec(size_t(N * C * H * W), rng)}, w{ws, random_vec(size_t(OC * Cg * K * K), rng)};
        Tensor z;
        REQUIRE(conv2d(z, x, w, nullptr, spec).ok());
        Tensor target{z.shape, random_vec(z.data.size(), rng)};
        Tensor dz{z.shape, std::vector<float>(z.data.size(), 0.0f)};
        half_squared_error_backward(dz.data.data(), z.data.data(), target.data.data(), int64_t(z.data.size()));
        std::vector<float> dx(x.data.size(), 0.0f), dw(w.data.size(), 0.0f);
        conv2d_backward(dx.data(), dw.data(), nullptr, dz.data.data(), x.data.data(), w.data.data(), N, C, H, W, OC, spec);
        auto loss = [&] {
            Tensor out;
            Status s = conv2d(out, x, w, nullptr, spec);
            (void)s;
            return double(half_squared_error_forward(out.data.data(), target.data.data(), int64_t(out.data.size())));
        };
        INFO("round " << round << ": x " << shape_string(xs) << ", w " << shape_string(ws) << ", stride " << spec.rows.stride
                      << "/" << spec.cols.stride << ", dilation " << spec.rows.dilation << "/" << spec.cols.dilation << ", flip "
                      << spec.flip << ", groups " << G);
        double worst_terms = 0, worst_fd = 0;
        std::vector<GradTerm> terms;
        for (int i = 0; i < int(w.data.size()); i++) {
            const int oc = i / (Cg * K * K), c = i / (K * K) % Cg, ky = i / K % K, kx = i % K;
            REQUIRE(conv2d_dweight_terms(terms, dz, x, ws, spec, oc, c, ky, kx).ok());
            double sum = 0;
            for (const GradTerm& t : terms) sum += t.product;
            worst_terms = std::fmax(worst_terms, std::fabs(sum - dw[size_t(i)]));
            worst_fd = std::fmax(worst_fd, std::fabs(central_difference(loss, w.data[size_t(i)], 1e-2f) - dw[size_t(i)]));
        }
        for (int i = 0; i < int(x.data.size()); i++) {
            const int n = i / (C * H * W), c = i / (H * W) % C, iy = i / W % H, ix = i % W;
            REQUIRE(conv2d_dinput_terms(terms, dz, w, xs, spec, n, c, iy, ix).ok());
            double sum = 0;
            for (const GradTerm& t : terms) sum += t.product;
            worst_terms = std::fmax(worst_terms, std::fabs(sum - dx[size_t(i)]));
            worst_fd = std::fmax(worst_fd, std::fabs(central_difference(loss, x.data[size_t(i)], 1e-2f) - dx[size_t(i)]));
        }
        INFO("largest difference: terms vs conv2d_backward " << worst_terms << ", finite difference vs conv2d_backward " << worst_fd);
        CHECK(worst_terms < 1e-5);
        CHECK(worst_fd < 2e-3);  // float loss, h = 0.01: the quadratic loss makes the central difference exact but for rounding
    }
}

// ---- the lab ----------------------------------------------------------------------------------

static json fresh() {
    g_events.clear();
    app_platform().post_event = record_event;
    return command({{"lab", "backprop"}, {"reset", true}});  // later commands go to the open lab
}

TEST_CASE("backprop lab: it opens on dL/dw[0,0] of the worked example") {
    json s = fresh();
    CHECK(s["lab"] == "backprop");
    CHECK(s["output"] == json::parse("[[3,5],[0,3]]"));
    CHECK(s["dz"] == json::parse("[[1,-2],[-1,1]]"));
    CHECK(s["loss"] == 3.5);
    CHECK(s["focus"] == json::parse(R"({"which": "dw", "position": [0, 0]})"));
    CHECK(s["expression"] == "1*1 + -2*2 + -1*0 + 1*1 = -2");
    CHECK(s["sum"] == -2);
    CHECK(s["engine_value"] == -2);
    CHECK(s["finite_difference"].get<double>() == doctest::Approx(-2).epsilon(1e-3));
    CHECK(s["terms"].size() == 4);
    CHECK(s["terms"][1] == json::parse(R"({"dz_at": [0,1], "dz": -2, "factor_at": [0,1], "factor": 2, "product": -4})"));
    // dL/dw is the correlation of x with dL/dz: dw[0,1] = 1*2 + -2*0 + -1*1 + 1*3 = 4
    CHECK(s["dw"][0][1] == 4);
    // dL/dx is dL/dz fully convolved with the turned kernel: dx[0,0] = dz[0,0]*w[0,0] = 1
    CHECK(s["dx"][0][0] == 1);
    CHECK(s["exercise"].is_null());
    CHECK(s["score"] == json::parse(R"({"answered": 0, "correct": 0})"));
    CHECK(s["last_answer"].is_null());
}

TEST_CASE("backprop lab: every entry's sum equals the engine and the finite difference") {
    json s = fresh();
    for (const char* which : {"dw", "dx"}) {
        const json grad = s[which];
        for (int r = 0; r < int(grad.size()); r++)
            for (int c = 0; c < int(grad[0].size()); c++) {
                json t = command({{"focus", {{"which", which}, {"position", {r, c}}}}});
                INFO(which << "[" << r << "," << c << "]: " << t["expression"]);
                double sum = 0;
                for (const json& term : t["terms"]) sum += term["product"].get<double>();
                CHECK(t["sum"].get<double>() == doctest::Approx(sum));
                CHECK(t["engine_value"] == grad[size_t(r)][size_t(c)]);
                CHECK(t["sum"].get<double>() == doctest::Approx(t["engine_value"].get<double>()));
                CHECK(t["finite_difference"].get<double>() == doctest::Approx(t["engine_value"].get<double>()).epsilon(1e-3).scale(1));
            }
    }
    // the corner pixel is covered by one window, the middle ones by all four (x 4x4, w 3x3)
    CHECK(command({{"focus", {{"which", "dx"}, {"position", {0, 0}}}}})["terms"].size() == 1);
    CHECK(command({{"focus", {{"which", "dx"}, {"position", {1, 2}}}}})["terms"].size() == 4);
}

TEST_CASE("backprop lab: stepping through the products") {
    fresh();
    json s = command({{"step", 1}});
    CHECK(s["term"] == 0);
    s = command({{"step", 3}});
    CHECK(s["term"] == 3);
    s = command({{"step", 1}});  // past the last product: the whole sum again
    CHECK(s["term"].is_null());
    s = command({{"step", -1}});
    CHECK(s["term"] == 3);
    s = command({{"term", 1}});
    CHECK(s["term"] == 1);
    s = command({{"focus", {{"which", "dx"}, {"position", {0, 0}}}}});  // a new entry starts with the whole sum
    CHECK(s["term"].is_null());
    refused({{"lab", "backprop"}, {"term", 1}}, "\"term\" must be between 0 and 0");
}

TEST_CASE("backprop lab: new numbers resize the target and recompute everything") {
    fresh();
    json s = command({{"input", {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}}}, {"kernel", {{1, 0}, {0, -1}}}});
    // z[i,j] = x[i,j] - x[i+1,j+1] = -5 everywhere, 2 x 3
    CHECK(s["output"] == json::parse("[[-5,-5,-5],[-5,-5,-5]]"));
    CHECK(s["target"] == json::parse("[[2,7,0],[1,2,0]]"));  // the old values kept where they overlap, zeros added
    s = command({{"target", {{0, 0, 0}, {0, 0, 0}}}});
    CHECK(s["dz"] == json::parse("[[-5,-5,-5],[-5,-5,-5]]"));
    // dL/dw[1,1] = sum dz[i,j] * x[i+1,j+1] = -5 * (6 + 7 + 8 + 10 + 11 + 12) = -5 * 54 = -270
    s = command({{"focus", {{"which", "dw"}, {"position", {1, 1}}}}});
    CHECK(s["engine_value"] == -270);
    CHECK(s["sum"] == -270);
    // a state sent back restores it
    json before = api_state();
    command({{"reset", true}});
    json again = command(before);
    CHECK(again == before);
}

TEST_CASE("backprop lab: bad commands are refused and change nothing") {
    fresh();
    refused({{"lab", "backprop"}, {"colour", 1}}, "colour");
    refused({{"lab", "backprop"}, {"kernel", {{1, 2, 3, 4, 5}}}}, "kernel");
    refused({{"lab", "backprop"}, {"input", {{1, 2}, {3, 4}}}, {"kernel", {{1, 2, 3}, {1, 2, 3}, {1, 2, 3}}}},
            "the kernel (3 x 3) must fit inside the input (2 x 2)");
    refused({{"lab", "backprop"}, {"input", {{1}}}}, "at least 2 x 2");
    refused({{"lab", "backprop"}, {"target", {{1, 2, 3}}}}, "\"target\" must have the output's shape, 2 x 2");
    refused({{"lab", "backprop"}, {"focus", {{"which", "dy"}}}}, "\"which\" must be \"dw\"");
    refused({{"lab", "backprop"}, {"focus", {{"which", "dw"}, {"position", {3, 0}}}}}, "dL/dw[3,0] is outside dL/dw (3 x 3)");
    refused({{"lab", "backprop"}, {"answer", 4}}, "there is no exercise to answer");
    refused({{"lab", "backprop"}, {"answer", "four"}}, "\"answer\" must be a number");
    refused({{"lab", "backprop"}, {"new_exercise", -3}}, "\"new_exercise\" must be true or a seed");
    refused({{"lab", "backprop"}, {"input", {{1, NAN}, {1, 1}}}}, "input");
    CHECK(g_events.empty());
}

TEST_CASE("backprop lab: an exercise, answered right and wrong, counted and posted") {
    fresh();
    reset_progress();
    json s = command({{"new_exercise", 7}});
    CHECK(g_events == std::vector<std::string>{"exercise-new"});
    REQUIRE(s["exercise"].is_object());
    const std::string which = s["exercise"]["which"];
    const int r = s["exercise"]["position"][0], c = s["exercise"]["position"][1];
    CHECK(s["exercise"]["question"] == std::string(which == "dw" ? "dL/dw[" : "dL/dx[") + std::to_string(r) + "," + std::to_string(c) + "]");
    CHECK(s["exercise"]["answered"] == false);
    CHECK(s["focus"] == json{{"which", which}, {"position", {r, c}}});
    // the same seed gives the same exercise
    json again = command({{"new_exercise", 7}});
    CHECK(again["input"] == s["input"]);
    CHECK(again["exercise"] == s["exercise"]);
    // compute the answer independently from the state's numbers: dz = z - t, then the sum
    const json x = s["input"], w = s["kernel"], dz = s["dz"];
    double expected = 0;
    const int OH = int(dz.size()), OW = int(dz[0].size()), KH = int(w.size()), KW = int(w[0].size());
    for (int i = 0; i < OH; i++)
        for (int j = 0; j < OW; j++) {
            if (which == "dw") expected += dz[size_t(i)][size_t(j)].get<double>() * x[size_t(i + r)][size_t(j + c)].get<double>();
            else if (r - i >= 0 && r - i < KH && c - j >= 0 && c - j < KW)
                expected += dz[size_t(i)][size_t(j)].get<double>() * w[size_t(r - i)][size_t(c - j)].get<double>();
        }
    g_events.clear();
    s = command({{"answer", expected + 1}});
    CHECK(s["last_answer"]["correct"] == false);
    CHECK(s["last_answer"]["expected"] == expected);
    CHECK(s["last_answer"]["given"] == expected + 1);
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("Not quite") == 0);
    CHECK(s["exercise"]["answered"] == true);
    s = command({{"answer", {{"which", which}, {"position", {r, c}}, {"value", expected}}}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("Right") == 0);
    CHECK(s["score"] == json::parse(R"({"answered": 2, "correct": 1})"));
    CHECK(g_events == std::vector<std::string>{"answer", "answer"});
    CHECK(progress()["backprop"] == json::parse(R"({"answered": 2, "correct": 1})"));
    // an answer for another entry than the one asked is refused
    refused({{"lab", "backprop"}, {"answer", {{"which", which == "dw" ? "dx" : "dw"}, {"position", {0, 0}}, {"value", 1}}}},
            "this exercise asks for");
    // reset: the example again, no exercise, the score kept
    s = command({{"reset", true}});
    CHECK(s["exercise"].is_null());
    CHECK(s["score"] == json::parse(R"({"answered": 2, "correct": 1})"));
    // exploring: a named entry can be checked without an exercise
    s = command({{"answer", {{"which", "dx"}, {"position", {1, 1}}, {"value", -2}}}});
    CHECK(s["last_answer"]["correct"] == true);
}

TEST_CASE("backprop lab: draws every view without a GPU") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60;
    fresh();
    auto frames = [&](int n) {
        for (int i = 0; i < n; i++) {
            ImGui::NewFrame();
            AppView view;
            draw_app(view);
            ImGui::Render();
            CHECK(ImGui::GetDrawData()->TotalVtxCount > 1000);
        }
    };
    frames(2);
    command({{"focus", {{"which", "dx"}, {"position", {1, 1}}}}, {"term", 2}});
    frames(2);
    command({{"new_exercise", 3}});
    frames(2);
    command({{"input", {{1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}}},
             {"kernel", {{1}}}});
    frames(2);
    ImGui::DestroyContext();
}
