// nonlinearity_test.cpp — the "nonlinearity" lab through the API a page uses: the composed kernel
// worked out by hand, two layers against one, a ReLU between them, the exercise, bad input.
#include <doctest/doctest.h>

#include <imgui.h>

#include <cmath>
#include <map>

#include "../web/app.h"
#include "lab_test_util.h"

static json fresh() {
    g_events.clear();
    app_platform().post_event = record_event;
    return command({{"lab", "nonlinearity"}, {"reset", true}});
}

TEST_CASE("nonlinearity lab: Sobel x then Sobel y with nothing between is one 5x5 convolution") {
    json s = fresh();
    CHECK(s["kernel1"] == json::parse("[[-1,0,1],[-2,0,2],[-1,0,1]]"));
    CHECK(s["kernel2"] == json::parse("[[-1,-2,-1],[0,0,0],[1,2,1]]"));
    CHECK(s["between"] == "nothing");
    CHECK(s["picture"] == "built-in");  // no photos without a platform: the built-in picture, and a note saying so
    CHECK(s["note"].get<std::string>().find("a built-in picture stands in") != std::string::npos);
    const json& k = s["composed"];
    REQUIRE(k.size() == 5);
    CHECK(k[0][0] == 1);    // k1[0][0] * k2[0][0] = -1 * -1
    CHECK(k[0][4] == -1);   // k1[0][2] * k2[0][2] = 1 * -1
    CHECK(k[4][0] == -1);   // k1[2][0] * k2[2][0] = -1 * 1
    CHECK(k[2][2] == 0);    // sum of k1[a][b] * k2[2-a][2-b]: rows (-1 + 0 + 1), (0), (1 + 0 - 1)
    CHECK(k[0][1] == 2);    // k1[0][0] k2[0][1] + k1[0][1] k2[0][0] = (-1)(-2) + 0
    CHECK(s["one_layer"]["kernel"] == k);
    CHECK(s["one_layer"]["largest_difference"].get<double>() < 1e-5);  // the same to rounding
    CHECK(s["two_layers"]["rms"].get<double>() > 0.1);  // the built-in picture has edges both kernels see
}

TEST_CASE("nonlinearity lab: a ReLU between the layers, and no single kernel does the same") {
    fresh();
    json s = command({{"between", "relu"}});
    CHECK(s["one_layer"]["kernel"].size() == 5);
    CHECK(s["one_layer"]["kernel"] != s["composed"]);
    CHECK(s["one_layer"]["relative_error"].get<double>() > 0.1);  // the best fit misses a tenth or more of the output
    // a ReLU after a kernel whose output is never negative changes nothing: blur (weights 1/9) on a picture in 0..1
    s = command({{"preset1", "blur"}, {"preset2", "sobel-x"}});
    CHECK(s["one_layer"]["relative_error"].get<double>() < 1e-3);
    // bigger kernels: 5x5 after 2x2 is 6x6
    s = command({{"kernel1", {{1, 0, 0, 0, 1}, {0, 1, 0, 1, 0}, {0, 0, 1, 0, 0}, {0, 1, 0, 1, 0}, {1, 0, 0, 0, 1}}}, {"kernel2", {{1, -1}, {1, 1}}},
                 {"between", "nothing"}});
    CHECK(s["composed"].size() == 6);
    CHECK(s["composed"][0].size() == 6);
    CHECK(s["one_layer"]["largest_difference"].get<double>() < 1e-5);
}

TEST_CASE("nonlinearity lab: bad input is refused with a message and changes nothing") {
    fresh();
    refused({{"kernel1", {{1, 2, 3, 4, 5, 6}}}}, "\"kernel1\"");
    refused({{"kernel2", "sobel"}}, "\"kernel2\"");
    refused({{"preset1", "emboss"}}, "there is no kernel \"emboss\"");
    refused({{"between", "tanh"}}, "\"between\" must be \"nothing\" or \"relu\"");
    refused({{"photo", "moon"}}, "there is no photo \"moon\"");
    refused({{"answer", {1, 2}}}, "there is no exercise to answer");
    command({{"new_exercise", true}, {"seed", 3}});
    refused({{"answer", "1, 2, 3"}}, "\"answer\" must be a list");
    refused({{"answer", json::array()}}, "\"answer\" must be a list");
    refused({{"answer", {1, nullptr}}}, "\"answer\" must be a list of numbers");
    refused({{"speed", 2}}, "unknown");
}

TEST_CASE("nonlinearity lab: the exercise, right and wrong, and its record") {
    const json before = fresh()["score"];  // the score is the student's: a reset keeps it
    reset_progress();
    // seed 1: worked out here by polynomial multiplication from the kernels in the state
    json s = command({{"new_exercise", true}, {"seed", 1}});
    const std::vector<float> a = s["exercise"]["kernel1"], b = s["exercise"]["kernel2"];
    std::vector<float> k(a.size() + b.size() - 1, 0.0f);
    for (size_t i = 0; i < a.size(); i++)
        for (size_t j = 0; j < b.size(); j++) k[i + j] += a[i] * b[j];
    g_events.clear();
    s = command({{"answer", k}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["last_answer"]["mistake"].is_null());
    std::vector<float> longer = k;
    longer.push_back(0);
    s = command({{"answer", longer}});
    CHECK(s["last_answer"]["mistake"]["id"] == "one-tap-too-many");
    CHECK(s["score"]["answered"] == before["answered"].get<int>() + 2);
    CHECK(s["score"]["correct"] == before["correct"].get<int>() + 1);
    CHECK(g_events == std::vector<std::string>{"answer", "answer"});
    CHECK(progress()["nonlinearity"] == json{{"answered", 2}, {"correct", 1}});
    // a state sent back (a link) sets the same exercise up again
    const json exercise = s["exercise"];
    command({{"new_exercise", true}, {"seed", 9}});
    CHECK(command(s)["exercise"] == exercise);
    // drawn: with nothing between and with a ReLU
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    draw_app_frames(2);
    command({{"between", "relu"}});
    draw_app_frames(2);
    ImGui::DestroyContext();
}

TEST_CASE("nonlinearity lab: trained side by side, the deep network without ReLUs ends near the linear classifier, with them above" * doctest::test_suite("long training")) {
    fresh();
    json s = command({{"train", true}, {"train_steps", 3000}});
    if (s["training"]["state"] == "unavailable") {  // no platform: the request failed at once; the files arrive as a platform hands them over
        CHECK(s["training"]["note"].get<std::string>().find("could not be loaded") != std::string::npos);
        deliver_dataset("fashion", "fashion-mnist");
    }
    s = api_state();
    CHECK(s["training"]["state"] == "training");
    const Lab* lab = find_lab("nonlinearity");
    while (lab->work(1000)) {  // what the app's frames do a slice at a time
    }
    s = api_state();
    REQUIRE(s["training"]["state"] == "done");
    std::map<std::string, double> accuracy;
    for (const json& c : s["training"]["contenders"]) {
        accuracy[c["name"]] = c["test_accuracy"];
        CHECK(c["curve"].size() == 300);  // a point per 10 steps
    }
    MESSAGE("after " << s["training"]["steps"] << " steps each (" << s["training"]["seconds"] << " s): linear " << accuracy["linear"]
                     << ", deep-linear " << accuracy["deep-linear"] << ", deep-relu " << accuracy["deep-relu"]);
    // (measured: 0.837, 0.824, 0.872 on the first 1000 test pictures) four layers with nothing between them
    // learn no more than one linear layer; with ReLUs they do
    CHECK(std::fabs(accuracy["deep-linear"] - accuracy["linear"]) < 0.03);
    CHECK(accuracy["deep-relu"] > accuracy["deep-linear"] + 0.03);
    CHECK(accuracy["deep-relu"] > accuracy["linear"] + 0.02);
}
