// optim.h — the two optimizers, written as PyTorch 1.13's torch.optim computes them, over flat
// buffers of n values (params, grads and the optimizer's own state, all (n)).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

enum class OptimizerKind { sgd, adam };
const char* optimizer_name(OptimizerKind kind);  // "sgd", "adam": as the CLI and the labs spell it
// "sgd" or "adam" to the kind; false (and `kind` unchanged) for anything else.
bool parse_optimizer_kind(const std::string& name, OptimizerKind& kind);

struct OptimizerSettings {
    OptimizerKind kind = OptimizerKind::sgd;
    float lr = 0.01f;           // learning rate
    float momentum = 0.0f;      // sgd
    float weight_decay = 0.0f;  // both: adds weight_decay * param to the gradient (L2, not AdamW)
    float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;  // adam
    bool operator==(const OptimizerSettings&) const = default;
};

// Checks the settings (lr > 0, 0 <= momentum < 1, ...); the message names the bad one.
Status check_optimizer(const OptimizerSettings& s);

// SGD with momentum (dampening 0, not Nesterov):
//   d = grad + wd*p;  buf = momentum*buf + d;  p -= lr*buf   (buf starts at 0, so step 1 uses buf = d)
// momentum_buf (n) may be nullptr when momentum is 0.
void sgd_step(float* params, const float* grads, float* momentum_buf, int64_t n, const OptimizerSettings& s);

// Adam, step t = 1, 2, ...:
//   g = grad + wd*p;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
//   p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
void adam_step(float* params, const float* grads, float* m, float* v, int64_t n, int64_t t, const OptimizerSettings& s);

// An optimizer and its state for n parameters.
struct Optimizer {
    OptimizerSettings settings;
    int64_t t = 0;            // steps taken
    std::vector<float> m, v;  // sgd: m is the momentum buffer; adam: first and second moments (n)
};
void optimizer_init(Optimizer& opt, const OptimizerSettings& s, int64_t n);
void optimizer_step(Optimizer& opt, float* params, const float* grads, int64_t n);

// The cosine schedule (PyTorch's CosineAnnealingLR down to 0, one half period over the run): the
// learning rate for step `step` (0, 1, ...) of `total_steps`:
//   lr = base_lr * (1 + cos(pi * step / total_steps)) / 2
// base_lr at the first step, half of it halfway, close to 0 at the last. Past the end: 0.
float cosine_lr(float base_lr, int64_t step, int64_t total_steps);
