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

// The GPU backends' kernels and their byte model (arrays of `elements`
// doubles read and written per launch). memcpy is the second method: the
// runtime's own device-to-device copy (cudaMemcpyAsync / hipMemcpyAsync), a
// code path that is not ours, under the same byte model and checks as copy.
enum class GpuKernel { Read, Write, Copy, Triad, Memcpy };

struct GpuKernelSpec {
  GpuKernel kind;
  const char* name;
  int arraysRead;
  int arraysWritten;
  const char* method;  // "native": our kernel; "library": the runtime's or a vendor library's code
};

inline constexpr GpuKernelSpec kGpuKernels[] = {
    {GpuKernel::Read, "read", 1, 0, "native"},
    {GpuKernel::Write, "write", 0, 1, "native"},
    {GpuKernel::Copy, "copy", 1, 1, "native"},
    {GpuKernel::Triad, "triad", 2, 1, "native"},
    {GpuKernel::Memcpy, "memcpy", 1, 1, "library"},
};

// The scalar s of scale and triad, and the value write stores in each trial: a new one per
// trial, so output left over from an earlier trial fails verification. All
// exact in FP64.
inline constexpr double kStreamScalar = 3.0;
inline constexpr double kFirstWriteValue = 1.5;
// The run plan draws s from [kMinStreamScalar, kMaxStreamScalar] in steps of
// 1/4 (docs/run-plan.md): s × pattern and a + s × b stay exact in FP64.
inline constexpr double kMinStreamScalar = 2.0;
inline constexpr double kMaxStreamScalar = 8.0;
inline double streamScalarOf(double requested) { return requested > 0 ? requested : kStreamScalar; }
inline double gpuKernelValue(GpuKernel kind, int trial, double scalar = kStreamScalar) {
  return kind == GpuKernel::Write ? kFirstWriteValue + trial : scalar;
}

// The exact value element i of the output must hold; `value` is v (write) or s (triad).
TPPVERIFY_HOST_DEVICE inline double expectedGpuOutput(GpuKernel kind, uint64_t i, double value) {
  switch (kind) {
    case GpuKernel::Write: return value;
    case GpuKernel::Copy: return expectedCopy(i);
    case GpuKernel::Memcpy: return expectedCopy(i);
    case GpuKernel::Triad: return expectedTriad(i, value);
    case GpuKernel::Read: break;
  }
  return 0;
}

}  // namespace tppverify::stream
