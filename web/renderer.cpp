#include "renderer.h"

#include <algorithm>

#include <GLES3/gl3.h>

#include <imgui.h>
#include <cstdio>
#include <string>
#include <unordered_map>

#include "../engine/gl_program.h"
#include "damage.h"
#include "shaders.h"  // generated from shaders/*.glsl by CMakeLists.txt

// The UI's own GL objects. Everything is drawn with one program; each frame streams all draw
// lists' vertices and the plan's indices (web/damage.h) into one buffer pair.
struct UiRenderer {
    bool webgl1 = false;      // GLSL ES 1.00 and no vertex array objects
    bool keeps_frames = false;  // the back buffer still holds the last frame after a swap
    unsigned program = 0;
    int projection = -1, sampled = -1;           // uniform locations
    int position = -1, uv = -1, color = -1;      // attribute locations
    unsigned vertex_buffer = 0, index_buffer = 0;
    unsigned font_texture = 0;
};
static UiRenderer g_ui;

// Drawing only what changed (web/damage.h): the last frame's tiles, and each texture's version.
static DamageTracker g_damage;
static DamagePlan g_plan;  // (kept: its buffers are reused from frame to frame)
static std::unordered_map<unsigned, uint64_t> g_texture_versions;  // texture name -> upload count when last uploaded
static uint64_t g_uploads = 0;
// A texture that did not come through renderer_upload_rgba (the GPU backend draws into its own,
// e.g. the image-kernel lab's result) may have changed in any frame: it gets a new version each time.
static uint64_t texture_version(ImTextureID texture) {
    const auto it = g_texture_versions.find(unsigned(intptr_t(texture)));
    return it == g_texture_versions.end() ? ++g_uploads : it->second;
}

// Makes the program, the buffers and the font atlas's texture in the current context.
static bool create_ui_objects() {
    // The same .glsl file for both versions: the shader renames what GLSL ES 1.00 calls differently.
    // Positions need highp (mediump cannot tell pixels apart past 1024); colours are fine with mediump.
    const std::string version = g_ui.webgl1 ? "#version 100" : kGlslVersion;
    if (Status s = gl_program(g_ui.program, "ui", version + "\nprecision highp float;\n", kShader_ui_vert,
                              version + "\nprecision mediump float;\n", kShader_ui_frag);
        !s.ok()) {
        std::fprintf(stderr, "cnnlab: the UI's %s\n", s.message.c_str());
        return false;  // renderer_draw then only clears
    }
    g_ui.projection = glGetUniformLocation(g_ui.program, "projection");
    g_ui.sampled = glGetUniformLocation(g_ui.program, "sampled");
    g_ui.position = glGetAttribLocation(g_ui.program, "position");
    g_ui.uv = glGetAttribLocation(g_ui.program, "uv");
    g_ui.color = glGetAttribLocation(g_ui.program, "color");
    glGenBuffers(1, &g_ui.vertex_buffer);
    glGenBuffers(1, &g_ui.index_buffer);
    unsigned char* pixels = nullptr;  // the font atlas: (height, width, 4)
    int width = 0, height = 0;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
    g_ui.font_texture = renderer_upload_rgba(0, pixels, width, height);
    glBindTexture(GL_TEXTURE_2D, g_ui.font_texture);  // the atlas is drawn scaled: smooth it
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glBindTexture(GL_TEXTURE_2D, 0);
    ImGui::GetIO().Fonts->SetTexID(reinterpret_cast<ImTextureID>(intptr_t(g_ui.font_texture)));
    return true;
}

static void delete_ui_objects() {
    glDeleteProgram(g_ui.program);
    glDeleteBuffers(1, &g_ui.vertex_buffer);
    glDeleteBuffers(1, &g_ui.index_buffer);
    glDeleteTextures(1, &g_ui.font_texture);
    g_ui = UiRenderer{g_ui.webgl1, g_ui.keeps_frames};
}

bool renderer_init(bool webgl1, bool keeps_frames) {
    g_ui.webgl1 = webgl1;
    g_ui.keeps_frames = keeps_frames;
    ImGui::GetIO().BackendRendererName = "cnnlab_gles3";
    return create_ui_objects();
}

void renderer_reset() {
    // the lost context took every GL object with it: make them again (deleting the dead names is harmless)
    delete_ui_objects();
    create_ui_objects();
    renderer_redraw_all();  // the new context's back buffer is blank
}

void renderer_redraw_all() { g_damage.have_last = false; }

void renderer_new_frame() {}

// Draws the UI without asking GL for anything: a query such as glGetIntegerv waits for the GPU to
// finish all the work sent before it, and in a browser that is a round trip to the GPU process
// (in headless Chromium, 18 ms a frame while it emulates the GPU). So no state is read back or
// restored: this sets all it needs, and leaves blending and scissoring off again for the GPU
// backend's passes (engine/gpu.cpp sets the rest of its own state).
// Where the back buffer is kept between frames, only what changed is drawn again (web/damage.h).
void renderer_draw(int framebuffer_width, int framebuffer_height, ImDrawData* draw_data) {
    const bool drawable = draw_data && draw_data->CmdListsCount > 0 && g_ui.program;
    plan_frame(g_plan, g_damage, drawable ? draw_data : nullptr, framebuffer_width, framebuffer_height,
               g_ui.keeps_frames && drawable, texture_version);
    if (g_plan.rects.empty()) return;  // nothing changed: the canvas still shows it
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, framebuffer_width, framebuffer_height);
    const ImVec4 background = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];  // the main window draws none itself
    glClearColor(background.x, background.y, background.z, 1.0f);
    glEnable(GL_SCISSOR_TEST);
    // GL counts rows from the bottom
    auto scissor = [&](const ScreenRect& r) { glScissor(r.x0, framebuffer_height - r.y1, r.x1 - r.x0, r.y1 - r.y0); };
    if (!drawable) {
        scissor(g_plan.rects[0]);  // (the whole screen)
        glClear(GL_COLOR_BUFFER_BIT);
        glDisable(GL_SCISSOR_TEST);
        return;
    }

    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_STENCIL_TEST);
    if (!g_ui.webgl1) glBindVertexArray(0);
    glUseProgram(g_ui.program);
    // pixels (DisplayPos .. DisplayPos + DisplaySize) to clip space (-1..1), y pointing down
    const float L = draw_data->DisplayPos.x, R = L + draw_data->DisplaySize.x;
    const float T = draw_data->DisplayPos.y, B = T + draw_data->DisplaySize.y;
    const float projection[16] = {2.0f / (R - L), 0, 0, 0, 0, 2.0f / (T - B), 0, 0, 0, 0, -1, 0, (R + L) / (L - R), (T + B) / (B - T), 0, 1};
    glUniformMatrix4fv(g_ui.projection, 1, GL_FALSE, projection);
    glUniform1i(g_ui.sampled, 0);
    glActiveTexture(GL_TEXTURE0);
    glBindBuffer(GL_ARRAY_BUFFER, g_ui.vertex_buffer);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, g_ui.index_buffer);
    glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(g_plan.vertices.size() * sizeof(ImDrawVert)), g_plan.vertices.data(), GL_STREAM_DRAW);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER, GLsizeiptr(g_plan.indices.size() * sizeof(ImDrawIdx)), g_plan.indices.data(), GL_STREAM_DRAW);
    glEnableVertexAttribArray(GLuint(g_ui.position));
    glEnableVertexAttribArray(GLuint(g_ui.uv));
    glEnableVertexAttribArray(GLuint(g_ui.color));
    glVertexAttribPointer(GLuint(g_ui.position), 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, pos));
    glVertexAttribPointer(GLuint(g_ui.uv), 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, uv));
    glVertexAttribPointer(GLuint(g_ui.color), 4, GL_UNSIGNED_BYTE, GL_TRUE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, col));

    size_t next = 0;  // the draws come grouped by rectangle, in the rectangles' order
    for (size_t r = 0; r < g_plan.rects.size(); r++) {
        scissor(g_plan.rects[r]);
        glClear(GL_COLOR_BUFFER_BIT);
        for (; next < g_plan.draws.size() && g_plan.draws[next].rect == int(r); next++) {
            const DamageDraw& draw = g_plan.draws[next];
            scissor(draw.scissor);
            glBindTexture(GL_TEXTURE_2D, GLuint(intptr_t(draw.texture)));
            glDrawElements(GL_TRIANGLES, GLsizei(draw.count), sizeof(ImDrawIdx) == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT,
                           (void*)(intptr_t(draw.first) * intptr_t(sizeof(ImDrawIdx))));
        }
    }
    glDisableVertexAttribArray(GLuint(g_ui.position));
    glDisableVertexAttribArray(GLuint(g_ui.uv));
    glDisableVertexAttribArray(GLuint(g_ui.color));
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_BLEND);
    glBindTexture(GL_TEXTURE_2D, 0);
    glUseProgram(0);
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
    g_texture_versions[texture] = ++g_uploads;  // what it shows changed: redraw where it is drawn
    glBindTexture(GL_TEXTURE_2D, 0);
    return texture;
}

void renderer_shutdown() { delete_ui_objects(); }

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
