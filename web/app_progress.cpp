// app_progress.cpp — every checked answer, counted per lab and kept in storage; a command's
// events posted once it is kept.
#include <iterator>

#include "app.h"
#include "app_parts.h"

// The record in memory, read from storage on first use; a damaged stored record starts afresh.
static json& progress_record() {
    static json record = [] {
        json r = json::parse(stored("progress"), nullptr, false);
        if (!r.is_object()) return json::object();
        for (auto it = r.begin(); it != r.end();) {  // keep only well-formed entries
            const json& e = it.value();
            bool ok = e.is_object() && e.contains("answered") && e["answered"].is_number_unsigned() &&
                      e.contains("correct") && e["correct"].is_number_unsigned() && e["correct"] <= e["answered"];
            it = ok ? std::next(it) : r.erase(it);
        }
        return r;
    }();
    return record;
}

static json g_last_answer = nullptr;  // what record_answer saw last: the "answer" event carries it
const json& last_answer_record() { return g_last_answer; }

void record_answer(const std::string& lab_id, bool correct) {
    json& entry = progress_record()[lab_id];
    if (!entry.is_object()) entry = json{{"answered", 0}, {"correct", 0}};
    entry["answered"] = entry["answered"].get<uint64_t>() + 1;
    if (correct) entry["correct"] = entry["correct"].get<uint64_t>() + 1;
    store("progress", progress_record().dump());
    g_last_answer = {{"lab", lab_id}, {"correct", correct}, {"progress", entry}};
}

json progress() { return progress_record(); }

void commit(const std::string& lab_id, Pending& pending) {
    Pending posting = std::move(pending);
    pending = Pending{};
    size_t verdict = 0;
    for (const std::string& event : posting.events) {
        if (event == "answer" && verdict < posting.verdicts.size()) record_answer(lab_id, posting.verdicts[verdict++]);
        post_event(event);
    }
    if (!posting.picture.empty()) request_picture(lab_id, posting.picture);  // may answer at once (desktop, tests) or later (browser)
}

void reset_progress() {
    progress_record() = json::object();
    store("progress", "{}");
}

