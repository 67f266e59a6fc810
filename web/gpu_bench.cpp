#include "gpu_bench.h"

#include <chrono>
#include <string>
#include <vector>

#include "../engine/gpu.h"

namespace {

double now_ms() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Runs `step` until at least 300 ms have passed (and at least 5 times, after 2 to warm up);
// `finish` waits for the work to be done. Returns milliseconds per step.
template <typename Step, typename Finish>
double time_per_step(Step step, Finish finish) {
    for (int i = 0; i < 2; i++) step();
    finish();
    int runs = 0;
    const double start = now_ms();
    do {
        step();
        runs++;
        if (runs % 5 == 0) finish();
    } while (runs < 5 || now_ms() - start < 300);
    finish();
    return (now_ms() - start) / runs;
}

}  // namespace

nlohmann::json run_gpu_bench(GpuContext* gpu) {
    struct Case { const char* name; int N, C, H, W, OC, K; };
    const Case cases[] = {
        {"photo 512x512, 3x3 kernel", 1, 1, 512, 512, 1, 3},
        {"photo 512x512, 7x7 kernel", 1, 1, 512, 512, 1, 7},
        {"seed net conv1: batch 32, 1->4 channels, 28x28, 3x3", 32, 1, 28, 28, 4, 3},
        {"seed net conv2: batch 32, 4->8 channels, 14x14, 3x3", 32, 4, 14, 14, 8, 3},
    };
    nlohmann::json result;
    result["renderer"] = gpu ? gpu_context_renderer(*gpu) : "none";
    result["cases"] = nlohmann::json::array();
    Rng rng(5);
    for (const Case& c : cases) {
        Conv2dSpec spec;
        spec.rows.kernel = spec.cols.kernel = c.K;
        spec.rows.pad_before = spec.rows.pad_after = spec.cols.pad_before = spec.cols.pad_after = c.K / 2;  // same size out
        std::vector<float> x(size_t(c.N) * c.C * c.H * c.W), w(size_t(c.OC) * c.C * c.K * c.K), b(size_t(c.OC)),
            out(size_t(c.N) * c.OC * c.H * c.W);
        for (float& v : x) v = rng.uniform();
        for (float& v : w) v = rng.uniform() - 0.5f;
        const double cpu_ms = time_per_step([&] { conv2d_forward(out.data(), x.data(), w.data(), b.data(), c.N, c.C, c.H, c.W, c.OC, spec); },
                                            [] {});
        nlohmann::json entry = {{"name", c.name}, {"input", {c.N, c.C, c.H, c.W}}, {"kernel", {c.OC, c.C, c.K, c.K}}, {"cpu_ms", cpu_ms}};
        entry["gpu_ms"] = nullptr;
        if (gpu) {
            GpuTensor gx, gy;
            GpuConvWeights gw;
            Status s = gpu_tensor(*gpu, gx, c.N, c.C, c.H, c.W, "bench input");
            if (s.ok()) {
                gpu_upload(*gpu, gx, x.data());
                s = gpu_conv_weights(*gpu, gw, w.data(), b.data(), c.OC, c.C, c.K, c.K, "bench weights");
            }
            if (s.ok()) s = gpu_conv2d_forward(*gpu, gy, gx, gw, spec, false);  // allocates the output once
            if (s.ok()) {
                const double gpu_ms = time_per_step([&] { (void)gpu_conv2d_forward(*gpu, gy, gx, gw, spec, false); }, [&] { gpu_finish(*gpu, gy); });
                entry["gpu_ms"] = gpu_ms;
                entry["cpu_vs_gpu"] = cpu_ms / gpu_ms;
            } else {
                entry["gpu_error"] = s.message;
            }
            gpu_free(gx), gpu_free(gy), gpu_free(gw);
        }
        result["cases"].push_back(entry);
    }
    return result;
}
