// conv2d.frag.glsl — conv2d forward, one output texel = 4 output channels at one (n, oy, ox).
// Tensors live in RGBA32F textures, 4 channels per texel: texel (cg*W + x, n*H + y) holds
// channels 4cg..4cg+3 of pixel (y, x) of sample n (see engine/gpu.h).
// Weights: texel ((t*ICG + ig)*4 + k, og) holds, for input channel 4ig+k and tap t = ky*KW + kx,
// the weights of output channels 4og..4og+3. Bias: texel (og, 0).
uniform highp sampler2D u_input;
uniform highp sampler2D u_weight;
uniform highp sampler2D u_bias;
uniform ivec2 u_in_size;    // (W, H) of the input
uniform int u_in_groups;    // ICG: input channel groups of 4
uniform ivec2 u_out_size;   // (W, H) of the output
uniform ivec2 u_kernel;     // (KW, KH)
uniform ivec2 u_stride;     // (x, y)
uniform ivec2 u_pad;        // zeros before: (left, top)
uniform ivec2 u_dilation;   // (x, y)
uniform int u_flip;         // 1: true convolution (kernel turned 180 degrees)
uniform int u_relu;         // 1: ReLU fused after the bias
uniform int u_in_channels;  // C: the last group may hold fewer than 4
out vec4 out_value;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    int ox = p.x % u_out_size.x, og = p.x / u_out_size.x;
    int oy = p.y % u_out_size.y, n = p.y / u_out_size.y;
    vec4 sum = texelFetch(u_bias, ivec2(og, 0), 0);
    // No branches on padding: coordinates are clamped into the picture and the value is multiplied
    // by 0 where the window is over the padding (branches cost more than fetches on many GPUs).
    for (int ky = 0; ky < u_kernel.y; ky++) {
        int iy = oy * u_stride.y - u_pad.y + ky * u_dilation.y;
        float inside_y = float(iy >= 0 && iy < u_in_size.y);
        iy = clamp(iy, 0, u_in_size.y - 1);
        for (int kx = 0; kx < u_kernel.x; kx++) {
            int ix = ox * u_stride.x - u_pad.x + kx * u_dilation.x;
            float inside = inside_y * float(ix >= 0 && ix < u_in_size.x);
            ix = clamp(ix, 0, u_in_size.x - 1);
            int t = u_flip == 1 ? (u_kernel.y - 1 - ky) * u_kernel.x + (u_kernel.x - 1 - kx) : ky * u_kernel.x + kx;
            for (int ig = 0; ig < u_in_groups; ig++) {
                vec4 x = inside * texelFetch(u_input, ivec2(ig * u_in_size.x + ix, n * u_in_size.y + iy), 0);
                int w = (t * u_in_groups + ig) * 4;
                int channels = u_in_channels - 4 * ig;  // fetch only the weights of channels that exist
                sum += x.x * texelFetch(u_weight, ivec2(w, og), 0);
                if (channels > 1) sum += x.y * texelFetch(u_weight, ivec2(w + 1, og), 0);
                if (channels > 2) sum += x.z * texelFetch(u_weight, ivec2(w + 2, og), 0);
                if (channels > 3) sum += x.w * texelFetch(u_weight, ivec2(w + 3, og), 0);
            }
        }
    }
    out_value = u_relu == 1 ? max(sum, vec4(0.0)) : sum;
}
