// What every tensor microbenchmark shares: the per-block record of SM id,
// clock64 and %globaltimer, and the description of one benchmark case.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tppverify::cuda {

struct BlockRecord {
  unsigned long long clockStart, clockEnd, timerStart, timerEnd;
  unsigned smidStart, smidEnd, mismatches, pad;
};

#ifdef __CUDACC__
__device__ inline unsigned long long globalTimerNs() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__device__ inline unsigned smId() {
  unsigned id;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(id));
  return id;
}

// Thread 0 of the block stamps the start and end of the timed loop.
__device__ inline void stampStart(BlockRecord* records) {
  if (threadIdx.x == 0) {
    records[blockIdx.x].smidStart = smId();
    records[blockIdx.x].timerStart = globalTimerNs();
    records[blockIdx.x].clockStart = clock64();
  }
}

__device__ inline void stampEnd(BlockRecord* records) {
  if (threadIdx.x == 0) {
    records[blockIdx.x].clockEnd = clock64();
    records[blockIdx.x].timerEnd = globalTimerNs();
    records[blockIdx.x].smidEnd = smId();
  }
}
#endif

// Operands are all 1 (every product exactly 1.0), and each kernel checks its
// accumulators against their exact value and restarts them from zero after
// every period of iterations, so no accumulator exceeds kLargestCheckedValue.
// That stays exact where a tensor core keeps only about 14 accumulator bits
// (Hopper FP8: DeepSeek-V3 technical report §3.3.2) and far from the 24-bit
// limit below which truncated alignment keeps every product (Fasi et al. 2021).
inline constexpr double kLargestCheckedValue = 2048;
// No trial runs longer than this many loop iterations, whatever the calibration says.
inline constexpr uint64_t kMaxTrialIterations = uint64_t(1) << 32;

struct TensorCase {
  std::string format;                // "FP16", "FP64_TENSOR", ...
  std::string engine;                // "mma.sync", "wgmma.n256.wg2", ...
  int minComputeCapability = 80;     // major × 10 + minor
  int onlyComputeCapability = 0;     // 90: built for sm_90a only, 100: sm_100a only; 0: any
  double opsPerInstruction = 0;      // per warp (mma.sync) or per warpgroup (wgmma)
  double instructionsPerBlockIteration = 0;
  int threadsPerBlock = 0;
  int blocksPerSm = 1;
  uint64_t maxIterations = 1;        // caps a trial's length
  uint64_t iterationsPerPeriod = 1;  // accumulators are checked and restarted after this many
  void (*launch)(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) = nullptr;
};

std::vector<TensorCase> mmaSyncCases();
// The default wgmma configuration per format, and with `sweep` every shape and warpgroup count.
std::vector<TensorCase> wgmmaCases(bool sweep);
// Blackwell's tcgen05.mma per format, and with `sweep` every shape and block count.
std::vector<TensorCase> tcgen05Cases(bool sweep);

}  // namespace tppverify::cuda
