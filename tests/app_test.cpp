// app_test.cpp — the app around the labs: the order of the lab list and the progress record.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../web/app.h"

TEST_CASE("the lab list follows the lessons, whatever order the files were linked in") {
    // ../shared/lessons: convolution, its arithmetic and matrix, convolving lists (the FFT), channels, real images, pooling,
    // receptive fields, backprop, then training a whole network.
    CHECK(api_labs() == json::parse(R"(["hand-conv", "arithmetic", "matrix", "fft", "channels", "image-kernels", "pooling",
                                        "nonlinearity", "receptive-field", "backprop", "train", "normalization", "residual", "architectures", "transfer", "adversarial", "explain"])"));
}

TEST_CASE("record_answer counts answers per lab; reset_progress forgets them") {
    reset_progress();
    CHECK(progress() == json::object());
    record_answer("hand-conv", {.correct = true, .mistake = "", .hints_used = 0});
    record_answer("hand-conv", {.correct = false, .mistake = "kernel-flipped", .hints_used = 0});
    record_answer("pooling", {.correct = true, .mistake = "", .hints_used = 0});
    CHECK(progress() == json::parse(R"({"hand-conv": {"answered": 2, "correct": 1}, "pooling": {"answered": 1, "correct": 1}})"));
    reset_progress();
    CHECK(progress() == json::object());
}

static std::vector<json> g_answer_events;
static void record_answer_events(const std::string& event, const json& state) {
    if (event == "answer") g_answer_events.push_back(state);
}

TEST_CASE("an answer is counted in the progress record and its event says right or wrong, for any lab") {
    api_command({{"progress", "reset"}});
    g_answer_events.clear();
    app_platform().post_event = record_answer_events;
    REQUIRE_FALSE(api_command({{"lab", "hand-conv"}, {"reset", true}, {"mode", "exercise"}}).contains("error"));
    api_command({{"answer", {{"position", {0, 0}}, {"value", 3}}}});  // the square under Sobel x: 3 is right
    api_command({{"answer", {{"position", {0, 1}}, {"value", 5}}}});  // 0 is right, 5 is not
    app_platform().post_event = nullptr;
    REQUIRE(g_answer_events.size() == 2);
    CHECK(g_answer_events[0]["answer"] == json::parse(R"({"lab": "hand-conv", "correct": true, "mistake": null, "hints_used": 0,
        "progress": {"answered": 1, "correct": 1}, "concept": {"id": "convolution-by-hand", "lab": "hand-conv",
        "title": "Convolution by hand", "state": "practising", "right_in_a_row": 1, "answered": 1, "correct": 1, "mistakes": {}}})"));
    // output [0, 1] of the white square under Sobel x: 0*-1 + 0*0 + 0*1 + 1*-2 + 1*0 + 1*2 + 1*-1 + 1*0 + 1*1 = 0; 5 is no named mistake
    CHECK(g_answer_events[1]["answer"] == json::parse(R"({"lab": "hand-conv", "correct": false, "mistake": "other", "hints_used": 0,
        "progress": {"answered": 2, "correct": 1}, "concept": {"id": "convolution-by-hand", "lab": "hand-conv",
        "title": "Convolution by hand", "state": "practising", "right_in_a_row": 0, "answered": 2, "correct": 1, "mistakes": {"other": 1}}})"));
    json reply = api_command({{"progress", true}});
    CHECK(reply["progress"]["labs"] == json::parse(R"({"hand-conv": {"answered": 2, "correct": 1}})"));
    CHECK(reply["progress"]["concepts"][0]["state"] == "practising");
    CHECK(reply["lab"] == "hand-conv");
    CHECK(api_command({{"progress", "all"}})["error"].get<std::string>().find("\"progress\" must be true") == 0);
    reply = api_command({{"progress", "reset"}});
    CHECK(reply["progress"]["labs"] == json::object());
    CHECK(reply["progress"]["concepts"][0]["state"] == "new");
    api_command({{"lab", "hand-conv"}, {"reset", true}});
}

TEST_CASE("every lab takes its own state back as a command and ends up in that state (what a link does)") {
    const std::vector<std::string> volatile_fields = {"frame_ms", "frame_cpu_ms", "data_progress", "images_per_second", "note", "timings"};
    auto stable = [&](json s) {
        for (const std::string& k : volatile_fields) s.erase(k);
        return s;
    };
    for (const json& id : api_labs()) {
        INFO("lab " << id.get<std::string>());
        json opened = api_command({{"lab", id}});
        REQUIRE_FALSE(opened.contains("error"));
        // labs with exercises: one set up from a seed, which the state names
        json with_exercise = api_command({{"new_exercise", true}, {"seed", 5}});
        const json before = with_exercise.contains("error") ? api_state() : with_exercise;
        // back to the lab as it opens (labs without a "reset" field refuse it and stay as they are)
        (void)api_command({{"lab", id}, {"reset", true}});
        json reply = api_command(before);
        INFO("reply " << reply.dump().substr(0, 300));
        REQUIRE_FALSE(reply.contains("error"));
        const json after = stable(api_state()), expected = stable(before);
        std::vector<std::string> differ;  // the fields that did not come back, named in the failure
        for (auto it = expected.begin(); it != expected.end(); ++it)
            if (!after.contains(it.key()) || after[it.key()] != it.value()) differ.push_back(it.key() + ": " + it.value().dump().substr(0, 120) + " -> " + (after.contains(it.key()) ? after[it.key()].dump().substr(0, 120) : "missing"));
        std::string differences;
        for (const std::string& d : differ) differences += d + "\n";
        INFO("fields that did not come back:\n" << differences);
        CHECK(differ.empty());
    }
    api_command({{"lab", "hand-conv"}, {"reset", true}});
}
