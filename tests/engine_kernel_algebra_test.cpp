// engine_kernel_algebra_test.cpp — two stacked convolutions are one (compose_kernels), checked by
// hand and against the engine's own conv2d on random cases; the least-squares kernel (fit_kernel)
// finds a kernel that made a picture back, and cannot undo a ReLU between two convolutions.
#include <doctest/doctest.h>

#include <cmath>

#include "../engine/conv.h"
#include "../engine/kernel_algebra.h"
#include "../engine/ops.h"
#include "../engine/random.h"
#include "test_util.h"

static Tensor as_grid(const Tensor& t) { return Tensor{{t.shape[t.dim() - 2], t.shape[t.dim() - 1]}, t.data}; }    // (1,1,H,W) -> (H,W)
static Tensor as_nchw(const Tensor& t) { return Tensor{{1, 1, t.shape[0], t.shape[1]}, t.data}; }                  // (H,W) -> (1,1,H,W)

// rows of numbers as a (rows, cols) grid (test_util's grid() makes (1,1,rows,cols))
static Tensor kernel2d(const std::vector<std::vector<float>>& rows) { return as_grid(grid(rows)); }

// valid cross-correlation of (H,W) by (KH,KW), with the engine's conv2d
static Tensor correlate(const Tensor& x, const Tensor& k) {
    Conv2dSpec spec;
    spec.rows = make_conv_axis(x.shape[0], k.shape[0], 1, 1, PaddingMode::valid, 0);
    spec.cols = make_conv_axis(x.shape[1], k.shape[1], 1, 1, PaddingMode::valid, 0);
    Tensor out;
    REQUIRE(conv2d(out, as_nchw(x), as_nchw(k), nullptr, spec).ok());
    return as_grid(out);
}

TEST_CASE("compose_kernels: the kernels multiplied like polynomials' coefficients") {
    Tensor k;
    // (1 + 2x)(3 + x + x^2) = 3 + (1 + 6)x + (1 + 2)x^2 + 2x^3
    REQUIRE(compose_kernels(k, kernel2d({{1, 2}}), kernel2d({{3, 1, 1}})).ok());
    check_tensor(k, {1, 4}, {3, 7, 3, 2});
    // 2D: [[1],[1]] (a vertical pair) then [[1, -1]] (right minus left): [[1,-1],[1,-1]]
    REQUIRE(compose_kernels(k, kernel2d({{1}, {1}}), kernel2d({{1, -1}})).ok());
    check_tensor(k, {2, 2}, {1, -1, 1, -1});
    // a 3x3 after a 3x3 is a 5x5: two box blurs of ones make 1, 2, 3, 2, 1 times 1, 2, 3, 2, 1
    REQUIRE(compose_kernels(k, kernel2d({{1, 1, 1}, {1, 1, 1}, {1, 1, 1}}), kernel2d({{1, 1, 1}, {1, 1, 1}, {1, 1, 1}})).ok());
    CHECK(k.shape == std::vector<int>{5, 5});
    CHECK(k.data[0] == 1);    // 1 * 1
    CHECK(k.data[12] == 9);   // the middle: 3 * 3
    CHECK(k.data[7] == 6);    // [1, 2]: 2 * 3
    Tensor untouched = k;
    const Status bad = compose_kernels(k, Tensor{{3}, {1, 2, 3}}, kernel2d({{1}}));
    CHECK_FALSE(bad.ok());
    CHECK(bad.message.find("must be grids") != std::string::npos);
    CHECK(k == untouched);
}

TEST_CASE("compose_kernels equals two stacked conv2d, 40 random cases") {
    Rng rng(20);
    double worst = 0;
    for (int t = 0; t < 40; t++) {
        const int KH1 = rng.uniform_int(1, 4), KW1 = rng.uniform_int(1, 4), KH2 = rng.uniform_int(1, 4), KW2 = rng.uniform_int(1, 4);
        const int H = KH1 + KH2 - 2 + rng.uniform_int(1, 8), W = KW1 + KW2 - 2 + rng.uniform_int(1, 8);
        const Tensor x{{H, W}, random_vec(size_t(H * W), rng)}, k1{{KH1, KW1}, random_vec(size_t(KH1 * KW1), rng)},
            k2{{KH2, KW2}, random_vec(size_t(KH2 * KW2), rng)};
        Tensor k;
        REQUIRE(compose_kernels(k, k1, k2).ok());
        const Tensor two = correlate(correlate(x, k1), k2), one = correlate(x, k);
        REQUIRE(two.shape == one.shape);
        worst = std::max(worst, max_abs_diff(two.data, one.data));
    }
    MESSAGE("two stacked conv2d vs one with the composed kernel: largest difference " << worst);
    CHECK(worst < 1e-5);
}

TEST_CASE("fit_kernel finds the kernel that made a picture, and cannot undo a ReLU between two kernels") {
    Rng rng(21);
    const int H = 16, W = 16;
    const Tensor x{{H, W}, random_vec(size_t(H * W), rng, 0, 1)};
    const Tensor k = kernel2d({{1, 0, -1}, {2, 0, -2}, {1, 0, -1}});
    Tensor found;
    double rms = 1;
    REQUIRE(fit_kernel(found, rms, x, correlate(x, k), 3, 3).ok());
    CHECK(max_abs_diff(found.data, k.data) < 1e-3);
    CHECK(rms < 1e-4);
    // Sobel x, ReLU, then Sobel y: no 5x5 kernel does that; the best one misses by a clear margin
    const Tensor k2 = kernel2d({{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}});
    Tensor middle = correlate(x, k);
    const double scale = [&] { double s = 0; for (float v : correlate(middle, k2).data) s += double(v) * v; return std::sqrt(s / 144); }();
    relu_forward(middle.data.data(), middle.data.data(), middle.numel());
    const Tensor target = correlate(middle, k2);
    REQUIRE(fit_kernel(found, rms, x, target, 5, 5).ok());
    MESSAGE("with a ReLU between: the best 5x5 kernel's rms error " << rms << " (the linear stack's output rms " << scale << ")");
    CHECK(rms > 0.1 * scale);
    // and without the ReLU the same fit is exact: the composed kernel
    Tensor composed;
    REQUIRE(compose_kernels(composed, k, k2).ok());
    REQUIRE(fit_kernel(found, rms, x, correlate(correlate(x, k), k2), 5, 5).ok());
    CHECK(max_abs_diff(found.data, composed.data) < 1e-3);
    CHECK(rms < 1e-4);
    // bad shapes: a message, nothing written
    const Tensor before = found;
    Status s = fit_kernel(found, rms, x, target, 20, 3);
    CHECK(s.message.find("does not fit") != std::string::npos);
    s = fit_kernel(found, rms, x, Tensor{{3, 3}, std::vector<float>(9)}, 5, 5);
    CHECK(s.message.find("the target must be (12,12)") != std::string::npos);
    Tensor nan_picture = x;
    nan_picture.data[7] = NAN;
    s = fit_kernel(found, rms, nan_picture, target, 5, 5);
    CHECK(s.message.find("must hold finite numbers") != std::string::npos);
    CHECK(found == before);
    // an all-black picture: every kernel gives 0, the zero kernel is the one returned, missing by the target's rms
    REQUIRE(fit_kernel(found, rms, Tensor{{H, W}, std::vector<float>(size_t(H * W), 0.0f)}, target, 5, 5).ok());
    CHECK(max_abs_diff(found.data, std::vector<float>(25, 0.0f)) == 0);
    double target_rms = 0;
    for (float v : target.data) target_rms += double(v) * v;
    CHECK(rms == doctest::Approx(std::sqrt(target_rms / 144)));
}
