#include "ops.h"

#include "simd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

using std::to_string;

// ---- pooling -------------------------------------------------------------------------------

Status check_pool2d(const std::vector<int>& inp, const Pool2dSpec& spec, const char* op) {
    if (inp.size() != 4) return error_status(std::string(op) + ": input must have 4 axes (N,C,H,W) but has shape " + shape_string(inp));
    const ConvAxis* axes[2] = {&spec.rows, &spec.cols};
    for (int i = 0; i < 2; i++) {
        const ConvAxis& a = *axes[i];
        if (a.pad_before != a.pad_after)
            return error_status(std::string(op) + ": padding must be the same on both sides");
        if (a.pad_before * 2 > a.kernel)
            return error_status(std::string(op) + ": padding " + to_string(a.pad_before) + " is more than half the kernel size " +
                                to_string(a.kernel) + " (a window could hold only padding)");
        if (Status s = check_conv_axis(inp[2 + i], a, i ? "columns" : "rows"); !s.ok())
            return error_status(std::string(op) + ": " + s.message);
    }
    return ok_status();
}

void maxpool2d_forward_naive(float* out, int32_t* argmax, const float* inp, int N, int C, int H, int W, const Pool2dSpec& spec) {
    const ConvAxis& ar = spec.rows;
    const ConvAxis& ac = spec.cols;
    const int OH = int(conv_output_size(H, ar)), OW = int(conv_output_size(W, ac));
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        const float* x = inp + plane * H * W;  // (H,W)
        for (int oy = 0; oy < OH; oy++) {
            for (int ox = 0; ox < OW; ox++) {
                float best = -std::numeric_limits<float>::infinity();
                int32_t best_at = -1;
                for (int ky = 0; ky < ar.kernel; ky++) {
                    int iy = oy * ar.stride - ar.pad_before + ky * ar.dilation;
                    if (iy < 0 || iy >= H) continue;  // padding is -infinity: never the maximum
                    for (int kx = 0; kx < ac.kernel; kx++) {
                        int ix = ox * ac.stride - ac.pad_before + kx * ac.dilation;
                        if (ix < 0 || ix >= W) continue;
                        float v = x[iy * W + ix];
                        if (v > best || best_at < 0) {  // strictly greater: the first maximum wins
                            best = v;
                            best_at = iy * W + ix;
                        }
                    }
                }
                int64_t o = (plane * OH + oy) * OW + ox;
                out[o] = best;
                argmax[o] = best_at;
            }
        }
    }
}

void maxpool2d_forward(float* out, int32_t* argmax, const float* inp, int N, int C, int H, int W, const Pool2dSpec& spec) {
    const ConvAxis &ar = spec.rows, &ac = spec.cols;
    if (ar.kernel != ar.stride || ac.kernel != ac.stride || ar.pad_before || ac.pad_before || ar.dilation != 1 || ac.dilation != 1)
        return maxpool2d_forward_naive(out, argmax, inp, N, C, H, W, spec);
    // Windows do not overlap and never leave the image: no bounds checks, no padding.
    const int KH = ar.kernel, KW = ac.kernel, OH = H / KH, OW = W / KW;
    if (KH == 2 && KW == 2) {  // the usual case, written out without branches (selects, not jumps)
        for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
            const float* x = inp + plane * H * W;
            float* o = out + plane * OH * OW;
            int32_t* a = argmax + plane * OH * OW;
            for (int oy = 0; oy < OH; oy++) {
                const float* r0 = x + 2 * oy * W;
                const float* r1 = r0 + W;
                for (int ox = 0; ox < OW; ox++) {
                    const int at = 2 * oy * W + 2 * ox;
                    float best = r0[2 * ox];
                    int best_at = at;
                    const float v1 = r0[2 * ox + 1], v2 = r1[2 * ox], v3 = r1[2 * ox + 1];
                    best_at = v1 > best ? at + 1 : best_at;  // strictly greater: the first maximum wins
                    best = v1 > best ? v1 : best;
                    best_at = v2 > best ? at + W : best_at;
                    best = v2 > best ? v2 : best;
                    best_at = v3 > best ? at + W + 1 : best_at;
                    best = v3 > best ? v3 : best;
                    o[oy * OW + ox] = best;
                    a[oy * OW + ox] = best_at;
                }
            }
        }
        return;
    }
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        const float* x = inp + plane * H * W;
        float* o = out + plane * OH * OW;
        int32_t* a = argmax + plane * OH * OW;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                int best_at = oy * KH * W + ox * KW;
                float best = x[best_at];
                for (int ky = 0; ky < KH; ky++)
                    for (int kx = 0; kx < KW; kx++) {
                        const int at = (oy * KH + ky) * W + ox * KW + kx;
                        if (x[at] > best) { best = x[at]; best_at = at; }  // strictly greater: the first maximum wins
                    }
                o[oy * OW + ox] = best;
                a[oy * OW + ox] = best_at;
            }
    }
}

void maxpool2d_backward(float* dinp, const float* dout, const int32_t* argmax, int N, int C, int H, int W,
                        const Pool2dSpec& spec) {
    const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++)
        for (int o = 0; o < OH * OW; o++) {
            // forward: out[o] = x[argmax[o]]
            int64_t at = plane * OH * OW + o;
            dinp[plane * H * W + argmax[at]] += dout[at];
        }
}

void avgpool2d_forward(float* out, const float* inp, int N, int C, int H, int W, const Pool2dSpec& spec) {
    const ConvAxis& ar = spec.rows;
    const ConvAxis& ac = spec.cols;
    const int OH = int(conv_output_size(H, ar)), OW = int(conv_output_size(W, ac));
    const float area = float(ar.kernel * ac.kernel);  // padding counts (count_include_pad=True)
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        const float* x = inp + plane * H * W;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float sum = 0.0f;
                for (int ky = 0; ky < ar.kernel; ky++) {
                    int iy = oy * ar.stride - ar.pad_before + ky;
                    if (iy < 0 || iy >= H) continue;
                    for (int kx = 0; kx < ac.kernel; kx++) {
                        int ix = ox * ac.stride - ac.pad_before + kx;
                        if (ix >= 0 && ix < W) sum += x[iy * W + ix];
                    }
                }
                out[(plane * OH + oy) * OW + ox] = sum / area;
            }
    }
}

void avgpool2d_backward(float* dinp, const float* dout, int N, int C, int H, int W, const Pool2dSpec& spec) {
    const ConvAxis& ar = spec.rows;
    const ConvAxis& ac = spec.cols;
    const int OH = int(conv_output_size(H, ar)), OW = int(conv_output_size(W, ac));
    const float area = float(ar.kernel * ac.kernel);
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        float* dx = dinp + plane * H * W;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                // forward: out = sum / area
                const float d = dout[(plane * OH + oy) * OW + ox] / area;
                for (int ky = 0; ky < ar.kernel; ky++) {
                    int iy = oy * ar.stride - ar.pad_before + ky;
                    if (iy < 0 || iy >= H) continue;
                    for (int kx = 0; kx < ac.kernel; kx++) {
                        int ix = ox * ac.stride - ac.pad_before + kx;
                        if (ix >= 0 && ix < W) dx[iy * W + ix] += d;
                    }
                }
            }
    }
}

void global_avgpool_forward(float* out, const float* inp, int N, int C, int HW) {
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        double sum = 0;
        for (int i = 0; i < HW; i++) sum += inp[plane * HW + i];
        out[plane] = float(sum / HW);
    }
}

void global_avgpool_backward(float* dinp, const float* dout, int N, int C, int HW) {
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        const float d = dout[plane] / float(HW);  // forward: out = sum / HW
        for (int i = 0; i < HW; i++) dinp[plane * HW + i] += d;
    }
}

// Rows of input cell window i of n windows over `size` values: [floor(i*size/n), ceil((i+1)*size/n)).
static int adaptive_start(int i, int n, int size) { return int(int64_t(i) * size / n); }
static int adaptive_end(int i, int n, int size) { return int((int64_t(i + 1) * size + n - 1) / n); }

void adaptive_avgpool2d_forward(float* out, const float* inp, int N, int C, int H, int W, int OH, int OW) {
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        const float* x = inp + plane * H * W;
        float* y = out + plane * OH * OW;
        for (int i = 0; i < OH; i++) {
            const int r0 = adaptive_start(i, OH, H), r1 = adaptive_end(i, OH, H);
            for (int j = 0; j < OW; j++) {
                const int c0 = adaptive_start(j, OW, W), c1 = adaptive_end(j, OW, W);
                float sum = 0.0f;
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) sum += x[r * W + c];
                y[i * OW + j] = sum / float((r1 - r0) * (c1 - c0));
            }
        }
    }
}

void adaptive_avgpool2d_backward(float* dinp, const float* dout, int N, int C, int H, int W, int OH, int OW) {
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        float* dx = dinp + plane * H * W;
        const float* dy = dout + plane * OH * OW;
        for (int i = 0; i < OH; i++) {
            const int r0 = adaptive_start(i, OH, H), r1 = adaptive_end(i, OH, H);
            for (int j = 0; j < OW; j++) {
                const int c0 = adaptive_start(j, OW, W), c1 = adaptive_end(j, OW, W);
                const float d = dy[i * OW + j] / float((r1 - r0) * (c1 - c0));  // forward: the window's mean
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) dx[r * W + c] += d;
            }
        }
    }
}

// ---- activations -----------------------------------------------------------------------------

void relu_forward(float* out, const float* inp, int64_t n) {
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {  // half the values are zeroed: masks, not branches
        const vfloat x = vload(inp + i);
        vstore(out + i, vkeep(x > vsplat(0.0f), x));
    }
    for (; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}
void relu_backward(float* dinp, const float* dout, const float* out, int64_t n) {
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)  // forward: out = x > 0 ? x : 0, so the gradient passes where out > 0
        vstore(dinp + i, vload(dinp + i) + vkeep(vload(out + i) > vsplat(0.0f), vload(dout + i)));
    for (; i < n; i++) dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
}
void leaky_relu_forward(float* out, const float* inp, int64_t n, float slope) {
    for (int64_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : inp[i] * slope;
}
void leaky_relu_backward(float* dinp, const float* dout, const float* inp, int64_t n, float slope) {
    for (int64_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.0f ? dout[i] : dout[i] * slope;
}
void sigmoid_forward(float* out, const float* inp, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = 1.0f / (1.0f + std::exp(-inp[i]));
}
void sigmoid_backward(float* dinp, const float* dout, const float* out, int64_t n) {
    for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
}
void tanh_forward(float* out, const float* inp, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = std::tanh(inp[i]);
}
void tanh_backward(float* dinp, const float* dout, const float* out, int64_t n) {
    for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

void silu_forward(float* out, const float* inp, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = inp[i] / (1.0f + std::exp(-inp[i]));
}

void silu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float s = 1.0f / (1.0f + std::exp(-inp[i]));
        dinp[i] += dout[i] * s * (1.0f + inp[i] * (1.0f - s));
    }
}

// ---- linear ----------------------------------------------------------------------------------

void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int N, int IN, int OUT) {
    // out[n, o..o+3] = four dot products sharing each vector of x[n]; the last IN % kLanes values by hand
    const int IN_V = IN / kLanes * kLanes;
    for (int n = 0; n < N; n++) {
        const float* x = inp + int64_t(n) * IN;
        int o = 0;
        for (; o + 4 <= OUT; o += 4) {
            const float* w0 = weight + int64_t(o) * IN;
            vfloat a0 = vsplat(0), a1 = vsplat(0), a2 = vsplat(0), a3 = vsplat(0);
            for (int i = 0; i < IN_V; i += kLanes) {
                const vfloat xv = vload(x + i);
                a0 += xv * vload(w0 + i);
                a1 += xv * vload(w0 + IN + i);
                a2 += xv * vload(w0 + 2 * IN + i);
                a3 += xv * vload(w0 + 3 * IN + i);
            }
            float s[4] = {vsum(a0), vsum(a1), vsum(a2), vsum(a3)};
            for (int k = 0; k < 4; k++) {
                for (int i = IN_V; i < IN; i++) s[k] += x[i] * w0[int64_t(k) * IN + i];
                out[int64_t(n) * OUT + o + k] = s[k] + (bias ? bias[o + k] : 0.0f);
            }
        }
        for (; o < OUT; o++) {
            const float* w = weight + int64_t(o) * IN;
            vfloat a = vsplat(0);
            for (int i = 0; i < IN_V; i += kLanes) a += vload(x + i) * vload(w + i);
            float s = vsum(a);
            for (int i = IN_V; i < IN; i++) s += x[i] * w[i];
            out[int64_t(n) * OUT + o] = s + (bias ? bias[o] : 0.0f);
        }
    }
}

void linear_forward_naive(float* out, const float* inp, const float* weight, const float* bias, int N, int IN, int OUT) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OUT; o++) {
            const float* x = inp + int64_t(n) * IN;
            const float* w = weight + int64_t(o) * IN;
            float sum = 0.0f;
            for (int i = 0; i < IN; i++) sum += x[i] * w[i];
            out[int64_t(n) * OUT + o] = sum + (bias ? bias[o] : 0.0f);
        }
}

void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int N, int IN, int OUT) {
    // forward: out[n,o] = sum_i inp[n,i] * weight[o,i] + bias[o]
    //   dbias[o]     += sum_n dout[n,o]
    //   dweight[o,:] += sum_n dout[n,o] * inp[n,:]
    //   dinp[n,:]    += sum_o dout[n,o] * weight[o,:]
    // Each sum runs over a block of 4 vectors kept in registers, so the row being summed into is
    // loaded and stored once per block instead of once per term.
    constexpr int B = 4 * kLanes;
    const int IN_B = IN / B * B;
    auto add_rows = [&](float* target, const float* coef, int64_t coef_stride, const float* rows, int64_t row_stride, int count) {
        int i = 0;
        for (; i < IN_B; i += B) {
            vfloat a0 = vload(target + i), a1 = vload(target + i + kLanes), a2 = vload(target + i + 2 * kLanes),
                   a3 = vload(target + i + 3 * kLanes);
            for (int k = 0; k < count; k++) {
                const vfloat g = vsplat(coef[k * coef_stride]);
                const float* r = rows + k * row_stride + i;
                a0 += g * vload(r);
                a1 += g * vload(r + kLanes);
                a2 += g * vload(r + 2 * kLanes);
                a3 += g * vload(r + 3 * kLanes);
            }
            vstore(target + i, a0);
            vstore(target + i + kLanes, a1);
            vstore(target + i + 2 * kLanes, a2);
            vstore(target + i + 3 * kLanes, a3);
        }
        for (; i < IN; i++)
            for (int k = 0; k < count; k++) target[i] += coef[k * coef_stride] * rows[k * row_stride + i];
    };
    for (int o = 0; o < OUT; o++) {
        if (dbias)
            for (int n = 0; n < N; n++) dbias[o] += dout[int64_t(n) * OUT + o];
        if (dweight) add_rows(dweight + int64_t(o) * IN, dout + o, OUT, inp, IN, N);
    }
    if (dinp)
        for (int n = 0; n < N; n++) add_rows(dinp + int64_t(n) * IN, dout + int64_t(n) * OUT, 1, weight, IN, OUT);
}

// ---- dropout ---------------------------------------------------------------------------------

void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, Rng& rng) {
    const float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    for (int64_t i = 0; i < n; i++) {
        mask[i] = rng.uniform() < p ? 0.0f : keep_scale;
        out[i] = inp[i] * mask[i];
    }
}

void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n) {
    for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * mask[i];
}

// ---- normalization ---------------------------------------------------------------------------

// Sums of a run of values in float vectors, a run being at most kRun values: short enough that the
// float partial sums stay accurate; the callers add runs up in double. A dependent chain of double
// additions per value (the plain loop) would take several times longer than the vector adds.
constexpr int64_t kRun = 1024;

// sum += x[0..n), or (kSquares) sum += (x[i] - center)^2 over them; n <= kRun
template <bool kSquares>
static void run_sum(double& sum, const float* x, int64_t n, float center) {
    vfloat s = vsplat(0.0f);
    const vfloat cv = vsplat(center);
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        const vfloat v = vload(x + i);
        s += kSquares ? (v - cv) * (v - cv) : v;
    }
    float st = vsum(s);
    for (; i < n; i++) st += kSquares ? (x[i] - center) * (x[i] - center) : x[i];
    sum += st;
}

// Mean and biased variance of `count` values spaced `stride` apart in `blocks` blocks of `block`
// values each (a batch-norm channel: N blocks of HW values, C*HW apart). Two passes: the mean,
// then the squared deviations from it (no cancellation, unlike sum of squares minus squared sum).
static void moments(double& mean, double& var, const float* x, int blocks, int64_t block, int64_t stride) {
    double sum = 0;
    for (int b = 0; b < blocks; b++)
        for (int64_t i = 0; i < block; i += kRun) run_sum<false>(sum, x + b * stride + i, std::min(kRun, block - i), 0.0f);
    const double count = double(blocks) * double(block);
    mean = sum / count;
    double sq = 0;
    for (int b = 0; b < blocks; b++)
        for (int64_t i = 0; i < block; i += kRun) run_sum<true>(sq, x + b * stride + i, std::min(kRun, block - i), float(mean));
    var = sq / count;
}

void batchnorm2d_forward_train(float* out, float* mean, float* rstd, float* running_mean, float* running_var,
                               const float* inp, const float* gamma, const float* beta,
                               int N, int C, int HW, float eps, float momentum) {
    const int64_t count = int64_t(N) * HW;
    for (int c = 0; c < C; c++) {
        double m, v;
        moments(m, v, inp + int64_t(c) * HW, N, HW, int64_t(C) * HW);
        mean[c] = float(m);
        rstd[c] = float(1.0 / std::sqrt(v + eps));
        if (running_mean) running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * float(m);
        if (running_var) {
            double unbiased = count > 1 ? v * double(count) / double(count - 1) : v;
            running_var[c] = (1.0f - momentum) * running_var[c] + momentum * float(unbiased);
        }
        // y = (x - mean) * rstd * g + b  (x - mean first, as PyTorch: no large mean * scale to cancel)
        const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
        const float mc = mean[c], scale = rstd[c] * g;
        for (int n = 0; n < N; n++) {
            const int64_t base = (int64_t(n) * C + c) * HW;
            int i = 0;
            for (; i + kLanes <= HW; i += kLanes) vstore(out + base + i, (vload(inp + base + i) - mc) * scale + b);
            for (; i < HW; i++) out[base + i] = (inp[base + i] - mc) * scale + b;
        }
    }
}

void batchnorm2d_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                              const float* running_mean, const float* running_var, int N, int C, int HW, float eps) {
    for (int c = 0; c < C; c++) {
        const float r = 1.0f / std::sqrt(running_var[c] + eps);
        const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
        for (int n = 0; n < N; n++) {
            const int64_t base = (int64_t(n) * C + c) * HW;
            for (int i = 0; i < HW; i++) out[base + i] = (inp[base + i] - running_mean[c]) * r * g + b;
        }
    }
}

void batchnorm2d_backward_eval(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp, const float* gamma,
                               const float* running_mean, const float* running_var, int N, int C, int HW, float eps) {
    for (int c = 0; c < C; c++) {
        const float r = 1.0f / std::sqrt(running_var[c] + eps), g = gamma ? gamma[c] : 1.0f;
        double sum_dy = 0, sum_dy_xhat = 0;
        for (int n = 0; n < N; n++) {
            const int64_t base = (int64_t(n) * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                const float dy = dout[base + i];
                if (dinp) dinp[base + i] += dy * g * r;
                sum_dy += dy;
                sum_dy_xhat += double(dy) * (inp[base + i] - running_mean[c]) * r;
            }
        }
        if (dgamma) dgamma[c] += float(sum_dy_xhat);
        if (dbeta) dbeta[c] += float(sum_dy);
    }
}

// The backward of y = xhat*g + b with xhat = (x - mean)*rstd over `count` values:
//   dxhat = dy*g;  dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
// shared by batch and instance norm; the values are `blocks` runs of `block`, `stride` apart.
// The sums go through double across runs; the dx pass is in float, as PyTorch's for float tensors.
static void norm_backward(float* dx, double& dgamma, double& dbeta, const float* dy, const float* x, float g,
                          float mean, float rstd, int blocks, int64_t block, int64_t stride) {
    double sum_dy = 0, sum_dy_xhat = 0;  // in double across runs of kRun values, each summed in float vectors
    const vfloat mv = vsplat(mean), rv = vsplat(rstd);
    for (int b = 0; b < blocks; b++)
        for (int64_t first = 0; first < block; first += kRun) {
            const int64_t end = std::min(block, first + kRun);
            const float *xr = x + b * stride, *dyr = dy + b * stride;
            vfloat s = vsplat(0.0f), sx = vsplat(0.0f);
            int64_t i = first;
            for (; i + kLanes <= end; i += kLanes) {
                const vfloat d = vload(dyr + i);
                s += d;
                sx += d * ((vload(xr + i) - mv) * rv);
            }
            float st = vsum(s), sxt = vsum(sx);
            for (; i < end; i++) {
                st += dyr[i];
                sxt += dyr[i] * ((xr[i] - mean) * rstd);
            }
            sum_dy += st;
            sum_dy_xhat += sxt;
        }
    dgamma += sum_dy_xhat;
    dbeta += sum_dy;
    if (!dx) return;
    const double count = double(blocks) * double(block);
    const float mean_dxhat = float(g * sum_dy / count), mean_dxhat_xhat = float(g * sum_dy_xhat / count);
    const vfloat gv = vsplat(g), m1 = vsplat(mean_dxhat), m2 = vsplat(mean_dxhat_xhat);
    for (int b = 0; b < blocks; b++) {
        float* dxr = dx + b * stride;
        const float *xr = x + b * stride, *dyr = dy + b * stride;
        int64_t i = 0;
        for (; i + kLanes <= block; i += kLanes) {
            const vfloat xhat = (vload(xr + i) - mv) * rv;
            vstore(dxr + i, vload(dxr + i) + rv * (gv * vload(dyr + i) - m1 - xhat * m2));
        }
        for (; i < block; i++) {
            const float xhat = (xr[i] - mean) * rstd;
            dxr[i] += rstd * (g * dyr[i] - mean_dxhat - xhat * mean_dxhat_xhat);
        }
    }
}

void batchnorm2d_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                          const float* gamma, const float* mean, const float* rstd, int N, int C, int HW) {
    for (int c = 0; c < C; c++) {
        double dg = 0, db = 0;
        const int64_t first = int64_t(c) * HW;
        norm_backward(dinp ? dinp + first : nullptr, dg, db, dout + first, inp + first, gamma ? gamma[c] : 1.0f,
                      mean[c], rstd[c], N, HW, int64_t(C) * HW);
        if (dgamma) dgamma[c] += float(dg);
        if (dbeta) dbeta[c] += float(db);
    }
}

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* gamma, const float* beta,
                       int R, int D, float eps) {
    for (int r = 0; r < R; r++) {
        const float* x = inp + int64_t(r) * D;
        double m, v;
        moments(m, v, x, 1, D, 0);
        mean[r] = float(m);
        rstd[r] = float(1.0 / std::sqrt(v + eps));
        for (int i = 0; i < D; i++)
            out[int64_t(r) * D + i] = (x[i] - mean[r]) * rstd[r] * (gamma ? gamma[i] : 1.0f) + (beta ? beta[i] : 0.0f);
    }
}

void layernorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                        const float* gamma, const float* mean, const float* rstd, int R, int D) {
    // gamma varies along the row, so the shared helper does not fit: the same formula, written out.
    for (int r = 0; r < R; r++) {
        const float* x = inp + int64_t(r) * D;
        const float* dy = dout + int64_t(r) * D;
        double mean_dxhat = 0, mean_dxhat_xhat = 0;
        for (int i = 0; i < D; i++) {
            const double xhat = (double(x[i]) - mean[r]) * rstd[r];
            const double dxhat = double(dy[i]) * (gamma ? gamma[i] : 1.0f);
            mean_dxhat += dxhat;
            mean_dxhat_xhat += dxhat * xhat;
            if (dgamma) dgamma[i] += float(dy[i] * xhat);
            if (dbeta) dbeta[i] += dy[i];
        }
        mean_dxhat /= D;
        mean_dxhat_xhat /= D;
        if (!dinp) continue;
        for (int i = 0; i < D; i++) {
            const double xhat = (double(x[i]) - mean[r]) * rstd[r];
            const double dxhat = double(dy[i]) * (gamma ? gamma[i] : 1.0f);
            dinp[int64_t(r) * D + i] += float(rstd[r] * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat));
        }
    }
}

void instancenorm2d_forward(float* out, float* mean, float* rstd, const float* inp, const float* gamma,
                            const float* beta, int N, int C, int HW, float eps) {
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        const int c = int(plane % C);
        double m, v;
        moments(m, v, inp + plane * HW, 1, HW, 0);
        mean[plane] = float(m);
        rstd[plane] = float(1.0 / std::sqrt(v + eps));
        const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
        for (int i = 0; i < HW; i++) out[plane * HW + i] = (inp[plane * HW + i] - mean[plane]) * rstd[plane] * g + b;
    }
}

void instancenorm2d_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                             const float* gamma, const float* mean, const float* rstd, int N, int C, int HW) {
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        const int c = int(plane % C);
        double dg = 0, db = 0;
        norm_backward(dinp ? dinp + plane * HW : nullptr, dg, db, dout + plane * HW, inp + plane * HW,
                      gamma ? gamma[c] : 1.0f, mean[plane], rstd[plane], 1, HW, 0);
        if (dgamma) dgamma[c] += float(dg);
        if (dbeta) dbeta[c] += float(db);
    }
}

void groupnorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* gamma, const float* beta,
                       int N, int C, int HW, int G, float eps) {
    const int CG = C / G;                       // channels per group
    const int64_t group = int64_t(CG) * HW;     // values per (n, group), contiguous in (N,C,H,W)
    for (int64_t ng = 0; ng < int64_t(N) * G; ng++) {
        double m, v;
        moments(m, v, inp + ng * group, 1, group, 0);
        mean[ng] = float(m);
        rstd[ng] = float(1.0 / std::sqrt(v + eps));
        for (int k = 0; k < CG; k++) {
            const int c = int(ng % G) * CG + k;
            const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
            const float* x = inp + ng * group + int64_t(k) * HW;
            float* y = out + ng * group + int64_t(k) * HW;
            for (int i = 0; i < HW; i++) y[i] = (x[i] - mean[ng]) * rstd[ng] * g + b;
        }
    }
}

// With xhat = (x - mean) * rstd and dxhat = dout * gamma[c]: dgamma[c] += sum dout * xhat, dbeta[c] += sum dout,
// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), the means over the group.
void groupnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp, const float* gamma,
                        const float* mean, const float* rstd, int N, int C, int HW, int G) {
    const int CG = C / G;
    const int64_t group = int64_t(CG) * HW;
    for (int64_t ng = 0; ng < int64_t(N) * G; ng++) {
        const float m = mean[ng], r = rstd[ng];
        double sum_dxhat = 0, sum_dxhat_xhat = 0;
        for (int k = 0; k < CG; k++) {
            const int c = int(ng % G) * CG + k;
            const float g = gamma ? gamma[c] : 1.0f;
            const float *x = inp + ng * group + int64_t(k) * HW, *dy = dout + ng * group + int64_t(k) * HW;
            double dg = 0, db = 0;
            for (int i = 0; i < HW; i++) {
                const float xhat = (x[i] - m) * r;
                dg += double(dy[i]) * xhat;
                db += dy[i];
                sum_dxhat += double(dy[i]) * g;
                sum_dxhat_xhat += double(dy[i]) * g * xhat;
            }
            if (dgamma) dgamma[c] += float(dg);
            if (dbeta) dbeta[c] += float(db);
        }
        if (!dinp) continue;
        const float mean_dxhat = float(sum_dxhat / double(group)), mean_dxhat_xhat = float(sum_dxhat_xhat / double(group));
        for (int k = 0; k < CG; k++) {
            const int c = int(ng % G) * CG + k;
            const float g = gamma ? gamma[c] : 1.0f;
            const float *x = inp + ng * group + int64_t(k) * HW, *dy = dout + ng * group + int64_t(k) * HW;
            float* dx = dinp + ng * group + int64_t(k) * HW;
            for (int i = 0; i < HW; i++) dx[i] += r * (dy[i] * g - mean_dxhat - (x[i] - m) * r * mean_dxhat_xhat);
        }
    }
}

// ---- joining paths ---------------------------------------------------------------------------

void add_forward(float* out, const float* a, const float* b, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}
void add_backward(float* da, float* db, const float* dout, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        if (da) da[i] += dout[i];
        if (db) db[i] += dout[i];
    }
}

void concat_forward(float* out, const float* a, const float* b, int N, int CA, int CB, int HW) {
    for (int n = 0; n < N; n++) {
        float* o = out + int64_t(n) * (CA + CB) * HW;
        for (int64_t i = 0; i < int64_t(CA) * HW; i++) o[i] = a[int64_t(n) * CA * HW + i];
        for (int64_t i = 0; i < int64_t(CB) * HW; i++) o[int64_t(CA) * HW + i] = b[int64_t(n) * CB * HW + i];
    }
}
void concat_backward(float* da, float* db, const float* dout, int N, int CA, int CB, int HW) {
    for (int n = 0; n < N; n++) {
        const float* d = dout + int64_t(n) * (CA + CB) * HW;
        if (da) for (int64_t i = 0; i < int64_t(CA) * HW; i++) da[int64_t(n) * CA * HW + i] += d[i];
        if (db) for (int64_t i = 0; i < int64_t(CB) * HW; i++) db[int64_t(n) * CB * HW + i] += d[int64_t(CA) * HW + i];
    }
}

void channel_scale_forward(float* out, const float* x, const float* gate, int N, int C, int HW) {
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        const float g = gate[plane];
        for (int i = 0; i < HW; i++) out[plane * HW + i] = x[plane * HW + i] * g;
    }
}

void channel_scale_backward(float* dx, float* dgate, const float* dout, const float* x, const float* gate, int N, int C, int HW) {
    for (int64_t plane = 0; plane < int64_t(N) * C; plane++) {
        const float* d = dout + plane * HW;
        if (dx)
            for (int i = 0; i < HW; i++) dx[plane * HW + i] += d[i] * gate[plane];
        if (dgate) {
            float sum = 0.0f;
            for (int i = 0; i < HW; i++) sum += d[i] * x[plane * HW + i];
            dgate[plane] += sum;
        }
    }
}

// ---- loss ------------------------------------------------------------------------------------

float softmax_cross_entropy_forward(float* probs, const float* logits, const int32_t* labels, int N, int K, float label_smoothing) {
    double total = 0;
    for (int n = 0; n < N; n++) {
        const float* z = logits + int64_t(n) * K;
        float max = z[0];
        for (int k = 1; k < K; k++) max = z[k] > max ? z[k] : max;  // subtract the max: exp never overflows
        double sum = 0;
        for (int k = 0; k < K; k++) sum += std::exp(double(z[k]) - max);
        for (int k = 0; k < K; k++) probs[int64_t(n) * K + k] = float(std::exp(double(z[k]) - max) / sum);
        // -log softmax(z)[k] = log(sum_j e^(z_j - max)) + max - z_k
        const double log_sum = std::log(sum) + max;
        double mean_nll = 0;  // mean over the K classes of -log softmax(z)[k], for the smoothed part of the target
        if (label_smoothing != 0) {
            for (int k = 0; k < K; k++) mean_nll += log_sum - z[k];
            mean_nll /= K;
        }
        total += (1.0 - label_smoothing) * (log_sum - z[labels[n]]) + label_smoothing * mean_nll;
    }
    return float(total / N);
}

void softmax_cross_entropy_backward(float* dlogits, const float* probs, const int32_t* labels, int N, int K, float label_smoothing,
                                    float dloss) {
    const float scale = dloss / float(N);
    const float off = label_smoothing / float(K), on = 1.0f - label_smoothing + off;  // the target: (1-eps)*onehot + eps/K
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++) {
            const int64_t at = int64_t(n) * K + k;
            dlogits[at] += (probs[at] - (k == labels[n] ? on : off)) * scale;
        }
}
