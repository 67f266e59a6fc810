// conv_backprop.h — the sums behind conv2d's backward pass, one term at a time, a squared-error
// loss, and the finite difference that checks a gradient. (conv2d_backward in conv.h computes the
// same gradients all at once; these functions say which products make up one entry.)
//
// For out = conv2d(inp, weight), cross-correlation with stride s, padding p, dilation d, and the
// loss's gradient dout = dL/dout:
//   dweight[oc,c,ky,kx] = sum over n, oy, ox of dout[n,oc,oy,ox] * inp[n,c, oy*s - p + ky*d, ox*s - p + kx*d]
//       a correlation of the input with the output's gradient: each weight collects, from every
//       output, that output's gradient times the pixel the weight touched there;
//   dinp[n,c,iy,ix] = sum over oc and the taps (ky,kx) whose window put that tap on (iy,ix) of
//       dout[n,oc,oy,ox] * weight[oc,c,ky,kx]
//       each pixel collects, from every output that used it, the output's gradient times the weight
//       it met; at stride 1 this is the full convolution of dout with the kernel turned 180 degrees.
// With spec.flip (true convolution) the weight at tap (ky,kx) is weight[.., KH-1-ky, KW-1-kx].
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "conv.h"
#include "status.h"
#include "tensor.h"

// One term of a gradient sum: an output's gradient times what it meets.
struct GradTerm {
    int n, oc, oy, ox;  // the output whose gradient this term carries
    int c, iy, ix;      // the input value the term involves
    int ky, kx;         // the weight as stored: weight[oc, c, ky, kx] (with flip, the tap used is (KH-1-ky, KW-1-kx))
    float dout;         // dL/dout[n,oc,oy,ox]
    float factor;       // dweight terms: inp[n,c,iy,ix]; dinp terms: weight[oc,c,ky,kx]
    float product;      // dout * factor
};

// The terms of dweight[oc,c,ky,kx], in the order n, oy, ox; taps that fall in the padding (where
// the input is 0) are left out. dout (N,OC,OH,OW), inp (N,C,H,W), weight's shape only (OC,C/G,KH,KW)
// with c counted inside the group. Shapes and geometry are checked like conv2d(); an entry outside
// the weight is a message.
Status conv2d_dweight_terms(std::vector<GradTerm>& terms, const Tensor& dout, const Tensor& inp,
                            const std::vector<int>& weight_shape, const Conv2dSpec& spec, int oc, int c, int ky, int kx);

// The terms of dinp[n,c,iy,ix], in the order oc, ky, kx: one for each output whose window put a
// tap on (iy, ix). dout (N,OC,OH,OW), weight (OC,C/G,KH,KW), inp's shape only (N,C,H,W).
Status conv2d_dinput_terms(std::vector<GradTerm>& terms, const Tensor& dout, const Tensor& weight,
                           const std::vector<int>& inp_shape, const Conv2dSpec& spec, int n, int c, int iy, int ix);

// Half the squared error: L = 1/2 * sum over i of (out[i] - target[i])^2, over n values.
// Its gradient is dL/dout[i] = out[i] - target[i]; backward accumulates (+=) it into dout.
float half_squared_error_forward(const float* out, const float* target, int64_t n);
void half_squared_error_backward(float* dout, const float* out, const float* target, int64_t n);

// The central difference (L(v + h) - L(v - h)) / 2h: the slope of `loss` as `value` moves, found
// by nudging it each way (and putting it back). A gradient from backpropagation must match it.
double central_difference(const std::function<double()>& loss, float& value, float h);
