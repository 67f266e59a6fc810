// conv_fast.cpp — the fast conv2d, beside the reference one in conv.cpp (tests compare them).
//
// The idea: copy each input channel into a zero-padded plane of Hp x Wp values laid out row
// after row. Then the input value under tap (ky, kx) of output (oy, ox) sits at
//     (oy*Wp + ox) + (ky*dh*Wp + kx*dw)
// so if the output is also kept Wp values per row (the last (KW-1)*dw of each row are junk and
// dropped), every tap is the same plain offset for all outputs: one long vectorizable loop over
// the output index. Each vector of inputs is loaded once and used for up to 8 output channels,
// whose running sums stay in registers for the whole sum over channels and taps.
// Stride 1; a strided convolution is first rewritten as a stride-1 one over its input's phases
// (conv2d_forward_phases). The backward pass of a strided one goes to the reference path.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv.h"
#include "simd.h"

namespace {

constexpr int kIU = kLanes == 8 ? 1 : 2;  // vectors of outputs per step (two on 128-bit SIMD, where registers allow)

// This file's buffers are conv_scratch slots 0-3.
float* scratch(int slot, size_t values) { return conv_scratch(slot, values); }

// Where the fast path's buffers sit for one layer's geometry.
struct Layout {
    int KH, KW, dh, dw;  // kernel and dilation
    int pt, pl;          // padding before (top, left)
    int Hp, Wp;          // padded input size
    int OH, OW;          // output size
    int L, L8;           // outputs computed per channel (OH*Wp), rounded up to whole loop steps
    int plane;           // floats per padded channel plane, with slack for the junk columns' reads
    int taps;            // KH*KW
    int offset[64 * 64]; // input offset of each tap, in (ky, kx) order (KH*KW <= 4096)
};

bool make_layout(Layout& g, int H, int W, const Conv2dSpec& spec) {
    const ConvAxis &ar = spec.rows, &ac = spec.cols;
    if (ar.stride != 1 || ac.stride != 1 || ar.kernel * ac.kernel > 64 * 64) return false;
    g.KH = ar.kernel;
    g.KW = ac.kernel;
    g.dh = ar.dilation;
    g.dw = ac.dilation;
    g.pt = ar.pad_before;
    g.pl = ac.pad_before;
    g.Hp = H + ar.pad_before + ar.pad_after;
    g.Wp = W + ac.pad_before + ac.pad_after;
    g.OH = g.Hp - (g.KH - 1) * g.dh;
    g.OW = g.Wp - (g.KW - 1) * g.dw;
    g.L = g.OH * g.Wp;
    g.L8 = (g.L + kIU * kLanes - 1) / (kIU * kLanes) * (kIU * kLanes);  // whole steps of the unrolled loop
    // the last vector reads up to L8-1 + the largest offset; that passes the plane's end by this much
    g.plane = g.Hp * g.Wp + (g.L8 - g.L) + (g.KW - 1) * g.dw + kLanes;
    g.taps = g.KH * g.KW;
    for (int ky = 0; ky < g.KH; ky++)
        for (int kx = 0; kx < g.KW; kx++) g.offset[ky * g.KW + kx] = ky * g.dh * g.Wp + kx * g.dw;
    return true;
}

// One sample's channels into zero-padded planes: P (C, plane) from x (C, H, W).
void pad_planes(float* P, const float* x, int C, int H, int W, const Layout& g) {
    for (int c = 0; c < C; c++) {
        float* p = P + int64_t(c) * g.plane;
        std::memset(p, 0, sizeof(float) * size_t(g.plane));
        for (int y = 0; y < H; y++)
            std::memcpy(p + (y + g.pt) * g.Wp + g.pl, x + (int64_t(c) * H + y) * W, sizeof(float) * size_t(W));
    }
}

// OCB output channels at once for IU vectors of outputs: outp (OCB, L8) in padded-row layout,
// from P (C, plane) and wv (C, taps, OCB): tap t of channel c for output channel ob, as a vector of
// kLanes copies (so the inner loop loads weights instead of broadcasting them).
template <int OCB, int IU>
void conv_block(float* outp, const float* P, int C, const Layout& g, const vfloat* wv, const float* bias) {
    const int step = IU * kLanes;
    for (int i = 0; i < g.L8; i += step) {
        vfloat acc[IU][OCB];
        for (int u = 0; u < IU; u++)
            for (int ob = 0; ob < OCB; ob++) acc[u][ob] = vsplat(bias ? bias[ob] : 0.0f);
        const vfloat* w = wv;
        for (int c = 0; c < C; c++) {
            const float* Pc = P + int64_t(c) * g.plane + i;
            for (int t = 0; t < g.taps; t++, w += OCB) {
                vfloat x[IU];
                for (int u = 0; u < IU; u++) x[u] = vload(Pc + g.offset[t] + u * kLanes);
                for (int ob = 0; ob < OCB; ob++)
                    for (int u = 0; u < IU; u++) acc[u][ob] += w[ob] * x[u];
            }
        }
        for (int u = 0; u < IU; u++)
            for (int ob = 0; ob < OCB; ob++) vstore(outp + int64_t(ob) * g.L8 + i + u * kLanes, acc[u][ob]);
    }
}

// The forward over all samples: out (N,OC,OH,OW) = (or +=, when accumulate) the convolution.
// weight (OC, C/G, KH, KW); spec.flip turns each kernel 180 degrees.
void conv_fast(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int H, int W, int OC,
               const Conv2dSpec& spec, const Layout& g, bool accumulate) {
    const int G = spec.groups, Cg = C / G, OCg = OC / G;
    // weights rearranged per block of up to 8 output channels: (blocks, Cg, taps, OCB)
    thread_local std::vector<vfloat> wr;
    wr.resize(size_t(OC) * size_t(Cg) * size_t(g.taps));
    struct Block { int oc0, ocb; int64_t w_at; };
    std::vector<Block> blocks;
    int64_t at = 0;
    for (int grp = 0; grp < G; grp++) {
        for (int o = 0; o < OCg;) {
            const int ocb = OCg - o >= 8 && kIU == 1 ? 8 : OCg - o >= 4 ? 4 : OCg - o >= 2 ? 2 : 1;  // blocks of 8 only where registers are 256-bit
            const int oc0 = grp * OCg + o;
            blocks.push_back({oc0, ocb, at});
            for (int c = 0; c < Cg; c++)
                for (int t = 0; t < g.taps; t++)
                    for (int ob = 0; ob < ocb; ob++) {
                        const int ky = t / g.KW, kx = t % g.KW;
                        const int wy = spec.flip ? g.KH - 1 - ky : ky, wx = spec.flip ? g.KW - 1 - kx : kx;
                        wr[size_t(at++)] = vsplat(weight[((int64_t(oc0 + ob) * Cg + c) * g.KH + wy) * g.KW + wx]);
                    }
            o += ocb;
        }
    }
    float* P = scratch(1, size_t(C) * size_t(g.plane));
    float* outp = scratch(2, size_t(8) * size_t(g.L8));
    for (int n = 0; n < N; n++) {
        pad_planes(P, inp + int64_t(n) * C * H * W, C, H, W, g);
        for (const Block& b : blocks) {
            const float* Pg = P + int64_t(b.oc0 / OCg * Cg) * g.plane;
            const float* bias_b = bias && !accumulate ? bias + b.oc0 : nullptr;
            const vfloat* wb = wr.data() + b.w_at;
            switch (b.ocb) {
                case 8: conv_block<8, 1>(outp, Pg, Cg, g, wb, bias_b); break;
                case 4: conv_block<4, kIU>(outp, Pg, Cg, g, wb, bias_b); break;
                case 2: conv_block<2, kIU>(outp, Pg, Cg, g, wb, bias_b); break;
                default: conv_block<1, kIU>(outp, Pg, Cg, g, wb, bias_b); break;
            }
            for (int ob = 0; ob < b.ocb; ob++) {
                float* o = out + (int64_t(n) * OC + b.oc0 + ob) * g.OH * g.OW;
                const float* src = outp + int64_t(ob) * g.L8;
                for (int y = 0; y < g.OH; y++) {
                    if (accumulate)
                        for (int x = 0; x < g.OW; x++) o[y * g.OW + x] += src[y * g.Wp + x];
                    else
                        std::memcpy(o + y * g.OW, src + y * g.Wp, sizeof(float) * size_t(g.OW));
                }
            }
        }
    }
}

// TB taps at once: acc[t] = sum_i G[i] * Pc[i + offset[t]] over the output index i.
template <int TB>
void dot_taps(float* result, const float* Gp, const float* Pc, const int* offset, int L8) {
    vfloat acc[TB];
    for (int t = 0; t < TB; t++) acc[t] = vsplat(0.0f);
    for (int i = 0; i < L8; i += kLanes) {
        const vfloat gv = vload(Gp + i);
        for (int t = 0; t < TB; t++) acc[t] += gv * vload(Pc + i + offset[t]);
    }
    for (int t = 0; t < TB; t++) result[t] = vsum(acc[t]);
}

// The weight gradient with output channels across the vector lanes, for OB vectors of output
// channels (OB*kLanes of them) and TB taps (t0 .. t0+TB-1) of one input plane Pc:
//   dwt[tap][oc] += sum over outputs (oy, ox) of GT[oy*OW + ox][oc] * Pc[oy*Wp + ox + offset[tap]]
// GT (OH*OW, OC) is dout with channels last, so each output position gives OB loaded vectors, and
// each tap one input value copied to all lanes: OB*TB multiply-adds for OB + TB loads, no sums
// across lanes, and only the real outputs visited (not the junk columns of the padded rows).
// dwt points at (tap t0, first output channel of the block); rows of dwt are OC floats apart.
template <int OB, int TB>
void weight_grad_block(float* dwt, int OC, const float* GT, const float* Pc, const int* offset, const Layout& g) {
    vfloat acc[OB][TB];
    for (int tb = 0; tb < TB; tb++)
        for (int ob = 0; ob < OB; ob++) acc[ob][tb] = vload(dwt + int64_t(tb) * OC + ob * kLanes);
    int off[TB];
    for (int tb = 0; tb < TB; tb++) off[tb] = offset[tb];
    const float* gp = GT;
    for (int oy = 0; oy < g.OH; oy++) {
        const float* row = Pc + oy * g.Wp;
        for (int ox = 0; ox < g.OW; ox++, gp += OC) {
            vfloat gv[OB];
            for (int ob = 0; ob < OB; ob++) gv[ob] = vload(gp + ob * kLanes);
            for (int tb = 0; tb < TB; tb++) {
                const vfloat x = vsplat(row[ox + off[tb]]);
                for (int ob = 0; ob < OB; ob++) acc[ob][tb] += gv[ob] * x;
            }
        }
    }
    for (int tb = 0; tb < TB; tb++)
        for (int ob = 0; ob < OB; ob++) vstore(dwt + int64_t(tb) * OC + ob * kLanes, acc[ob][tb]);
}

// All taps of one input plane for output channels [oc0, oc0 + count*kLanes): blocks of OB vectors
// of channels and three taps (one row of a 3x3 kernel) where they fit, then smaller ones.
template <int OB>
void weight_grad_taps(float* dwt_c, int OC, int oc0, const float* GT, const float* Pc, const Layout& g) {
    for (int t = 0; t < g.taps;) {
        float* d = dwt_c + int64_t(t) * OC + oc0;
        if (g.taps - t >= 3) { weight_grad_block<OB, 3>(d, OC, GT + oc0, Pc, g.offset + t, g); t += 3; }
        else { weight_grad_block<OB, 1>(d, OC, GT + oc0, Pc, g.offset + t, g); t += 1; }
    }
}

}  // namespace

float* conv_scratch(int slot, size_t values) {
    thread_local std::vector<float> buffers[kConvScratchSlots];
    std::vector<float>& b = buffers[slot];
    if (b.size() < values) b.resize(values);
    return b.data();
}

// The taps of one axis of a strided convolution, sorted by phase. With stride s, tap k of a window
// starting at input s*o - p reads input s*o + k*d - p: in the zero-padded input, row s*(o + a) + r
// with k*d = a*s + r. So it reads phase r (the rows r, r + s, r + 2s, ...) at offset a.
struct PhaseAxis {
    int phases[64];      // the phases some tap reads, ascending
    int count = 0;       // how many
    int index_of[64];    // a phase's place in phases[] (-1: no tap reads it)
    int span = 0;        // the kernel's side over the phases: the largest offset a, plus 1
};

bool phase_axis(PhaseAxis& p, const ConvAxis& a) {
    if (a.stride > 64) return false;
    for (int r = 0; r < a.stride; r++) p.index_of[r] = -1;
    p.count = 0;
    p.span = (a.kernel - 1) * a.dilation / a.stride + 1;
    for (int r = 0; r < a.stride; r++)
        for (int k = 0; k < a.kernel; k++)
            if (k * a.dilation % a.stride == r) {
                p.index_of[r] = p.count;
                p.phases[p.count++] = r;
                break;
            }
    return true;
}

// A strided convolution as a stride-1 one, so that it takes the fast path: the zero-padded input
// split into the phases its taps read (channel c, row phase r, column phase q become one channel
// of (OH + KA - 1) x (OW + KB - 1) values), and the kernel regrouped to match (KA x KB per phase
// channel, zero where no tap lands). A 3x3 kernel at stride 2 becomes four 2x2 ones: 16 products
// where there were 9, but in vector registers instead of one at a time. Returns false (nothing
// done) when the regrouped kernel does not fit the fast path.
bool conv2d_forward_phases(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int H, int W, int OC,
                           const Conv2dSpec& spec) {
    PhaseAxis pr, pc;
    if (!phase_axis(pr, spec.rows) || !phase_axis(pc, spec.cols) || pr.span * pc.span > 64 * 64) return false;
    const ConvAxis &ar = spec.rows, &ac = spec.cols;
    const int OH = int(conv_output_size(H, ar)), OW = int(conv_output_size(W, ac));
    const int KA = pr.span, KB = pc.span, HP = OH + KA - 1, WP = OW + KB - 1;
    const int phases = pr.count * pc.count, G = spec.groups, Cg = C / G;
    // phased (N, C*phases, HP, WP): channel (c*pr.count + ri)*pc.count + qi holds padded rows s*i + phase
    thread_local std::vector<float> phased, regrouped;
    phased.assign(size_t(N) * C * phases * HP * WP, 0.0f);
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int ri = 0; ri < pr.count; ri++)
                for (int qi = 0; qi < pc.count; qi++) {
                    const float* x = inp + (int64_t(n) * C + c) * H * W;
                    float* P = phased.data() + ((((int64_t(n) * C + c) * pr.count + ri) * pc.count + qi) * HP * WP);
                    for (int i = 0; i < HP; i++) {
                        const int y = ar.stride * i + pr.phases[ri] - ar.pad_before;  // input row (outside: padding)
                        if (y < 0 || y >= H) continue;
                        for (int j = 0; j < WP; j++) {
                            const int xx = ac.stride * j + pc.phases[qi] - ac.pad_before;
                            if (xx >= 0 && xx < W) P[i * WP + j] = x[y * W + xx];
                        }
                    }
                }
    // regrouped (OC, Cg*phases, KA, KB): tap (ky, kx) of channel c moved to its phase channel at offset (a, b)
    regrouped.assign(size_t(OC) * Cg * phases * KA * KB, 0.0f);
    const int KH = ar.kernel, KW = ac.kernel;
    for (int o = 0; o < OC; o++)
        for (int c = 0; c < Cg; c++)
            for (int ky = 0; ky < KH; ky++)
                for (int kx = 0; kx < KW; kx++) {
                    const int y = ky * ar.dilation, x = kx * ac.dilation;
                    const int ri = pr.index_of[y % ar.stride], qi = pc.index_of[x % ac.stride];
                    const int a = y / ar.stride, b = x / ac.stride;
                    const int wy = spec.flip ? KH - 1 - ky : ky, wx = spec.flip ? KW - 1 - kx : kx;  // a true convolution's taps turned
                    regrouped[((int64_t(o) * Cg + c) * phases + ri * pc.count + qi) * KA * KB + a * KB + b] =
                        weight[((int64_t(o) * Cg + c) * KH + wy) * KW + wx];
                }
    Conv2dSpec inner;
    inner.rows.kernel = KA;
    inner.cols.kernel = KB;
    inner.groups = G;
    conv2d_forward(out, phased.data(), regrouped.data(), bias, N, C * phases, HP, WP, OC, inner);
    return true;
}

void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int N, int C, int H, int W, int OC, const Conv2dSpec& spec) {
    if (conv_winograd_applies(C, OC, spec)) return conv2d_forward_winograd(out, inp, weight, bias, N, C, H, W, OC, spec, false);
    if ((spec.rows.stride > 1 || spec.cols.stride > 1) && conv2d_forward_phases(out, inp, weight, bias, N, C, H, W, OC, spec)) return;
    thread_local Layout g;
    if (!make_layout(g, H, W, spec)) return conv2d_forward_naive(out, inp, weight, bias, N, C, H, W, OC, spec);
    conv_fast(out, inp, weight, bias, N, C, H, W, OC, spec, g, false);
}

void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int N, int C, int H, int W, int OC, const Conv2dSpec& spec) {
    thread_local Layout g;
    if (!make_layout(g, H, W, spec))
        return conv2d_backward_naive(dinp, dweight, dbias, dout, inp, weight, N, C, H, W, OC, spec);
    const int G = spec.groups, Cg = C / G, OCg = OC / G;

    // dinp: the gradient flows back through the same taps, so it is a stride-1 convolution of
    // dout, padded by (k-1)d - p, with each kernel turned around and in/out channels swapped:
    //   dinp[c, iy, ix] += sum over oc, ky, kx of dout[oc, iy + pt - ky*dh, ix + pl - kx*dw] * w[oc, c, ky, kx]
    if (dinp) {
        const ConvAxis &ar = spec.rows, &ac = spec.cols;
        Conv2dSpec back;
        back.rows = ar;
        back.cols = ac;
        back.rows.pad_before = (ar.kernel - 1) * ar.dilation - ar.pad_before;
        back.rows.pad_after = (ar.kernel - 1) * ar.dilation - ar.pad_after;
        back.cols.pad_before = (ac.kernel - 1) * ac.dilation - ac.pad_before;
        back.cols.pad_after = (ac.kernel - 1) * ac.dilation - ac.pad_after;
        back.flip = !spec.flip;
        back.groups = G;
        thread_local Layout gb;
        if (back.rows.pad_before < 0 || back.rows.pad_after < 0 || back.cols.pad_before < 0 || back.cols.pad_after < 0 ||
            !make_layout(gb, g.OH, g.OW, back)) {
            conv2d_backward_naive(dinp, nullptr, nullptr, dout, inp, weight, N, C, H, W, OC, spec);
        } else {
            // weight_t (C, OC/G, KH, KW): weight_t[c][o] = weight[group's o][c within the group]
            float* wt = scratch(3, size_t(C) * size_t(OCg) * size_t(g.taps));
            for (int grp = 0; grp < G; grp++)
                for (int c = 0; c < Cg; c++)
                    for (int o = 0; o < OCg; o++)
                        std::memcpy(wt + ((int64_t(grp * Cg + c) * OCg + o) * g.taps),
                                    weight + ((int64_t(grp * OCg + o) * Cg + c) * g.taps), sizeof(float) * size_t(g.taps));
            if (conv_winograd_applies(OC, C, back)) conv2d_forward_winograd(dinp, dout, wt, nullptr, N, OC, g.OH, g.OW, C, back, true);
            else conv_fast(dinp, dout, wt, nullptr, N, OC, g.OH, g.OW, C, back, gb, true);
        }
    }
    if (dweight && conv_winograd_applies(C, OC, spec)) {
        conv2d_weight_grad_winograd(dweight, dout, inp, N, C, H, W, OC, spec);
        dweight = nullptr;  // done: the bias gradient below
    }
    if (!dweight && !dbias) return;

    // The weight gradient with output channels across the lanes (weight_grad_block), where each
    // group's channels fill whole vectors:
    //   dwt (Cg, taps, OC): dwt[c][tap][oc] = sum over samples and outputs of dout[n,oc,oy,ox] * P[c][oy*Wp + ox + offset[tap]]
    // then added to dweight (OC, Cg, KH, KW), turning the kernel around when spec.flip.
    if (OCg % kLanes == 0) {
        const int HW = g.OH * g.OW;
        float* P = scratch(1, size_t(C) * size_t(g.plane));
        float* GT = scratch(2, size_t(HW) * size_t(OC));                  // (OH*OW, OC): one sample's dout, channels last
        float* dwt = scratch(0, size_t(Cg) * size_t(g.taps) * size_t(OC));  // (Cg, taps, OC)
        if (dweight) std::memset(dwt, 0, sizeof(float) * size_t(Cg) * size_t(g.taps) * size_t(OC));
        std::vector<double> bias_sums(dbias ? size_t(OC) : 0, 0.0);  // a long reduction: summed in double across samples
        for (int n = 0; n < N; n++) {
            const float* dn = dout + int64_t(n) * OC * HW;  // (OC, OH*OW)
            if (dbias)
                for (int oc = 0; oc < OC; oc++) {
                    const float* d = dn + int64_t(oc) * HW;
                    vfloat acc = vsplat(0.0f);
                    int i = 0;
                    for (; i + kLanes <= HW; i += kLanes) acc += vload(d + i);
                    float sum = vsum(acc);
                    for (; i < HW; i++) sum += d[i];
                    bias_sums[size_t(oc)] += sum;
                }
            if (!dweight) continue;
            for (int oc = 0; oc < OC; oc++)
                for (int i = 0; i < HW; i++) GT[int64_t(i) * OC + oc] = dn[int64_t(oc) * HW + i];
            pad_planes(P, inp + int64_t(n) * C * H * W, C, H, W, g);
            for (int grp = 0; grp < G; grp++)
                for (int c = 0; c < Cg; c++) {
                    const float* Pc = P + int64_t(grp * Cg + c) * g.plane;
                    float* dwt_c = dwt + int64_t(c) * g.taps * OC;
                    int oc = grp * OCg;
                    for (; grp * OCg + OCg - oc >= 3 * kLanes; oc += 3 * kLanes) weight_grad_taps<3>(dwt_c, OC, oc, GT, Pc, g);
                    for (; oc < grp * OCg + OCg; oc += kLanes) weight_grad_taps<1>(dwt_c, OC, oc, GT, Pc, g);
                }
        }
        if (dweight)
            for (int oc = 0; oc < OC; oc++)
                for (int c = 0; c < Cg; c++)
                    for (int t = 0; t < g.taps; t++) {
                        const int ky = t / g.KW, kx = t % g.KW;
                        const int wy = spec.flip ? g.KH - 1 - ky : ky, wx = spec.flip ? g.KW - 1 - kx : kx;
                        dweight[(int64_t(oc) * Cg + c) * g.taps + wy * g.KW + wx] += dwt[(int64_t(c) * g.taps + t) * OC + oc];
                    }
        for (int oc = 0; dbias && oc < OC; oc++) dbias[oc] += float(bias_sums[size_t(oc)]);
        return;
    }

    // Otherwise one dot product per (output channel, input channel, tap):
    // dweight[oc, c, tap] += sum over the output index i of dout[oc][i] * P[c][i + offset[tap]],
    // with dout laid out Wp values per row (zeros in the junk columns), as the forward computed it.
    float* P = scratch(1, size_t(C) * size_t(g.plane));
    float* Gp = scratch(2, size_t(OC) * size_t(g.L8));
    float sums[9];
    std::vector<double> bias_sums(dbias ? size_t(OC) : 0, 0.0);  // a long reduction: summed in double across samples
    for (int n = 0; n < N; n++) {
        std::memset(Gp, 0, sizeof(float) * size_t(OC) * size_t(g.L8));
        for (int oc = 0; oc < OC; oc++)
            for (int y = 0; y < g.OH; y++)
                std::memcpy(Gp + int64_t(oc) * g.L8 + y * g.Wp, dout + ((int64_t(n) * OC + oc) * g.OH + y) * g.OW,
                            sizeof(float) * size_t(g.OW));
        if (dbias)
            for (int oc = 0; oc < OC; oc++) {
                vfloat acc = vsplat(0.0f);
                for (int i = 0; i < g.L8; i += kLanes) acc += vload(Gp + int64_t(oc) * g.L8 + i);
                bias_sums[size_t(oc)] += vsum(acc);
            }
        if (!dweight) continue;
        pad_planes(P, inp + int64_t(n) * C * H * W, C, H, W, g);
        for (int oc = 0; oc < OC; oc++) {
            const int grp = oc / OCg;
            for (int c = 0; c < Cg; c++) {
                const float* Pc = P + int64_t(grp * Cg + c) * g.plane;
                const float* Go = Gp + int64_t(oc) * g.L8;
                float* dw = dweight + (int64_t(oc) * Cg + c) * g.taps;
                for (int t = 0; t < g.taps;) {
                    const int tb = g.taps - t >= 9 ? 9 : g.taps - t >= 4 ? 4 : 1;
                    if (tb == 9) dot_taps<9>(sums, Go, Pc, g.offset + t, g.L8);
                    else if (tb == 4) dot_taps<4>(sums, Go, Pc, g.offset + t, g.L8);
                    else dot_taps<1>(sums, Go, Pc, g.offset + t, g.L8);
                    for (int k = 0; k < tb; k++) {
                        const int tap = t + k, ky = tap / g.KW, kx = tap % g.KW;
                        const int wy = spec.flip ? g.KH - 1 - ky : ky, wx = spec.flip ? g.KW - 1 - kx : kx;
                        dw[wy * g.KW + wx] += sums[k];
                    }
                    t += tb;
                }
            }
        }
    }
    for (int oc = 0; dbias && oc < OC; oc++) dbias[oc] += float(bias_sums[size_t(oc)]);
}
