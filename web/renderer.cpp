#include "renderer.h"

#include <algorithm>

#include <GLES3/gl3.h>

#include <imgui.h>
#include <imgui_impl_opengl3.h>

bool renderer_init() { return ImGui_ImplOpenGL3_Init(kGlslVersion); }

void renderer_new_frame() { ImGui_ImplOpenGL3_NewFrame(); }

void renderer_draw(int framebuffer_width, int framebuffer_height, ImDrawData* draw_data) {
    glViewport(0, 0, framebuffer_width, framebuffer_height);
    glClearColor(0.09f, 0.09f, 0.11f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(draw_data);
}

void renderer_shutdown() { ImGui_ImplOpenGL3_Shutdown(); }

std::string renderer_description() {
    const char* version = reinterpret_cast<const char*>(glGetString(GL_VERSION));
    const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    return std::string(version ? version : "?") + " | " + (renderer ? renderer : "?");
}

void renderer_read_pixels(int width, int height, std::vector<unsigned char>& rgba) {
    std::vector<unsigned char> bottom_up(size_t(width) * size_t(height) * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, bottom_up.data());
    rgba.resize(bottom_up.size());
    const size_t row = size_t(width) * 4;
    for (int y = 0; y < height; y++)  // GL's first row is the bottom one
        std::copy_n(&bottom_up[size_t(height - 1 - y) * row], row, &rgba[size_t(y) * row]);
}
