// gpu_bench.h — ?bench=gpu (--bench gpu on the desktop): times the same convolutions on the GPU
// backend and on this build's CPU engine, in this browser or on this machine. bench/gpu_bench.mjs
// runs it in headless Chromium beside TF.js's WebGL backend doing the same convolutions.
#pragma once
#include <nlohmann/json.hpp>

struct GpuContext;

// {"renderer": ..., "cases": [{"name", "shape", "gpu_ms", "cpu_ms", "gpu_vs_cpu"}]}; gpu_ms is null
// without a GPU. Times are milliseconds per convolution forward, averaged over repeated runs.
nlohmann::json run_gpu_bench(GpuContext* gpu);
