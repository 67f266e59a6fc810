// main.cpp — the platform layer's common part: the SDL2 window, the GL context, ImGui, and one
// frame. The same in the browser and on the desktop; what differs is behind platform.h
// (platform_web.cpp, platform_desktop.cpp).
//
//   cnnlab [--lab ID] [--embed] [--size WxH]                       a desktop window
//   cnnlab --frames N --screenshot out.png [--command JSON] ...    render N frames, save the last (tests;
//                                                                  set SDL_VIDEODRIVER=offscreen for no display)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <SDL.h>
#include <imgui.h>
#include <imgui_impl_sdl.h>

#include "app.h"
#include "gpu_bench.h"
#include "platform.h"
#include "renderer.h"

// The UI font (a subset of Roboto, embedded at build time: font_data.cpp); size 0 when the build had none.
extern const unsigned char kUiFontTtf[];
extern const unsigned int kUiFontTtfSize;

void start_gpu(Platform& p) {
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

static void frame(void* arg) {
    Platform& p = *static_cast<Platform*>(arg);
    const auto frame_start = std::chrono::steady_clock::now();
    if (!platform_frame_due(p, frame_start)) return;
    SDL_Event event;
    while (SDL_PollEvent(&event)) {
        ImGui_ImplSDL2_ProcessEvent(&event);
        if (event.type == SDL_QUIT) p.done = true;
        if (event.type == SDL_WINDOWEVENT && event.window.event == SDL_WINDOWEVENT_CLOSE) p.done = true;
        platform_event(p, event);
    }
    platform_begin_frame(p);
    renderer_new_frame();
    ImGui_ImplSDL2_NewFrame();
    // Enter presses the focused button as Space does (ImGui 1.86 keeps Enter for text fields): when
    // no text field has the keyboard, it counts as the navigation's "activate".
    ImGuiIO& io = ImGui::GetIO();
    const Uint8* keys = SDL_GetKeyboardState(nullptr);
    if (keys[SDL_SCANCODE_RETURN] && !io.WantTextInput) io.NavInputs[ImGuiNavInput_Activate] = 1.0f;
    ImGui::NewFrame();
    draw_app(p.view);
    ImGui::Render();
    int fb_w = 0, fb_h = 0;
    SDL_GL_GetDrawableSize(p.window, &fb_w, &fb_h);
    renderer_draw(fb_w, fb_h, ImGui::GetDrawData());
    p.frame++;
    if (p.frame == p.options.frames) {
        if (!p.options.screenshot.empty())
            if (std::string e = platform_save_screenshot(p); !e.empty()) std::fprintf(stderr, "cnnlab: %s\n", e.c_str());
        p.done = true;
    }
    set_frame_cpu_ms(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - frame_start).count());
    SDL_GL_SwapWindow(p.window);
    platform_end_frame(p);
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
    // The page's background is the cleared framebuffer: renderer_draw() clears to WindowBg, and
    // neither the full-screen window nor the child windows draw a background of their own (with a
    // GPU emulated in software every full-screen quad costs about 17 ms at 1280x800).
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.11f, 0.11f, 0.14f, 1.0f);
    style.Colors[ImGuiCol_ChildBg] = ImVec4(0.0f, 0.0f, 0.0f, 0.0f);
}

int main(int argc, char** argv) {
    static Platform p;  // static: the browser's main loop outlives main()
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
    set_platform(platform_calls());
    const Uint32 window_flags = platform_prepare_window(p);
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
    ImGui::GetIO().ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;  // Tab, arrows, Enter and Escape reach every widget
    set_style();
    load_font(p.pixel_ratio);
    ImGui_ImplSDL2_InitForOpenGL(p.window, p.gl);
    if (!renderer_init(p.webgl1, platform_keeps_frames())) {
        std::fprintf(stderr, "cnnlab: the GPU cannot run the UI's shaders\n");
        return 1;
    }
    std::printf("cnnlab: %s\n", renderer_description().c_str());
    start_gpu(p);

    for (const std::string& command : p.options.commands) {
        json reply = json::parse(api_command_text(command), nullptr, false);
        if (reply.contains("error")) {
            std::fprintf(stderr, "cnnlab: --command %s: %s\n", command.c_str(), reply["error"].get<std::string>().c_str());
            return 2;
        }
    }

    platform_run(p, frame);  // (in the browser: never returns)
    if (p.options.print_state) std::printf("%s\n", json_text(api_state()).c_str());
    renderer_shutdown();
    ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
    SDL_GL_DeleteContext(p.gl);
    SDL_DestroyWindow(p.window);
    SDL_Quit();
    return 0;
}
