// main.cpp — runs the catalogue of bad inputs (catalogue.h). First it does what a student does in a
// lesson: trains a network, answers an exercise, edits a kernel (all kept in storage). Then, for
// every case: gives the input, compares the message with the one written in the catalogue, checks
// that the student's work is exactly as it was, and that the lab the input went to still draws and
// takes its own state back. Prints one line per failure and ends with "N passed, N failed".
//   bad_inputs [ID-PREFIX]     runs the cases whose id starts with the prefix (all by default)
//   bad_inputs --list          prints every case's id, input and expected message
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "../../engine/gzip.h"
#include "../../engine/safetensors.h"
#include "catalogue.h"

static std::vector<BadInput> g_cases;

void bad(std::string id, std::string input, std::string expect, std::function<std::string()> give, std::string lab, bool sets_lab) {
    g_cases.push_back({std::move(id), std::move(input), std::move(expect), std::move(give), std::move(lab), sets_lab});
}

// ---- Making inputs ----

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
    for (int b = 3; b >= 0; b--) out.push_back(uint8_t(v >> (8 * b)));
}

std::vector<uint8_t> idx_file(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
    std::vector<uint8_t> out = {0, 0, 0x08, uint8_t(dims.size())};
    for (uint32_t d : dims) put_be32(out, d);
    out.insert(out.end(), values.begin(), values.end());
    return out;
}

void good_idx(std::vector<uint8_t>& images, std::vector<uint8_t>& labels, int count) {
    std::vector<uint8_t> pixels, classes;
    for (int i = 0; i < count; i++) {
        const int k = i % 10;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) pixels.push_back(y >= 2 * k + 3 && y <= 2 * k + 5 ? 200 : uint8_t((x * 7 + y * 13 + i) % 40));
        classes.push_back(uint8_t(k));
    }
    images = idx_file({uint32_t(count), 28, 28}, pixels);
    labels = idx_file({uint32_t(count)}, classes);
}

DatasetFiles good_dataset(const std::string& name, int train_count, int test_count) {
    DatasetFiles d;
    d.name = name;
    good_idx(d.train_images, d.train_labels, train_count);
    good_idx(d.test_images, d.test_labels, test_count);
    return d;
}

std::vector<uint8_t> gzip_stored(const std::vector<uint8_t>& data) {
    std::vector<uint8_t> out = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    size_t at = 0;
    do {  // stored blocks of at most 65535 bytes: BFINAL, BTYPE 00, LEN, NLEN, the bytes
        const size_t n = std::min<size_t>(65535, data.size() - at);
        const bool last = at + n == data.size();
        out.push_back(last ? 1 : 0);
        out.push_back(uint8_t(n)), out.push_back(uint8_t(n >> 8));
        out.push_back(uint8_t(~n)), out.push_back(uint8_t(~n >> 8));
        out.insert(out.end(), data.begin() + long(at), data.begin() + long(at + n));
        at += n;
    } while (at < data.size());
    const uint32_t crc = crc32(data.data(), data.size()), size = uint32_t(data.size());
    for (int b = 0; b < 4; b++) out.push_back(uint8_t(crc >> (8 * b)));
    for (int b = 0; b < 4; b++) out.push_back(uint8_t(size >> (8 * b)));
    return out;
}

std::string deliver(DatasetFiles files) {
    const std::string name = files.name;
    dataset_arrived(std::move(files));
    return dataset_error(name);
}

std::string command_error(const std::string& command_text) {
    const json reply = json::parse(api_command_text(command_text), nullptr, false);
    if (reply.is_discarded()) return "(the reply is not JSON)";
    return reply.is_object() && reply.contains("error") ? reply["error"].get<std::string>() : "";
}
std::string command_error_of(const json& command) { return command_error(json_text(command)); }

std::vector<uint8_t> generated_file(const std::string& name) {
    std::vector<uint8_t> bytes;
    if (Status s = read_file(bytes, "build/bad_inputs/" + name, size_t(64) << 20); !s.ok())
        std::fprintf(stderr, "bad_inputs: %s (scripts/test makes it with tests/bad_inputs/make_files.py)\n", s.message.c_str());
    return bytes;
}

// ---- The platform: storage in memory, files saved into memory, events counted ----

static std::map<std::string, std::string> g_storage;
static std::map<std::string, std::vector<uint8_t>> g_saved;
static std::string storage_memory(const std::string& key, const std::string* value) {
    if (value) g_storage[key] = *value;
    return value ? "" : (g_storage.count(key) ? g_storage[key] : "");
}
static std::string save_memory(const std::string& name, const std::vector<uint8_t>& bytes) {
    g_saved[name] = bytes;
    return "";
}

// ---- The student's work, and a snapshot of it ----

// The labs whose state holds something the student made.
static const char* const kWorkLabs[] = {"train", "hand-conv", "image-kernels"};

struct Work {
    std::map<std::string, json> lab_states;  // each lab's state (Lab::state)
    std::string network;                     // your network: description, weights, version
    json progress, concepts;                 // answers
    std::map<std::string, std::string> storage;
};

// Every lab's state, or (accepted inputs: a good dataset arrives, and the labs that use it change)
// only those that hold something the student made.
static Work snapshot(bool every_lab = true) {
    Work w;
    for (const Lab& lab : all_labs())
        if (every_lab || std::find(std::begin(kWorkLabs), std::end(kWorkLabs), std::string(lab.id)) != std::end(kWorkLabs))
            w.lab_states[lab.id] = lab.state();
    if (const YourNetwork* n = your_network()) {
        const std::vector<uint8_t> weights = safetensors_serialize(n->weights);
        w.network = n->description + "|" + n->dataset + "|" + std::to_string(n->version) + "|" + std::string(weights.begin(), weights.end());
    }
    w.progress = progress();
    w.concepts = concept_progress();
    w.storage = g_storage;
    return w;
}

// What differs between two snapshots, in words ("" when nothing); `changed_lab`'s state is not
// compared (the input was meant to change it).
static std::string difference(const Work& a, const Work& b, const std::string& changed_lab) {
    for (const auto& [id, state] : a.lab_states) {
        if (id == changed_lab) continue;
        const json& other = b.lab_states.at(id);
        if (state == other) continue;
        for (auto it = state.begin(); it != state.end(); ++it)
            // (a lab's note is the message it shows, not the student's work: a refused file is
            // reported by every lab that takes files)
            if (it.key() != "note" && (!other.contains(it.key()) || other[it.key()] != it.value()))
                return "the " + id + " lab's \"" + it.key() + "\" changed: " + it.value().dump().substr(0, 120) + " -> " +
                       (other.contains(it.key()) ? other[it.key()].dump().substr(0, 120) : "(gone)");
        if (state.size() != other.size()) return "the " + id + " lab's state gained a field";
    }
    if (a.network != b.network) return "your network changed";
    if (a.progress != b.progress) return "the answers' record changed: " + b.progress.dump();
    if (a.concepts != b.concepts) return "the concepts' record changed";
    for (const auto& [key, value] : a.storage)
        if (!b.storage.count(key) || b.storage.at(key) != value) return "the stored \"" + key + "\" changed";
    if (a.storage.size() != b.storage.size()) return "something new was stored";
    return "";
}

static void draw_frames(int n) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60;
    for (int i = 0; i < n; i++) {
        ImGui::NewFrame();
        AppView view;
        draw_app(view);
        ImGui::Render();
    }
}

static std::string fail_setup(const std::string& what, const json& reply) {
    return what + ": " + reply.dump().substr(0, 300);
}

// What a student does in a lesson before anything goes wrong. Returns "" or what failed.
static std::string do_student_work() {
    if (std::string e = deliver(good_dataset("mnist", 600, 100)); !e.empty()) return "the good dataset was refused: " + e;
    json r = api_command({{"lab", "train"}, {"dataset", "mnist"}, {"model", "seed"}, {"seed", 3}, {"lr", 0.003}, {"action", "reset"}});
    if (r.contains("error")) return fail_setup("train", r);
    for (int i = 0; i < 30; i++)
        if ((r = api_command({{"lab", "train"}, {"action", "step"}})).contains("error")) return fail_setup("step", r);
    if ((r = api_command({{"lab", "train"}, {"action", "pause"}})).contains("error")) return fail_setup("pause", r);
    if (!your_network() || g_storage["train-session"].empty()) return "training did not keep the network";
    // an exercise in the hand lab, answered once right and once wrong
    if ((r = api_command({{"lab", "hand-conv"}, {"mode", "exercise"}, {"new_exercise", 7}})).contains("error")) return fail_setup("exercise", r);
    if ((r = api_command({{"lab", "hand-conv"}, {"answer", {{"position", {0, 0}}, {"value", 12345}}}})).contains("error")) return fail_setup("answer", r);
    if (progress().empty()) return "the answer was not recorded";
    // a kernel of the student's own in the image-kernel lab
    if ((r = api_command({{"lab", "image-kernels"}, {"image", "square"}, {"kernel", {{0, 1, 0}, {1, -4, 1}, {0, 1, 0}}}})).contains("error"))
        return fail_setup("kernel", r);
    draw_frames(2);
    return "";
}

// The lab still works: it draws, and takes its own state back as a command without a change.
static std::string still_works(const std::string& lab_id) {
    const Lab* lab = find_lab(lab_id);
    if (!lab) return "no lab " + lab_id;
    const std::string open = current_lab().id;
    json r = api_command({{"lab", lab_id}});
    if (r.contains("error")) return "it cannot be opened: " + r["error"].get<std::string>();
    draw_frames(2);
    if (ImGui::GetDrawData()->TotalVtxCount < 1000) return "it drew almost nothing";
    const json state = api_state();
    r = api_command(state);
    if (r.contains("error")) return "its own state is refused: " + r["error"].get<std::string>();
    if (r != state) {
        for (auto it = state.begin(); it != state.end(); ++it)
            if (!r.contains(it.key()) || r[it.key()] != it.value())
                return "its own state, sent back, changed \"" + it.key() + "\": " + it.value().dump().substr(0, 100) + " -> " +
                       (r.contains(it.key()) ? r[it.key()].dump().substr(0, 100) : "(gone)");
        return "its own state, sent back, gained a field";
    }
    api_command({{"lab", open}});
    return "";
}

int main(int argc, char** argv) {
    const std::string only = argc > 1 && std::strcmp(argv[1], "--list") != 0 ? argv[1] : "";
    const bool list = argc > 1 && std::strcmp(argv[1], "--list") == 0;
    data_file_cases();
    weight_file_cases();
    picture_cases();
    model_spec_cases();
    command_cases();
    training_cases();
    std::set<std::string> ids;
    for (const BadInput& c : g_cases)
        if (!ids.insert(c.id).second) std::printf("duplicate case id %s\n", c.id.c_str());
    if (list) {
        for (const BadInput& c : g_cases) std::printf("%s\n  input:   %s\n  message: %s\n", c.id.c_str(), c.input.c_str(), c.expect.empty() ? "(none)" : c.expect.c_str());
        std::printf("%zu cases\n", g_cases.size());
        return 0;
    }

    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* font;
    int fw, fh;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&font, &fw, &fh);  // builds the font atlas; no texture upload
    AppPlatform platform;
    platform.storage = storage_memory;
    platform.save_file = save_memory;
    set_platform(platform);

    int passed = 0, failed = ids.size() == g_cases.size() ? 0 : 1;
    if (std::string e = do_student_work(); !e.empty()) {
        std::printf("FAIL the student's work could not be set up: %s\n0 passed, 1 failed\n", e.c_str());
        return 1;
    }
    for (const BadInput& c : g_cases) {
        if (c.id.rfind(only, 0) != 0) continue;
        const bool refused = !c.expect.empty();
        const Work before = snapshot(refused);
        const std::string message = c.give();
        std::string problem;
        if (c.expect == "?")  // a new case: its message, to be read and written into the catalogue
            problem = "SUGGEST " + json(message).dump();
        else if (message != c.expect)
            problem = "the message is\n    \"" + message + "\"\n  and should be\n    \"" + (c.expect.empty() ? "(none)" : c.expect) + "\"";
        else if (std::string d = difference(before, snapshot(refused), c.sets_lab ? c.lab : ""); !d.empty())
            problem = "the student's work changed: " + d;
        else if (!c.lab.empty())
            if (std::string e = still_works(c.lab); !e.empty()) problem = "the " + c.lab + " lab does not work afterwards: " + e;
        if (problem.empty()) {
            passed++;
        } else {
            failed++;
            std::printf("FAIL %s (%s): %s\n", c.id.c_str(), c.input.c_str(), problem.c_str());
        }
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
