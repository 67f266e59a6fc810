// conv.h — convolution, the reference path: the arithmetic a person does by hand, written as
// plainly as possible. The fast paths (conv_fast.cpp, conv_winograd.cpp) are tested against them.
//
// One output value is a window of the (zero-padded) input times the kernel, summed:
//   out[n,oc,oy,ox] = bias[oc] + sum over c, ky, kx of
//       inp[n, g*Cg + c, oy*stride_h - pad_top + ky*dilation_h, ox*stride_w - pad_left + kx*dilation_w]
//     * weight[oc, c, ky, kx]                      (cross-correlation: what PyTorch's Conv2d does)
//     * weight[oc, c, KH-1-ky, KW-1-kx]            (true convolution: the kernel turned 180 degrees)
// With G groups, output channel oc belongs to group g = oc / (OC/G) and sees only that group's
// Cg = C/G input channels (G = C = OC is a depthwise convolution).
#pragma once
#include <cstdint>
#include <vector>

#include "status.h"
#include "tensor.h"

// How one spatial axis (rows or columns) of a convolution is laid out.
struct ConvAxis {
    int kernel = 1;      // k: taps of the kernel along this axis, >= 1
    int stride = 1;      // s: how far the window moves between outputs, >= 1
    int dilation = 1;    // d: spacing between taps inside the window, >= 1 (1 = no gaps)
    int pad_before = 0;  // zeros added before the first input value (top or left), >= 0
    int pad_after = 0;   // zeros added after the last input value (bottom or right), >= 0
};

// How the amount of padding is chosen.
enum class PaddingMode {
    number,  // `padding` zeros on each side
    valid,   // no padding: the window stays inside the input
    same,    // enough zeros that the output has ceil(input / stride) values (= input at stride 1);
             // an odd total puts the extra zero after, as PyTorch and TensorFlow do
    full,    // d(k-1) zeros on each side: every position where window and input overlap at all
};

// Builds one axis, resolving the padding mode for an input of `input` values.
ConvAxis make_conv_axis(int input, int kernel, int stride, int dilation, PaddingMode mode, int padding);

// Span of the window along an axis: d(k-1) + 1 input positions from first tap to last.
int64_t conv_window_span(const ConvAxis& a);

// Outputs along one axis: floor((input + pad_before + pad_after - d(k-1) - 1) / s) + 1.
// Zero or negative means the settings give no output (the caller explains why with check_conv_axis).
int64_t conv_output_size(int input, const ConvAxis& a);

// Checks one axis of a convolution over `input` values. `axis_name` is "rows" or "columns".
// When the settings give no output, the message says why in plain words with the numbers.
Status check_conv_axis(int input, const ConvAxis& a, const char* axis_name);

// A 2D convolution's geometry: its rows (height) axis, columns (width) axis and orientation.
struct Conv2dSpec {
    ConvAxis rows;      // height axis: kernel KH, stride, dilation, padding top/bottom
    ConvAxis cols;      // width axis: kernel KW, stride, dilation, padding left/right
    bool flip = false;  // true: true convolution (kernel turned 180 degrees); false: cross-correlation
    int groups = 1;     // G: channels split into G independent convolutions; C and OC divisible by G
};

// conv2d forward and backward. Shapes and geometry must already be valid (check_conv2d).
// out (N,OC,OH,OW), inp (N,C,H,W), weight (OC,C/G,KH,KW), bias (OC) or nullptr for no bias.
// The fast path (conv_fast.cpp) covers stride 1 with any padding, dilation, groups and flip
// (3x3 kernels, no dilation, one group, 8 or more channels in and out through Winograd's
// transforms, conv_winograd.cpp); other settings go to the reference path.
void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int N, int C, int H, int W, int OC, const Conv2dSpec& spec);
// Backward accumulates (+=) the gradients of the loss with respect to the input, weight and bias,
// given its gradient with respect to the output. Any of dinp, dweight, dbias may be nullptr (not
// wanted). Zeroing the gradients first is the caller's job.
// dinp (N,C,H,W), dweight (OC,C/G,KH,KW), dbias (OC), dout (N,OC,OH,OW), inp (N,C,H,W), weight (OC,C/G,KH,KW).
void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int N, int C, int H, int W, int OC, const Conv2dSpec& spec);

// Winograd F(2x2, 3x3) (conv_winograd.cpp), under conv2d_forward and conv2d_backward where it
// applies: 3x3 kernels, stride 1, no dilation, one group, enough channels in and out. About 2.25x
// fewer multiplications than the direct sum, the same result up to rounding.
bool conv_winograd_applies(int C, int OC, const Conv2dSpec& spec);
// out (N,OC,OH,OW) = the convolution of inp (N,C,H,W) with weight (OC,C,3,3) plus bias (OC) or
// nullptr; with accumulate, out += the convolution instead (conv2d_backward's input gradient).
void conv2d_forward_winograd(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int H,
                             int W, int OC, const Conv2dSpec& spec, bool accumulate);
// dweight (OC,C,3,3) += the weight gradient, from dout (N,OC,OH,OW) and inp (N,C,H,W).
void conv2d_weight_grad_winograd(float* dweight, const float* dout, const float* inp, int N, int C, int H, int W, int OC,
                                 const Conv2dSpec& spec);

// Scratch memory for the fast paths, reused across calls (it grows, never shrinks, so no
// allocation per call): buffer `slot` with room for at least `values` floats.
// conv_fast.cpp uses slots 0-3, conv_winograd.cpp 4-9.
inline constexpr int kConvScratchSlots = 10;
float* conv_scratch(int slot, size_t values);

// The reference path: the formula above as nested loops, the sum of each output in the order a
// person adds it (c, ky, kx, then the bias). The fast path is tested against these.
void conv2d_forward_naive(float* out, const float* inp, const float* weight, const float* bias,
                          int N, int C, int H, int W, int OC, const Conv2dSpec& spec);
void conv2d_backward_naive(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                           const float* weight, int N, int C, int H, int W, int OC, const Conv2dSpec& spec);

// Checks shapes and geometry for conv2d: inp (N,C,H,W), weight (OC,C/G,KH,KW), bias (OC) or nullptr.
Status check_conv2d(const std::vector<int>& inp, const std::vector<int>& weight, const std::vector<int>* bias,
                    const Conv2dSpec& spec);

// Checked conv2d on the reference path (what the hand-convolution lab shows): validates shapes and
// geometry, sizes `out` and runs conv2d_forward_naive.
// inp (N,C,H,W), weight (OC,C,KH,KW) with KH = spec.rows.kernel and KW = spec.cols.kernel,
// bias (OC) or nullptr. On error `out` is left unchanged and the message names the shapes.
Status conv2d(Tensor& out, const Tensor& inp, const Tensor& weight, const Tensor* bias, const Conv2dSpec& spec);

// Checked conv1d: a conv2d whose rows axis has one value and a 1-tap kernel.
// inp (N,C,L), weight (OC,C,K) with K = axis.kernel, bias (OC) or nullptr; out (N,OC,OL).
Status conv1d(Tensor& out, const Tensor& inp, const Tensor& weight, const Tensor* bias, const ConvAxis& axis, bool flip);

// Transposed convolution (PyTorch's ConvTranspose2d), the gradient of conv2d with respect to its
// input, used to upsample: every input value scatters a copy of the kernel, scaled by itself, into
// the output, starting at (iy*stride - pad_before, ix*stride - pad_before).
// Output size per axis: (in - 1)*s - pad_before - pad_after + d(k-1) + output_padding + 1.
struct ConvTranspose2dSpec {
    ConvAxis rows, cols;         // kernel, stride, dilation, padding (removed from the output's borders)
    int output_padding_rows = 0; // extra rows at the bottom (< stride or < dilation), to pick among sizes
    int output_padding_cols = 0;
    int groups = 1;
};
int64_t conv_transpose_output_size(int input, const ConvAxis& a, int output_padding);
Status check_conv_transpose2d(const std::vector<int>& inp, const std::vector<int>& weight, const std::vector<int>* bias,
                              const ConvTranspose2dSpec& spec);
// out (N,OC,OH,OW), inp (N,C,H,W), weight (C,OC/G,KH,KW) (PyTorch's layout: input channels first), bias (OC).
void conv_transpose2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                              int N, int C, int H, int W, int OC, const ConvTranspose2dSpec& spec);
// Accumulates; dinp (N,C,H,W), dweight (C,OC/G,KH,KW), dbias (OC), dout (N,OC,OH,OW).
void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                               const float* weight, int N, int C, int H, int W, int OC, const ConvTranspose2dSpec& spec);

// One term of the sum behind an output value: an input value times the kernel weight that meets it.
struct ConvTerm {
    int channel;     // input channel c
    int ky, kx;      // tap in the window (row, column), 0-based
    int iy, ix;      // input position the tap reads; outside [0,H) x [0,W) it is padding
    bool padding;    // true when (iy, ix) is one of the added zeros
    float input;     // the input value there (0 in the padding)
    float weight;    // the weight used at this tap: weight[oc,c,ky,kx], or the flipped one
    float product;   // input * weight
};

// The terms of out[n,oc,oy,ox] in the order conv2d_forward_naive adds them (c, then ky, then kx), so
// their float sum plus the bias is exactly that output value. Checked like conv2d().
// terms (C*KH*KW), inp (N,C,H,W), weight (OC,C,KH,KW).
Status conv2d_window(std::vector<ConvTerm>& terms, const Tensor& inp, const Tensor& weight,
                     const Conv2dSpec& spec, int n, int oc, int oy, int ox);
