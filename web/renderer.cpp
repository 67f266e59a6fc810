#include "renderer.h"

#include <algorithm>

#include <GLES3/gl3.h>

#include <imgui.h>
#include <imgui_impl_opengl3.h>

static bool g_webgl1 = false;

bool renderer_init(bool webgl1) {
    g_webgl1 = webgl1;
    return ImGui_ImplOpenGL3_Init(webgl1 ? "#version 100" : kGlslVersion);
}

void renderer_reset() {
    // a fresh backend: new GL objects, and no buffer sizes remembered from the lost context
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplOpenGL3_Init(g_webgl1 ? "#version 100" : kGlslVersion);
}

void renderer_new_frame() { ImGui_ImplOpenGL3_NewFrame(); }

void renderer_draw(int framebuffer_width, int framebuffer_height, ImDrawData* draw_data) {
    glViewport(0, 0, framebuffer_width, framebuffer_height);
    const ImVec4 background = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];  // the main window draws none itself
    glClearColor(background.x, background.y, background.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(draw_data);
}

unsigned renderer_upload_rgba(unsigned texture, const uint8_t* rgba, int width, int height) {
    if (!texture) glGenTextures(1, &texture);
    glBindTexture(GL_TEXTURE_2D, texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);  // zoomed in, pixels stay squares
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    glBindTexture(GL_TEXTURE_2D, 0);
    return texture;
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
