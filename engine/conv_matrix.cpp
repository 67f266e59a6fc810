#include "conv_matrix.h"

#include <string>

#include "conv_arithmetic.h"
#include "ops.h"

using std::to_string;

// Shapes and geometry of a one-channel convolution over (H, W) with weight (KH, KW); the taps of each axis.
static Status check_plane(std::vector<int>& taps_rows, std::vector<int>& taps_cols, size_t weight_values, int H, int W,
                          const Conv2dSpec& spec, const char* op) {
    const int KH = spec.rows.kernel, KW = spec.cols.kernel;
    if (KH < 1 || KW < 1 || int64_t(weight_values) != int64_t(KH) * KW)
        return error_status(std::string(op) + ": the kernel has " + to_string(weight_values) + " weights but the settings say " +
                            to_string(KH) + "x" + to_string(KW));
    if (spec.groups != 1) return error_status(std::string(op) + ": one channel only, so groups must be 1");
    if (Status s = check_conv2d({1, 1, H, W}, {1, 1, KH, KW}, nullptr, spec); !s.ok()) return s;
    if (Status s = conv_axis_taps(taps_rows, H, spec.rows, "rows"); !s.ok()) return s;
    return conv_axis_taps(taps_cols, W, spec.cols, "columns");
}

Status conv2d_matrix(std::vector<float>& C, std::vector<int>& tap, const std::vector<float>& weight, int H, int W,
                     const Conv2dSpec& spec) {
    std::vector<int> taps_rows, taps_cols;  // (OH, KH), (OW, KW): input row / column each tap reads
    if (Status s = check_plane(taps_rows, taps_cols, weight.size(), H, W, spec, "conv2d_matrix"); !s.ok()) return s;
    const int KH = spec.rows.kernel, KW = spec.cols.kernel;
    const int OH = int(taps_rows.size()) / KH, OW = int(taps_cols.size()) / KW;
    const int rows = OH * OW, cols = H * W;
    if (shape_numel({rows, cols}) < 0)
        return error_status("conv2d_matrix: the matrix would be " + to_string(rows) + " x " + to_string(cols) + ", too large");
    std::vector<float> matrix(size_t(rows) * size_t(cols), 0.0f);  // C (OH*OW, H*W)
    std::vector<int> which(size_t(rows) * size_t(cols), -1);       // tap (OH*OW, H*W)
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int ky = 0; ky < KH; ky++) {
                const int iy = taps_rows[size_t(oy * KH + ky)];
                if (iy < 0 || iy >= H) continue;  // a padding row: multiplies a zero, no column of x
                for (int kx = 0; kx < KW; kx++) {
                    const int ix = taps_cols[size_t(ox * KW + kx)];
                    if (ix < 0 || ix >= W) continue;
                    const int w_at = spec.flip ? (KH - 1 - ky) * KW + (KW - 1 - kx) : ky * KW + kx;
                    const size_t at = size_t(oy * OW + ox) * size_t(cols) + size_t(iy * W + ix);
                    matrix[at] = weight[size_t(w_at)];
                    which[at] = w_at;
                }
            }
    C = std::move(matrix);
    tap = std::move(which);
    return ok_status();
}

Status conv1d_matrix(std::vector<float>& C, std::vector<int>& tap, const std::vector<float>& weight, int L,
                     const ConvAxis& axis, bool flip) {
    Conv2dSpec spec;  // a conv2d whose rows axis has one value and a 1-tap kernel, as conv1d() is
    spec.cols = axis;
    spec.flip = flip;
    return conv2d_matrix(C, tap, weight, 1, L, spec);
}

Status im2col(std::vector<float>& patches, std::vector<int>& source, const std::vector<float>& inp, int H, int W,
              const Conv2dSpec& spec) {
    std::vector<int> taps_rows, taps_cols;  // (OH, KH), (OW, KW)
    const int KH = spec.rows.kernel, KW = spec.cols.kernel;
    if (Status s = check_plane(taps_rows, taps_cols, size_t(int64_t(KH) * KW), H, W, spec, "im2col"); !s.ok()) return s;
    if (int64_t(inp.size()) != int64_t(H) * W)
        return error_status("im2col: the input has " + to_string(inp.size()) + " values but " + to_string(H) + "x" +
                            to_string(W) + " needs " + to_string(int64_t(H) * W));
    const int OH = int(taps_rows.size()) / KH, OW = int(taps_cols.size()) / KW;
    if (shape_numel({OH * OW, KH * KW}) < 0) return error_status("im2col: the patches would be too large");
    std::vector<float> values(size_t(OH * OW) * size_t(KH * KW), 0.0f);  // patches (OH*OW, KH*KW)
    std::vector<int> from(values.size(), -1);                            // source (OH*OW, KH*KW)
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int ky = 0; ky < KH; ky++)
                for (int kx = 0; kx < KW; kx++) {
                    const int iy = taps_rows[size_t(oy * KH + ky)], ix = taps_cols[size_t(ox * KW + kx)];
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;  // padding zero
                    const size_t at = size_t(oy * OW + ox) * size_t(KH * KW) + size_t(ky * KW + kx);
                    values[at] = inp[size_t(iy * W + ix)];
                    from[at] = iy * W + ix;
                }
    patches = std::move(values);
    source = std::move(from);
    return ok_status();
}

void matrix_times_vector(float* y, const float* M, const float* v, int rows, int cols) {
    // F.linear with one sample: y (1, rows) = v (1, cols) @ M^T
    linear_forward_naive(y, v, M, nullptr, 1, cols, rows);
}

void matrix_transposed_times_vector(float* x, const float* M, const float* u, int rows, int cols) {
    // linear's input gradient: x (1, cols) += u (1, rows) @ M
    for (int i = 0; i < cols; i++) x[i] = 0.0f;
    linear_backward(x, nullptr, nullptr, u, nullptr, M, 1, cols, rows);
}

ConvMatrixCounts conv_matrix_counts(const std::vector<int>& tap, int rows, int cols, int kernel_taps) {
    ConvMatrixCounts counts;
    counts.dense = int64_t(rows) * cols;
    for (int t : tap) counts.nonzero += t >= 0;
    counts.window = int64_t(rows) * kernel_taps;
    return counts;
}
