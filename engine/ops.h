// ops.h — the layers of a CNN other than convolution (conv.h), each a pair of plain functions:
//   <op>_forward(outputs..., inputs..., sizes...)
//   <op>_backward(input gradients..., output gradient, what forward saw..., sizes...)
// Outputs come first. Backward ACCUMULATES (+=) into the gradients it is given, so a tensor used
// twice (a residual connection) collects both contributions; zeroing gradients is the caller's
// job. A gradient pointer may be nullptr when that gradient is not wanted. Shapes are in the
// comments; sizes are trusted (the model checks them once when it is built).
// Every function computes what the PyTorch function named beside it computes.
#pragma once
#include <cstdint>

#include "conv.h"
#include "random.h"

// ---- pooling -------------------------------------------------------------------------------
// Geometry per axis as for convolution (ConvAxis: kernel, stride, dilation, padding), no ceil mode.
struct Pool2dSpec {
    ConvAxis rows, cols;
};
// Checks a pooling over (N,C,H,W); the message names the sizes. Padding must be at most half the kernel (PyTorch's rule).
Status check_pool2d(const std::vector<int>& inp, const Pool2dSpec& spec, const char* op);

// F.max_pool2d. out (N,C,OH,OW), argmax (N,C,OH,OW) index into the (H,W) plane of the winner
// (the first maximum in reading order; padding never wins), inp (N,C,H,W).
// The fast path covers non-overlapping unpadded windows (kernel = stride, the usual 2x2 pooling).
void maxpool2d_forward(float* out, int32_t* argmax, const float* inp, int N, int C, int H, int W, const Pool2dSpec& spec);
void maxpool2d_forward_naive(float* out, int32_t* argmax, const float* inp, int N, int C, int H, int W, const Pool2dSpec& spec);
// dinp (N,C,H,W) += dout routed to each window's winner. dout, argmax (N,C,OH,OW).
void maxpool2d_backward(float* dinp, const float* dout, const int32_t* argmax, int N, int C, int H, int W,
                        const Pool2dSpec& spec);

// F.avg_pool2d with count_include_pad=True: the window's sum divided by KH*KW (padding counts as zeros).
// out (N,C,OH,OW), inp (N,C,H,W). Dilation must be 1.
void avgpool2d_forward(float* out, const float* inp, int N, int C, int H, int W, const Pool2dSpec& spec);
void avgpool2d_backward(float* dinp, const float* dout, int N, int C, int H, int W, const Pool2dSpec& spec);

// Global average pooling (F.adaptive_avg_pool2d(x, 1) flattened): out (N,C), inp (N,C,H,W).
void global_avgpool_forward(float* out, const float* inp, int N, int C, int HW);
void global_avgpool_backward(float* dinp, const float* dout, int N, int C, int HW);

// F.adaptive_avg_pool2d(x, (OH, OW)): output cell (i, j) averages input rows
// floor(i*H/OH) .. ceil((i+1)*H/OH)-1 and columns floor(j*W/OW) .. ceil((j+1)*W/OW)-1, so the
// windows cover the input whatever its size (they overlap when OH does not divide H; an output
// larger than the input repeats values). out (N,C,OH,OW), inp (N,C,H,W).
void adaptive_avgpool2d_forward(float* out, const float* inp, int N, int C, int H, int W, int OH, int OW);
void adaptive_avgpool2d_backward(float* dinp, const float* dout, int N, int C, int H, int W, int OH, int OW);

// ---- activations (elementwise over n values) -------------------------------------------------
void relu_forward(float* out, const float* inp, int64_t n);                      // max(x, 0)
void relu_backward(float* dinp, const float* dout, const float* out, int64_t n);  // dout where out > 0
void leaky_relu_forward(float* out, const float* inp, int64_t n, float slope);    // x > 0 ? x : slope*x
void leaky_relu_backward(float* dinp, const float* dout, const float* inp, int64_t n, float slope);
void sigmoid_forward(float* out, const float* inp, int64_t n);                    // 1 / (1 + e^-x)
void sigmoid_backward(float* dinp, const float* dout, const float* out, int64_t n);  // dout * y(1-y)
void tanh_forward(float* out, const float* inp, int64_t n);
void tanh_backward(float* dinp, const float* dout, const float* out, int64_t n);     // dout * (1-y^2)
void silu_forward(float* out, const float* inp, int64_t n);                       // x * sigmoid(x) (F.silu, "swish")
// dout * s(1 + x(1-s)) with s = sigmoid(x): the derivative of x*s(x)
void silu_backward(float* dinp, const float* dout, const float* inp, int64_t n);

// ---- linear (F.linear: out = inp @ weight^T + bias) -----------------------------------------
// out (N,OUT), inp (N,IN), weight (OUT,IN) (PyTorch's layout), bias (OUT) or nullptr.
// The fast path keeps the dot products in vector registers, four outputs at a time.
void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int N, int IN, int OUT);
void linear_forward_naive(float* out, const float* inp, const float* weight, const float* bias, int N, int IN, int OUT);
// dinp (N,IN), dweight (OUT,IN), dbias (OUT), dout (N,OUT).
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, int N, int IN, int OUT);

// ---- dropout (F.dropout in training mode) ----------------------------------------------------
// Each value is zeroed with probability p and the rest scaled by 1/(1-p), so the expected value is
// unchanged. mask (n) records the factor used (0 or 1/(1-p)); in eval mode dropout is the identity.
void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, Rng& rng);
void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n);

// ---- normalization -------------------------------------------------------------------------
// F.batch_norm over (N,C,H,W), statistics per channel over N*H*W values.
// Training: normalizes with the batch's mean and biased variance, and moves the running
// statistics towards the batch's: running = (1-momentum)*running + momentum*batch, with the
// UNBIASED variance for running_var (PyTorch's rule). mean, rstd (C) keep what backward needs
// (rstd = 1/sqrt(var + eps)). gamma, beta (C) or nullptr (no affine).
void batchnorm2d_forward_train(float* out, float* mean, float* rstd, float* running_mean, float* running_var,
                               const float* inp, const float* gamma, const float* beta,
                               int N, int C, int HW, float eps, float momentum);
// Eval: normalizes with the running statistics.
void batchnorm2d_forward_eval(float* out, const float* inp, const float* gamma, const float* beta,
                              const float* running_mean, const float* running_var, int N, int C, int HW, float eps);
// Backward of the eval forward (the running statistics are constants): with r = 1/sqrt(running_var + eps),
//   dinp += dout*gamma*r;  dgamma += sum dout*(inp - running_mean)*r;  dbeta += sum dout
// dinp (N,C,H,W) or nullptr, dgamma, dbeta (C) or nullptr.
void batchnorm2d_backward_eval(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp, const float* gamma,
                               const float* running_mean, const float* running_var, int N, int C, int HW, float eps);
// Backward of the training forward. dinp (N,C,H,W), dgamma, dbeta (C), mean, rstd (C) from forward.
void batchnorm2d_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                          const float* gamma, const float* mean, const float* rstd, int N, int C, int HW);

// F.layer_norm over the last D values of each of R rows: inp (R,D), gamma, beta (D) or nullptr,
// mean, rstd (R) saved for backward.
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* gamma, const float* beta,
                       int R, int D, float eps);
void layernorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                        const float* gamma, const float* mean, const float* rstd, int R, int D);

// F.instance_norm (no running statistics): each (n, c) plane of HW values normalized on its own,
// then scaled by gamma[c] and shifted by beta[c] (both nullptr: no affine, PyTorch's default).
// mean, rstd (N*C) saved for backward.
void instancenorm2d_forward(float* out, float* mean, float* rstd, const float* inp, const float* gamma,
                            const float* beta, int N, int C, int HW, float eps);
void instancenorm2d_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp,
                             const float* gamma, const float* mean, const float* rstd, int N, int C, int HW);

// F.group_norm: the C channels of each sample in G groups of C/G neighbouring channels; each
// (n, group) of (C/G)*HW values normalized on its own (biased variance), then scaled by gamma[c] and
// shifted by beta[c], per channel (both nullptr: no affine). G = 1 is layer norm over (C,H,W) with
// per-channel affine; G = C is instance norm. G must divide C. mean, rstd (N*G) saved for backward.
void groupnorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* gamma, const float* beta,
                       int N, int C, int HW, int G, float eps);
// dinp (N,C,H,W) +=, dgamma, dbeta (C) += (either may be nullptr).
void groupnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp, const float* gamma,
                        const float* mean, const float* rstd, int N, int C, int HW, int G);

// ---- joining paths ----------------------------------------------------------------------------
// Residual add: out = a + b (n values). Backward: da += dout, db += dout.
void add_forward(float* out, const float* a, const float* b, int64_t n);
void add_backward(float* da, float* db, const float* dout, int64_t n);
// Channel concat (torch.cat(dim=1), DenseNet): out (N,CA+CB,HW) from a (N,CA,HW) and b (N,CB,HW).
void concat_forward(float* out, const float* a, const float* b, int N, int CA, int CB, int HW);
void concat_backward(float* da, float* db, const float* dout, int N, int CA, int CB, int HW);
// Channel scale (squeeze-and-excitation's last step, x * gate[:, :, None, None]): every value of
// channel c of sample n times gate[n, c]. out, x (N,C,HW), gate (N,C).
// Backward: dx += dout * gate;  dgate[n, c] += sum over the plane of dout * x.
void channel_scale_forward(float* out, const float* x, const float* gate, int N, int C, int HW);
void channel_scale_backward(float* dx, float* dgate, const float* dout, const float* x, const float* gate, int N, int C, int HW);

// ---- loss -------------------------------------------------------------------------------------
// F.cross_entropy(logits, labels, label_smoothing=eps): the mean over the batch of the cross-entropy
// against the target (1-eps)*onehot(label) + eps/K, i.e. (1-eps)*(-log p[label]) + eps*mean_k(-log p[k])
// with p = softmax(logits); eps = 0 is the plain -log p[label]. probs (N,K) keeps the softmax for
// backward; returns the loss. logits (N,K), labels (N) in [0,K), eps in [0,1].
float softmax_cross_entropy_forward(float* probs, const float* logits, const int32_t* labels, int N, int K, float label_smoothing = 0.0f);
// dlogits (N,K) += (probs - target) / N * dloss, target = (1-eps)*onehot(label) + eps/K.
void softmax_cross_entropy_backward(float* dlogits, const float* probs, const int32_t* labels, int N, int K,
                                    float label_smoothing = 0.0f, float dloss = 1.0f);
