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

// The lab list follows the lessons (../shared/lessons): a lab not named here goes at the end.
static const char* const kLessonOrder[] = {
    "hand-conv", "arithmetic", "matrix", "channels", "image-kernels", "pooling", "receptive-field", "backprop", "train",
};

static size_t lesson_position(const char* id) {
    size_t i = 0;
    for (; i < std::size(kLessonOrder); i++)
        if (std::string_view(id) == kLessonOrder[i]) break;
    return i;
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
    // {"progress": true} adds every lab's record to the reply; {"progress": "reset"} clears it first.
    bool want_progress = false, reset = false;
    if (command.contains("progress")) {
        const json& p = command["progress"];
        if (p.is_boolean()) want_progress = p.get<bool>();
        else if (p.is_string() && p.get<std::string>() == "reset") want_progress = reset = true;
        else return json{{"error", "\"progress\" must be true (every lab's answered and correct counts) or \"reset\" (forget them)"}};
        fields.erase("progress");
    }
    if (command.contains("lab")) {
        if (!command["lab"].is_string()) return json{{"error", "\"lab\" must be a lab id (a string): " + lab_id_list()}};
        target = find_lab(command["lab"].get<std::string>());
        if (!target) return json{{"error", open_lab(command["lab"].get<std::string>())}};
        fields.erase("lab");
    }
    // A state sent back (a link) names its exercise by the seed that made it: every lab with
    // exercises sets the same one up again from {"new_exercise": true, "seed": S}.
    if (fields.contains("exercise") && !fields.contains("new_exercise")) {
        const json& exercise = fields["exercise"];
        if (exercise.is_object() && exercise.contains("seed") && exercise["seed"].is_number_integer()) {
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
    if (want_progress) state["progress"] = progress();
    return state;
}

std::string api_command_text(const std::string& command_json) {
    json command = json::parse(command_json, nullptr, /*allow_exceptions=*/false);
    if (command.is_discarded()) return json_text(json{{"error", "the command is not valid JSON"}});
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
    g_platform.post_event(event, state);
}

void ui_anchor(const std::string& name) {
    ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
    g_anchors[name] = {min.x, min.y, max.x - min.x, max.y - min.y};
}

json ui_anchors() { return g_anchors; }

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
        for (const Lab& lab : all_labs()) {
            if (ImGui::Selectable(lab.name, &lab == &current_lab())) open_lab(lab.id);
            ui_anchor(std::string("lab-list/") + lab.id);
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            ImGui::PushTextWrapPos(0.0f);
            ImGui::TextUnformatted(lab.summary);
            ImGui::PopTextWrapPos();
            ImGui::PopStyleColor();
            ImGui::Spacing();
        }
        ImGui::EndChild();
        ImGui::SameLine();
    }
    ImGui::BeginChild("lab", ImVec2(0, 0), false);
    current_lab().draw();
    ImGui::EndChild();
    ImGui::End();
}
