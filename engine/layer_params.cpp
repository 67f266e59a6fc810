#include "layer_params.h"

#include <limits>
#include <string>

using std::to_string;

// a * b for counts >= 0, or -1 when the product would pass int64's range
static int64_t times(int64_t a, int64_t b) {
    if (a < 0 || b < 0) return -1;
    if (b != 0 && a > std::numeric_limits<int64_t>::max() / b) return -1;
    return a * b;
}

static Status fill(LayerParams& out, std::vector<int> weight_shape, int bias_size, bool bias, const char* what) {
    LayerParams p;
    p.weights = 1;
    for (int d : weight_shape) p.weights = times(p.weights, d);
    p.weight_shape = std::move(weight_shape);
    if (bias) {
        p.bias_shape = {bias_size};
        p.biases = bias_size;
    }
    if (p.weights < 0 || p.weights > std::numeric_limits<int64_t>::max() - p.biases)
        return error_status(std::string(what) + ": too many parameters to count (weight shape " + shape_string(p.weight_shape) + ")");
    p.total = p.weights + p.biases;
    out = std::move(p);
    return ok_status();
}

Status conv2d_params(LayerParams& out, int in_channels, int out_channels, int KH, int KW, int groups, bool bias) {
    if (in_channels < 1 || out_channels < 1)
        return error_status("conv2d: a layer needs at least one input and one output channel (it has " + to_string(in_channels) +
                            " in, " + to_string(out_channels) + " out)");
    if (KH < 1 || KW < 1) return error_status("conv2d: the kernel must be at least 1x1 (it is " + to_string(KH) + "x" + to_string(KW) + ")");
    if (groups < 1 || in_channels % groups || out_channels % groups)
        return error_status("conv2d: " + to_string(groups) + " groups must divide both the " + to_string(in_channels) +
                            " input channels and the " + to_string(out_channels) + " output channels");
    return fill(out, {out_channels, in_channels / groups, KH, KW}, out_channels, bias, "conv2d");
}

Status linear_params(LayerParams& out, int in_features, int out_features, bool bias) {
    if (in_features < 1 || out_features < 1)
        return error_status("linear: a layer needs at least one input and one output (it has " + to_string(in_features) + " in, " +
                            to_string(out_features) + " out)");
    return fill(out, {out_features, in_features}, out_features, bias, "linear");
}

Status conv2d_output_shape(std::vector<int>& out_shape, const std::vector<int>& inp, int out_channels, const Conv2dSpec& spec) {
    if (inp.size() != 4) return error_status("conv2d: input must have 4 axes (N,C,H,W) but has shape " + shape_string(inp));
    const int groups = spec.groups < 1 ? 1 : spec.groups;
    const std::vector<int> weight = {out_channels, inp[1] / groups, spec.rows.kernel, spec.cols.kernel};
    const std::vector<int> bias = {out_channels};
    if (Status s = check_conv2d(inp, weight, &bias, spec); !s.ok()) return s;
    out_shape = {inp[0], out_channels, int(conv_output_size(inp[2], spec.rows)), int(conv_output_size(inp[3], spec.cols))};
    return ok_status();
}
