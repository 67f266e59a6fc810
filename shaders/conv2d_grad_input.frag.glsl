// conv2d_grad_input.frag.glsl — the gradient of conv2d with respect to its input: one texel =
// 4 input channels at one (n, iy, ix), gathering from every output whose window covered it:
//   dinp[n, c, iy, ix] = sum over oc, ky, kx of dout[n, oc, oy, ox] * w[oc, c, ky, kx]
// where oy*stride - pad + ky*dilation = iy (and the same for x). Layouts as in conv2d.frag.glsl.
uniform highp sampler2D u_dout;
uniform highp sampler2D u_weight;
uniform ivec2 u_in_size;    // (W, H) of the input (= this pass's output)
uniform int u_in_groups;    // ICG
uniform ivec2 u_out_size;   // (W, H) of the forward output (= dout)
uniform int u_out_groups;   // OCG
uniform ivec2 u_kernel, u_stride, u_pad, u_dilation;
uniform int u_flip;
out vec4 out_value;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    int ix = p.x % u_in_size.x, ig = p.x / u_in_size.x;
    int iy = p.y % u_in_size.y, n = p.y / u_in_size.y;
    vec4 sum = vec4(0.0);
    for (int ky = 0; ky < u_kernel.y; ky++) {
        int ny = iy + u_pad.y - ky * u_dilation.y;  // = oy * stride
        if (ny < 0 || ny % u_stride.y != 0) continue;
        int oy = ny / u_stride.y;
        if (oy >= u_out_size.y) continue;
        for (int kx = 0; kx < u_kernel.x; kx++) {
            int nx = ix + u_pad.x - kx * u_dilation.x;
            if (nx < 0 || nx % u_stride.x != 0) continue;
            int ox = nx / u_stride.x;
            if (ox >= u_out_size.x) continue;
            int t = u_flip == 1 ? (u_kernel.y - 1 - ky) * u_kernel.x + (u_kernel.x - 1 - kx) : ky * u_kernel.x + kx;
            int w = (t * u_in_groups + ig) * 4;
            for (int og = 0; og < u_out_groups; og++) {
                vec4 d = texelFetch(u_dout, ivec2(og * u_out_size.x + ox, n * u_out_size.y + oy), 0);  // 4 output channels
                sum += vec4(dot(d, texelFetch(u_weight, ivec2(w, og), 0)), dot(d, texelFetch(u_weight, ivec2(w + 1, og), 0)),
                            dot(d, texelFetch(u_weight, ivec2(w + 2, og), 0)), dot(d, texelFetch(u_weight, ivec2(w + 3, og), 0)));
            }
        }
    }
    out_value = sum;
}
