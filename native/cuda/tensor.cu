#include "tensor.cuh"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "cuda_check.cuh"
#include "../core/gpu_host_logic.h"
#include "tensor_case.cuh"

namespace tppverify::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kThreadsPerBlock = kWarpsPerBlock * 32;
// Two blocks of eight warps per SM: 16 warps issue mma.sync, enough to keep
// the tensor pipes busy (shared reference tensor-instructions.md, §1).
constexpr int kBlocksPerSm = 2;
// Independent accumulators per warp hide the mma latency.
constexpr int kAccumulators = 8;
// Each mma adds exactly 1 (integer formats: a known constant) to every
// accumulator element; FP32 stays exact up to 2^24 additions.
constexpr double kTargetTrialSeconds = 0.05;


// ---- one struct per instruction: registers, operand values, the asm, the check ----
// Operand bit patterns (every A register one constant, every B register
// another) make D = n·K·a·b whatever the fragment layout (tensor-instructions.md §1).

struct F16 {  // m16n8k16, f16 inputs, f32 accumulate: a = 1.0, b = 1/16
  using Acc = float;
  static constexpr int kAccRegs = 4;
  static constexpr double kOps = 2.0 * 16 * 8 * 16;
  static constexpr unsigned kA = 0x3C003C00u, kB = 0x2C002C00u;
  static constexpr Acc kStep = 1;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a), "r"(b));
  }
};

struct BF16 {  // m16n8k16, bf16 inputs: a = 1.0 (0x3F80), b = 1/16 (0x3D80)
  using Acc = float;
  static constexpr int kAccRegs = 4;
  static constexpr double kOps = 2.0 * 16 * 8 * 16;
  static constexpr unsigned kA = 0x3F803F80u, kB = 0x3D803D80u;
  static constexpr Acc kStep = 1;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a), "r"(b));
  }
};

struct TF32 {  // m16n8k8, tf32 inputs (f32 bit patterns): a = 1.0, b = 1/8
  using Acc = float;
  static constexpr int kAccRegs = 4;
  static constexpr double kOps = 2.0 * 16 * 8 * 8;
  static constexpr unsigned kA = 0x3F800000u, kB = 0x3E000000u;
  static constexpr Acc kStep = 1;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a), "r"(b));
  }
};

struct INT8 {  // m16n8k32, s8 inputs: a = b = 1, each mma adds 32
  using Acc = int;
  static constexpr int kAccRegs = 4;
  static constexpr double kOps = 2.0 * 16 * 8 * 32;
  static constexpr unsigned kA = 0x01010101u, kB = 0x01010101u;
  static constexpr Acc kStep = 32;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]) : "r"(a), "r"(b));
  }
};

struct FP8 {  // m16n8k32, e4m3 inputs: a = 1.0 (0x38), b = 1/32 (0x10); needs sm_89
  using Acc = float;
  static constexpr int kAccRegs = 4;
  static constexpr double kOps = 2.0 * 16 * 8 * 32;
  static constexpr unsigned kA = 0x38383838u, kB = 0x10101010u;
  static constexpr Acc kStep = 1;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
    asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a), "r"(b));
#else
    __trap();
#endif
  }
};

struct F64K4 {  // m8n8k4 DMMA: a = 1, b = 1/4
  using Acc = double;
  static constexpr int kAccRegs = 2;
  static constexpr double kOps = 2.0 * 8 * 8 * 4;
  static constexpr Acc kStep = 1;
  __device__ static void mma(Acc (&d)[kAccRegs], double a, double b) {
    asm volatile("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {%0,%1}, {%2}, {%3}, {%0,%1};"
                 : "+d"(d[0]), "+d"(d[1]) : "d"(a), "d"(b));
  }
};

struct F64K16 {  // m16n8k16 DMMA: a = 1, b = 1/16; needs sm_90
  using Acc = double;
  static constexpr int kAccRegs = 4;
  static constexpr double kOps = 2.0 * 16 * 8 * 16;
  static constexpr Acc kStep = 1;
  __device__ static void mma(Acc (&d)[kAccRegs], double a, double b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f64.f64.f64.f64 {%0,%1,%2,%3}, {%4,%4,%4,%4,%4,%4,%4,%4}, {%5,%5,%5,%5}, "
        "{%0,%1,%2,%3};"
        : "+d"(d[0]), "+d"(d[1]), "+d"(d[2]), "+d"(d[3]) : "d"(a), "d"(b));
#else
    __trap();
#endif
  }
};

template <typename Op, typename Operand>
__global__ void __launch_bounds__(kThreadsPerBlock) mmaKernel(Operand a, Operand b, uint64_t iterations,
                                                               BlockRecord* records, int corruptBlock) {
  typename Op::Acc acc[kAccumulators][Op::kAccRegs];
#pragma unroll
  for (int k = 0; k < kAccumulators; ++k)
#pragma unroll
    for (int r = 0; r < Op::kAccRegs; ++r) acc[k][r] = 0;
  __syncthreads();
  stampStart(records);
#pragma unroll 1
  for (uint64_t it = 0; it < iterations; ++it) {
#pragma unroll
    for (int k = 0; k < kAccumulators; ++k) Op::mma(acc[k], a, b);
  }
  __syncthreads();
  stampEnd(records);
  if (int(blockIdx.x) == corruptBlock && threadIdx.x == 0) acc[0][0] += Op::kStep;  // test-only
  const typename Op::Acc expected = typename Op::Acc(iterations) * Op::kStep;
  unsigned bad = 0;
#pragma unroll
  for (int k = 0; k < kAccumulators; ++k)
#pragma unroll
    for (int r = 0; r < Op::kAccRegs; ++r) bad += acc[k][r] != expected;
  if (bad) atomicAdd(&records[blockIdx.x].mismatches, bad);
}

template <typename Op>
void launchBits(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  mmaKernel<Op, unsigned><<<blocks, kThreadsPerBlock>>>(Op::kA, Op::kB, iterations, records, corruptBlock);
}

// FP64 shapes: b = 1/K so each mma adds 1 (K = 4 for m8n8k4, 16 for m16n8k16).
void launchF64K4(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  mmaKernel<F64K4, double><<<blocks, kThreadsPerBlock>>>(1.0, 0.25, iterations, records, corruptBlock);
}
void launchF64K16(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  mmaKernel<F64K16, double><<<blocks, kThreadsPerBlock>>>(1.0, 1.0 / 16, iterations, records, corruptBlock);
}

TensorCase mmaCase(const char* format, const char* engine, int minCc, double ops, uint64_t maxIterations,
                   void (*launch)(int, uint64_t, BlockRecord*, int)) {
  TensorCase c;
  c.format = format;
  c.engine = engine;
  c.minComputeCapability = minCc;
  c.opsPerInstruction = ops;
  c.instructionsPerBlockIteration = kWarpsPerBlock * kAccumulators;
  c.blocksPerSm = kBlocksPerSm;
  c.maxIterations = maxIterations;
  c.launch = launch;
  return c;
}

// Dense ops per SM per clock by compute capability and format (shared
// reference measurement.md, from vendor peaks): the plausibility bound.
double publishedOpsPerClockPerSm(int cc, const std::string& format) {
  struct Row { int cc; const char* format; double ops; };
  static const Row rows[] = {
      {80, "FP64_TENSOR", 128}, {80, "TF32", 1024}, {80, "FP16", 2048}, {80, "BF16", 2048}, {80, "INT8", 4096},
      {89, "TF32", 512},  {89, "FP16", 1024}, {89, "BF16", 1024}, {89, "FP8", 2048}, {89, "INT8", 2048},
      {90, "FP64_TENSOR", 256}, {90, "TF32", 2048}, {90, "FP16", 4096}, {90, "BF16", 4096}, {90, "FP8", 8192}, {90, "INT8", 8192},
      {100, "TF32", 4096}, {100, "FP16", 8192}, {100, "BF16", 8192}, {100, "FP8", 16384}, {100, "INT8", 16384},
  };
  for (const Row& row : rows)
    if (row.cc == cc && format == row.format) return row.ops;
  // Unknown part: the highest dense rate any listed SM reaches (sm_100 FP4 is 32,768).
  return 32768;
}

std::string unavailableReason(const TensorCase& c, int cc) {
  if (cc < c.minComputeCapability) {
    return c.engine + " " + c.format + " needs compute capability " + std::to_string(c.minComputeCapability / 10) + "." +
           std::to_string(c.minComputeCapability % 10) + " or newer";
  }
  if (c.onlyComputeCapability && cc != c.onlyComputeCapability) {
    // Arch-specific code (sm_90a, sm_100a) runs on exactly that compute capability.
    return c.engine + " exists on compute capability " + std::to_string(c.onlyComputeCapability / 10) + "." +
           std::to_string(c.onlyComputeCapability % 10) + " (sm_" + std::to_string(c.onlyComputeCapability) + "a) only";
  }
  if (cc >= 100 && c.onlyComputeCapability != 100) {
    // Blackwell's peak path is tcgen05.mma: a slower mma.sync figure must not stand as its peak.
    if (c.format == "FP64_TENSOR") return "no published per-SM FP64 matrix rate for Blackwell to bound a measurement (measurement.md); not measured";
    return "on Blackwell the peak path is tcgen05.mma; mma.sync is not reported as the peak";
  }
  return "";
}

struct TrialMeasure {
  double seconds;
  double clockMhz;
  std::set<unsigned> sms;
  unsigned mismatches;
};

TrialMeasure runTrial(const TensorCase& c, int blocks, uint64_t iterations, DeviceBuffer<BlockRecord>& records, int corruptBlock,
                      EventTimer& timer) {
  TPPVERIFY_CUDA_CHECK(cudaMemset(records.get(), 0, records.count() * sizeof(BlockRecord)));
  timer.start();
  c.launch(blocks, iterations, records.get(), corruptBlock);
  TPPVERIFY_CUDA_CHECK(cudaGetLastError());
  TrialMeasure m{timer.stopSeconds(), 0, {}, 0};
  std::vector<BlockRecord> host(static_cast<size_t>(blocks));
  TPPVERIFY_CUDA_CHECK(cudaMemcpy(host.data(), records.get(), host.size() * sizeof(BlockRecord), cudaMemcpyDeviceToHost));
  std::vector<gpu::ClockStamp> stamps;
  for (const BlockRecord& r : host) {
    stamps.push_back({r.clockStart, r.clockEnd, r.timerStart, r.timerEnd, r.smidStart, r.smidEnd});
    m.mismatches += r.mismatches;
  }
  const gpu::ClockReading clock = gpu::readClock(stamps, gpu::kCudaTimerTicksPerMicrosecond);
  m.clockMhz = clock.mhz;
  m.sms = clock.units;
  return m;
}

}  // namespace

std::vector<TensorCase> mmaSyncCases() {
  // FP32 accumulators stay exact to 2^24 additions of 1; INT32 to 2^31 of 32.
  constexpr uint64_t kFloatMax = 1u << 23;
  constexpr uint64_t kIntMax = (1u << 31) / 32 - 1;
  return {
      mmaCase("FP64_TENSOR", "mma.sync.m8n8k4", 80, F64K4::kOps, kFloatMax, launchF64K4),
      mmaCase("FP64_TENSOR", "mma.sync.m16n8k16", 90, F64K16::kOps, kFloatMax, launchF64K16),
      mmaCase("TF32", "mma.sync", 80, TF32::kOps, kFloatMax, launchBits<TF32>),
      mmaCase("FP16", "mma.sync", 80, F16::kOps, kFloatMax, launchBits<F16>),
      mmaCase("BF16", "mma.sync", 80, BF16::kOps, kFloatMax, launchBits<BF16>),
      mmaCase("FP8", "mma.sync", 89, FP8::kOps, kFloatMax, launchBits<FP8>),
      mmaCase("INT8", "mma.sync", 80, INT8::kOps, kIntMax, launchBits<INT8>),
  };
}

ThroughputResult measureCudaThroughput(int device, const ThroughputRequest& request, const ProgressSink& progress) {
  TPPVERIFY_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  TPPVERIFY_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  const int cc = prop.major * 10 + prop.minor;
  std::vector<TensorCase> cases = mmaSyncCases();
  for (TensorCase& c : wgmmaCases(request.sweep)) cases.push_back(std::move(c));
  for (TensorCase& c : tcgen05Cases(request.sweep)) cases.push_back(std::move(c));
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
    out.maxInstructionsPerClockPerUnit = publishedOpsPerClockPerSm(cc, c.format) / c.opsPerInstruction;
    out.clockMethod = "Δclock64 ÷ Δ%globaltimer per block, summed over blocks";
    out.unavailableReason = unavailableReason(c, cc);
    out.available = out.unavailableReason.empty();
    if (!out.available) {
      result.cases.push_back(std::move(out));
      continue;
    }
    const std::string label = c.format + "/" + c.engine;
    // Calibrate the iteration count for the requested trial length.
    const uint64_t probe = std::min<uint64_t>(1024, c.maxIterations);
    const TrialMeasure calibration = runTrial(c, blocks, probe, records, -1, timer);
    if (calibration.mismatches) throw VerificationError(label, "accumulators wrong in the calibration run");
    const double seconds = request.secondsPerTrial > 0 ? request.secondsPerTrial : kTargetTrialSeconds;
    const uint64_t iterations = gpu::iterationsFor(calibration.seconds, probe, seconds, probe, c.maxIterations);
    out.threads = blocks;
    out.opsPerTrial = double(blocks) * c.instructionsPerBlockIteration * double(iterations) * c.opsPerInstruction;
    for (int trial = 0; trial <= request.trials; ++trial) {
      progress({"throughput", label, trial, request.trials});
      const bool corrupt = request.faultCase == label && trial == request.trials;
      const TrialMeasure m = runTrial(c, blocks, iterations, records, corrupt ? 0 : -1, timer);
      if (m.mismatches) {
        throw VerificationError(label, std::to_string(m.mismatches) + " accumulator elements differ from their exact expected value");
      }
      if (trial == 0) continue;
      out.trialSeconds.push_back(m.seconds);
      out.trialClockMhz.push_back(m.clockMhz);
      out.units = std::max(out.units, int(m.sms.size()));
    }
    result.cases.push_back(std::move(out));
  }
  return result;
}

}  // namespace tppverify::cuda

namespace tppverify::cuda {

ClockResult probeCudaClock(int device) {
  TPPVERIFY_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  TPPVERIFY_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  const int blocks = prop.multiProcessorCount * kBlocksPerSm;
  DeviceBuffer<BlockRecord> records(static_cast<size_t>(blocks));
  EventTimer timer;
  // The FP16 mma.sync loop keeps every SM busy: the clock it reads is the clock under tensor load.
  const TensorCase fp16 = mmaSyncCases()[3];
  runTrial(fp16, blocks, 1u << 14, records, -1, timer);  // warm-up
  const TrialMeasure m = runTrial(fp16, blocks, 1u << 18, records, -1, timer);
  ClockResult result;
  result.deviceId = "cuda:" + std::to_string(device);
  result.method = "Δclock64 ÷ Δ%globaltimer over an FP16 mma.sync loop on every SM";
  result.mhzPerThread = {m.clockMhz};
  return result;
}

}  // namespace tppverify::cuda
