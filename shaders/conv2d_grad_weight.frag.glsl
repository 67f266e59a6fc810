// conv2d_grad_weight.frag.glsl — the gradient of conv2d with respect to its weights and bias,
// first half of a split reduction. The sum over all (n, oy, ox) is cut into SPLITS chunks; row
// s*OCG + og of this pass holds chunk s's partial sums (sum_splits.frag.glsl adds the chunks):
//   texel ((t*ICG + ig)*4 + k, row):  sum over the chunk of dout[n, 4og..4og+3, oy, ox] * inp[n, 4ig+k, iy, ix]
//   texel (KH*KW*ICG*4, row):         sum over the chunk of dout[n, 4og..4og+3, oy, ox]   (the bias)
// Specialised like conv2d.frag.glsl: the shape comes as #define lines (engine/gpu.cpp), the
// same names, and OCG (output channel groups of 4), BATCH (N) and SPLITS.
uniform highp sampler2D u_dout;
uniform highp sampler2D u_input;
out vec4 out_value;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    int og = p.y % OCG, split = p.y / OCG;
    bool is_bias = p.x == KH * KW * ICG * 4;
    int k = p.x % 4, ig = (p.x / 4) % ICG, t = p.x / (4 * ICG);
    int ky = t / KW, kx = t % KW;
    if (FLIP == 1) { ky = KH - 1 - ky; kx = KW - 1 - kx; }  // the tap that used weight t
    const int total = BATCH * OUT_H * OUT_W;
    const int chunk = (total + SPLITS - 1) / SPLITS;
    int first = split * chunk, last = min(first + chunk, total);
    vec4 sum = vec4(0.0);
    for (int i = first; i < last; i++) {
        int ox = i % OUT_W, oy = (i / OUT_W) % OUT_H, n = i / (OUT_W * OUT_H);
        vec4 d = texelFetch(u_dout, ivec2(og * OUT_W + ox, n * OUT_H + oy), 0);
        if (is_bias) { sum += d; continue; }
        int iy = oy * STRIDE_Y - PAD_Y + ky * DIL_Y, ix = ox * STRIDE_X - PAD_X + kx * DIL_X;
        if (iy < 0 || iy >= IN_H || ix < 0 || ix >= IN_W) continue;
        vec4 x = texelFetch(u_input, ivec2(ig * IN_W + ix, n * IN_H + iy), 0);
        sum += d * x[k];
    }
    out_value = sum;
}
