// platform.h — the platform layer's one seam: main.cpp (the SDL2 window, the GL context, ImGui and
// the frame) is the same everywhere; what differs between the browser and a desktop window lives
// in platform_web.cpp (Emscripten: the page's JavaScript API and events, fitting the canvas, work
// between frames) or platform_desktop.cpp (stb_image, files and drag and drop, screenshots),
// behind the calls below, as ImGui's examples split their backends.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include <SDL.h>

#include "../engine/gpu.h"
#include "app.h"

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

// The running app: its window and GL context, and where it is.
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

// main.cpp's, for the platform files: starts the GPU backend and tells the labs whether they may
// use it (again, after a lost GL context comes back).
void start_gpu(Platform& p);

// ---- Each platform file defines these.
// The app's platform calls (pictures, datasets, files, storage, events, the link), filled once.
AppPlatform platform_calls();
// Before the window is made: the pixel ratio, and the window's SDL flags.
Uint32 platform_prepare_window(Platform& p);
// Whether the GL context keeps the last frame's pixels after it is shown (renderer.h).
bool platform_keeps_frames();
// As a frame would begin: false to skip it (the browser draws 30 frames a second while a lab works).
bool platform_frame_due(Platform& p, std::chrono::steady_clock::time_point now);
void platform_event(Platform& p, const SDL_Event& event);  // an event the app does not handle itself (a dropped file)
void platform_begin_frame(Platform& p);                    // the canvas follows its container
void platform_end_frame(Platform& p);                      // the page hears of the frame; work between frames goes on
// Saves the frame just drawn to options.screenshot (the desktop's --screenshot). Returns "" or why not.
std::string platform_save_screenshot(Platform& p);
// Runs `frame` until the app is done (the desktop) or hands it to the browser's loop (never returns).
void platform_run(Platform& p, void (*frame)(void*));
