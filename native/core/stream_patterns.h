// The data every bandwidth kernel streams, and the exact results it must
// produce: one definition for the CPU, CUDA and HIP backends. Values are
// multiples of 1/4 below 2^10, so every sum and product here is exact in FP64
// and any order of summation gives the same bits.
#pragma once

#include <cstdint>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define TPPVERIFY_HOST_DEVICE __host__ __device__
#else
#define TPPVERIFY_HOST_DEVICE
#endif

namespace tppverify::stream {

TPPVERIFY_HOST_DEVICE inline double patternA(uint64_t i) { return 1.0 + double(i & 255) * 0.5; }
TPPVERIFY_HOST_DEVICE inline double patternB(uint64_t i) { return 2.0 + double((i >> 8) & 255) * 0.25; }

TPPVERIFY_HOST_DEVICE inline double expectedCopy(uint64_t i) { return patternA(i); }
TPPVERIFY_HOST_DEVICE inline double expectedScale(uint64_t i, double s) { return s * patternA(i); }
TPPVERIFY_HOST_DEVICE inline double expectedAdd(uint64_t i) { return patternA(i) + patternB(i); }
TPPVERIFY_HOST_DEVICE inline double expectedTriad(uint64_t i, double s) { return patternA(i) + s * patternB(i); }

// Closed form of the sum of patternA(i) for i < n: exact, since every partial
// sum is a multiple of 0.5 far below 2^52.
inline double expectedReadSum(uint64_t n) {
  const double periodSum = 256.0 + 0.5 * (255.0 * 256.0 / 2.0);
  const uint64_t remainder = n % 256;
  return double(n / 256) * periodSum + double(remainder) + 0.5 * double(remainder * (remainder - 1) / 2);
}

}  // namespace tppverify::stream
