// fuzz_idx.cpp — libFuzzer harness: an images file and a labels file (either may be gzipped)
// through parse_idx_dataset (engine/data.h). The first two bytes say where the input is cut in two.
// A dataset that parses must hold what its sizes say, and gathering a batch from it must work.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../../engine/data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const size_t cut = std::min(size - 2, size_t(data[0] | data[1] << 8));
    std::vector<uint8_t> images(data + 2, data + 2 + cut), labels(data + 2 + cut, data + size);
    Dataset d;
    if (!parse_idx_dataset(d, std::move(images), std::move(labels)).ok()) return 0;
    if (d.pixels.size() != size_t(d.count) * size_t(d.rows) * size_t(d.cols) || d.labels.size() != size_t(d.count)) __builtin_trap();
    const int n = std::min(d.count, 4);
    std::vector<float> batch(size_t(n) * size_t(d.rows) * size_t(d.cols));
    std::vector<int32_t> batch_labels(static_cast<size_t>(n));
    Rng rng(1);
    gather_batch(batch.data(), batch_labels.data(), d, sample_order(d.count, &rng), 0, n);
    return 0;
}
