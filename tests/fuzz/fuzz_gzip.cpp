// fuzz_gzip.cpp — libFuzzer harness: any bytes through gunzip (engine/gzip.h), with a 1 MB cap.
// A message is fine; a crash, a sanitizer report or a runaway allocation is a bug.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../../engine/gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> out;
    Status s = gunzip(out, data, size, size_t(1) << 20);
    if (s.ok() && out.size() > (size_t(1) << 20)) __builtin_trap();  // the cap was not kept
    return 0;
}
