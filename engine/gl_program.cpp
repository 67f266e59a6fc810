#include "gl_program.h"

#include <GLES3/gl3.h>

namespace {

Status compile_stage(unsigned& shader, GLenum kind, const std::string& name, const std::string& header, const char* body) {
    const std::string source = header + body;
    const char* text = source.c_str();
    shader = glCreateShader(kind);
    glShaderSource(shader, 1, &text, nullptr);
    glCompileShader(shader);
    GLint ok = 0;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (ok) return ok_status();
    char log[1024] = "";
    glGetShaderInfoLog(shader, sizeof log, nullptr, log);
    glDeleteShader(shader);
    shader = 0;
    return error_status("shader " + name + " does not compile: " + log);
}

}  // namespace

Status gl_program(unsigned& program, const std::string& name, const std::string& vertex_header, const char* vertex_body,
                  const std::string& fragment_header, const char* fragment_body) {
    program = 0;
    unsigned vs = 0, fs = 0;
    if (Status s = compile_stage(vs, GL_VERTEX_SHADER, name, vertex_header, vertex_body); !s.ok()) return s;
    if (Status s = compile_stage(fs, GL_FRAGMENT_SHADER, name, fragment_header, fragment_body); !s.ok()) {
        glDeleteShader(vs);
        return s;
    }
    program = glCreateProgram();
    glAttachShader(program, vs);
    glAttachShader(program, fs);
    glLinkProgram(program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (ok) return ok_status();
    char log[1024] = "";
    glGetProgramInfoLog(program, sizeof log, nullptr, log);
    glDeleteProgram(program);
    program = 0;
    return error_status("shader " + name + " does not link: " + log);
}
