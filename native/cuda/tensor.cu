#include "tensor.cuh"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <cstdint>
#include <string>
#include <vector>

#include "cublaslt_gemm.cuh"
#include "cuda_check.cuh"
#include "../core/gpu_host_logic.h"
#include "../core/protocols.h"
#include "tensor_case.cuh"

namespace tppverify::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kThreadsPerBlock = kWarpsPerBlock * 32;
// Two blocks of eight warps per SM: 16 warps issue mma.sync, enough to keep
// the tensor pipes busy (shared reference tensor-instructions.md, §1).
constexpr int kBlocksPerSm = 2;
// Code variants of the mma.sync kernels (the run plan draws one per format):
// 8, 4 or 6 independent accumulator chains per warp per loop trip, a template
// parameter, so each variant is its own compiled kernel doing the same checked
// work per accumulator. All stay within the 4–8 independent accumulators per
// warp that hide the mma latency with ≥ 8 warps per SM (shared reference
// tensor-instructions.md §1; it gives no latency in cycles): 16 warps per SM
// × 4 chains still keep 16 independent mmas per SM sub-partition in flight.
// Variant 0 is the kernel as it was before variants. Unproven until run on a GPU.
constexpr int kMmaVariants = 3;
constexpr int kMmaAccumulatorsOfVariant[kMmaVariants] = {8, 4, 6};
// Operand slots uploaded per launch: the largest chain count.
constexpr int kAccumulators = 8;
constexpr double kTargetTrialSeconds = 0.05;
// The clock probe's one timed trial.
constexpr double kClockProbeSeconds = 0.05;


// ---- one struct per instruction: registers, operand values, the asm ----
// Each accumulator k gets its own A operand (a kernel parameter, so a
// run-time value the compiler cannot prove equal to any other) holding the
// packed value 2^-k (k + 1 for s8) in every element, and all B elements are 1:
// each mma adds exactly K × that value to every element of accumulator k,
// whatever the fragment layout (tensor-instructions.md §1). Chains that got
// the same operand could be merged into one by ptxas (it did so for the
// emulated FP8 mma.sync on sm_90a); distinct values also make a merged chain
// fail its check instead of scoring.

struct F16 {  // m16n8k16, f16 inputs, f32 accumulate
  using Acc = float;
  using Operand = unsigned;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 16;
  static constexpr int kARegs = 4, kBRegs = 2;
  __device__ static void mma(Acc (&d)[kAccRegs], const unsigned (&a)[kARegs], const unsigned (&b)[kBRegs]) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
};

struct BF16 {  // m16n8k16, bf16 inputs
  using Acc = float;
  using Operand = unsigned;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 16;
  static constexpr int kARegs = 4, kBRegs = 2;
  __device__ static void mma(Acc (&d)[kAccRegs], const unsigned (&a)[kARegs], const unsigned (&b)[kBRegs]) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
};

struct TF32 {  // m16n8k8, tf32 inputs as f32 bit patterns
  using Acc = float;
  using Operand = unsigned;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 8;
  static constexpr int kARegs = 4, kBRegs = 2;
  __device__ static void mma(Acc (&d)[kAccRegs], const unsigned (&a)[kARegs], const unsigned (&b)[kBRegs]) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
};

struct INT8 {  // m16n8k32, s8 inputs
  using Acc = int;
  using Operand = unsigned;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 32;
  static constexpr int kARegs = 4, kBRegs = 2;
  __device__ static void mma(Acc (&d)[kAccRegs], const unsigned (&a)[kARegs], const unsigned (&b)[kBRegs]) {
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
};

// m16n8k32, e4m3 inputs. Native on sm_89 (Ada) only: on sm_90a ptxas emulates
// it (F2FP unpack + HMMA.16816 + FADD), which is not Hopper's FP8 path
// (wgmma is), so the case is reported unavailable on 9.x and the sm_90 code
// holds a trap instead of the emulation.
struct FP8 {
  using Acc = float;
  using Operand = unsigned;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 32;
  static constexpr int kARegs = 4, kBRegs = 2;
  __device__ static void mma(Acc (&d)[kAccRegs], const unsigned (&a)[kARegs], const unsigned (&b)[kBRegs]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890 && __CUDA_ARCH__ < 900
    asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
    __trap();
#endif
  }
};

struct F64K4 {  // m8n8k4 DMMA
  using Acc = double;
  using Operand = double;
  static constexpr int kAccRegs = 2;
  static constexpr int kK = 4;
  static constexpr int kARegs = 1, kBRegs = 1;
  __device__ static void mma(Acc (&d)[kAccRegs], const double (&a)[kARegs], const double (&b)[kBRegs]) {
    asm volatile("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {%0,%1}, {%2}, {%3}, {%0,%1};"
                 : "+d"(d[0]), "+d"(d[1]) : "d"(a[0]), "d"(b[0]));
  }
};

struct F64K16 {  // m16n8k16 DMMA; needs sm_90
  using Acc = double;
  using Operand = double;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 16;
  // One register for the eight A (and four B) elements: eight distinct ones per
  // accumulator would not fit beside the accumulators; DMMA issues rarely
  // enough that the copies into an operand octet cost nothing.
  static constexpr int kARegs = 1, kBRegs = 1;
  __device__ static void mma(Acc (&d)[kAccRegs], const double (&a)[kARegs], const double (&b)[kBRegs]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f64.f64.f64.f64 {%0,%1,%2,%3}, {%4,%4,%4,%4,%4,%4,%4,%4}, {%5,%5,%5,%5}, "
        "{%0,%1,%2,%3};"
        : "+d"(d[0]), "+d"(d[1]), "+d"(d[2]), "+d"(d[3]) : "d"(a[0]), "d"(b[0]));
#else
    __trap();
#endif
  }
};

// The operands of one launch, passed by value (kernel parameters): accumulator
// k's A fragment registers (each its own parameter, so each its own register:
// the same value in one register repeated would be copied into a fresh
// operand quad before every mma), the B registers, and the exact value every
// element of accumulator k holds after a period.
template <typename Op>
struct MmaOperands {
  alignas(16) typename Op::Operand a[kAccumulators][Op::kARegs];
  typename Op::Operand b[Op::kBRegs];
  typename Op::Acc expected[kAccumulators];
  int iterationsPerPeriod;
};

// The operands live in global memory, uploaded before each launch: from
// there ptxas loads each accumulator's fragment once, as one 16-byte load into
// an aligned register quad, and keeps it. As kernel parameters they were
// rematerialized from the constant bank (or copied) into one shared quad
// before every mma (four moves per mma, and mmas on one accumulator paired to
// share them); values the compiler cannot see cannot be proven equal either.
template <typename Op>
__device__ MmaOperands<Op> gMmaOperands;

template <typename Op, int kChains>
__global__ void __launch_bounds__(kThreadsPerBlock) mmaKernel(uint64_t iterations, BlockRecord* records, int corruptBlock) {
  const MmaOperands<Op>& operands = gMmaOperands<Op>;
  using Acc = typename Op::Acc;
  static_assert(gpu::kIterationsPerPeriod * Op::kK <= gpu::kLargestCheckedValue, "a period must keep the accumulators small");
  static_assert(kChains >= 1 && kChains <= kAccumulators, "one uploaded operand per chain");
  typename Op::Operand a[kChains][Op::kARegs], b[Op::kBRegs];
#pragma unroll
  for (int k = 0; k < kChains; ++k)
#pragma unroll
    for (int r = 0; r < Op::kARegs; ++r) a[k][r] = operands.a[k][r];
#pragma unroll
  for (int r = 0; r < Op::kBRegs; ++r) b[r] = operands.b[r];
  Acc acc[kChains][Op::kAccRegs];
  unsigned bad = 0;
  __syncthreads();
  stampStart(records);
#pragma unroll 1
  for (uint64_t period = 0; period < iterations / gpu::kIterationsPerPeriod; ++period) {
#pragma unroll
    for (int k = 0; k < kChains; ++k)
#pragma unroll
      for (int r = 0; r < Op::kAccRegs; ++r) acc[k][r] = 0;
    // The trip count is a run-time value (always gpu::kIterationsPerPeriod):
    // with a constant one ptxas unrolls the whole period and then issues it
    // chain by chain, two accumulators at a time, instead of all of them in turn.
#pragma unroll 2
    for (int it = 0; it < operands.iterationsPerPeriod; ++it) {
#pragma unroll
      for (int k = 0; k < kChains; ++k) Op::mma(acc[k], a[k], b);
    }
    if (period == 0 && int(blockIdx.x) == corruptBlock && threadIdx.x == 0) acc[0][0] += Acc(Op::kK);  // test-only
#pragma unroll
    for (int k = 0; k < kChains; ++k)
#pragma unroll
      for (int r = 0; r < Op::kAccRegs; ++r) bad += acc[k][r] != operands.expected[k];
  }
  __syncthreads();
  stampEnd(records);
  if (bad) atomicAdd(&records[blockIdx.x].mismatches, bad);
}

// Accumulator k's A value: 2^-k for floating formats (exact in every one,
// e4m3's 2^-7 as a subnormal), k + 1 for s8; products and period sums stay exact.
double operandValue(int k, bool integer) { return integer ? double(k + 1) : std::ldexp(1.0, -k); }

// Bit patterns of a power of two 2^-k (k ≤ 7) or a small integer, packed into a 32-bit register.
uint32_t packF16(int k) { const uint32_t h = uint32_t(15 - k) << 10; return h | (h << 16); }
uint32_t packBF16(int k) { const uint32_t h = uint32_t(127 - k) << 7; return h | (h << 16); }
uint32_t packTF32(int k) { return uint32_t(127 - k) << 23; }
// e4m3 (bias 7): 2^-k is normal for k ≤ 6; 2^-7 is the subnormal 4 × 2^-9.
uint32_t packE4M3(int k) { const uint32_t v = k <= 6 ? uint32_t(7 - k) << 3 : 0x04u; return v * 0x01010101u; }
uint32_t packS8(int k) { return uint32_t(k + 1) * 0x01010101u; }

constexpr uint32_t kF16One = 0x3C003C00u, kBF16One = 0x3F803F80u, kTF32One = 0x3F800000u, kE4M3One = 0x38383838u, kS8One = 0x01010101u;

template <typename Op>
MmaOperands<Op> mmaOperands(uint32_t (*pack)(int), uint32_t one, bool integer) {
  MmaOperands<Op> o{};
  for (int k = 0; k < kAccumulators; ++k) {
    for (auto& reg : o.a[k]) reg = pack(k);
    o.expected[k] = typename Op::Acc(double(gpu::kIterationsPerPeriod * Op::kK) * operandValue(k, integer));
  }
  for (auto& reg : o.b) reg = one;
  o.iterationsPerPeriod = gpu::kIterationsPerPeriod;
  return o;
}

template <typename Op>
MmaOperands<Op> mmaOperandsF64() {
  MmaOperands<Op> o{};
  for (int k = 0; k < kAccumulators; ++k) {
    for (auto& reg : o.a[k]) reg = operandValue(k, false);
    o.expected[k] = double(gpu::kIterationsPerPeriod * Op::kK) * operandValue(k, false);
  }
  for (auto& reg : o.b) reg = 1.0;
  o.iterationsPerPeriod = gpu::kIterationsPerPeriod;
  return o;
}

template <typename Op, uint32_t (*Pack)(int), uint32_t One, bool Integer, int Chains>
void launchBits(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  const int smem = occupancyCappingSharedBytes(mmaKernel<Op, Chains>, 0, kBlocksPerSm);
  const MmaOperands<Op> operands = mmaOperands<Op>(Pack, One, Integer);
  TPPVERIFY_CUDA_CHECK(cudaMemcpyToSymbolAsync(gMmaOperands<Op>, &operands, sizeof(operands)));
  mmaKernel<Op, Chains><<<blocks, kThreadsPerBlock, smem>>>(iterations, records, corruptBlock);
}

template <typename Op, int Chains>
void launchF64(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  const int smem = occupancyCappingSharedBytes(mmaKernel<Op, Chains>, 0, kBlocksPerSm);
  const MmaOperands<Op> operands = mmaOperandsF64<Op>();
  TPPVERIFY_CUDA_CHECK(cudaMemcpyToSymbolAsync(gMmaOperands<Op>, &operands, sizeof(operands)));
  mmaKernel<Op, Chains><<<blocks, kThreadsPerBlock, smem>>>(iterations, records, corruptBlock);
}

// ---- FP64 and FP32 on the CUDA cores: chains of DFMA / FFMA ----
// Independent chains per thread, each with its own run-time operand 2^-k
// multiplied by a run-time 1 and added: after a period every chain holds
// kFmaIterationsPerPeriod × 2^-k exactly (far inside either mantissa).
// Code variants (the run plan draws one for FP64 and FP32): 8, 12 or 16
// chains per thread. Eight already cover the FMA latency (4 cycles) with the
// block's warps; more chains are the same work in another code shape.
constexpr int kFmaVariants = 3;
static_assert(kFmaVariants == kMmaVariants, "the run plan draws one variant per format; every CUDA case has the same count");
constexpr int kFmaChainsOfVariant[kFmaVariants] = {8, 12, 16};
constexpr int kMaxFmaChains = 16;
constexpr int kFmaIterationsPerPeriod = 64;

template <typename T>
struct FmaOperands {
  T a[kMaxFmaChains];
  T b;
  T expected[kMaxFmaChains];
};

template <typename T>
__device__ FmaOperands<T> gFmaOperands;

template <typename T, int kFmaChains>
__global__ void __launch_bounds__(kThreadsPerBlock) fmaChainKernel(uint64_t iterations, BlockRecord* records, int corruptBlock) {
  const FmaOperands<T>& operands = gFmaOperands<T>;
  T a[kFmaChains], acc[kFmaChains];
#pragma unroll
  for (int k = 0; k < kFmaChains; ++k) a[k] = operands.a[k];
  const T b = operands.b;
  unsigned bad = 0;
  __syncthreads();
  stampStart(records);
#pragma unroll 1
  for (uint64_t period = 0; period < iterations / kFmaIterationsPerPeriod; ++period) {
#pragma unroll
    for (int k = 0; k < kFmaChains; ++k) acc[k] = 0;
#pragma unroll 16
    for (int it = 0; it < kFmaIterationsPerPeriod; ++it) {
#pragma unroll
      for (int k = 0; k < kFmaChains; ++k) acc[k] = fma(a[k], b, acc[k]);
    }
    if (period == 0 && int(blockIdx.x) == corruptBlock && threadIdx.x == 0) acc[0] += T(1);  // test-only
#pragma unroll
    for (int k = 0; k < kFmaChains; ++k) bad += acc[k] != operands.expected[k];
  }
  __syncthreads();
  stampEnd(records);
  if (bad) atomicAdd(&records[blockIdx.x].mismatches, bad);
}

template <typename T, int kFmaChains>
void launchFma(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  FmaOperands<T> o{};
  for (int k = 0; k < kFmaChains; ++k) {
    o.a[k] = T(operandValue(k, false));
    o.expected[k] = T(kFmaIterationsPerPeriod * operandValue(k, false));
  }
  o.b = T(1);
  const int smem = occupancyCappingSharedBytes(fmaChainKernel<T, kFmaChains>, 0, kBlocksPerSm);
  TPPVERIFY_CUDA_CHECK(cudaMemcpyToSymbolAsync(gFmaOperands<T>, &o, sizeof(o)));
  fmaChainKernel<T, kFmaChains><<<blocks, kThreadsPerBlock, smem>>>(iterations, records, corruptBlock);
}

template <typename Op>
constexpr double opsPerMma(int m, int n) {
  return gpu::opsPerMatrixInstruction(m, n, Op::kK);
}

// `chains`: the variant's accumulators per warp, each one mma per loop iteration.
TensorCase mmaCase(const char* format, const char* engine, int minCc, double ops,
                   void (*launch)(int, uint64_t, BlockRecord*, int), int chains) {
  TensorCase c;
  c.format = format;
  c.engine = engine;
  c.minComputeCapability = minCc;
  c.opsPerInstruction = ops;
  c.instructionsPerBlockIteration = kWarpsPerBlock * chains;
  c.variantCount = kMmaVariants;
  c.threadsPerBlock = kThreadsPerBlock;
  c.blocksPerSm = kBlocksPerSm;
  c.maxIterations = gpu::kMaxTrialIterations;
  c.iterationsPerPeriod = gpu::kIterationsPerPeriod;
  c.launch = launch;
  return c;
}

// Dense ops per SM per clock by compute capability and format (shared
// reference measurement.md, from vendor peaks): the plausibility bound.
std::optional<double> publishedRate(int cc, const std::string& format) {
  struct Row { int cc; const char* format; double ops; };
  static const Row rows[] = {
      // FP64 and FP32 on the CUDA cores (FMA = 2 ops): A100 9.7 / 19.5, L40S 1.4 / 91.6 (1/64-rate FP64),
      // H100 SXM 33.5 / 66.9 TFLOPS at their boost clocks; B200 as H100 per SM (unverified).
      {80, "FP64", 64}, {80, "FP32", 128}, {89, "FP64", 4}, {89, "FP32", 256}, {90, "FP64", 128}, {90, "FP32", 256},
      {100, "FP64", 128}, {100, "FP32", 256},
      {80, "FP64_TENSOR", 128}, {80, "TF32", 1024}, {80, "FP16", 2048}, {80, "BF16", 2048}, {80, "INT8", 4096},
      {89, "TF32", 512},  {89, "FP16", 1024}, {89, "BF16", 1024}, {89, "FP8", 2048}, {89, "INT8", 2048},
      {90, "FP64_TENSOR", 256}, {90, "TF32", 2048}, {90, "FP16", 4096}, {90, "BF16", 4096}, {90, "FP8", 8192}, {90, "INT8", 8192},
      {100, "TF32", 4096}, {100, "FP16", 8192}, {100, "BF16", 8192}, {100, "FP8", 16384}, {100, "INT8", 16384},
  };
  for (const Row& row : rows)
    if (row.cc == cc && format == row.format) return row.ops;
  return std::nullopt;
}

// Unknown part: the highest dense rate any listed SM reaches (sm_100 FP4 is 32,768).
constexpr double kHighestPublishedOpsPerClockPerSm = 32768;

double publishedOpsPerClockPerSm(int cc, const std::string& format) {
  return publishedRate(cc, format).value_or(kHighestPublishedOpsPerClockPerSm);
}

std::string computeCapabilityName(int cc) { return std::to_string(cc / 10) + "." + std::to_string(cc % 10); }

std::string unavailableReason(const TensorCase& c, int cc) {
  if (cc < c.minComputeCapability) {
    return c.engine + " " + c.format + " needs compute capability " + computeCapabilityName(c.minComputeCapability) + " or newer";
  }
  if (c.onlyComputeCapability && cc != c.onlyComputeCapability) {
    // Arch-specific code (sm_90a, sm_100a) runs on exactly that compute capability.
    return c.engine + " exists on compute capability " + computeCapabilityName(c.onlyComputeCapability) + " (sm_" +
           std::to_string(c.onlyComputeCapability) + "a) only";
  }
  if (c.format == "FP64_TENSOR" && !publishedRate(cc, c.format)) {
    // Parts such as the L40S execute DMMA without FP64 tensor cores: that figure is no matrix peak.
    return "compute capability " + computeCapabilityName(cc) + " has no published FP64 matrix rate (measurement.md); not measured";
  }
  if (c.format == "FP8" && c.engine == "mma.sync" && cc >= 90 && cc < 100) {
    // ptxas emulates e4m3 mma.sync on sm_90a (unpack to f16 + HMMA + FADD): a rate
    // of that emulation is no FP8 tensor figure. The sm_90 code holds a trap.
    return "on compute capability 9.x FP8 mma.sync is emulated by the compiler (f16 HMMA), not run on the FP8 tensor path; "
           "wgmma is Hopper's FP8 path";
  }
  if (cc >= 100 && cc < 110 && c.onlyComputeCapability != 100 && c.engine.rfind("mma.sync", 0) == 0) {
    // Data-centre Blackwell's (10.x) peak path is tcgen05.mma: a slower mma.sync
    // figure must not stand as its peak. (12.x parts have no tcgen05; there mma.sync is the path.)
    return "on compute capability 10.x the peak path is tcgen05.mma; mma.sync is not reported as the peak";
  }
  return "";
}

// The CUDA primitives for the throughput protocol (native/core/protocols.h):
// one launch of a case, timed by events, and its block records read back.
class CudaTensorRun final : public protocol::ThroughputCase {
 public:
  CudaTensorRun(const TensorCase& c, int blocks, DeviceBuffer<BlockRecord>& records, EventTimer& timer)
      : case_(c), blocks_(blocks), records_(records), timer_(timer) {}

  int variantCount() const override { return case_.variantCount; }

  protocol::ThroughputTrial run(uint64_t iterations, bool corrupt) override {
    TPPVERIFY_CUDA_CHECK(cudaMemset(records_.get(), 0, records_.count() * sizeof(BlockRecord)));
    // The host's own clock around the same launch (issue 18): started with the
    // device idle, read after the event synchronisation, so it spans the blocks.
    TPPVERIFY_CUDA_CHECK(cudaDeviceSynchronize());
    const auto hostStart = std::chrono::steady_clock::now();
    timer_.start();
    case_.launch(blocks_, iterations, records_.get(), corrupt ? 0 : -1);
    TPPVERIFY_CUDA_CHECK(cudaGetLastError());
    protocol::ThroughputTrial t;
    t.seconds = timer_.stopSeconds();
    t.hostSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - hostStart).count();
    std::vector<BlockRecord> host(static_cast<size_t>(blocks_));
    TPPVERIFY_CUDA_CHECK(cudaMemcpy(host.data(), records_.get(), host.size() * sizeof(BlockRecord), cudaMemcpyDeviceToHost));
    for (const BlockRecord& r : host) {
      t.stamps.push_back({r.clockStart, r.clockEnd, r.timerStart, r.timerEnd, r.smidStart, r.smidEnd});
      t.mismatches += r.mismatches;
    }
    return t;
  }

 private:
  const TensorCase& case_;
  int blocks_;
  DeviceBuffer<BlockRecord>& records_;
  EventTimer& timer_;
};

// The SM clock's maximum as the runtime reports it (cudaDevAttrClockRate, kHz).
double maxSmClockMhz(int device) {
  int khz = 0;
  TPPVERIFY_CUDA_CHECK(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device));
  constexpr double kKhzPerMhz = 1000;
  return khz / kKhzPerMhz;
}


protocol::ThroughputShape shapeOf(const TensorCase& c, int blocks, double publishedOpsPerClockPerSm, double maxSmClockMhz) {
  protocol::ThroughputShape shape;
  const uint64_t probe = std::min<uint64_t>(gpu::kCalibrationIterations, c.maxIterations);
  shape.firstRunWork = c.iterationsPerPeriod;  // untimed: the first launch loads the kernel's code
  shape.calibrationWork = probe;
  shape.minWork = probe;
  shape.maxWork = c.maxIterations;
  shape.workMultiple = c.iterationsPerPeriod;
  shape.opsPerWork = double(blocks) * c.instructionsPerBlockIteration * c.opsPerInstruction;
  shape.blocksPerUnit = c.blocksPerSm;
  shape.timerTicksPerMicrosecond = gpu::kCudaTimerTicksPerMicrosecond;
  shape.shortTrialShare = protocol::kShortTrialShare;  // the event timer times a quarter of the target well
  shape.maxOpsPerClockPerUnit = publishedOpsPerClockPerSm;
  shape.reportedMaxClockMhz = maxSmClockMhz;
  return shape;
}

}  // namespace

namespace {
template <int C>
std::vector<TensorCase> mmaSyncCasesOf() {
  return {
      mmaCase("FP64_TENSOR", "mma.sync.m8n8k4", 80, opsPerMma<F64K4>(8, 8), launchF64<F64K4, C>, C),
      mmaCase("FP64_TENSOR", "mma.sync.m16n8k16", 90, opsPerMma<F64K16>(16, 8), launchF64<F64K16, C>, C),
      mmaCase("TF32", "mma.sync", 80, opsPerMma<TF32>(16, 8), launchBits<TF32, packTF32, kTF32One, false, C>, C),
      mmaCase("FP16", "mma.sync", 80, opsPerMma<F16>(16, 8), launchBits<F16, packF16, kF16One, false, C>, C),
      mmaCase("BF16", "mma.sync", 80, opsPerMma<BF16>(16, 8), launchBits<BF16, packBF16, kBF16One, false, C>, C),
      mmaCase("FP8", "mma.sync", 89, opsPerMma<FP8>(16, 8), launchBits<FP8, packE4M3, kE4M3One, false, C>, C),
      mmaCase("INT8", "mma.sync", 80, opsPerMma<INT8>(16, 8), launchBits<INT8, packS8, kS8One, true, C>, C),
  };
}
}  // namespace

// The mma.sync cases in the code variant `variant` (< kMmaVariants, checked by the caller).
std::vector<TensorCase> mmaSyncCases(int variant) {
  static_assert(kMmaAccumulatorsOfVariant[0] == 8 && kMmaAccumulatorsOfVariant[1] == 4 && kMmaAccumulatorsOfVariant[2] == 6, "the switch below");
  switch (kMmaAccumulatorsOfVariant[variant]) {
    case 4: return mmaSyncCasesOf<4>();
    case 6: return mmaSyncCasesOf<6>();
    default: return mmaSyncCasesOf<8>();
  }
}

// One warp instruction of 32 lanes, each a multiply and an add.
constexpr double kOpsPerWarpFma = 2.0 * 32;

// The FP64 and FP32 chains in the code variant `variant` (< kFmaVariants, checked by the caller).
std::vector<TensorCase> cudaCoreCases(int variant) {
  auto fmaCase = [variant](const char* format, const char* engine, void (*launch)(int, uint64_t, BlockRecord*, int)) {
    TensorCase c = mmaCase(format, engine, 80, kOpsPerWarpFma, launch, kFmaChainsOfVariant[variant]);
    c.iterationsPerPeriod = kFmaIterationsPerPeriod;
    c.variantCount = kFmaVariants;
    return c;
  };
  switch (kFmaChainsOfVariant[variant]) {
    case 12: return {fmaCase("FP64", "cuda-core.dfma", launchFma<double, 12>), fmaCase("FP32", "cuda-core.ffma", launchFma<float, 12>)};
    case 16: return {fmaCase("FP64", "cuda-core.dfma", launchFma<double, 16>), fmaCase("FP32", "cuda-core.ffma", launchFma<float, 16>)};
    default: return {fmaCase("FP64", "cuda-core.dfma", launchFma<double, 8>), fmaCase("FP32", "cuda-core.ffma", launchFma<float, 8>)};
  }
}

ThroughputResult measureCudaThroughput(int device, const ThroughputRequest& request, const ProgressSink& progress) {
  TPPVERIFY_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  TPPVERIFY_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  const int cc = prop.major * 10 + prop.minor;
  // Every CUDA throughput kernel of ours has kFmaVariants (= kMmaVariants,
  // wgmma and tcgen05 the same count) code variants: FMA chains, mma.sync
  // accumulators, wgmma / tcgen05 instructions per trip.
  if (request.variant < 0 || request.variant >= kFmaVariants) {
    throw RequestError("code variant " + std::to_string(request.variant) + " requested; the CUDA throughput kernels have variants 0 to " +
                       std::to_string(kFmaVariants - 1));
  }
  std::vector<TensorCase> cases = cudaCoreCases(request.variant);
  for (TensorCase& c : mmaSyncCases(request.variant)) cases.push_back(std::move(c));
  for (TensorCase& c : wgmmaCases(request.sweep, request.variant)) cases.push_back(std::move(c));
  for (TensorCase& c : tcgen05Cases(request.sweep, request.variant)) cases.push_back(std::move(c));
  int maxBlocks = 0;
  for (const TensorCase& c : cases) maxBlocks = std::max(maxBlocks, prop.multiProcessorCount * c.blocksPerSm);
  DeviceBuffer<BlockRecord> records(static_cast<size_t>(maxBlocks));
  EventTimer timer;
  ThroughputResult result;
  result.deviceId = "cuda:" + std::to_string(device);

  for (const TensorCase& c : cases) {
    if (!request.formats.empty() && std::find(request.formats.begin(), request.formats.end(), c.format) == request.formats.end()) continue;
    const int blocks = prop.multiProcessorCount * c.blocksPerSm;
    ThroughputCaseResult out;
    out.format = c.format;
    out.engine = c.engine;
    out.opsPerInstruction = c.opsPerInstruction;
    const double published = publishedOpsPerClockPerSm(cc, c.format);
    out.maxInstructionsPerClockPerUnit = published / c.opsPerInstruction;
    out.clockMethod = "Δclock64 ÷ Δ%globaltimer per block, summed over blocks";
    out.unavailableReason = unavailableReason(c, cc);
    out.available = out.unavailableReason.empty();
    if (out.available) {
      out.threads = blocks * c.threadsPerBlock;
      CudaTensorRun run(c, blocks, records, timer);
      const double target = request.secondsPerTrial > 0 ? request.secondsPerTrial : kTargetTrialSeconds;
      protocol::measureThroughputCase(run, shapeOf(c, blocks, published, maxSmClockMhz(device)), request, target, c.format + "/" + c.engine, progress, out);
    }
    result.cases.push_back(std::move(out));
  }
  // The second method: cuBLASLt per format that ran, after our cases (the
  // run plan measures one format per call, so a format's cases stay together).
  std::vector<std::string> formats;
  for (const ThroughputCaseResult& c : result.cases) {
    if (std::find(formats.begin(), formats.end(), c.format) == formats.end()) formats.push_back(c.format);
  }
  for (const std::string& format : runsLibraryCases(request) ? formats : std::vector<std::string>{}) {
    for (ThroughputCaseResult& c : measureCublasLtFormat(device, format, publishedOpsPerClockPerSm(cc, format), request, progress)) {
      result.cases.push_back(std::move(c));
    }
  }
  return result;
}

}  // namespace tppverify::cuda

namespace tppverify::cuda {

ClockResult probeCudaClock(int device) {
  TPPVERIFY_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  TPPVERIFY_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  const int cc = prop.major * 10 + prop.minor;
  // The FP16 mma.sync loop keeps every SM busy: the clock it reads is the clock under tensor load.
  const TensorCase fp16 = mmaSyncCases(0)[3];
  const int blocks = prop.multiProcessorCount * fp16.blocksPerSm;
  DeviceBuffer<BlockRecord> records(static_cast<size_t>(blocks));
  EventTimer timer;
  CudaTensorRun run(fp16, blocks, records, timer);
  ThroughputRequest request;
  request.trials = 1;
  ThroughputCaseResult out;
  protocol::measureThroughputCase(run, shapeOf(fp16, blocks, publishedOpsPerClockPerSm(cc, fp16.format), maxSmClockMhz(device)), request, kClockProbeSeconds,
                                  fp16.format + "/" + fp16.engine, [](const Progress&) {}, out);
  ClockResult result;
  result.deviceId = "cuda:" + std::to_string(device);
  result.method = "Δclock64 ÷ Δ%globaltimer over an FP16 mma.sync loop on every SM";
  result.mhzPerThread = out.trialClockMhz;
  return result;
}

}  // namespace tppverify::cuda
