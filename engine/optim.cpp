#include "optim.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

const char* optimizer_name(OptimizerKind kind) { return kind == OptimizerKind::adam ? "adam" : "sgd"; }

bool parse_optimizer_kind(const std::string& name, OptimizerKind& kind) {
    if (name != "sgd" && name != "adam") return false;
    kind = name == "adam" ? OptimizerKind::adam : OptimizerKind::sgd;
    return true;
}

Status check_optimizer(const OptimizerSettings& s) {
    auto bad = [](const char* what, float v, const char* range) {
        char text[160];
        std::snprintf(text, sizeof text, "optimizer: %s is %g; it must be %s", what, double(v), range);
        return error_status(text);
    };
    if (!(s.lr > 0.0f && s.lr <= 10.0f)) return bad("the learning rate", s.lr, "more than 0 and at most 10");
    if (!(s.momentum >= 0.0f && s.momentum < 1.0f)) return bad("momentum", s.momentum, "from 0 up to (not including) 1");
    if (!(s.weight_decay >= 0.0f && s.weight_decay < 1.0f)) return bad("weight decay", s.weight_decay, "from 0 up to 1");
    if (!(s.beta1 >= 0.0f && s.beta1 < 1.0f)) return bad("beta1", s.beta1, "from 0 up to 1");
    if (!(s.beta2 >= 0.0f && s.beta2 < 1.0f)) return bad("beta2", s.beta2, "from 0 up to 1");
    if (!(s.eps > 0.0f && s.eps < 1.0f)) return bad("eps", s.eps, "more than 0 and less than 1");
    return ok_status();
}

void sgd_step(float* __restrict params, const float* __restrict grads, float* __restrict momentum_buf, int64_t n,
              const OptimizerSettings& s) {
    for (int64_t i = 0; i < n; i++) {
        float d = grads[i];
        if (s.weight_decay != 0.0f) d += s.weight_decay * params[i];
        if (s.momentum != 0.0f) {
            momentum_buf[i] = s.momentum * momentum_buf[i] + d;
            d = momentum_buf[i];
        }
        params[i] -= s.lr * d;
    }
}

void adam_step(float* __restrict params, const float* __restrict grads, float* __restrict m, float* __restrict v, int64_t n,
               int64_t t, const OptimizerSettings& s) {
    // bias corrections in double, as PyTorch computes them in Python floats
    const double correction1 = 1.0 - std::pow(double(s.beta1), double(t));
    const double correction2 = 1.0 - std::pow(double(s.beta2), double(t));
    const float step_size = float(s.lr / correction1);
    const float correction2_sqrt = float(std::sqrt(correction2));
    for (int64_t i = 0; i < n; i++) {
        float g = grads[i];
        if (s.weight_decay != 0.0f) g += s.weight_decay * params[i];
        // the same operation order as PyTorch's mul_/add_/addcmul_, so the roundings agree too
        m[i] = m[i] * s.beta1 + (1.0f - s.beta1) * g;
        v[i] = v[i] * s.beta2 + (1.0f - s.beta2) * g * g;
        const float denom = std::sqrt(v[i]) / correction2_sqrt + s.eps;
        params[i] -= step_size * (m[i] / denom);
    }
}

void optimizer_init(Optimizer& opt, const OptimizerSettings& s, int64_t n) {
    opt.settings = s;
    opt.t = 0;
    opt.m.assign(size_t(n), 0.0f);
    opt.v.assign(s.kind == OptimizerKind::adam ? size_t(n) : 0, 0.0f);
}

void optimizer_step(Optimizer& opt, float* params, const float* grads, int64_t n) {
    opt.t++;
    if (opt.settings.kind == OptimizerKind::adam) adam_step(params, grads, opt.m.data(), opt.v.data(), n, opt.t, opt.settings);
    else sgd_step(params, grads, opt.m.data(), n, opt.settings);
}

float cosine_lr(float base_lr, int64_t step, int64_t total_steps) {
    if (total_steps <= 0 || step >= total_steps) return 0.0f;
    const double pi = 3.14159265358979323846;
    return float(0.5 * double(base_lr) * (1.0 + std::cos(pi * double(std::max<int64_t>(step, 0)) / double(total_steps))));
}
