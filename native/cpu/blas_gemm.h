// The throughput's second method on the CPU: OpenBLAS's GEMM, loaded at run
// time (dlopen, never linked), run through the same throughput protocol as
// our own kernels (native/core/protocols.h measureThroughputCase).
#pragma once

#include <string>
#include <vector>

#include "../core/backend.h"
#include "cpu_info.h"

namespace tppverify::cpu {

// The soname Debian's libopenblas0-pthread (and most distributions) install.
inline constexpr const char* kOpenBlasSoname = "libopenblas.so.0";
// Test-only: names another library to dlopen in its place (one that does not exist, to test the unavailable path).
inline constexpr const char* kOpenBlasSonameTestEnv = "TPPVERIFY_TEST_OPENBLAS_SONAME";
// Square GEMMs of this size: far beyond the last-level cache (three 8 MiB
// FP64 matrices), so the library runs its blocked, packed kernel at full rate,
// and one GEMM (2.1 GFLOP) outlasts the steady clock's resolution by 10^6.
// The protocol sets how many GEMMs a trial runs to reach the trial length.
inline constexpr int kBlasGemmSize = 1024;
// Entries of C recomputed exactly per trial, besides the full row and column checksums.
inline constexpr int kBlasSampledEntries = 256;

// The library case of one format ("FP64", "FP32", "BF16"), measured; or
// unavailable with the reason (the library or the symbol could not be
// loaded; FP16 and INT8: OpenBLAS has no such GEMM). Empty for other formats.
std::vector<ThroughputCaseResult> measureBlasFormat(const CpuInfo& info, const std::string& format, const ThroughputRequest& request,
                                                    const ProgressSink& progress);

// The formats the library cases cover, in report order.
const std::vector<std::string>& blasFormats();

}  // namespace tppverify::cpu
