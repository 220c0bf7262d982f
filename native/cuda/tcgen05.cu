// Blackwell's peak tensor path: tcgen05.mma with both operands in shared memory
// (matrix descriptors) and the accumulators in tensor memory (TMEM), issued by
// one thread per block. Compiled for sm_100a only (__CUDA_ARCH_FEAT_SM100_ALL);
// never run on a GPU. Steps and encodings: tensor-instructions.md §3 and PTX ISA
// §9.7.16 (descriptor layouts also as in CUTLASS's mma_sm100_desc.hpp).
#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda_check.cuh"
#include "tensor_case.cuh"
#include "tcgen05_descriptors.h"

namespace tppverify::cuda {
namespace {

using namespace tcgen05;

// Four warps: warp w may read TMEM lanes 32w…32w+31 only, and M = 128 fills all 128 lanes.
constexpr int kThreads = 128;
// Every operand row is 32 bytes (k16 × 2 B, k8 × 4 B, k32 × 1 B), as in the wgmma kernels.
constexpr int kRowBytes = 32;
constexpr int kATileBytes = kM * kRowBytes;
// Code variants (the run plan draws one per format): 4, 2 or 8 MMAs issued
// per loop trip and accumulator before the loop test, a template parameter
// (each its own compiled kernel; the same MMAs per trial, checked against the
// same closed form). Variant 0 is the kernel as it was before variants.
// Unproven until run on a GPU.
constexpr int kTcgen05Variants = 3;
constexpr int kMmaPerTripOfVariant[kTcgen05Variants] = {4, 2, 8};

enum class MmaKind { F16, TF32, F8F6F4, I8 };

#if defined(__CUDA_ARCH_FEAT_SM100_ALL)
// tcgen05.ld 32x32b.x16: sixteen consecutive 32-bit columns of the thread's lane.
constexpr int kColumnsPerLoad = 16;
// A wait that outlives any trial (trials are calibrated to tens of ms, the
// iteration cap to a few seconds) means the MMAs never completed: trap rather than hang.
constexpr unsigned long long kCompletionTimeoutNs = 60ull * 1000 * 1000 * 1000;

__device__ uint32_t sharedAddress(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

template <MmaKind kind>
__device__ void mma(uint32_t dTmem, uint64_t descA, uint64_t descB, uint32_t idesc, uint32_t accumulate) {
#define TPPVERIFY_TCGEN05_MMA(KIND)                                                                            \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %4, 0;\ntcgen05.mma.cta_group::1.kind::" KIND " [%0], %1, %2, %3, p;\n}\n" \
               :: "r"(dTmem), "l"(descA), "l"(descB), "r"(idesc), "r"(accumulate))
  if constexpr (kind == MmaKind::F16) TPPVERIFY_TCGEN05_MMA("f16");
  if constexpr (kind == MmaKind::TF32) TPPVERIFY_TCGEN05_MMA("tf32");
  if constexpr (kind == MmaKind::F8F6F4) TPPVERIFY_TCGEN05_MMA("f8f6f4");
  if constexpr (kind == MmaKind::I8) TPPVERIFY_TCGEN05_MMA("i8");
#undef TPPVERIFY_TCGEN05_MMA
}

// Every thread waits for phase 0 of the barrier the issuing thread's commit arrives on.
__device__ void waitForMmas(const uint64_t* barrier) {
  const unsigned long long deadline = globalTimerNs() + kCompletionTimeoutNs;
  for (uint32_t done = 0; !done;) {
    asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], 0;\nselp.u32 %0, 1, 0, p;\n}\n"
                 : "=r"(done) : "r"(sharedAddress(barrier)) : "memory");
    if (!done && globalTimerNs() > deadline) __trap();
  }
}

template <typename Acc>
__device__ Acc fromBits(uint32_t bits) {
  if constexpr (std::is_same_v<Acc, float>) return __uint_as_float(bits);
  else return static_cast<Acc>(bits);
}
#endif

template <MmaKind kind, typename Acc, int kMmaPerTrip>
__global__ void __launch_bounds__(kThreads, 1)
    tcgen05Kernel(uint32_t one, uint32_t idesc, int n, int accumulators, uint64_t iterations, BlockRecord* records,
                  int corruptBlock, Acc step) {
#if defined(__CUDA_ARCH_FEAT_SM100_ALL)
  extern __shared__ __align__(128) uint32_t tiles[];
  __shared__ uint32_t tmemBase;
  __shared__ __align__(8) uint64_t mmasDone;
  const int warp = threadIdx.x / 32;
  const uint32_t columns = uint32_t(n * accumulators);  // a power of two from 32 to 512 (host-checked)
  // Fill both tiles whole with 1, so every address a descriptor can form holds it.
  const int bTileBytes = n * kRowBytes;
  for (int i = threadIdx.x; i < (kATileBytes + bTileBytes) / 4; i += blockDim.x) tiles[i] = one;
  if (warp == 0) {
    asm volatile("tcgen05.alloc.cta_group::1.sync.aligned.shared::cta.b32 [%0], %1;" :: "r"(sharedAddress(&tmemBase)), "r"(columns) : "memory");
    asm volatile("tcgen05.relinquish_alloc_permit.cta_group::1.sync.aligned;" ::: "memory");
  }
  if (threadIdx.x == 0) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" :: "r"(sharedAddress(&mmasDone)) : "memory");
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
  }
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  asm volatile("tcgen05.fence::before_thread_sync;" ::: "memory");
  __syncthreads();
  asm volatile("tcgen05.fence::after_thread_sync;" ::: "memory");
  const uint32_t tmem = tmemBase;

  stampStart(records);
  if (threadIdx.x == 0) {
    const uint64_t descA = sharedMemoryDescriptor(sharedAddress(tiles));
    const uint64_t descB = sharedMemoryDescriptor(sharedAddress(tiles) + kATileBytes);
#pragma unroll 1
    for (uint64_t it = 0; it < iterations; ++it) {
#pragma unroll
      for (int m = 0; m < kMmaPerTrip; ++m) {
        // The first MMA into each accumulator overwrites it (D = A·B), the rest accumulate.
        const uint32_t accumulate = (it | uint64_t(m)) != 0;
        for (int a = 0; a < accumulators; ++a) mma<kind>(tmem + uint32_t(a * n), descA, descB, idesc, accumulate);
      }
    }
    asm volatile("tcgen05.commit.cta_group::1.mbarrier::arrive::one.shared::cluster.b64 [%0];" :: "r"(sharedAddress(&mmasDone)) : "memory");
  }
  waitForMmas(&mmasDone);
  asm volatile("tcgen05.fence::after_thread_sync;" ::: "memory");
  __syncthreads();
  stampEnd(records);

  // Every accumulator element: row r is TMEM lane r, read by warp r / 32.
  const Acc expected = Acc(iterations * kMmaPerTrip) * step;
  const uint32_t laneBase = uint32_t(warp * 32) << 16;
  unsigned bad = 0;
  for (uint32_t column = 0; column < columns; column += kColumnsPerLoad) {
    uint32_t v[kColumnsPerLoad];
    asm volatile(
        "tcgen05.ld.sync.aligned.32x32b.x16.b32 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, [%16];"
        : "=r"(v[0]), "=r"(v[1]), "=r"(v[2]), "=r"(v[3]), "=r"(v[4]), "=r"(v[5]), "=r"(v[6]), "=r"(v[7]), "=r"(v[8]),
          "=r"(v[9]), "=r"(v[10]), "=r"(v[11]), "=r"(v[12]), "=r"(v[13]), "=r"(v[14]), "=r"(v[15])
        : "r"(tmem + laneBase + column));
    asm volatile("tcgen05.wait::ld.sync.aligned;" ::: "memory");
#pragma unroll
    for (int i = 0; i < kColumnsPerLoad; ++i) {
      Acc value = fromBits<Acc>(v[i]);
      if (int(blockIdx.x) == corruptBlock && threadIdx.x == 0 && column == 0 && i == 0) value += step;  // test-only
      bad += value != expected;
    }
  }
  if (bad) atomicAdd(&records[blockIdx.x].mismatches, bad);

  asm volatile("tcgen05.fence::before_thread_sync;" ::: "memory");
  __syncthreads();
  if (warp == 0) asm volatile("tcgen05.dealloc.cta_group::1.sync.aligned.b32 %0, %1;" :: "r"(tmem), "r"(columns) : "memory");
#else
  __trap();
#endif
}

// TMEM holds 512 columns per SM: the blocks on one SM share them, and each
// block splits its share into N-column accumulators.
template <int N, int BlocksPerSm>
constexpr int accumulatorsPerBlock() {
  return kTmemColumns / BlocksPerSm / N;
}

template <MmaKind kind, typename Acc, int K, uint32_t DType, uint32_t OperandType, uint32_t One, int N, int BlocksPerSm, int PerTrip>
void launchTcgen05(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  constexpr int accumulators = accumulatorsPerBlock<N, BlocksPerSm>();
  static_assert(accumulators >= 1 && N * accumulators * BlocksPerSm <= kTmemColumns, "TMEM holds 512 columns per SM");
  static_assert(N % 16 == 0 && N >= 16 && N <= 256, "M = 128 takes N from 16 to 256 in steps of 16");
  auto* kernel = tcgen05Kernel<kind, Acc, PerTrip>;
  // A block beyond BlocksPerSm on one SM would wait in tcgen05.alloc for TMEM and stretch the timing.
  const int smem = occupancyCappingSharedBytes(kernel, kATileBytes + N * kRowBytes, BlocksPerSm);
  kernel<<<blocks, kThreads, smem>>>(One, instructionDescriptor(DType, OperandType, OperandType, kM, N), N, accumulators,
                                     iterations, records, corruptBlock, Acc(K));
}

// Operand words: every element of A and B is 1 (f16 0x3C00, bf16 0x3F80, tf32
// 0x3F800000, e4m3 0x38, s8 0x01), so each MMA adds exactly K to every
// accumulator element. Unlike the wgmma and mma.sync kernels these check once,
// after the trial (reading TMEM back each period would stall the pipe), so the
// iteration cap keeps the final value exact in f32 (2^24) and s32 (2^31); an
// accumulator narrower than that fails the check rather than scoring.
template <int K, int PerTrip>
constexpr uint64_t maxIterations(bool integer) {
  return (integer ? (uint64_t(1) << 31) - 1 : uint64_t(1) << 24) / (PerTrip * K);
}

template <int N, int BlocksPerSm, int PerTrip>
void addShape(std::vector<TensorCase>& out) {
  constexpr int accumulators = accumulatorsPerBlock<N, BlocksPerSm>();
  const std::string engine = "tcgen05.n" + std::to_string(N) + ".cta" + std::to_string(BlocksPerSm);
  auto add = [&](const char* format, int k, void (*launch)(int, uint64_t, BlockRecord*, int), uint64_t maxIterations) {
    TensorCase c;
    c.format = format;
    c.engine = engine;
    c.minComputeCapability = 100;
    c.onlyComputeCapability = 100;
    c.opsPerInstruction = gpu::opsPerMatrixInstruction(kM, N, k);
    c.instructionsPerBlockIteration = PerTrip * accumulators;
    c.threadsPerBlock = kThreads;
    c.blocksPerSm = BlocksPerSm;
    c.maxIterations = maxIterations;
    c.variantCount = kTcgen05Variants;
    c.launch = launch;
    out.push_back(c);
  };
  add("TF32", 8, launchTcgen05<MmaKind::TF32, float, 8, kDTypeF32, kTypeTf32, 0x3F800000u, N, BlocksPerSm, PerTrip>, maxIterations<8, PerTrip>(false));
  add("FP16", 16, launchTcgen05<MmaKind::F16, float, 16, kDTypeF32, kTypeF16, 0x3C003C00u, N, BlocksPerSm, PerTrip>, maxIterations<16, PerTrip>(false));
  add("BF16", 16, launchTcgen05<MmaKind::F16, float, 16, kDTypeF32, kTypeBf16, 0x3F803F80u, N, BlocksPerSm, PerTrip>, maxIterations<16, PerTrip>(false));
  add("FP8", 32, launchTcgen05<MmaKind::F8F6F4, float, 32, kDTypeF32, kTypeE4m3, 0x38383838u, N, BlocksPerSm, PerTrip>, maxIterations<32, PerTrip>(false));
  add("INT8", 32, launchTcgen05<MmaKind::I8, int, 32, kDTypeS32, kTypeS8, 0x01010101u, N, BlocksPerSm, PerTrip>, maxIterations<32, PerTrip>(true));
}

template <int PerTrip>
std::vector<TensorCase> casesOf(bool sweep) {
  std::vector<TensorCase> out;
  // The default: N = 256, one block per SM with two accumulators (all 512 TMEM columns).
  addShape<256, 1, PerTrip>(out);
  if (!sweep) return out;
  addShape<256, 2, PerTrip>(out);
  addShape<128, 1, PerTrip>(out);
  addShape<128, 2, PerTrip>(out);
  return out;
}

}  // namespace

// `variant` below kTcgen05Variants (the caller checks it).
std::vector<TensorCase> tcgen05Cases(bool sweep, int variant) {
  static_assert(kMmaPerTripOfVariant[0] == 4 && kMmaPerTripOfVariant[1] == 2 && kMmaPerTripOfVariant[2] == 8, "the switch below");
  switch (kMmaPerTripOfVariant[variant]) {
    case 2: return casesOf<2>(sweep);
    case 8: return casesOf<8>(sweep);
    default: return casesOf<4>(sweep);
  }
}

}  // namespace tppverify::cuda
