#include "json_text.h"

int json_depth(const char* text, size_t size) {
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < size; i++) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') i++;  // the escaped character cannot end the string
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = ++depth > deepest ? depth : deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return deepest;
}

Status parse_json(nlohmann::json& out, const char* text, size_t size, const std::string& what, int max_depth) {
    if (const int depth = json_depth(text, size); depth > max_depth)
        return error_status(what + " is nested " + std::to_string(depth) + " levels deep; at most " + std::to_string(max_depth) +
                            " are allowed");
    nlohmann::json value = nlohmann::json::parse(text, text + size, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) return error_status(what + " is not valid JSON");
    out = std::move(value);
    return ok_status();
}
