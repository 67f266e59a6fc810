// fuzz_model.cpp — libFuzzer harness: any text as a network description (engine/model.h). Whatever
// builds runs one forward pass, the loss and one backward pass on a batch of two (small networks
// only, so that each input stays quick); the gradients must have the parameters' size.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../../engine/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Model m;
    if (!model_from_json(m, std::string(reinterpret_cast<const char*>(data), size), 7).ok()) return 0;
    int64_t values = 0;
    for (const Layer& L : m.layers) {
        int64_t n = 1;
        for (int d : L.out_shape) n *= d;
        values += n;
    }
    if (m.params.size() > 200000 || values > 200000) return 0;  // big but valid: built, not run
    if (!ensure_batch(m, 2).ok()) return 0;
    int64_t inputs = 1;
    for (int d : m.input_shape) inputs *= d;
    std::vector<float> x(size_t(inputs) * 2);
    for (size_t i = 0; i < x.size(); i++) x[i] = float(i % 7) / 7.0f - 0.4f;
    const int32_t classes = int32_t(output_size(m));
    const int32_t labels[2] = {0, classes - 1};
    model_forward(m, x.data(), 2, true);
    (void)model_loss(m, labels, 2);
    zero_grad(m);
    model_backward(m, x.data(), labels, 2, true);
    if (m.grads.size() != m.params.size()) __builtin_trap();
    return 0;
}
