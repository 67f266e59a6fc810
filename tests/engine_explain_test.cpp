// engine_explain_test.cpp — adversarial pictures and explanations (engine/adversarial.h,
// engine/explain.h): small cases with numbers a person can check, then the seed net against the real
// PyTorch (tests/torch_explain.py writes build/reference/explain.safetensors).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "../engine/adversarial.h"
#include "../engine/explain.h"
#include "../engine/train_run.h"
#include "test_util.h"

namespace {

const NamedTensors& explain_reference() {
    static std::string load_error;
    static NamedTensors file = [] {
        NamedTensors f;
        const char* env = std::getenv("CNNLAB_EXPLAIN_REFERENCE");
        Status s = safetensors_load(f, env ? env : "build/reference/explain.safetensors");
        if (!s.ok()) load_error = s.message + " (scripts/test makes it with tests/torch_explain.py)";
        return f;
    }();
    INFO(load_error);
    REQUIRE(load_error.empty());
    return file;
}

const Tensor& ref(const std::string& name) {
    const Tensor* t = explain_reference().find(name);
    INFO("reference tensor " << name);
    REQUIRE(t != nullptr);
    return *t;
}

NamedTensors with_prefix(const NamedTensors& file, const std::string& prefix) {
    NamedTensors out;
    for (const auto& [name, t] : file.tensors)
        if (name.rfind(prefix + ".", 0) == 0) out.tensors.emplace_back(name.substr(prefix.size() + 1), t);
    return out;
}

std::vector<int32_t> as_labels(const Tensor& t) {
    std::vector<int32_t> v;
    for (float x : t.data) v.push_back(int32_t(x));
    return v;
}

// A model of 2 inputs in a (1,1,2) picture and 2 classes: flatten, then linear with these weights.
//   logits = W x + b,  W = [[1, -2], [0, 3]], b = [0, 0]
Model tiny_linear() {
    Model m;
    REQUIRE(model_from_json(m, R"({"input": [1, 1, 2], "layers": [{"type": "flatten"}, {"type": "linear", "name": "fc", "out": 2}]})", 1).ok());
    const float W[] = {1, -2, 0, 3};
    std::copy(W, W + 4, m.params.begin());
    m.params[4] = m.params[5] = 0;
    return m;
}

}  // namespace

TEST_CASE("input gradient and FGSM on a tiny linear model, by hand") {
    Model m = tiny_linear();
    // x = [0.5, 0.5]: logits = [1*0.5 - 2*0.5, 3*0.5] = [-0.5, 1.5]; p = softmax = [0.1192, 0.8808].
    // Label 0: dL/dlogits = p - onehot(0) = [-0.8808, 0.8808];
    // dL/dx = W^T (p - y) = [1*-0.8808 + 0*0.8808, -2*-0.8808 + 3*0.8808] = [-0.8808, 4.4040].
    const float x[] = {0.5f, 0.5f};
    const int32_t y[] = {0};
    float grad[2], loss[1];
    REQUIRE(input_gradient(grad, loss, m, x, y, 1).ok());
    CHECK(grad[0] == doctest::Approx(-0.880797).epsilon(1e-5));
    CHECK(grad[1] == doctest::Approx(4.403985).epsilon(1e-5));
    CHECK(loss[0] == doctest::Approx(2.126928).epsilon(1e-5));  // -ln(0.1192)
    // FGSM, eps 0.1: x + 0.1*sign(grad) = [0.5 - 0.1, 0.5 + 0.1] = [0.4, 0.6].
    float adv[2];
    REQUIRE(fgsm(adv, m, x, y, 1, 0.1f, false).ok());
    CHECK(adv[0] == doctest::Approx(0.4f));
    CHECK(adv[1] == doctest::Approx(0.6f));
    // eps 0.7 would give [-0.2, 1.2]: clipped to [0, 1].
    REQUIRE(fgsm(adv, m, x, y, 1, 0.7f, false).ok());
    CHECK(adv[0] == 0.0f);
    CHECK(adv[1] == 1.0f);
    // Targeted at class 1: the loss of class 1 pulled down, x - 0.1*sign(dL(1)/dx).
    // dL(1)/dx = W^T (p - onehot(1)) = W^T [0.1192, -0.1192] = [0.1192, -0.2384 - 0.3576] = [0.1192, -0.5960]: [0.4, 0.6].
    const int32_t t[] = {1};
    REQUIRE(fgsm(adv, m, x, t, 1, 0.1f, true).ok());
    CHECK(adv[0] == doctest::Approx(0.4f));
    CHECK(adv[1] == doctest::Approx(0.6f));
    // PGD with 5 steps of 0.05 inside eps 0.1: the same direction every step (a linear model), so it
    // walks to the ball's edge and stays there: [0.4, 0.6].
    REQUIRE(pgd(adv, m, x, y, 1, 0.1f, 0.05f, 5, false).ok());
    CHECK(adv[0] == doctest::Approx(0.4f));
    CHECK(adv[1] == doctest::Approx(0.6f));
    // The parameters' gradients are left at zero.
    CHECK(*std::max_element(m.grads.begin(), m.grads.end()) == 0.0f);
    const int32_t bad[] = {2};
    CHECK_FALSE(input_gradient(grad, nullptr, m, x, bad, 1).ok());
}

TEST_CASE("saliency, occlusion and upsampling by hand") {
    Model m = tiny_linear();
    // score_1 = 0*x0 + 3*x1: the saliency is |d score_1/dx| = [0, 3].
    const float x[] = {0.5f, 0.5f};
    float s[2];
    REQUIRE(saliency_map(s, m, x, 1).ok());
    CHECK(s[0] == 0.0f);
    CHECK(s[1] == doctest::Approx(3.0f));
    // Occluding one pixel at a time with 0: p_1 = 0.8808 as it is. Pixel 0 -> 0: logits [-1, 1.5],
    // p_1 = 1/(1+e^-2.5) = 0.9241, a drop of -0.0433; pixel 1 -> 0: logits [0.5, 0], p_1 = 0.3775, a drop of 0.5033.
    std::vector<float> map;
    int rows = 0, cols = 0;
    float p = 0;
    REQUIRE(occlusion_map(map, rows, cols, p, m, x, 1, 1, 1, 0.0f).ok());
    CHECK(rows == 1);
    CHECK(cols == 2);
    CHECK(p == doctest::Approx(0.880797).epsilon(1e-5));
    CHECK(map[0] == doctest::Approx(0.880797 - 0.924142).epsilon(1e-4));
    CHECK(map[1] == doctest::Approx(0.880797 - 0.377541).epsilon(1e-4));
    // Bilinear 2x2 -> 4x4 as F.interpolate(align_corners=False): destination column d reads source
    // (d + 0.5)/2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (the neighbour clamped to column 1):
    // row [1, 2] becomes [1, 1.25, 1.75, 2].
    const float in[] = {1, 2, 3, 4};
    float out[16];
    upsample_bilinear(out, in, 1, 1, 2, 2, 4, 4);
    const std::vector<float> expected = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
    CHECK(max_abs_diff(std::vector<float>(out, out + 16), expected) < 1e-6);
}

TEST_CASE("Grad-CAM by hand: one channel weight and the map") {
    // conv(1 -> 2 channels, 1x1, no bias) with weights [1, -1], then flatten and a linear layer.
    // A = [x, -x] on a 1x2 picture x = [1, 2]: A_0 = [1, 2], A_1 = [-1, -2].
    // score_0 = 1*A_0[0] + 1*A_0[1] + 2*A_1[0] + 0*A_1[1]: dscore/dA_0 = [1, 1], mean 1 = alpha_0;
    // dscore/dA_1 = [2, 0], mean 1 = alpha_1. cam = ReLU(1*A_0 + 1*A_1) = ReLU([0, 0]) = [0, 0].
    // With linear weights [3, 1, 0, 0]: alpha_0 = 2, alpha_1 = 0: cam = ReLU(2*[1, 2]) = [2, 4].
    Model m;
    REQUIRE(model_from_json(m, R"({"input": [1, 1, 2], "layers": [{"type": "conv", "out": 2, "kernel": 1, "bias": false},
        {"type": "flatten"}, {"type": "linear", "out": 1, "bias": false}]})", 1).ok());
    m.params = {1, -1, 1, 1, 2, 0};
    const float x[] = {1, 2};
    GradCam g;
    REQUIRE(grad_cam(g, m, x, 0, 0).ok());
    CHECK(g.channel_weights == std::vector<float>{1, 1});
    CHECK(g.cam == std::vector<float>{0, 0});
    m.params = {1, -1, 3, 1, 0, 0};
    REQUIRE(grad_cam(g, m, x, 0, 0).ok());
    CHECK(g.channel_weights == std::vector<float>{2, 0});
    CHECK(g.cam == std::vector<float>{2, 4});
    CHECK(last_conv_layer(m) == 0);
    Model seed;
    REQUIRE(model_from_json(seed, seed_model_json(), 1).ok());
    CHECK(last_conv_layer(seed) == 4);  // conv2's ReLU
}

TEST_CASE("FGSM, PGD, saliency and Grad-CAM match PyTorch on the seed net") {
    Model m;
    REQUIRE(model_from_json(m, seed_model_json(), 1).ok());
    REQUIRE(load_model_state(m, with_prefix(explain_reference(), "seed")).ok());
    const Tensor& pictures = ref("pictures");
    const std::vector<int32_t> labels = as_labels(ref("labels")), targets = as_labels(ref("targets"));
    const int N = int(labels.size());
    std::vector<float> out(pictures.data.size());
    REQUIRE(input_gradient(out.data(), nullptr, m, pictures.data.data(), labels.data(), N).ok());
    const Tensor& g = ref("grad");
    const float scale = *std::max_element(g.data.begin(), g.data.end(), [](float a, float b) { return std::fabs(a) < std::fabs(b); });
    INFO("largest |gradient| " << scale << ", largest difference " << max_abs_diff(out, g.data));
    CHECK(max_abs_diff(out, g.data) <= 1e-4 * std::fabs(scale));
    // The attacks take the gradient's sign: a pixel whose gradient is within rounding of 0 may go
    // either way, so such pixels (|g| < 1e-6 of the largest) are counted, and must be few.
    auto compare_attack = [&](const char* name, const std::vector<float>& ours) {
        const Tensor& theirs = ref(name);
        int differ = 0;
        for (size_t i = 0; i < ours.size(); i++) differ += std::fabs(ours[i] - theirs.data[i]) > 1e-5f;
        MESSAGE(std::string(name) << ": " << differ << " of " << ours.size() << " pixels differ, largest difference " << max_abs_diff(ours, theirs.data));
        CHECK(differ <= int(ours.size() / 1000));
    };
    REQUIRE(fgsm(out.data(), m, pictures.data.data(), labels.data(), N, 0.1f, false).ok());
    compare_attack("fgsm", out);
    REQUIRE(fgsm(out.data(), m, pictures.data.data(), targets.data(), N, 0.1f, true).ok());
    compare_attack("fgsm_targeted", out);
    REQUIRE(pgd(out.data(), m, pictures.data.data(), labels.data(), N, 0.1f, 0.02f, 7, false).ok());
    compare_attack("pgd", out);
    REQUIRE(pgd(out.data(), m, pictures.data.data(), targets.data(), N, 0.1f, 0.02f, 7, true).ok());
    compare_attack("pgd_targeted", out);

    std::vector<float> saliency(28 * 28);
    REQUIRE(saliency_map(saliency.data(), m, pictures.data.data(), labels[0]).ok());
    MESSAGE("saliency: largest difference " << max_abs_diff(saliency, ref("saliency").data));
    CHECK(max_abs_diff(saliency, ref("saliency").data) <= 1e-4);
    GradCam cam;
    REQUIRE(grad_cam(cam, m, pictures.data.data(), labels[0], last_conv_layer(m)).ok());
    MESSAGE("Grad-CAM weights " << max_abs_diff(cam.channel_weights, ref("gradcam/weights").data) << ", map "
                              << max_abs_diff(cam.cam, ref("gradcam/cam").data) << ", upsampled "
                              << max_abs_diff(cam.upsampled, ref("gradcam/upsampled").data));
    CHECK(max_abs_diff(cam.channel_weights, ref("gradcam/weights").data) <= 1e-4);
    CHECK(max_abs_diff(cam.cam, ref("gradcam/cam").data) <= 1e-4);
    CHECK(max_abs_diff(cam.upsampled, ref("gradcam/upsampled").data) <= 1e-4);
}

TEST_CASE("the input gradient through batch norm and dropout at test time matches PyTorch's eval mode") {
    Model m;
    REQUIRE(model_from_json(m, R"({"input": [1, 28, 28], "layers": [{"type": "conv", "name": "conv", "out": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm", "name": "bn"}, {"type": "relu"}, {"type": "maxpool", "kernel": 2}, {"type": "flatten"},
        {"type": "dropout", "p": 0.3}, {"type": "linear", "name": "fc", "out": 10}]})", 1).ok());
    const Status loaded = load_model_state(m, with_prefix(explain_reference(), "bn"));
    INFO(loaded.message);
    REQUIRE(loaded.ok());
    const Tensor& pictures = ref("pictures");
    const std::vector<int32_t> labels = as_labels(ref("labels"));
    std::vector<float> out(pictures.data.size());
    REQUIRE(input_gradient(out.data(), nullptr, m, pictures.data.data(), labels.data(), int(labels.size())).ok());
    INFO("largest difference " << max_abs_diff(out, ref("bn/grad").data));
    CHECK(max_abs_diff(out, ref("bn/grad").data) <= 1e-6);
}

TEST_CASE("eval-mode batch norm backward against finite differences") {
    // y = (x - m) r g + b per channel, r = 1/sqrt(v + eps); loss = sum(y * dout).
    Rng rng(3);
    const int N = 2, C = 3, HW = 4;
    std::vector<float> x = random_vec(N * C * HW, rng), dout = random_vec(N * C * HW, rng), g = random_vec(C, rng, 0.5f, 1.5f),
                       b = random_vec(C, rng), mean = random_vec(C, rng), var = random_vec(C, rng, 0.5f, 2.0f);
    std::vector<float> dx(x.size(), 0.0f), dg(C, 0.0f), db(C, 0.0f);
    batchnorm2d_backward_eval(dx.data(), dg.data(), db.data(), dout.data(), x.data(), g.data(), mean.data(), var.data(), N, C, HW, 1e-5f);
    auto loss = [&](const std::vector<float>& xx, const std::vector<float>& gg) {
        std::vector<float> y(xx.size());
        batchnorm2d_forward_eval(y.data(), xx.data(), gg.data(), b.data(), mean.data(), var.data(), N, C, HW, 1e-5f);
        double s = 0;
        for (size_t i = 0; i < y.size(); i++) s += double(y[i]) * dout[i];
        return s;
    };
    double worst = 0;
    for (size_t i = 0; i < x.size(); i++) {
        std::vector<float> hi = x, lo = x;
        hi[i] += 1e-2f, lo[i] -= 1e-2f;
        worst = std::max(worst, std::fabs((loss(hi, g) - loss(lo, g)) / 2e-2 - dx[i]));
    }
    for (int c = 0; c < C; c++) {
        std::vector<float> hi = g, lo = g;
        hi[size_t(c)] += 1e-2f, lo[size_t(c)] -= 1e-2f;
        worst = std::max(worst, std::fabs((loss(x, hi) - loss(x, lo)) / 2e-2 - dg[size_t(c)]));
    }
    INFO("largest difference from finite differences " << worst);
    CHECK(worst < 1e-3);
}

TEST_CASE("a frozen layer does not move; the layers after it learn") {
    Model m;
    REQUIRE(model_from_json(m, seed_model_json(), 4).ok());
    const int64_t frozen = params_before_layer(m, 7);  // conv1 and conv2: 4*9 + 4 + 8*36 + 8 = 336
    CHECK(frozen == 336);
    CHECK(params_before_layer(m, 10) == int64_t(m.params.size()));
    Dataset data;
    data.count = 64, data.rows = data.cols = 28;
    Rng rng(9);
    for (int i = 0; i < 64 * 28 * 28; i++) data.pixels.push_back(uint8_t(rng.uniform_int(0, 255)));
    for (int i = 0; i < 64; i++) data.labels.push_back(i % 10);
    const std::vector<float> before = m.params;
    TrainRun run;
    train_run_start(run, {.optimizer = {.kind = OptimizerKind::adam, .lr = 0.01f}, .batch = 16, .frozen = frozen}, int64_t(m.params.size()));
    REQUIRE(ensure_batch(m, 16).ok());
    for (int i = 0; i < 4; i++) train_run_step(run, m, data);
    CHECK(std::equal(before.begin(), before.begin() + frozen, m.params.begin()));
    int moved = 0;
    for (size_t i = size_t(frozen); i < m.params.size(); i++) moved += m.params[i] != before[i];
    // fc1's weights from a channel whose ReLU stayed at 0 get no gradient; fc2's bias always does.
    INFO(moved << " of the " << m.params.size() - size_t(frozen) << " trained parameters moved");
    CHECK(moved > 1000);
    for (size_t i = m.params.size() - 10; i < m.params.size(); i++) CHECK(m.params[i] != before[i]);
    CHECK(run.opt.m.size() == m.params.size() - size_t(frozen));
}

TEST_CASE("feature visualization draws what a filter looks for") {
    // conv1 with one 3x3 kernel that answers a bright row between dark rows, then a ReLU. Its mean
    // response to grey is ~0 (the kernel sums to 0); the picture made for it is horizontal stripes:
    // its rows differ (a bright row, then darker ones) while its columns are alike.
    Model m;
    REQUIRE(model_from_json(m, R"({"input": [1, 12, 12], "layers": [{"type": "conv", "out": 1, "kernel": 3, "bias": false},
        {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out": 2}]})", 1).ok());
    std::copy_n(std::vector<float>{-1, -1, -1, 2, 2, 2, -1, -1, -1}.begin(), 9, m.params.begin());
    std::vector<float> picture;
    float activation = 0;
    REQUIRE(visualize_feature(picture, activation, m, {.layer = 1, .channel = 0, .steps = 60, .step = 0.05f, .l2 = 0.0f, .jitter = 0}).ok());
    auto spread = [](const std::vector<float>& means) {
        const auto [lo, hi] = std::minmax_element(means.begin(), means.end());
        return *hi - *lo;
    };
    std::vector<float> row_means(12, 0.0f), col_means(12, 0.0f);
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 12; x++) row_means[size_t(y)] += picture[size_t(y * 12 + x)] / 12, col_means[size_t(x)] += picture[size_t(y * 12 + x)] / 12;
    INFO("mean activation " << activation << ", row means spread " << spread(row_means) << ", column means spread " << spread(col_means));
    CHECK(activation > 1.0f);  // stripes one row in three bright give 6 at a third of the places: 2
    CHECK(spread(row_means) > 0.5f);
    CHECK(spread(col_means) < 0.2f);
    for (float v : picture) CHECK((v >= 0.0f && v <= 1.0f));
    CHECK_FALSE(visualize_feature(picture, activation, m, {.layer = 0, .channel = 1}).ok());
    // The middle unit of the (10, 10) output alone, (5, 5), sees pixels 5..7 in rows and columns: they
    // go bright where the kernel is 2 (row 6) and dark where it is -1; every other pixel stays at its
    // start, grey within 0.01. Its value: 2·(1 + 1 + 1) - 0·6 = 6.
    REQUIRE(visualize_feature(picture, activation, m, {.layer = 0, .channel = 0, .steps = 40, .step = 0.05f, .l2 = 0.0f, .jitter = 0,
                                                       .middle_unit = true}).ok());
    CHECK(activation == doctest::Approx(6.0f));
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 12; x++) {
            const float v = picture[size_t(y * 12 + x)];
            INFO("pixel " << y << ", " << x << " = " << v);
            if (y < 5 || y > 7 || x < 5 || x > 7) CHECK(std::fabs(v - 0.5f) <= 0.01f);
            else CHECK(v == (y == 6 ? 1.0f : 0.0f));
        }
}
