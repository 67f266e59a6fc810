// simd.h — the one small portable layer under the fast paths: a vector of floats written with
// GCC/Clang vector extensions, so the same kernel source compiles to AVX2/AVX-512 natively
// (-march=native) and to WebAssembly SIMD128 (-msimd128). No intrinsics anywhere else.
#pragma once
#include <cstring>

#if defined(__AVX__)
inline constexpr int kLanes = 8;   // 256-bit registers
#else
inline constexpr int kLanes = 4;   // SSE, NEON, WebAssembly SIMD128
#endif

typedef float vfloat __attribute__((vector_size(kLanes * sizeof(float))));
typedef int vint __attribute__((vector_size(kLanes * sizeof(int))));  // comparison results: -1 (true) or 0

// Where mask is true, a; elsewhere 0. Bitwise, so no branch whatever the data.
inline vfloat vkeep(vint mask, vfloat a) { return (vfloat)((vint)a & mask); }

// Unaligned load and store (memcpy of a vector compiles to one unaligned vector move).
inline vfloat vload(const float* p) {
    vfloat v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void vstore(float* p, vfloat v) { std::memcpy(p, &v, sizeof v); }
// x in every lane. (Not `vfloat{} + x`: that is an addition to zeros the compiler must keep, as
// 0 + -0 is +0, and in WebAssembly it became a load, an add and a shuffle per splat.)
inline vfloat vsplat(float x) {
#if defined(__AVX__)
    return vfloat{x, x, x, x, x, x, x, x};
#else
    return vfloat{x, x, x, x};
#endif
}
inline float vsum(vfloat v) {
    float s = 0.0f;
    for (int i = 0; i < kLanes; i++) s += v[i];
    return s;
}
// Rounds n up to a whole number of vectors.
inline int round_up_lanes(int n) { return (n + kLanes - 1) / kLanes * kLanes; }
