// conv_bench.cpp — where one training step of the wide preset (batch 32, single thread) spends
// its time: the fast conv2d's three parts (forward, input gradient, weight gradient) on its two
// convolutions, its other layers, and the whole step. Built natively and as WebAssembly for node,
// to see which part a faster kernel should target.
//   conv_bench [milliseconds per measurement]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../engine/conv.h"
#include "../engine/model.h"
#include "../engine/model_presets.h"
#include "../engine/pool.h"
#include "../engine/ops.h"
#include "../engine/random.h"

static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Calls f until at least `ms` milliseconds passed; returns milliseconds per call.
template <class F>
static double time_ms(F f, double ms) {
    f();  // warm up (and let V8 optimise the function)
    int calls = 0;
    const double t0 = now();
    do { f(); calls++; } while ((now() - t0) * 1e3 < ms);
    return (now() - t0) * 1e3 / calls;
}

int main(int argc, char** argv) {
    const double ms = argc > 1 ? std::atof(argv[1]) : 1000;
    struct Shape { const char* name; int N, C, H, W, OC; };
    const Shape shapes[] = {{"wide conv1 1->32 28x28", 32, 1, 28, 28, 32}, {"wide conv2 32->64 14x14", 32, 32, 14, 14, 64}};
    std::printf("%-26s %12s %12s %12s   (ms per call, batch 32, 3x3 pad 1)\n", "convolution", "forward", "input grad", "weight grad");
    for (const Shape& s : shapes) {
        Conv2dSpec spec;
        spec.rows = spec.cols = ConvAxis{3, 1, 1, 1, 1};
        Rng rng(1);
        std::vector<float> inp(size_t(s.N) * s.C * s.H * s.W), weight(size_t(s.OC) * s.C * 9), bias(size_t(s.OC));
        std::vector<float> out(size_t(s.N) * s.OC * s.H * s.W), dinp(inp.size()), dweight(weight.size()), dbias(bias.size());
        for (float& v : inp) v = rng.uniform() - 0.5f;
        for (float& v : weight) v = rng.uniform() - 0.5f;
        for (float& v : out) v = rng.uniform() - 0.5f;  // doubles as dout
        const double f = time_ms([&] { conv2d_forward(out.data(), inp.data(), weight.data(), bias.data(), s.N, s.C, s.H, s.W, s.OC, spec); }, ms);
        const double gi = time_ms([&] { conv2d_backward(dinp.data(), nullptr, nullptr, out.data(), inp.data(), weight.data(), s.N, s.C, s.H, s.W, s.OC, spec); }, ms);
        const double gw = time_ms([&] { conv2d_backward(nullptr, dweight.data(), dbias.data(), out.data(), inp.data(), weight.data(), s.N, s.C, s.H, s.W, s.OC, spec); }, ms);
        std::printf("%-26s %12.2f %12.2f %12.2f\n", s.name, f, gi, gw);
    }

    // The other layers at the wide preset's shapes, forward and backward.
    std::printf("\n%-26s %12s %12s\n", "layer", "forward", "backward");
    struct Plane { const char* name; int N, C, H, W; };
    const Plane planes[] = {{"after conv1 (32,32,28,28)", 32, 32, 28, 28}, {"after conv2 (32,64,14,14)", 32, 64, 14, 14}};
    for (const Plane& s : planes) {
        const int HW = s.H * s.W;
        const size_t n = size_t(s.N) * s.C * HW;
        Rng rng(2);
        std::vector<float> x(n), y(n), dy(n), dx(n), gamma(size_t(s.C), 1.0f), beta(size_t(s.C)), mean(size_t(s.C)), rstd(size_t(s.C)),
            rmean(size_t(s.C)), rvar(size_t(s.C), 1.0f), dgamma(size_t(s.C)), dbeta(size_t(s.C)), pooled(n / 4);
        std::vector<int32_t> argmax(n / 4);
        for (float& v : x) v = rng.uniform() - 0.5f;
        for (float& v : dy) v = rng.uniform() - 0.5f;
        const Pool2dSpec pool = make_pool2d_spec(2, 2, 0);
        const double bf = time_ms([&] { batchnorm2d_forward_train(y.data(), mean.data(), rstd.data(), rmean.data(), rvar.data(), x.data(), gamma.data(), beta.data(), s.N, s.C, HW, 1e-5f, 0.1f); }, ms);
        const double bb = time_ms([&] { batchnorm2d_backward(dx.data(), dgamma.data(), dbeta.data(), dy.data(), x.data(), gamma.data(), mean.data(), rstd.data(), s.N, s.C, HW); }, ms);
        const double rf = time_ms([&] { relu_forward(y.data(), x.data(), int64_t(n)); }, ms);
        const double rb = time_ms([&] { relu_backward(dx.data(), dy.data(), y.data(), int64_t(n)); }, ms);
        const double pf = time_ms([&] { maxpool2d_forward(pooled.data(), argmax.data(), x.data(), s.N, s.C, s.H, s.W, pool); }, ms);
        const double pb = time_ms([&] { maxpool2d_backward(dx.data(), dy.data(), argmax.data(), s.N, s.C, s.H, s.W, pool); }, ms);
        std::printf("%s\n%-26s %12.2f %12.2f\n%-26s %12.2f %12.2f\n%-26s %12.2f %12.2f\n", s.name, "  batchnorm", bf, bb, "  relu", rf, rb,
                    "  maxpool 2x2", pf, pb);
    }

    // The whole step: zero, forward, loss, backward, Adam.
    Model model;
    if (!model_from_json(model, preset_model_json("wide"), 1).ok() || !ensure_batch(model, 32).ok()) return 1;
    Optimizer opt;
    optimizer_init(opt, OptimizerSettings{.kind = OptimizerKind::adam, .lr = 1e-3f}, int64_t(model.params.size()));
    Rng rng(3);
    std::vector<float> images(size_t(32) * 784);
    std::vector<int32_t> labels(32);
    for (float& v : images) v = rng.uniform();
    for (int32_t& l : labels) l = rng.uniform_int(0, 9);
    const double step = time_ms([&] { model_train_step(model, opt, images.data(), labels.data(), 32); }, ms);
    const double fwd = time_ms([&] { model_forward(model, images.data(), 32, true); }, ms);
    std::printf("\nwide preset, one training step of 32: %.2f ms (%.0f img/s); its forward alone %.2f ms\n", step, 32e3 / step, fwd);
    return 0;
}
