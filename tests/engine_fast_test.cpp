// engine_fast_test.cpp — the fast paths against the reference paths beside them, on many shapes.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "../engine/conv.h"
#include "../engine/ops.h"
#include "test_util.h"

namespace {


// Largest |a - b| relative to the largest |b| (1 when b is all zeros).
double relative_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = 0, scale = 1e-6;
    for (size_t i = 0; i < a.size(); i++) {
        worst = std::fmax(worst, std::fabs(double(a[i]) - b[i]));
        scale = std::fmax(scale, std::fabs(b[i]));
    }
    return worst / scale;
}

}  // namespace

TEST_CASE("fast conv2d equals the reference path: forward and backward, 200 random settings") {
    Rng rng(11);
    double worst = 0;
    int fast_cases = 0;
    for (int trial = 0; trial < 200; trial++) {
        const int N = rng.uniform_int(1, 3), G = rng.uniform_int(1, 2), C = G * rng.uniform_int(1, 3);
        // output channels per group: any 1..10, or a multiple of 8 (whole vectors: the weight gradient's lanes-across-channels path)
        const int OC = G * (rng.uniform_int(0, 2) == 0 ? 8 * rng.uniform_int(1, 3) : rng.uniform_int(1, 10));
        const int H = rng.uniform_int(3, 13), W = rng.uniform_int(3, 13);
        Conv2dSpec spec;
        spec.groups = G;
        spec.flip = rng.uniform_int(0, 1);
        ConvAxis* axes[2] = {&spec.rows, &spec.cols};
        for (int a = 0; a < 2; a++) {
            axes[a]->kernel = rng.uniform_int(1, 4);
            axes[a]->dilation = rng.uniform_int(1, 2);
            axes[a]->stride = rng.uniform_int(0, 3) == 0 ? 2 : 1;  // mostly the fast path's stride 1
            axes[a]->pad_before = rng.uniform_int(0, 3);
            axes[a]->pad_after = rng.uniform_int(0, 3);
        }
        if (!check_conv2d({N, C, H, W}, {OC, C / G, spec.rows.kernel, spec.cols.kernel}, nullptr, spec).ok()) continue;
        fast_cases += spec.rows.stride == 1 && spec.cols.stride == 1;
        const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
        const size_t out_n = size_t(N) * OC * OH * OW;
        std::vector<float> x = random_vec(size_t(N) * C * H * W, rng), w = random_vec(size_t(OC) * (C / G) * spec.rows.kernel * spec.cols.kernel, rng),
                           b = random_vec(size_t(OC), rng), dout = random_vec(out_n, rng);
        std::vector<float> out_ref(out_n), out_fast(out_n);
        conv2d_forward_naive(out_ref.data(), x.data(), w.data(), b.data(), N, C, H, W, OC, spec);
        conv2d_forward(out_fast.data(), x.data(), w.data(), b.data(), N, C, H, W, OC, spec);
        // backward starts from non-zero gradients: both must add to them
        std::vector<float> dx_ref(x.size(), 0.5f), dw_ref(w.size(), 0.5f), db_ref(b.size(), 0.5f);
        std::vector<float> dx_fast = dx_ref, dw_fast = dw_ref, db_fast = db_ref;
        conv2d_backward_naive(dx_ref.data(), dw_ref.data(), db_ref.data(), dout.data(), x.data(), w.data(), N, C, H, W, OC, spec);
        conv2d_backward(dx_fast.data(), dw_fast.data(), db_fast.data(), dout.data(), x.data(), w.data(), N, C, H, W, OC, spec);
        for (double d : {relative_diff(out_fast, out_ref), relative_diff(dx_fast, dx_ref), relative_diff(dw_fast, dw_ref),
                         relative_diff(db_fast, db_ref)}) {
            INFO("trial " << trial << ": N" << N << " C" << C << " OC" << OC << " " << H << "x" << W << " kernel " << spec.rows.kernel
                          << "x" << spec.cols.kernel << " stride " << spec.rows.stride << "," << spec.cols.stride << " groups " << G
                          << " flip " << spec.flip << ": relative difference " << d);
            CHECK(d < 1e-5);
            worst = std::fmax(worst, d);
        }
    }
    CHECK(fast_cases >= 60);
    MESSAGE("fast conv2d vs reference: largest relative difference " << worst << " over " << fast_cases << " fast-path settings");
}

TEST_CASE("fast max pooling and linear equal their reference paths") {
    Rng rng(12);
    for (int trial = 0; trial < 50; trial++) {
        const int N = rng.uniform_int(1, 3), C = rng.uniform_int(1, 4), k = rng.uniform_int(1, 3);
        const int H = k * rng.uniform_int(1, 6) + rng.uniform_int(0, k - 1), W = k * rng.uniform_int(1, 6) + rng.uniform_int(0, k - 1);
        Pool2dSpec spec;
        spec.rows.kernel = spec.rows.stride = spec.cols.kernel = spec.cols.stride = k;
        const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
        std::vector<float> x = random_vec(size_t(N) * C * H * W, rng);
        for (size_t i = 0; i < x.size(); i += 3) x[i] = 0.25f;  // ties: the first maximum must win in both
        std::vector<float> out(size_t(N) * C * OH * OW), out_ref(out.size());
        std::vector<int32_t> arg(out.size()), arg_ref(out.size());
        maxpool2d_forward(out.data(), arg.data(), x.data(), N, C, H, W, spec);
        maxpool2d_forward_naive(out_ref.data(), arg_ref.data(), x.data(), N, C, H, W, spec);
        INFO("trial " << trial << ": " << H << "x" << W << " kernel " << k);
        CHECK(out == out_ref);
        CHECK(arg == arg_ref);

        const int IN = rng.uniform_int(1, 40), OUT = rng.uniform_int(1, 11);
        std::vector<float> a = random_vec(size_t(N) * IN, rng), w = random_vec(size_t(OUT) * IN, rng), b = random_vec(size_t(OUT), rng);
        std::vector<float> y(size_t(N) * OUT), y_ref(y.size());
        linear_forward(y.data(), a.data(), w.data(), b.data(), N, IN, OUT);
        linear_forward_naive(y_ref.data(), a.data(), w.data(), b.data(), N, IN, OUT);
        INFO("linear " << IN << " -> " << OUT << ": relative difference " << relative_diff(y, y_ref));
        CHECK(relative_diff(y, y_ref) < 1e-5);
    }
}
