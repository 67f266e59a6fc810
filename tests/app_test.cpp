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
