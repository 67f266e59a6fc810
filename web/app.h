// app.h — the app around the labs: the list of labs, which one is open, and the three calls of the
// page's JavaScript API (window.cnnlab.labs / state / command); the datasets, pictures, files and
// "your network" the labs share; pacing a lab's long work between frames. No SDL and no GL here, so
// the native tests drive the labs through exactly the calls a course page makes. Where it runs
// comes in through one struct of calls, AppPlatform, that the platform fills once at start.
//   app.cpp            the lab list, the API, events, the frame (draw_app)
//   app_progress.cpp   answers counted per lab, kept in storage
//   app_pacing.cpp     a lab's work in slices between frames
//   app_resources.cpp  pictures, datasets, files, storage, "your network", the GPU, textures
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../engine/data.h"
#include "../engine/json_text.h"
#include "../engine/safetensors.h"

using json = nlohmann::json;

// What a lab's exercises teach, tracked per student: new, practising or mastered (app_progress.cpp).
struct Concept {
    const char* id = nullptr;     // stable, kebab-case: "output-size"
    const char* title = nullptr;  // shown in the progress view: "Output size"
};

// One lab: one file under web/labs/ that registers itself with CNNLAB_REGISTER_LAB, naming its
// parts: CNNLAB_REGISTER_LAB(.id = "pooling", .name = "Pooling", ..., .on_picture = pooling_picture).
struct Lab {
    const char* id = "";       // name in URLs and the API: ?lab=hand-conv
    const char* name = "";     // shown in the lab list
    const char* summary = "";  // one line under the name
    void (*draw)() = nullptr;  // draws one frame of the lab into the current ImGui window
    json (*state)() = nullptr; // the lab's state as a JSON object (the app adds "lab")
    // Applies a command's fields (all but "lab") to the lab. Returns "" on success, else a message
    // for the person who sent it; on error the lab's state must be exactly as before.
    std::string (*command)(const json& fields) = nullptr;
    // Optional: receives a picture the lab asked for with request_picture().
    void (*on_picture)(const struct Picture& picture) = nullptr;
    // Optional: told that a dataset it asked for with request_dataset() is here (or why not).
    void (*on_dataset)(const struct LoadedDataset& data) = nullptr;
    // Optional: receives a file the student opened for it (request_file).
    void (*on_file)(const struct OpenedFile& file) = nullptr;
    // Optional: long work (training) done in slices: runs for about budget_ms (at least one unit of
    // work) and returns true while there is more to do. The app calls it (app_work), paced: between
    // frames where the platform does that, else a slice at the start of each frame.
    bool (*work)(double budget_ms) = nullptr;
    // The concept its exercises practise (none for a lab without exercises).
    Concept teaches = {};
};

// Registers a lab at program start (called from a static initializer in the lab's own file).
bool register_lab(const Lab& lab);
#define CNNLAB_REGISTER_LAB(...) static const bool cnnlab_lab_registered = register_lab(Lab{__VA_ARGS__})

const std::vector<Lab>& all_labs();  // in the order the lab list shows them
const Lab* find_lab(const std::string& id);
const Lab& current_lab();

// Opens the lab with this id. Returns "" or a message (unknown id: the open lab stays open).
std::string open_lab(const std::string& id);

// The JavaScript API, as JSON text in and out (the page converts to and from JS objects).
json api_labs();                              // ["hand-conv", ...]
json api_state();                             // the open lab's state, with "lab" = its id
json api_command(const json& command);        // applies it; the new state, or {"error": "..."}
// JSON text for the page. Messages quote what users typed, perhaps cut mid-character: invalid
// UTF-8 is replaced, never thrown about.
std::string json_text(const json& value);
std::string api_command_text(const std::string& command_json);  // the same from JSON text

// Events for the page (the browser build posts {type: "cnnlab", event, state} to the parent
// window; tests record them). Labs call post_event on meaningful moments: an answer checked, ...
void post_event(const std::string& event);

// Test anchors: a lab names a few widgets (ui_anchor("check") right after drawing the button) so
// browser tests click them where they really are instead of guessing pixels.
void ui_anchor(const std::string& name);
json ui_anchors();  // {"check": [x, y, width, height], ...} from the last frame, in window (CSS) pixels

// ---- Pictures: a lab asks for a photo by name, or the student brings their own file; the platform
// loads it (the browser fetches and decodes it, the desktop reads it with stb_image) and hands it
// to picture_arrived(), which passes it to the lab that asked.
struct Picture {
    std::string name;           // "chelsea", or "file:<name>" for the student's own file
    int width = 0, height = 0;
    int original_width = 0, original_height = 0;  // before the browser scaled it to fit 1024 pixels
    std::vector<uint8_t> rgba;  // (height, width, 4), top row first
    std::string error;          // why it could not be loaded ("" when it was)
};
// lab_id asks for a picture: a photo's name, or "upload" (the student's own file). Answered later
// (or at once on the desktop) through the lab's on_picture, unless the lab asks for another first.
void request_picture(const std::string& lab_id, const std::string& name);
std::string picture_pending(const std::string& lab_id);  // what it asked for and has not had yet ("" for nothing)
void cancel_picture_request(const std::string& lab_id);   // what it asked for is not wanted any more
// The platform's answer: to the labs waiting for it; a file the student dropped on the page with
// nothing asked goes to the open lab.
void picture_arrived(const Picture& picture);
// The photos shipped with the app (assets/LICENSES), in the order the labs list them.
const std::vector<std::string>& photo_names();

// ---- Datasets: a lab asks for one by name ("fashion", "mnist"); the platform fetches its four
// IDX files (the browser in the background, reporting progress; the desktop at once from
// build/datasets) and hands the bytes to dataset_arrived(). The app parses them once and keeps
// them, a byte per pixel, for every lab: the labs that asked are told (Lab::on_dataset) and read
// the same copy.
struct DatasetFiles {
    std::string name;
    std::vector<uint8_t> train_images, train_labels, test_images, test_labels;  // IDX, raw or gzipped
    std::string error;  // why it could not be loaded ("" when it was)
};
struct LoadedDataset {
    std::string name;   // "fashion", "mnist"
    Dataset train, test;
    std::string error;  // why there is none ("" when train and test are here)
};
// lab_id asks for a dataset: told at once when it is here, else when it arrives (or fails), and
// again whenever it is delivered anew. With lab_id "" nobody is told: the caller looks for it with
// loaded_dataset (dataset_loading, dataset_error) when it needs it (web/ready_network.h: dataset_for).
void request_dataset(const std::string& lab_id, const std::string& name);
const LoadedDataset* loaded_dataset(const std::string& name);  // nullptr until it is here
void dataset_progress(const std::string& name, float fraction);  // the platform's, while loading
float dataset_loading(const std::string& name);                  // 0..1 while loading, -1 when not
std::string dataset_error(const std::string& name);              // why its last load failed, "" when it did not
// The platform's answer. Taken by value: moved in, the pictures become the dataset's pixels
// without another copy (Fashion-MNIST's are 55 MB).
void dataset_arrived(DatasetFiles files);

// ---- "Your network": the network the student trained (its description and weights), kept by the
// app where the training lab puts it (at each epoch's end, on pause, when a model file is opened)
// and where other labs read it. Labs never reach into each other's files for it.
struct YourNetwork {
    std::string description;  // the model as JSON (engine/model.h: model_from_json)
    NamedTensors weights;     // its parameters and buffers (model_state)
    std::string dataset;      // what it learned from: "fashion", "mnist"
    std::string about;        // for the labs to say which network they use: "the seed net, 3 epochs, 0.89 on the test set"
    int version = 0;          // counts the changes (set_your_network), so a lab can tell it is new
};
void set_your_network(YourNetwork network);  // the version is the app's; the same network again changes nothing
const YourNetwork* your_network();           // nullptr until a lab has set one

// ---- Files the student saves and opens (a trained model): the browser downloads and uses a file
// picker; the desktop writes into the current folder and takes files dropped on the window.
struct OpenedFile {
    std::string purpose;        // what the lab asked for ("model")
    std::string name;           // the file's name
    std::vector<uint8_t> bytes;
    std::string error;          // why it could not be read ("" when it was)
};
std::string save_file(const std::string& filename, const std::vector<uint8_t>& bytes);
void request_file(const std::string& purpose, const std::string& accept);
void file_arrived(const OpenedFile& file);

// ---- Storage that survives a reload (the browser's localStorage and IndexedDB; a file in ~/.cache on the desktop).
void store(const std::string& key, const std::string& value);
std::string stored(const std::string& key);  // "" when nothing is stored
// Bytes kept between visits under their own key (a training session: weights and the optimizer's
// state, about 1 MB). The browser keeps them as they are, in IndexedDB, without text encoding; a
// platform with string storage only keeps them as base64 through storage().
void store_bytes(const std::string& key, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> stored_bytes(const std::string& key);  // empty when nothing is stored
std::string base64(const std::vector<uint8_t>& bytes);
bool unbase64(const std::string& text, std::vector<uint8_t>& out);  // false: not base64

// ---- What a command causes, held until the command has been kept: a refused command posts
// nothing, counts no answer and asks for nothing. A lab keeps one in its state, fills it while it
// applies a command to its copy, and carries it out with commit() once the copy has become the lab.
struct CheckedAnswer {
    bool correct = false;
    std::string mistake;  // the named mistake's id, "other", or "" when right
    int hints_used = 0;   // hints given for the exercise before this answer
};
struct Pending {
    std::vector<std::string> events;     // in order: "exercise-new", "answer", "hint", "exercise-complete", ...
    std::vector<CheckedAnswer> answers;  // one per "answer" in events, in the same order
    std::string picture;                 // a photo to ask the platform for ("" for none)
    void add(const std::string& event) { events.push_back(event); }
    void answer(const CheckedAnswer& a) { events.push_back("answer"); answers.push_back(a); }
};
// Posts the events in order, recording each answer for lab_id (record_answer) just before its
// event, then asks for the picture; leaves `pending` empty.
void commit(const std::string& lab_id, Pending& pending);

// ---- Progress: every answer a lab's exercise checks, counted per lab and per concept and kept in
// storage ("progress", "concepts"), so a student's record survives a reload. commit() records each
// answer a lab's Pending holds, just before its "answer" event.
// The "answer" event's state carries {"answer": {"lab", "correct", "mistake", "hints_used",
// "progress": {answered, correct}, "concept": {...as concept_progress() lists it}}}; a "progress"
// event, with {"concept": {...}}, follows when the answer changed a concept's state.
void record_answer(const std::string& lab_id, const CheckedAnswer& answer);
json progress();          // {"hand-conv": {"answered": 5, "correct": 3}, ...}: labs with answers only
// {"concepts": [{"id", "lab", "title", "state", "right_in_a_row", "answered", "correct", "mistakes"}]}:
// every lab's concept in lab-list order. state: "new" (no answer yet), "mastered" (three right in a
// row without a hint, until the next wrong answer) or "practising"; mistakes: {id: times made}.
json concept_progress();
void reset_progress();    // forgets every lab's record and every concept's

// ---- The GPU backend, shared by the labs: the platform initialises it once the GL context is
// up; a lab uses it when gpu() is not null and otherwise computes on the CPU, showing gpu_note().
struct GpuContext;
void set_gpu(GpuContext* gpu, const std::string& note);  // note: why it is unavailable, "" when ready
GpuContext* gpu();                                       // nullptr when unavailable (or the context is lost)
const std::string& gpu_note();
// Bumped whenever GL objects become invalid (context lost, restored): labs drop their textures.
int gpu_generation();

// Pictures for the screen: the platform uploads RGBA8 pixels (height rows of width*4 bytes, top
// first) into a texture ImGui can draw, making one when `texture` is 0, and returns its name.
// Without a platform (the tests) nothing is uploaded and 0 comes back.
unsigned upload_texture(unsigned texture, const uint8_t* rgba, int width, int height);

// How long the main thread spent on the last frame (events, the labs, the UI's draw calls), in ms:
// a lab that does work in the frame loop sizes its share with it.
void set_frame_cpu_ms(double ms);
double frame_cpu_ms();

// The open lab's work (Lab::work), paced: between two frames at most as much of it as lets frames
// keep coming every 33 ms (FramePacer); past that app_work returns false until the next frame.
// Without a platform that calls it, draw_app does a slice at the start of each frame (the desktop
// build, the tests). The browser only starts a frame once the GPU has drawn the last one; where the
// GPU is emulated on the CPU that takes tens of milliseconds, in which the main thread would sit
// idle. So the browser build calls app_work from short tasks queued between frames while the open
// lab has work, and says so with AppPlatform::work_between_frames.
bool app_work(double budget_ms);  // false when there is no more (or no more for this frame)
bool app_has_work();              // whether the open lab said it had more, the last time it worked

// A benchmark's result (?bench=gpu), reported in every state as "bench" once it exists.
void set_bench_result(const json& result);

// Draws the whole app for one frame: the lab list and the open lab, or (embed) the lab alone.
struct AppView {
    bool embed = false;          // ?embed=1: no app chrome, the lab fills the frame
    std::string notice;          // a message shown once at the top (e.g. an unknown ?lab=)
};
void draw_app(AppView& view);

// ---- The platform: what the app needs from where it runs, filled once at start by
// web/platform_web.cpp (the browser) or web/platform_desktop.cpp (a window), in the manner of
// ImGui's backends. A call left null is not there: without a platform (the tests) pictures,
// datasets and files answer that they cannot be had here, and nothing is stored or uploaded.
struct AppPlatform {
    void (*load_picture)(const std::string& name) = nullptr;  // answers with picture_arrived()
    void (*load_dataset)(const std::string& name) = nullptr;  // answers with dataset_progress() and dataset_arrived()
    std::string (*save_file)(const std::string& filename, const std::vector<uint8_t>& bytes) = nullptr;  // "" or a message
    void (*open_file)(const std::string& purpose, const std::string& accept) = nullptr;  // accept: ".safetensors"; file_arrived()
    std::string (*storage)(const std::string& key, const std::string* value) = nullptr;  // value null: read ("" when none)
    void (*keep_bytes)(const std::string& key, const std::vector<uint8_t>& bytes) = nullptr;  // null: base64 in storage
    std::vector<uint8_t> (*kept_bytes)(const std::string& key) = nullptr;                    // empty when none
    unsigned (*upload_texture)(unsigned texture, const uint8_t* rgba, int width, int height) = nullptr;  // see upload_texture()
    // Events for the page: the browser posts {type: "cnnlab", event, state} to the parent window.
    void (*post_event)(const std::string& event, const json& state) = nullptr;
    void (*copy_link)() = nullptr;     // the open lab's state in the page's URL and on the clipboard
    bool work_between_frames = false;  // the platform calls app_work() from tasks between frames
};
void set_platform(const AppPlatform& platform);
AppPlatform& app_platform();  // the calls in use (a test may replace one: post_event, save_file)
