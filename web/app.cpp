#include "app.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <string_view>

#include <imgui.h>

// A function-local static, so labs registering from other files' static initializers find it
// constructed whatever the order in which the files are initialized.
static std::vector<Lab>& lab_registry() {
    static std::vector<Lab> labs;
    return labs;
}
static size_t g_current = 0;  // index of the open lab in lab_registry()
static EventSink g_event_sink = nullptr;
static json g_last_answer = nullptr;  // what record_answer saw last: the "answer" event carries it
static void (*g_copy_link)() = nullptr;
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

static double g_frame_cpu_ms = 0;
void set_frame_cpu_ms(double ms) { g_frame_cpu_ms = ms; }
double frame_cpu_ms() { return g_frame_cpu_ms; }

// Frame pacing for work done in slices: how many milliseconds of it may run between two frames so
// that frames keep coming every 33 ms (30 per second, two ticks of a 60 Hz display). The time from
// one frame to the next holds the work, the UI and the wait for the GPU to draw (tens of
// milliseconds where it is emulated in software). The budget grows while frames come on time
// (within 40 ms) and shrinks, by more the later they are, while they do not, within [min_ms,
// max_ms]. While frames are on time it can exceed the time between them: the work then goes on
// until the next frame, and only late frames hold it back.
struct FramePacer {
    double budget_ms = 16.0;           // work per frame
    double min_ms = 6.0, max_ms = 28.0;
    std::chrono::steady_clock::time_point last_frame;
    bool was_working = false;          // whether the last frame had work to do
    // Call as each frame begins; `working`: there is work this frame. Adjusts only between frames
    // in a row that both work (not across a pause or a command), less than 250 ms apart.
    void frame_began(bool working) {
        const auto now = std::chrono::steady_clock::now();
        const double interval = std::chrono::duration<double, std::milli>(now - last_frame).count();
        if (working && was_working && interval < 250.0)
            budget_ms = std::clamp(interval <= 40.0 ? budget_ms + 2.0 : budget_ms - 0.25 * (interval - 33.0), min_ms, max_ms);
        last_frame = now;
        was_working = working;
    }
};

static bool g_work_between_frames = false;
static FramePacer g_work_pacer;    // how much work fits between two frames
static double g_worked_ms = 0;     // work done since the last frame began
static bool g_has_work = false;    // whether the open lab said it had more

// Between frames the work runs while the GPU process draws, so it may take longer than a slice
// inside a frame (max 40 ms instead of 28), but not so long that the GPU process, sharing the CPU,
// draws late.
void set_work_between_frames(bool on) {
    g_work_between_frames = on;
    g_work_pacer.max_ms = on ? 40.0 : 28.0;
}

// As each frame begins (draw_app): the pacer measures the time since the last one; without a
// platform that works between frames, this frame does its slice of the work now, before the lab draws.
static void app_frame_began() {
    g_work_pacer.frame_began(g_has_work);
    g_worked_ms = 0;
    if (!g_work_between_frames) app_work(g_work_pacer.budget_ms);
}

bool app_has_work() { return g_has_work; }

bool app_work(double budget_ms) {
    const Lab& lab = current_lab();
    if (!lab.work) return g_has_work = false;
    const double left = g_work_pacer.budget_ms - g_worked_ms;
    if (left <= 0) return false;  // enough for this frame: the next frame starts the work again
    const auto start = std::chrono::steady_clock::now();
    g_has_work = lab.work(std::min(budget_ms, left));
    g_worked_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return g_has_work && g_worked_ms < g_work_pacer.budget_ms;
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

static PictureLoader g_picture_loader = nullptr;
static GpuContext* g_gpu = nullptr;
static std::string g_gpu_note = "the GPU backend has not started";
static int g_gpu_generation = 0;

void set_picture_loader(PictureLoader loader) { g_picture_loader = loader; }

void request_picture(const std::string& name) {
    if (g_picture_loader) {
        g_picture_loader(name);
        return;
    }
    Picture none;
    none.name = name;
    none.error = "pictures cannot be loaded here";
    picture_arrived(none);
}

void picture_arrived(const Picture& picture) {
    for (const Lab& lab : lab_registry())
        if (lab.on_picture) lab.on_picture(picture);  // each lab keeps only what it asked for
}

const std::vector<std::string>& photo_names() {
    static const std::vector<std::string> names = {"chelsea", "coffee", "astronaut", "camera", "brick"};
    return names;
}

static DatasetLoader g_dataset_loader = nullptr;
static std::vector<std::pair<std::string, float>> g_dataset_progress;  // name -> fraction, while loading

void set_dataset_loader(DatasetLoader loader) { g_dataset_loader = loader; }

void dataset_progress(const std::string& name, float fraction) {
    for (auto& [n, f] : g_dataset_progress)
        if (n == name) { f = fraction; return; }
    g_dataset_progress.emplace_back(name, fraction);
}

float dataset_loading(const std::string& name) {
    for (const auto& [n, f] : g_dataset_progress)
        if (n == name) return f;
    return -1.0f;
}

void request_dataset(const std::string& name) {
    if (dataset_loading(name) >= 0) return;  // already on its way
    dataset_progress(name, 0.0f);
    if (g_dataset_loader) {
        g_dataset_loader(name);
        return;
    }
    DatasetFiles none;
    none.name = name;
    none.error = "datasets cannot be loaded here";
    dataset_arrived(none);
}

void dataset_arrived(const DatasetFiles& files) {
    g_dataset_progress.erase(std::remove_if(g_dataset_progress.begin(), g_dataset_progress.end(),
                                            [&](const auto& e) { return e.first == files.name; }),
                             g_dataset_progress.end());
    for (const Lab& lab : lab_registry())
        if (lab.on_dataset) lab.on_dataset(files);
}

static FileSaver g_file_saver = nullptr;
static FileOpener g_file_opener = nullptr;
static Storage g_storage = nullptr;

void set_file_handlers(FileSaver saver, FileOpener opener) {
    g_file_saver = saver;
    g_file_opener = opener;
}

std::string save_file(const std::string& filename, const std::vector<uint8_t>& bytes) {
    return g_file_saver ? g_file_saver(filename, bytes) : "files cannot be saved here";
}

void request_file(const std::string& purpose, const std::string& accept) {
    if (g_file_opener) return g_file_opener(purpose, accept);
    file_arrived(OpenedFile{purpose, "", {}, "files cannot be opened here"});
}

void file_arrived(const OpenedFile& file) {
    for (const Lab& lab : lab_registry())
        if (lab.on_file) lab.on_file(file);
}

void set_storage(Storage storage) { g_storage = storage; }
void store(const std::string& key, const std::string& value) {
    if (g_storage) g_storage(key, &value);
}
std::string stored(const std::string& key) { return g_storage ? g_storage(key, nullptr) : ""; }

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

void record_answer(const std::string& lab_id, bool correct) {
    json& entry = progress_record()[lab_id];
    if (!entry.is_object()) entry = json{{"answered", 0}, {"correct", 0}};
    entry["answered"] = entry["answered"].get<uint64_t>() + 1;
    if (correct) entry["correct"] = entry["correct"].get<uint64_t>() + 1;
    store("progress", progress_record().dump());
    g_last_answer = {{"lab", lab_id}, {"correct", correct}, {"progress", entry}};
}

json progress() { return progress_record(); }

void post_events(const std::string& lab_id, PendingEvents& pending) {
    PendingEvents posting = std::move(pending);
    pending = PendingEvents{};
    size_t verdict = 0;
    for (const std::string& event : posting.events) {
        if (event == "answer" && verdict < posting.verdicts.size()) record_answer(lab_id, posting.verdicts[verdict++]);
        post_event(event);
    }
}

void reset_progress() {
    progress_record() = json::object();
    store("progress", "{}");
}

void set_gpu(GpuContext* gpu_context, const std::string& note) {
    g_gpu = gpu_context;
    g_gpu_note = note;
    g_gpu_generation++;
}
GpuContext* gpu() { return g_gpu; }
const std::string& gpu_note() { return g_gpu_note; }
int gpu_generation() { return g_gpu_generation; }

static TextureUploader g_texture_uploader = nullptr;
void set_texture_uploader(TextureUploader uploader) { g_texture_uploader = uploader; }
unsigned upload_texture(unsigned texture, const uint8_t* rgba, int width, int height) {
    return g_texture_uploader ? g_texture_uploader(texture, rgba, width, height) : 0;
}

void set_event_sink(EventSink sink) { g_event_sink = sink; }

void post_event(const std::string& event) {
    if (!g_event_sink) return;
    json state = api_state();
    // Every lab's answer event says the same things in the same place, whatever the lab's own fields.
    if (event == "answer" && !g_last_answer.is_null()) state["answer"] = g_last_answer;
    g_event_sink(event, state);
}

void ui_anchor(const std::string& name) {
    ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
    g_anchors[name] = {min.x, min.y, max.x - min.x, max.y - min.y};
}

json ui_anchors() { return g_anchors; }

void set_link_copier(void (*copy_link)()) { g_copy_link = copy_link; }

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
        if (g_copy_link) {  // at the top: the list is taller than most windows
            ImGui::SameLine();
            if (ImGui::SmallButton("Copy link")) g_copy_link();
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
