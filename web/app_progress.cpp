// app_progress.cpp — every checked answer, counted per lab and per concept and kept in storage; a
// command's events posted once it is kept.
#include <algorithm>
#include <iterator>

#include "app.h"
#include "app_parts.h"

// Three right answers in a row, none after a hint, and a concept is mastered.
constexpr int kRightToMaster = 3;

static bool whole_count(const json& e, const char* key) { return e.contains(key) && e[key].is_number_unsigned(); }

// A record kept in storage under `key`, read on first use; entries `well_formed` rejects are
// dropped, so a damaged stored record loses only what is damaged.
static json read_record(const char* key, bool (*well_formed)(const json& entry)) {
    json r;
    if (!parse_json(r, stored(key), key).ok() || !r.is_object()) return json::object();
    for (auto it = r.begin(); it != r.end();) it = well_formed(it.value()) ? std::next(it) : r.erase(it);
    return r;
}

// {lab id: {"answered", "correct"}}
static json& lab_record() {
    static json record = read_record("progress", [](const json& e) {
        return e.is_object() && whole_count(e, "answered") && whole_count(e, "correct") && e["correct"] <= e["answered"];
    });
    return record;
}

// {concept id: {"answered", "correct", "right_in_a_row", "mastered", "mistakes": {id: count}}}
static json& concept_record() {
    static json record = read_record("concepts", [](const json& e) {
        if (!e.is_object() || !whole_count(e, "answered") || !whole_count(e, "correct") || !whole_count(e, "right_in_a_row") ||
            !e.contains("mastered") || !e["mastered"].is_boolean() || !e.contains("mistakes") || !e["mistakes"].is_object())
            return false;
        for (const json& n : e["mistakes"]) if (!n.is_number_unsigned()) return false;
        return true;
    });
    return record;
}

static const char* concept_state(const json& entry) {
    if (!entry.is_object() || entry["answered"].get<uint64_t>() == 0) return "new";
    return entry["mastered"].get<bool>() ? "mastered" : "practising";
}

static json concept_json(const Lab& lab) {
    const json& all = concept_record();
    const json entry = all.contains(lab.teaches.id) ? all[lab.teaches.id] : json(nullptr);
    auto count = [&](const char* key) { return entry.is_object() ? entry[key] : json(0); };
    return {{"id", lab.teaches.id}, {"lab", lab.id}, {"title", lab.teaches.title}, {"state", concept_state(entry)},
            {"right_in_a_row", count("right_in_a_row")}, {"answered", count("answered")}, {"correct", count("correct")},
            {"mistakes", entry.is_object() ? entry["mistakes"] : json::object()}};
}

json concept_progress() {
    json concepts = json::array();
    for (const Lab& lab : all_labs())
        if (lab.teaches.id) concepts.push_back(concept_json(lab));
    return {{"concepts", concepts}};
}

static json g_last_answer = nullptr;  // what record_answer saw last: the "answer" and "progress" events carry it
static bool g_concept_changed = false;
const json& last_answer_record() { return g_last_answer; }

void record_answer(const std::string& lab_id, const CheckedAnswer& answer) {
    json& entry = lab_record()[lab_id];
    if (!entry.is_object()) entry = json{{"answered", 0}, {"correct", 0}};
    entry["answered"] = entry["answered"].get<uint64_t>() + 1;
    if (answer.correct) entry["correct"] = entry["correct"].get<uint64_t>() + 1;
    store("progress", lab_record().dump());
    g_last_answer = {{"lab", lab_id}, {"correct", answer.correct}, {"mistake", answer.mistake.empty() ? json(nullptr) : json(answer.mistake)},
                     {"hints_used", answer.hints_used}, {"progress", entry}};
    g_concept_changed = false;

    const Lab* lab = find_lab(lab_id);
    if (!lab || !lab->teaches.id) return;
    json& c = concept_record()[lab->teaches.id];
    if (!c.is_object()) c = {{"answered", 0}, {"correct", 0}, {"right_in_a_row", 0}, {"mastered", false}, {"mistakes", json::object()}};
    const std::string before = concept_state(c);
    c["answered"] = c["answered"].get<uint64_t>() + 1;
    if (answer.correct) c["correct"] = c["correct"].get<uint64_t>() + 1;
    if (!answer.correct) {
        c["right_in_a_row"] = 0;
        c["mastered"] = false;
        c["mistakes"][answer.mistake] = c["mistakes"].value(answer.mistake, 0) + 1;
    } else if (answer.hints_used > 0) {
        c["right_in_a_row"] = 0;  // right, but with help: it breaks the row
    } else {
        c["right_in_a_row"] = c["right_in_a_row"].get<uint64_t>() + 1;
        if (c["right_in_a_row"].get<uint64_t>() >= kRightToMaster) c["mastered"] = true;
    }
    store("concepts", concept_record().dump());
    g_last_answer["concept"] = concept_json(*lab);
    g_concept_changed = before != concept_state(c);
}

json progress() { return lab_record(); }

void commit(const std::string& lab_id, Pending& pending) {
    Pending posting = std::move(pending);
    pending = Pending{};
    size_t answer = 0;
    for (const std::string& event : posting.events) {
        const bool checked = event == "answer" && answer < posting.answers.size();
        if (checked) record_answer(lab_id, posting.answers[answer++]);
        post_event(event);
        if (checked && g_concept_changed) post_event("progress");
    }
    if (!posting.picture.empty()) request_picture(lab_id, posting.picture);  // may answer at once (desktop, tests) or later (browser)
}

void reset_progress() {
    lab_record() = json::object();
    concept_record() = json::object();
    store("progress", "{}");
    store("concepts", "{}");
}
