#include "fft.h"

#include <algorithm>
#include <cmath>

namespace {

constexpr double kPi = 3.14159265358979323846;

int power_of_two_at_least(int n) {
    int p = 1;
    while (p < n) p <<= 1;
    return p;
}
int log2_of(int power_of_two) {
    int k = 0;
    while ((1 << k) < power_of_two) k++;
    return k;
}

// Radix-2 Cooley-Tukey, forward, N a power of two: the input put in bit-reversed order, then
// log2 N stages of butterflies, stage `len` combining transforms of len/2 into transforms of len.
void fft_power_of_two(Complex* a, int N) {
    for (int i = 1, j = 0; i < N; i++) {
        int bit = N >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) std::swap(a[i], a[j]);
    }
    std::vector<Complex> twiddle;  // (len/2): e^(-2 pi i k/len), each from its angle (no drift)
    for (int len = 2; len <= N; len <<= 1) {
        const int half = len / 2;
        twiddle.resize(size_t(half));
        for (int k = 0; k < half; k++) twiddle[size_t(k)] = std::polar(1.0, -2 * kPi * k / len);
        for (int i = 0; i < N; i += len)
            for (int k = 0; k < half; k++) {
                const Complex u = a[i + k], v = a[i + k + half] * twiddle[size_t(k)];
                a[i + k] = u + v;
                a[i + k + half] = u - v;
            }
    }
}

// Bluestein, forward, any N: with jk = (j^2 + k^2 - (k-j)^2) / 2 and the chirp c[j] = e^(-pi i j^2/N),
//   X[k] = c[k] * sum_j (x[j] c[j]) * conj(c[k-j]),
// a convolution, done with power-of-two transforms of M >= 2N-1 (the chirp runs from -(N-1) to N-1).
void fft_bluestein(Complex* x, int N) {
    const int M = power_of_two_at_least(2 * N - 1);
    std::vector<Complex> chirp(static_cast<size_t>(N));  // (N)
    for (int j = 0; j < N; j++) {
        const int64_t j2 = int64_t(j) * j % (2 * int64_t(N));  // e^(-pi i j^2/N) repeats every 2N in j^2
        chirp[size_t(j)] = std::polar(1.0, -kPi * double(j2) / N);
    }
    std::vector<Complex> a(static_cast<size_t>(M)), b(static_cast<size_t>(M));  // (M) each, zero beyond the lists
    for (int j = 0; j < N; j++) a[size_t(j)] = x[j] * chirp[size_t(j)];
    b[0] = std::conj(chirp[0]);
    for (int j = 1; j < N; j++) b[size_t(j)] = b[size_t(M - j)] = std::conj(chirp[size_t(j)]);  // conj(c[-j]) = conj(c[j])
    fft_power_of_two(a.data(), M);
    fft_power_of_two(b.data(), M);
    for (int i = 0; i < M; i++) a[size_t(i)] *= b[size_t(i)];
    fft(a.data(), M, /*inverse=*/true);
    for (int k = 0; k < N; k++) x[k] = chirp[size_t(k)] * a[size_t(k)];
}

// Full linear convolution of a (n) and b (m) through transforms of length L, as complex values.
std::vector<Complex> fourier_product(const double* a, int n, const double* b, int m, int L, bool conjugate_b) {
    std::vector<Complex> A(static_cast<size_t>(L)), B(static_cast<size_t>(L));  // (L) each, zero-padded
    for (int i = 0; i < n; i++) A[size_t(i)] = a[i];
    for (int i = 0; i < m; i++) B[size_t(i)] = b[i];
    fft(A.data(), L, false);
    fft(B.data(), L, false);
    for (int i = 0; i < L; i++) A[size_t(i)] *= conjugate_b ? std::conj(B[size_t(i)]) : B[size_t(i)];
    fft(A.data(), L, true);
    return A;
}

// The 2D transform of a (rows, cols) array in place: every row, then every column.
void fft2d(Complex* data, int rows, int cols, bool inverse) {
    for (int r = 0; r < rows; r++) fft(data + size_t(r) * size_t(cols), cols, inverse);
    std::vector<Complex> column(static_cast<size_t>(rows));  // (rows)
    for (int c = 0; c < cols; c++) {
        for (int r = 0; r < rows; r++) column[size_t(r)] = data[size_t(r) * size_t(cols) + size_t(c)];
        fft(column.data(), rows, inverse);
        for (int r = 0; r < rows; r++) data[size_t(r) * size_t(cols) + size_t(c)] = column[size_t(r)];
    }
}

}  // namespace

void dft_naive(Complex* out, const Complex* inp, int N, bool inverse) {
    const double sign = inverse ? 1 : -1;
    for (int k = 0; k < N; k++) {
        Complex sum = 0;
        for (int j = 0; j < N; j++) sum += inp[j] * std::polar(1.0, sign * 2 * kPi * double(int64_t(j) * k % N) / N);
        out[k] = inverse ? sum / double(N) : sum;
    }
}

void fft(Complex* data, int N, bool inverse) {
    if (N <= 1) return;  // the transform of one value is itself
    // the inverse is the forward transform of the conjugate, conjugated, divided by N
    if (inverse)
        for (int i = 0; i < N; i++) data[i] = std::conj(data[i]);
    if ((N & (N - 1)) == 0) fft_power_of_two(data, N);
    else fft_bluestein(data, N);
    if (inverse)
        for (int i = 0; i < N; i++) data[i] = std::conj(data[i]) / double(N);
}

int64_t fft_multiplications(int N) {
    if (N <= 1) return 0;
    if ((N & (N - 1)) == 0) return int64_t(N / 2) * log2_of(N);
    const int M = power_of_two_at_least(2 * N - 1);
    // x c; the transforms of a and b and the inverse; the pointwise product; c times the result
    return int64_t(N) + 3 * fft_multiplications(M) + M + N;
}

void convolve_direct(double* out, const double* a, int n, const double* b, int m) {
    for (int i = 0; i < n + m - 1; i++) out[i] = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) out[i + j] += a[i] * b[j];
}

int convolve_fft_length(int n, int m) { return power_of_two_at_least(n + m - 1); }

void convolve_fft(double* out, const double* a, int n, const double* b, int m) {
    const std::vector<Complex> c = fourier_product(a, n, b, m, convolve_fft_length(n, m), /*conjugate_b=*/false);
    for (int i = 0; i < n + m - 1; i++) out[i] = c[size_t(i)].real();
}

int64_t convolve_direct_multiplications(int n, int m) { return int64_t(n) * m; }

int64_t convolve_fft_multiplications(int n, int m) {
    const int L = convolve_fft_length(n, m);
    return 4 * (3 * fft_multiplications(L) + L);
}

void correlate_direct(double* out, const double* a, int n, const double* b, int m) {
    for (int i = 0; i <= n - m; i++) {
        double sum = 0;
        for (int j = 0; j < m; j++) sum += a[i + j] * b[j];
        out[i] = sum;
    }
}

void correlate_fft(double* out, const double* a, int n, const double* b, int m) {
    // A conj(B) is the circular cross-correlation; its lags 0 .. n-m never wrap (i + j <= n-1 < L)
    const std::vector<Complex> c = fourier_product(a, n, b, m, convolve_fft_length(n, m), /*conjugate_b=*/true);
    for (int i = 0; i <= n - m; i++) out[i] = c[size_t(i)].real();
}

void convolve2d_direct(float* out, const float* img, int H, int W, const float* kernel, int KH, int KW) {
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double sum = 0;
            for (int i = 0; i < KH; i++) {
                const int sy = y + KH / 2 - i;
                if (sy < 0 || sy >= H) continue;
                for (int j = 0; j < KW; j++) {
                    const int sx = x + KW / 2 - j;
                    if (sx >= 0 && sx < W) sum += double(img[size_t(sy) * size_t(W) + size_t(sx)]) * kernel[i * KW + j];
                }
            }
            out[size_t(y) * size_t(W) + size_t(x)] = float(sum);
        }
}

void convolve2d_fft(float* out, const float* img, int H, int W, const float* kernel, int KH, int KW) {
    const int PH = power_of_two_at_least(H + KH - 1), PW = power_of_two_at_least(W + KW - 1);
    std::vector<Complex> A(size_t(PH) * size_t(PW)), B(size_t(PH) * size_t(PW));  // (PH,PW) each, zero-padded
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) A[size_t(y) * size_t(PW) + size_t(x)] = img[size_t(y) * size_t(W) + size_t(x)];
    for (int i = 0; i < KH; i++)
        for (int j = 0; j < KW; j++) B[size_t(i) * size_t(PW) + size_t(j)] = kernel[i * KW + j];
    fft2d(A.data(), PH, PW, false);
    fft2d(B.data(), PH, PW, false);
    for (size_t i = 0; i < A.size(); i++) A[i] *= B[i];
    fft2d(A.data(), PH, PW, true);
    // the full convolution, cut to the picture's size around the kernel's centre
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            out[size_t(y) * size_t(W) + size_t(x)] = float(A[size_t(y + KH / 2) * size_t(PW) + size_t(x + KW / 2)].real());
}

int64_t convolve2d_direct_multiplications(int H, int W, int KH, int KW) { return int64_t(H) * W * KH * KW; }

int64_t convolve2d_fft_multiplications(int H, int W, int KH, int KW) {
    const int PH = power_of_two_at_least(H + KH - 1), PW = power_of_two_at_least(W + KW - 1);
    const int64_t transform = int64_t(PH) * fft_multiplications(PW) + int64_t(PW) * fft_multiplications(PH);
    return 4 * (3 * transform + int64_t(PH) * PW);
}
