#include "receptive_field.h"

#include <algorithm>
#include <cmath>
#include <string>

using std::to_string;

Status receptive_fields(std::vector<ReceptiveField>& fields, const std::vector<ConvAxis>& layers) {
    std::vector<ReceptiveField> out(layers.size() + 1);  // (L+1) out[0]: the input itself
    for (size_t l = 0; l < layers.size(); l++) {
        const ConvAxis& a = layers[l];
        const std::string name = "layer " + to_string(l + 1);
        if (a.kernel < 1) return error_status(name + ": the kernel must be at least 1 (it is " + to_string(a.kernel) + ")");
        if (a.stride < 1) return error_status(name + ": the stride must be at least 1 (it is " + to_string(a.stride) + ")");
        if (a.dilation < 1) return error_status(name + ": the dilation must be at least 1 (it is " + to_string(a.dilation) + ")");
        if (a.pad_before < 0) return error_status(name + ": the padding cannot be negative (it is " + to_string(a.pad_before) + ")");
        const ReceptiveField& before = out[l];
        ReceptiveField& f = out[l + 1];
        // Each factor is below 2^31 and the running values below 2^40, so no product overflows int64.
        f.size = before.size + int64_t(a.kernel - 1) * a.dilation * before.jump;  // r_l = r_{l-1} + (k-1)*d*j_{l-1}
        f.jump = before.jump * a.stride;                                            // j_l = j_{l-1} * s
        f.start = before.start - int64_t(a.pad_before) * before.jump;               // start_l = start_{l-1} - p*j_{l-1}
        if (f.size > kMaxReceptiveField || f.jump > kMaxReceptiveField || -f.start > kMaxReceptiveField)
            return error_status(name + ": the receptive field grows past " + to_string(kMaxReceptiveField) +
                                " pixels; use fewer or smaller layers");
    }
    fields = std::move(out);
    return ok_status();
}

Status model_receptive_field(ReceptiveField& rows, ReceptiveField& cols, const Model& model, int layer) {
    if (layer < 0 || layer >= int(model.layers.size()))
        return error_status("layer " + to_string(layer) + " is not in the model (it has " + to_string(model.layers.size()) + " layers)");
    std::vector<ConvAxis> row_axes, col_axes;
    for (int i = 0; i <= layer; i++) {
        const Layer& L = model.layers[size_t(i)];
        const std::string name = "layer " + to_string(i) + " (" + L.name + ")";
        if (L.source != i - 1)
            return error_status(name + " reads an earlier layer's output, a branch; receptive fields of branching networks are not computed here");
        switch (L.kind) {
            case LayerKind::conv:
                row_axes.push_back(L.conv.rows);
                col_axes.push_back(L.conv.cols);
                break;
            case LayerKind::maxpool:
            case LayerKind::avgpool:
                row_axes.push_back(L.pool.rows);
                col_axes.push_back(L.pool.cols);
                break;
            case LayerKind::flatten:
            case LayerKind::linear:
            case LayerKind::global_avgpool:
            case LayerKind::adaptive_avgpool:
                return error_status(name + " mixes every position of its input, so its units see the whole picture");
            case LayerKind::conv_transpose:
                return error_status(name + " is a transposed convolution; its receptive field is not computed here");
            case LayerKind::add:
            case LayerKind::concat:
            case LayerKind::scale:
                return error_status(name + " joins two branches; receptive fields of branching networks are not computed here");
            default:
                break;  // elementwise: the field passes unchanged
        }
    }
    std::vector<ReceptiveField> r, c;
    if (Status s = receptive_fields(r, row_axes); !s.ok()) return s;
    if (Status s = receptive_fields(c, col_axes); !s.ok()) return s;
    rows = r.back();
    cols = c.back();
    return ok_status();
}

Status effective_receptive_field(std::vector<float>& erf, Model& model, const float* inputs, int N, int layer,
                                 int channel, int y, int x) {
    if (layer < 0 || layer >= int(model.layers.size()))
        return error_status("layer " + to_string(layer) + " is not in the model (it has " + to_string(model.layers.size()) + " layers)");
    if (model.input_shape.size() != 3) return error_status("the model's input is not an image (C,H,W)");
    const std::vector<int>& shape = model.layers[size_t(layer)].out_shape;  // one sample: (OC, OH, OW) or (D)
    const int OC = shape[0], OH = shape.size() == 3 ? shape[1] : 1, OW = shape.size() == 3 ? shape[2] : 1;
    if (channel < -1 || channel >= OC) return error_status("channel " + to_string(channel) + " is not in layer " + to_string(layer) + " (it has " + to_string(OC) + ")");
    if (y < 0 || y >= OH || x < 0 || x >= OW)
        return error_status("unit [" + to_string(y) + ", " + to_string(x) + "] is outside layer " + to_string(layer) + "'s " +
                            to_string(OH) + " x " + to_string(OW) + " output");
    if (N < 1) return error_status("the effective receptive field needs at least one input");
    for (int i = 0; i <= layer; i++) {
        const Layer& L = model.layers[size_t(i)];
        if (L.kind == LayerKind::batchnorm || L.kind == LayerKind::dropout)
            return error_status("layer " + to_string(i) + " (" + L.name + ") behaves differently in training; the effective "
                                "receptive field is measured without batch norm or dropout layers");
    }
    const int C = model.input_shape[0], H = model.input_shape[1], W = model.input_shape[2];
    const int64_t in_values = int64_t(C) * H * W;      // one input sample
    const int64_t out_values = int64_t(OC) * OH * OW;  // one sample of layer `layer`'s output
    const int batch = std::min(N, 64);
    if (Status s = ensure_batch(model, std::max(batch, model.max_batch)); !s.ok()) return s;
    const std::vector<float> kept_grads = model.grads;
    std::vector<float> sum(size_t(H) * size_t(W), 0.0f);  // (H, W)
    for (int first = 0; first < N; first += batch) {
        const int n = std::min(batch, N - first);
        const float* inp = inputs + int64_t(first) * in_values;  // (n, C, H, W)
        model_forward(model, inp, n, false);
        float* seed = model.dacts[size_t(layer)].data();          // (n, OC, OH, OW)
        std::fill(seed, seed + int64_t(n) * out_values, 0.0f);
        for (int i = 0; i < n; i++)
            for (int oc = 0; oc < OC; oc++)
                if (channel < 0 || oc == channel) seed[int64_t(i) * out_values + (int64_t(oc) * OH + y) * OW + x] = 1.0f;
        model_backward_from(model, inp, n, layer, true);
        const float* dinp = model.dinput.data();  // (n, C, H, W)
        for (int i = 0; i < n; i++)
            for (int c = 0; c < C; c++)
                for (int64_t p = 0; p < int64_t(H) * W; p++) sum[size_t(p)] += std::fabs(dinp[int64_t(i) * in_values + int64_t(c) * H * W + p]);
    }
    model.grads = kept_grads;
    erf = std::move(sum);
    return ok_status();
}

int64_t concentrated_size(const std::vector<float>& erf, int H, int W, int64_t y0, int64_t x0, int64_t r, double share) {
    auto mass = [&](int64_t top, int64_t left, int64_t side) {  // sum over the square, clipped to the map
        double m = 0;
        for (int64_t y = std::max<int64_t>(top, 0); y < std::min<int64_t>(top + side, H); y++)
            for (int64_t x = std::max<int64_t>(left, 0); x < std::min<int64_t>(left + side, W); x++) m += erf[size_t(y * W + x)];
        return m;
    };
    const double total = mass(0, 0, std::max(H, W));
    if (total <= 0) return 0;
    int64_t side = r;
    for (int64_t k = 1; r - 2 * k >= 1; k++) {
        if (mass(y0 + k, x0 + k, r - 2 * k) < share * total) break;
        side = r - 2 * k;
    }
    return side;
}
