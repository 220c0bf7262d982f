// Hopper's peak tensor path: wgmma.mma_async, operands in shared memory
// through matrix descriptors, one warpgroup (128 threads) per block. Compiled
// for sm_90a only (__CUDA_ARCH_FEAT_SM90_ALL); never run on a GPU yet.
#include <string>
#include <type_traits>

#include "tensor_case.cuh"
#include "wgmma_ops.cuh"

namespace tppverify::cuda {
namespace {

constexpr int kWarpgroupThreads = 128;
// Code variants (the run plan draws one per format): 4, 2 or 8 wgmmas into
// the same accumulator per loop trip, committed as one group (a template
// parameter: each its own compiled kernel). The trips of a period queue up
// behind one another and the warpgroup waits once, after the period, so the
// tensor pipe never drains inside it whatever the group size; every variant
// issues the same wgmmas per period (kWgmmaPerPeriod) and checks the same
// values. Variant 0 is the kernel as it was before variants. Unproven until run on a GPU.
constexpr int kWgmmaVariants = 3;
constexpr int kWgmmaPerTripOfVariant[kWgmmaVariants] = {4, 2, 8};
// Every operand row is 32 bytes (k16 × 2 B, k8 × 4 B, k32 × 1 B): A is 64 rows.
constexpr int kRowBytes = 32;
constexpr int kATileBytes = 64 * kRowBytes;
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// No-swizzle K-major layout of 8-row × 16-byte core matrices: the K-adjacent
// core matrix is 128 B on, the next 8-row group 256 B on (tensor-instructions.md §2).
constexpr uint32_t kLeadingByteOffset = 128;
constexpr uint32_t kStrideByteOffset = 256;

__device__ uint64_t matrixDescriptor(const void* smem) {
  const uint32_t address = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  return uint64_t((address & 0x3FFFF) >> 4) | (uint64_t(kLeadingByteOffset >> 4) << 16) |
         (uint64_t(kStrideByteOffset >> 4) << 32);
}
#endif

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// Orders the accumulator registers around the asynchronous wgmmas: the empty
// asm statements tie every register to the fence, commit and wait, so the
// compiler moves no register access across them (its own copies of an
// accumulator between wgmmas are what make ptxas inject warpgroup.arrive, C7519).
template <typename Acc, int N>
__device__ __forceinline__ void pinRegisters(Acc (&d)[N]) {
#pragma unroll
  for (int r = 0; r < N; ++r) {
    if constexpr (std::is_floating_point_v<Acc>) asm volatile("" : "+f"(d[r])::"memory");
    else asm volatile("" : "+r"(d[r])::"memory");
  }
}
template <typename Acc, int N>
__device__ __forceinline__ void warpgroupFence(Acc (&d)[N]) {
  pinRegisters(d);
  asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
}
template <typename Acc, int N>
__device__ __forceinline__ void warpgroupCommit(Acc (&d)[N]) {
  asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
  pinRegisters(d);
}
template <typename Acc, int N>
__device__ __forceinline__ void warpgroupWaitAll(Acc (&d)[N]) {
  asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
  pinRegisters(d);
}
#endif

// wgmmas between checks: each adds K ≤ 32 to an accumulator, so 64 of them
// stay within gpu::kLargestCheckedValue (2,048); a variant's trips per period
// are these over its wgmmas per trip.
constexpr int kWgmmaPerPeriod = 64;

template <int PerTrip>
__host__ __device__ constexpr int tripsPerPeriod() {
  static_assert(kWgmmaPerPeriod % PerTrip == 0 && kWgmmaPerPeriod / PerTrip >= 2, "whole trips, the first one apart");
  return kWgmmaPerPeriod / PerTrip;
}

template <typename Op, int kWgmmaPerTrip>
__global__ void __launch_bounds__(kWarpgroupThreads) wgmmaKernel(uint32_t one, uint64_t iterations, BlockRecord* records,
                                                                  int corruptBlock) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int kTripsPerPeriod = tripsPerPeriod<kWgmmaPerTrip>();
  using Acc = typename Op::Acc;
  extern __shared__ __align__(128) uint32_t tiles[];
  constexpr int kBTileBytes = Op::kN * kRowBytes;
  // Fill both tiles whole with 1, so every address a descriptor can form holds it.
  for (int i = threadIdx.x; i < (kATileBytes + kBTileBytes) / 4; i += blockDim.x) tiles[i] = one;
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  __syncthreads();
  const uint64_t descA = matrixDescriptor(tiles);
  const uint64_t descB = matrixDescriptor(reinterpret_cast<const uint8_t*>(tiles) + kATileBytes);
  static_assert(kTripsPerPeriod * kWgmmaPerTrip * Op::kK <= gpu::kLargestCheckedValue, "a period must keep the accumulators small");
  const Acc expected = Acc(kTripsPerPeriod * kWgmmaPerTrip * Op::kK);
  Acc d[Op::kAccRegs];
#pragma unroll
  for (int r = 0; r < Op::kAccRegs; ++r) d[r] = 0;
  unsigned bad = 0;
  stampStart(records);
#pragma unroll 1
  for (uint64_t period = 0; period < iterations / kTripsPerPeriod; ++period) {
    // Each trip: fence (the registers were last written by ordinary code or
    // by the wgmmas before), four wgmmas, commit. No wait inside the period.
    // The period's first wgmma discards the accumulator (scale-d 0): D restarts at A·B.
    warpgroupFence(d);
    Op::mma(d, descA, descB, 0);
#pragma unroll
    for (int w = 1; w < kWgmmaPerTrip; ++w) Op::mma(d, descA, descB, 1);
    warpgroupCommit(d);
#pragma unroll 1
    for (int trip = 1; trip < kTripsPerPeriod; ++trip) {
      warpgroupFence(d);
#pragma unroll
      for (int w = 0; w < kWgmmaPerTrip; ++w) Op::mma(d, descA, descB, 1);
      warpgroupCommit(d);
    }
    warpgroupWaitAll(d);
    if (period == 0 && int(blockIdx.x) == corruptBlock && threadIdx.x == 0) d[0] += Acc(Op::kK);  // test-only
#pragma unroll
    for (int r = 0; r < Op::kAccRegs; ++r) bad += d[r] != expected;
  }
  __syncthreads();
  stampEnd(records);
  if (bad) atomicAdd(&records[blockIdx.x].mismatches, bad);
#else
  __trap();
#endif
}

// Operand words: every element of A and B is 1 (f16 0x3C00, bf16 0x3F80, tf32
// 0x3F800000, e4m3 0x38, s8 0x01), so each wgmma adds exactly K to every accumulator element.
template <typename Op, uint32_t One, int WarpgroupsPerSm, int PerTrip>
void launchWgmma(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  // One warpgroup per block; shared memory caps the blocks per SM at the case's warpgroups.
  const int smemBytes = occupancyCappingSharedBytes(wgmmaKernel<Op, PerTrip>, kATileBytes + Op::kN * kRowBytes, WarpgroupsPerSm);
  wgmmaKernel<Op, PerTrip><<<blocks, kWarpgroupThreads, smemBytes>>>(One, iterations, records, corruptBlock);
}

template <typename Op, uint32_t One, int WarpgroupsPerSm, int PerTrip>
TensorCase makeCase(const char* format) {
  constexpr int warpgroupsPerSm = WarpgroupsPerSm;
  TensorCase c;
  c.format = format;
  c.engine = "wgmma.n" + std::to_string(Op::kN) + ".wg" + std::to_string(warpgroupsPerSm);
  c.minComputeCapability = 90;
  c.onlyComputeCapability = 90;
  c.opsPerInstruction = gpu::opsPerMatrixInstruction(64, Op::kN, Op::kK);
  c.instructionsPerBlockIteration = PerTrip;  // one iteration is one trip
  c.threadsPerBlock = kWarpgroupThreads;
  c.blocksPerSm = warpgroupsPerSm;
  c.maxIterations = gpu::kMaxTrialIterations;
  c.iterationsPerPeriod = tripsPerPeriod<PerTrip>();
  c.variantCount = kWgmmaVariants;
  c.launch = launchWgmma<Op, One, WarpgroupsPerSm, PerTrip>;
  return c;
}

template <int WG, int PerTrip, typename F16Op, typename BF16Op, typename TF32Op, typename E4M3Op, typename S8Op>
void addShape(std::vector<TensorCase>& out) {
  out.push_back(makeCase<TF32Op, 0x3F800000u, WG, PerTrip>("TF32"));
  out.push_back(makeCase<F16Op, 0x3C003C00u, WG, PerTrip>("FP16"));
  out.push_back(makeCase<BF16Op, 0x3F803F80u, WG, PerTrip>("BF16"));
  out.push_back(makeCase<E4M3Op, 0x38383838u, WG, PerTrip>("FP8"));
  out.push_back(makeCase<S8Op, 0x01010101u, WG, PerTrip>("INT8"));
}

template <int WG, int PerTrip>
void addShapes(std::vector<TensorCase>& out) {
  using namespace wgmma;
  addShape<WG, PerTrip, F16N64, BF16N64, TF32N64, E4M3N64, S8N64>(out);
  addShape<WG, PerTrip, F16N128, BF16N128, TF32N128, E4M3N128, S8N128>(out);
  addShape<WG, PerTrip, F16N256, BF16N256, TF32N256, E4M3N256, S8N256>(out);
}

template <int PerTrip>
std::vector<TensorCase> casesOf(bool sweep) {
  using namespace wgmma;
  std::vector<TensorCase> out;
  // The default: N = 256 and two warpgroups per SM (tensor-instructions.md §2).
  if (!sweep) {
    addShape<2, PerTrip, F16N256, BF16N256, TF32N256, E4M3N256, S8N256>(out);
    return out;
  }
  addShapes<1, PerTrip>(out);
  addShapes<2, PerTrip>(out);
  addShapes<3, PerTrip>(out);
  return out;
}

}  // namespace

// `variant` below kWgmmaVariants (the caller checks it).
std::vector<TensorCase> wgmmaCases(bool sweep, int variant) {
  static_assert(kWgmmaPerTripOfVariant[0] == 4 && kWgmmaPerTripOfVariant[1] == 2 && kWgmmaPerTripOfVariant[2] == 8, "the switch below");
  switch (kWgmmaPerTripOfVariant[variant]) {
    case 2: return casesOf<2>(sweep);
    case 8: return casesOf<8>(sweep);
    default: return casesOf<4>(sweep);
  }
}

}  // namespace tppverify::cuda
