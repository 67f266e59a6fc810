// The Fourier transform against its definition, and convolution through it against the direct sum.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "../engine/fft.h"
#include "../engine/random.h"

namespace {

double max_abs_diff(const std::vector<Complex>& a, const std::vector<Complex>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); i++) m = std::fmax(m, std::abs(a[i] - b[i]));
    return m;
}
double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); i++) m = std::fmax(m, std::fabs(a[i] - b[i]));
    return m;
}
std::vector<double> random_list(int n, Rng& rng) {
    std::vector<double> v(static_cast<size_t>(n));
    for (double& x : v) x = 2 * rng.uniform() - 1;
    return v;
}

}  // namespace

TEST_CASE("fft: small transforms by hand") {
    // [1, 2, 3, 4]: X[0] = 10; X[1] = 1 - 2i - 3 + 4i = -2 + 2i; X[2] = 1 - 2 + 3 - 4 = -2; X[3] = -2 - 2i
    std::vector<Complex> x = {1, 2, 3, 4};
    fft(x.data(), 4, false);
    const std::vector<Complex> want = {{10, 0}, {-2, 2}, {-2, 0}, {-2, -2}};
    INFO("largest difference " << max_abs_diff(x, want));
    CHECK(max_abs_diff(x, want) < 1e-12);
    // length 3 (Bluestein): [1, 1, 1] -> [3, 0, 0]; length 1: itself
    std::vector<Complex> ones = {1, 1, 1};
    fft(ones.data(), 3, false);
    CHECK(max_abs_diff(ones, {{3, 0}, {0, 0}, {0, 0}}) < 1e-12);
    std::vector<Complex> one = {{2.5, -1}};
    fft(one.data(), 1, false);
    CHECK(one[0] == Complex(2.5, -1));
}

TEST_CASE("fft: any length against the definition, and back") {
    Rng rng(7);
    for (int N : {1, 2, 3, 5, 7, 8, 12, 13, 16, 31, 64, 97, 100, 127, 128, 255}) {
        std::vector<Complex> x(static_cast<size_t>(N)), want(static_cast<size_t>(N));
        for (Complex& v : x) v = Complex(2 * rng.uniform() - 1, 2 * rng.uniform() - 1);
        dft_naive(want.data(), x.data(), N, false);
        std::vector<Complex> got = x;
        fft(got.data(), N, false);
        INFO("N = " << N << ": largest difference to the definition " << max_abs_diff(got, want));
        CHECK(max_abs_diff(got, want) < 1e-10 * N);
        fft(got.data(), N, true);
        INFO("back: largest difference " << max_abs_diff(got, x));
        CHECK(max_abs_diff(got, x) < 1e-12 * N);
    }
}

TEST_CASE("convolution: polynomial multiplication, dice, and the Fourier route") {
    // (1 + 2x)(3 + x + x^2) = 3 + x + x^2 + 6x + 2x^2 + 2x^3 = 3 + 7x + 3x^2 + 2x^3
    const std::vector<double> p = {1, 2}, q = {3, 1, 1};
    std::vector<double> direct(4), fourier(4);
    convolve_direct(direct.data(), p.data(), 2, q.data(), 3);
    CHECK(direct == std::vector<double>{3, 7, 3, 2});
    convolve_fft(fourier.data(), p.data(), 2, q.data(), 3);
    CHECK(max_abs_diff(fourier, direct) < 1e-12);
    CHECK(convolve_fft_length(2, 3) == 4);
    // two dice: P(sum = s) for s = 2..12 is (6 - |s - 7|)/36
    const std::vector<double> die(6, 1.0 / 6);
    std::vector<double> sum(11);
    convolve_fft(sum.data(), die.data(), 6, die.data(), 6);
    for (int s = 2; s <= 12; s++) CHECK(sum[size_t(s - 2)] == doctest::Approx((6 - std::abs(s - 7)) / 36.0).epsilon(1e-12));
    // the count of multiplications: 2*3 directly; L = 4: 3 transforms of 4 (4 each) and 4 products, x4 real
    CHECK(convolve_direct_multiplications(2, 3) == 6);
    CHECK(convolve_fft_multiplications(2, 3) == 4 * (3 * 4 + 4));
}

TEST_CASE("convolution and correlation: the Fourier route equals the direct sum on random lengths") {
    Rng rng(11);
    for (const std::pair<int, int>& lengths : std::vector<std::pair<int, int>>{{1, 1}, {1, 5}, {2, 3}, {7, 3}, {13, 13}, {31, 5}, {97, 41}, {256, 1}, {500, 17}}) {
        const int n = lengths.first, m = lengths.second;  // (clang 14 cannot capture structured bindings, as doctest's INFO does)
        const std::vector<double> a = random_list(n, rng), b = random_list(m, rng);
        std::vector<double> direct(size_t(n + m - 1)), fourier(size_t(n + m - 1));
        convolve_direct(direct.data(), a.data(), n, b.data(), m);
        convolve_fft(fourier.data(), a.data(), n, b.data(), m);
        INFO("n = " << n << ", m = " << m << ": largest difference " << max_abs_diff(fourier, direct));
        CHECK(max_abs_diff(fourier, direct) < 1e-12 * (n + m));
        if (m <= n) {
            std::vector<double> cd(size_t(n - m + 1)), cf(size_t(n - m + 1));
            correlate_direct(cd.data(), a.data(), n, b.data(), m);
            correlate_fft(cf.data(), a.data(), n, b.data(), m);
            INFO("correlation: largest difference " << max_abs_diff(cf, cd));
            CHECK(max_abs_diff(cf, cd) < 1e-12 * (n + m));
        }
    }
    // correlation by hand: [1, 2, 3, 4] with [1, -1] -> [1-2, 2-3, 3-4] = [-1, -1, -1]
    const std::vector<double> a = {1, 2, 3, 4}, b = {1, -1};
    std::vector<double> c(3);
    correlate_fft(c.data(), a.data(), 4, b.data(), 2);
    CHECK(max_abs_diff(c, {-1, -1, -1}) < 1e-12);
}

TEST_CASE("2D convolution: the Fourier route equals the direct sum, at the borders too") {
    Rng rng(3);
    const int cases[][3] = {{1, 1, 1}, {5, 7, 3}, {16, 9, 5}, {33, 20, 15}};  // H, W, K
    for (const auto& c : cases) {
        const int H = c[0], W = c[1], K = c[2];
        std::vector<float> img(size_t(H * W)), kernel(size_t(K * K)), direct(size_t(H * W)), fourier(size_t(H * W));
        for (float& v : img) v = rng.uniform();
        for (float& v : kernel) v = 2 * rng.uniform() - 1;
        convolve2d_direct(direct.data(), img.data(), H, W, kernel.data(), K, K);
        convolve2d_fft(fourier.data(), img.data(), H, W, kernel.data(), K, K);
        double diff = 0;
        for (size_t i = 0; i < direct.size(); i++) diff = std::fmax(diff, std::fabs(double(direct[i]) - fourier[i]));
        INFO(H << "x" << W << " with " << K << "x" << K << ": largest difference " << diff);
        CHECK(diff < 1e-5);
    }
    // a 3x3 picture with a one in the middle, convolved with a kernel: the kernel itself ("same", zero padding)
    const std::vector<float> impulse = {0, 0, 0, 0, 1, 0, 0, 0, 0}, k = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    std::vector<float> out(9);
    convolve2d_fft(out.data(), impulse.data(), 3, 3, k.data(), 3, 3);
    for (int i = 0; i < 9; i++) CHECK(out[size_t(i)] == doctest::Approx(k[size_t(i)]).epsilon(1e-6));
    // 256x256 with 31x31: 256*256*961 = 62,980,096 directly; 512x512 transforms through the Fourier domain
    CHECK(convolve2d_direct_multiplications(256, 256, 31, 31) == 62980096);
    CHECK(convolve2d_fft_multiplications(256, 256, 31, 31) < convolve2d_direct_multiplications(256, 256, 31, 31));
    CHECK(convolve2d_fft_multiplications(256, 256, 3, 3) > convolve2d_direct_multiplications(256, 256, 3, 3));
}
