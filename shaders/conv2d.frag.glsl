// conv2d.frag.glsl — conv2d forward, one output texel = 4 output channels at one (n, oy, ox).
// Tensors live in RGBA32F textures, 4 channels per texel: texel (cg*W + x, n*H + y) holds
// channels 4cg..4cg+3 of pixel (y, x) of sample n (see engine/gpu.h).
// Weights: texel ((t*ICG + ig)*4 + k, og) holds, for input channel 4ig+k and tap t = ky*KW + kx,
// the weights of output channels 4og..4og+3. Bias: texel (og, 0).
//
// Specialised: engine/gpu.cpp compiles this text once per convolution shape, with the shape as
// #define lines in front of it (conv_defines there), so every loop bound and every test on a size
// below is a constant the shader compiler folds. On a GPU emulated by the CPU (SwiftShader, the
// headless browser's WebGL2) that runs 2 to 4 times faster than reading the shape from uniforms.
//   IN_W, IN_H     the input's width and height       OUT_W, OUT_H   the output's
//   ICG            input channel groups of 4          LAST_C         channels in the last group (1..4)
//   KW, KH         the kernel                         STRIDE_X, STRIDE_Y, DIL_X, DIL_Y
//   PAD_X, PAD_Y   zeros before (left, top)           FLIP           1: true convolution (kernel turned 180 degrees)
//   RELU           1: ReLU fused after the bias
uniform highp sampler2D u_input;
uniform highp sampler2D u_weight;
uniform highp sampler2D u_bias;
out vec4 out_value;

// The 4 input channels x times their weights, texels w..w+3 of row og. `channels` is a constant
// in every call, so the fetches of weights for channels past C (zero in the input) compile away.
vec4 times_weights(vec4 x, int w, int og, int channels) {
    vec4 sum = x.x * texelFetch(u_weight, ivec2(w, og), 0);
    if (channels > 1) sum += x.y * texelFetch(u_weight, ivec2(w + 1, og), 0);
    if (channels > 2) sum += x.z * texelFetch(u_weight, ivec2(w + 2, og), 0);
    if (channels > 3) sum += x.w * texelFetch(u_weight, ivec2(w + 3, og), 0);
    return sum;
}

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    int ox = p.x % OUT_W, og = p.x / OUT_W;
    int oy = p.y % OUT_H, n = p.y / OUT_H;
    vec4 sum = texelFetch(u_bias, ivec2(og, 0), 0);
    // No branches on padding: coordinates are clamped into the picture and the value is multiplied
    // by 0 where the window is over the padding (branches cost more than fetches on many GPUs).
    for (int ky = 0; ky < KH; ky++) {
        int iy = oy * STRIDE_Y - PAD_Y + ky * DIL_Y;
        float inside_y = float(iy >= 0 && iy < IN_H);
        iy = n * IN_H + clamp(iy, 0, IN_H - 1);
        for (int kx = 0; kx < KW; kx++) {
            int ix = ox * STRIDE_X - PAD_X + kx * DIL_X;
            float inside = inside_y * float(ix >= 0 && ix < IN_W);
            ix = clamp(ix, 0, IN_W - 1);
            int t = FLIP == 1 ? (KH - 1 - ky) * KW + (KW - 1 - kx) : ky * KW + kx;
            int w = t * ICG * 4;
            for (int ig = 0; ig < ICG - 1; ig++)  // the full groups, then the last
                sum += times_weights(inside * texelFetch(u_input, ivec2(ig * IN_W + ix, iy), 0), w + ig * 4, og, 4);
            sum += times_weights(inside * texelFetch(u_input, ivec2((ICG - 1) * IN_W + ix, iy), 0), w + (ICG - 1) * 4, og, LAST_C);
        }
    }
#if RELU
    sum = max(sum, vec4(0.0));
#endif
    out_value = sum;
}
