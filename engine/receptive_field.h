// receptive_field.h — how much of the input one unit of a network can see.
//
// The theoretical receptive field, along one axis (rows or columns), for layers l = 1..L, each a
// convolution or a pooling with kernel k_l, stride s_l, dilation d_l (pooling: d_l = 1) and p_l
// zeros of padding before the first value:
//   r_l     = r_{l-1} + (k_l - 1) * d_l * j_{l-1}     r_0 = 1: an input pixel sees itself
//   j_l     = j_{l-1} * s_l                           j_0 = 1: the jump, input pixels between two
//                                                              neighbouring units of layer l
//   start_l = start_{l-1} - p_l * j_{l-1}             start_0 = 0
// Unit u of layer l sees the input pixels start_l + u*j_l ... start_l + u*j_l + r_l - 1 (a start
// below 0 lies in the padding). Elementwise layers (ReLU, batch norm, ...) change none of this.
//
// The effective receptive field is measured instead of counted: how strongly each input pixel
// moves one unit, |d unit / d pixel|, found by backpropagating from that unit. It is never wider
// than the theoretical field (outside it the gradient is exactly 0), and in practice it is
// concentrated near the middle of it.
#pragma once
#include <cstdint>
#include <vector>

#include "conv.h"
#include "model.h"
#include "status.h"

struct ReceptiveField {
    int64_t size = 1;   // r: input pixels one unit sees along this axis
    int64_t jump = 1;   // j: input pixels between two neighbouring units
    int64_t start = 0;  // first input pixel unit 0 sees (negative: in the padding)
};

// The largest field receptive_fields() computes; a stack growing past it is refused with a message.
inline constexpr int64_t kMaxReceptiveField = int64_t(1) << 40;

// The recurrence above over a stack of layers, one axis each (kernel, stride, dilation, pad_before).
// fields (L+1): fields[0] is the input itself {1, 1, 0}, fields[l] the field of layer l's units.
// A kernel, stride or dilation below 1, or negative padding, is a message naming the layer (1-based).
Status receptive_fields(std::vector<ReceptiveField>& fields, const std::vector<ConvAxis>& layers);

// The first input pixel unit `unit` of a layer with field f sees (the last is that + f.size - 1).
inline int64_t field_first(const ReceptiveField& f, int64_t unit) { return f.start + unit * f.jump; }

// The theoretical field of the units of model layer `layer` (0-based), rows and columns.
// Convolutions and poolings are counted, elementwise layers pass; a layer that mixes every position
// (flatten, linear, global pooling), a transposed convolution or a branch (add, concat) on the way is
// a message saying so.
Status model_receptive_field(ReceptiveField& rows, ReceptiveField& cols, const Model& model, int layer);

// The effective receptive field of one unit of model layer `layer`: for each of the N inputs, a
// forward pass (eval mode), then a backward pass from a gradient of 1 at (channel, y, x) of that
// layer's output (channel -1: 1 at every channel of that position); |d unit / d input| is added
// over the samples and the input channels.
// erf (H, W) of the input; inputs (N, C, H, W) with (C, H, W) = model.input_shape.
// The model's activations are overwritten; its parameters and gradients are left as they were. Batch norm
// and dropout (which need a training pass to backpropagate) are refused with a message.
Status effective_receptive_field(std::vector<float>& erf, Model& model, const float* inputs, int N, int layer,
                                 int channel, int y, int x);

// How concentrated an effective receptive field is. The square of the theoretical field, rows
// [y0, y0 + r) and columns [x0, x0 + r), shrinks one pixel from every side at a time while it still
// holds at least `share` of the map's total; the side it ends with is returned (r when even the
// whole field is needed, 0 for an all-zero map). erf (H, W). An evenly spread map needs about
// r * sqrt(share); one concentrated in the middle much less.
int64_t concentrated_size(const std::vector<float>& erf, int H, int W, int64_t y0, int64_t x0, int64_t r, double share);
