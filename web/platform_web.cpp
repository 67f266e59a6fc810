// platform_web.cpp — the browser: the page's JavaScript API (web/shell/cnnlab-api.js wraps the
// exported functions), events posted to the page, pictures, datasets, files and storage through
// the page, the canvas following its container, and the lab's work run between frames.
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <emscripten.h>
#include <emscripten/html5.h>

#include "platform.h"
#include "renderer.h"

static Platform* g_platform = nullptr;  // the running app (platform_run)

// ---- The page's JavaScript API
// ---- The page's JavaScript API (web/shell/cnnlab-api.js wraps these) ----
EM_JS(void, js_post_event, (const char* event, const char* state_json), {
    if (window.cnnlab && window.cnnlab._event) window.cnnlab._event(UTF8ToString(event), UTF8ToString(state_json));
});
EM_JS(void, js_copy_link, (), {
    if (window.cnnlab && window.cnnlab._copyLink) window.cnnlab._copyLink();
});
EM_JS(void, js_frame_drawn, (int frame), {
    if (!window.cnnlab) return;
    window.cnnlab.framesDrawn = frame;
    if (frame === 1 && window.cnnlab._firstFrame) window.cnnlab._firstFrame();
});

// Work between frames (app.h: app_work): a chain of tasks through a MessageChannel (setTimeout
// would wait at least 4 ms between them), each a slice of the open lab's work, until it has none.
// The browser draws a frame whenever one is due between two tasks, so a slice stays short.
EM_JS(void, js_start_work, (), {
    if (Module.cnnlabWorking) return;
    if (!Module.cnnlabWorkChannel) {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
            let more = false;
            try {
                more = Module._cnnlab_work(6.0);
            } finally {  // (should the work throw, the next frame can start the chain again)
                if (more) channel.port2.postMessage(0);
                else Module.cnnlabWorking = false;
            }
        };
        Module.cnnlabWorkChannel = channel;
    }
    Module.cnnlabWorking = true;
    Module.cnnlabWorkChannel.port2.postMessage(0);
});

// The canvas's WebGL context keeps its drawing buffer after each frame is shown
// (preserveDrawingBuffer), so the renderer can draw only what changed (web/damage.h). SDL makes
// the context through Emscripten's EGL, which has no word for that, so the canvas's getContext
// adds it; keeps_frames() then asks the context what it got.
EM_JS(void, js_ask_to_keep_frames, (), {
    const canvas = Module.canvas;
    canvas.getContext = function(type, attributes) {
        return HTMLCanvasElement.prototype.getContext.call(this, type, Object.assign({}, attributes, {preserveDrawingBuffer: true}));
    };
});
EM_JS(int, js_keeps_frames, (), {
    const attributes = typeof GLctx !== 'undefined' && GLctx ? GLctx.getContextAttributes() : null;
    const keeps = !!(attributes && attributes.preserveDrawingBuffer);
    if (window.cnnlab) window.cnnlab.keepsFrames = keeps;
    return keeps ? 1 : 0;
});

static std::string g_reply;  // the last reply; JS copies it out before the next call
extern "C" {
EMSCRIPTEN_KEEPALIVE int cnnlab_work(double budget_ms) { return app_work(budget_ms); }
EMSCRIPTEN_KEEPALIVE const char* cnnlab_labs_json() { return (g_reply = json_text(api_labs())).c_str(); }
EMSCRIPTEN_KEEPALIVE const char* cnnlab_state_json() { return (g_reply = json_text(api_state())).c_str(); }
EMSCRIPTEN_KEEPALIVE const char* cnnlab_anchors_json() { return (g_reply = json_text(ui_anchors())).c_str(); }
EMSCRIPTEN_KEEPALIVE void cnnlab_redraw_all() { renderer_redraw_all(); }
EMSCRIPTEN_KEEPALIVE const char* cnnlab_command_json(const char* command) {
    return (g_reply = api_command_text(command)).c_str();
}
}

// Pictures: the page fetches or reads the file and decodes it, then calls cnnlab_picture().
EM_JS(void, js_load_picture, (const char* name), {
    if (window.cnnlab && window.cnnlab._loadPicture) window.cnnlab._loadPicture(UTF8ToString(name));
});
static void load_picture(const std::string& name) { js_load_picture(name.c_str()); }

extern "C" {
EMSCRIPTEN_KEEPALIVE void cnnlab_picture(const char* name, const uint8_t* rgba, int width, int height, int original_width,
                                          int original_height, const char* error) {
    Picture picture;
    picture.name = name;
    picture.original_width = original_width;
    picture.original_height = original_height;
    picture.error = error ? error : "";
    if (picture.error.empty() && rgba && width > 0 && height > 0 && width <= 16384 && height <= 16384) {
        picture.width = width;
        picture.height = height;
        picture.rgba.assign(rgba, rgba + size_t(width) * size_t(height) * 4);
    }
    picture_arrived(picture);  // checks the sizes: a picture too large to decode comes with its header's size, no pixels
}
// Datasets: the page fetches and unpacks the four files, reporting progress on the way.
EM_JS(void, js_load_dataset, (const char* name), {
    if (window.cnnlab && window.cnnlab._loadDataset) window.cnnlab._loadDataset(UTF8ToString(name));
});
static void load_dataset(const std::string& name) { js_load_dataset(name.c_str()); }
EMSCRIPTEN_KEEPALIVE void cnnlab_dataset_progress(const char* name, float fraction) { dataset_progress(name, fraction); }
// The page writes each unpacked file straight into the vector that keeps it (no second copy of
// Fashion-MNIST's 55 MB in the page's memory): part 0..3 = train images, train labels, test
// images, test labels (IDX bytes); then cnnlab_dataset hands them over.
static DatasetFiles g_incoming;
EMSCRIPTEN_KEEPALIVE uint8_t* cnnlab_dataset_part(int part, int size) {
    std::vector<uint8_t>* parts[4] = {&g_incoming.train_images, &g_incoming.train_labels, &g_incoming.test_images, &g_incoming.test_labels};
    if (part < 0 || part > 3 || size < 0) return nullptr;
    parts[part]->resize(size_t(size));
    return parts[part]->data();
}
EMSCRIPTEN_KEEPALIVE void cnnlab_dataset(const char* name, const char* error) {
    DatasetFiles d = std::move(g_incoming);
    g_incoming = DatasetFiles{};
    d.name = name;
    d.error = error ? error : "";
    dataset_arrived(std::move(d));
}
// Files: a download for saving, the page's file picker for opening.
EM_JS(void, js_save_file, (const char* name, const uint8_t* bytes, int size), {
    const data = HEAPU8.slice(bytes, bytes + size);
    if (window.cnnlab && window.cnnlab._saveFile) window.cnnlab._saveFile(UTF8ToString(name), data);
});
static std::string save_file_browser(const std::string& name, const std::vector<uint8_t>& bytes) {
    js_save_file(name.c_str(), bytes.data(), int(bytes.size()));
    return "";
}
EM_JS(void, js_open_file, (const char* purpose, const char* accept), {
    if (window.cnnlab && window.cnnlab._openFile) window.cnnlab._openFile(UTF8ToString(purpose), UTF8ToString(accept));
});
static void open_file_browser(const std::string& purpose, const std::string& accept) { js_open_file(purpose.c_str(), accept.c_str()); }
EMSCRIPTEN_KEEPALIVE void cnnlab_file(const char* purpose, const char* name, const uint8_t* bytes, int size, const char* error) {
    OpenedFile f{purpose, name, {}, error ? error : ""};
    if (f.error.empty() && bytes && size > 0) f.bytes.assign(bytes, bytes + size);
    file_arrived(f);
}
// Storage: the page's localStorage for text; bytes in IndexedDB (cnnlab._keepBytes in cnnlab-api.js).
EM_JS(char*, js_storage, (const char* key, const char* value), {
    const k = 'cnnlab:' + UTF8ToString(key);
    try {
        if (value) { localStorage.setItem(k, UTF8ToString(value)); return 0; }
        const v = localStorage.getItem(k);
        if (v === null) return 0;
        const n = lengthBytesUTF8(v) + 1, p = _malloc(n);
        stringToUTF8(v, p, n);
        return p;
    } catch (e) {  // storage full or forbidden: the lab goes on, and the page says so once
        if (window.cnnlab && cnnlab._storageFailed) cnnlab._storageFailed(String((e && e.name) || e));
        return 0;
    }
});
static std::string storage_browser(const std::string& key, const std::string* value) {
    char* got = js_storage(key.c_str(), value ? value->c_str() : nullptr);
    if (!got) return "";
    std::string result = got;
    free(got);
    return result;
}
EM_JS(void, js_keep_bytes, (const char* key, const uint8_t* bytes, int size), {
    try {
        cnnlab._keepBytes('cnnlab:' + UTF8ToString(key), HEAPU8.slice(bytes, bytes + size));
    } catch (e) {
        if (window.cnnlab && cnnlab._storageFailed) cnnlab._storageFailed(String((e && e.name) || e));
    }
});
// The kept bytes in a malloc'd buffer, their count in *size (null and 0 when none).
EM_JS(uint8_t*, js_kept_bytes, (const char* key, int* size), {
    HEAP32[size >> 2] = 0;
    let v = null;
    try { v = cnnlab._keptBytes('cnnlab:' + UTF8ToString(key)); } catch (e) { return 0; }
    if (!v || !v.length) return 0;
    const p = _malloc(v.length);
    if (!p) return 0;
    HEAPU8.set(v, p);
    HEAP32[size >> 2] = v.length;
    return p;
});
static void keep_bytes_browser(const std::string& key, const std::vector<uint8_t>& bytes) {
    js_keep_bytes(key.c_str(), bytes.data(), int(bytes.size()));
}
static std::vector<uint8_t> kept_bytes_browser(const std::string& key) {
    int size = 0;
    uint8_t* got = js_kept_bytes(key.c_str(), &size);
    if (!got) return {};
    std::vector<uint8_t> bytes(got, got + size);
    free(got);
    return bytes;
}
// The page's canvas lost its WebGL context (the browser reclaimed the GPU) or got it back.
EMSCRIPTEN_KEEPALIVE void cnnlab_context_lost() {
    set_gpu(nullptr, "the GPU context was lost: the labs compute on the CPU until it comes back");
}
EMSCRIPTEN_KEEPALIVE void cnnlab_context_restored() {
    renderer_reset();  // the UI's own GL objects, made again in the new context
    g_platform->gpu = GpuContext{};
    start_gpu(*g_platform);
}
}

static void send_event_to_page(const std::string& event, const json& state) {
    js_post_event(event.c_str(), json_text(state).c_str());
}

// Keeps the canvas the size of its container (#canvas-box), at the screen's full pixel density.
static void fit_canvas_to_container(Platform& p) {
    double css_w = 0, css_h = 0;
    if (emscripten_get_element_css_size("#canvas-box", &css_w, &css_h) != EMSCRIPTEN_RESULT_SUCCESS) return;
    int w = css_w < 1 ? 1 : int(css_w), h = css_h < 1 ? 1 : int(css_h);
    int cur_w = 0, cur_h = 0;
    SDL_GetWindowSize(p.window, &cur_w, &cur_h);
    if (w != cur_w || h != cur_h) {
        SDL_SetWindowSize(p.window, w, h);  // SDL scales the backing store by the pixel ratio
        renderer_redraw_all();              // (a resized canvas starts blank)
    }
}

AppPlatform platform_calls() {
    return {.load_picture = load_picture, .load_dataset = load_dataset, .save_file = save_file_browser, .open_file = open_file_browser,
            .storage = storage_browser, .keep_bytes = keep_bytes_browser, .kept_bytes = kept_bytes_browser,
            .upload_texture = renderer_upload_rgba, .post_event = send_event_to_page,
            .copy_link = js_copy_link, .work_between_frames = true};
}

Uint32 platform_prepare_window(Platform& p) {
    p.pixel_ratio = float(emscripten_get_device_pixel_ratio());
    if (p.pixel_ratio < 1 || p.pixel_ratio > 4) p.pixel_ratio = 1;
    js_ask_to_keep_frames();
    return SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;  // sized to its container each frame
}

bool platform_keeps_frames() { return js_keeps_frames(); }

// While the open lab works between frames (training), 30 frames a second are enough: the browser
// calls the frame 60 times a second, every frame drawn takes time from the work, and where the GPU
// is emulated each frame shown costs the GPU process about 20 ms of compositing. So frames are due
// every 33.3 ms; a call more than 8 ms before the next one is due draws nothing (the canvas keeps
// showing the last frame; the events wait for the next one). After a late frame the next is due
// sooner, so the count still comes to 30 a second.
bool platform_frame_due(Platform& p, std::chrono::steady_clock::time_point now) {
    using Ms = std::chrono::duration<double, std::milli>;
    if (!app_has_work()) {
        p.next_frame_due = now;
        return true;
    }
    if (now < p.next_frame_due - Ms(8.0)) return false;
    p.next_frame_due = now - p.next_frame_due > Ms(33.3) ? now : p.next_frame_due;  // (too far behind: start again)
    p.next_frame_due += std::chrono::duration_cast<std::chrono::steady_clock::duration>(Ms(33.3));
    return true;
}

void platform_event(Platform&, const SDL_Event&) {}  // the page hands pictures and files over itself

void platform_begin_frame(Platform& p) { fit_canvas_to_container(p); }

void platform_end_frame(Platform& p) {
    js_frame_drawn(p.frame);
    js_start_work();  // (returns at once while a chain of work is running)
}

std::string platform_save_screenshot(Platform&) { return "screenshots are the desktop build's (--screenshot)"; }

void platform_run(Platform& p, void (*frame)(void*)) {
    g_platform = &p;
    emscripten_set_main_loop_arg(frame, &p, 0, true);
}
