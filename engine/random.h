// random.h — a small seeded random number generator (PCG32, O'Neill 2014): the same sequence
// for the same seed natively and in WebAssembly, so exercises and experiments are reproducible.
#pragma once
#include <cstdint>

struct Rng {
    uint64_t state = 0;  // internal state, advanced by every draw
    uint64_t inc = 0;    // stream selector, always odd

    explicit Rng(uint64_t seed, uint64_t stream = 54) {
        inc = (stream << 1u) | 1u;
        next_u32();
        state += seed;
        next_u32();
    }
    uint32_t next_u32() {
        uint64_t old = state;
        state = old * 6364136223846793005ULL + inc;
        uint32_t xorshifted = uint32_t(((old >> 18u) ^ old) >> 27u);
        uint32_t rot = uint32_t(old >> 59u);
        return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
    }
    // uniform in [0, 1), 24 random bits (every float in it equally spaced)
    float uniform() { return float(next_u32() >> 8) * (1.0f / 16777216.0f); }
    // uniform integer in [lo, hi], inclusive; hi >= lo
    int uniform_int(int lo, int hi) {
        uint64_t range = uint64_t(int64_t(hi) - lo) + 1;
        return int(int64_t(lo) + int64_t(next_u32() % range));
    }
};
