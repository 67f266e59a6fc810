// pool.h — pooling on tensors, checked: what the pooling lab shows and its exercises check.
// Like conv2d() in conv.h, each function validates the shapes and settings, sizes its output
// and runs the reference kernel from ops.h (maxpool2d_forward_naive, avgpool2d_forward,
// global_avgpool_forward). A bad setting is a message, never a crash.
//
//   max pooling:      out[n,c,oy,ox] = the largest inp[n,c,iy,ix] in the window (padding never wins)
//   average pooling:  out[n,c,oy,ox] = (sum of the window) / (KH*KW)   (padding counts as zeros)
//   global average:   out[n,c,0,0]   = (sum of the whole (H,W) plane) / (H*W)
// where the window of (oy, ox) is iy = oy*stride - pad + ky, ix = ox*stride - pad + kx.
#pragma once
#include <cstdint>
#include <vector>

#include "ops.h"
#include "status.h"
#include "tensor.h"

// A pooling layer's geometry from its settings: a KxK window moving `stride` cells, `padding`
// cells on every side (dilation 1), as nn.MaxPool2d(kernel, stride, padding) builds it.
Pool2dSpec make_pool2d_spec(int kernel, int stride, int padding);

// F.max_pool2d, checked. inp (N,C,H,W); out (N,C,OH,OW); argmax (N*C*OH*OW) the index iy*W + ix
// into its (H,W) plane of the value that won each window (the first maximum in reading order).
// On error out and argmax are left unchanged.
Status maxpool2d(Tensor& out, std::vector<int32_t>& argmax, const Tensor& inp, const Pool2dSpec& spec);

// F.avg_pool2d (count_include_pad=True), checked. inp (N,C,H,W); out (N,C,OH,OW). Dilation must be 1.
Status avgpool2d(Tensor& out, const Tensor& inp, const Pool2dSpec& spec);

// F.adaptive_avg_pool2d(x, 1), checked: each channel's mean. inp (N,C,H,W); out (N,C,1,1).
Status global_avgpool(Tensor& out, const Tensor& inp);

// One cell of a pooling window: where it reads and what it finds there.
struct PoolTerm {
    int ky, kx;     // position in the window (row, column), 0-based
    int iy, ix;     // input position it reads; outside [0,H) x [0,W) it is padding
    bool padding;   // true when (iy, ix) is one of the added cells
    float input;    // the input value there (0 in the padding)
};

// The cells that output (n, c, oy, ox) pools, in reading order (the order max pooling scans
// them). terms (KH*KW), inp (N,C,H,W). Checked like maxpool2d.
Status pool2d_window(std::vector<PoolTerm>& terms, const Tensor& inp, const Pool2dSpec& spec, int n, int c, int oy, int ox);

// Moves an image by (dy, dx) cells: out[n,c,y,x] = inp[n,c,y-dy,x-dx], zero where that falls
// outside the input (positive dx moves the picture right, positive dy down). out, inp (N,C,H,W).
Status shift2d(Tensor& out, const Tensor& inp, int dy, int dx);
