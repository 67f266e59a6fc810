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

void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int N, int C, int H, int W, int OC, const Conv2dSpec& spec) {
    const ConvAxis& ar = spec.rows;
    const ConvAxis& ac = spec.cols;
    const int KH = ar.kernel, KW = ac.kernel;
    const int OH = int(conv_output_size(H, ar)), OW = int(conv_output_size(W, ac));
    for (int n = 0; n < N; n++) {
        for (int oc = 0; oc < OC; oc++) {
            for (int oy = 0; oy < OH; oy++) {
                for (int ox = 0; ox < OW; ox++) {
                    float sum = 0.0f;
                    for (int c = 0; c < C; c++) {
                        const float* inp_c = inp + (int64_t(n) * C + c) * H * W;       // (H,W)
                        const float* w_c = weight + (int64_t(oc) * C + c) * KH * KW;   // (KH,KW)
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

// Checks what conv2d and conv2d_window share: 4-D shapes that agree, and a geometry with output.
static Status check_conv2d(const Tensor& inp, const Tensor& weight, const Tensor* bias, const Conv2dSpec& spec) {
    if (inp.dim() != 4)
        return error_status("conv2d: input must have 4 axes (N,C,H,W) but has shape " + shape_string(inp.shape));
    if (weight.dim() != 4)
        return error_status("conv2d: weight must have 4 axes (OC,C,KH,KW) but has shape " + shape_string(weight.shape));
    if (inp.numel() < 0 || int64_t(inp.data.size()) != inp.numel() || weight.numel() < 0 ||
        int64_t(weight.data.size()) != weight.numel())
        return error_status("conv2d: a tensor's data does not match its shape");
    if (inp.shape[1] != weight.shape[1])
        return error_status("conv2d: input shape " + shape_string(inp.shape) + " has " + to_string(inp.shape[1]) +
                            " channels but weight shape " + shape_string(weight.shape) + " expects " +
                            to_string(weight.shape[1]));
    if (weight.shape[2] != spec.rows.kernel || weight.shape[3] != spec.cols.kernel)
        return error_status("conv2d: weight shape " + shape_string(weight.shape) + " does not match the kernel size " +
                            to_string(spec.rows.kernel) + "x" + to_string(spec.cols.kernel) + " of the settings");
    if (bias && (bias->dim() != 1 || bias->shape[0] != weight.shape[0] || int64_t(bias->data.size()) != bias->numel()))
        return error_status("conv2d: bias shape " + shape_string(bias->shape) + " should be (" +
                            to_string(weight.shape[0]) + "), one value per output channel of weight shape " +
                            shape_string(weight.shape));
    if (Status s = check_conv_axis(inp.shape[2], spec.rows, "rows"); !s.ok()) return s;
    if (Status s = check_conv_axis(inp.shape[3], spec.cols, "columns"); !s.ok()) return s;
    return ok_status();
}

Status conv2d(Tensor& out, const Tensor& inp, const Tensor& weight, const Tensor* bias, const Conv2dSpec& spec) {
    if (Status s = check_conv2d(inp, weight, bias, spec); !s.ok()) return s;
    const int N = inp.shape[0], C = inp.shape[1], H = inp.shape[2], W = inp.shape[3], OC = weight.shape[0];
    Tensor result;
    Status s = make_tensor(result, {N, OC, int(conv_output_size(H, spec.rows)), int(conv_output_size(W, spec.cols))});
    if (!s.ok()) return s;
    conv2d_forward(result.data.data(), inp.data.data(), weight.data.data(), bias ? bias->data.data() : nullptr,
                   N, C, H, W, OC, spec);
    out = std::move(result);
    return ok_status();
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
    if (Status s = check_conv2d(inp, weight, nullptr, spec); !s.ok()) return s;
    const int N = inp.shape[0], C = inp.shape[1], H = inp.shape[2], W = inp.shape[3], OC = weight.shape[0];
    const int KH = spec.rows.kernel, KW = spec.cols.kernel;
    const int64_t OH = conv_output_size(H, spec.rows), OW = conv_output_size(W, spec.cols);
    if (n < 0 || n >= N || oc < 0 || oc >= OC || oy < 0 || oy >= OH || ox < 0 || ox >= OW)
        return error_status("conv2d_window: output position (" + to_string(n) + "," + to_string(oc) + "," +
                            to_string(oy) + "," + to_string(ox) + ") is outside the output shape (" +
                            to_string(N) + "," + to_string(OC) + "," + to_string(OH) + "," + to_string(OW) + ")");
    std::vector<ConvTerm> result;
    result.reserve(size_t(C) * KH * KW);
    for (int c = 0; c < C; c++) {
        for (int ky = 0; ky < KH; ky++) {
            for (int kx = 0; kx < KW; kx++) {
                ConvTerm t;
                t.channel = c;
                t.ky = ky;
                t.kx = kx;
                t.iy = oy * spec.rows.stride - spec.rows.pad_before + ky * spec.rows.dilation;
                t.ix = ox * spec.cols.stride - spec.cols.pad_before + kx * spec.cols.dilation;
                t.padding = t.iy < 0 || t.iy >= H || t.ix < 0 || t.ix >= W;
                t.input = t.padding ? 0.0f : inp.at(((int64_t(n) * C + c) * H + t.iy) * W + t.ix);
                int wy = spec.flip ? KH - 1 - ky : ky;
                int wx = spec.flip ? KW - 1 - kx : kx;
                t.weight = weight.at(((int64_t(oc) * C + c) * KH + wy) * KW + wx);
                t.product = t.input * t.weight;
                result.push_back(t);
            }
        }
    }
    terms = std::move(result);
    return ok_status();
}
