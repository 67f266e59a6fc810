// app.cpp — the lab list, the JavaScript API's three calls, events for the page, and the frame.
#include "app.h"

#include <algorithm>
#include <iterator>
#include <string_view>

#include <imgui.h>

#include "app_parts.h"

// A function-local static, so labs registering from other files' static initializers find it
// constructed whatever the order in which the files are initialized.
static std::vector<Lab>& lab_registry() {
    static std::vector<Lab> labs;
    return labs;
}
static size_t g_current = 0;  // index of the open lab in lab_registry()
static json g_anchors = json::object();  // name -> [x, y, width, height] of the last frame

// The lab list follows the lessons (../shared/lessons), in chapters; a lab not named here goes at
// the end of the last.
struct Chapter {
    const char* title;
    std::vector<const char*> labs;
};
static const Chapter kChapters[] = {
    {"Convolution", {"hand-conv", "arithmetic", "matrix", "fft", "channels", "image-kernels"}},
    {"Building blocks", {"pooling", "nonlinearity", "receptive-field"}},
    {"Training", {"backprop", "train"}},
    {"Deeper networks", {"normalization", "residual", "architectures"}},
    {"Your network", {"transfer", "adversarial", "explain"}},
};

static size_t lesson_position(const char* id) {
    size_t i = 0;
    for (const Chapter& chapter : kChapters)
        for (const char* lab : chapter.labs) {
            if (std::string_view(id) == lab) return i;
            i++;
        }
    return i;
}

// The chapter a lab is in (the last one for a lab no chapter names).
static const Chapter& chapter_of(const char* id) {
    for (const Chapter& chapter : kChapters)
        for (const char* lab : chapter.labs)
            if (std::string_view(id) == lab) return chapter;
    return kChapters[std::size(kChapters) - 1];
}

bool register_lab(const Lab& lab) {
    std::vector<Lab>& labs = lab_registry();
    auto after = std::upper_bound(labs.begin(), labs.end(), lab, [](const Lab& a, const Lab& b) {
        return lesson_position(a.id) < lesson_position(b.id);
    });
    labs.insert(after, lab);
    return true;
}

const std::vector<Lab>& all_labs() { return lab_registry(); }

const Lab* find_lab(const std::string& id) {
    for (const Lab& lab : lab_registry())
        if (id == lab.id) return &lab;
    return nullptr;
}

const Lab& current_lab() { return lab_registry().at(g_current); }

static std::string lab_id_list() {
    std::string ids;
    for (const Lab& lab : lab_registry()) ids += std::string(ids.empty() ? "" : ", ") + lab.id;
    return ids;
}

std::string open_lab(const std::string& id) {
    for (size_t i = 0; i < lab_registry().size(); i++) {
        if (id == lab_registry()[i].id) {
            bool changed = i != g_current;
            g_current = i;
            if (changed) post_event("lab-changed");
            return "";
        }
    }
    return "there is no lab called \"" + id.substr(0, 60) + "\"; the labs are: " + lab_id_list();
}

json api_labs() {
    json ids = json::array();
    for (const Lab& lab : lab_registry()) ids.push_back(lab.id);
    return ids;
}

static json g_bench = nullptr;
void set_bench_result(const json& result) { g_bench = result; }

json api_state() {
    json state = current_lab().state();
    state["lab"] = current_lab().id;
    if (!g_bench.is_null()) state["bench"] = g_bench;
    return state;
}

json api_command(const json& command) {
    if (!command.is_object()) return json{{"error", "a command must be an object, like {\"stride\": 2}"}};
    const Lab* target = &current_lab();
    json fields = command;
    // {"progress": true} adds the student's record to the reply (concept_progress() with "labs":
    // progress()); {"progress": "reset"} clears it first.
    bool want_progress = false, reset = false;
    if (command.contains("progress")) {
        const json& p = command["progress"];
        if (p.is_boolean()) want_progress = p.get<bool>();
        else if (p.is_string() && p.get<std::string>() == "reset") want_progress = reset = true;
        else return json{{"error", "\"progress\" must be true (every concept's state and every lab's answered and correct counts) or \"reset\" (forget them)"}};
        fields.erase("progress");
    }
    if (command.contains("lab")) {
        if (!command["lab"].is_string()) return json{{"error", "\"lab\" must be a lab id (a string): " + lab_id_list()}};
        target = find_lab(command["lab"].get<std::string>());
        if (!target) return json{{"error", open_lab(command["lab"].get<std::string>())}};
        fields.erase("lab");
    }
    // A state sent back (a link) names its exercise by the seed that made it: every lab with
    // exercises sets the same one up again from {"new_exercise": true, "seed": S}, unless that
    // exercise is the one open (the lab's own state sent back keeps its answers).
    if (fields.contains("exercise") && !fields.contains("new_exercise")) {
        const json& exercise = fields["exercise"];
        const json open = target->state().value("exercise", json());
        if (exercise.is_object() && exercise.contains("seed") && exercise["seed"].is_number_integer() && exercise != open) {
            fields["new_exercise"] = true;
            fields["seed"] = exercise["seed"];
        }
        fields.erase("exercise");
    }
    // The lab applies its fields first, so a bad command changes nothing, not even the open lab.
    if (!fields.empty()) {
        std::string error = target->command(fields);
        if (!error.empty()) return json{{"error", error}};
    }
    open_lab(target->id);
    if (reset) reset_progress();
    json state = api_state();
    if (want_progress) {
        state["progress"] = concept_progress();
        state["progress"]["labs"] = progress();
    }
    return state;
}

std::string api_command_text(const std::string& command_json) {
    json command;
    if (Status s = parse_json(command, command_json, "the command"); !s.ok()) return json_text(json{{"error", s.message}});
    return json_text(api_command(command));
}

std::string json_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

static AppPlatform g_platform;

void set_platform(const AppPlatform& platform) { g_platform = platform; }
AppPlatform& app_platform() { return g_platform; }

void post_event(const std::string& event) {
    if (!g_platform.post_event) return;
    json state = api_state();
    // Every lab's answer event says the same things in the same place, whatever the lab's own fields.
    if (event == "answer" && !last_answer_record().is_null()) state["answer"] = last_answer_record();
    if (event == "progress" && last_answer_record().contains("concept")) state["concept"] = last_answer_record()["concept"];
    g_platform.post_event(event, state);
}

void ui_anchor(const std::string& name) {
    ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
    g_anchors[name] = {min.x, min.y, max.x - min.x, max.y - min.y};
}

json ui_anchors() { return g_anchors; }

// ---- The progress view: every concept, its state, the mistakes made most often, its lab.
static bool g_show_progress = false;  // the lab area shows the progress view instead of the open lab
static bool g_confirm_reset = false;  // "Reset progress" asked once: the next click forgets

static ImVec4 concept_color(const std::string& state) {
    if (state == "mastered") return ImVec4(0.4f, 0.85f, 0.5f, 1);
    if (state == "practising") return ImVec4(1.0f, 0.75f, 0.35f, 1);
    return ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled);
}

// "forgot-plus-one (3), stride-ignored (1)": the two made most often.
static std::string frequent_mistakes(const json& mistakes) {
    std::vector<std::pair<uint64_t, std::string>> sorted;
    for (auto it = mistakes.begin(); it != mistakes.end(); ++it) sorted.emplace_back(it.value().get<uint64_t>(), it.key());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string text;
    for (size_t i = 0; i < sorted.size() && i < 2; i++)
        text += (i ? ", " : "") + sorted[i].second + " (" + std::to_string(sorted[i].first) + ")";
    return text.empty() ? "-" : text;
}

static void draw_progress_view() {
    const json concepts = concept_progress()["concepts"];
    int mastered = 0;
    for (const json& c : concepts) mastered += c["state"] == "mastered";
    ImGui::TextUnformatted("Your progress");
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%d of %d concepts mastered. A concept is mastered after three right answers in a row without a hint; "
                       "a wrong answer sends it back to practising. Kept in this browser across visits.",
                       mastered, int(concepts.size()));
    ImGui::PopStyleColor();
    ImGui::Spacing();
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp;
    if (ImGui::BeginTable("concepts", 5, flags)) {
        ImGui::TableSetupColumn("Concept", ImGuiTableColumnFlags_WidthStretch, 2.0f);
        ImGui::TableSetupColumn("State", ImGuiTableColumnFlags_WidthStretch, 1.2f);
        ImGui::TableSetupColumn("Right / answered", ImGuiTableColumnFlags_WidthStretch, 1.3f);
        ImGui::TableSetupColumn("Mistakes made most often", ImGuiTableColumnFlags_WidthStretch, 3.0f);
        ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthStretch, 1.0f);
        ImGui::TableHeadersRow();
        for (const json& c : concepts) {
            const std::string state = c["state"], lab = c["lab"];
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(c["title"].get<std::string>().c_str());
            ImGui::TableNextColumn();
            std::string shown = state;
            if (state == "practising") shown += " (" + std::to_string(c["right_in_a_row"].get<int>()) + " in a row)";
            ImGui::TextColored(concept_color(state), "%s", shown.c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%d / %d", c["correct"].get<int>(), c["answered"].get<int>());
            ImGui::TableNextColumn();
            ImGui::PushTextWrapPos(0);
            ImGui::TextUnformatted(frequent_mistakes(c["mistakes"]).c_str());
            ImGui::PopTextWrapPos();
            ImGui::TableNextColumn();
            ImGui::PushID(lab.c_str());
            if (ImGui::SmallButton("Practise")) {
                open_lab(lab);
                g_show_progress = false;
            }
            ui_anchor("progress/open/" + lab);
            ImGui::PopID();
        }
        ImGui::EndTable();
    }
    ImGui::Spacing();
    if (!g_confirm_reset) {
        if (ImGui::Button("Reset progress")) g_confirm_reset = true;
    } else {
        ImGui::TextUnformatted("Forget every answer and every concept's state?");
        ImGui::SameLine();
        if (ImGui::Button("Yes, forget")) {
            reset_progress();
            g_confirm_reset = false;
        }
        ImGui::SameLine();
        if (ImGui::Button("No")) g_confirm_reset = false;
    }
}

void draw_app(AppView& view) {
    app_frame_began();
    g_anchors = json::object();
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(viewport->WorkPos);
    ImGui::SetNextWindowSize(viewport->WorkSize);
    ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                             ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                             ImGuiWindowFlags_NoBackground;  // the cleared framebuffer is its background (main.cpp set_style)
    ImGui::Begin("CNN Lab", nullptr, flags);
    if (!view.notice.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.75f, 0.3f, 1.0f));
        ImGui::TextWrapped("%s", view.notice.c_str());
        ImGui::PopStyleColor();
        ImGui::SameLine();
        if (ImGui::SmallButton("OK")) view.notice.clear();
    }
    if (!view.embed) {
        // The lab list: a narrow column on the left.
        ImGui::BeginChild("lab-list", ImVec2(ImGui::GetFontSize() * 11.0f, 0), true);
        ImGui::TextDisabled("CNN Lab");
        if (g_platform.copy_link) {  // at the top: the list is taller than most windows
            ImGui::SameLine();
            if (ImGui::SmallButton("Copy link")) g_platform.copy_link();
            ui_anchor("copy-link");
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("A link to this lab as it is now (its settings and exercise)");
        }
        ImGui::Separator();
        if (ImGui::Selectable("Your progress", g_show_progress)) {
            g_show_progress = true;
            g_confirm_reset = false;
        }
        ui_anchor("lab-list/progress");
        ImGui::Separator();
        const json concepts = concept_progress()["concepts"];
        const Chapter* chapter = nullptr;
        for (const Lab& lab : all_labs()) {
            if (&chapter_of(lab.id) != chapter) {  // a chapter's heading before its first lab
                chapter = &chapter_of(lab.id);
                ImGui::Spacing();
                ImGui::TextDisabled("%s", chapter->title);
            }
            // A dot before a lab whose exercises the student has answered: green once mastered, orange while practising.
            std::string state = "new";
            for (const json& c : concepts)
                if (c["lab"] == lab.id) state = c["state"];
            const ImVec2 at = ImGui::GetCursorScreenPos();
            const float dot = ImGui::GetFontSize() * 0.22f;
            if (state != "new")
                ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(at.x + dot, at.y + ImGui::GetFontSize() * 0.5f), dot,
                                                            state == "mastered" ? IM_COL32(100, 215, 130, 255) : IM_COL32(255, 190, 90, 255));
            ImGui::Indent(dot * 3.5f);
            if (ImGui::Selectable(lab.name, !g_show_progress && &lab == &current_lab())) {
                open_lab(lab.id);
                g_show_progress = false;
            }
            ui_anchor(std::string("lab-list/") + lab.id);
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            ImGui::PushTextWrapPos(0.0f);
            ImGui::TextUnformatted(lab.summary);
            ImGui::PopTextWrapPos();
            ImGui::PopStyleColor();
            ImGui::Unindent(dot * 3.5f);
            ImGui::Spacing();
        }
        ImGui::EndChild();
        ImGui::SameLine();
    }
    ImGui::BeginChild("lab", ImVec2(0, 0), false);
    if (view.embed) {  // no lab list: the way to the progress view and back is a small button
        if (ImGui::SmallButton(g_show_progress ? "Back to the lab" : "Your progress")) g_show_progress = !g_show_progress;
        ui_anchor("embed/progress");
    }
    if (g_show_progress) draw_progress_view();
    else current_lab().draw();
    ImGui::EndChild();
    ImGui::End();
}
