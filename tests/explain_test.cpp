// explain_test.cpp — the "explain" lab through the API a page uses: saliency, Grad-CAM, occlusion
// and filters on the ready network, a drawing, the Grad-CAM exercise, bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "../web/app.h"
#include "../web/fields.h"
#include "lab_test_util.h"

static json explain_ready() {
    g_events.clear();
    app_platform().post_event = record_event;
    command({{"lab", "explain"}, {"reset", true}, {"network", "ready"}, {"dataset", "fashion"}});
    if (!loaded_dataset("fashion")) deliver_dataset("fashion", "fashion-mnist");
    for (int i = 0; i < 100000 && api_state()["explained"].is_null(); i++) find_lab("explain")->work(1000);
    const json s = api_state();
    REQUIRE(s["using"]["source"] == "ready");
    REQUIRE(s["explained"].is_object());
    return s;
}

static double largest(const json& rows) {
    double m = -1e30;
    for (const json& r : rows)
        for (const json& v : r) m = std::max(m, v.get<double>());
    return m;
}
static double smallest(const json& rows) {
    double m = 1e30;
    for (const json& r : rows)
        for (const json& v : r) m = std::min(m, v.get<double>());
    return m;
}

TEST_CASE("explain lab: the four explanations of a test picture") {
    json s = explain_ready();
    const json e = s["explained"];
    CHECK(e["label"].is_number());
    CHECK(e["class"] == e["prediction"]["class"]);  // class -1: the predicted one
    REQUIRE(e["saliency"].size() == 28);
    CHECK(smallest(e["saliency"]) >= 0.0);          // |gradient|
    CHECK(largest(e["saliency"]) > 0.0);
    // Grad-CAM at conv2's ReLU (layer 4): 8 channel weights, a 14x14 map, ReLU'd, upsampled to 28x28
    CHECK(e["grad_cam"]["layer"] == 4);
    CHECK(e["grad_cam"]["channel_weights"].size() == 8);
    CHECK(e["grad_cam"]["map"].size() == 14);
    CHECK(smallest(e["grad_cam"]["map"]) >= 0.0);
    CHECK(e["grad_cam"]["upsampled"].size() == 28);
    // occlusion: a 6x6 square every 2 pixels: (28 - 6) / 2 + 1 = 12 places a side
    CHECK(e["occlusion"]["rows"] == 12);
    CHECK(e["occlusion"]["cols"] == 12);
    const json worst = e["occlusion"]["worst"];
    CHECK(e["occlusion"]["map"][worst[0].get<size_t>()][worst[1].get<size_t>()].get<double>() == doctest::Approx(largest(e["occlusion"]["map"])));
    MESSAGE("picture 0: " << e["prediction"]["name"] << " at " << e["prediction"]["probabilities"][e["class"].get<size_t>()]
                          << "; covering place " << worst << " drops it by " << largest(e["occlusion"]["map"]));
    CHECK(largest(e["occlusion"]["map"]) > 0.0);
    // the first convolution's 4 filters, each with its 3x3 kernel and a picture that excites it
    REQUIRE(e["features"]["channels"].size() == 4);
    REQUIRE(e["features"]["kernels"].size() == 4);
    CHECK(e["features"]["kernels"][0].size() == 3);
    for (const json& c : e["features"]["channels"]) CHECK(c["activation"].get<double>() > 0.0);
    // conv1's middle unit sees 3x3 pixels (rows and columns 13..15); its output is the kernel times
    // those pixels, so raising it moves each pixel by the sign of its weight: the picture is bright
    // where a weight is positive and dark where it is negative (weights near 0 may go either way)
    CHECK(e["features"]["field"] == json::array({13, 13, 3, 3}));
    for (size_t c = 0; c < 4; c++) {
        const json& kernel = e["features"]["kernels"][c];
        const json& picture = e["features"]["channels"][c]["picture"];
        double largest_weight = 0;
        for (const json& r : kernel)
            for (const json& w : r) largest_weight = std::max(largest_weight, std::fabs(w.get<double>()));
        for (size_t y = 0; y < 3; y++)
            for (size_t x = 0; x < 3; x++) {
                const double w = kernel[y][x], p = picture[y][x];
                if (std::fabs(w) < 0.2 * largest_weight) continue;
                INFO("filter " << c << " weight " << w << " pixel " << p);
                CHECK((w > 0 ? p > 0.5 : p < 0.5));
            }
    }
    // conv 2: 8 filters, no kernels to show as pictures
    s = command({{"feature_conv", 2}});
    CHECK(s["explained"]["features"]["channels"].size() == 8);
    CHECK(s["explained"]["features"]["kernels"].is_null());
    // conv2's middle unit (7, 7 of 14x14): r = 1 + 2 (conv1) + 1 (pool) + 2·2 (conv2) = 8 pixels; its first
    // is start + 7·jump with start = -1 (conv1's padding) - 1·2 (conv2's, after the pool's jump 2) = -3: -3 + 14 = 11
    CHECK(s["explained"]["features"]["field"] == json::array({11, 11, 8, 8}));
    // another class: explained instead of the predicted one
    const int other = (s["explained"]["prediction"]["class"].get<int>() + 1) % 10;
    s = command({{"class", other}});
    CHECK(s["explained"]["class"] == other);
    CHECK(s["explained"]["saliency"] != e["saliency"]);
}

TEST_CASE("explain lab: a blank drawing covered with black loses nothing") {
    explain_ready();
    // A black picture with a black square on it is the same picture: every drop is exactly 0.
    json s = command({{"source", "drawing"}, {"clear_drawing", true}, {"fill", 0.0}, {"patch", 4}, {"stride", 4}});
    CHECK(s["explained"]["label"].is_null());
    CHECK(s["explained"]["occlusion"]["rows"] == 7);  // (28 - 4) / 4 + 1
    CHECK(largest(s["explained"]["occlusion"]["map"]) == 0.0);
    CHECK(smallest(s["explained"]["occlusion"]["map"]) == 0.0);
    // a drawn bar: the picture the network sees changes, and so does what it says
    Rows drawing(28, std::vector<float>(28, 0.0f));
    for (int r = 4; r < 24; r++) drawing[size_t(r)][13] = drawing[size_t(r)][14] = 1.0f;
    const json before = s["explained"]["prediction"]["probabilities"];
    s = command({{"drawing", drawing}});
    CHECK(s["drawing"][10][13] == 1.0);
    CHECK(s["explained"]["prediction"]["probabilities"] != before);
}

TEST_CASE("explain lab: Grad-CAM by hand, with its mistakes named") {
    command({{"lab", "explain"}, {"reset", true}});
    // Seed 3: A0 = [[3, 1], [1, 0]], A1 = [[1, 4], [4, 2]], G0 = [[-3, 0], [3, -3]], G1 = [[-2, 2], [4, -2]], cell [1, 1].
    // alpha0 = (-3 + 0 + 3 - 3) / 4 = -0.75; alpha1 = (-2 + 2 + 4 - 2) / 4 = 0.5;
    // cell = ReLU(-0.75·0 + 0.5·2) = 1.
    json s = command({{"new_exercise", true}, {"seed", 3}});
    CHECK(s["exercise"]["activations"] == json::parse("[[3, 1, 1, 0], [1, 4, 4, 2]]"));
    CHECK(s["exercise"]["gradients"] == json::parse("[[-3, 0, 3, -3], [-2, 2, 4, -2]]"));
    CHECK(s["exercise"]["cell"] == json::parse("[1, 1]"));
    struct Wrong {
        std::vector<double> answer;
        const char* mistake;
    };
    const Wrong wrong[] = {
        {{-3, 2, 4}, "sum-not-mean"},                // alphas as sums: -3 and 2; cell -3·0 + 2·2 = 4
        {{1.25, 2.75, 5.5}, "activations-averaged"}, // means of A: 5/4, 11/4; cell 2.75·2 = 5.5
        {{-0.75, 0.5, 0}, "weights-swapped"},        // -0.75·2 + 0.5·0 = -1.5, ReLU 0
        {{7, 7, 7}, "other"},
    };
    for (const Wrong& w : wrong) {
        s = command({{"answer", w.answer}});
        CHECK(s["last_answer"]["correct"] == false);
        CHECK(s["last_answer"]["mistake"]["id"] == w.mistake);
    }
    s = command({{"answer", {-0.75, 0.5, 1}}});
    CHECK(s["last_answer"]["correct"] == true);
}

TEST_CASE("explain lab: bad input is refused with a message and changes nothing") {
    command({{"lab", "explain"}, {"reset", true}});
    refused({{"class", 10}}, "\"class\"");
    refused({{"patch", 1}}, "\"patch\"");
    refused({{"source", "webcam"}}, "\"source\" must be \"test\" or \"drawing\"");
    refused({{"drawing", Rows(27, std::vector<float>(28, 0.0f))}}, "\"drawing\" must be 28 rows of 28 values");
    refused({{"drawing", Rows(28, std::vector<float>(28, -0.5f))}}, "\"drawing\" values must be 0 (black) to 1 (white)");
    refused({{"drawing", Rows(28, std::vector<float>(28, 2.0f))}}, "\"drawing\"");
    refused({{"answer", {1, 2, 3}}}, "there is no exercise to answer");
    command({{"new_exercise", true}, {"seed", 2}});
    refused({{"answer", {1, 2}}}, "\"answer\" must be a list of 3 numbers");
}
