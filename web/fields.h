// fields.h — reading a command's fields (from the JS API, a URL or a saved state) safely.
// Every type and range is checked: a bad value becomes a message naming the field, never an
// exception, a crash or a half-applied change. Each reader returns "" when the field is absent
// (leaving `out` alone) or valid (storing it), else the message.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using json = nlohmann::json;
using Rows = std::vector<std::vector<float>>;  // a grid of numbers, one vector per row

std::string read_bool(const json& fields, const char* name, bool& out);
std::string read_int(const json& fields, const char* name, int lo, int hi, int& out);
std::string read_number(const json& fields, const char* name, float lo, float hi, float& out);
std::string read_string(const json& fields, const char* name, std::string& out);
// A grid: rows of numbers, each |value| <= limit, at most max_rows x max_cols. A flat list of
// numbers is read as one row when allow_flat is set (1D mode).
std::string read_rows(const json& fields, const char* name, int max_rows, int max_cols, float limit,
                      bool allow_flat, Rows& out);
// An exercise request, the same in every lab: {"new_exercise": true} (a fresh seed), {"new_exercise":
// true, "seed": S} or {"new_exercise": S} (the same exercise for the same S, 0 <= S <= 2e9).
// `wanted` is false when the field is absent or false; "seed" without "new_exercise" is refused.
std::string read_new_exercise(const json& fields, bool& wanted, uint64_t& seed);
// A seed for a new exercise from the clock (a "New exercise" button, or new_exercise without a
// seed): 0..2e9, different on every call.
uint64_t fresh_seed();
// A grid position [row, col] of integers.
std::string read_position(const json& value, const char* name, int& row, int& col);
// Refuses fields the lab does not know (a typo should not pass silently); `known` are the
// writable fields, `read_only` those a state has that a command may carry back and that are ignored.
std::string check_fields(const json& fields, const std::vector<const char*>& known, const std::vector<const char*>& read_only);

// Typed text to a grid: one row per line, numbers separated by spaces or commas.
std::string parse_rows_text(const std::string& text, int max_rows, int max_cols, float limit, Rows& out);
std::string rows_to_text(const Rows& rows);

// A field of a JSON value the student wrote (a layer of their network, ...) as a whole number or a
// string; the fallback when the value is not an object, or the field is absent or of another type.
// Never throws, unlike json::value().
int int_or(const json& object, const char* key, int fallback);
std::string string_or(const json& object, const char* key, const std::string& fallback);

// Text for a state field that may have none: null when empty ("message": null).
inline json text_or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

// A number as a person writes it: 3, -0.5, 0.333 (at most 3 decimals, no trailing zeros).
std::string format_number(float value);
