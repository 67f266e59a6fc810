// engine_gradcheck_test.cpp — every op's backward against finite differences of its forward.
// For a random R, the loss L = sum(out * R); backward with dout = R gives dL/dx analytically, and
// (L(x + eps) - L(x - eps)) / (2 eps), one input value at a time, gives it numerically.
// The forward runs in float, so the check allows 1% of the gradient's largest value.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "../engine/ops.h"
#include "test_util.h"

namespace {

using Vec = std::vector<float>;


// Loss = sum(out * R), accumulated in double so the differences are not drowned by rounding.
double weighted_sum(const Vec& out, const Vec& R) {
    double s = 0;
    for (size_t i = 0; i < out.size(); i++) s += double(out[i]) * R[i];
    return s;
}

// Compares `analytic` with central differences of loss(x) over every value of x (changed in place
// and restored). Reports the largest difference relative to the gradient's scale.
void gradcheck(const char* what, Vec& x, const std::function<double()>& loss, const Vec& analytic, float eps = 1e-2f) {
    REQUIRE(analytic.size() == x.size());
    double worst = 0, scale = 1e-3;
    for (float g : analytic) scale = std::fmax(scale, std::fabs(g));
    for (size_t i = 0; i < x.size(); i++) {
        const float keep = x[i];
        x[i] = keep + eps;
        const double up = loss();
        x[i] = keep - eps;
        const double down = loss();
        x[i] = keep;
        const double numeric = (up - down) / (2.0 * eps);
        worst = std::fmax(worst, std::fabs(numeric - analytic[i]));
    }
    INFO(std::string(what) << ": largest difference " << worst << " against a gradient scale of " << scale);
    CHECK(worst <= 1e-2 * scale);
}


}  // namespace

TEST_CASE("gradcheck: conv2d with stride, padding, dilation and groups") {
    Rng rng(1);
    const int N = 2, C = 4, H = 7, W = 6, OC = 6;
    for (int groups : {1, 2}) {
        for (bool flip : {false, true}) {
            Conv2dSpec spec;
            spec.rows = conv_axis(3, flip ? 1 : 2, 1, 1);  // stride 1 takes the fast path, stride 2 the reference one
            spec.cols = conv_axis(2, 1, 1, 2);
            spec.groups = groups;
            spec.flip = flip;
            const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
            Vec x = random_vec(size_t(N * C * H * W), rng), w = random_vec(size_t(OC * C / groups * 3 * 2), rng),
                b = random_vec(size_t(OC), rng), R = random_vec(size_t(N * OC * OH * OW), rng);
            Vec out(R.size()), dx(x.size()), dw(w.size()), db(b.size());
            auto loss = [&] {
                conv2d_forward(out.data(), x.data(), w.data(), b.data(), N, C, H, W, OC, spec);
                return weighted_sum(out, R);
            };
            conv2d_backward(dx.data(), dw.data(), db.data(), R.data(), x.data(), w.data(), N, C, H, W, OC, spec);
            gradcheck("conv2d dx", x, loss, dx);
            gradcheck("conv2d dw", w, loss, dw);
            gradcheck("conv2d db", b, loss, db);
        }
    }
}

TEST_CASE("gradcheck: conv_transpose2d") {
    Rng rng(2);
    const int N = 2, C = 4, H = 4, W = 3, OC = 2;
    ConvTranspose2dSpec spec;
    spec.rows = conv_axis(3, 2, 1, 1);
    spec.cols = conv_axis(2, 2, 0, 1);
    spec.output_padding_rows = 1;
    spec.groups = 2;
    const int OH = int(conv_transpose_output_size(H, spec.rows, 1)), OW = int(conv_transpose_output_size(W, spec.cols, 0));
    Vec x = random_vec(size_t(N * C * H * W), rng), w = random_vec(size_t(C * OC / 2 * 3 * 2), rng),
        b = random_vec(size_t(OC), rng), R = random_vec(size_t(N * OC * OH * OW), rng);
    Vec out(R.size()), dx(x.size()), dw(w.size()), db(b.size());
    auto loss = [&] {
        conv_transpose2d_forward(out.data(), x.data(), w.data(), b.data(), N, C, H, W, OC, spec);
        return weighted_sum(out, R);
    };
    conv_transpose2d_backward(dx.data(), dw.data(), db.data(), R.data(), x.data(), w.data(), N, C, H, W, OC, spec);
    gradcheck("conv_transpose2d dx", x, loss, dx);
    gradcheck("conv_transpose2d dw", w, loss, dw);
    gradcheck("conv_transpose2d db", b, loss, db);
}

TEST_CASE("gradcheck: pooling") {
    Rng rng(3);
    const int N = 2, C = 2, H = 7, W = 6;
    // distinct values at least 0.05 apart, so eps = 0.01 never changes which value is the maximum
    Vec x(size_t(N * C * H * W));
    for (size_t i = 0; i < x.size(); i++) x[i] = 0.05f * float(i);
    for (size_t i = x.size() - 1; i > 0; i--) std::swap(x[i], x[size_t(rng.uniform_int(0, int(i)))]);
    Pool2dSpec spec;
    spec.rows = conv_axis(3, 2, 1, 1);
    spec.cols = conv_axis(2, 2, 1, 1);
    const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
    Vec R = random_vec(size_t(N * C * OH * OW), rng), out(R.size()), dx(x.size());
    std::vector<int32_t> argmax(R.size());
    auto max_loss = [&] {
        maxpool2d_forward(out.data(), argmax.data(), x.data(), N, C, H, W, spec);
        return weighted_sum(out, R);
    };
    max_loss();
    maxpool2d_backward(dx.data(), R.data(), argmax.data(), N, C, H, W, spec);
    gradcheck("maxpool2d dx", x, max_loss, dx);

    Vec dx_avg(x.size());
    auto avg_loss = [&] {
        avgpool2d_forward(out.data(), x.data(), N, C, H, W, spec);
        return weighted_sum(out, R);
    };
    avgpool2d_backward(dx_avg.data(), R.data(), N, C, H, W, spec);
    gradcheck("avgpool2d dx", x, avg_loss, dx_avg);

    Vec Rg = random_vec(size_t(N * C), rng), g_out(Rg.size()), dx_g(x.size());
    auto global_loss = [&] {
        global_avgpool_forward(g_out.data(), x.data(), N, C, H * W);
        return weighted_sum(g_out, Rg);
    };
    global_avgpool_backward(dx_g.data(), Rg.data(), N, C, H * W);
    gradcheck("global_avgpool dx", x, global_loss, dx_g);
}

TEST_CASE("gradcheck: activations") {
    Rng rng(4);
    const int64_t n = 40;
    // keep away from ReLU's kink at 0: |x| >= 0.1 > eps
    Vec x = random_vec(size_t(n), rng, 0.1f, 2.0f);
    for (size_t i = 0; i < x.size(); i += 2) x[i] = -x[i];
    Vec R = random_vec(x.size(), rng), out(x.size());
    auto check = [&](const char* what, auto forward, auto backward_from) {
        Vec dx(x.size());
        auto loss = [&] { forward(); return weighted_sum(out, R); };
        loss();
        backward_from(dx);
        gradcheck(what, x, loss, dx);
    };
    check("relu", [&] { relu_forward(out.data(), x.data(), n); },
          [&](Vec& dx) { relu_backward(dx.data(), R.data(), out.data(), n); });
    check("leaky_relu", [&] { leaky_relu_forward(out.data(), x.data(), n, 0.1f); },
          [&](Vec& dx) { leaky_relu_backward(dx.data(), R.data(), x.data(), n, 0.1f); });
    check("sigmoid", [&] { sigmoid_forward(out.data(), x.data(), n); },
          [&](Vec& dx) { sigmoid_backward(dx.data(), R.data(), out.data(), n); });
    check("tanh", [&] { tanh_forward(out.data(), x.data(), n); },
          [&](Vec& dx) { tanh_backward(dx.data(), R.data(), out.data(), n); });
    check("silu", [&] { silu_forward(out.data(), x.data(), n); },
          [&](Vec& dx) { silu_backward(dx.data(), R.data(), x.data(), n); });
}

TEST_CASE("gradcheck: adaptive average pooling and the channel scale") {
    Rng rng(14);
    // 7x5 to 3x2: overlapping windows of rows [0,3) [2,5) [4,7) and columns [0,3) [2,5)
    const int N = 2, C = 3, H = 7, W = 5, OH = 3, OW = 2;
    Vec x = random_vec(size_t(N) * C * H * W, rng), R = random_vec(size_t(N) * C * OH * OW, rng), out(R.size()), dx(x.size());
    auto pool_loss = [&] {
        adaptive_avgpool2d_forward(out.data(), x.data(), N, C, H, W, OH, OW);
        return weighted_sum(out, R);
    };
    pool_loss();
    adaptive_avgpool2d_backward(dx.data(), R.data(), N, C, H, W, OH, OW);
    gradcheck("adaptive_avgpool2d", x, pool_loss, dx);

    Vec map = random_vec(size_t(N) * C * 6, rng), gate = random_vec(size_t(N) * C, rng, 0.1f, 0.9f);
    Vec S = random_vec(map.size(), rng), scaled(map.size()), dmap(map.size()), dgate(gate.size());
    auto scale_loss = [&] {
        channel_scale_forward(scaled.data(), map.data(), gate.data(), N, C, 6);
        return weighted_sum(scaled, S);
    };
    scale_loss();
    channel_scale_backward(dmap.data(), dgate.data(), S.data(), map.data(), gate.data(), N, C, 6);
    gradcheck("channel_scale: the map", map, scale_loss, dmap);
    gradcheck("channel_scale: the gate", gate, scale_loss, dgate);
}

TEST_CASE("gradcheck: linear and dropout") {
    Rng rng(5);
    const int N = 3, IN = 7, OUT = 4;
    Vec x = random_vec(size_t(N * IN), rng), w = random_vec(size_t(OUT * IN), rng), b = random_vec(size_t(OUT), rng),
        R = random_vec(size_t(N * OUT), rng), out(R.size()), dx(x.size()), dw(w.size()), db(b.size());
    auto loss = [&] {
        linear_forward(out.data(), x.data(), w.data(), b.data(), N, IN, OUT);
        return weighted_sum(out, R);
    };
    linear_backward(dx.data(), dw.data(), db.data(), R.data(), x.data(), w.data(), N, IN, OUT);
    gradcheck("linear dx", x, loss, dx);
    gradcheck("linear dw", w, loss, dw);
    gradcheck("linear db", b, loss, db);

    // dropout: the same seed draws the same mask, so the forward is a fixed function of x
    Vec y = random_vec(100, rng), Ry = random_vec(100, rng), yo(100), mask(100), dy(100);
    auto drop_loss = [&] {
        Rng fixed(77);
        dropout_forward(yo.data(), mask.data(), y.data(), 100, 0.3f, fixed);
        return weighted_sum(yo, Ry);
    };
    drop_loss();
    dropout_backward(dy.data(), Ry.data(), mask.data(), 100);
    gradcheck("dropout dx", y, drop_loss, dy);
}

TEST_CASE("gradcheck: batch, layer and instance norm") {
    Rng rng(6);
    const int N = 3, C = 2, HW = 5;
    Vec x = random_vec(size_t(N * C * HW), rng, -2, 2), g = random_vec(size_t(C), rng, 0.5f, 1.5f),
        b = random_vec(size_t(C), rng), R = random_vec(x.size(), rng), out(x.size());
    Vec mean(size_t(N * C)), rstd(size_t(N * C));
    {
        Vec dx(x.size()), dg(g.size()), db(b.size());
        auto loss = [&] {
            batchnorm2d_forward_train(out.data(), mean.data(), rstd.data(), nullptr, nullptr, x.data(), g.data(), b.data(),
                                      N, C, HW, 1e-5f, 0.1f);
            return weighted_sum(out, R);
        };
        loss();
        batchnorm2d_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), g.data(), mean.data(), rstd.data(), N, C, HW);
        gradcheck("batchnorm dx", x, loss, dx, 1e-3f);
        gradcheck("batchnorm dgamma", g, loss, dg, 1e-3f);
        gradcheck("batchnorm dbeta", b, loss, db, 1e-3f);
    }
    {
        const int D = C * HW;
        Vec gl = random_vec(size_t(D), rng, 0.5f, 1.5f), bl = random_vec(size_t(D), rng);
        Vec dx(x.size()), dg(gl.size()), db(bl.size());
        auto loss = [&] {
            layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), gl.data(), bl.data(), N, D, 1e-5f);
            return weighted_sum(out, R);
        };
        loss();
        layernorm_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), gl.data(), mean.data(), rstd.data(), N, D);
        gradcheck("layernorm dx", x, loss, dx, 1e-3f);
        gradcheck("layernorm dgamma", gl, loss, dg, 1e-3f);
        gradcheck("layernorm dbeta", bl, loss, db, 1e-3f);
    }
    {
        Vec dx(x.size()), dg(g.size()), db(b.size());
        auto loss = [&] {
            instancenorm2d_forward(out.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), N, C, HW, 1e-5f);
            return weighted_sum(out, R);
        };
        loss();
        instancenorm2d_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), g.data(), mean.data(), rstd.data(), N, C, HW);
        gradcheck("instancenorm dx", x, loss, dx, 1e-3f);
        gradcheck("instancenorm dgamma", g, loss, dg, 1e-3f);
        gradcheck("instancenorm dbeta", b, loss, db, 1e-3f);
    }
}

TEST_CASE("gradcheck: group norm, 6 channels in 1, 2, 3 and 6 groups") {
    Rng rng(9);
    const int N = 2, C = 6, HW = 4;
    Vec x = random_vec(size_t(N * C * HW), rng, -2, 2), g = random_vec(size_t(C), rng, 0.5f, 1.5f),
        b = random_vec(size_t(C), rng), R = random_vec(x.size(), rng), out(x.size());
    for (int G : {1, 2, 3, 6}) {
        INFO("groups " << G);
        Vec mean(size_t(N * G)), rstd(size_t(N * G)), dx(x.size()), dg(g.size()), db(b.size());
        auto loss = [&] {
            groupnorm_forward(out.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), N, C, HW, G, 1e-5f);
            return weighted_sum(out, R);
        };
        loss();
        groupnorm_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), g.data(), mean.data(), rstd.data(), N, C, HW, G);
        gradcheck("groupnorm dx", x, loss, dx, 1e-3f);
        gradcheck("groupnorm dgamma", g, loss, dg, 1e-3f);
        gradcheck("groupnorm dbeta", b, loss, db, 1e-3f);
    }
}

TEST_CASE("gradcheck: add, concat and softmax cross-entropy") {
    Rng rng(7);
    Vec a = random_vec(24, rng), b = random_vec(24, rng), R = random_vec(24, rng), out(24), da(24), db(24);
    auto add_loss = [&] { add_forward(out.data(), a.data(), b.data(), 24); return weighted_sum(out, R); };
    add_backward(da.data(), db.data(), R.data(), 24);
    gradcheck("add da", a, add_loss, da);
    gradcheck("add db", b, add_loss, db);

    const int N = 2, CA = 2, CB = 3, HW = 4;
    Vec ca = random_vec(size_t(N * CA * HW), rng), cb = random_vec(size_t(N * CB * HW), rng),
        Rc = random_vec(size_t(N * (CA + CB) * HW), rng), cout(Rc.size()), dca(ca.size()), dcb(cb.size());
    auto cat_loss = [&] { concat_forward(cout.data(), ca.data(), cb.data(), N, CA, CB, HW); return weighted_sum(cout, Rc); };
    concat_backward(dca.data(), dcb.data(), Rc.data(), N, CA, CB, HW);
    gradcheck("concat da", ca, cat_loss, dca);
    gradcheck("concat db", cb, cat_loss, dcb);

    const int K = 5;
    Vec logits = random_vec(size_t(4 * K), rng, -3, 3), probs(logits.size()), dlogits(logits.size());
    std::vector<int32_t> labels = {0, 3, 4, 3};
    auto ce_loss = [&] { return double(softmax_cross_entropy_forward(probs.data(), logits.data(), labels.data(), 4, K)); };
    ce_loss();
    softmax_cross_entropy_backward(dlogits.data(), probs.data(), labels.data(), 4, K);
    gradcheck("cross_entropy dlogits", logits, ce_loss, dlogits, 1e-2f);

    // With label smoothing 0.2 the target is 0.8 * onehot + 0.2 / K.
    auto smoothed_loss = [&] { return double(softmax_cross_entropy_forward(probs.data(), logits.data(), labels.data(), 4, K, 0.2f)); };
    smoothed_loss();
    std::fill(dlogits.begin(), dlogits.end(), 0.0f);
    softmax_cross_entropy_backward(dlogits.data(), probs.data(), labels.data(), 4, K, 0.2f);
    gradcheck("cross_entropy dlogits, label smoothing 0.2", logits, smoothed_loss, dlogits, 1e-2f);
}
