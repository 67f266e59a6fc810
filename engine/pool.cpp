#include "pool.h"

#include <string>
#include <utility>

using std::to_string;

Pool2dSpec make_pool2d_spec(int kernel, int stride, int padding) {
    Pool2dSpec spec;
    spec.rows = make_conv_axis(0, kernel, stride, 1, PaddingMode::number, padding);
    spec.cols = spec.rows;
    return spec;
}

// The tensor holds as many values as its shape says, and has 4 axes (N,C,H,W).
static Status check_image(const Tensor& t, const char* op) {
    if (t.dim() != 4) return error_status(std::string(op) + ": input must have 4 axes (N,C,H,W) but has shape " + shape_string(t.shape));
    if (t.numel() < 0 || int64_t(t.data.size()) != t.numel())
        return error_status(std::string(op) + ": input holds " + to_string(t.data.size()) + " values but its shape " +
                            shape_string(t.shape) + " needs " + to_string(t.numel()));
    return ok_status();
}

static Status check_pool_tensor(const Tensor& inp, const Pool2dSpec& spec, const char* op) {
    if (Status s = check_image(inp, op); !s.ok()) return s;
    if (spec.rows.kernel < 1 || spec.cols.kernel < 1)
        return error_status(std::string(op) + ": the window must be at least 1x1 (it is " + to_string(spec.rows.kernel) + "x" +
                            to_string(spec.cols.kernel) + ")");
    return check_pool2d(inp.shape, spec, op);
}

static std::vector<int> pooled_shape(const Tensor& inp, const Pool2dSpec& spec) {
    return {inp.shape[0], inp.shape[1], int(conv_output_size(inp.shape[2], spec.rows)), int(conv_output_size(inp.shape[3], spec.cols))};
}

Status maxpool2d(Tensor& out, std::vector<int32_t>& argmax, const Tensor& inp, const Pool2dSpec& spec) {
    if (Status s = check_pool_tensor(inp, spec, "max pooling"); !s.ok()) return s;
    Tensor result;
    if (Status s = make_tensor(result, pooled_shape(inp, spec)); !s.ok()) return s;
    std::vector<int32_t> winners(result.data.size(), -1);  // (N,C,OH,OW)
    maxpool2d_forward_naive(result.data.data(), winners.data(), inp.data.data(), inp.shape[0], inp.shape[1], inp.shape[2],
                            inp.shape[3], spec);
    out = std::move(result);
    argmax = std::move(winners);
    return ok_status();
}

Status avgpool2d(Tensor& out, const Tensor& inp, const Pool2dSpec& spec) {
    if (spec.rows.dilation != 1 || spec.cols.dilation != 1)
        return error_status("average pooling: dilation must be 1 (it is " + to_string(spec.rows.dilation) + " x " +
                            to_string(spec.cols.dilation) + ")");
    if (Status s = check_pool_tensor(inp, spec, "average pooling"); !s.ok()) return s;
    Tensor result;
    if (Status s = make_tensor(result, pooled_shape(inp, spec)); !s.ok()) return s;
    avgpool2d_forward(result.data.data(), inp.data.data(), inp.shape[0], inp.shape[1], inp.shape[2], inp.shape[3], spec);
    out = std::move(result);
    return ok_status();
}

Status global_avgpool(Tensor& out, const Tensor& inp) {
    if (Status s = check_image(inp, "global average pooling"); !s.ok()) return s;
    if (inp.shape[2] < 1 || inp.shape[3] < 1)
        return error_status("global average pooling: the input " + shape_string(inp.shape) + " has no pixels to average");
    Tensor result;
    if (Status s = make_tensor(result, {inp.shape[0], inp.shape[1], 1, 1}); !s.ok()) return s;
    global_avgpool_forward(result.data.data(), inp.data.data(), inp.shape[0], inp.shape[1], inp.shape[2] * inp.shape[3]);
    out = std::move(result);
    return ok_status();
}

Status pool2d_window(std::vector<PoolTerm>& terms, const Tensor& inp, const Pool2dSpec& spec, int n, int c, int oy, int ox) {
    if (Status s = check_pool_tensor(inp, spec, "pooling window"); !s.ok()) return s;
    const int N = inp.shape[0], C = inp.shape[1], H = inp.shape[2], W = inp.shape[3];
    const int64_t OH = conv_output_size(H, spec.rows), OW = conv_output_size(W, spec.cols);
    if (n < 0 || n >= N || c < 0 || c >= C || oy < 0 || oy >= OH || ox < 0 || ox >= OW)
        return error_status("pooling window: output (" + to_string(n) + "," + to_string(c) + "," + to_string(oy) + "," +
                            to_string(ox) + ") is outside the output (" + to_string(N) + "," + to_string(C) + "," +
                            to_string(OH) + "," + to_string(OW) + ")");
    const float* plane = inp.data.data() + (int64_t(n) * C + c) * H * W;  // (H,W)
    std::vector<PoolTerm> result;
    for (int ky = 0; ky < spec.rows.kernel; ky++)
        for (int kx = 0; kx < spec.cols.kernel; kx++) {
            PoolTerm t;
            t.ky = ky;
            t.kx = kx;
            t.iy = oy * spec.rows.stride - spec.rows.pad_before + ky * spec.rows.dilation;
            t.ix = ox * spec.cols.stride - spec.cols.pad_before + kx * spec.cols.dilation;
            t.padding = t.iy < 0 || t.iy >= H || t.ix < 0 || t.ix >= W;
            t.input = t.padding ? 0.0f : plane[t.iy * W + t.ix];
            result.push_back(t);
        }
    terms = std::move(result);
    return ok_status();
}

Status shift2d(Tensor& out, const Tensor& inp, int dy, int dx) {
    if (Status s = check_image(inp, "shift"); !s.ok()) return s;
    Tensor result;
    if (Status s = make_tensor(result, inp.shape); !s.ok()) return s;
    const int H = inp.shape[2], W = inp.shape[3];
    for (int64_t plane = 0; plane < int64_t(inp.shape[0]) * inp.shape[1]; plane++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                const int64_t sy = int64_t(y) - dy, sx = int64_t(x) - dx;  // where this pixel comes from
                if (sy >= 0 && sy < H && sx >= 0 && sx < W) result.data[size_t((plane * H + y) * W + x)] = inp.data[size_t((plane * H + sy) * W + sx)];
            }
    out = std::move(result);
    return ok_status();
}
