// What every tensor microbenchmark shares: the per-block record of SM id,
// clock64 and %globaltimer, and the description of one benchmark case.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../core/gpu_host_logic.h"

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

struct TensorCase {
  std::string format;                // "FP16", "FP64_TENSOR", ...
  std::string engine;                // "mma.sync", "wgmma.n256.wg2", ...
  int minComputeCapability = 80;     // major × 10 + minor
  int onlyComputeCapability = 0;     // 90: built for sm_90a only, 100: sm_100a only; 0: any
  double opsPerInstruction = 0;      // per warp (mma.sync) or per warpgroup (wgmma)
  double instructionsPerBlockIteration = 0;
  int threadsPerBlock = 0;
  int blocksPerSm = 1;
  uint64_t maxIterations = 1;        // caps a trial's length (for tcgen05 also what keeps it exact)
  uint64_t iterationsPerPeriod = 1;  // accumulators are checked and restarted after this many
  void (*launch)(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) = nullptr;
};

std::vector<TensorCase> mmaSyncCases();
// The default wgmma configuration per format, and with `sweep` every shape and warpgroup count.
std::vector<TensorCase> wgmmaCases(bool sweep);
// Blackwell's tcgen05.mma per format, and with `sweep` every shape and block count.
std::vector<TensorCase> tcgen05Cases(bool sweep);

}  // namespace tppverify::cuda
