#include "tensor.cuh"

#include <algorithm>
#include <cmath>
#include <optional>
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
constexpr double kTargetTrialSeconds = 0.05;


// ---- one struct per instruction: registers, operand values, the asm ----
// Every A and B register holds the same packed 1.0 (1 for s8), so each mma adds
// exactly K to every element of D whatever the fragment layout (tensor-instructions.md §1).

struct F16 {  // m16n8k16, f16 inputs (1.0 = 0x3C00), f32 accumulate
  using Acc = float;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 16;
  static constexpr unsigned kOne = 0x3C003C00u;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a), "r"(b));
  }
};

struct BF16 {  // m16n8k16, bf16 inputs (1.0 = 0x3F80)
  using Acc = float;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 16;
  static constexpr unsigned kOne = 0x3F803F80u;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a), "r"(b));
  }
};

struct TF32 {  // m16n8k8, tf32 inputs as f32 bit patterns (1.0 = 0x3F800000)
  using Acc = float;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 8;
  static constexpr unsigned kOne = 0x3F800000u;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a), "r"(b));
  }
};

struct INT8 {  // m16n8k32, s8 inputs (1 = 0x01)
  using Acc = int;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 32;
  static constexpr unsigned kOne = 0x01010101u;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]) : "r"(a), "r"(b));
  }
};

struct FP8 {  // m16n8k32, e4m3 inputs (1.0 = 0x38); needs sm_89
  using Acc = float;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 32;
  static constexpr unsigned kOne = 0x38383838u;
  __device__ static void mma(Acc (&d)[kAccRegs], unsigned a, unsigned b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
    asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%4,%4,%4}, {%5,%5}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]) : "r"(a), "r"(b));
#else
    __trap();
#endif
  }
};

struct F64K4 {  // m8n8k4 DMMA
  using Acc = double;
  static constexpr int kAccRegs = 2;
  static constexpr int kK = 4;
  __device__ static void mma(Acc (&d)[kAccRegs], double a, double b) {
    asm volatile("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {%0,%1}, {%2}, {%3}, {%0,%1};"
                 : "+d"(d[0]), "+d"(d[1]) : "d"(a), "d"(b));
  }
};

struct F64K16 {  // m16n8k16 DMMA; needs sm_90
  using Acc = double;
  static constexpr int kAccRegs = 4;
  static constexpr int kK = 16;
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
  using Acc = typename Op::Acc;
  static_assert(gpu::kIterationsPerPeriod * Op::kK <= gpu::kLargestCheckedValue, "a period must keep the accumulators small");
  const Acc expected = Acc(gpu::kIterationsPerPeriod * Op::kK);
  Acc acc[kAccumulators][Op::kAccRegs];
  unsigned bad = 0;
  __syncthreads();
  stampStart(records);
#pragma unroll 1
  for (uint64_t period = 0; period < iterations / gpu::kIterationsPerPeriod; ++period) {
#pragma unroll
    for (int k = 0; k < kAccumulators; ++k)
#pragma unroll
      for (int r = 0; r < Op::kAccRegs; ++r) acc[k][r] = 0;
#pragma unroll 2
    for (int it = 0; it < gpu::kIterationsPerPeriod; ++it) {
#pragma unroll
      for (int k = 0; k < kAccumulators; ++k) Op::mma(acc[k], a, b);
    }
    if (period == 0 && int(blockIdx.x) == corruptBlock && threadIdx.x == 0) acc[0][0] += Acc(Op::kK);  // test-only
#pragma unroll
    for (int k = 0; k < kAccumulators; ++k)
#pragma unroll
      for (int r = 0; r < Op::kAccRegs; ++r) bad += acc[k][r] != expected;
  }
  __syncthreads();
  stampEnd(records);
  if (bad) atomicAdd(&records[blockIdx.x].mismatches, bad);
}

template <typename Op>
void launchBits(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  mmaKernel<Op, unsigned><<<blocks, kThreadsPerBlock>>>(Op::kOne, Op::kOne, iterations, records, corruptBlock);
}

template <typename Op>
void launchF64(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) {
  mmaKernel<Op, double><<<blocks, kThreadsPerBlock>>>(1.0, 1.0, iterations, records, corruptBlock);
}

template <typename Op>
constexpr double opsPerMma(int m, int n) {
  return gpu::opsPerMatrixInstruction(m, n, Op::kK);
}

TensorCase mmaCase(const char* format, const char* engine, int minCc, double ops,
                   void (*launch)(int, uint64_t, BlockRecord*, int)) {
  TensorCase c;
  c.format = format;
  c.engine = engine;
  c.minComputeCapability = minCc;
  c.opsPerInstruction = ops;
  c.instructionsPerBlockIteration = kWarpsPerBlock * kAccumulators;
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
  if (cc >= 100 && cc < 110 && c.onlyComputeCapability != 100) {
    // Data-centre Blackwell's (10.x) peak path is tcgen05.mma: a slower mma.sync
    // figure must not stand as its peak. (12.x parts have no tcgen05; there mma.sync is the path.)
    return "on compute capability 10.x the peak path is tcgen05.mma; mma.sync is not reported as the peak";
  }
  return "";
}

struct TrialMeasure {
  double seconds;
  double clockMhz;
  std::set<unsigned> sms;
  unsigned mismatches;
};

// `checkTimer`: compare the in-kernel timer with the event time (not on a
// kernel's first launch, whose event interval includes loading its code).
TrialMeasure runTrial(const TensorCase& c, int blocks, uint64_t iterations, DeviceBuffer<BlockRecord>& records, int corruptBlock,
                      EventTimer& timer, bool checkTimer) {
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
  const gpu::ClockReading clock = gpu::readClock(stamps, gpu::kCudaTimerTicksPerMicrosecond, checkTimer ? m.seconds : 0);
  m.clockMhz = clock.mhz;
  m.sms = clock.units;
  return m;
}

}  // namespace

std::vector<TensorCase> mmaSyncCases() {
  return {
      mmaCase("FP64_TENSOR", "mma.sync.m8n8k4", 80, opsPerMma<F64K4>(8, 8), launchF64<F64K4>),
      mmaCase("FP64_TENSOR", "mma.sync.m16n8k16", 90, opsPerMma<F64K16>(16, 8), launchF64<F64K16>),
      mmaCase("TF32", "mma.sync", 80, opsPerMma<TF32>(16, 8), launchBits<TF32>),
      mmaCase("FP16", "mma.sync", 80, opsPerMma<F16>(16, 8), launchBits<F16>),
      mmaCase("BF16", "mma.sync", 80, opsPerMma<BF16>(16, 8), launchBits<BF16>),
      mmaCase("FP8", "mma.sync", 89, opsPerMma<FP8>(16, 8), launchBits<FP8>),
      mmaCase("INT8", "mma.sync", 80, opsPerMma<INT8>(16, 8), launchBits<INT8>),
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
    const uint64_t probe = std::min<uint64_t>(gpu::kCalibrationIterations, c.maxIterations);
    // One period first, untimed: the first launch loads the kernel's code.
    if (runTrial(c, blocks, c.iterationsPerPeriod, records, -1, timer, false).mismatches) {
      throw VerificationError(label, "accumulators wrong in the first launch");
    }
    const TrialMeasure calibration = runTrial(c, blocks, probe, records, -1, timer, false);
    if (calibration.mismatches) throw VerificationError(label, "accumulators wrong in the calibration run");
    const double seconds = request.secondsPerTrial > 0 ? request.secondsPerTrial : kTargetTrialSeconds;
    const uint64_t iterations = gpu::iterationsFor(calibration.seconds, probe, seconds, probe, c.maxIterations, c.iterationsPerPeriod);
    out.threads = blocks * c.threadsPerBlock;
    out.opsPerTrial = double(blocks) * c.instructionsPerBlockIteration * double(iterations) * c.opsPerInstruction;
    for (int trial = 0; trial <= request.trials; ++trial) {
      progress({"throughput", label, trial, request.trials});
      const bool corrupt = request.faultCase == label && trial == request.trials;
      const TrialMeasure m = runTrial(c, blocks, iterations, records, corrupt ? 0 : -1, timer, true);
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
  runTrial(fp16, blocks, 1u << 14, records, -1, timer, false);  // warm-up, and loads the code
  const TrialMeasure m = runTrial(fp16, blocks, 1u << 18, records, -1, timer, true);
  if (m.mismatches) throw VerificationError(fp16.format + "/" + fp16.engine, "accumulators wrong in the clock probe");
  ClockResult result;
  result.deviceId = "cuda:" + std::to_string(device);
  result.method = "Δclock64 ÷ Δ%globaltimer over an FP16 mma.sync loop on every SM";
  result.mhzPerThread = {m.clockMhz};
  return result;
}

}  // namespace tppverify::cuda
