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

TEST_CASE("a strided conv2d through its input's phases: by hand, and equal to the reference path in 300 random settings") {
    // 4x4 input 1..16, a 2x2 kernel of ones, stride 2: each output is one 2x2 block's sum
    //   1+2+5+6 = 14, 3+4+7+8 = 22, 9+10+13+14 = 46, 11+12+15+16 = 54
    std::vector<float> x(16), w(4, 1.0f), out(4);
    for (int i = 0; i < 16; i++) x[size_t(i)] = float(i + 1);
    Conv2dSpec two;
    two.rows = two.cols = conv_axis(2, 2, 0, 1);
    conv2d_forward(out.data(), x.data(), w.data(), nullptr, 1, 1, 4, 4, 1, two);
    CHECK(out == std::vector<float>{14, 22, 46, 54});
    Rng rng(21);
    double worst = 0;
    int compared = 0;
    for (int trial = 0; trial < 300; trial++) {
        const int N = rng.uniform_int(1, 2), G = rng.uniform_int(1, 3), C = G * rng.uniform_int(1, 3), OC = G * rng.uniform_int(1, 9);
        const int H = rng.uniform_int(1, 17), W = rng.uniform_int(1, 17);
        Conv2dSpec spec;
        spec.groups = G;
        spec.flip = rng.uniform_int(0, 3) == 0;
        ConvAxis* axes[2] = {&spec.rows, &spec.cols};
        for (int a = 0; a < 2; a++) {
            axes[a]->kernel = rng.uniform_int(1, 11);
            axes[a]->dilation = rng.uniform_int(0, 3) == 0 ? 2 : 1;
            axes[a]->stride = rng.uniform_int(1, 4);
            axes[a]->pad_before = rng.uniform_int(0, 5);
            axes[a]->pad_after = rng.uniform_int(0, 5);
        }
        if (spec.rows.stride == 1 && spec.cols.stride == 1) spec.rows.stride = 2;
        if (!check_conv2d({N, C, H, W}, {OC, C / G, spec.rows.kernel, spec.cols.kernel}, nullptr, spec).ok()) continue;
        const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
        std::vector<float> xs = random_vec(size_t(N) * C * H * W, rng), ws = random_vec(size_t(OC) * (C / G) * spec.rows.kernel * spec.cols.kernel, rng),
                           b = random_vec(size_t(OC), rng);
        std::vector<float> out_ref(size_t(N) * OC * OH * OW), out_fast(out_ref.size());
        conv2d_forward_naive(out_ref.data(), xs.data(), ws.data(), b.data(), N, C, H, W, OC, spec);
        conv2d_forward(out_fast.data(), xs.data(), ws.data(), b.data(), N, C, H, W, OC, spec);
        const double d = relative_diff(out_fast, out_ref);
        INFO("trial " << trial << ": N" << N << " C" << C << " OC" << OC << " " << H << "x" << W << " kernel " << spec.rows.kernel << "x"
                      << spec.cols.kernel << " stride " << spec.rows.stride << "," << spec.cols.stride << " dilation " << spec.rows.dilation
                      << "," << spec.cols.dilation << " groups " << G << " flip " << spec.flip << ": relative difference " << d);
        CHECK(d < 1e-5);
        worst = std::fmax(worst, d);
        compared++;
    }
    CHECK(compared >= 100);
    MESSAGE("strided conv2d through phases vs reference: largest relative difference " << worst << " over " << compared << " settings");
}

TEST_CASE("Winograd F(2x2,3x3) conv2d equals the reference path: forward, input and weight gradients, 60 random settings") {
    Rng rng(13);
    double worst = 0;
    for (int trial = 0; trial < 60; trial++) {
        // channel counts across the register blocks' edges (8, 16 per block), odd output sizes (tiles
        // sticking out), any padding (0 to 3 each side: past 2 the input gradient takes the reference path), either orientation
        const int N = rng.uniform_int(1, 3), C = rng.uniform_int(8, 40), OC = rng.uniform_int(8, 40);
        const int H = rng.uniform_int(3, 12), W = rng.uniform_int(3, 12);
        Conv2dSpec spec;
        spec.flip = rng.uniform_int(0, 1);
        spec.rows = {3, 1, 1, rng.uniform_int(0, 3), rng.uniform_int(0, 3)};
        spec.cols = {3, 1, 1, rng.uniform_int(0, 3), rng.uniform_int(0, 3)};
        if (!check_conv2d({N, C, H, W}, {OC, C, 3, 3}, nullptr, spec).ok()) continue;
        REQUIRE(conv_winograd_applies(C, OC, spec));
        const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
        const size_t out_n = size_t(N) * OC * OH * OW;
        std::vector<float> x = random_vec(size_t(N) * C * H * W, rng), w = random_vec(size_t(OC) * C * 9, rng),
                           b = random_vec(size_t(OC), rng), dout = random_vec(out_n, rng);
        std::vector<float> out_ref(out_n), out_w(out_n);
        conv2d_forward_naive(out_ref.data(), x.data(), w.data(), b.data(), N, C, H, W, OC, spec);
        conv2d_forward_winograd(out_w.data(), x.data(), w.data(), b.data(), N, C, H, W, OC, spec, false);
        // the gradients through conv2d_backward (which turns the kernel around for the input
        // gradient's Winograd pass); all add to what is there
        std::vector<float> dx_ref(x.size(), 0.5f), dw_ref(w.size(), 0.5f), db_ref(b.size(), 0.5f);
        std::vector<float> dx_w = dx_ref, dw_w = dw_ref, db_w = db_ref;
        conv2d_backward_naive(dx_ref.data(), dw_ref.data(), db_ref.data(), dout.data(), x.data(), w.data(), N, C, H, W, OC, spec);
        conv2d_backward(dx_w.data(), dw_w.data(), db_w.data(), dout.data(), x.data(), w.data(), N, C, H, W, OC, spec);
        for (double d : {relative_diff(out_w, out_ref), relative_diff(dx_w, dx_ref), relative_diff(dw_w, dw_ref),
                         relative_diff(db_w, db_ref)}) {
            INFO("trial " << trial << ": N" << N << " C" << C << " OC" << OC << " " << H << "x" << W << " padding " << spec.rows.pad_before
                          << "," << spec.rows.pad_after << "/" << spec.cols.pad_before << "," << spec.cols.pad_after << " flip "
                          << spec.flip << ": relative difference " << d);
            CHECK(d < 1e-5);
            worst = std::fmax(worst, d);
        }
    }
    MESSAGE("Winograd conv2d vs reference: largest relative difference " << worst);
}

TEST_CASE("Winograd on a hand-checked case: a 4x4 input of 8 channels, one tile of 2x2 outputs") {
    // input channel c holds the values v + c at v = 0..15 (row by row); every kernel is all ones,
    // except that output channel 1's kernels hold only a centre 1. No padding: outputs 2x2.
    const int C = 8, OC = 8;
    std::vector<float> x(size_t(C) * 16), w(size_t(OC) * C * 9, 1.0f);
    for (int c = 0; c < C; c++)
        for (int v = 0; v < 16; v++) x[size_t(c) * 16 + v] = float(v + c);
    for (int c = 0; c < C; c++)
        for (int t = 0; t < 9; t++) w[(size_t(1) * C + c) * 9 + t] = t == 4 ? 1.0f : 0.0f;
    Conv2dSpec spec;
    spec.rows = spec.cols = {3, 1, 1, 0, 0};
    std::vector<float> out(size_t(OC) * 4);
    conv2d_forward_winograd(out.data(), x.data(), w.data(), nullptr, 1, C, 4, 4, OC, spec, false);
    // output channel 0, top left: the 3x3 window of channel c sums 0+1+2+4+5+6+8+9+10 + 9c = 45 + 9c;
    // over c = 0..7: 8*45 + 9*28 = 612. One column right, each of the 9 values is 1 more: +9 per channel,
    // +72 in all: 684. One row down, each is 4 more: +36 per channel, +288: 900, and 972.
    CHECK(out[0] == doctest::Approx(612).epsilon(1e-6));
    CHECK(out[1] == doctest::Approx(684).epsilon(1e-6));
    CHECK(out[2] == doctest::Approx(900).epsilon(1e-6));
    CHECK(out[3] == doctest::Approx(972).epsilon(1e-6));
    // output channel 1, top left: the centres 5 + c over c = 0..7: 40 + 28 = 68; then 76, 100, 108 (+8 per column, +32 per row)
    CHECK(out[4] == doctest::Approx(68).epsilon(1e-6));
    CHECK(out[5] == doctest::Approx(76).epsilon(1e-6));
    CHECK(out[6] == doctest::Approx(100).epsilon(1e-6));
    CHECK(out[7] == doctest::Approx(108).epsilon(1e-6));
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
