// The throughput's second method on CUDA: cuBLASLt's GEMM, loaded at run
// time (dlopen libcublasLt.so.13, then .so.12; never linked), through the
// same throughput protocol as our kernels. Unproven until run on a GPU.
#pragma once

#include <string>
#include <vector>

#include "../core/backend.h"

namespace tppverify::cuda {

// Square GEMMs of this size: large and dense enough that cuBLASLt picks its
// full-rate tensor-core kernels on every part (8192³ is the size NVIDIA's own
// peak GEMM figures use); the protocol sets how many run per trial.
inline constexpr int kCublasLtGemmSize = 8192;
// Entries of D recomputed exactly per trial, besides every row and column checksum.
inline constexpr int kCublasLtSampledEntries = 256;

// The library case for `format` (a native format name: FP64_TENSOR, FP32,
// TF32, FP16, BF16, FP8, INT8; FP64 is a named gap), measured or unavailable
// with the exact reason; empty for a format it does not know.
// `maxOpsPerClockPerSm` is the format's hardware bound (the plausibility check).
std::vector<ThroughputCaseResult> measureCublasLtFormat(int device, const std::string& format, double maxOpsPerClockPerSm,
                                                        const ThroughputRequest& request, const ProgressSink& progress);

}  // namespace tppverify::cuda
