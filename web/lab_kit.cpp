#include "lab_kit.h"

#include <algorithm>
#include <cmath>

#include "../engine/pool.h"

static constexpr Choice<PaddingMode> kPaddingNames[] = {
    {PaddingMode::valid, "valid"}, {PaddingMode::same, "same"}, {PaddingMode::full, "full"}};

std::string read_padding(const json& fields, int lo, int hi, PaddingMode& mode, int& amount) {
    if (!fields.contains("padding")) return "";
    const json& v = fields["padding"];
    const std::string names = "\"valid\", \"same\", \"full\"";
    if (v.is_string()) {
        if (read_choice<PaddingMode>(fields, "padding", kPaddingNames, mode).empty()) {
            amount = 0;
            return "";
        }
        return "\"padding\" must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + " or one of " + names +
               " (it is \"" + v.get<std::string>().substr(0, 20) + "\")";
    }
    int given = 0;
    if (std::string e = read_int(fields, "padding", lo, hi, given); !e.empty()) return e + ", or one of " + names;
    mode = PaddingMode::number;
    amount = given;
    return "";
}

json padding_json(PaddingMode mode, int amount) {
    return mode == PaddingMode::number ? json(amount) : json(choice_name<PaddingMode>(kPaddingNames, mode));
}

void ExerciseRecord::start(json setup, uint64_t seed, Pending& pending) {
    setup["seed"] = seed;
    exercise = std::move(setup);
    last_answer = nullptr;
    hints.clear();
    pending.add("exercise-new");
}

void ExerciseRecord::close() {
    exercise = nullptr;
    last_answer = nullptr;
    hints.clear();
}

bool shows_mistake(const json& given, const json& mistake_answer, const json& expected) {
    if (given.is_number_integer() && mistake_answer.is_number_integer() && expected.is_number_integer())  // counts, sizes: exact
        return given == mistake_answer || given == expected;
    if (given.is_number() && mistake_answer.is_number() && expected.is_number()) {
        const float g = given.get<float>();
        return close_enough(g, mistake_answer.get<float>()) || close_enough(g, expected.get<float>());
    }
    if (given.is_array() && mistake_answer.is_array() && expected.is_array()) {
        if (given.size() != expected.size() || mistake_answer.size() != expected.size()) return false;
        for (size_t i = 0; i < given.size(); i++)
            if (!shows_mistake(given[i], mistake_answer[i], expected[i])) return false;
        return true;
    }
    if (given.is_object() && mistake_answer.is_object() && expected.is_object()) {
        for (auto it = expected.begin(); it != expected.end(); ++it)
            if (!given.contains(it.key()) || !mistake_answer.contains(it.key()) ||
                !shows_mistake(given[it.key()], mistake_answer[it.key()], it.value()))
                return false;
        return true;
    }
    return given == mistake_answer || given == expected;
}

// Whether two answers are the same (numbers close_enough): a mistake giving the right answer here is not one.
static bool same_answer(const json& a, const json& b) { return shows_mistake(a, b, b) && shows_mistake(b, a, a); }

json name_mistake(const json& given, const json& expected, const std::vector<MistakeAnswer>& mistakes, const std::string& other_text) {
    json named = nullptr;  // the lab has found `given` wrong; this says how
    // First the mistakes that give exactly this answer; failing those, the ones it shows in part.
    for (bool exactly : {true, false}) {
        for (const MistakeAnswer& m : mistakes) {
            if (m.answer.is_null() || same_answer(m.answer, expected)) continue;
            if (exactly ? !same_answer(given, m.answer) : !shows_mistake(given, m.answer, expected)) continue;
            if (named.is_null()) named = {{"id", m.id}, {"text", m.text}};
            else if (named["text"].get<std::string>().find(m.text) == std::string::npos) {  // two mistakes give this answer
                std::string also = m.text;
                if (also.rfind("You ", 0) == 0) also[0] = 'y';
                named["text"] = named["text"].get<std::string>() + " Or: " + also;
            }
        }
        if (!named.is_null()) return named;
    }
    return json{{"id", "other"}, {"text", other_text}};
}

void ExerciseRecord::checked(bool right, const json& expected, const json& given, const std::string& feedback, Pending& pending,
                             const json& extra, json mistake) {
    answered++;
    correct += right;
    if (right) mistake = nullptr;
    else if (mistake.is_null()) mistake = {{"id", "other"}, {"text", feedback}};
    const int hints_used = int(hints.size());
    last_answer = {{"correct", right}, {"expected", expected}, {"given", given}, {"feedback", feedback}, {"mistake", mistake},
                   {"hints_used", hints_used}};
    for (auto it = extra.begin(); it != extra.end(); ++it) last_answer[it.key()] = it.value();
    std::string id;
    if (!mistake.is_null()) {
        id = mistake["id"].get<std::string>();
        mistakes[id] = mistakes.value(id, 0) + 1;
    }
    pending.answer({right, id, hints_used});
}

void ExerciseRecord::give_hint(const HintLadder& ladder, Pending& pending) {
    if (hints.size() >= ladder.size()) return;
    hints.push_back(ladder[hints.size()]);
    pending.add("hint");
}

void ExerciseRecord::write(json& state) const {
    state["exercise"] = exercise;
    state["score"] = {{"answered", answered}, {"correct", correct}};
    state["last_answer"] = last_answer;
    state["mistakes"] = mistakes;
    state["hints"] = hints;
    state["hints_used"] = hints.size();
}

bool close_enough(float answer, float expected) { return std::fabs(answer - expected) <= 0.01f + 1e-3f * std::fabs(expected); }

std::string read_cell(const json& fields, const char* name, int rows, int cols, const std::string& what, int& row, int& col) {
    if (!fields.contains(name)) return "";
    int r = 0, c = 0;
    if (std::string e = read_position(fields[name], name, r, c); !e.empty()) return e;
    if (r < 0 || r >= rows || c < 0 || c >= cols)
        return std::string(name) + " [" + std::to_string(r) + ", " + std::to_string(c) + "] is outside the " + what + " (" +
               std::to_string(rows) + " x " + std::to_string(cols) + ")";
    row = r;
    col = c;
    return "";
}

std::string read_photo(const json& fields, const char* name, std::string& out) {
    std::string photo;
    if (std::string e = read_string(fields, name, photo); !e.empty() || !fields.contains(name)) return e;
    for (const std::string& n : photo_names())
        if (n == photo) {
            out = photo;
            return "";
        }
    std::string list;
    for (const std::string& n : photo_names()) list += (list.empty() ? "" : ", ") + n;
    return "there is no photo \"" + photo.substr(0, 30) + "\"; the photos are: " + list;
}

std::string read_grid(const json& fields, const char* name, bool one_d, int max_side, int max_length, float limit, Rows& out) {
    std::string e = read_rows(fields, name, one_d ? 1 : max_side, one_d ? max_length : max_side, limit, one_d, out);
    if (!e.empty() && one_d) e += std::string(" (1D mode: the ") + name + " is one row)";
    return e;
}

// image (1,C,H,W) shrunk with average pooling by a whole factor, then its middle side x side kept.
static std::string shrink_to_square(Tensor& out, const Tensor& image, int side) {
    const int C = image.shape[1], H = image.shape[2], W = image.shape[3];
    const int factor = std::max(1, std::min(H, W) / side);
    Tensor small;
    if (Status s = avgpool2d(small, image, make_pool2d_spec(factor, factor, 0)); !s.ok()) return s.message;
    const int SH = small.shape[2], SW = small.shape[3], top = (SH - side) / 2, left = (SW - side) / 2;
    Tensor square{{1, C, side, side}, std::vector<float>(size_t(C) * size_t(side) * size_t(side), 0.0f)};
    for (int c = 0; c < C; c++)
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                square.data[(size_t(c) * side + y) * side + x] = small.data[(size_t(c) * SH + top + y) * SW + left + x];
    out = std::move(square);
    return "";
}

// The picture as (1,3,H,W), values 0..1; "" or why not.
static std::string picture_rgb(Tensor& rgb, const Picture& picture, int side) {
    const int H = picture.height, W = picture.width;
    if (H < side || W < side || picture.rgba.size() != size_t(H) * size_t(W) * 4)
        return "the picture is smaller than " + std::to_string(side) + " pixels a side";
    rgb.shape = {1, 3, H, W};
    rgb.data.assign(size_t(3) * size_t(H) * size_t(W), 0.0f);
    for (size_t i = 0; i < size_t(H) * size_t(W); i++)
        for (size_t c = 0; c < 3; c++) rgb.data[c * size_t(H) * size_t(W) + i] = picture.rgba[i * 4 + c] / 255.0f;
    return "";
}

std::string grey_square(Tensor& out, const Picture& picture, int side) {
    Tensor rgb, grey;
    if (std::string e = picture_rgb(rgb, picture, side); !e.empty()) return e;
    Tensor luma{{1, 3, 1, 1}, {0.299f, 0.587f, 0.114f}};  // (OC=1, C=3, 1, 1)
    Conv2dSpec one;
    if (Status s = conv2d(grey, rgb, luma, nullptr, one); !s.ok()) return s.message;
    return shrink_to_square(out, grey, side);
}

std::string rgb_square(Tensor& out, const Picture& picture, int side) {
    Tensor rgb;
    if (std::string e = picture_rgb(rgb, picture, side); !e.empty()) return e;
    return shrink_to_square(out, rgb, side);
}
