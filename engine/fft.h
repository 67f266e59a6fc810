// fft.h — the discrete Fourier transform of any length, and convolution computed through it.
//
// Convolving two lists is multiplying two polynomials: the coefficients of (1 + 2x)(3 + x + x^2)
// are [1, 2] convolved with [3, 1, 1] = [3, 7, 3, 2]. The convolution theorem says the same
// product is pointwise in the Fourier domain: transform both lists (zero-padded to the output's
// length), multiply them value by value, transform back. The direct sum costs n*m multiplications;
// the Fourier route about three transforms of length L >= n+m-1, each (L/2) log2 L complex
// multiplications, so it wins for long lists and loses for short ones (a 3x3 kernel: CNNs convolve
// directly, or with Winograd's transform, engine/conv_winograd.cpp).
//
// X[k] = sum_j x[j] e^(-2 pi i jk/N)            (forward)
// x[j] = (1/N) sum_k X[k] e^(+2 pi i jk/N)      (inverse)
// Lengths that are powers of two: iterative radix-2 Cooley-Tukey. Any other length (a prime, 1):
// Bluestein's algorithm, which writes the transform as a convolution of power-of-two length.
#pragma once
#include <complex>
#include <cstdint>
#include <vector>

using Complex = std::complex<double>;  // double: the rounding difference to the direct sum stays far below float's

// The transform by its definition, N^2 complex multiplications: the reference for fft().
// out (N), inp (N). inverse: the inverse transform, divided by N.
void dft_naive(Complex* out, const Complex* inp, int N, bool inverse);

// The same transform in place, any N >= 1. data (N).
void fft(Complex* data, int N, bool inverse);

// Complex multiplications fft() makes for length N (the butterflies' and Bluestein's chirps), so
// the lab can count both routes the same way.
int64_t fft_multiplications(int N);

// Linear ("full") convolution: out[i] = sum_j a[j] b[i - j], i = 0 .. n+m-2.
// out (n+m-1), a (n), b (m); n, m >= 1.
void convolve_direct(double* out, const double* a, int n, const double* b, int m);
// The same through the Fourier domain: both lists zero-padded to L = the power of two >= n+m-1,
// transformed, multiplied pointwise, transformed back. out (n+m-1).
void convolve_fft(double* out, const double* a, int n, const double* b, int m);
int convolve_fft_length(int n, int m);  // L above
// Multiplications each route makes (real ones: a complex multiplication counts as 4).
int64_t convolve_direct_multiplications(int n, int m);  // n*m
int64_t convolve_fft_multiplications(int n, int m);     // 3 transforms of L, and L pointwise products

// Cross-correlation, what a CNN layer computes: out[i] = sum_j a[i + j] b[j] over the positions
// where b fits inside a ("valid"), i = 0 .. n-m. Through the Fourier domain it is the
// convolution with b reversed, that is, with B's complex conjugate (for real b).
// out (n-m+1), a (n), b (m), m <= n.
void correlate_direct(double* out, const double* a, int n, const double* b, int m);
void correlate_fft(double* out, const double* a, int n, const double* b, int m);

// 2D "same" convolution of a picture with a kernel, zero padding: out (H,W), img (H,W),
// kernel (KH,KW) with KH, KW odd, centred. out[y][x] = sum img[y + KH/2 - i][x + KW/2 - j] k[i][j].
void convolve2d_direct(float* out, const float* img, int H, int W, const float* kernel, int KH, int KW);
// Through a 2D transform of size (the power of two >= H+KH-1) x (the power of two >= W+KW-1): rows
// transformed, then columns.
void convolve2d_fft(float* out, const float* img, int H, int W, const float* kernel, int KH, int KW);
int64_t convolve2d_direct_multiplications(int H, int W, int KH, int KW);  // H*W*KH*KW
int64_t convolve2d_fft_multiplications(int H, int W, int KH, int KW);
