// fuzz_safetensors.cpp — libFuzzer harness: any bytes as a model file (engine/safetensors.h), then
// loaded into the seed net as the training lab would. Every tensor that parses must hold what its
// shape says; a file that loads must leave only finite weights.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../../engine/model.h"
#include "../../engine/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    NamedTensors state;
    if (!safetensors_parse(state, data, size).ok()) return 0;
    for (const auto& [name, t] : state.tensors)
        if (int64_t(t.data.size()) != shape_numel(t.shape)) __builtin_trap();
    static Model seed_net;
    if (seed_net.layers.empty() && !model_from_json(seed_net, seed_model_json(), 1).ok()) __builtin_trap();
    Model m = seed_net;
    if (load_model_state(m, state).ok())
        for (float w : m.params)
            if (!std::isfinite(w)) __builtin_trap();
    return 0;
}
