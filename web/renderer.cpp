#include "renderer.h"

#include <algorithm>

#include <GLES3/gl3.h>

#include <imgui.h>
#include <cstdio>
#include <string>

#include "shaders.h"  // generated from shaders/*.glsl by CMakeLists.txt

// The UI's own GL objects. Everything is drawn with one program; each draw list's vertices and
// indices are streamed into one buffer pair every frame.
struct UiRenderer {
    bool webgl1 = false;      // GLSL ES 1.00 and no vertex array objects
    unsigned program = 0;
    int projection = -1, sampled = -1;           // uniform locations
    int position = -1, uv = -1, color = -1;      // attribute locations
    unsigned vertex_buffer = 0, index_buffer = 0;
    unsigned font_texture = 0;
};
static UiRenderer g_ui;

static unsigned compile_stage(GLenum kind, const char* body) {
    // The same .glsl file for both versions: the shader renames what GLSL ES 1.00 calls differently.
    // Positions need highp (mediump cannot tell pixels apart past 1024); colours are fine with mediump.
    const char* precision = kind == GL_VERTEX_SHADER ? "\nprecision highp float;\n" : "\nprecision mediump float;\n";
    const std::string source = std::string(g_ui.webgl1 ? "#version 100" : kGlslVersion) + precision + body;
    const char* text = source.c_str();
    const unsigned shader = glCreateShader(kind);
    glShaderSource(shader, 1, &text, nullptr);
    glCompileShader(shader);
    GLint ok = 0;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[1024] = "";
        glGetShaderInfoLog(shader, sizeof log, nullptr, log);
        std::fprintf(stderr, "cnnlab: the UI's shader does not compile: %s\n", log);
    }
    return shader;
}

// Makes the program, the buffers and the font atlas's texture in the current context.
static bool create_ui_objects() {
    const unsigned vs = compile_stage(GL_VERTEX_SHADER, kShader_ui_vert), fs = compile_stage(GL_FRAGMENT_SHADER, kShader_ui_frag);
    g_ui.program = glCreateProgram();
    glAttachShader(g_ui.program, vs);
    glAttachShader(g_ui.program, fs);
    glLinkProgram(g_ui.program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint linked = 0;
    glGetProgramiv(g_ui.program, GL_LINK_STATUS, &linked);
    if (!linked) {
        char log[1024] = "";
        glGetProgramInfoLog(g_ui.program, sizeof log, nullptr, log);
        std::fprintf(stderr, "cnnlab: the UI's shaders do not link: %s\n", log);
        glDeleteProgram(g_ui.program);
        g_ui.program = 0;  // renderer_draw then only clears
        return false;
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
    g_ui = UiRenderer{g_ui.webgl1};
}

bool renderer_init(bool webgl1) {
    g_ui.webgl1 = webgl1;
    ImGui::GetIO().BackendRendererName = "cnnlab_gles3";
    return create_ui_objects();
}

void renderer_reset() {
    // the lost context took every GL object with it: make them again (deleting the dead names is harmless)
    delete_ui_objects();
    create_ui_objects();
}

void renderer_new_frame() {}

// Draws the UI without asking GL for anything: a query such as glGetIntegerv waits for the GPU to
// finish all the work sent before it, and in a browser that is a round trip to the GPU process
// (in headless Chromium, 18 ms a frame while it emulates the GPU). So no state is read back or
// restored: this sets all it needs, and leaves blending and scissoring off again for the GPU
// backend's passes (engine/gpu.cpp sets the rest of its own state).
void renderer_draw(int framebuffer_width, int framebuffer_height, ImDrawData* draw_data) {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, framebuffer_width, framebuffer_height);
    const ImVec4 background = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];  // the main window draws none itself
    glClearColor(background.x, background.y, background.z, 1.0f);
    glDisable(GL_SCISSOR_TEST);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!draw_data || draw_data->CmdListsCount == 0 || !g_ui.program) return;

    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_STENCIL_TEST);
    glEnable(GL_SCISSOR_TEST);
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
    glEnableVertexAttribArray(GLuint(g_ui.position));
    glEnableVertexAttribArray(GLuint(g_ui.uv));
    glEnableVertexAttribArray(GLuint(g_ui.color));
    glVertexAttribPointer(GLuint(g_ui.position), 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, pos));
    glVertexAttribPointer(GLuint(g_ui.uv), 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, uv));
    glVertexAttribPointer(GLuint(g_ui.color), 4, GL_UNSIGNED_BYTE, GL_TRUE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, col));

    const ImVec2 scale = draw_data->FramebufferScale;  // framebuffer pixels per UI pixel (HiDPI)
    for (int n = 0; n < draw_data->CmdListsCount; n++) {
        const ImDrawList* list = draw_data->CmdLists[n];
        glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(list->VtxBuffer.Size) * GLsizeiptr(sizeof(ImDrawVert)), list->VtxBuffer.Data, GL_STREAM_DRAW);
        glBufferData(GL_ELEMENT_ARRAY_BUFFER, GLsizeiptr(list->IdxBuffer.Size) * GLsizeiptr(sizeof(ImDrawIdx)), list->IdxBuffer.Data, GL_STREAM_DRAW);
        for (const ImDrawCmd& cmd : list->CmdBuffer) {
            if (cmd.UserCallback) {  // (none of ours use callbacks; ImGui's reset marker is skipped)
                if (cmd.UserCallback != ImDrawCallback_ResetRenderState) cmd.UserCallback(list, &cmd);
                continue;
            }
            // the clip rectangle in framebuffer pixels; GL counts rows from the bottom
            const float x0 = (cmd.ClipRect.x - L) * scale.x, y0 = (cmd.ClipRect.y - T) * scale.y;
            const float x1 = (cmd.ClipRect.z - L) * scale.x, y1 = (cmd.ClipRect.w - T) * scale.y;
            if (x1 <= x0 || y1 <= y0) continue;
            glScissor(int(x0), int(float(framebuffer_height) - y1), int(x1 - x0), int(y1 - y0));
            glBindTexture(GL_TEXTURE_2D, GLuint(intptr_t(cmd.GetTexID())));
            glDrawElements(GL_TRIANGLES, GLsizei(cmd.ElemCount), sizeof(ImDrawIdx) == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT,
                           (void*)(intptr_t(cmd.IdxOffset) * intptr_t(sizeof(ImDrawIdx))));
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
