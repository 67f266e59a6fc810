#include "conv.h"

#include <string>

using std::to_string;

ConvAxis make_conv_axis(int input, int kernel, int stride, int dilation, PaddingMode mode, int padding) {
    ConvAxis a;
    a.kernel = kernel;
    a.stride = stride;
    a.dilation = dilation;
    int64_t span = conv_window_span(a);
    int64_t total = 0;
    switch (mode) {
        case PaddingMode::number: a.pad_before = a.pad_after = padding; return a;
        case PaddingMode::valid: return a;
        case PaddingMode::full: total = 2 * (span - 1); break;
        case PaddingMode::same:
            if (stride < 1 || input < 0) return a;  // check_conv_axis reports the stride
            // out = ceil(in/s) needs (out-1)*s + span <= in + total
            total = ((int64_t(input) + stride - 1) / stride - 1) * stride + span - input;
            if (total < 0) total = 0;
            break;
    }
    if (total > 2 * int64_t(kMaxTensorElements)) total = 2 * int64_t(kMaxTensorElements);  // absurd sizes stay absurd, not overflowed
    a.pad_before = int(total / 2);
    a.pad_after = int(total - total / 2);
    return a;
}

int64_t conv_window_span(const ConvAxis& a) { return int64_t(a.dilation) * (a.kernel - 1) + 1; }

int64_t conv_output_size(int input, const ConvAxis& a) {
    if (a.stride < 1) return 0;
    int64_t padded = int64_t(input) + a.pad_before + a.pad_after;
    int64_t room = padded - conv_window_span(a);  // how far the window can travel
    if (room < 0) return 0;
    return room / a.stride + 1;
}

Status check_conv_axis(int input, const ConvAxis& a, const char* axis_name) {
    std::string axis = axis_name;
    if (input < 1) return error_status("the input has no " + axis + " (" + to_string(input) + ")");
    if (a.kernel < 1) return error_status("the kernel needs at least one " + axis.substr(0, axis.size() - 1) + " (it has " + to_string(a.kernel) + ")");
    if (a.stride < 1)
        return error_status("stride must be at least 1 (it is " + to_string(a.stride) +
                            "): with stride 0 the window would never move, and a negative stride walks backwards");
    if (a.dilation < 1)
        return error_status("dilation must be at least 1 (it is " + to_string(a.dilation) + "); 1 means the taps touch");
    if (a.pad_before < 0 || a.pad_after < 0)
        return error_status("padding cannot be negative (it is " + to_string(a.pad_before < 0 ? a.pad_before : a.pad_after) + ")");
    int64_t padded = int64_t(input) + a.pad_before + a.pad_after;
    if (padded > (int64_t(1) << 30))  // keeps every index arithmetic inside int
        return error_status("the padded input would have " + to_string(padded) + " " + axis + ", too many to compute");
    int64_t span = conv_window_span(a);
    if (span > padded) {
        std::string why = "the kernel window covers " + to_string(span) + " " + axis;
        if (a.dilation > 1) why += " (d(k-1)+1 = " + to_string(a.dilation) + "*" + to_string(a.kernel - 1) + "+1)";
        why += " but the padded input has only " + to_string(padded) + " (" + to_string(input);
        if (a.pad_before || a.pad_after) why += " + " + to_string(a.pad_before) + " + " + to_string(a.pad_after) + " padding";
        why += "), so the window never fits: no output. Use a smaller kernel or dilation, or more padding";
        return error_status(why);
    }
    if (conv_output_size(input, a) > kMaxTensorElements) return error_status("the output would have too many " + axis);
    return ok_status();
}

void conv2d_forward_naive(float* out, const float* inp, const float* weight, const float* bias,
                    int N, int C, int H, int W, int OC, const Conv2dSpec& spec) {
    const ConvAxis& ar = spec.rows;
    const ConvAxis& ac = spec.cols;
    const int KH = ar.kernel, KW = ac.kernel;
    const int OH = int(conv_output_size(H, ar)), OW = int(conv_output_size(W, ac));
    const int Cg = C / spec.groups, OCg = OC / spec.groups;  // channels per group
    for (int n = 0; n < N; n++) {
        for (int oc = 0; oc < OC; oc++) {
            const int c0 = oc / OCg * Cg;  // first input channel of this output channel's group
            for (int oy = 0; oy < OH; oy++) {
                for (int ox = 0; ox < OW; ox++) {
                    float sum = 0.0f;
                    for (int c = 0; c < Cg; c++) {
                        const float* inp_c = inp + (int64_t(n) * C + c0 + c) * H * W;  // (H,W)
                        const float* w_c = weight + (int64_t(oc) * Cg + c) * KH * KW;  // (KH,KW)
                        for (int ky = 0; ky < KH; ky++) {
                            int iy = oy * ar.stride - ar.pad_before + ky * ar.dilation;
                            if (iy < 0 || iy >= H) continue;  // padding row: adds 0*w
                            for (int kx = 0; kx < KW; kx++) {
                                int ix = ox * ac.stride - ac.pad_before + kx * ac.dilation;
                                if (ix < 0 || ix >= W) continue;
                                int wy = spec.flip ? KH - 1 - ky : ky;
                                int wx = spec.flip ? KW - 1 - kx : kx;
                                sum += inp_c[iy * W + ix] * w_c[wy * KW + wx];
                            }
                        }
                    }
                    out[((int64_t(n) * OC + oc) * OH + oy) * OW + ox] = sum + (bias ? bias[oc] : 0.0f);
                }
            }
        }
    }
}

void conv2d_backward_naive(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int N, int C, int H, int W, int OC, const Conv2dSpec& spec) {
    const ConvAxis& ar = spec.rows;
    const ConvAxis& ac = spec.cols;
    const int KH = ar.kernel, KW = ac.kernel;
    const int OH = int(conv_output_size(H, ar)), OW = int(conv_output_size(W, ac));
    const int Cg = C / spec.groups, OCg = OC / spec.groups;
    for (int n = 0; n < N; n++) {
        for (int oc = 0; oc < OC; oc++) {
            const int c0 = oc / OCg * Cg;
            for (int oy = 0; oy < OH; oy++) {
                for (int ox = 0; ox < OW; ox++) {
                    // forward: out[n,oc,oy,ox] = sum + bias[oc], where sum += inp[..] * w[..]
                    const float d = dout[((int64_t(n) * OC + oc) * OH + oy) * OW + ox];
                    if (dbias) dbias[oc] += d;
                    for (int c = 0; c < Cg; c++) {
                        const int64_t inp_c = (int64_t(n) * C + c0 + c) * H * W;
                        const int64_t w_c = (int64_t(oc) * Cg + c) * KH * KW;
                        for (int ky = 0; ky < KH; ky++) {
                            int iy = oy * ar.stride - ar.pad_before + ky * ar.dilation;
                            if (iy < 0 || iy >= H) continue;
                            for (int kx = 0; kx < KW; kx++) {
                                int ix = ox * ac.stride - ac.pad_before + kx * ac.dilation;
                                if (ix < 0 || ix >= W) continue;
                                int64_t w_at = w_c + (spec.flip ? KH - 1 - ky : ky) * KW + (spec.flip ? KW - 1 - kx : kx);
                                int64_t in_at = inp_c + iy * W + ix;
                                if (dinp) dinp[in_at] += d * weight[w_at];
                                if (dweight) dweight[w_at] += d * inp[in_at];
                            }
                        }
                    }
                }
            }
        }
    }
}

static Status check_data(const Tensor& t, const char* op, const char* name) {
    if (t.numel() < 0 || int64_t(t.data.size()) != t.numel())
        return error_status(std::string(op) + ": " + name + " holds " + to_string(t.data.size()) +
                            " values but its shape " + shape_string(t.shape) + " needs " + to_string(t.numel()));
    return ok_status();
}

static Status check_groups(int groups, int C, int OC, const char* op) {
    if (groups < 1) return error_status(std::string(op) + ": groups must be at least 1 (it is " + to_string(groups) + ")");
    if (C % groups || OC % groups)
        return error_status(std::string(op) + ": " + to_string(groups) + " groups must divide both the " + to_string(C) +
                            " input channels and the " + to_string(OC) + " output channels");
    return ok_status();
}

Status check_conv2d(const std::vector<int>& inp, const std::vector<int>& weight, const std::vector<int>* bias,
                    const Conv2dSpec& spec) {
    if (inp.size() != 4)
        return error_status("conv2d: input must have 4 axes (N,C,H,W) but has shape " + shape_string(inp));
    if (weight.size() != 4)
        return error_status("conv2d: weight must have 4 axes (OC,C,KH,KW) but has shape " + shape_string(weight));
    const int C = inp[1], OC = weight[0];
    if (inp[0] < 0 || C < 1 || OC < 1)
        return error_status("conv2d: input shape " + shape_string(inp) + " and weight shape " + shape_string(weight) +
                            " need at least one channel each");
    if (Status s = check_groups(spec.groups, C, OC, "conv2d"); !s.ok()) return s;
    if (C != weight[1] * spec.groups)
        return error_status("conv2d: input shape " + shape_string(inp) + " has " + to_string(C) +
                            " channels but weight shape " + shape_string(weight) + " expects " +
                            to_string(weight[1] * spec.groups) + (spec.groups > 1 ? " (" + to_string(spec.groups) + " groups)" : ""));
    if (weight[2] != spec.rows.kernel || weight[3] != spec.cols.kernel)
        return error_status("conv2d: weight shape " + shape_string(weight) + " does not match the kernel size " +
                            to_string(spec.rows.kernel) + "x" + to_string(spec.cols.kernel) + " of the settings");
    if (bias && (bias->size() != 1 || (*bias)[0] != OC))
        return error_status("conv2d: bias shape " + shape_string(*bias) + " should be (" + to_string(OC) +
                            "), one value per output channel of weight shape " + shape_string(weight));
    if (Status s = check_conv_axis(inp[2], spec.rows, "rows"); !s.ok()) return s;
    if (Status s = check_conv_axis(inp[3], spec.cols, "columns"); !s.ok()) return s;
    if (shape_numel({inp[0], OC, int(conv_output_size(inp[2], spec.rows)), int(conv_output_size(inp[3], spec.cols))}) < 0)
        return error_status("conv2d: the output would be too large");
    return ok_status();
}

// What conv2d and conv2d_window share: data that matches the shapes, shapes that agree, output.
static Status check_conv2d_tensors(const Tensor& inp, const Tensor& weight, const Tensor* bias, const Conv2dSpec& spec) {
    if (Status s = check_data(inp, "conv2d", "input"); !s.ok()) return s;
    if (Status s = check_data(weight, "conv2d", "weight"); !s.ok()) return s;
    if (bias) if (Status s = check_data(*bias, "conv2d", "bias"); !s.ok()) return s;
    return check_conv2d(inp.shape, weight.shape, bias ? &bias->shape : nullptr, spec);
}

Status conv2d(Tensor& out, const Tensor& inp, const Tensor& weight, const Tensor* bias, const Conv2dSpec& spec) {
    if (Status s = check_conv2d_tensors(inp, weight, bias, spec); !s.ok()) return s;
    const int N = inp.shape[0], C = inp.shape[1], H = inp.shape[2], W = inp.shape[3], OC = weight.shape[0];
    Tensor result;
    Status s = make_tensor(result, {N, OC, int(conv_output_size(H, spec.rows)), int(conv_output_size(W, spec.cols))});
    if (!s.ok()) return s;
    conv2d_forward_naive(result.data.data(), inp.data.data(), weight.data.data(), bias ? bias->data.data() : nullptr,
                         N, C, H, W, OC, spec);
    out = std::move(result);
    return ok_status();
}

int64_t conv_transpose_output_size(int input, const ConvAxis& a, int output_padding) {
    return (int64_t(input) - 1) * a.stride - a.pad_before - a.pad_after + conv_window_span(a) + output_padding;
}

Status check_conv_transpose2d(const std::vector<int>& inp, const std::vector<int>& weight, const std::vector<int>* bias,
                              const ConvTranspose2dSpec& spec) {
    if (inp.size() != 4)
        return error_status("conv_transpose2d: input must have 4 axes (N,C,H,W) but has shape " + shape_string(inp));
    if (weight.size() != 4)
        return error_status("conv_transpose2d: weight must have 4 axes (C,OC/groups,KH,KW) but has shape " + shape_string(weight));
    const int C = inp[1], OC = weight[1] * spec.groups;
    if (inp[0] < 0 || C < 1 || weight[1] < 1)
        return error_status("conv_transpose2d: input shape " + shape_string(inp) + " and weight shape " + shape_string(weight) +
                            " need at least one channel each");
    if (Status s = check_groups(spec.groups, C, OC, "conv_transpose2d"); !s.ok()) return s;
    if (weight[0] != C)
        return error_status("conv_transpose2d: input shape " + shape_string(inp) + " has " + to_string(C) +
                            " channels but weight shape " + shape_string(weight) + " expects " + to_string(weight[0]));
    if (weight[2] != spec.rows.kernel || weight[3] != spec.cols.kernel)
        return error_status("conv_transpose2d: weight shape " + shape_string(weight) + " does not match the kernel size " +
                            to_string(spec.rows.kernel) + "x" + to_string(spec.cols.kernel));
    if (bias && (bias->size() != 1 || (*bias)[0] != OC))
        return error_status("conv_transpose2d: bias shape " + shape_string(*bias) + " should be (" + to_string(OC) + ")");
    const ConvAxis* axes[2] = {&spec.rows, &spec.cols};
    const int output_padding[2] = {spec.output_padding_rows, spec.output_padding_cols};
    for (int i = 0; i < 2; i++) {
        const ConvAxis& a = *axes[i];
        if (inp[2 + i] < 1 || a.kernel < 1 || a.stride < 1 || a.dilation < 1 || a.pad_before < 0 || a.pad_after < 0)
            return error_status("conv_transpose2d: input size, kernel, stride and dilation must be at least 1 and padding at least 0");
        if (output_padding[i] < 0 || (output_padding[i] >= a.stride && output_padding[i] >= a.dilation))
            return error_status("conv_transpose2d: output padding " + to_string(output_padding[i]) +
                                " must be smaller than the stride or the dilation");
        int64_t size = conv_transpose_output_size(inp[2 + i], a, output_padding[i]);
        if (size < 1 || size > (1 << 24))
            return error_status("conv_transpose2d: the settings give an output of " + to_string(size) + " " + (i ? "columns" : "rows"));
    }
    return ok_status();
}

void conv_transpose2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                              int N, int C, int H, int W, int OC, const ConvTranspose2dSpec& spec) {
    const ConvAxis& ar = spec.rows;
    const ConvAxis& ac = spec.cols;
    const int KH = ar.kernel, KW = ac.kernel;
    const int OH = int(conv_transpose_output_size(H, ar, spec.output_padding_rows));
    const int OW = int(conv_transpose_output_size(W, ac, spec.output_padding_cols));
    const int Cg = C / spec.groups, OCg = OC / spec.groups;
    for (int n = 0; n < N; n++)
        for (int oc = 0; oc < OC; oc++)
            for (int i = 0; i < OH * OW; i++) out[(int64_t(n) * OC + oc) * OH * OW + i] = bias ? bias[oc] : 0.0f;
    for (int n = 0; n < N; n++) {
        for (int c = 0; c < C; c++) {
            const int oc0 = c / Cg * OCg;  // first output channel of this input channel's group
            for (int iy = 0; iy < H; iy++) {
                for (int ix = 0; ix < W; ix++) {
                    const float x = inp[((int64_t(n) * C + c) * H + iy) * W + ix];
                    for (int o = 0; o < OCg; o++) {
                        float* out_c = out + (int64_t(n) * OC + oc0 + o) * OH * OW;       // (OH,OW)
                        const float* w_co = weight + (int64_t(c) * OCg + o) * KH * KW;  // (KH,KW)
                        for (int ky = 0; ky < KH; ky++) {
                            int oy = iy * ar.stride - ar.pad_before + ky * ar.dilation;
                            if (oy < 0 || oy >= OH) continue;
                            for (int kx = 0; kx < KW; kx++) {
                                int ox = ix * ac.stride - ac.pad_before + kx * ac.dilation;
                                if (ox < 0 || ox >= OW) continue;
                                out_c[oy * OW + ox] += x * w_co[ky * KW + kx];
                            }
                        }
                    }
                }
            }
        }
    }
}

void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                               const float* weight, int N, int C, int H, int W, int OC, const ConvTranspose2dSpec& spec) {
    const ConvAxis& ar = spec.rows;
    const ConvAxis& ac = spec.cols;
    const int KH = ar.kernel, KW = ac.kernel;
    const int OH = int(conv_transpose_output_size(H, ar, spec.output_padding_rows));
    const int OW = int(conv_transpose_output_size(W, ac, spec.output_padding_cols));
    const int Cg = C / spec.groups, OCg = OC / spec.groups;
    if (dbias)
        for (int n = 0; n < N; n++)
            for (int oc = 0; oc < OC; oc++)
                for (int i = 0; i < OH * OW; i++) dbias[oc] += dout[(int64_t(n) * OC + oc) * OH * OW + i];
    for (int n = 0; n < N; n++) {
        for (int c = 0; c < C; c++) {
            const int oc0 = c / Cg * OCg;
            for (int iy = 0; iy < H; iy++) {
                for (int ix = 0; ix < W; ix++) {
                    const int64_t in_at = ((int64_t(n) * C + c) * H + iy) * W + ix;
                    float dx = 0.0f;
                    for (int o = 0; o < OCg; o++) {
                        const float* dout_c = dout + (int64_t(n) * OC + oc0 + o) * OH * OW;
                        const int64_t w_co = (int64_t(c) * OCg + o) * KH * KW;
                        for (int ky = 0; ky < KH; ky++) {
                            int oy = iy * ar.stride - ar.pad_before + ky * ar.dilation;
                            if (oy < 0 || oy >= OH) continue;
                            for (int kx = 0; kx < KW; kx++) {
                                int ox = ix * ac.stride - ac.pad_before + kx * ac.dilation;
                                if (ox < 0 || ox >= OW) continue;
                                // forward: out[oy,ox] += x * w[ky,kx]
                                const float d = dout_c[oy * OW + ox];
                                dx += d * weight[w_co + ky * KW + kx];
                                if (dweight) dweight[w_co + ky * KW + kx] += d * inp[in_at];
                            }
                        }
                    }
                    if (dinp) dinp[in_at] += dx;
                }
            }
        }
    }
}

// A (N,C,L) tensor seen as (N,C,1,L), so 1D convolution is 2D convolution on one row.
static Tensor as_one_row(const Tensor& t) {
    Tensor r = t;
    if (t.dim() == 3) r.shape = {t.shape[0], t.shape[1], 1, t.shape[2]};
    return r;
}

Status conv1d(Tensor& out, const Tensor& inp, const Tensor& weight, const Tensor* bias, const ConvAxis& axis, bool flip) {
    if (inp.dim() != 3)
        return error_status("conv1d: input must have 3 axes (N,C,L) but has shape " + shape_string(inp.shape));
    if (weight.dim() != 3)
        return error_status("conv1d: weight must have 3 axes (OC,C,K) but has shape " + shape_string(weight.shape));
    Conv2dSpec spec;
    spec.cols = axis;
    spec.flip = flip;
    Tensor result;
    Status s = conv2d(result, as_one_row(inp), as_one_row(weight), bias, spec);
    if (!s.ok()) return error_status("conv1d" + s.message.substr(6));  // "conv2d: ..." -> "conv1d: ..."
    result.shape = {result.shape[0], result.shape[1], result.shape[3]};
    out = std::move(result);
    return ok_status();
}

Status conv2d_window(std::vector<ConvTerm>& terms, const Tensor& inp, const Tensor& weight,
                     const Conv2dSpec& spec, int n, int oc, int oy, int ox) {
    if (Status s = check_conv2d_tensors(inp, weight, nullptr, spec); !s.ok()) return s;
    const int N = inp.shape[0], C = inp.shape[1], H = inp.shape[2], W = inp.shape[3], OC = weight.shape[0];
    const int KH = spec.rows.kernel, KW = spec.cols.kernel;
    const int64_t OH = conv_output_size(H, spec.rows), OW = conv_output_size(W, spec.cols);
    if (n < 0 || n >= N || oc < 0 || oc >= OC || oy < 0 || oy >= OH || ox < 0 || ox >= OW)
        return error_status("conv2d_window: output position (" + to_string(n) + "," + to_string(oc) + "," +
                            to_string(oy) + "," + to_string(ox) + ") is outside the output shape (" +
                            to_string(N) + "," + to_string(OC) + "," + to_string(OH) + "," + to_string(OW) + ")");
    const int Cg = C / spec.groups, c0 = oc / (OC / spec.groups) * Cg;  // this output channel's input channels
    std::vector<ConvTerm> result;
    result.reserve(size_t(Cg) * KH * KW);
    for (int c = 0; c < Cg; c++) {
        for (int ky = 0; ky < KH; ky++) {
            for (int kx = 0; kx < KW; kx++) {
                ConvTerm t;
                t.channel = c0 + c;
                t.ky = ky;
                t.kx = kx;
                t.iy = oy * spec.rows.stride - spec.rows.pad_before + ky * spec.rows.dilation;
                t.ix = ox * spec.cols.stride - spec.cols.pad_before + kx * spec.cols.dilation;
                t.padding = t.iy < 0 || t.iy >= H || t.ix < 0 || t.ix >= W;
                t.input = t.padding ? 0.0f : inp.at(((int64_t(n) * C + c0 + c) * H + t.iy) * W + t.ix);
                int wy = spec.flip ? KH - 1 - ky : ky;
                int wx = spec.flip ? KW - 1 - kx : kx;
                t.weight = weight.at(((int64_t(oc) * Cg + c) * KH + wy) * KW + wx);
                t.product = t.input * t.weight;
                result.push_back(t);
            }
        }
    }
    terms = std::move(result);
    return ok_status();
}
