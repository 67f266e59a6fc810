// pool2d.frag.glsl — max or average pooling, 4 channels per texel (layout as in conv2d.frag.glsl).
// Max: padding never wins. Average: the window's sum over kernel area (padding counts as zeros,
// PyTorch's count_include_pad=True).
uniform highp sampler2D u_input;
uniform ivec2 u_in_size;
uniform ivec2 u_out_size;
uniform ivec2 u_kernel, u_stride, u_pad;
uniform int u_max;  // 1: max pooling, 0: average
out vec4 out_value;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    int ox = p.x % u_out_size.x, cg = p.x / u_out_size.x;
    int oy = p.y % u_out_size.y, n = p.y / u_out_size.y;
    vec4 best = vec4(-3.4e38), sum = vec4(0.0);
    for (int ky = 0; ky < u_kernel.y; ky++) {
        int iy = oy * u_stride.y - u_pad.y + ky;
        if (iy < 0 || iy >= u_in_size.y) continue;
        for (int kx = 0; kx < u_kernel.x; kx++) {
            int ix = ox * u_stride.x - u_pad.x + kx;
            if (ix < 0 || ix >= u_in_size.x) continue;
            vec4 v = texelFetch(u_input, ivec2(cg * u_in_size.x + ix, n * u_in_size.y + iy), 0);
            best = max(best, v);
            sum += v;
        }
    }
    out_value = u_max == 1 ? best : sum / float(u_kernel.x * u_kernel.y);
}
