// fields_test.cpp — reading typed and sent values: every bad value is a message, never a throw.
#include <doctest/doctest.h>

#include <cmath>

#include "../web/fields.h"

TEST_CASE("numbers are written as a person writes them") {
    CHECK(format_number(3.0f) == "3");
    CHECK(format_number(-0.5f) == "-0.5");
    CHECK(format_number(1.0f / 3.0f) == "0.333");
    CHECK(format_number(-0.0001f) == "0");  // rounds to 0 at 3 decimals, and never "-0"
    CHECK(format_number(1e6f) == "1000000");
    CHECK(format_number(2.5e7f) == "2.5e+07");
    CHECK(format_number(NAN) == "nan");
}

TEST_CASE("whole numbers: type and range are checked") {
    int v = 7;
    CHECK(read_int(json{{"stride", 2}}, "stride", 1, 5, v) == "");
    CHECK(v == 2);
    CHECK(read_int(json::object(), "stride", 1, 5, v) == "");  // absent: unchanged
    CHECK(v == 2);
    CHECK(read_int(json{{"stride", 2.5}}, "stride", 1, 5, v) == "\"stride\" must be a whole number between 1 and 5");
    CHECK(read_int(json{{"stride", "2"}}, "stride", 1, 5, v) == "\"stride\" must be a whole number between 1 and 5");
    CHECK(read_int(json{{"stride", 1e300}}, "stride", 1, 5, v) == "\"stride\" must be between 1 and 5 (it is 1e+300)");
    CHECK(v == 2);
}

TEST_CASE("grids of numbers") {
    Rows rows;
    CHECK(read_rows(json{{"image", {{1, 2}, {3, 4}}}}, "image", 4, 4, 10, false, rows) == "");
    CHECK(rows == Rows{{1, 2}, {3, 4}});
    CHECK(read_rows(json{{"image", {1, 2, 3}}}, "image", 4, 4, 10, true, rows) == "");  // flat = one row
    CHECK(rows == Rows{{1, 2, 3}});
    CHECK(read_rows(json{{"image", {{1, 2}, {3}}}}, "image", 4, 4, 10, false, rows) ==
          "\"image\": row 2 has 1 numbers but row 1 has 2; every row needs the same length");
    CHECK(read_rows(json{{"image", {{1, "a"}}}}, "image", 4, 4, 10, false, rows) ==
          "\"image\" row 1 has something that is not a number: \"a\"");
    CHECK(read_rows(json{{"image", {{1, 20}}}}, "image", 4, 4, 10, false, rows) ==
          "\"image\" row 1 has 20; values must be between -10 and 10");
    CHECK(read_rows(json{{"image", json::array()}}, "image", 4, 4, 10, false, rows) ==
          "\"image\" must be rows of numbers, like [[0, 1], [1, 0]]");
    CHECK(read_rows(json{{"image", {{1, 2, 3, 4, 5}}}}, "image", 4, 4, 10, false, rows) ==
          "\"image\" row 1 has 5 numbers; at most 4");
    CHECK(rows == Rows{{1, 2, 3}});  // failed reads leave it alone
}

TEST_CASE("typed grids: lines of numbers") {
    Rows rows;
    CHECK(parse_rows_text("0 1 0\n1, -2.5, 1\n\n0 1 0\n", 5, 5, 100, rows) == "");
    CHECK(rows == Rows{{0, 1, 0}, {1, -2.5f, 1}, {0, 1, 0}});
    CHECK(parse_rows_text("1 2\n3 x\n", 5, 5, 100, rows) == "line 2: \"x\" is not a number");
    CHECK(parse_rows_text("1 2\n3\n", 5, 5, 100, rows) ==
          "the grid: row 2 has 1 numbers but row 1 has 2; every row needs the same length");
    CHECK(parse_rows_text("1e9\n", 5, 5, 100, rows) == "line 1 has 1e+09; values must be between -100 and 100");
    CHECK(parse_rows_text("inf\n", 5, 5, 100, rows) == "line 1 has a value that is not a number; values must be between -100 and 100");
    CHECK(parse_rows_text("", 5, 5, 100, rows) == "the grid needs at least one row with at least one number");
    CHECK(rows_to_text(Rows{{0, 0.5f}, {-1, 2}}) == "0 0.5\n-1 2\n");
}

TEST_CASE("unknown fields are named") {
    CHECK(check_fields(json{{"strid", 1}}, {"stride", "padding"}, {"output"}) ==
          "unknown field \"strid\"; this lab's commands use: stride, padding");
    CHECK(check_fields(json{{"output", 1}, {"stride", 1}}, {"stride", "padding"}, {"output"}) == "");
}

TEST_CASE("read_new_exercise: true, true with a seed, a seed alone; a seed without it is refused") {
    bool wanted = true;
    uint64_t seed = 99;
    CHECK(read_new_exercise(json::object(), wanted, seed).empty());
    CHECK((!wanted && seed == 99));  // absent: nothing asked, seed untouched
    CHECK(read_new_exercise({{"new_exercise", true}, {"seed", 7}}, wanted, seed).empty());
    CHECK((wanted && seed == 7));
    CHECK(read_new_exercise({{"new_exercise", 42}}, wanted, seed).empty());
    CHECK((wanted && seed == 42));
    uint64_t first = 0, second = 0;
    CHECK(read_new_exercise({{"new_exercise", true}}, wanted, first).empty());
    CHECK(read_new_exercise({{"new_exercise", true}}, wanted, second).empty());
    CHECK(first != second);  // two requests in the same second: two exercises
    CHECK(first <= 2000000000u);  // a seed the state can carry back
    CHECK(read_new_exercise({{"new_exercise", false}}, wanted, seed).empty());
    CHECK_FALSE(wanted);
    CHECK(read_new_exercise({{"seed", 3}}, wanted, seed).find("\"seed\" goes with \"new_exercise\"") == 0);
    CHECK(read_new_exercise({{"new_exercise", 5}, {"seed", 3}}, wanted, seed).find("give the seed once") == 0);
    CHECK(read_new_exercise({{"new_exercise", -3}}, wanted, seed).find("\"new_exercise\" must be true or a seed") == 0);
    CHECK(read_new_exercise({{"new_exercise", "yes"}}, wanted, seed).find("\"new_exercise\" must be true or a seed") == 0);
    CHECK(read_new_exercise({{"new_exercise", true}, {"seed", 1e12}}, wanted, seed).find("\"seed\"") == 0);
}
