#include "adversarial.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops.h"

static float sign_of(float v) { return v > 0 ? 1.0f : v < 0 ? -1.0f : 0.0f; }

Status input_gradient(float* dinp, float* loss, Model& model, const float* inp, const int32_t* labels, int N) {
    if (Status s = ensure_batch(model, N); !s.ok()) return s;
    const int classes = int(output_size(model));
    for (int i = 0; i < N; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return error_status("class " + std::to_string(labels[i]) + " is not one of the network's " + std::to_string(classes));
    zero_grad(model);
    model.label_smoothing = 0;
    model_forward(model, inp, N, false);
    model_loss(model, labels, N);
    model_backward(model, inp, labels, N, true);
    const int64_t values = shape_numel(model.input_shape) * N;
    std::memcpy(dinp, model.dinput.data(), size_t(values) * sizeof(float));
    if (loss)
        for (int i = 0; i < N; i++) loss[i] = -std::log(std::max(model.probs[size_t(i) * size_t(classes) + size_t(labels[i])], 1e-30f));
    zero_grad(model);
    return ok_status();
}

// One signed step from x (values) into out: out = x + direction * size * sign(g).
static void signed_step(float* out, const float* x, const float* g, int64_t n, float size, float direction) {
    for (int64_t i = 0; i < n; i++) out[i] = x[i] + direction * size * sign_of(g[i]);
}

Status fgsm(float* out, Model& model, const float* inp, const int32_t* labels, int N, float eps, bool targeted) {
    const int64_t n = shape_numel(model.input_shape) * N;
    std::vector<float> grad(static_cast<size_t>(n));  // (N, C, H, W)
    if (Status s = input_gradient(grad.data(), nullptr, model, inp, labels, N); !s.ok()) return s;
    signed_step(out, inp, grad.data(), n, eps, targeted ? -1.0f : 1.0f);
    for (int64_t i = 0; i < n; i++) out[i] = std::clamp(out[i], 0.0f, 1.0f);
    return ok_status();
}

Status pgd(float* out, Model& model, const float* inp, const int32_t* labels, int N, float eps, float step, int steps,
           bool targeted) {
    const int64_t n = shape_numel(model.input_shape) * N;
    std::vector<float> grad(static_cast<size_t>(n));  // (N, C, H, W)
    std::memcpy(out, inp, size_t(n) * sizeof(float));
    for (int k = 0; k < steps; k++) {
        if (Status s = input_gradient(grad.data(), nullptr, model, out, labels, N); !s.ok()) return s;
        signed_step(out, out, grad.data(), n, step, targeted ? -1.0f : 1.0f);
        for (int64_t i = 0; i < n; i++) out[i] = std::clamp(std::clamp(out[i], inp[i] - eps, inp[i] + eps), 0.0f, 1.0f);
    }
    return ok_status();
}

int count_correct(Model& model, const float* inp, const int32_t* labels, int N, int32_t* predicted) {
    if (!ensure_batch(model, N).ok()) return 0;
    const int classes = int(output_size(model));
    const float* scores = model_forward(model, inp, N, false);
    int right = 0;
    for (int i = 0; i < N; i++) {
        const int c = predicted_class(scores + int64_t(i) * classes, classes);
        if (predicted) predicted[i] = c;
        right += c == labels[i];
    }
    return right;
}
