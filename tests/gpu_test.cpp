// gpu_test.cpp — the GPU backend against the CPU engine, on random shapes: conv2d forward (with
// stride, padding, dilation, flip, many channels, fused bias + ReLU; one program per shape, cached),
// both conv backward passes, pooling, the seed net's forward, and the colour map. Runs natively on
// Mesa (SDL's offscreen driver, OpenGL ES 3) and in headless Chromium (WebGL2 through SwiftShader,
// tests/e2e/gpu.e2e.mjs).
// The program makes its own GL context, then hands over to doctest.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <SDL.h>
#include <GLES3/gl3.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "../engine/gpu.h"
#include "../engine/gpu_model.h"
#include "../engine/optim.h"
#include "../engine/model.h"
#include "test_util.h"

static GpuContext g_gpu;

namespace {




}  // namespace

TEST_CASE("GPU conv2d forward and both backward passes equal the CPU engine on 40 random shapes") {
    REQUIRE(g_gpu.ready);
    Rng rng(21);
    double worst_forward = 0, worst_input = 0, worst_weight = 0;
    int cases = 0;
    for (int trial = 0; cases < 40 && trial < 400; trial++) {
        const int N = rng.uniform_int(1, 3), C = rng.uniform_int(1, 9), OC = rng.uniform_int(1, 9);
        const int H = rng.uniform_int(3, 17), W = rng.uniform_int(3, 17);
        Conv2dSpec spec;
        spec.rows = conv_axis(rng.uniform_int(1, 5), rng.uniform_int(1, 2), rng.uniform_int(0, 2), rng.uniform_int(1, 2));
        spec.cols = conv_axis(rng.uniform_int(1, 5), rng.uniform_int(1, 2), rng.uniform_int(0, 2), rng.uniform_int(1, 2));
        spec.flip = rng.uniform_int(0, 3) == 0;
        std::vector<int> bias_shape = {OC};
        if (!check_conv2d({N, C, H, W}, {OC, C, spec.rows.kernel, spec.cols.kernel}, &bias_shape, spec).ok()) continue;
        cases++;
        const bool relu = rng.uniform_int(0, 1);
        const int KH = spec.rows.kernel, KW = spec.cols.kernel;
        const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
        std::vector<float> x = random_vec(size_t(N) * C * H * W, rng), w = random_vec(size_t(OC) * C * KH * KW, rng),
                           b = random_vec(size_t(OC), rng), dout = random_vec(size_t(N) * OC * OH * OW, rng);
        std::vector<float> cpu(dout.size()), gpu(dout.size());
        conv2d_forward_naive(cpu.data(), x.data(), w.data(), b.data(), N, C, H, W, OC, spec);
        if (relu) relu_forward(cpu.data(), cpu.data(), int64_t(cpu.size()));
        GpuTensor gx, gy, gd, gdx;
        GpuConvWeights gw, gdw;
        REQUIRE(gpu_tensor(g_gpu, gx, N, C, H, W, "x").ok());
        gpu_upload(g_gpu, gx, x.data());
        REQUIRE(gpu_conv_weights(g_gpu, gw, w.data(), b.data(), OC, C, KH, KW, "w").ok());
        Status s = gpu_conv2d_forward(g_gpu, gy, gx, gw, spec, relu);
        INFO(s.message);
        REQUIRE(s.ok());
        CHECK(gy.C == OC);
        CHECK(gy.H == OH);
        gpu_download(g_gpu, gpu.data(), gy);
        // backward: the CPU reference, starting from zero gradients
        std::vector<float> dx(x.size(), 0.0f), dw(w.size(), 0.0f), db(b.size(), 0.0f);
        conv2d_backward_naive(dx.data(), dw.data(), db.data(), dout.data(), x.data(), w.data(), N, C, H, W, OC, spec);
        REQUIRE(gpu_tensor(g_gpu, gd, N, OC, OH, OW, "dout").ok());
        gpu_upload(g_gpu, gd, dout.data());
        REQUIRE(gpu_conv2d_backward_input(g_gpu, gdx, gd, gw, spec, H, W).ok());
        REQUIRE(gpu_conv2d_backward_weight(g_gpu, gdw, gd, gx, spec).ok());
        std::vector<float> gpu_dx(dx.size()), gpu_dw(dw.size()), gpu_db(db.size());
        gpu_download(g_gpu, gpu_dx.data(), gdx);
        gpu_download_weights(g_gpu, gpu_dw.data(), gpu_db.data(), gdw);
        const double f = max_abs_diff(gpu, cpu), di = max_abs_diff(gpu_dx, dx), dwd = std::fmax(max_abs_diff(gpu_dw, dw), max_abs_diff(gpu_db, db));
        INFO("trial " << trial << ": N" << N << " C" << C << " OC" << OC << " " << H << "x" << W << " kernel " << KH << "x" << KW
                      << " stride " << spec.rows.stride << "," << spec.cols.stride << " dilation " << spec.rows.dilation << ","
                      << spec.cols.dilation << " flip " << spec.flip << " relu " << relu << ": forward " << f << ", dinp " << di
                      << ", dweight/dbias " << dwd);
        CHECK(f < 1e-4);
        CHECK(di < 1e-4);
        CHECK(dwd < 1e-4);
        worst_forward = std::fmax(worst_forward, f);
        worst_input = std::fmax(worst_input, di);
        worst_weight = std::fmax(worst_weight, dwd);
        gpu_free(gx), gpu_free(gy), gpu_free(gd), gpu_free(gdx), gpu_free(gw), gpu_free(gdw);
    }
    CHECK(cases == 40);
    MESSAGE("GPU (" << g_gpu.renderer << ") vs CPU, largest differences: forward " << worst_forward << ", input gradient "
                    << worst_input << ", weight gradient " << worst_weight);
}

TEST_CASE("conv2d programs compiled per shape: shapes in turn, one coming back, each equals the CPU") {
    // gpu_conv2d_forward compiles a program per convolution shape and keeps it; a shape that comes
    // back must find its own program again, not the last one compiled.
    REQUIRE(gpu_init(g_gpu).ok());  // starts again: no programs compiled yet
    struct Shape { int N, C, H, W, OC, K, stride; bool relu; };
    const Shape shapes[] = {
        {1, 1, 20, 24, 1, 3, 1, false},  // the image lab's case: one channel in, one out
        {2, 6, 11, 9, 3, 5, 1, true},    // two channel groups, the last holding 2
        {1, 1, 20, 24, 1, 3, 1, false},  // the first again: its program from the cache
        {3, 5, 13, 13, 8, 3, 2, false},  // stride 2
        {2, 4, 7, 10, 5, 1, 1, true},    // 1x1
        {2, 6, 11, 9, 3, 5, 1, true},    // the second again
    };
    Rng rng(24);
    double worst = 0;
    for (const Shape& c : shapes) {
        Conv2dSpec spec;
        spec.rows = spec.cols = conv_axis(c.K, c.stride, c.K / 2, 1);
        const int OH = int(conv_output_size(c.H, spec.rows)), OW = int(conv_output_size(c.W, spec.cols));
        std::vector<float> x = random_vec(size_t(c.N) * c.C * c.H * c.W, rng), w = random_vec(size_t(c.OC) * c.C * c.K * c.K, rng),
                           b = random_vec(size_t(c.OC), rng), cpu(size_t(c.N) * c.OC * OH * OW), gpu(cpu.size());
        conv2d_forward(cpu.data(), x.data(), w.data(), b.data(), c.N, c.C, c.H, c.W, c.OC, spec);
        if (c.relu) relu_forward(cpu.data(), cpu.data(), int64_t(cpu.size()));
        GpuTensor gx, gy;
        GpuConvWeights gw;
        REQUIRE(gpu_tensor(g_gpu, gx, c.N, c.C, c.H, c.W, "x").ok());
        gpu_upload(g_gpu, gx, x.data());
        REQUIRE(gpu_conv_weights(g_gpu, gw, w.data(), b.data(), c.OC, c.C, c.K, c.K, "w").ok());
        Status s = gpu_conv2d_forward(g_gpu, gy, gx, gw, spec, c.relu);
        INFO(s.message);
        REQUIRE(s.ok());
        gpu_download(g_gpu, gpu.data(), gy);
        const double d = max_abs_diff(gpu, cpu);
        INFO("N" << c.N << " C" << c.C << " " << c.H << "x" << c.W << " -> " << c.OC << " channels, kernel " << c.K << " stride "
                 << c.stride << ": largest difference " << d);
        CHECK(d < 1e-4);
        worst = std::fmax(worst, d);
        gpu_free(gx), gpu_free(gy), gpu_free(gw);
    }
    CHECK(g_gpu.specialised.size() == 4);  // four distinct shapes, four programs
    MESSAGE("conv2d programs per shape vs the CPU's conv2d_forward, largest difference " << worst);
}

TEST_CASE("GPU pooling equals the CPU engine") {
    REQUIRE(g_gpu.ready);
    Rng rng(22);
    for (int trial = 0; trial < 12; trial++) {
        const int N = rng.uniform_int(1, 3), C = rng.uniform_int(1, 7), H = rng.uniform_int(4, 15), W = rng.uniform_int(4, 15);
        const int k = rng.uniform_int(2, 3);
        Pool2dSpec spec;
        spec.rows = spec.cols = conv_axis(k, rng.uniform_int(1, k), rng.uniform_int(0, k / 2), 1);
        const bool max = trial % 2 == 0;
        const int OH = int(conv_output_size(H, spec.rows)), OW = int(conv_output_size(W, spec.cols));
        std::vector<float> x = random_vec(size_t(N) * C * H * W, rng), cpu(size_t(N) * C * OH * OW), gpu(cpu.size());
        std::vector<int32_t> argmax(cpu.size());
        if (max) maxpool2d_forward(cpu.data(), argmax.data(), x.data(), N, C, H, W, spec);
        else avgpool2d_forward(cpu.data(), x.data(), N, C, H, W, spec);
        GpuTensor gx, gy;
        REQUIRE(gpu_tensor(g_gpu, gx, N, C, H, W, "x").ok());
        gpu_upload(g_gpu, gx, x.data());
        REQUIRE(gpu_pool2d_forward(g_gpu, gy, gx, spec, max).ok());
        gpu_download(g_gpu, gpu.data(), gy);
        INFO((max ? "max" : "avg") << " pool " << k << " on " << H << "x" << W << ": largest difference " << max_abs_diff(gpu, cpu));
        CHECK(max_abs_diff(gpu, cpu) < 1e-5);
        gpu_free(gx), gpu_free(gy);
    }
}

TEST_CASE("the seed net's forward on the GPU equals the CPU engine's") {
    REQUIRE(g_gpu.ready);
    Model m;
    REQUIRE(model_from_json(m, seed_model_json(), 4).ok());
    const int N = 32;
    REQUIRE(ensure_batch(m, N).ok());
    Rng rng(23);
    std::vector<float> x(size_t(N) * 784);
    for (float& v : x) v = rng.uniform();
    model_forward(m, x.data(), N, false);
    // conv1 -> relu -> maxpool -> conv2 -> relu -> maxpool on the GPU (ReLU fused into the convs)
    const Layer &c1 = m.layers[0], &p1 = m.layers[2], &c2 = m.layers[3], &p2 = m.layers[5];
    GpuTensor gx, a1, a2, a3, a4;
    GpuConvWeights w1, w2;
    REQUIRE(gpu_tensor(g_gpu, gx, N, 1, 28, 28, "images").ok());
    gpu_upload(g_gpu, gx, x.data());
    REQUIRE(gpu_conv_weights(g_gpu, w1, &m.params[size_t(c1.weight)], &m.params[size_t(c1.bias)], 4, 1, 3, 3, "conv1").ok());
    REQUIRE(gpu_conv_weights(g_gpu, w2, &m.params[size_t(c2.weight)], &m.params[size_t(c2.bias)], 8, 4, 3, 3, "conv2").ok());
    REQUIRE(gpu_conv2d_forward(g_gpu, a1, gx, w1, c1.conv, true).ok());
    REQUIRE(gpu_pool2d_forward(g_gpu, a2, a1, p1.pool, true).ok());
    REQUIRE(gpu_conv2d_forward(g_gpu, a3, a2, w2, c2.conv, true).ok());
    REQUIRE(gpu_pool2d_forward(g_gpu, a4, a3, p2.pool, true).ok());
    std::vector<float> gpu(size_t(N) * 392);
    gpu_download(g_gpu, gpu.data(), a4);
    std::vector<float> cpu(m.acts[5].begin(), m.acts[5].begin() + long(gpu.size()));
    INFO("largest difference " << max_abs_diff(gpu, cpu));
    CHECK(max_abs_diff(gpu, cpu) < 1e-4);
    for (GpuTensor* t : {&gx, &a1, &a2, &a3, &a4}) gpu_free(*t);
    gpu_free(w1), gpu_free(w2);
}

TEST_CASE("the colour map: signed values to blue, white and red") {
    REQUIRE(g_gpu.ready);
    std::vector<float> x = {-2, 0, 2, 1};  // one sample, one channel, 1x4
    GpuTensor t;
    REQUIRE(gpu_tensor(g_gpu, t, 1, 1, 1, 4, "x").ok());
    gpu_upload(g_gpu, t, x.data());
    GpuImage image;
    REQUIRE(gpu_colormap(g_gpu, image, t, 0, 0, Colormap::diverging, 0, 2).ok());
    unsigned fbo = 0;
    glGenFramebuffers(1, &fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, image.texture, 0);
    unsigned char px[16];
    glReadPixels(0, 0, 4, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteFramebuffers(1, &fbo);
    // -2 (= -hi): full blue (0.2, 0.43, 0.84); 0: white 0.92; 2: full red (0.84, 0.24, 0.2); 1: halfway
    CHECK(std::abs(px[0] - 51) <= 1);
    CHECK(std::abs(px[2] - 214) <= 1);
    CHECK(std::abs(px[4] - 235) <= 1);
    CHECK(std::abs(px[8] - 214) <= 1);
    CHECK(std::abs(px[9] - 61) <= 1);
    CHECK(std::abs(px[13] - int(255 * (0.92 + 0.24) / 2)) <= 2);
    gpu_free(t);
    gpu_free(image);
}

TEST_CASE("training the seed net with its conv layers on the GPU follows the CPU's training") {
    REQUIRE(g_gpu.ready);
    Model cpu, gpu;
    REQUIRE(model_from_json(cpu, seed_model_json(), 7).ok());
    REQUIRE(model_from_json(gpu, seed_model_json(), 7).ok());
    const int N = 16;
    REQUIRE(ensure_batch(cpu, N).ok());
    REQUIRE(ensure_batch(gpu, N).ok());
    GpuConvDevice device;
    device.ctx = &g_gpu;
    gpu.conv_device = gpu_conv_device(device);
    Rng rng(31);
    std::vector<float> x(size_t(N) * 784);
    std::vector<int32_t> y(N, 0);
    OptimizerSettings settings;
    settings.kind = OptimizerKind::sgd, settings.lr = 0.05f, settings.momentum = 0.9f;
    Optimizer cpu_opt, gpu_opt;
    optimizer_init(cpu_opt, settings, int64_t(cpu.params.size()));
    optimizer_init(gpu_opt, settings, int64_t(gpu.params.size()));
    double first_grad_diff = -1, first_loss = 0, last_loss = 0;
    for (int step = 0; step < 20; step++) {
        for (int n = 0; n < N; n++) {  // class k: a bright k-th row band, a pattern the net can learn
            y[size_t(n)] = rng.uniform_int(0, 9);
            for (int p = 0; p < 784; p++) x[size_t(n) * 784 + size_t(p)] = 0.1f * rng.uniform() + (p / 28 / 3 == y[size_t(n)] ? 0.8f : 0.0f);
        }
        for (Model* m : {&cpu, &gpu}) {
            zero_grad(*m);
            model_forward(*m, x.data(), N, true);
            float loss = model_loss(*m, y.data(), N);
            model_backward(*m, x.data(), y.data(), N, true);
            if (m == &gpu) (step == 0 ? first_loss : last_loss) = loss;
        }
        if (step == 0) {
            first_grad_diff = std::max(max_abs_diff(cpu.grads, gpu.grads), max_abs_diff(cpu.dinput, gpu.dinput));
        }
        optimizer_step(cpu_opt, cpu.params.data(), cpu.grads.data(), int64_t(cpu.params.size()));
        optimizer_step(gpu_opt, gpu.params.data(), gpu.grads.data(), int64_t(gpu.params.size()));
    }
    INFO("device error: " << device.error);
    CHECK(device.error.empty());
    CHECK(device.cpu_layers == 0);
    CHECK(device.gpu_layers == 20 * 4);  // two conv layers, forward and backward, 20 steps
    INFO("first step: largest gradient difference " << first_grad_diff);
    CHECK(first_grad_diff < 1e-4);
    INFO("after 20 steps: largest weight difference " << max_abs_diff(cpu.params, gpu.params));
    CHECK(max_abs_diff(cpu.params, gpu.params) < 1e-3);  // float sums in another order, compounded over 20 steps
    INFO("loss " << first_loss << " -> " << last_loss);
    CHECK(last_loss < first_loss * 0.9);  // and it learns (2.32 -> 1.94 on Mesa)
    gpu_release(device);
}

TEST_CASE("a batch too large for the GPU's textures falls back to the CPU, with the reason kept") {
    REQUIRE(g_gpu.ready);
    Model m;
    REQUIRE(model_from_json(m, seed_model_json(), 8).ok());
    const int N = g_gpu.max_texture_size / 14 + 1;  // N*14 rows (conv2, 14x14) and N*28 (conv1): too many for a texture
    REQUIRE(ensure_batch(m, N).ok());
    std::vector<float> x(size_t(N) * 784, 0.5f);
    model_forward(m, x.data(), N, false);
    std::vector<float> expected(m.acts.back().begin(), m.acts.back().begin() + 10);
    GpuConvDevice device;
    device.ctx = &g_gpu;
    m.conv_device = gpu_conv_device(device);
    model_forward(m, x.data(), N, false);
    CHECK(device.error.find("this GPU allows at most") != std::string::npos);
    CHECK(device.cpu_layers == 2);
    std::vector<float> got(m.acts.back().begin(), m.acts.back().begin() + 10);
    CHECK(max_abs_diff(got, expected) == 0);  // the CPU did it, exactly as before
    gpu_release(device);
}

TEST_CASE("GPU shapes too large for the GPU give a message") {
    REQUIRE(g_gpu.ready);
    GpuTensor t;
    Status s = gpu_tensor(g_gpu, t, 1, 4, 4, g_gpu.max_texture_size + 1, "huge");
    CHECK(s.message.find("this GPU allows at most") != std::string::npos);
    CHECK(t.texture == 0);
}

int main(int argc, char** argv) {
    // A GL context first: offscreen natively (set SDL_VIDEODRIVER=offscreen), the page's canvas in the browser.
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        std::printf("gpu_tests: SDL could not start: %s\n[doctest] test cases: 1 | 0 passed | 1 failed |\n", SDL_GetError());
        return 1;
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_ES);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
    SDL_Window* window = SDL_CreateWindow("gpu_tests", 0, 0, 64, 64, SDL_WINDOW_OPENGL);
    SDL_GLContext gl = window ? SDL_GL_CreateContext(window) : nullptr;
    if (!gl) {
        std::printf("gpu_tests: no OpenGL ES 3 / WebGL2 context: %s\n[doctest] test cases: 1 | 0 passed | 1 failed |\n", SDL_GetError());
        return 1;
    }
    Status s = gpu_init(g_gpu);
    std::printf("gpu_tests: %s%s\n", g_gpu.renderer.c_str(), s.ok() ? "" : (" — " + s.message).c_str());
    doctest::Context context(argc, argv);
    int rc = context.run();
    gpu_shutdown(g_gpu);
    SDL_GL_DeleteContext(gl);
    SDL_DestroyWindow(window);
    SDL_Quit();
    return rc;
}
