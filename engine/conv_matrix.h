// conv_matrix.h — a convolution written as a matrix: y = C x.
//
// Flatten the input plane row by row into x (H*W) and the output into y (OH*OW). Each output is a
// weighted sum of inputs, so y = C x for a matrix C (OH*OW, H*W): row r holds the kernel's weights
// at the columns of the input cells output r reads, and zeros elsewhere. The same few weights repeat
// down the diagonals (weight sharing): in 1D C is a Toeplitz matrix (constant along each diagonal,
// with stride s the pattern shifts s columns per row), in 2D it is doubly block Toeplitz (blocks of
// W columns, one per input row, that are themselves Toeplitz).
//
// The backward pass of y = C x with respect to x is dx = C^T dy: the same matrix, transposed. That
// is exactly what a transposed convolution computes (conv.h, conv_transpose2d), which is why it is
// called transposed.
//
// im2col is the other way to turn a convolution into one matrix product: copy each output's window
// into a row of "patches" and multiply by the kernel flattened: y = patches w.
//
// One input channel, one output channel (the pictures the matrix lab draws); the geometry is a
// Conv2dSpec (stride, padding, dilation, flip) with groups = 1. Conv1d is the same with H = 1.
#pragma once
#include <cstdint>
#include <vector>

#include "conv.h"
#include "status.h"

// The matrix C of a 2D convolution over an (H, W) plane, and which weight sits in each entry.
// weight (KH, KW) with KH = spec.rows.kernel, KW = spec.cols.kernel (cross-correlation; flipped
// when spec.flip).
// C (OH*OW, H*W): C[r, i] is the weight output r multiplies input i by, 0 where it does not read i.
// tap (OH*OW, H*W): which kernel weight that is, ky*KW + kx (the unflipped index), or -1 for a zero.
// Checked like conv2d (the message says why settings give no output); on error C and tap are unchanged.
Status conv2d_matrix(std::vector<float>& C, std::vector<int>& tap, const std::vector<float>& weight, int H, int W,
                     const Conv2dSpec& spec);

// The same for a 1D convolution over L values: weight (K), C (OL, L), tap (OL, L).
Status conv1d_matrix(std::vector<float>& C, std::vector<int>& tap, const std::vector<float>& weight, int L,
                     const ConvAxis& axis, bool flip);

// im2col, one row per output: patches (OH*OW, KH*KW) holds the input value under tap (ky, kx) of
// output (oy, ox) (0 on padding); source (OH*OW, KH*KW) the flat input index iy*W + ix it came from,
// or -1 for a padding zero. Then y = patches w, with w (KH*KW) the kernel flattened
// (the flipped kernel when spec.flip). inp (H, W).
Status im2col(std::vector<float>& patches, std::vector<int>& source, const std::vector<float>& inp, int H, int W,
              const Conv2dSpec& spec);

// y = M v with the engine's linear layer (ops.h): y (rows), M (rows, cols), v (cols).
void matrix_times_vector(float* y, const float* M, const float* v, int rows, int cols);
// x = M^T u (the backward pass of y = M v): x (cols), M (rows, cols), u (rows). Overwrites x.
void matrix_transposed_times_vector(float* x, const float* M, const float* u, int rows, int cols);

// How many multiplications each way of computing the convolution does.
struct ConvMatrixCounts {
    int64_t dense = 0;    // rows * cols: the full matrix times a vector, zeros included
    int64_t nonzero = 0;  // entries of C that hold a weight: the products that are not known zeros
    int64_t window = 0;   // OH*OW*KH*KW: the sliding window (and im2col), padding zeros included
};
// tap (rows, cols) from conv2d_matrix; KH*KW the kernel's size.
ConvMatrixCounts conv_matrix_counts(const std::vector<int>& tap, int rows, int cols, int kernel_taps);
