// test_util.h — helpers shared by the doctest suites.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../engine/conv.h"
#include "../engine/random.h"
#include "../engine/tensor.h"

// Largest |a[i] - b[i]| (infinity when the sizes differ), so a failure reports how far off it was.
inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return INFINITY;
    double m = 0;
    for (size_t i = 0; i < a.size(); i++) m = std::fmax(m, std::fabs(double(a[i]) - double(b[i])));
    return m;
}

// Checks a tensor against expected shape and values; on failure prints shape and the largest difference.
inline void check_tensor(const Tensor& t, const std::vector<int>& shape, const std::vector<float>& expected,
                         double tolerance = 0.0) {
    INFO("shape " << shape_string(t.shape) << ", expected " << shape_string(shape));
    REQUIRE(t.shape == shape);
    double diff = max_abs_diff(t.data, expected);
    INFO("largest difference " << diff);
    CHECK(diff <= tolerance);
}

// A (1,1,rows,cols) tensor from rows of numbers: one single-channel image or kernel.
inline Tensor grid(const std::vector<std::vector<float>>& rows) {
    Tensor t;
    REQUIRE(tensor_from_rows(t, rows).ok());
    t.shape = {1, 1, t.shape[0], t.shape[1]};
    return t;
}

// A (1,1,L) tensor: one single-channel signal or 1D kernel.
inline Tensor row(const std::vector<float>& values) {
    Tensor t;
    t.shape = {1, 1, int(values.size())};
    t.data = values;
    return t;
}

// n values drawn uniformly from [lo, hi).
inline std::vector<float> random_vec(size_t n, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
    std::vector<float> v(n);
    for (float& x : v) x = lo + (hi - lo) * rng.uniform();
    return v;
}

// One axis of a convolution or pooling with the same padding on both sides.
inline ConvAxis conv_axis(int kernel, int stride, int pad, int dilation) {
    return make_conv_axis(0, kernel, stride, dilation, PaddingMode::number, pad);
}
