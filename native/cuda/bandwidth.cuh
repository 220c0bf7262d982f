// DRAM bandwidth on an NVIDIA GPU: read, write, copy, triad over arrays of
// doubles with 16-byte accesses and a persistent grid; every trial's output
// checked on the device, the last one also on the host.
#pragma once

#include "../core/backend.h"

namespace tppverify::cuda {

// Code variants of every CUDA stream kernel (readKernel, writeKernel,
// copyKernel, triadKernel<unroll>: 4, 2 or 8 16-byte accesses in flight per
// thread and array), and the block sizes the run plan may ask; the TS
// registry (benchmarks/registry.ts CODE_VARIANTS, THREADS_PER_BLOCK_CHOICES)
// must equal them.
inline constexpr int kCudaStreamVariants = 3;
inline constexpr int kCudaThreadsPerBlockChoices[] = {256, 512, 1024};

BandwidthResult measureCudaBandwidth(int device, const BandwidthRequest& request, const ProgressSink& progress);

}  // namespace tppverify::cuda
