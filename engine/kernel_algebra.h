// kernel_algebra.h — a convolution kernel as a linear map: two stacked convolutions with nothing
// between them are one convolution (compose_kernels), and with a nonlinearity between them no
// single kernel does the same (fit_kernel: the best one by least squares, and how far it stays).
//
// One channel, stride 1, no padding, cross-correlation as the engine's conv2d computes it:
//   z = k2 * (k1 * x)   with (k * x)[i,j] = sum over a,b of k[a,b] x[i+a, j+b]
//     = k * x           with k[u,v] = sum over a+c = u, b+d = v of k1[a,b] k2[c,d]
// so k is k1 and k2 multiplied like two polynomials' coefficients (a full convolution of the two),
// (KH1 + KH2 - 1, KW1 + KW2 - 1): a 3x3 after a 3x3 is a 5x5.
#pragma once
#include <vector>

#include "status.h"
#include "tensor.h"

// k1 (KH1, KW1), k2 (KH2, KW2) -> out (KH1+KH2-1, KW1+KW2-1). A 1D kernel is one row.
Status compose_kernels(Tensor& out, const Tensor& k1, const Tensor& k2);

// The kernel k (KH, KW) whose valid cross-correlation with inp (H, W) comes closest to target
// (H-KH+1, W-KW+1) in the least-squares sense: the normal equations (P^T P) k = P^T t over im2col's
// patches P, solved by Cholesky (a tiny ridge, 1e-9 of the diagonal's mean, keeps a flat picture
// solvable: an all-black one gives the zero kernel). rms_error: sqrt(mean((k * inp - target)^2)).
// Pictures holding NaN or infinities are refused with a message.
Status fit_kernel(Tensor& out, double& rms_error, const Tensor& inp, const Tensor& target, int KH, int KW);
