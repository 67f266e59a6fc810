// json_text.h — reading JSON text that comes from outside (a command, a link, a file's header, a
// network description) with its nesting limited. nlohmann::json parses without recursion, but
// printing, comparing and copying a value recurse once per level: 100,000 levels of [[[...]]]
// would overflow the stack (WebAssembly's is 5 MB). So the depth is counted before parsing.
#pragma once
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "status.h"

constexpr int kMaxJsonDepth = 64;  // deeper than anything CNN Lab writes (a state is at most 6 levels)

// The deepest nesting of [ and { in the text, strings skipped (0 for a bare number or string).
int json_depth(const char* text, size_t size);

// Parses text into out; what names it in the message ("the command", "the header"). Refuses text
// nested deeper than max_depth and text that is not JSON; out is left alone then.
Status parse_json(nlohmann::json& out, const char* text, size_t size, const std::string& what, int max_depth = kMaxJsonDepth);
inline Status parse_json(nlohmann::json& out, const std::string& text, const std::string& what, int max_depth = kMaxJsonDepth) {
    return parse_json(out, text.data(), text.size(), what, max_depth);
}
