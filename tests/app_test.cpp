// app_test.cpp — the app around the labs: the order of the lab list and the progress record.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../web/app.h"

TEST_CASE("the lab list follows the lessons, whatever order the files were linked in") {
    json ids = api_labs();
    REQUIRE(ids.size() >= 3);
    CHECK(ids.front() == "hand-conv");  // the first lesson, and the lab the page opens on
    CHECK(ids.back() == "train");       // training comes after every concept it uses
    auto position = [&](const char* id) { return std::find(ids.begin(), ids.end(), id) - ids.begin(); };
    CHECK(position("hand-conv") < position("image-kernels"));
    CHECK(position("image-kernels") < position("train"));
}

TEST_CASE("record_answer counts answers per lab; reset_progress forgets them") {
    reset_progress();
    CHECK(progress() == json::object());
    record_answer("hand-conv", true);
    record_answer("hand-conv", false);
    record_answer("pooling", true);
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
    set_event_sink(record_answer_events);
    REQUIRE_FALSE(api_command({{"lab", "hand-conv"}, {"reset", true}, {"mode", "exercise"}}).contains("error"));
    api_command({{"answer", {{"position", {0, 0}}, {"value", 3}}}});  // the square under Sobel x: 3 is right
    api_command({{"answer", {{"position", {0, 1}}, {"value", 5}}}});  // 0 is right, 5 is not
    set_event_sink(nullptr);
    REQUIRE(g_answer_events.size() == 2);
    CHECK(g_answer_events[0]["answer"] == json::parse(R"({"lab": "hand-conv", "correct": true, "progress": {"answered": 1, "correct": 1}})"));
    CHECK(g_answer_events[1]["answer"] == json::parse(R"({"lab": "hand-conv", "correct": false, "progress": {"answered": 2, "correct": 1}})"));
    json reply = api_command({{"progress", true}});
    CHECK(reply["progress"] == json::parse(R"({"hand-conv": {"answered": 2, "correct": 1}})"));
    CHECK(reply["lab"] == "hand-conv");
    CHECK(api_command({{"progress", "all"}})["error"].get<std::string>().find("\"progress\" must be true") == 0);
    reply = api_command({{"progress", "reset"}});
    CHECK(reply["progress"] == json::object());
    api_command({{"lab", "hand-conv"}, {"reset", true}});
}
