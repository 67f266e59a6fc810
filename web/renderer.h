// renderer.h — the one place that talks to the GPU for drawing the UI: OpenGL ES 3.0 on the
// desktop (SDL2 + Mesa, also headless), WebGL2 in the browser; the same GLSL ES 3.00 for both.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct ImDrawData;

#include "../engine/gpu.h"  // kGlslVersion: the shading language version, chosen once

// After the GL context is current. webgl1: only OpenGL ES 2 / WebGL1 is there, so the UI's shaders
// are GLSL ES 1.00 ("#version 100"); everything else in the project needs kGlslVersion.
// keeps_frames: the back buffer still holds the last frame after a swap (a WebGL canvas made with
// preserveDrawingBuffer), so each frame draws only what changed (web/damage.h).
bool renderer_init(bool webgl1, bool keeps_frames);
void renderer_reset();                    // makes the UI's GL objects again (after a lost context came back)
void renderer_redraw_all();               // the next frame draws the whole screen (not only what changed)
void renderer_new_frame();                // before ImGui::NewFrame()
void renderer_draw(int framebuffer_width, int framebuffer_height, ImDrawData* draw_data);
void renderer_shutdown();
std::string renderer_description();
// Uploads RGBA8 pixels into a UI texture (made when `texture` is 0; re-sized as needed); returns it.
// GL_RGBA as the internal format, so it works on WebGL1 too.
unsigned renderer_upload_rgba(unsigned texture, const uint8_t* rgba, int width, int height);       // "OpenGL ES 3.2 Mesa ... | llvmpipe ..."
// Reads the framebuffer as RGBA rows, top row first. rgba (height, width, 4).
void renderer_read_pixels(int width, int height, std::vector<unsigned char>& rgba);
