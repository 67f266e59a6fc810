// main.cpp — the platform layer: SDL2 window, GL context, input, and the main loop. One main for
// both targets; the browser build (Emscripten) differs only inside the __EMSCRIPTEN__ branches:
// the page's JavaScript API, its events, and fitting the canvas to its container.
//
//   cnnlab [--lab ID] [--embed] [--size WxH]                       a desktop window
//   cnnlab --frames N --screenshot out.png [--command JSON] ...    render N frames, save the last (tests;
//                                                                  set SDL_VIDEODRIVER=offscreen for no display)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <SDL.h>
#include <imgui.h>
#include <imgui_impl_sdl.h>

#include "app.h"
#include "gpu_bench.h"
#include "../engine/gpu.h"
#include "../engine/safetensors.h"  // read_file
#include "renderer.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#include <emscripten/html5.h>
#else
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#endif

// The UI font (a subset of Roboto, embedded at build time: font_data.cpp); size 0 when the build had none.
extern const unsigned char kUiFontTtf[];
extern const unsigned int kUiFontTtfSize;

struct Options {
    std::string lab = "hand-conv";  // --lab ID (?lab=ID in the browser)
    bool embed = false;             // --embed (?embed=1): the lab alone, no app chrome
    int width = 1280, height = 800; // --size WxH, the desktop window
    int frames = 0;                 // --frames N: stop after N frames (0: run until closed)
    std::string screenshot;         // --screenshot FILE.png: save the last frame
    std::vector<std::string> commands;  // --command JSON: applied through the API before the first frame
    std::string bench;              // --bench gpu (?bench=gpu): time the GPU backend after the first frame
    bool print_state = false;       // --print-state: print the API state as JSON at exit
};

struct Platform {
    SDL_Window* window = nullptr;
    SDL_GLContext gl = nullptr;
    Options options;
    AppView view;
    int frame = 0;          // frames drawn so far
    bool done = false;
    float pixel_ratio = 1;  // device pixels per CSS pixel (browser high-DPI screens)
    bool webgl1 = false;    // only OpenGL ES 2 / WebGL1 was available: the UI runs, the GPU backend does not
    GpuContext gpu;         // the GPU backend (engine/gpu.h), when it could start
    std::chrono::steady_clock::time_point next_frame_due;  // while a lab works between frames: when to draw the next
};

static Platform* g_platform = nullptr;

// Starts the GPU backend and tells the labs whether they may use it, and if not, why.
static void start_gpu(Platform& p) {
    if (p.webgl1) {
        set_gpu(nullptr, "WebGL2 is not available here: the labs compute on the CPU");
        return;
    }
    Status s = gpu_init(p.gpu);
    set_gpu(s.ok() ? &p.gpu : nullptr, s.ok() ? "" : s.message + ": the labs compute on the CPU");
    std::printf("cnnlab: GPU backend %s\n", s.ok() ? "ready" : s.message.c_str());
}

static bool parse_options(int argc, char** argv, Options& o, std::string& error) {
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        bool has_value = i + 1 < argc;
        if (a == "--embed") o.embed = true;
        else if (a == "--print-state") o.print_state = true;
        else if (a == "--lab" && has_value) o.lab = argv[++i];
        else if (a == "--screenshot" && has_value) o.screenshot = argv[++i];
        else if (a == "--command" && has_value) o.commands.push_back(argv[++i]);
        else if (a == "--bench" && has_value) o.bench = argv[++i];
        else if (a == "--frames" && has_value) {
            o.frames = std::atoi(argv[++i]);
            if (o.frames < 1 || o.frames > 100000) { error = "--frames takes a number from 1 to 100000"; return false; }
        } else if (a == "--size" && has_value) {
            if (std::sscanf(argv[++i], "%dx%d", &o.width, &o.height) != 2 || o.width < 200 || o.height < 150 ||
                o.width > 8192 || o.height > 8192) {
                error = "--size takes WIDTHxHEIGHT, from 200x150 to 8192x8192";
                return false;
            }
        } else {
            error = "unknown or incomplete option " + a +
                    "\nusage: cnnlab [--lab ID] [--embed] [--size WxH] [--frames N] [--screenshot FILE.png] "
                    "[--command JSON] [--print-state]";
            return false;
        }
    }
    return true;
}

#ifdef __EMSCRIPTEN__
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
    } else if (picture.error.empty()) {
        picture.error = "the picture has no pixels";
    }
    picture_arrived(picture);
}
// Datasets: the page fetches and unpacks the four files, reporting progress on the way.
EM_JS(void, js_load_dataset, (const char* name), {
    if (window.cnnlab && window.cnnlab._loadDataset) window.cnnlab._loadDataset(UTF8ToString(name));
});
static void load_dataset(const std::string& name) { js_load_dataset(name.c_str()); }
EMSCRIPTEN_KEEPALIVE void cnnlab_dataset_progress(const char* name, float fraction) { dataset_progress(name, fraction); }
// files[4] / sizes[4]: train images, train labels, test images, test labels (IDX bytes)
EMSCRIPTEN_KEEPALIVE void cnnlab_dataset(const char* name, const uint8_t* const* files, const int* sizes, const char* error) {
    DatasetFiles d;
    d.name = name;
    d.error = error ? error : "";
    std::vector<uint8_t>* parts[4] = {&d.train_images, &d.train_labels, &d.test_images, &d.test_labels};
    for (int i = 0; d.error.empty() && i < 4; i++) parts[i]->assign(files[i], files[i] + sizes[i]);
    dataset_arrived(d);
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
// Storage: the page's localStorage.
EM_JS(char*, js_storage, (const char* key, const char* value), {
    const k = 'cnnlab:' + UTF8ToString(key);
    try {
        if (value) { localStorage.setItem(k, UTF8ToString(value)); return 0; }
        const v = localStorage.getItem(k);
        if (v === null) return 0;
        const n = lengthBytesUTF8(v) + 1, p = _malloc(n);
        stringToUTF8(v, p, n);
        return p;
    } catch (e) { return 0; }  // storage full or forbidden: the session simply is not kept
});
static std::string storage_browser(const std::string& key, const std::string* value) {
    char* got = js_storage(key.c_str(), value ? value->c_str() : nullptr);
    if (!got) return "";
    std::string result = got;
    free(got);
    return result;
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
#endif

#ifndef __EMSCRIPTEN__
// Pictures on the desktop: the shipped photos sit in photos/ beside the build folder's binaries
// (build/photos); the student's own files arrive by drag and drop (SDL_DROPFILE).
static void load_picture_file(const std::string& name, const std::string& path) {
    Picture picture;
    picture.name = name;
    int w = 0, h = 0, channels = 0;
    unsigned char* pixels = stbi_load(path.c_str(), &w, &h, &channels, 4);
    if (!pixels) {
        picture.error = path + " is not an image this app can read (" + stbi_failure_reason() + ")";
    } else {
        picture.width = picture.original_width = w;
        picture.height = picture.original_height = h;
        picture.rgba.assign(pixels, pixels + size_t(w) * size_t(h) * 4);
        stbi_image_free(pixels);
    }
    picture_arrived(picture);
}

// Files on the desktop: saved into the current folder; opened by dropping them on the window.
static std::string save_file_desktop(const std::string& name, const std::vector<uint8_t>& bytes) {
    FILE* f = std::fopen(name.c_str(), "wb");
    if (!f) return "cannot write " + name;
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return std::fclose(f) == 0 && ok ? "" : "cannot write all of " + name;
}
static std::string g_file_purpose;  // what a dropped non-picture file is for
static void open_file_desktop(const std::string& purpose, const std::string&) {
    g_file_purpose = purpose;
    file_arrived(OpenedFile{purpose, "", {}, "on the desktop, drop the file on the window"});
}
static std::string storage_desktop(const std::string& key, const std::string* value) {
    const char* home = std::getenv("HOME");
    const std::string path = std::string(home ? home : ".") + "/.cache/cnnlab/session-" + key + ".json";
    if (value) {
        if (FILE* f = std::fopen(path.c_str(), "wb")) {
            std::fwrite(value->data(), 1, value->size(), f);
            std::fclose(f);
        }
        return "";
    }
    std::vector<uint8_t> bytes;
    if (!read_file(bytes, path, size_t(64) << 20).ok()) return "";
    return std::string(bytes.begin(), bytes.end());
}

// Datasets on the desktop: build/datasets/<fashion-mnist|mnist>, read at once.
static void load_dataset(const std::string& name) {
    char* base = SDL_GetBasePath();
    const std::string dir = std::string(base ? base : "./") + "../datasets/" + (name == "fashion" ? "fashion-mnist" : name) + "/";
    SDL_free(base);
    DatasetFiles d;
    d.name = name;
    const char* files[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    std::vector<uint8_t>* parts[4] = {&d.train_images, &d.train_labels, &d.test_images, &d.test_labels};
    for (int i = 0; i < 4 && d.error.empty(); i++)
        if (Status s = read_file(*parts[i], dir + files[i], size_t(256) << 20); !s.ok()) d.error = s.message;
    dataset_arrived(d);
}

static void load_picture(const std::string& name) {
    if (name == "upload") {
        Picture note;
        note.name = name;
        note.error = "on the desktop, drop an image file on the window to use it";
        picture_arrived(note);
        return;
    }
    char* base = SDL_GetBasePath();
    std::string dir = std::string(base ? base : "./") + "../photos/";
    SDL_free(base);
    load_picture_file(name, dir + name + ".png");
}
#endif

static void save_screenshot(Platform& p) {
#ifndef __EMSCRIPTEN__
    int w = 0, h = 0;
    SDL_GL_GetDrawableSize(p.window, &w, &h);
    std::vector<unsigned char> rgba;
    renderer_read_pixels(w, h, rgba);
    if (!stbi_write_png(p.options.screenshot.c_str(), w, h, 4, rgba.data(), w * 4))
        std::fprintf(stderr, "cnnlab: could not write %s\n", p.options.screenshot.c_str());
    else
        std::printf("cnnlab: saved %dx%d frame to %s\n", w, h, p.options.screenshot.c_str());
#else
    (void)p;
#endif
}

static void frame(void* arg) {
    Platform& p = *static_cast<Platform*>(arg);
    const auto frame_start = std::chrono::steady_clock::now();
#ifdef __EMSCRIPTEN__
    // While the open lab works between frames (training), 30 frames a second are enough: the
    // browser calls this 60 times a second, every frame drawn takes time from the work, and where
    // the GPU is emulated each frame shown costs the GPU process about 20 ms of compositing. So
    // frames are due every 33.3 ms; a call more than 8 ms before the next one is due draws
    // nothing (the canvas keeps showing the last frame; the events wait for the next one). After a
    // late frame the next is due sooner, so the count still comes to 30 a second.
    using Ms = std::chrono::duration<double, std::milli>;
    if (app_has_work()) {
        if (frame_start < p.next_frame_due - Ms(8.0)) return;
        p.next_frame_due = frame_start - p.next_frame_due > Ms(33.3) ? frame_start : p.next_frame_due;  // (too far behind: start again)
        p.next_frame_due += std::chrono::duration_cast<std::chrono::steady_clock::duration>(Ms(33.3));
    } else {
        p.next_frame_due = frame_start;
    }
#endif
    SDL_Event event;
    while (SDL_PollEvent(&event)) {
        ImGui_ImplSDL2_ProcessEvent(&event);
        if (event.type == SDL_QUIT) p.done = true;
#ifndef __EMSCRIPTEN__
        if (event.type == SDL_DROPFILE && event.drop.file) {
            std::string path = event.drop.file;
            SDL_free(event.drop.file);
            const std::string name = path.substr(path.find_last_of('/') + 1);
            if (name.size() > 12 && name.substr(name.size() - 12) == ".safetensors") {
                OpenedFile f{g_file_purpose.empty() ? "model" : g_file_purpose, name, {}, ""};
                if (Status s = read_file(f.bytes, path, size_t(256) << 20); !s.ok()) f.error = s.message;
                file_arrived(f);
            } else {
                load_picture_file("file:" + name, path);
            }
        }
#endif
        if (event.type == SDL_WINDOWEVENT && event.window.event == SDL_WINDOWEVENT_CLOSE) p.done = true;
    }
#ifdef __EMSCRIPTEN__
    fit_canvas_to_container(p);
#endif
    renderer_new_frame();
    ImGui_ImplSDL2_NewFrame();
    ImGui::NewFrame();
    draw_app(p.view);
    ImGui::Render();
    int fb_w = 0, fb_h = 0;
    SDL_GL_GetDrawableSize(p.window, &fb_w, &fb_h);
    renderer_draw(fb_w, fb_h, ImGui::GetDrawData());
    p.frame++;
    if (p.frame == p.options.frames) {
        if (!p.options.screenshot.empty()) save_screenshot(p);
        p.done = true;
    }
    set_frame_cpu_ms(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - frame_start).count());
    SDL_GL_SwapWindow(p.window);
#ifdef __EMSCRIPTEN__
    js_frame_drawn(p.frame);
    js_start_work();  // (returns at once while a chain of work is running)
#endif
    if (p.frame == 2 && p.options.bench == "gpu") {
        json result = run_gpu_bench(gpu());
        set_bench_result(result);
        std::printf("%s\n", json_text(result).c_str());
        std::fflush(stdout);
    }
}

static void load_font(float pixel_ratio) {
    ImGuiIO& io = ImGui::GetIO();
    if (kUiFontTtfSize == 0) return;  // ImGui's built-in font
    static const ImWchar ranges[] = {0x0020, 0x00FF, 0x2190, 0x2193, 0x2212, 0x2212, 0x2264, 0x2265, 0};
    ImFontConfig config;
    config.FontDataOwnedByAtlas = false;  // the data is static
    // Rasterize at the screen's density and scale back, so text stays sharp on high-DPI screens.
    io.Fonts->AddFontFromMemoryTTF(const_cast<unsigned char*>(kUiFontTtf), int(kUiFontTtfSize), 16.0f * pixel_ratio,
                                   &config, ranges);
    io.FontGlobalScale = 1.0f / pixel_ratio;
}

static void set_style() {
    ImGui::StyleColorsDark();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0;
    style.ChildRounding = 4;
    style.FrameRounding = 3;
    style.GrabRounding = 3;
    style.FramePadding = ImVec2(6, 3);
    style.ItemSpacing = ImVec2(8, 6);
    // The page's background is the cleared framebuffer: renderer_draw() clears to WindowBg, the
    // full-screen window draws no background of its own and child windows none either. With a GPU
    // emulated in software (SwiftShader) every full-screen quad costs about 17 ms at 1280x800, and
    // the main window plus the nested children used to paint three of them per frame.
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.11f, 0.11f, 0.14f, 1.0f);
    style.Colors[ImGuiCol_ChildBg] = ImVec4(0.0f, 0.0f, 0.0f, 0.0f);
}

int main(int argc, char** argv) {
    static Platform p;  // static: the browser's main loop outlives main()
    g_platform = &p;
    std::string error;
    if (!parse_options(argc, argv, p.options, error)) {
        std::fprintf(stderr, "cnnlab: %s\n", error.c_str());
        return 2;
    }
    p.view.embed = p.options.embed;
    if (std::string e = open_lab(p.options.lab); !e.empty()) p.view.notice = "Unknown lab: " + e + ".";

    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        std::fprintf(stderr, "cnnlab: SDL could not start: %s\n", SDL_GetError());
        return 1;
    }
    // OpenGL ES 3.0 everywhere: WebGL2 in the browser, GLES3 (Mesa) on the desktop.
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_FLAGS, 0);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_ES);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
#ifdef __EMSCRIPTEN__
    p.pixel_ratio = float(emscripten_get_device_pixel_ratio());
    if (p.pixel_ratio < 1 || p.pixel_ratio > 4) p.pixel_ratio = 1;
    Uint32 window_flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;  // we size it to its container ourselves
    set_event_sink(send_event_to_page);
#else
    Uint32 window_flags = SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE;
#endif
#ifdef __EMSCRIPTEN__
    js_ask_to_keep_frames();
#endif
    p.window = SDL_CreateWindow("CNN Lab", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, p.options.width,
                                p.options.height, window_flags);
    if (!p.window) {
        std::fprintf(stderr, "cnnlab: could not open a window: %s\n", SDL_GetError());
        return 1;
    }
    p.gl = SDL_GL_CreateContext(p.window);
    if (!p.gl) {
        // No OpenGL ES 3 / WebGL2: draw the UI with ES 2 / WebGL1 and compute on the CPU. The
        // window's surface was made for the first request, so it is made again for this one.
        SDL_DestroyWindow(p.window);
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 2);
        p.window = SDL_CreateWindow("CNN Lab", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, p.options.width,
                                    p.options.height, window_flags);
        p.gl = p.window ? SDL_GL_CreateContext(p.window) : nullptr;
        p.webgl1 = p.gl != nullptr;
    }
    if (!p.gl) {
        std::fprintf(stderr, "cnnlab: could not create an OpenGL ES / WebGL context: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_MakeCurrent(p.window, p.gl);
    SDL_GL_SetSwapInterval(p.options.frames ? 0 : 1);  // vsync, except when rendering a fixed number of frames

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;  // nothing written to disk; a lab's state lives in the lab
    set_style();
    load_font(p.pixel_ratio);
    ImGui_ImplSDL2_InitForOpenGL(p.window, p.gl);
#ifdef __EMSCRIPTEN__
    const bool keeps_frames = js_keeps_frames();
#else
    const bool keeps_frames = false;  // after a swap the back buffer's contents are undefined
#endif
    if (!renderer_init(p.webgl1, keeps_frames)) {
        std::fprintf(stderr, "cnnlab: the GPU cannot run the UI's shaders\n");
        return 1;
    }
    std::printf("cnnlab: %s\n", renderer_description().c_str());
    start_gpu(p);
    set_picture_loader(load_picture);
    set_dataset_loader(load_dataset);
#ifdef __EMSCRIPTEN__
    set_file_handlers(save_file_browser, open_file_browser);
    set_storage(storage_browser);
    set_link_copier(js_copy_link);
    set_work_between_frames(true);
#else
    set_file_handlers(save_file_desktop, open_file_desktop);
    set_storage(storage_desktop);
#endif
    set_texture_uploader(renderer_upload_rgba);

    for (const std::string& command : p.options.commands) {
        json reply = json::parse(api_command_text(command), nullptr, false);
        if (reply.contains("error")) {
            std::fprintf(stderr, "cnnlab: --command %s: %s\n", command.c_str(), reply["error"].get<std::string>().c_str());
            return 2;
        }
    }

#ifdef __EMSCRIPTEN__
    emscripten_set_main_loop_arg(frame, &p, 0, true);
#else
    while (!p.done) frame(&p);
    if (p.options.print_state) std::printf("%s\n", json_text(api_state()).c_str());
    renderer_shutdown();
    ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
    SDL_GL_DeleteContext(p.gl);
    SDL_DestroyWindow(p.window);
    SDL_Quit();
#endif
    return 0;
}
