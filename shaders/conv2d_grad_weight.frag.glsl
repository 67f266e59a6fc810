// conv2d_grad_weight.frag.glsl — the gradient of conv2d with respect to its weights and bias,
// first half of a split reduction. The sum over all (n, oy, ox) is cut into u_splits chunks; row
// s*OCG + og of this pass holds chunk s's partial sums (sum_splits.frag.glsl adds the chunks):
//   texel ((t*ICG + ig)*4 + k, row):  sum over the chunk of dout[n, 4og..4og+3, oy, ox] * inp[n, 4ig+k, iy, ix]
//   texel (KH*KW*ICG*4, row):         sum over the chunk of dout[n, 4og..4og+3, oy, ox]   (the bias)
uniform highp sampler2D u_dout;
uniform highp sampler2D u_input;
uniform ivec2 u_in_size;
uniform int u_in_groups;
uniform ivec2 u_out_size;
uniform int u_out_groups;
uniform int u_batch;
uniform int u_splits;
uniform ivec2 u_kernel, u_stride, u_pad, u_dilation;
uniform int u_flip;
out vec4 out_value;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    int og = p.y % u_out_groups, split = p.y / u_out_groups;
    int taps = u_kernel.x * u_kernel.y;
    bool is_bias = p.x == taps * u_in_groups * 4;
    int k = p.x % 4, ig = (p.x / 4) % u_in_groups, t = p.x / (4 * u_in_groups);
    int ky = t / u_kernel.x, kx = t % u_kernel.x;
    if (u_flip == 1) { ky = u_kernel.y - 1 - ky; kx = u_kernel.x - 1 - kx; }  // the tap that used weight t
    int total = u_batch * u_out_size.y * u_out_size.x;
    int chunk = (total + u_splits - 1) / u_splits;
    int first = split * chunk, last = min(first + chunk, total);
    vec4 sum = vec4(0.0);
    for (int i = first; i < last; i++) {
        int ox = i % u_out_size.x, oy = (i / u_out_size.x) % u_out_size.y, n = i / (u_out_size.x * u_out_size.y);
        vec4 d = texelFetch(u_dout, ivec2(og * u_out_size.x + ox, n * u_out_size.y + oy), 0);
        if (is_bias) { sum += d; continue; }
        int iy = oy * u_stride.y - u_pad.y + ky * u_dilation.y, ix = ox * u_stride.x - u_pad.x + kx * u_dilation.x;
        if (iy < 0 || iy >= u_in_size.y || ix < 0 || ix >= u_in_size.x) continue;
        vec4 x = texelFetch(u_input, ivec2(ig * u_in_size.x + ix, n * u_in_size.y + iy), 0);
        sum += d * x[k];
    }
    out_value = sum;
}
