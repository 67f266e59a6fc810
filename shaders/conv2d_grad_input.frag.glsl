// conv2d_grad_input.frag.glsl — the gradient of conv2d with respect to its input: one texel =
// 4 input channels at one (n, iy, ix), gathering from every output whose window covered it:
//   dinp[n, c, iy, ix] = sum over oc, ky, kx of dout[n, oc, oy, ox] * w[oc, c, ky, kx]
// where oy*stride - pad + ky*dilation = iy (and the same for x). Layouts as in conv2d.frag.glsl.
// Specialised like conv2d.frag.glsl: the shape comes as #define lines (engine/gpu.cpp), the
// same names, and OCG: output channel groups of 4. (IN_* is the input, the size of this pass's
// output; OUT_* the forward output, the size of dout.)
uniform highp sampler2D u_dout;
uniform highp sampler2D u_weight;
out vec4 out_value;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    int ix = p.x % IN_W, ig = p.x / IN_W;
    int iy = p.y % IN_H, n = p.y / IN_H;
    vec4 sum = vec4(0.0);
    for (int ky = 0; ky < KH; ky++) {
        int ny = iy + PAD_Y - ky * DIL_Y;  // = oy * stride
        if (ny < 0 || ny % STRIDE_Y != 0) continue;
        int oy = ny / STRIDE_Y;
        if (oy >= OUT_H) continue;
        for (int kx = 0; kx < KW; kx++) {
            int nx = ix + PAD_X - kx * DIL_X;
            if (nx < 0 || nx % STRIDE_X != 0) continue;
            int ox = nx / STRIDE_X;
            if (ox >= OUT_W) continue;
            int t = FLIP == 1 ? (KH - 1 - ky) * KW + (KW - 1 - kx) : ky * KW + kx;
            int w = (t * ICG + ig) * 4;
            for (int og = 0; og < OCG; og++) {
                vec4 d = texelFetch(u_dout, ivec2(og * OUT_W + ox, n * OUT_H + oy), 0);  // 4 output channels
                sum += vec4(dot(d, texelFetch(u_weight, ivec2(w, og), 0)), dot(d, texelFetch(u_weight, ivec2(w + 1, og), 0)),
                            dot(d, texelFetch(u_weight, ivec2(w + 2, og), 0)), dot(d, texelFetch(u_weight, ivec2(w + 3, og), 0)));
            }
        }
    }
    out_value = sum;
}
