#include "blas_gemm.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>

#include "../core/gemm_check.h"
#include "../core/protocols.h"
#include "clock_probe.h"
#include "thread_team.h"

namespace tppverify::cpu {
namespace {

// The CBLAS C ABI (netlib cblas.h, which OpenBLAS's cblas.h follows):
// CblasRowMajor = 101, CblasNoTrans = 111; bfloat16 is OpenBLAS's uint16_t.
constexpr int kCblasRowMajor = 101;
constexpr int kCblasNoTrans = 111;
using DgemmFn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double, double*, int);
using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using SbgemmFn = void (*)(int, int, int, int, int, int, float, const uint16_t*, int, const uint16_t*, int, float, float*, int);
using ThreadsFn = int (*)();

struct OpenBlas {
  void* handle = nullptr;
  std::string loadError;  // set when the library could not be loaded
  DgemmFn dgemm = nullptr;
  SgemmFn sgemm = nullptr;
  SbgemmFn sbgemm = nullptr;
  ThreadsFn threads = nullptr;
};

// Loaded once per process and never closed (its worker threads stay alive).
const OpenBlas& openBlas() {
  static OpenBlas lib;
  static std::once_flag once;
  std::call_once(once, [] {
    // Test-only: another soname, so a test can see a library that cannot be loaded named as such.
    const char* override = std::getenv(kOpenBlasSonameTestEnv);
    const char* soname = override && *override ? override : kOpenBlasSoname;
    lib.handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib.handle) {
      const char* error = dlerror();
      lib.loadError = std::string("dlopen ") + soname + ": " + (error ? error : "unknown error");
      return;
    }
    lib.dgemm = reinterpret_cast<DgemmFn>(dlsym(lib.handle, "cblas_dgemm"));
    lib.sgemm = reinterpret_cast<SgemmFn>(dlsym(lib.handle, "cblas_sgemm"));
    lib.sbgemm = reinterpret_cast<SbgemmFn>(dlsym(lib.handle, "cblas_sbgemm"));
    lib.threads = reinterpret_cast<ThreadsFn>(dlsym(lib.handle, "openblas_get_num_threads"));
  });
  return lib;
}

enum class GemmFormat { FP64, FP32, FP16, BF16, INT8 };

struct FormatSpec {
  GemmFormat kind;
  const char* format;
  const char* symbol;
  // The most ops one core can retire per clock in this format on any x86 or
  // Arm part we know (FP64: 2 FMA pipes × 8 lanes × 2; FP32: × 16 lanes;
  // BF16: an AMX tile unit, 16×16×32×2 per 16 clocks): a GEMM above it is a
  // counting bug, never a result (the bound peak_kernels.cpp uses per engine).
  double maxOpsPerClockPerCore;
};

// FP16 and INT8: formats our kernels measure that OpenBLAS's CBLAS interface
// has no dense GEMM for (shgemm exists on a few architectures only, and
// there is no integer GEMM): recorded as unavailable, with that reason, so
// the comparison names the gap rather than skipping it.
const FormatSpec kFormats[] = {
    {GemmFormat::FP64, "FP64", "cblas_dgemm", 2 * 8 * 2},
    {GemmFormat::FP32, "FP32", "cblas_sgemm", 2 * 16 * 2},
    {GemmFormat::FP16, "FP16", nullptr, 0},
    {GemmFormat::BF16, "BF16", "cblas_sbgemm", 16.0 * 16 * 32 * 2 / 16},
    {GemmFormat::INT8, "INT8", nullptr, 0},
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

uint16_t toBf16(double v) {
  const float f = float(v);
  uint32_t bits = 0;
  std::memcpy(&bits, &f, sizeof bits);
  return uint16_t(bits >> 16);  // exact: 0, 1 and 2 have no bits below the top 16
}

// One format's GEMM on square n×n matrices of small integers (0, 1, 2, a new
// arrangement per run from a run counter), so every entry of C is an integer
// ≤ 4n, exact in FP32 and FP64 whatever the summation order. Each run checks
// every row sum and column sum of C against A·(B·1) and (1ᵀA)·B (exact in
// FP64) and recomputes kBlasSampledEntries entries exactly.
class BlasGemmCase final : public protocol::ThroughputCase {
 public:
  BlasGemmCase(const CpuInfo& info, const FormatSpec& spec, const OpenBlas& lib, int n)
      : info_(info), spec_(spec), lib_(lib), n_(n), a_(size_t(n) * n), b_(size_t(n) * n) {
    const size_t count = size_t(n) * n;
    if (spec.kind == GemmFormat::FP64) cDouble_.resize(count);
    else cFloat_.resize(count);
    if (spec.kind == GemmFormat::FP32) { aFloat_.resize(count); bFloat_.resize(count); }
    if (spec.kind == GemmFormat::BF16) { aBf16_.resize(count); bBf16_.resize(count); }
  }

  protocol::ThroughputTrial run(uint64_t gemms, bool corrupt) override {
    fill(++runs_);
    std::vector<double> before(info_.cpus.size(), 0.0), after(info_.cpus.size(), 0.0);
    onEveryCpu(info_.cpus, [&](int thread, int) { before[size_t(thread)] = probeClockMhzOnThisThread(); });
    protocol::ThroughputTrial t;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t g = 0; g < gemms; ++g) gemm();
    t.seconds = secondsSince(start);
    // The library's threads cannot be probed while it runs: the mean of the
    // readings on every CPU just before and just after, as the native cases do.
    onEveryCpu(info_.cpus, [&](int thread, int) { after[size_t(thread)] = probeClockMhzOnThisThread(); });
    std::vector<double> mhz;
    for (size_t i = 0; i < before.size(); ++i) mhz.push_back(0.5 * (before[i] + after[i]));
    t.clockMhz = protocol::medianOf(mhz);
    t.units = units();
    if (corrupt) setC(size_t(n_ / 2) * n_ + size_t(n_ / 3), cAt(size_t(n_ / 2) * n_ + size_t(n_ / 3)) + 1.0);
    t.mismatches = check(runs_);
    return t;
  }

  int threads() const { return lib_.threads ? std::max(1, lib_.threads()) : int(info_.cpus.size()); }
  // The physical cores the library's threads can occupy (SMT siblings share a core's ports, as for the native cases).
  int units() const { return std::max(1, std::min(threads(), info_.physicalCores > 0 ? info_.physicalCores : threads())); }

 private:
  static double pattern(uint64_t row, uint64_t col, uint64_t run, uint64_t salt) { return double((row + 2 * col + run * salt) % 3); }

  void fill(uint64_t run) {
    const size_t n = size_t(n_);
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < n; ++k) {
        a_[i * n + k] = pattern(i, k, run, 1);
        b_[i * n + k] = pattern(k, i, run, 2);  // B[i][k] = (k + 2i + 2·run) mod 3
      }
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (size_t i = 0; i < n * n; ++i) {
      if (spec_.kind == GemmFormat::FP32) { aFloat_[i] = float(a_[i]); bFloat_[i] = float(b_[i]); }
      if (spec_.kind == GemmFormat::BF16) { aBf16_[i] = toBf16(a_[i]); bBf16_[i] = toBf16(b_[i]); }
      setC(i, nan);  // a GEMM that writes nothing fails the check
    }
  }

  void gemm() {
    const int n = n_;
    switch (spec_.kind) {
      case GemmFormat::FP64:
        lib_.dgemm(kCblasRowMajor, kCblasNoTrans, kCblasNoTrans, n, n, n, 1.0, a_.data(), n, b_.data(), n, 0.0, cDouble_.data(), n);
        break;
      case GemmFormat::FP32:
        lib_.sgemm(kCblasRowMajor, kCblasNoTrans, kCblasNoTrans, n, n, n, 1.0f, aFloat_.data(), n, bFloat_.data(), n, 0.0f, cFloat_.data(), n);
        break;
      case GemmFormat::BF16:
        lib_.sbgemm(kCblasRowMajor, kCblasNoTrans, kCblasNoTrans, n, n, n, 1.0f, aBf16_.data(), n, bBf16_.data(), n, 0.0f, cFloat_.data(), n);
        break;
      case GemmFormat::FP16:
      case GemmFormat::INT8: break;  // never constructed: no GEMM (hasSymbol)
    }
  }

  double cAt(size_t i) const { return spec_.kind == GemmFormat::FP64 ? cDouble_[i] : double(cFloat_[i]); }
  void setC(size_t i, double v) {
    if (spec_.kind == GemmFormat::FP64) cDouble_[i] = v;
    else cFloat_[i] = float(v);
  }

  uint64_t check(uint64_t run) const {
    const size_t n = size_t(n_);
    return gemm::countWrongEntries(
        n, run, kBlasSampledEntries, [&](size_t i, size_t k) { return a_[i * n + k]; }, [&](size_t k, size_t j) { return b_[k * n + j]; },
        [&](size_t i, size_t j) { return cAt(i * n + j); });
  }

  const CpuInfo& info_;
  const FormatSpec& spec_;
  const OpenBlas& lib_;
  int n_;
  uint64_t runs_ = 0;
  std::vector<double> a_, b_, cDouble_;
  std::vector<float> aFloat_, bFloat_, cFloat_;
  std::vector<uint16_t> aBf16_, bBf16_;
};

bool hasSymbol(const OpenBlas& lib, GemmFormat kind) {
  switch (kind) {
    case GemmFormat::FP64: return lib.dgemm != nullptr;
    case GemmFormat::FP32: return lib.sgemm != nullptr;
    case GemmFormat::BF16: return lib.sbgemm != nullptr;
    case GemmFormat::FP16:
    case GemmFormat::INT8: return false;
  }
  return false;
}

}  // namespace

const std::vector<std::string>& blasFormats() {
  static const std::vector<std::string> formats = [] {
    std::vector<std::string> out;
    for (const FormatSpec& spec : kFormats) out.push_back(spec.format);
    return out;
  }();
  return formats;
}

std::vector<ThroughputCaseResult> measureBlasFormat(const CpuInfo& info, const std::string& format, const ThroughputRequest& request,
                                                    const ProgressSink& progress) {
  const FormatSpec* spec = nullptr;
  for (const FormatSpec& s : kFormats) if (format == s.format) spec = &s;
  if (!spec) return {};
  const double opsPerGemm = 2.0 * double(kBlasGemmSize) * kBlasGemmSize * kBlasGemmSize;
  ThroughputCaseResult out;
  out.format = spec->format;
  out.engine = "openblas";
  out.method = "library";
  // One "instruction" is one whole GEMM here; the bound per clock is the format's hardware bound over it.
  out.opsPerInstruction = opsPerGemm;
  out.maxInstructionsPerClockPerUnit = spec->maxOpsPerClockPerCore / opsPerGemm;
  out.clockMethod = clockProbeMethod() + "; on every CPU just before and after each trial (the library's threads cannot be probed while it runs); " +
                    "units: the physical cores the library's threads occupy, min(openblas_get_num_threads, physical cores)";
  const OpenBlas& lib = openBlas();
  if (!lib.loadError.empty() || !hasSymbol(lib, spec->kind)) {
    out.available = false;
    // The library loaded but has no GEMM in this format (OpenBLAS's CBLAS has
    // no FP16 or INT8 GEMM; a build without BF16 support has no
    // cblas_sbgemm): a gap of that library, noted. A library that could not
    // be loaded at all leaves the quantity on one method: inconclusive.
    out.libraryLacksFormat = lib.loadError.empty();
    out.unavailableReason = !lib.loadError.empty() ? lib.loadError
                            : spec->symbol     ? std::string(kOpenBlasSoname) + " has no " + spec->symbol
                                               : std::string("OpenBLAS's CBLAS interface has no ") + spec->format + " GEMM";
    out.threads = int(info.cpus.size());
    out.units = info.physicalCores;
    return {out};
  }
  BlasGemmCase device(info, *spec, lib, kBlasGemmSize);
  out.available = true;
  out.threads = device.threads();
  protocol::ThroughputShape shape;
  shape.firstRunWork = 1;  // loads the library's kernels and starts its threads
  shape.calibrationWork = 1;
  shape.minWork = 1;
  shape.maxWork = std::numeric_limits<uint64_t>::max() / 2;
  shape.opsPerWork = opsPerGemm;
  shape.maxOpsPerClockPerUnit = spec->maxOpsPerClockPerCore;
  protocol::measureThroughputCase(device, shape, request, request.secondsPerTrial, out.format + "/" + out.engine, progress, out);
  return {out};
}

}  // namespace tppverify::cpu
