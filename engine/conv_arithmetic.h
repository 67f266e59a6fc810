// conv_arithmetic.h — the geometry of a convolution along one axis: which input cells each output
// cell reads, where a transposed convolution scatters each input cell, and the output-size formulas
// written out with the numbers substituted (what the "convolution arithmetic" lab shows).
//
// Along one axis, output o's tap j reads input o*s - pad_before + j*d (s stride, d dilation); an
// index outside [0, input) is one of the padding zeros. A transposed convolution runs the same
// arrows backwards: input i adds into output i*s - pad_before + j*d, and the padding is cropped
// from the output's borders. The sizes come from conv.h (conv_output_size,
// conv_transpose_output_size); nothing here duplicates them.
#pragma once
#include <string>
#include <vector>

#include "conv.h"
#include "status.h"

// Which input index each tap of each output reads. Checked like conv2d (check_conv_axis).
// taps (O, k): taps[o*k + j] = o*s - pad_before + j*d, in input coordinates: < 0 or >= input
// means the tap lies on a padding zero. O = conv_output_size(input, a).
Status conv_axis_taps(std::vector<int>& taps, int input, const ConvAxis& a, const char* axis_name);

// Where a transposed convolution writes each input value's taps.
// targets (I, k): targets[i*k + j] = i*s - pad_before + j*d, in output coordinates: < 0 or >= O
// means that product falls in the border the padding crops away. O = conv_transpose_output_size(input, a, 0).
Status conv_transpose_axis_targets(std::vector<int>& targets, int input, const ConvAxis& a, const char* axis_name);

// How many products a transposed convolution adds into each output cell (overlaps show as counts
// above 1: where the stride is smaller than the kernel's span).
// counts (O): from targets (I, k) above, only those inside [0, O).
void conv_transpose_axis_overlap(std::vector<int>& counts, const std::vector<int>& targets, int output);

// floor(a / b) for b >= 1, also for negative a (C++'s / rounds toward zero).
int64_t floor_div(int64_t a, int64_t b);

// The output-size formula along one axis with the numbers substituted, the way a person writes it:
//   "floor((5 + 2*1 - 1*(3-1) - 1) / 2) + 1 = 3"
// (unequal padding: "(5 + 0 + 1 - ...)"); "... = 0 (no output)" when the window never fits;
// a stride below 1 ends with ": stride must be at least 1".
std::string conv_output_size_formula(int input, const ConvAxis& a);

// The transposed convolution's size with the numbers: "(3-1)*2 - 2*0 + 1*(3-1) + 1 = 7".
std::string conv_transpose_output_size_formula(int input, const ConvAxis& a);

// The short form for a valid convolution with stride 1 and no dilation: "Y = I - k + 1 = 5 - 3 + 1 = 3".
std::string valid_output_size_formula(int input, int kernel);
