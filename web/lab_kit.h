// lab_kit.h — what every lab is made of, so that a lab's file holds only its lesson.
//
//   settings   one plain struct, compared with ==, whose fields are described once as data
//              (Field<S>: a name, where the value lives, its type and range or choices). One reader
//              (read_fields) turns a command into settings, one writer (write_fields) turns
//              settings into state. The rest of its state (what it computes, where the student
//              is) is described the same way (Output<L>), so a command carrying a state back passes.
//   exercise   ExerciseRecord: "exercise" (the set-up, with the seed that made it), "score"
//              {answered, correct} and "last_answer" {correct, expected, given, feedback}, the
//              same in every lab so a course page follows any of them alike.
//   commands   command_on_copy(): apply to a copy, keep it only when every field was good, then
//              post the events and make the requests the command caused (Pending).
//
// A lab's command handler then reads, in this order: check_command (unknown fields), "reset",
// its settings (read_fields), its own actions, the exercise (start_exercise_if_asked, its answer).
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "../engine/conv.h"  // PaddingMode
#include "app.h"
#include "fields.h"

// ---- Choices: a value that is one of a few, an enum in C++ and a name in JSON.
template <class E>
struct Choice {
    E value;
    const char* name;  // as commands and state spell it: "max", "global-average"
};

// The names as a message lists them: "max", "average" or "global-average".
template <class E>
std::string choice_list(std::span<const Choice<E>> choices) {
    std::string list;
    for (size_t i = 0; i < choices.size(); i++)
        list += std::string(i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + "\"" + choices[i].name + "\"";
    return list;
}
template <class E>
const char* choice_name(std::span<const Choice<E>> choices, E value) {
    for (const Choice<E>& c : choices)
        if (c.value == value) return c.name;
    return "";
}
template <class E, size_t N>
const char* choice_name(const Choice<E> (&choices)[N], E value) {
    return choice_name(std::span<const Choice<E>>(choices), value);
}
// Reads fields[name] as one of the choices: "" when absent or valid, else
// "\"kind\" must be \"max\", \"average\" or \"global-average\"".
template <class E>
std::string read_choice(const json& fields, const char* name, std::span<const Choice<E>> choices, E& out) {
    if (!fields.contains(name)) return "";
    const json& v = fields[name];
    for (const Choice<E>& c : choices)
        if (v.is_string() && v.get<std::string>() == c.name) {
            out = c.value;
            return "";
        }
    return std::string("\"") + name + "\" must be " + choice_list(choices);
}
template <class E, size_t N>
std::string read_choice(const json& fields, const char* name, const Choice<E> (&choices)[N], E& out) {
    return read_choice(fields, name, std::span<const Choice<E>>(choices), out);
}

// Where a lab's heavy work runs: the CPU, or the GPU when there is one.
enum class Backend { cpu, gpu };
constexpr Choice<Backend> kBackends[] = {{Backend::cpu, "cpu"}, {Backend::gpu, "gpu"}};

// ---- Settings described as data.
template <class S>
struct Field {
    const char* name;
    std::function<std::string(const json& fields, S& s)> read;  // "" when absent or valid, else the message
    std::function<json(const S& s)> write;                      // the value in the lab's state
};

template <class S>
Field<S> flag_field(const char* name, bool S::*member) {
    return {name, [=](const json& f, S& s) { return read_bool(f, name, s.*member); }, [=](const S& s) { return json(s.*member); }};
}
template <class S>
Field<S> whole_field(const char* name, int S::*member, int lo, int hi) {
    return {name, [=](const json& f, S& s) { return read_int(f, name, lo, hi, s.*member); },
            [=](const S& s) { return json(s.*member); }};
}
template <class S>
Field<S> number_field(const char* name, float S::*member, float lo, float hi) {
    return {name, [=](const json& f, S& s) { return read_number(f, name, lo, hi, s.*member); },
            [=](const S& s) { return json(s.*member); }};
}
template <class S>
Field<S> text_field(const char* name, std::string S::*member) {
    return {name, [=](const json& f, S& s) { return read_string(f, name, s.*member); },
            [=](const S& s) { return json(s.*member); }};
}
// A grid of numbers: at most max_rows x max_cols, each |value| <= limit.
template <class S>
Field<S> rows_field(const char* name, Rows S::*member, int max_rows, int max_cols, float limit) {
    return {name, [=](const json& f, S& s) { return read_rows(f, name, max_rows, max_cols, limit, false, s.*member); },
            [=](const S& s) { return json(s.*member); }};
}
template <class S, class E, size_t N>
Field<S> choice_field(const char* name, E S::*member, const Choice<E> (&choices)[N]) {
    const std::span<const Choice<E>> list(choices);
    return {name, [=](const json& f, S& s) { return read_choice(f, name, list, s.*member); },
            [=](const S& s) { return json(choice_name(list, s.*member)); }};
}

// Reads every field present in a command, in the order the fields are described; stops at the
// first bad one and returns its message ("" when all were good).
template <class S, class Fields>
std::string read_fields(const json& fields, const Fields& described, S& s) {
    for (const Field<S>& d : described)
        if (std::string e = d.read(fields, s); !e.empty()) return e;
    return "";
}
template <class S, class Fields>
void write_fields(json& state, const Fields& described, const S& s) {
    for (const Field<S>& d : described) state[d.name] = d.write(s);
}

// ---- The rest of a lab's state, named once: what it computes from its settings, and where the
// student is in it (the position shown, playing or not). A command may carry these back (a state
// sent as a command, as a link does): those the lab also takes as actions ("position") are read
// by its command; the others are ignored.
template <class L>
struct Output {
    const char* name;
    json (*write)(const L& lab);
};
template <class L, class Outputs>
void write_outputs(json& state, const Outputs& outputs, const L& lab) {
    for (const Output<L>& o : outputs) state[o.name] = o.write(lab);
}

// Refuses a field the lab does not know, naming the ones it does: the settings' fields, then the
// lab's commands (`actions`: "reset", "new_exercise", "answer", ...), then its view's fields where
// it describes them as fields too. Outputs and the exercise record's fields are known, and ignored.
template <class Fields, class ViewFields, class Outputs>
std::string check_command(const json& fields, const Fields& settings, const ViewFields& view, std::initializer_list<const char*> actions,
                          const Outputs& outputs) {
    std::vector<const char*> writable, read_only = {"lab", "exercise", "score", "last_answer", "mistakes", "hints", "hints_used"};
    for (const auto& d : settings) writable.push_back(d.name);
    writable.insert(writable.end(), actions.begin(), actions.end());
    for (const auto& d : view) writable.push_back(d.name);
    for (const auto& o : outputs) read_only.push_back(o.name);
    return check_fields(fields, writable, read_only);
}
// A lab whose view (what is shown: playing, speed, ...) is no more than its outputs and actions.
template <class Fields, class Outputs>
std::string check_command(const json& fields, const Fields& settings, std::initializer_list<const char*> actions,
                          const Outputs& outputs) {
    return check_command(fields, settings, std::span<const Field<int>>(), actions, outputs);
}

// ---- Padding: a whole number of zeros on each side, or "valid", "same", "full" (engine/conv.h).
// Reads fields["padding"] into mode and amount (amount 0 with a named mode).
std::string read_padding(const json& fields, int lo, int hi, PaddingMode& mode, int& amount);
json padding_json(PaddingMode mode, int amount);  // 2, or "same"

// ---- Named mistakes: the few mistakes a concept draws, each with the answer it gives, computed
// from the exercise, so that a wrong answer can be named ("forgot-plus-one") and explained in the
// exercise's own numbers. A lab lists its mistakes as data beside its exercise.
struct MistakeAnswer {
    const char* id;    // stable, kebab-case: "forgot-plus-one"
    json answer;       // the answer this mistake gives for this exercise; null when it cannot be told from the right one here
    std::string text;  // what went wrong and what the right step is, in this exercise's numbers
};
// Whether a wrong answer shows this mistake: each number of `given` is the mistake's or the right
// one (close_enough), so a mistake made in one part of an answer (the rows, the parameter count,
// some cells of a grid) is still named. Shapes must agree.
bool shows_mistake(const json& given, const json& mistake_answer, const json& expected);
// The mistake a wrong answer shows: {"id", "text"} of the named mistake that gives exactly `given`,
// else of one it shows in part (shows_mistake); when several do, the first's id and every text.
// Else {"id": "other", "text": other_text}. Mistakes giving the right answer here are skipped.
json name_mistake(const json& given, const json& expected, const std::vector<MistakeAnswer>& mistakes, const std::string& other_text);

// ---- Hints: a ladder of three per exercise, never the answer: the rule (the formula with its
// symbols named), the first step in this exercise's numbers, then everything but the last step.
constexpr int kHintSteps = 3;
using HintLadder = std::vector<std::string>;  // (kHintSteps) texts, in the order they are given

// ---- The exercise record, the same in every lab with exercises.
struct ExerciseRecord {
    json exercise = nullptr;     // the open exercise's set-up with its "seed"; null when none is open
    int answered = 0;            // answers checked since the lab opened (or was reset)
    int correct = 0;             // of them, right
    json last_answer = nullptr;  // null, or {"correct", "expected", "given", "feedback", "mistake", "hints_used", ...the lab's own}
    json mistakes = json::object();  // {mistake id: times made} since the lab opened
    std::vector<std::string> hints;  // (at most kHintSteps) the hints given for the open exercise, in order

    bool open() const { return !exercise.is_null(); }
    // A new exercise: its set-up (an object; "seed" is added), no answer yet; "exercise-new" posted.
    void start(json setup, uint64_t seed, Pending& pending);
    void close();  // back to exploring: no exercise, no last answer; the score stays
    // One checked answer: counted, kept as last_answer (with `extra`'s fields), posted as "answer".
    // `mistake`: what a wrong answer shows (name_mistake); a wrong answer without one is "other".
    void checked(bool right, const json& expected, const json& given, const std::string& feedback, Pending& pending,
                 const json& extra = json::object(), json mistake = nullptr);
    // The next hint of `ladder` (computed from the open exercise); "hint" posted. Past the last one
    // nothing changes: "Show the answer" is the step after.
    void give_hint(const HintLadder& ladder, Pending& pending);
    void write(json& state) const;  // "exercise", "score", "last_answer", "mistakes", "hints", "hints_used"
};

// {"hint": true}: the open exercise's next hint, from ladder(lab).
template <class L>
std::string give_hint_if_asked(const json& fields, L& lab, HintLadder (*ladder)(const L&)) {
    if (!fields.contains("hint")) return "";
    bool wanted = false;
    if (std::string e = read_bool(fields, "hint", wanted); !e.empty()) return e;
    if (!wanted) return "";
    if (!lab.record.open()) return "there is no exercise to give a hint for: send {\"new_exercise\": true} first";
    lab.record.give_hint(ladder(lab), lab.pending);
    return "";
}

// {"new_exercise": ...} (read_new_exercise): starts one with start(lab, seed) when asked for.
template <class L>
std::string start_exercise_if_asked(const json& fields, L& lab, void (*start)(L&, uint64_t)) {
    bool wanted = false;
    uint64_t seed = 0;
    if (std::string e = read_new_exercise(fields, wanted, seed); !e.empty()) return e;
    if (wanted) start(lab, seed);
    return "";
}

// Answers people type are rounded: 0.33 for 1/3 is right (0.01 plus 0.1% of the expected value).
bool close_enough(float answer, float expected);

// ---- Commands on a copy. apply(copy, fields) returns "" or a message; on "" the copy becomes
// `lab`, kept(lab) runs when given (work the lab starts only for a kept command), and what the
// command caused is carried out (commit, when `lab` has a `Pending pending`); else `lab` stays
// exactly as it was and nothing is posted. `lab` is the whole lab, or only its settings where the
// rest is too big to copy for each command (a picture's pixels, GPU objects).
template <class L>
std::string command_on_copy(const char* lab_id, L& lab, const json& fields, std::string (*apply)(L&, const json&),
                            void (*kept)(L&) = nullptr) {
    L next = lab;  // with what the lab had pending and not yet carried out (a photo asked for as it was made)
    if (std::string e = apply(next, fields); !e.empty()) return e;
    lab = std::move(next);
    if (kept) kept(lab);
    if constexpr (requires { lab.pending; }) commit(lab_id, lab.pending);
    return "";
}

// ---- Small readers the labs share.
// fields[name] as [row, col] inside a rows x cols grid; `what` names the grid in the message:
// "position [2, 0] is outside the pooled output (2 x 2)".
std::string read_cell(const json& fields, const char* name, int rows, int cols, const std::string& what, int& row, int& col);
// fields[name] as one of the photos shipped with the app (photo_names()).
std::string read_photo(const json& fields, const char* name, std::string& out);
// A picture (a photo that arrived, the student's file) in grey, side x side (1,1,side,side), values
// 0..1: grey as a 1x1 convolution of R, G, B (BT.601 weights), shrunk with average pooling by a whole
// factor, the middle kept. "" or why not (smaller than side).
std::string grey_square(Tensor& out, const Picture& picture, int side);
// The same in colour: (1,3,side,side), values 0..1.
std::string rgb_square(Tensor& out, const Picture& picture, int side);
// A grid that is one row in 1D mode: at most max_side x max_side in 2D, one row of at most
// max_length in 1D (where a flat list is taken as that row); the message then adds
// " (1D mode: the kernel is one row)".
std::string read_grid(const json& fields, const char* name, bool one_d, int max_side, int max_length, float limit, Rows& out);
