#include "conv_arithmetic.h"

using std::to_string;

Status conv_axis_taps(std::vector<int>& taps, int input, const ConvAxis& a, const char* axis_name) {
    if (Status s = check_conv_axis(input, a, axis_name); !s.ok()) return s;
    const int64_t O = conv_output_size(input, a);
    if (O * a.kernel > kMaxTensorElements) return error_status("the output would have too many " + std::string(axis_name));
    std::vector<int> result(size_t(O * a.kernel));  // (O, k)
    for (int64_t o = 0; o < O; o++)
        for (int j = 0; j < a.kernel; j++)
            result[size_t(o * a.kernel + j)] = int(o * a.stride - a.pad_before + int64_t(j) * a.dilation);
    taps = std::move(result);
    return ok_status();
}

// What a transposed convolution needs along one axis: sizes at least 1, padding not negative, and
// an output left after the padding is cropped.
static Status check_conv_transpose_axis(int input, const ConvAxis& a, const char* axis_name) {
    std::string axis = axis_name;
    if (input < 1) return error_status("the input has no " + axis + " (" + to_string(input) + ")");
    if (a.kernel < 1) return error_status("the kernel needs at least one " + axis.substr(0, axis.size() - 1) + " (it has " + to_string(a.kernel) + ")");
    if (a.stride < 1) return error_status("stride must be at least 1 (it is " + to_string(a.stride) + ")");
    if (a.dilation < 1) return error_status("dilation must be at least 1 (it is " + to_string(a.dilation) + "); 1 means the taps touch");
    if (a.pad_before < 0 || a.pad_after < 0)
        return error_status("padding cannot be negative (it is " + to_string(a.pad_before < 0 ? a.pad_before : a.pad_after) + ")");
    const int64_t uncropped = (int64_t(input) - 1) * a.stride + conv_window_span(a);  // (I-1)s + d(k-1) + 1
    const int64_t O = conv_transpose_output_size(input, a, 0);
    if (O < 1)
        return error_status("the transposed convolution spreads the input over " + to_string(uncropped) + " " + axis +
                            ", and the padding crops " + to_string(a.pad_before + a.pad_after) +
                            " of them away, so nothing is left: no output. Use less padding");
    if (uncropped * a.kernel > kMaxTensorElements || O > (int64_t(1) << 24))
        return error_status("the output would have too many " + axis);
    return ok_status();
}

Status conv_transpose_axis_targets(std::vector<int>& targets, int input, const ConvAxis& a, const char* axis_name) {
    if (Status s = check_conv_transpose_axis(input, a, axis_name); !s.ok()) return s;
    std::vector<int> result(size_t(int64_t(input) * a.kernel));  // (I, k)
    for (int64_t i = 0; i < input; i++)
        for (int j = 0; j < a.kernel; j++)
            result[size_t(i * a.kernel + j)] = int(i * a.stride - a.pad_before + int64_t(j) * a.dilation);
    targets = std::move(result);
    return ok_status();
}

void conv_transpose_axis_overlap(std::vector<int>& counts, const std::vector<int>& targets, int output) {
    counts.assign(size_t(output > 0 ? output : 0), 0);  // (O)
    for (int t : targets)
        if (t >= 0 && t < output) counts[size_t(t)]++;
}

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// "2*1" for equal padding, "0 + 1" for unequal.
static std::string padding_terms(const ConvAxis& a) {
    return a.pad_before == a.pad_after ? "2*" + to_string(a.pad_before)
                                       : to_string(a.pad_before) + " + " + to_string(a.pad_after);
}

std::string conv_output_size_formula(int input, const ConvAxis& a) {
    std::string s = "floor((" + to_string(input) + " + " + padding_terms(a) + " - " + to_string(a.dilation) + "*(" +
                    to_string(a.kernel) + "-1) - 1) / " + to_string(a.stride) + ") + 1";
    if (a.stride < 1) return s + ": stride must be at least 1";
    const int64_t top = int64_t(input) + a.pad_before + a.pad_after - int64_t(a.dilation) * (a.kernel - 1) - 1;
    const int64_t value = floor_div(top, a.stride) + 1;
    return s + " = " + to_string(value) + (value < 1 ? " (no output)" : "");
}

std::string conv_transpose_output_size_formula(int input, const ConvAxis& a) {
    std::string pad = "2*" + to_string(a.pad_before);
    if (a.pad_before != a.pad_after) {
        pad = to_string(a.pad_before) + " + " + to_string(a.pad_after) + ")";
        pad.insert(pad.begin(), '(');
    }
    const int64_t value = conv_transpose_output_size(input, a, 0);
    std::string s(1, '(');
    s += to_string(input) + "-1)*" + to_string(a.stride) + " - " + pad + " + " + to_string(a.dilation) + "*(" +
         to_string(a.kernel) + "-1) + 1 = " + to_string(value);
    if (value < 1) s += " (no output)";
    return s;
}

std::string valid_output_size_formula(int input, int kernel) {
    const int64_t value = int64_t(input) - kernel + 1;
    return "Y = I - k + 1 = " + to_string(input) + " - " + to_string(kernel) + " + 1 = " + to_string(value) +
           (value < 1 ? " (no output)" : "");
}
