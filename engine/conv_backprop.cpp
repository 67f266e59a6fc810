#include "conv_backprop.h"

#include <string>

using std::to_string;

namespace {

// Checks the shapes a term function is given: inp (N,C,H,W), weight (OC,C/G,KH,KW), dout (N,OC,OH,OW).
Status check_shapes(const std::vector<int>& dout, const std::vector<int>& inp, const std::vector<int>& weight,
                    const Conv2dSpec& spec) {
    if (Status s = check_conv2d(inp, weight, nullptr, spec); !s.ok()) return s;
    const std::vector<int> expected = {inp[0], weight[0], int(conv_output_size(inp[2], spec.rows)),
                                       int(conv_output_size(inp[3], spec.cols))};
    if (dout != expected)
        return error_status("the output's gradient is " + shape_string(dout) + " but the output is " + shape_string(expected));
    return ok_status();
}

// A tensor whose values do not fill its shape is a message, before anything reads them.
Status check_filled(const Tensor& t, const char* what) {
    if (shape_numel(t.shape) < 0 || int64_t(t.data.size()) != shape_numel(t.shape))
        return error_status(std::string(what) + " has shape " + shape_string(t.shape) + " but " + to_string(t.data.size()) + " values");
    return ok_status();
}

std::string at_string(int a, int b, int c, int d) {
    return "[" + to_string(a) + ", " + to_string(b) + ", " + to_string(c) + ", " + to_string(d) + "]";
}

}  // namespace

Status conv2d_dweight_terms(std::vector<GradTerm>& terms, const Tensor& dout, const Tensor& inp,
                            const std::vector<int>& weight_shape, const Conv2dSpec& spec, int oc, int c, int ky, int kx) {
    if (Status s = check_shapes(dout.shape, inp.shape, weight_shape, spec); !s.ok()) return s;
    if (Status s = check_filled(dout, "the output's gradient"); !s.ok()) return s;
    if (Status s = check_filled(inp, "the input"); !s.ok()) return s;
    const int N = inp.shape[0], C = inp.shape[1], H = inp.shape[2], W = inp.shape[3];
    const int OC = weight_shape[0], Cg = weight_shape[1], KH = weight_shape[2], KW = weight_shape[3];
    const int OH = dout.shape[2], OW = dout.shape[3];
    if (oc < 0 || oc >= OC || c < 0 || c >= Cg || ky < 0 || ky >= KH || kx < 0 || kx >= KW)
        return error_status("dweight" + at_string(oc, c, ky, kx) + " is outside the weight " + shape_string(weight_shape));
    const int group = oc / (OC / spec.groups);
    const int ci = group * Cg + c;  // the input channel this weight reads
    (void)C;
    // the tap of the window this stored weight sits at
    const int ty = spec.flip ? KH - 1 - ky : ky, tx = spec.flip ? KW - 1 - kx : kx;
    std::vector<GradTerm> out;
    for (int n = 0; n < N; n++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                const int iy = oy * spec.rows.stride - spec.rows.pad_before + ty * spec.rows.dilation;
                const int ix = ox * spec.cols.stride - spec.cols.pad_before + tx * spec.cols.dilation;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;  // padding: the product is 0
                GradTerm t;
                t.n = n, t.oc = oc, t.oy = oy, t.ox = ox, t.c = ci, t.iy = iy, t.ix = ix, t.ky = ky, t.kx = kx;
                t.dout = dout.data[size_t(((int64_t(n) * OC + oc) * OH + oy) * OW + ox)];
                t.factor = inp.data[size_t(((int64_t(n) * inp.shape[1] + ci) * H + iy) * W + ix)];
                t.product = t.dout * t.factor;
                out.push_back(t);
            }
    terms = std::move(out);
    return ok_status();
}

Status conv2d_dinput_terms(std::vector<GradTerm>& terms, const Tensor& dout, const Tensor& weight,
                           const std::vector<int>& inp_shape, const Conv2dSpec& spec, int n, int c, int iy, int ix) {
    if (Status s = check_shapes(dout.shape, inp_shape, weight.shape, spec); !s.ok()) return s;
    if (Status s = check_filled(dout, "the output's gradient"); !s.ok()) return s;
    if (Status s = check_filled(weight, "the weight"); !s.ok()) return s;
    const int N = inp_shape[0], C = inp_shape[1], H = inp_shape[2], W = inp_shape[3];
    const int OC = weight.shape[0], Cg = weight.shape[1], KH = weight.shape[2], KW = weight.shape[3];
    const int OH = dout.shape[2], OW = dout.shape[3];
    if (n < 0 || n >= N || c < 0 || c >= C || iy < 0 || iy >= H || ix < 0 || ix >= W)
        return error_status("dinp" + at_string(n, c, iy, ix) + " is outside the input " + shape_string(inp_shape));
    const int group = c / Cg, cg = c % Cg;     // the group this channel belongs to, and its index inside it
    const int OCg = OC / spec.groups;          // output channels per group
    std::vector<GradTerm> out;
    for (int oc = group * OCg; oc < (group + 1) * OCg; oc++)
        for (int ty = 0; ty < KH; ty++)
            for (int tx = 0; tx < KW; tx++) {
                // the output whose window puts tap (ty, tx) on (iy, ix): iy = oy*s - p + ty*d
                const int ny = iy + spec.rows.pad_before - ty * spec.rows.dilation;
                const int nx = ix + spec.cols.pad_before - tx * spec.cols.dilation;
                if (ny < 0 || nx < 0 || ny % spec.rows.stride || nx % spec.cols.stride) continue;
                const int oy = ny / spec.rows.stride, ox = nx / spec.cols.stride;
                if (oy >= OH || ox >= OW) continue;
                const int ky = spec.flip ? KH - 1 - ty : ty, kx = spec.flip ? KW - 1 - tx : tx;
                GradTerm t;
                t.n = n, t.oc = oc, t.oy = oy, t.ox = ox, t.c = c, t.iy = iy, t.ix = ix, t.ky = ky, t.kx = kx;
                t.dout = dout.data[size_t(((int64_t(n) * OC + oc) * OH + oy) * OW + ox)];
                t.factor = weight.data[size_t(((int64_t(oc) * Cg + cg) * KH + ky) * KW + kx)];
                t.product = t.dout * t.factor;
                out.push_back(t);
            }
    terms = std::move(out);
    return ok_status();
}

float half_squared_error_forward(const float* out, const float* target, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        const double e = double(out[i]) - double(target[i]);
        sum += e * e;
    }
    return float(0.5 * sum);
}

void half_squared_error_backward(float* dout, const float* out, const float* target, int64_t n) {
    for (int64_t i = 0; i < n; i++) dout[i] += out[i] - target[i];
}

double central_difference(const std::function<double()>& loss, float& value, float h) {
    const float kept = value;
    const float above = kept + h, below = kept - h;  // as floats hold them: the step actually taken
    value = above;
    const double up = loss();
    value = below;
    const double down = loss();
    value = kept;
    return (up - down) / (double(above) - double(below));
}
