// What every tensor microbenchmark shares: the per-block record of SM id,
// clock64 and %globaltimer, and the description of one benchmark case.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "../core/gpu_host_logic.h"
#include "cuda_check.cuh"

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
  int variantCount = 1;              // code variants of this case's kernel (the run plan draws one)
  void (*launch)(int blocks, uint64_t iterations, BlockRecord* records, int corruptBlock) = nullptr;
};

// Dynamic shared memory per block large enough that no more than
// `blocksPerSm` blocks fit on one SM (with the runtime's reservation per block
// on top, blocksPerSm + 1 blocks always exceed the SM's total), and at least
// `tileBytes`. With a grid of SMs × blocksPerSm every SM then runs exactly
// blocksPerSm blocks at once, which the protocol checks from the block records.
// Worked out and set on the kernel once per kernel and device (the first
// launch is untimed); the attribute is the device's opt-in maximum, a bound
// every request stays under, so cases sharing a kernel never undo it.
template <typename Kernel>
int occupancyCappingSharedBytes(Kernel* kernel, int tileBytes, int blocksPerSm) {
  struct Entry { const void* kernel; int device, tileBytes, blocksPerSm, bytes; };
  static std::mutex lock;
  static std::vector<Entry> entries;
  int device = 0;
  TPPVERIFY_CUDA_CHECK(cudaGetDevice(&device));
  const std::lock_guard<std::mutex> guard(lock);
  for (const Entry& e : entries) {
    if (e.kernel == reinterpret_cast<const void*>(kernel) && e.device == device && e.tileBytes == tileBytes && e.blocksPerSm == blocksPerSm) return e.bytes;
  }
  int perSm = 0, reservedPerBlock = 0, optIn = 0;
  TPPVERIFY_CUDA_CHECK(cudaDeviceGetAttribute(&perSm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
  TPPVERIFY_CUDA_CHECK(cudaDeviceGetAttribute(&reservedPerBlock, cudaDevAttrReservedSharedMemoryPerBlock, device));
  TPPVERIFY_CUDA_CHECK(cudaDeviceGetAttribute(&optIn, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  const int bytes = std::max(tileBytes, perSm / (blocksPerSm + 1) - reservedPerBlock + 1);
  if (bytes > optIn) {
    throw DeviceError(std::to_string(bytes) + " bytes of shared memory per block (to keep " + std::to_string(blocksPerSm) +
                      " blocks per SM) exceed the device's " + std::to_string(optIn));
  }
  TPPVERIFY_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, optIn));
  // The whole unified L1/shared array as shared memory, so the blocksPerSm
  // blocks fit at once (a smaller carveout would run them in waves).
  TPPVERIFY_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout, int(cudaSharedmemCarveoutMaxShared)));
  entries.push_back({reinterpret_cast<const void*>(kernel), device, tileBytes, blocksPerSm, bytes});
  return bytes;
}

// The run plan's code variant `variant` (0 to 2) of each; every case reports variantCount 3.
std::vector<TensorCase> mmaSyncCases(int variant);
// FP64 and FP32 on the CUDA cores (DFMA / FFMA chains).
std::vector<TensorCase> cudaCoreCases(int variant);
// The default wgmma configuration per format, and with `sweep` every shape and warpgroup count.
std::vector<TensorCase> wgmmaCases(bool sweep, int variant);
// Blackwell's tcgen05.mma per format, and with `sweep` every shape and block count.
std::vector<TensorCase> tcgen05Cases(bool sweep, int variant);

}  // namespace tppverify::cuda
