// gpu.h — the GPU backend: convolution and pooling as "compute-style" passes over float
// textures, the same GLSL ES 3.00 source (shaders/*.glsl, embedded at build time) on WebGL2 in the
// browser and OpenGL ES 3 on the desktop (and Mesa llvmpipe offscreen in the tests).
//
// Layout: a tensor (N,C,H,W) is an RGBA32F texture of (ceil(C/4)*W) x (N*H) texels; texel
// (cg*W + x, n*H + y) holds channels 4cg..4cg+3 of pixel (y, x) of sample n (channels past C are
// zero). One pass draws one triangle over the output texture, so the fragment shader runs once
// per output texel. Data stays on the GPU between passes; gpu_download() is the explicit readback.
//
// Unlike the CPU ops, GPU passes WRITE their outputs (a texture cannot be read and written in one
// pass); add gradients with an extra pass if you need to accumulate.
// Every function needs the GL context current that gpu_init() ran in.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "conv.h"
#include "ops.h"

// The shading language version, chosen once for the whole project (UI renderer included).
inline constexpr const char* kGlslVersion = "#version 300 es";

struct GpuTensor {
    int N = 0, C = 0, H = 0, W = 0;  // the shape it holds
    unsigned texture = 0;            // GL texture name (RGBA32F), 0 when empty
    int tex_w = 0, tex_h = 0;        // ceil(C/4)*W x N*H
    std::string label;               // what it is, for messages ("conv1 output")
};

// Conv weights as the shaders read them: texel ((t*ICG + ig)*4 + k, og) holds the weights of
// output channels 4og..4og+3 for input channel 4ig+k at tap t = ky*KW + kx; the bias is one row.
struct GpuConvWeights {
    int OC = 0, C = 0, KH = 0, KW = 0;
    unsigned weight = 0, bias = 0;  // textures: (KH*KW*ICG*4) x OCG, and OCG x 1
    std::string label;
};

struct GpuContext {
    bool ready = false;
    std::string renderer;      // GL_RENDERER, for the record
    int max_texture_size = 0;
    unsigned framebuffer = 0;  // one FBO, re-attached for every pass
    unsigned vertex_array = 0; // empty VAO for attribute-less drawing
    unsigned sum_splits = 0, pool = 0, colormap = 0;  // programs
    // The convolution programs (forward and both gradients), one per shape: the shape goes in as
    // #define lines, compiled on first use. Key: the shader's name and those lines
    // (gpu.cpp, specialised_program).
    std::map<std::string, unsigned> specialised;
};

// Compiles the shaders and checks what the backend needs (float render targets). On failure
// the message says what is missing in one line, for the UI to show before falling back to the CPU.
Status gpu_init(GpuContext& ctx);
void gpu_shutdown(GpuContext& ctx);  // frees programs (textures belong to their owners)

// Allocates (or re-allocates, when the shape changes) a tensor's texture.
Status gpu_tensor(GpuContext& ctx, GpuTensor& t, int N, int C, int H, int W, const std::string& label);
void gpu_free(GpuTensor& t);
// Host (N,C,H,W) floats to the texture and back. download needs the texture to be renderable.
void gpu_upload(GpuContext& ctx, GpuTensor& t, const float* nchw);
void gpu_download(GpuContext& ctx, float* nchw, const GpuTensor& t);

// weight (OC,C,KH,KW), bias (OC) or nullptr (zeros).
Status gpu_conv_weights(GpuContext& ctx, GpuConvWeights& w, const float* weight, const float* bias, int OC, int C, int KH, int KW,
                        const std::string& label);
void gpu_free(GpuConvWeights& w);
// Reads a weight gradient back: dweight (OC,C,KH,KW), dbias (OC), either may be nullptr.
void gpu_download_weights(GpuContext& ctx, float* weight, float* bias, const GpuConvWeights& w);

// conv2d forward (groups 1), bias and optional ReLU fused: out = relu?(conv(inp, w) + b).
// out is (re)shaped to (N, OC, OH, OW).
Status gpu_conv2d_forward(GpuContext& ctx, GpuTensor& out, const GpuTensor& inp, const GpuConvWeights& w,
                          const Conv2dSpec& spec, bool relu);
// The two backward passes. dinp is (re)shaped like inp; dw gets the weight and bias gradients
// (allocated like w). The weight gradient is a split reduction: partial sums over chunks of the
// batch's N*OH*OW outputs in parallel, then one pass that adds the chunks.
Status gpu_conv2d_backward_input(GpuContext& ctx, GpuTensor& dinp, const GpuTensor& dout, const GpuConvWeights& w,
                                 const Conv2dSpec& spec, int in_h, int in_w);
Status gpu_conv2d_backward_weight(GpuContext& ctx, GpuConvWeights& dw, const GpuTensor& dout, const GpuTensor& inp,
                                  const Conv2dSpec& spec);
// Max or average pooling (count_include_pad=True, dilation 1); out is (re)shaped.
Status gpu_pool2d_forward(GpuContext& ctx, GpuTensor& out, const GpuTensor& inp, const Pool2dSpec& spec, bool max);

// A picture for the screen: an RGBA8 texture the UI draws (ImGui::Image).
struct GpuImage {
    unsigned texture = 0;
    int width = 0, height = 0;
};
void gpu_free(GpuImage& image);
// How values become colours: shaders/colormap.frag.glsl's u_mode, and colormap_rgba's on the CPU.
enum class Colormap {
    rgb = 0,        // channels 0..2 as RGB, [lo, hi] -> [0, 1]
    grey = 1,       // one channel, [lo, hi] -> black..white
    diverging = 2,  // one channel: negative blue, zero white, positive red; |v| = hi is full colour
    direction = 3,  // channels 0 and 1 as a gradient (gx, gy): hue = direction, brightness = magnitude / hi
    magnitude = 4,  // channels 0 and 1 as a gradient: sqrt(gx^2 + gy^2) as grey, hi = white
};
// Draws sample n of a tensor into `image` (re-allocated at W x H when its size differs).
Status gpu_colormap(GpuContext& ctx, GpuImage& image, const GpuTensor& t, int n, int channel, Colormap mode, float lo, float hi);
// Uploads host RGBA8 pixels (height rows of width*4 bytes, top row first) into `image`.
void gpu_upload_image(GpuImage& image, const uint8_t* rgba, int width, int height);

inline const std::string& gpu_context_renderer(const GpuContext& ctx) { return ctx.renderer; }

// Waits until the GPU has finished the passes that wrote `t` (for timing): reads one texel back,
// which a browser cannot answer before the work is done (WebGL's finish() does not wait).
void gpu_finish(GpuContext& ctx, const GpuTensor& t);

// The last GL error as text ("" when none); every pass checks and reports through Status.
std::string gpu_error_text();
