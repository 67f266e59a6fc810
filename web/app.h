// app.h — the app around the labs: the list of labs, which one is open, and the three calls of the
// page's JavaScript API (window.cnnlab.labs / state / command). No SDL and no GL here, so the
// native tests drive the labs through exactly the calls a course page makes.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using json = nlohmann::json;

// One lab: one file under web/labs/ that registers itself with CNNLAB_REGISTER_LAB.
struct Lab {
    const char* id;       // name in URLs and the API: ?lab=hand-conv
    const char* name;     // shown in the lab list
    const char* summary;  // one line under the name
    void (*draw)();       // draws one frame of the lab into the current ImGui window
    json (*state)();      // the lab's state as a JSON object (the app adds "lab")
    // Applies a command's fields (all but "lab") to the lab. Returns "" on success, else a message
    // for the person who sent it; on error the lab's state must be exactly as before.
    std::string (*command)(const json& fields);
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
using EventSink = void (*)(const std::string& event, const json& state);
void set_event_sink(EventSink sink);
void post_event(const std::string& event);

// Test anchors: a lab names a few widgets (ui_anchor("check") right after drawing the button) so
// browser tests click them where they really are instead of guessing pixels.
void ui_anchor(const std::string& name);
json ui_anchors();  // {"check": [x, y, width, height], ...} from the last frame, in window (CSS) pixels

// Draws the whole app for one frame: the lab list and the open lab, or (embed) the lab alone.
struct AppView {
    bool embed = false;          // ?embed=1: no app chrome, the lab fills the frame
    std::string notice;          // a message shown once at the top (e.g. an unknown ?lab=)
};
void draw_app(AppView& view);
