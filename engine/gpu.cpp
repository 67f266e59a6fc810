#include "gpu.h"

#include <GLES3/gl3.h>
#ifdef __EMSCRIPTEN__
#include <emscripten/html5.h>
#endif

#include <algorithm>
#include <cstring>
#include <functional>

#include "gl_program.h"
#include "shaders.h"  // generated from shaders/*.glsl by CMakeLists.txt

using std::to_string;

namespace {

const char* kPrecision = "\nprecision highp float;\nprecision highp int;\nprecision highp sampler2D;\n";

// `defines`: #define lines that go between the version line (which must come first) and the body.
Status compile(unsigned& program, const std::string& name, const char* vertex_body, const char* fragment_body,
               const std::string& defines = "") {
    const std::string header = std::string(kGlslVersion) + "\n" + defines + kPrecision;
    if (Status s = gl_program(program, name, header, vertex_body, header, fragment_body); !s.ok()) return error_status("GPU: " + s.message);
    return ok_status();
}

unsigned make_texture(int w, int h, GLenum internal_format, GLenum format, GLenum type, const void* data) {
    unsigned t = 0;
    glGenTextures(1, &t);
    glBindTexture(GL_TEXTURE_2D, t);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GLint(internal_format), w, h, 0, format, type, data);
    return t;
}

unsigned make_float_texture(int w, int h, const float* rgba) { return make_texture(w, h, GL_RGBA32F, GL_RGBA, GL_FLOAT, rgba); }

int groups_of_4(int channels) { return (channels + 3) / 4; }

Status check_size(const GpuContext& ctx, int w, int h, const std::string& what) {
    if (w < 1 || h < 1 || w > ctx.max_texture_size || h > ctx.max_texture_size)
        return error_status("GPU: " + what + " needs a " + to_string(w) + "x" + to_string(h) +
                            " texture; this GPU allows at most " + to_string(ctx.max_texture_size) + " a side");
    return ok_status();
}

// One pass: draws the full-screen triangle into `target` (w x h) with `program`, the textures
// bound to the named samplers, and `uniforms` setting the rest.
struct Pass {
    GpuContext& ctx;
    unsigned program;
    int at(const char* name) const { return glGetUniformLocation(program, name); }
    void i1(const char* name, int v) const { glUniform1i(at(name), v); }
    void i2(const char* name, int x, int y) const { glUniform2i(at(name), x, y); }
    void f1(const char* name, float v) const { glUniform1f(at(name), v); }
};

Status run_pass(GpuContext& ctx, unsigned program, unsigned target, int w, int h,
                std::initializer_list<std::pair<const char*, unsigned>> textures, const std::function<void(const Pass&)>& uniforms,
                const char* what) {
    glBindFramebuffer(GL_FRAMEBUFFER, ctx.framebuffer);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, target, 0);
    if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        return error_status(std::string("GPU: cannot render into the texture of ") + what);
    }
    glViewport(0, 0, w, h);
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_CULL_FACE);
    glUseProgram(program);
    Pass pass{ctx, program};
    int unit = 0;
    for (const auto& [sampler, texture] : textures) {
        glActiveTexture(GL_TEXTURE0 + unsigned(unit));
        glBindTexture(GL_TEXTURE_2D, texture);
        pass.i1(sampler, unit);
        unit++;
    }
    uniforms(pass);
    glBindVertexArray(ctx.vertex_array);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    glBindVertexArray(0);
    for (int u = unit - 1; u >= 0; u--) {  // leave no texture bound: a later pass may render into it
        glActiveTexture(GL_TEXTURE0 + unsigned(u));
        glBindTexture(GL_TEXTURE_2D, 0);
    }
    glUseProgram(0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    std::string error = gpu_error_text();
    if (!error.empty()) return error_status(std::string("GPU: ") + what + ": " + error);
    return ok_status();
}

// A program specialised by `defines` (#define lines), from the cache or compiled now. The cache
// is small: shapes change rarely (a training run has a few, the image lab one per picture and
// kernel), so when it is full it is emptied rather than ordered by use.
Status specialised_program(GpuContext& ctx, unsigned& program, const char* name, const char* body, const std::string& defines) {
    const std::string key = std::string(name) + "\n" + defines;
    if (auto found = ctx.specialised.find(key); found != ctx.specialised.end()) {
        program = found->second;
        return ok_status();
    }
    if (ctx.specialised.size() >= 64) {
        for (auto& [_, p] : ctx.specialised) glDeleteProgram(p);
        ctx.specialised.clear();
    }
    std::string label;  // for messages, the lines in one: "conv2d (IN_W 28, IN_H 28, ...)"
    for (size_t at = 0, end; at < defines.size(); at = end + 1) {
        end = defines.find('\n', at);
        label += (label.empty() ? "" : ", ") + defines.substr(at + 8, end - at - 8);  // without "#define "
    }
    program = 0;
    if (Status s = compile(program, std::string(name) + " (" + label + ")", kShader_fullscreen_vert, body, defines); !s.ok()) {
        if (program) glDeleteProgram(program);
        return s;
    }
    ctx.specialised[key] = program;
    return ok_status();
}

// Appends "#define NAME value\n".
void define(std::string& lines, const char* name, int value) { lines += std::string("#define ") + name + " " + to_string(value) + "\n"; }

// The lines that specialise a conv shader to one convolution: the geometry its loops run over.
std::string conv_defines(const Conv2dSpec& spec, int in_w, int in_h, int in_channels, int out_w, int out_h) {
    std::string lines;
    define(lines, "IN_W", in_w);
    define(lines, "IN_H", in_h);
    define(lines, "ICG", groups_of_4(in_channels));
    define(lines, "LAST_C", in_channels - 4 * (groups_of_4(in_channels) - 1));
    define(lines, "OUT_W", out_w);
    define(lines, "OUT_H", out_h);
    define(lines, "KW", spec.cols.kernel);
    define(lines, "KH", spec.rows.kernel);
    define(lines, "STRIDE_X", spec.cols.stride);
    define(lines, "STRIDE_Y", spec.rows.stride);
    define(lines, "PAD_X", spec.cols.pad_before);
    define(lines, "PAD_Y", spec.rows.pad_before);
    define(lines, "DIL_X", spec.cols.dilation);
    define(lines, "DIL_Y", spec.rows.dilation);
    define(lines, "FLIP", spec.flip ? 1 : 0);
    return lines;
}

}  // namespace

void gpu_finish(GpuContext& ctx, const GpuTensor& t) {
    float texel[4];
    glBindFramebuffer(GL_FRAMEBUFFER, ctx.framebuffer);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, t.texture, 0);
    glReadPixels(0, 0, 1, 1, GL_RGBA, GL_FLOAT, texel);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

std::string gpu_error_text() {
    GLenum e = glGetError();
    switch (e) {
        case GL_NO_ERROR: return "";
        case GL_INVALID_ENUM: return "GL_INVALID_ENUM";
        case GL_INVALID_VALUE: return "GL_INVALID_VALUE";
        case GL_INVALID_OPERATION: return "GL_INVALID_OPERATION";
        case GL_OUT_OF_MEMORY: return "out of GPU memory";
        case GL_INVALID_FRAMEBUFFER_OPERATION: return "GL_INVALID_FRAMEBUFFER_OPERATION";
        default: return "GL error " + to_string(e);
    }
}

Status gpu_init(GpuContext& ctx) {
    gpu_shutdown(ctx);
    while (glGetError() != GL_NO_ERROR) {}  // errors left by others are not ours
    const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    if (!renderer) return error_status("GPU: no OpenGL ES 3 / WebGL2 context");
    ctx.renderer = renderer;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &ctx.max_texture_size);
    struct { unsigned* program; const char* name; const char* body; } programs[] = {
        {&ctx.sum_splits, "sum_splits", kShader_sum_splits_frag},
        {&ctx.pool, "pool2d", kShader_pool2d_frag},
        {&ctx.colormap, "colormap", kShader_colormap_frag},
    };
    for (const auto& p : programs)
        if (Status s = compile(*p.program, p.name, kShader_fullscreen_vert, p.body); !s.ok()) return s;
    glGenFramebuffers(1, &ctx.framebuffer);
    glGenVertexArrays(1, &ctx.vertex_array);
    // Float render targets: core in OpenGL ES 3.2, an extension (EXT_color_buffer_float) in WebGL2,
    // which a context restored after a loss has to ask for again.
#ifdef __EMSCRIPTEN__
    emscripten_webgl_enable_extension(emscripten_webgl_get_current_context(), "EXT_color_buffer_float");
#endif
    unsigned probe = make_float_texture(4, 4, nullptr);
    glBindFramebuffer(GL_FRAMEBUFFER, ctx.framebuffer);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, probe, 0);
    const bool renderable = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteTextures(1, &probe);
    while (glGetError() != GL_NO_ERROR) {}
    if (!renderable) {
        gpu_shutdown(ctx);
        return error_status("GPU: this browser or GPU cannot render into float textures (EXT_color_buffer_float)");
    }
    ctx.ready = true;
    return ok_status();
}

void gpu_shutdown(GpuContext& ctx) {
    for (auto& [_, p] : ctx.specialised) glDeleteProgram(p);
    ctx.specialised.clear();
    for (unsigned* p : {&ctx.sum_splits, &ctx.pool, &ctx.colormap})
        if (*p) { glDeleteProgram(*p); *p = 0; }
    if (ctx.framebuffer) glDeleteFramebuffers(1, &ctx.framebuffer);
    if (ctx.vertex_array) glDeleteVertexArrays(1, &ctx.vertex_array);
    ctx.framebuffer = ctx.vertex_array = 0;
    ctx.ready = false;
}

Status gpu_tensor(GpuContext& ctx, GpuTensor& t, int N, int C, int H, int W, const std::string& label) {
    const int tex_w = groups_of_4(C) * W, tex_h = N * H;
    if (Status s = check_size(ctx, tex_w, tex_h, label + " " + shape_string({N, C, H, W})); !s.ok()) return s;
    t.label = label;
    if (t.texture && t.tex_w == tex_w && t.tex_h == tex_h) {
        t.N = N, t.C = C, t.H = H, t.W = W;
        return ok_status();
    }
    gpu_free(t);
    t.N = N, t.C = C, t.H = H, t.W = W;
    t.tex_w = tex_w;
    t.tex_h = tex_h;
    t.texture = make_float_texture(tex_w, tex_h, nullptr);
    std::string error = gpu_error_text();
    if (!error.empty()) {
        gpu_free(t);
        return error_status("GPU: cannot allocate " + label + ": " + error);
    }
    return ok_status();
}

void gpu_free(GpuTensor& t) {
    if (t.texture) glDeleteTextures(1, &t.texture);
    t.texture = 0;
    t.tex_w = t.tex_h = 0;
}

void gpu_upload(GpuContext&, GpuTensor& t, const float* nchw) {
    std::vector<float> texels(size_t(t.tex_w) * size_t(t.tex_h) * 4, 0.0f);
    for (int n = 0; n < t.N; n++)
        for (int c = 0; c < t.C; c++)
            for (int y = 0; y < t.H; y++)
                for (int x = 0; x < t.W; x++)
                    texels[((size_t(n) * t.H + y) * t.tex_w + size_t(c / 4) * t.W + x) * 4 + size_t(c % 4)] =
                        nchw[((int64_t(n) * t.C + c) * t.H + y) * t.W + x];
    glBindTexture(GL_TEXTURE_2D, t.texture);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, t.tex_w, t.tex_h, GL_RGBA, GL_FLOAT, texels.data());
    glBindTexture(GL_TEXTURE_2D, 0);
}

// Reads a whole float texture (w x h RGBA) through the framebuffer.
static std::vector<float> read_texture(GpuContext& ctx, unsigned texture, int w, int h) {
    std::vector<float> texels(size_t(w) * size_t(h) * 4, 0.0f);
    glBindFramebuffer(GL_FRAMEBUFFER, ctx.framebuffer);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_FLOAT, texels.data());
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    return texels;
}

void gpu_download(GpuContext& ctx, float* nchw, const GpuTensor& t) {
    std::vector<float> texels = read_texture(ctx, t.texture, t.tex_w, t.tex_h);
    for (int n = 0; n < t.N; n++)
        for (int c = 0; c < t.C; c++)
            for (int y = 0; y < t.H; y++)
                for (int x = 0; x < t.W; x++)
                    nchw[((int64_t(n) * t.C + c) * t.H + y) * t.W + x] =
                        texels[((size_t(n) * t.H + y) * t.tex_w + size_t(c / 4) * t.W + x) * 4 + size_t(c % 4)];
}

Status gpu_conv_weights(GpuContext& ctx, GpuConvWeights& w, const float* weight, const float* bias, int OC, int C, int KH, int KW,
                        const std::string& label) {
    const int ICG = groups_of_4(C), OCG = groups_of_4(OC), taps = KH * KW, width = taps * ICG * 4;
    if (Status s = check_size(ctx, width + 1, OCG, label); !s.ok()) return s;
    std::vector<float> texels(size_t(width) * size_t(OCG) * 4, 0.0f), bias_texels(size_t(OCG) * 4, 0.0f);
    for (int oc = 0; oc < OC; oc++) {
        for (int c = 0; weight && c < C; c++)
            for (int t = 0; t < taps; t++)
                texels[((size_t(oc / 4) * width) + size_t((t * ICG + c / 4) * 4 + c % 4)) * 4 + size_t(oc % 4)] =
                    weight[(int64_t(oc) * C + c) * taps + t];
        if (bias) bias_texels[size_t(oc)] = bias[oc];  // texel oc/4, component oc%4
    }
    gpu_free(w);
    w.OC = OC, w.C = C, w.KH = KH, w.KW = KW;
    w.label = label;
    w.weight = make_float_texture(width, OCG, texels.data());
    w.bias = make_float_texture(OCG, 1, bias_texels.data());
    std::string error = gpu_error_text();
    if (!error.empty()) return error_status("GPU: cannot allocate " + label + ": " + error);
    return ok_status();
}

void gpu_free(GpuConvWeights& w) {
    if (w.weight) glDeleteTextures(1, &w.weight);
    if (w.bias) glDeleteTextures(1, &w.bias);
    w.weight = w.bias = 0;
}

void gpu_download_weights(GpuContext& ctx, float* weight, float* bias, const GpuConvWeights& w) {
    const int ICG = groups_of_4(w.C), OCG = groups_of_4(w.OC), taps = w.KH * w.KW, width = taps * ICG * 4;
    if (weight) {
        std::vector<float> texels = read_texture(ctx, w.weight, width, OCG);
        for (int oc = 0; oc < w.OC; oc++)
            for (int c = 0; c < w.C; c++)
                for (int t = 0; t < taps; t++)
                    weight[(int64_t(oc) * w.C + c) * taps + t] =
                        texels[((size_t(oc / 4) * width) + size_t((t * ICG + c / 4) * 4 + c % 4)) * 4 + size_t(oc % 4)];
    }
    if (bias) {
        std::vector<float> texels = read_texture(ctx, w.bias, OCG, 1);
        for (int oc = 0; oc < w.OC; oc++) bias[oc] = texels[size_t(oc)];
    }
}

Status gpu_conv2d_forward(GpuContext& ctx, GpuTensor& out, const GpuTensor& inp, const GpuConvWeights& w,
                          const Conv2dSpec& spec, bool relu) {
    if (spec.groups != 1) return error_status("GPU: conv2d with groups runs on the CPU only");
    std::vector<int> bias_shape = {w.OC};
    if (Status s = check_conv2d({inp.N, inp.C, inp.H, inp.W}, {w.OC, w.C, w.KH, w.KW}, &bias_shape, spec); !s.ok()) return s;
    const int OH = int(conv_output_size(inp.H, spec.rows)), OW = int(conv_output_size(inp.W, spec.cols));
    if (Status s = gpu_tensor(ctx, out, inp.N, w.OC, OH, OW, out.label.empty() ? w.label + " output" : out.label); !s.ok()) return s;
    std::string defines = conv_defines(spec, inp.W, inp.H, inp.C, OW, OH);
    define(defines, "RELU", relu ? 1 : 0);
    unsigned program = 0;
    if (Status s = specialised_program(ctx, program, "conv2d", kShader_conv2d_frag, defines); !s.ok()) return s;
    return run_pass(ctx, program, out.texture, out.tex_w, out.tex_h,
                    {{"u_input", inp.texture}, {"u_weight", w.weight}, {"u_bias", w.bias}}, [](const Pass&) {}, "conv2d");
}

Status gpu_conv2d_backward_input(GpuContext& ctx, GpuTensor& dinp, const GpuTensor& dout, const GpuConvWeights& w,
                                 const Conv2dSpec& spec, int in_h, int in_w) {
    if (spec.groups != 1) return error_status("GPU: conv2d with groups runs on the CPU only");
    if (Status s = check_conv2d({dout.N, w.C, in_h, in_w}, {w.OC, w.C, w.KH, w.KW}, nullptr, spec); !s.ok()) return s;
    if (conv_output_size(in_h, spec.rows) != dout.H || conv_output_size(in_w, spec.cols) != dout.W || dout.C != w.OC)
        return error_status("GPU: the output gradient " + shape_string({dout.N, dout.C, dout.H, dout.W}) +
                            " does not match this convolution's output");
    if (Status s = gpu_tensor(ctx, dinp, dout.N, w.C, in_h, in_w, w.label + " input gradient"); !s.ok()) return s;
    std::string defines = conv_defines(spec, in_w, in_h, w.C, dout.W, dout.H);
    define(defines, "OCG", groups_of_4(w.OC));
    unsigned program = 0;
    if (Status s = specialised_program(ctx, program, "conv2d_grad_input", kShader_conv2d_grad_input_frag, defines); !s.ok()) return s;
    return run_pass(ctx, program, dinp.texture, dinp.tex_w, dinp.tex_h, {{"u_dout", dout.texture}, {"u_weight", w.weight}},
                    [](const Pass&) {}, "conv2d input gradient");
}

Status gpu_conv2d_backward_weight(GpuContext& ctx, GpuConvWeights& dw, const GpuTensor& dout, const GpuTensor& inp,
                                  const Conv2dSpec& spec) {
    if (spec.groups != 1) return error_status("GPU: conv2d with groups runs on the CPU only");
    const int OC = dout.C, C = inp.C, KH = spec.rows.kernel, KW = spec.cols.kernel;
    if (Status s = check_conv2d({inp.N, C, inp.H, inp.W}, {OC, C, KH, KW}, nullptr, spec); !s.ok()) return s;
    if (conv_output_size(inp.H, spec.rows) != dout.H || conv_output_size(inp.W, spec.cols) != dout.W || dout.N != inp.N)
        return error_status("GPU: the output gradient does not match this convolution's output");
    if (dw.OC != OC || dw.C != C || dw.KH != KH || dw.KW != KW || !dw.weight)
        if (Status s = gpu_conv_weights(ctx, dw, nullptr, nullptr, OC, C, KH, KW, "weight gradient"); !s.ok()) return s;
    const int ICG = groups_of_4(C), OCG = groups_of_4(OC), width = KH * KW * ICG * 4;
    const int total = inp.N * dout.H * dout.W;
    const int splits = std::clamp((total + 255) / 256, 1, std::max(1, ctx.max_texture_size / OCG));  // chunks of ~256 outputs
    GpuTensor partial;
    partial.tex_w = width + 1;
    partial.tex_h = OCG * splits;
    if (Status s = check_size(ctx, partial.tex_w, partial.tex_h, "the weight gradient's partial sums"); !s.ok()) return s;
    std::string defines = conv_defines(spec, inp.W, inp.H, C, dout.W, dout.H);
    define(defines, "OCG", OCG);
    define(defines, "BATCH", inp.N);
    define(defines, "SPLITS", splits);
    unsigned program = 0;
    if (Status s = specialised_program(ctx, program, "conv2d_grad_weight", kShader_conv2d_grad_weight_frag, defines); !s.ok()) return s;
    partial.texture = make_float_texture(partial.tex_w, partial.tex_h, nullptr);
    Status s = run_pass(ctx, program, partial.texture, partial.tex_w, partial.tex_h, {{"u_dout", dout.texture}, {"u_input", inp.texture}},
                        [](const Pass&) {}, "conv2d weight gradient");
    if (s.ok())  // the weights: columns 0..width-1, rows og
        s = run_pass(ctx, ctx.sum_splits, dw.weight, width, OCG, {{"u_partial", partial.texture}},
                     [&](const Pass& p) {
                         p.i1("u_rows", OCG);
                         p.i1("u_splits", splits);
                         p.i1("u_x_offset", 0);
                         p.i1("u_transpose", 0);
                     },
                     "adding the weight gradient's chunks");
    if (s.ok())  // the bias: column `width`, turned into a row (texel og)
        s = run_pass(ctx, ctx.sum_splits, dw.bias, OCG, 1, {{"u_partial", partial.texture}},
                     [&](const Pass& p) {
                         p.i1("u_rows", OCG);
                         p.i1("u_splits", splits);
                         p.i1("u_x_offset", width);
                         p.i1("u_transpose", 1);
                     },
                     "adding the bias gradient's chunks");
    gpu_free(partial);
    return s;
}

Status gpu_pool2d_forward(GpuContext& ctx, GpuTensor& out, const GpuTensor& inp, const Pool2dSpec& spec, bool max) {
    if (Status s = check_pool2d({inp.N, inp.C, inp.H, inp.W}, spec, max ? "maxpool" : "avgpool"); !s.ok()) return s;
    if (spec.rows.dilation != 1 || spec.cols.dilation != 1) return error_status("GPU: pooling with dilation runs on the CPU only");
    const int OH = int(conv_output_size(inp.H, spec.rows)), OW = int(conv_output_size(inp.W, spec.cols));
    if (Status s = gpu_tensor(ctx, out, inp.N, inp.C, OH, OW, out.label.empty() ? "pooling output" : out.label); !s.ok()) return s;
    return run_pass(ctx, ctx.pool, out.texture, out.tex_w, out.tex_h, {{"u_input", inp.texture}},
                    [&](const Pass& p) {
                        p.i2("u_in_size", inp.W, inp.H);
                        p.i2("u_out_size", OW, OH);
                        p.i2("u_kernel", spec.cols.kernel, spec.rows.kernel);
                        p.i2("u_stride", spec.cols.stride, spec.rows.stride);
                        p.i2("u_pad", spec.cols.pad_before, spec.rows.pad_before);
                        p.i1("u_max", max ? 1 : 0);
                    },
                    max ? "maxpool" : "avgpool");
}

void gpu_free(GpuImage& image) {
    if (image.texture) glDeleteTextures(1, &image.texture);
    image = GpuImage{};
}

static void size_image(GpuImage& image, int width, int height) {
    if (image.texture && image.width == width && image.height == height) return;
    gpu_free(image);
    image.texture = make_texture(width, height, GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    image.width = width;
    image.height = height;
}

void gpu_upload_image(GpuImage& image, const uint8_t* rgba, int width, int height) {
    size_image(image, width, height);
    glBindTexture(GL_TEXTURE_2D, image.texture);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    glBindTexture(GL_TEXTURE_2D, 0);
}

Status gpu_colormap(GpuContext& ctx, GpuImage& image, const GpuTensor& t, int n, int channel, Colormap mode, float lo, float hi) {
    if (n < 0 || n >= t.N || channel < 0 || channel >= t.C) return error_status("GPU: colormap of a sample or channel the tensor does not have");
    size_image(image, t.W, t.H);
    return run_pass(ctx, ctx.colormap, image.texture, t.W, t.H, {{"u_input", t.texture}},
                    [&](const Pass& p) {
                        p.i2("u_size", t.W, t.H);
                        p.i1("u_sample", n);
                        p.i1("u_channel", channel);
                        p.i1("u_mode", int(mode));
                        p.f1("u_lo", lo);
                        p.f1("u_hi", hi);
                    },
                    "colormap");
}
