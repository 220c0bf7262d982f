// Hopper's peak tensor path: wgmma.mma_async, operands in shared memory
// through matrix descriptors, one warpgroup (128 threads) per block. Compiled
// for sm_90a only (__CUDA_ARCH_FEAT_SM90_ALL); never run on a GPU yet.
#include <string>

#include "tensor_case.cuh"
#include "wgmma_ops.cuh"

namespace tppverify::cuda {
namespace {

constexpr int kWarpgroupThreads = 128;
// Four wgmmas into the same accumulator, then commit and wait: no serialization
// warning from ptxas (C7514/C7515) and several instructions in flight.
constexpr int kWgmmaPerTrip = 4;
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

template <typename Op>
__global__ void __launch_bounds__(kWarpgroupThreads) wgmmaKernel(uint32_t aWord, uint32_t bWord, uint64_t iterations,
                                                                  BlockRecord* records, int corruptBlock,
                                                                  typename Op::Acc step) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ __align__(128) uint32_t tiles[];
  constexpr int kBTileBytes = Op::kN * kRowBytes;
  // Fill both tiles whole, so every address a descriptor can form holds the constant.
  for (int i = threadIdx.x; i < (kATileBytes + kBTileBytes) / 4; i += blockDim.x) tiles[i] = i < kATileBytes / 4 ? aWord : bWord;
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  __syncthreads();
  const uint64_t descA = matrixDescriptor(tiles);
  const uint64_t descB = matrixDescriptor(reinterpret_cast<const uint8_t*>(tiles) + kATileBytes);
  typename Op::Acc d[Op::kAccRegs];
#pragma unroll
  for (int r = 0; r < Op::kAccRegs; ++r) d[r] = 0;
  asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
  stampStart(records);
#pragma unroll 1
  for (uint64_t it = 0; it < iterations; ++it) {
#pragma unroll
    for (int w = 0; w < kWgmmaPerTrip; ++w) Op::mma(d, descA, descB);
    asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
  }
  __syncthreads();
  stampEnd(records);
  if (int(blockIdx.x) == corruptBlock && threadIdx.x == 0) d[0] += step;  // test-only
  const typename Op::Acc expected = typename Op::Acc(iterations * kWgmmaPerTrip) * step;
  unsigned bad = 0;
#pragma unroll
  for (int r = 0; r < Op::kAccRegs; ++r) bad += d[r] != expected;
  if (bad) atomicAdd(&records[blockIdx.x].mismatches, bad);
#else
  __trap();
#endif
}

// Operand words: every element of A is a, of B is b = 1/K, so each wgmma adds
// K·a·b = 1 to every accumulator element (32 for s8, where a = b = 1).
// f16 1.0 = 0x3C00, 1/16 = 0x2C00; bf16 1.0 = 0x3F80, 1/16 = 0x3D80; tf32 1.0
// and 1/8 as f32 bits; e4m3 1.0 = 0x38, 1/32 = 0x10; s8 1 = 0x01.
template <typename Op, uint32_t A, uint32_t B, int Step>
void launchWgmma(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  const int smemBytes = kATileBytes + Op::kN * kRowBytes;
  wgmmaKernel<Op><<<blocks, kWarpgroupThreads, smemBytes>>>(A, B, iterations, records, corruptBlock,
                                                            typename Op::Acc(Step));
}

template <typename Op, uint32_t A, uint32_t B, int Step>
TensorCase makeCase(const char* format, int warpgroupsPerSm, uint64_t maxIterations) {
  TensorCase c;
  c.format = format;
  c.engine = "wgmma.n" + std::to_string(Op::kN) + ".wg" + std::to_string(warpgroupsPerSm);
  c.minComputeCapability = 90;
  c.onlyComputeCapability = 90;
  c.opsPerInstruction = 2.0 * 64 * Op::kN * Op::kK;
  c.instructionsPerBlockIteration = kWgmmaPerTrip;
  c.blocksPerSm = warpgroupsPerSm;
  c.maxIterations = maxIterations;
  c.launch = launchWgmma<Op, A, B, Step>;
  return c;
}

// FP32 accumulators stay exact to 2^24: 4 wgmmas adding 1 per trip.
constexpr uint64_t kMaxFloatIterations = (1u << 24) / kWgmmaPerTrip;
// INT32 accumulators: 4 × 32 per trip, below 2^31.
constexpr uint64_t kMaxIntIterations = (1u << 31) / (kWgmmaPerTrip * 32) - 1;

template <int N, typename F16Op, typename BF16Op, typename TF32Op, typename E4M3Op, typename S8Op>
void addShape(std::vector<TensorCase>& out, int warpgroupsPerSm) {
  out.push_back(makeCase<TF32Op, 0x3F800000u, 0x3E000000u, 1>("TF32", warpgroupsPerSm, kMaxFloatIterations));
  out.push_back(makeCase<F16Op, 0x3C003C00u, 0x2C002C00u, 1>("FP16", warpgroupsPerSm, kMaxFloatIterations));
  out.push_back(makeCase<BF16Op, 0x3F803F80u, 0x3D803D80u, 1>("BF16", warpgroupsPerSm, kMaxFloatIterations));
  out.push_back(makeCase<E4M3Op, 0x38383838u, 0x10101010u, 1>("FP8", warpgroupsPerSm, kMaxFloatIterations));
  out.push_back(makeCase<S8Op, 0x01010101u, 0x01010101u, 32>("INT8", warpgroupsPerSm, kMaxIntIterations));
}

}  // namespace

std::vector<TensorCase> wgmmaCases(bool sweep) {
  using namespace wgmma;
  std::vector<TensorCase> out;
  // The default: N = 256 and two warpgroups per SM (tensor-instructions.md §2).
  if (!sweep) {
    addShape<256, F16N256, BF16N256, TF32N256, E4M3N256, S8N256>(out, 2);
    return out;
  }
  for (int warpgroups = 1; warpgroups <= 3; ++warpgroups) {
    addShape<64, F16N64, BF16N64, TF32N64, E4M3N64, S8N64>(out, warpgroups);
    addShape<128, F16N128, BF16N128, TF32N128, E4M3N128, S8N128>(out, warpgroups);
    addShape<256, F16N256, BF16N256, TF32N256, E4M3N256, S8N256>(out, warpgroups);
  }
  return out;
}

}  // namespace tppverify::cuda
