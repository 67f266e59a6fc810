#include "kernel_algebra.h"

#include <cmath>

#include "conv.h"
#include "conv_matrix.h"

static bool is_grid(const Tensor& t) { return t.dim() == 2 && t.shape[0] >= 1 && t.shape[1] >= 1; }

Status compose_kernels(Tensor& out, const Tensor& k1, const Tensor& k2) {
    if (!is_grid(k1) || !is_grid(k2))
        return error_status("compose_kernels: the kernels must be grids (rows, columns), not " + shape_string(k1.shape) +
                            " and " + shape_string(k2.shape));
    const int H1 = k1.shape[0], W1 = k1.shape[1], H2 = k2.shape[0], W2 = k2.shape[1];
    const int H = H1 + H2 - 1, W = W1 + W2 - 1;
    Tensor k{{H, W}, std::vector<float>(size_t(H) * size_t(W), 0.0f)};
    for (int a = 0; a < H1; a++)
        for (int b = 0; b < W1; b++)
            for (int c = 0; c < H2; c++)
                for (int d = 0; d < W2; d++) k.data[size_t((a + c) * W + b + d)] += k1.data[size_t(a * W1 + b)] * k2.data[size_t(c * W2 + d)];
    out = std::move(k);
    return ok_status();
}

// Solves A x = y for a symmetric positive definite A (n, n) by Cholesky, A = L L^T. False when A is not.
static bool cholesky_solve(std::vector<double>& x, std::vector<double> A, const std::vector<double>& y, int n) {
    for (int j = 0; j < n; j++) {
        double d = A[size_t(j * n + j)];
        for (int k = 0; k < j; k++) d -= A[size_t(j * n + k)] * A[size_t(j * n + k)];
        if (!(d > 0)) return false;
        const double l = std::sqrt(d);
        A[size_t(j * n + j)] = l;
        for (int i = j + 1; i < n; i++) {
            double s = A[size_t(i * n + j)];
            for (int k = 0; k < j; k++) s -= A[size_t(i * n + k)] * A[size_t(j * n + k)];
            A[size_t(i * n + j)] = s / l;
        }
    }
    x = y;
    for (int i = 0; i < n; i++) {  // L z = y
        for (int k = 0; k < i; k++) x[size_t(i)] -= A[size_t(i * n + k)] * x[size_t(k)];
        x[size_t(i)] /= A[size_t(i * n + i)];
    }
    for (int i = n - 1; i >= 0; i--) {  // L^T x = z
        for (int k = i + 1; k < n; k++) x[size_t(i)] -= A[size_t(k * n + i)] * x[size_t(k)];
        x[size_t(i)] /= A[size_t(i * n + i)];
    }
    return true;
}

Status fit_kernel(Tensor& out, double& rms_error, const Tensor& inp, const Tensor& target, int KH, int KW) {
    if (!is_grid(inp) || !is_grid(target)) return error_status("fit_kernel: the picture and the target must be grids");
    const int H = inp.shape[0], W = inp.shape[1];
    if (KH < 1 || KW < 1 || KH > H || KW > W) return error_status("fit_kernel: a " + std::to_string(KH) + "x" + std::to_string(KW) +
                                                                  " kernel does not fit a " + shape_string(inp.shape) + " picture");
    const int OH = H - KH + 1, OW = W - KW + 1, n = KH * KW;
    if (target.shape[0] != OH || target.shape[1] != OW)
        return error_status("fit_kernel: the target must be " + shape_string({OH, OW}) + ", not " + shape_string(target.shape));
    for (const Tensor* t : {&inp, &target})
        for (float v : t->data)
            if (!std::isfinite(v)) return error_status("fit_kernel: the picture and the target must hold finite numbers (one is " + std::to_string(v) + ")");
    Conv2dSpec spec;
    spec.rows = make_conv_axis(H, KH, 1, 1, PaddingMode::valid, 0);
    spec.cols = make_conv_axis(W, KW, 1, 1, PaddingMode::valid, 0);
    std::vector<float> P;  // (OH*OW, n)
    std::vector<int> source;
    if (Status s = im2col(P, source, inp.data, H, W, spec); !s.ok()) return s;
    std::vector<double> A(size_t(n) * size_t(n), 0.0), y(size_t(n), 0.0), k;  // A = P^T P, y = P^T t
    for (int r = 0; r < OH * OW; r++) {
        const float* p = &P[size_t(r) * size_t(n)];
        for (int i = 0; i < n; i++) {
            y[size_t(i)] += double(p[i]) * target.data[size_t(r)];
            for (int j = 0; j < n; j++) A[size_t(i * n + j)] += double(p[i]) * p[j];
        }
    }
    double diagonal = 0;
    for (int i = 0; i < n; i++) diagonal += A[size_t(i * n + i)] / n;
    for (int i = 0; i < n; i++) A[size_t(i * n + i)] += 1e-9 * diagonal + 1e-30;
    if (!cholesky_solve(k, A, y, n)) return error_status("fit_kernel: the normal equations could not be solved");
    Tensor kernel{{KH, KW}, std::vector<float>(size_t(n))};
    for (int i = 0; i < n; i++) kernel.data[size_t(i)] = float(k[size_t(i)]);
    double sq = 0;
    for (int r = 0; r < OH * OW; r++) {
        double v = 0;
        for (int i = 0; i < n; i++) v += double(P[size_t(r) * size_t(n) + size_t(i)]) * k[size_t(i)];
        sq += (v - target.data[size_t(r)]) * (v - target.data[size_t(r)]);
    }
    rms_error = std::sqrt(sq / double(OH * OW));
    out = std::move(kernel);
    return ok_status();
}
