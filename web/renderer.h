// renderer.h — the one place that talks to the GPU for drawing the UI: OpenGL ES 3.0 on the
// desktop (SDL2 + Mesa, also headless), WebGL2 in the browser; the same GLSL ES 3.00 for both.
#pragma once
#include <string>
#include <vector>

struct ImDrawData;

#include "../engine/gpu.h"  // kGlslVersion: the shading language version, chosen once

bool renderer_init();                     // after the GL context is current; false if the GPU lacks what we need
void renderer_new_frame();                // before ImGui::NewFrame()
void renderer_draw(int framebuffer_width, int framebuffer_height, ImDrawData* draw_data);
void renderer_shutdown();
std::string renderer_description();       // "OpenGL ES 3.2 Mesa ... | llvmpipe ..."
// Reads the framebuffer as RGBA rows, top row first. rgba (height, width, 4).
void renderer_read_pixels(int width, int height, std::vector<unsigned char>& rgba);
