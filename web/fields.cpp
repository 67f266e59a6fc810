#include "fields.h"

#include <ctime>

#include <cmath>
#include <cstdio>
#include <cstdlib>

using std::to_string;

static std::string quoted(const char* name) { return std::string("\"") + name + "\""; }

std::string read_bool(const json& fields, const char* name, bool& out) {
    if (!fields.contains(name)) return "";
    const json& v = fields[name];
    if (!v.is_boolean()) return quoted(name) + " must be true or false";
    out = v.get<bool>();
    return "";
}

std::string read_int(const json& fields, const char* name, int lo, int hi, int& out) {
    if (!fields.contains(name)) return "";
    const json& v = fields[name];
    std::string range = " between " + to_string(lo) + " and " + to_string(hi);
    if (!v.is_number()) return quoted(name) + " must be a whole number" + range;
    double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d)) return quoted(name) + " must be a whole number" + range;
    if (d < lo || d > hi) {
        char it[32];
        std::snprintf(it, sizeof it, "%g", d);
        return quoted(name) + " must be" + range + " (it is " + it + ")";
    }
    out = int(d);
    return "";
}

// A range's bound as a person writes it, unless that would round it (1e-06 is not "0").
static std::string bound_text(float value) {
    const std::string plain = format_number(value);
    if (std::strtof(plain.c_str(), nullptr) == value) return plain;
    char text[32];
    std::snprintf(text, sizeof text, "%g", double(value));
    return text;
}

std::string read_number(const json& fields, const char* name, float lo, float hi, float& out) {
    if (!fields.contains(name)) return "";
    const json& v = fields[name];
    if (!v.is_number()) return quoted(name) + " must be a number";
    double d = v.get<double>();
    if (!std::isfinite(d) || d < lo || d > hi)
        return quoted(name) + " must be a number between " + bound_text(lo) + " and " + bound_text(hi);
    out = float(d);
    return "";
}

std::string read_string(const json& fields, const char* name, std::string& out) {
    if (!fields.contains(name)) return "";
    if (!fields[name].is_string()) return quoted(name) + " must be a string";
    out = fields[name].get<std::string>();
    return "";
}

static std::string check_row_values(const std::vector<double>& values, const std::string& where, float limit,
                                    std::vector<float>& row) {
    row.clear();
    for (double d : values) {
        if (!std::isfinite(d) || std::fabs(d) > limit)
            return where + " has " + (std::isfinite(d) ? format_number(float(d)) : std::string("a value that is not a number")) +
                   "; values must be between " + format_number(-limit) + " and " + format_number(limit);
        row.push_back(float(d));
    }
    return "";
}

static std::string check_shape(const Rows& rows, const std::string& what, int max_rows, int max_cols) {
    if (rows.empty() || rows[0].empty()) return what + " needs at least one row with at least one number";
    if (int(rows.size()) > max_rows) return what + " has " + to_string(rows.size()) + " rows; at most " + to_string(max_rows);
    for (size_t r = 0; r < rows.size(); r++) {
        if (rows[r].size() != rows[0].size())
            return what + ": row " + to_string(r + 1) + " has " + to_string(rows[r].size()) + " numbers but row 1 has " +
                   to_string(rows[0].size()) + "; every row needs the same length";
    }
    if (int(rows[0].size()) > max_cols)
        return what + " has " + to_string(rows[0].size()) + " columns; at most " + to_string(max_cols);
    return "";
}

std::string read_rows(const json& fields, const char* name, int max_rows, int max_cols, float limit,
                      bool allow_flat, Rows& out) {
    if (!fields.contains(name)) return "";
    const json& v = fields[name];
    std::string what = quoted(name);
    if (!v.is_array() || v.empty())
        return what + " must be rows of numbers, like [[0, 1], [1, 0]]";
    json rows_json = v;
    if (v[0].is_number()) {
        if (!allow_flat) return what + " must be rows of numbers, like [[0, 1], [1, 0]] (a flat list is one row: use 1D mode)";
        rows_json = json::array({v});
    }
    if (rows_json.size() > size_t(max_rows)) return what + " has " + to_string(rows_json.size()) + " rows; at most " + to_string(max_rows);
    Rows rows;
    for (size_t r = 0; r < rows_json.size(); r++) {
        const json& row_json = rows_json[r];
        std::string where = what + " row " + to_string(r + 1);
        if (!row_json.is_array()) return where + " is not a list of numbers";
        if (row_json.size() > size_t(max_cols)) return where + " has " + to_string(row_json.size()) + " numbers; at most " + to_string(max_cols);
        std::vector<double> values;
        for (const json& x : row_json) {
            if (!x.is_number()) return where + " has something that is not a number: " + x.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 40);
            values.push_back(x.get<double>());
        }
        std::vector<float> row;
        if (std::string e = check_row_values(values, where, limit, row); !e.empty()) return e;
        rows.push_back(std::move(row));
    }
    if (std::string e = check_shape(rows, what, max_rows, max_cols); !e.empty()) return e;
    out = std::move(rows);
    return "";
}

std::string read_position(const json& value, const char* name, int& row, int& col) {
    std::string msg = quoted(name) + " must be [row, column], two whole numbers counted from 0";
    if (!value.is_array() || value.size() != 2 || !value[0].is_number() || !value[1].is_number()) return msg;
    double r = value[0].get<double>(), c = value[1].get<double>();
    if (!std::isfinite(r) || !std::isfinite(c) || r != std::floor(r) || c != std::floor(c) || std::fabs(r) > 1e6 || std::fabs(c) > 1e6)
        return msg;
    row = int(r);
    col = int(c);
    return "";
}

std::string check_fields(const json& fields, const std::vector<const char*>& known, const std::vector<const char*>& read_only) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        bool found = false;
        for (const char* k : known) found = found || it.key() == k;
        for (const char* k : read_only) found = found || it.key() == k;
        if (!found) {
            std::string list;
            for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
            return "unknown field \"" + it.key() + "\"; this lab's commands use: " + list;
        }
    }
    return "";
}

std::string parse_rows_text(const std::string& text, int max_rows, int max_cols, float limit, Rows& out) {
    Rows rows;
    size_t line_start = 0;
    int line_number = 0;
    while (line_start <= text.size()) {
        size_t line_end = text.find('\n', line_start);
        if (line_end == std::string::npos) line_end = text.size();
        std::string line = text.substr(line_start, line_end - line_start);
        line_number++;
        line_start = line_end + 1;
        std::vector<double> values;
        const char* p = line.c_str();
        while (*p) {
            if (*p == ' ' || *p == ',' || *p == '\t' || *p == '\r' || *p == '[' || *p == ']') { p++; continue; }
            char* end = nullptr;
            double d = std::strtod(p, &end);
            if (end == p) return "line " + to_string(line_number) + ": \"" + line.substr(size_t(p - line.c_str()), 12) + "\" is not a number";
            values.push_back(d);
            p = end;
        }
        if (values.empty()) continue;  // blank lines separate nothing
        if (int(rows.size()) >= max_rows) return "too many rows: at most " + to_string(max_rows);
        std::vector<float> row;
        if (std::string e = check_row_values(values, "line " + to_string(line_number), limit, row); !e.empty()) return e;
        rows.push_back(std::move(row));
    }
    if (std::string e = check_shape(rows, "the grid", max_rows, max_cols); !e.empty()) return e;
    out = std::move(rows);
    return "";
}

std::string rows_to_text(const Rows& rows) {
    std::string text;
    for (const auto& row : rows) {
        for (size_t c = 0; c < row.size(); c++) {
            if (c) text += ' ';
            text += format_number(row[c]);
        }
        text += "\n";
    }
    return text;
}

std::string format_number(float value) {
    if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    char buf[32];
    if (std::fabs(value) >= 1e7f) {
        std::snprintf(buf, sizeof buf, "%.3g", double(value));
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%.3f", double(value));
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    if (s == "-0") s = "0";
    return s;
}

std::string read_new_exercise(const json& f, bool& wanted, uint64_t& seed) {
    wanted = false;
    if (!f.contains("new_exercise")) {
        return f.contains("seed") ? "\"seed\" goes with \"new_exercise\": {\"new_exercise\": true, \"seed\": 7}" : "";
    }
    const json& v = f["new_exercise"];
    const std::string shape = "\"new_exercise\" must be true or a seed (a whole number from 0 to 2000000000)";
    int given = 0;
    if (v.is_number()) {  // {"new_exercise": 42}
        if (f.contains("seed")) return "give the seed once: {\"new_exercise\": true, \"seed\": 7}";
        if (!read_int(f, "new_exercise", 0, 2000000000, given).empty()) return shape;
        wanted = true;
        seed = uint64_t(given);
        return "";
    }
    if (!v.is_boolean()) return shape;
    if (std::string e = read_int(f, "seed", 0, 2000000000, given); !e.empty()) return e;
    wanted = v.get<bool>();
    seed = f.contains("seed") ? uint64_t(given) : fresh_seed();
    return "";
}

uint64_t fresh_seed() {
    static uint64_t asked = 0;  // two requests in the same second still get different exercises
    return (uint64_t(std::time(nullptr)) * 7919u + ++asked) % 2000000001u;
}

int int_or(const json& object, const char* key, int fallback) {
    if (!object.is_object() || !object.contains(key)) return fallback;
    const json& v = object[key];
    if (!v.is_number()) return fallback;
    const double d = v.get<double>();
    return std::isfinite(d) && d >= -2e9 && d <= 2e9 ? int(d) : fallback;
}

std::string string_or(const json& object, const char* key, const std::string& fallback) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return fallback;
    return object[key].get<std::string>();
}
