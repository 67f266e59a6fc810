// gl_program.h — compiling and linking a GL program from GLSL source: the one helper the UI
// renderer (web/renderer.cpp) and the GPU backend (engine/gpu.cpp) share. Needs a current GL
// context (OpenGL ES 3 / WebGL2, or ES 2 / WebGL1 for the UI's fallback).
#pragma once
#include <string>

#include "status.h"

// Compiles header + body for each stage and links them. A header is what goes before a body: the
// version line first (kGlslVersion in engine/gpu.h, or "#version 100"), then #define lines and
// precision statements. On failure, `program` is 0 and the message names `name` and quotes the
// compiler's log.
Status gl_program(unsigned& program, const std::string& name, const std::string& vertex_header, const char* vertex_body,
                  const std::string& fragment_header, const char* fragment_body);
