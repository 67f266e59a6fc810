// architectures_lab_test.cpp — the "architectures" lab through the API a course page uses: the
// seven networks' totals (torchvision's parameter counts), memory and what fits in the page, a
// forward pass run in slices, compound scaling, the exercise right and wrong, bad commands.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <imgui.h>

#include "../web/app.h"
#include "lab_test_util.h"

namespace {

json fresh() {
    g_events.clear();
    app_platform().post_event = record_event;
    return command({{"lab", "architectures"}, {"reset", true}});
}

// Runs the lab's work until the forward pass is done (or refused).
json run_to_end() {
    const Lab* lab = find_lab("architectures");
    REQUIRE(lab != nullptr);
    int slices = 0;
    while (lab->work(50)) slices++;
    MESSAGE(slices << " slices");
    return api_state();
}

}  // namespace

TEST_CASE("architectures lab: the seven networks, with torchvision's parameter counts") {
    const json s = fresh();
    REQUIRE(s["networks"].size() == 7);
    // torchvision 0.14's models (sum of p.numel() over parameters), and LeNet-5 by hand (architectures_test.cpp)
    const std::vector<std::pair<std::string, int64_t>> params = {
        {"lenet5", 61706},         {"alexnet", 61100840},     {"vgg16", 138357544},           {"resnet18", 11689512},
        {"resnet50", 25557032},    {"densenet121", 7978856},  {"efficientnet_b0", 5288548}};
    for (size_t i = 0; i < params.size(); i++) {
        const json& n = s["networks"][i];
        CAPTURE(n["key"]);
        CHECK(n["key"] == params[i].first);
        CHECK(n["params"] == params[i].second);
        CHECK(n["year"].get<int>() >= 1998);
        CHECK(n["top1"].get<double>() > 50);
    }
    // the years in order: the list is a timeline
    for (size_t i = 1; i < s["networks"].size(); i++) CHECK(s["networks"][i]["year"] >= s["networks"][i - 1]["year"]);
    // ResNet-18 shown by default: 69 layers, the last maps' receptive field 435 pixels
    CHECK(s["network"] == "resnet18");
    CHECK(s["shown"]["layers"] == 69);
    CHECK(s["shown"]["field"] == 435);
    CHECK(s["layers"].size() == 69);
    CHECK(s["layers"][0]["name"] == "conv1");
    CHECK(s["layers"][0]["shape"] == json::array({64, 112, 112}));  // (224 + 2*3 - 7) / 2 + 1 = 112
    CHECK(s["layers"][0]["params"] == 64 * 3 * 7 * 7);              // no bias: 9408
    CHECK(s["layers"][0]["macs"] == int64_t(64) * 112 * 112 * 3 * 7 * 7);
}

TEST_CASE("architectures lab: what fits in the page") {
    fresh();
    // VGG-16 runs (its 138 M parameters, 4 bytes each: 528 MB, and one picture's activations) but does
    // not train (parameters, gradients and Adam's two averages: 2.1 GB before any activation)
    json s = command({{"network", "vgg16"}});
    CHECK(s["shown"]["fits"] == true);
    CHECK(s["shown"]["trains"] == false);
    CHECK(s["shown"]["inference_mb"].get<double>() > 138357544.0 * 4 / (1 << 20));
    CHECK(s["shown"]["training_mb"].get<double>() > 138357544.0 * 16 / (1 << 20));
    CHECK(s["shown"]["budget_mb"] == 768);
    // EfficientNet at phi 7 (596 x 596 pictures) needs more than the page has, even for one picture
    s = command({{"network", "efficientnet_b0"}, {"phi", 7}});
    CHECK(s["shown"]["fits"] == false);
    s = command({{"run", true}});
    CHECK(s["forward"]["state"] == "refused");
    CHECK(s["forward"]["message"].get<std::string>().find("needs") != std::string::npos);
    CHECK(s["forward"]["message"].get<std::string>().find("768 MB") != std::string::npos);
}

TEST_CASE("architectures lab: one forward pass of LeNet-5, in slices") {
    fresh();
    json s = command({{"network", "lenet5"}, {"run", true}});
    CHECK(s["forward"]["state"] == "running");
    refused({{"run", true}}, "is running");
    s = run_to_end();
    CHECK(s["forward"]["state"] == "done");
    CHECK(s["forward"]["network"] == "LeNet-5");
    CHECK(s["forward"]["layers_done"] == 12);
    CHECK(s["timings"]["layer_ms"].size() == 12);
    const int top = s["forward"]["top_class"];
    CHECK(top >= 0);
    CHECK(top < 10);
    CHECK(std::count(g_events.begin(), g_events.end(), "run-done") == 1);
}

TEST_CASE("architectures lab: compound scaling next to 2^phi, and one dimension alone") {
    json s = fresh();
    CHECK(s["scaling"]["phi"] == 0);
    CHECK(s["scaling"]["rows"][0]["times_b0"] == doctest::Approx(1.0));
    s = command({{"phi", 2}});
    CHECK(s["scaling"]["target"] == doctest::Approx(4.0));
    const json& rows = s["scaling"]["rows"];
    REQUIRE(rows.size() == 4);
    CHECK(rows[0]["kind"] == "compound");
    CHECK(rows[0]["depth"] == doctest::Approx(1.44));   // 1.2^2
    CHECK(rows[0]["width"] == doctest::Approx(1.21));   // 1.1^2
    CHECK(rows[0]["resolution"] == 296);                // round(224 * 1.15^2 = 296.2)
    CHECK(rows[1]["kind"] == "depth");
    CHECK(rows[1]["depth"] == doctest::Approx(4.0));
    CHECK(rows[3]["resolution"] == 448);                // 224 * sqrt(4)
    for (const json& r : rows) {
        INFO(r.dump());
        REQUIRE(r.contains("times_b0"));
        CHECK(r["times_b0"].get<double>() > 2.5);  // each near 4x B0's multiply-adds
        CHECK(r["times_b0"].get<double>() < 6.0);
    }
    // resolution alone multiplies every map by the same factor: exactly 4x B0's multiply-adds but the classifier's
    CHECK(rows[3]["params"] == 5288548);  // and no parameter more
    // the network shown follows phi
    s = command({{"network", "efficientnet_b0"}});
    CHECK(s["shown"]["name"] == "EfficientNet, phi = 2");
    CHECK(s["shown"]["input"] == json::array({3, 296, 296}));
}

TEST_CASE("architectures lab: an exercise right, and wrong with a named mistake") {
    fresh();
    json s = command({{"new_exercise", true}, {"seed", 4}});
    const json x = s["exercise"];
    CHECK(s["network"] == x["network"]);  // the network it is about is shown
    // the right answer, from the layer list in the state
    const json layer = s["layers"][x["index"].get<size_t>()];
    CHECK(layer["name"] == x["layer"]);
    s = command({{"answer", {{"shape", layer["shape"]}, {"params", layer["params"]}}}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["score"]["correct"] == 1);
    // a conv layer with a bias, or without one: the bias miscounted is named
    command({{"new_exercise", true}, {"seed", 4}});
    const int64_t out = x["out"];
    const int64_t off = x["bias"].get<bool>() ? layer["params"].get<int64_t>() - out : layer["params"].get<int64_t>() + out;
    s = command({{"answer", {{"shape", layer["shape"]}, {"params", off}}}});
    CHECK(s["last_answer"]["correct"] == false);
    CHECK(s["last_answer"]["mistake"]["id"] == (x["bias"].get<bool>() ? "bias-forgotten" : "bias-counted"));
    // changing the network closes the exercise
    s = command({{"network", x["network"] == "vgg16" ? "alexnet" : "vgg16"}});
    CHECK(s["exercise"].is_null());
}

TEST_CASE("architectures lab: bad commands are refused and change nothing") {
    fresh();
    refused({{"network", "vgg19"}}, "\"network\" must be");
    refused({{"phi", 8}}, "\"phi\"");
    refused({{"phi", "two"}}, "\"phi\"");
    refused({{"run", 1}}, "\"run\" must be");
    refused({{"answer", {{"shape", {1}}, {"params", 1}}}}, "no exercise");
    command({{"new_exercise", true}, {"seed", 1}});
    refused({{"answer", 5}}, "\"answer\" must be");
    refused({{"answer", {{"shape", {1, 2, 3, 4}}, {"params", 1}}}}, "\"shape\"");
    refused({{"answer", {{"shape", {64, 56, 56}}, {"params", -1}}}}, "\"params\"");
    refused({{"answer", {{"shape", {64, "x", 56}}, {"params", 1}}}}, "\"shape\"");
}

TEST_CASE("architectures lab: draws without a GPU") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the font atlas; no texture upload
    fresh();
    draw_app_frames(2);
    command({{"network", "densenet121"}, {"new_exercise", true}, {"seed", 2}});
    draw_app_frames(2);
    command({{"network", "lenet5"}, {"run", true}});
    run_to_end();
    draw_app_frames(2);
    command({{"network", "efficientnet_b0"}, {"phi", 3.5}});
    draw_app_frames(2);
    ImGui::DestroyContext();
}
