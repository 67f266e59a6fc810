// layer_params.h — how many numbers a layer learns, and the shapes they come in.
//
//   conv2d: weight (OC, C/G, KH, KW), bias (OC):   OC * (C/G) * KH * KW  +  OC
//   linear: weight (OUT, IN),         bias (OUT):  OUT * IN              +  OUT
//
// A convolution's count does not depend on the picture's size (the same kernel slides
// everywhere); a fully connected layer's grows with input size times output size. These are the
// shapes engine/model.cpp gives each layer (PyTorch's), counted exactly in 64 bits.
#pragma once
#include <cstdint>
#include <vector>

#include "conv.h"
#include "status.h"

struct LayerParams {
    std::vector<int> weight_shape;  // conv2d (OC, C/G, KH, KW); linear (OUT, IN)
    std::vector<int> bias_shape;    // (OC) or (OUT); empty without a bias
    int64_t weights = 0;            // values in the weight: the product of weight_shape
    int64_t biases = 0;             // values in the bias: 0 without one
    int64_t total = 0;              // weights + biases
};

// A conv2d layer from `in_channels` to `out_channels` with a KHxKW kernel in `groups` groups
// (groups 1: every filter sees every input channel). Sizes must be at least 1, and groups must
// divide both channel counts; otherwise the message says which and why.
Status conv2d_params(LayerParams& out, int in_channels, int out_channels, int KH, int KW, int groups, bool bias);

// A fully connected layer from `in_features` to `out_features` (nn.Linear).
Status linear_params(LayerParams& out, int in_features, int out_features, bool bias);

// The output shape (N, OC, OH, OW) of a conv2d with `out_channels` filters over an input of shape
// inp (N, C, H, W): OH, OW per axis as conv_output_size. Checked like check_conv2d.
Status conv2d_output_shape(std::vector<int>& out_shape, const std::vector<int>& inp, int out_channels, const Conv2dSpec& spec);
