#include "explain.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "random.h"

// One picture forward (as at test time), then backward from a gradient `seed` (the values of
// d objective / d acts[from], (out_shape...)) written into dacts[from]: the input gradient in
// model.dinput, every layer's up to `from` in model.dacts.
static Status backward_from_seed(Model& model, const float* picture, int from, const std::vector<float>& seed) {
    if (Status s = ensure_batch(model, 1); !s.ok()) return s;
    zero_grad(model);
    model_forward(model, picture, 1, false);
    std::copy(seed.begin(), seed.end(), model.dacts[size_t(from)].begin());
    model_backward_from(model, picture, 1, from, true);
    zero_grad(model);
    return ok_status();
}

static Status check_class(const Model& model, int cls) {
    const int classes = int(output_size(model));
    if (cls < 0 || cls >= classes) return error_status("class " + std::to_string(cls) + " is not one of the network's " + std::to_string(classes));
    return ok_status();
}

// d score_cls / d logits: 1 at cls, 0 elsewhere.
static std::vector<float> one_hot(const Model& model, int cls) {
    std::vector<float> v(size_t(output_size(model)), 0.0f);
    v[size_t(cls)] = 1.0f;
    return v;
}

Status class_score_gradient(float* dinp, Model& model, const float* picture, int cls) {
    if (Status s = check_class(model, cls); !s.ok()) return s;
    if (Status s = backward_from_seed(model, picture, int(model.layers.size()) - 1, one_hot(model, cls)); !s.ok()) return s;
    std::copy(model.dinput.begin(), model.dinput.begin() + shape_numel(model.input_shape), dinp);
    return ok_status();
}

Status saliency_map(float* out, Model& model, const float* picture, int cls) {
    const std::vector<int>& in = model.input_shape;  // (C, H, W)
    const int C = in[0], HW = in[1] * in[2];
    std::vector<float> grad(size_t(shape_numel(in)));   // (C, H, W)
    if (Status s = class_score_gradient(grad.data(), model, picture, cls); !s.ok()) return s;
    for (int i = 0; i < HW; i++) {
        float m = 0;
        for (int c = 0; c < C; c++) m = std::max(m, std::fabs(grad[size_t(c) * size_t(HW) + size_t(i)]));
        out[i] = m;
    }
    return ok_status();
}

int last_conv_layer(const Model& model) {
    int found = -1;
    for (size_t i = 0; i < model.layers.size(); i++) {
        const Layer& L = model.layers[i];
        if (L.out_shape.size() != 3) continue;
        const bool activation = L.kind == LayerKind::relu || L.kind == LayerKind::leaky_relu || L.kind == LayerKind::sigmoid ||
                                L.kind == LayerKind::tanh;
        if (L.kind == LayerKind::conv || (activation && found == int(i) - 1 && i > 0)) found = int(i);
    }
    return found;
}

void upsample_bilinear(float* out, const float* inp, int N, int C, int H, int W, int H_out, int W_out) {
    // PyTorch's rule: source = (destination + 0.5) * in / out - 0.5, at least 0; the neighbour
    // after it clamped to the last row or column.
    auto source = [](int d, int in, int out_size, int& i0, int& i1, float& t) {
        const float s = std::max((float(d) + 0.5f) * float(in) / float(out_size) - 0.5f, 0.0f);
        i0 = std::min(int(s), in - 1);
        i1 = std::min(i0 + 1, in - 1);
        t = s - float(i0);
    };
    for (int nc = 0; nc < N * C; nc++) {
        const float* x = inp + int64_t(nc) * H * W;
        float* y = out + int64_t(nc) * H_out * W_out;
        for (int oy = 0; oy < H_out; oy++) {
            int y0, y1;
            float ty;
            source(oy, H, H_out, y0, y1, ty);
            for (int ox = 0; ox < W_out; ox++) {
                int x0, x1;
                float tx;
                source(ox, W, W_out, x0, x1, tx);
                const float top = x[y0 * W + x0] * (1 - tx) + x[y0 * W + x1] * tx;
                const float bottom = x[y1 * W + x0] * (1 - tx) + x[y1 * W + x1] * tx;
                y[oy * W_out + ox] = top * (1 - ty) + bottom * ty;
            }
        }
    }
}

Status grad_cam(GradCam& out, Model& model, const float* picture, int cls, int layer) {
    if (Status s = check_class(model, cls); !s.ok()) return s;
    if (layer < 0 || layer >= int(model.layers.size()) || model.layers[size_t(layer)].out_shape.size() != 3)
        return error_status("Grad-CAM needs a layer whose output is (channels, rows, columns)");
    if (Status s = backward_from_seed(model, picture, int(model.layers.size()) - 1, one_hot(model, cls)); !s.ok()) return s;
    const std::vector<int>& shape = model.layers[size_t(layer)].out_shape;
    GradCam g;
    g.layer = layer;
    g.K = shape[0], g.h = shape[1], g.w = shape[2];
    const int hw = g.h * g.w;
    const float* A = model.acts[size_t(layer)].data();    // (K, h, w)
    const float* dA = model.dacts[size_t(layer)].data();  // (K, h, w)
    g.channel_weights.assign(size_t(g.K), 0.0f);
    g.cam.assign(size_t(hw), 0.0f);
    for (int k = 0; k < g.K; k++) {
        double sum = 0;
        for (int i = 0; i < hw; i++) sum += dA[k * hw + i];
        g.channel_weights[size_t(k)] = float(sum / hw);
    }
    for (int i = 0; i < hw; i++) {
        float v = 0;
        for (int k = 0; k < g.K; k++) v += g.channel_weights[size_t(k)] * A[k * hw + i];
        g.cam[size_t(i)] = std::max(v, 0.0f);
    }
    const int H = model.input_shape[1], W = model.input_shape[2];
    g.upsampled.resize(size_t(H) * size_t(W));
    upsample_bilinear(g.upsampled.data(), g.cam.data(), 1, 1, g.h, g.w, H, W);
    out = std::move(g);
    return ok_status();
}

// Softmax probability of class cls from K logits.
static float probability(const float* logits, int K, int cls) {
    const float top = *std::max_element(logits, logits + K);
    double sum = 0;
    for (int k = 0; k < K; k++) sum += std::exp(double(logits[k] - top));
    return float(std::exp(double(logits[cls] - top)) / sum);
}

std::vector<float> class_probabilities(Model& model, const float* picture) {
    if (!ensure_batch(model, 1).ok()) return {};
    const int K = int(output_size(model));
    const float* logits = model_forward(model, picture, 1, false);
    std::vector<float> p(static_cast<size_t>(K));
    for (int k = 0; k < K; k++) p[size_t(k)] = probability(logits, K, k);
    return p;
}

Status occlusion_map(std::vector<float>& map, int& rows, int& cols, float& probability_of_picture, Model& model, const float* picture,
                     int cls, int patch, int stride, float fill) {
    if (Status s = check_class(model, cls); !s.ok()) return s;
    const int C = model.input_shape[0], H = model.input_shape[1], W = model.input_shape[2];
    if (patch < 1 || patch > std::min(H, W) || stride < 1)
        return error_status("the patch must be 1 to " + std::to_string(std::min(H, W)) + " pixels and the stride at least 1");
    const int R = (H - patch) / stride + 1, Q = (W - patch) / stride + 1, K = int(output_size(model));
    const int64_t values = int64_t(C) * H * W;
    constexpr int kBatch = 64;  // occluded copies run through the network at once
    if (Status s = ensure_batch(model, kBatch); !s.ok()) return s;
    probability_of_picture = probability(model_forward(model, picture, 1, false), K, cls);
    std::vector<float> batch(size_t(kBatch * values));  // (kBatch, C, H, W)
    std::vector<float> result(size_t(R) * size_t(Q));
    for (int first = 0; first < R * Q; first += kBatch) {
        const int n = std::min(kBatch, R * Q - first);
        for (int b = 0; b < n; b++) {
            float* x = batch.data() + b * values;
            std::memcpy(x, picture, size_t(values) * sizeof(float));
            const int top = (first + b) / Q * stride, left = (first + b) % Q * stride;
            for (int c = 0; c < C; c++)
                for (int y = top; y < top + patch; y++)
                    for (int xx = left; xx < left + patch; xx++) x[(int64_t(c) * H + y) * W + xx] = fill;
        }
        const float* logits = model_forward(model, batch.data(), n, false);
        for (int b = 0; b < n; b++) result[size_t(first + b)] = probability_of_picture - probability(logits + int64_t(b) * K, K, cls);
    }
    map = std::move(result);
    rows = R, cols = Q;
    return ok_status();
}

// Shifts a (C, H, W) picture by (dy, dx), wrapping round: out[c, y, x] = inp[c, y - dy, x - dx].
static void roll(float* out, const float* inp, int C, int H, int W, int dy, int dx) {
    for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                out[(int64_t(c) * H + (y + dy + H) % H) * W + (x + dx + W) % W] = inp[(int64_t(c) * H + y) * W + x];
}

Status visualize_feature(std::vector<float>& picture, float& activation, Model& model, const FeatureSettings& fs) {
    if (fs.layer < 0 || fs.layer >= int(model.layers.size())) return error_status("there is no layer " + std::to_string(fs.layer));
    const std::vector<int>& shape = model.layers[size_t(fs.layer)].out_shape;
    const int channels = shape[0];
    if (fs.channel < 0 || fs.channel >= channels)
        return error_status("layer " + std::to_string(fs.layer) + " has channels 0 to " + std::to_string(channels - 1));
    const int64_t per_channel = shape_numel(shape) / channels;
    // d objective / d acts: 1/count on the channel's units (its mean), or 1 on its middle unit
    const int64_t middle = shape.size() == 3 ? int64_t(shape[1] / 2) * shape[2] + shape[2] / 2 : 0;
    std::vector<float> seed(size_t(shape_numel(shape)), 0.0f);
    if (fs.middle_unit) seed[size_t(fs.channel * per_channel + middle)] = 1.0f;
    else std::fill(seed.begin() + fs.channel * per_channel, seed.begin() + (fs.channel + 1) * per_channel, 1.0f / float(per_channel));
    const int C = model.input_shape[0], H = model.input_shape[1], W = model.input_shape[2];
    const int64_t n = int64_t(C) * H * W;
    Rng rng(fs.seed);
    std::vector<float> x(static_cast<size_t>(n)), shifted(static_cast<size_t>(n)), grad(static_cast<size_t>(n));  // each (C, H, W)
    for (float& v : x) v = 0.5f + 0.02f * (rng.uniform() - 0.5f);
    for (int k = 0; k < fs.steps; k++) {
        const int dy = fs.jitter ? rng.uniform_int(-fs.jitter, fs.jitter) : 0, dx = fs.jitter ? rng.uniform_int(-fs.jitter, fs.jitter) : 0;
        roll(shifted.data(), x.data(), C, H, W, dy, dx);
        if (Status s = backward_from_seed(model, shifted.data(), fs.layer, seed); !s.ok()) return s;
        roll(grad.data(), model.dinput.data(), C, H, W, -dy, -dx);
        double sq = 0;
        for (float g : grad) sq += double(g) * g;
        const float scale = fs.step / float(std::sqrt(sq / double(n)) + 1e-8);
        for (int64_t i = 0; i < n; i++) x[size_t(i)] = std::clamp(x[size_t(i)] + scale * grad[size_t(i)] - fs.step * fs.l2 * (x[size_t(i)] - 0.5f), 0.0f, 1.0f);
        if (fs.keep_mean) {
            double mean = 0;
            for (float v : x) mean += v;
            const float shift = 0.5f - float(mean / double(n));
            for (float& v : x) v = std::clamp(v + shift, 0.0f, 1.0f);
        }
    }
    model_forward(model, x.data(), 1, false);
    const float* a = model.acts[size_t(fs.layer)].data() + fs.channel * per_channel;
    double sum = 0;
    for (int64_t i = 0; i < per_channel; i++) sum += a[i];
    activation = fs.middle_unit ? a[middle] : float(sum / double(per_channel));
    picture = std::move(x);
    return ok_status();
}
