#include "cpu_backend.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>

#include "../core/protocols.h"
#include "../core/stream_patterns.h"
#include "blas_gemm.h"
#include "clock_probe.h"
#include "peak_kernels.h"
#include "stream_kernels.h"
#include "thread_team.h"

namespace tppverify::cpu {
namespace {

// Arrays must dwarf the last-level cache so trials stream from DRAM
// (STREAM's rule is 4×; McCalpin, "STREAM: Sustainable Memory Bandwidth").
constexpr uint64_t kLastLevelCacheMultiple = 4;
constexpr uint64_t kMinArrayBytes = 256ull << 20;
// Three arrays may take at most this share of physical memory.
constexpr double kMaxMemoryShare = 0.75;
// Large pages cut TLB misses on multi-GiB arrays.
constexpr uint64_t kHugePageBytes = 2ull << 20;
constexpr int kClockProbesPerThread = 3;

using stream::expectedReadSum;
using stream::patternA;
using stream::patternB;

struct FreeDeleter {
  void operator()(double* p) const { std::free(p); }
};
using Array = std::unique_ptr<double, FreeDeleter>;

Array allocateArray(uint64_t bytes) {
  const uint64_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  void* p = std::aligned_alloc(kHugePageBytes, rounded);
  if (!p) throw DeviceError("cannot allocate " + std::to_string(rounded) + " bytes for a bandwidth array");
  madvise(p, rounded, MADV_HUGEPAGE);
  return Array(static_cast<double*>(p));
}

uint64_t chunkBegin(uint64_t elements, int thread, int threads) {
  if (thread >= threads) return elements;
  return elements * uint64_t(thread) / uint64_t(threads) / kStreamAlignElements * kStreamAlignElements;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double expectedElement(StreamKernel kernel, uint64_t i, double value) {
  switch (kernel) {
    case StreamKernel::Write: return value;
    case StreamKernel::Copy: return stream::expectedCopy(i);
    case StreamKernel::Memcpy: return stream::expectedCopy(i);
    case StreamKernel::Scale: return stream::expectedScale(i, value);
    case StreamKernel::Add: return stream::expectedAdd(i);
    case StreamKernel::Triad: return stream::expectedTriad(i, value);
    case StreamKernel::Read: break;
  }
  return 0;
}

bool wanted(const std::vector<std::string>& filter, const std::string& name) {
  return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

}  // namespace

CpuBackend::CpuBackend() : info_(readCpuInfo()) {}

void CpuBackend::requireIndex(int index) const {
  if (index != 0) throw DeviceError("cpu:" + std::to_string(index) + ": the CPU backend has one device, cpu:0");
}

DeviceList CpuBackend::listDevices() {
  DeviceInfo device;
  device.id = "cpu";
  device.vendor = info_.vendor;
  device.model = info_.model;
  device.unitName = "core";
  device.computeUnits = info_.physicalCores;
  device.measuresBandwidth = true;
  device.measuresThroughput = true;
#if defined(__x86_64__)
  device.architecture = {"x86-64", "build target"};
#elif defined(__aarch64__)
  device.architecture = {"aarch64", "build target"};
#endif
  // The core's maximum clock and the memory interface are not read on the CPU
  // (sysfs cpufreq is absent under many hypervisors); they stay 0, "not reported".
  auto add = [&](const std::string& key, AttributeValue value, const std::string& source) {
    device.attributes.push_back({key, std::move(value), source});
  };
  add("family", double(info_.family), "cpuid");
  add("modelNumber", double(info_.modelNumber), "cpuid");
  add("stepping", double(info_.stepping), "cpuid");
  add("logicalCpus", double(info_.cpus.size()), "sched_getaffinity");
  add("physicalCores", double(info_.physicalCores), "sysfs topology");
  add("packages", double(info_.packages), "sysfs topology");
  add("numaNodes", double(info_.numaNodes), "sysfs node");
  add("memoryBytes", double(info_.memoryBytes), "sysconf");
  for (const CacheLevel& cache : info_.caches) {
    const std::string prefix = "cacheL" + std::to_string(cache.level) +
                               (cache.type == "Data" ? "d" : cache.type == "Instruction" ? "i" : "");
    add(prefix + "Bytes", double(cache.bytesPerInstance), "sysfs cache");
    add(prefix + "Instances", double(cache.instances), "sysfs cache");
  }
  add("lastLevelCacheBytes", double(info_.lastLevelCacheBytes), "sysfs cache");
  add("isaFeatures", info_.isa.names(), "cpuid+xgetbv");
  DeviceList list;
  list.backend = "cpu";
  list.devices.push_back(std::move(device));
  return list;
}

namespace {

// The CPU's primitives for the bandwidth protocol (native/core/protocols.h):
// every thread pinned, streaming and checking its own chunk.
class CpuStreamDevice final : public protocol::BandwidthDevice {
 public:
  CpuStreamDevice(const CpuInfo& info, StreamArrays arrays, uint64_t elements, StreamEngine engine, int variant, double scalar)
      : info_(info), arrays_(arrays), elements_(elements), engine_(engine), threads_(int(info.cpus.size())), variant_(variant),
        scalar_(scalar) {}

  std::string engine() const override { return streamEngineName(engine_); }
  int variantCount() const override { return kStreamVariants; }
  // steady_clock times one pass to the nanosecond, and no launch gap separates passes.
  double minTrialSeconds() const override { return 0; }
  double trialValue(const protocol::StreamKernelRef& kernel, int trial) const override {
    return StreamKernel(kernel.kind) == StreamKernel::Write ? stream::kFirstWriteValue + trial : scalar_;
  }

  void poison(const protocol::StreamKernelRef& kernel) override {
    if (!kernel.arraysWritten) return;  // read: its partial sums are overwritten by every pass
    onEveryCpu(info_.cpus, [&](int thread, int count) {
      fillStreamChunk(engine_, arrays_.c, chunkBegin(elements_, thread, count), chunkBegin(elements_, thread + 1, count),
                      std::numeric_limits<double>::quiet_NaN());
    });
  }

  double timePasses(const protocol::StreamKernelRef& kernel, int passes, double value) override {
    partialSums_.assign(size_t(threads_), 0.0);
    std::chrono::steady_clock::time_point start;
    double seconds = 0;
    onEveryCpu(info_.cpus, [&](int thread, int count) {
      const uint64_t begin = chunkBegin(elements_, thread, count), end = chunkBegin(elements_, thread + 1, count);
#pragma omp barrier
      if (thread == 0) start = std::chrono::steady_clock::now();
#pragma omp barrier
      for (int pass = 0; pass < passes; ++pass) {
        partialSums_[size_t(thread)] = runStreamChunk(engine_, StreamKernel(kernel.kind), arrays_, begin, end, value, variant_);
#pragma omp barrier
      }
      if (thread == 0) seconds = secondsSince(start);
    });
    readSum_ = 0;
    for (double partial : partialSums_) readSum_ += partial;
    return seconds;
  }

  void corrupt(const protocol::StreamKernelRef& kernel, double) override {
    if (StreamKernel(kernel.kind) == StreamKernel::Read) readSum_ += 1.0;
    else arrays_.c[elements_ / 2] += 1.0;
  }

  std::string checkOnDevice(const protocol::StreamKernelRef& kernel, double value) override {
    const StreamKernel kind = StreamKernel(kernel.kind);
    std::ostringstream detail;
    detail.precision(17);
    if (kind == StreamKernel::Read) {
      const double expected = expectedReadSum(elements_);
      if (readSum_ == expected) return "";
      detail << "sum " << readSum_ << ", expected " << expected;
      return detail.str();
    }
    std::atomic<uint64_t> mismatches{0};
    std::atomic<uint64_t> firstBad{elements_};
    onEveryCpu(info_.cpus, [&](int thread, int count) {
      uint64_t bad = 0;
      for (uint64_t i = chunkBegin(elements_, thread, count); i < chunkBegin(elements_, thread + 1, count); ++i) {
        if (arrays_.c[i] != expectedElement(kind, i, value) && bad++ == 0) {
          uint64_t current = firstBad.load();
          while (i < current && !firstBad.compare_exchange_weak(current, i)) {
          }
        }
      }
      mismatches += bad;
    });
    if (mismatches == 0) return "";
    const uint64_t i = firstBad.load();
    detail << mismatches.load() << " of " << elements_ << " elements wrong (first at index " << i << ": " << arrays_.c[i]
           << ", expected " << expectedElement(kind, i, value) << ")";
    return detail.str();
  }
  // The output already lives in host memory: checkOnDevice read every element there.
  std::string checkOnHost(const protocol::StreamKernelRef&, double) override { return ""; }

 private:
  const CpuInfo& info_;
  StreamArrays arrays_;
  uint64_t elements_;
  StreamEngine engine_;
  int threads_;
  int variant_;
  double scalar_;
  std::vector<double> partialSums_;
  double readSum_ = 0;
};

std::vector<protocol::StreamKernelRef> cpuStreamKernels() {
  std::vector<protocol::StreamKernelRef> out;
  for (const StreamKernelSpec& spec : kStreamKernels) {
    const bool library = isLibraryMethod(spec.method);
    out.push_back({spec.name, spec.arraysRead, spec.arraysWritten, int(spec.kind), spec.method, library ? kLibcMemcpyEngine : ""});
  }
  return out;
}

// The CPU's primitives for the throughput protocol: every thread runs its
// blocks between two barriers and probes its clock just before and after.
class CpuPeakCase final : public protocol::ThroughputCase {
 public:
  CpuPeakCase(const CpuInfo& info, const PeakCase& peak, int variant) : info_(info), peak_(peak), variant_(variant) {}
  int variantCount() const override { return kPeakVariants; }

  protocol::ThroughputTrial run(uint64_t blocks, bool corrupt) override {
    const int threads = int(info_.cpus.size());
    std::atomic<uint64_t> mismatches{0};
    std::vector<double> mhz(size_t(threads), 0.0);
    std::chrono::steady_clock::time_point start;
    protocol::ThroughputTrial t;
    onEveryCpu(info_.cpus, [&](int thread, int) {
      const double mhzBefore = probeClockMhzOnThisThread();
#pragma omp barrier
      if (thread == 0) start = std::chrono::steady_clock::now();
#pragma omp barrier
      mismatches += peak_.run[variant_](blocks, corrupt && thread == 0);
#pragma omp barrier
      if (thread == 0) t.seconds = secondsSince(start);
      // The clock cannot be read during the trial without disturbing it:
      // take the mean of the readings just before and just after.
      mhz[size_t(thread)] = 0.5 * (mhzBefore + probeClockMhzOnThisThread());
    });
    t.mismatches = mismatches.load();
    t.clockMhz = median(mhz);
    t.units = info_.physicalCores;  // SMT siblings share the core's execution ports
    return t;
  }

 private:
  const CpuInfo& info_;
  const PeakCase& peak_;
  int variant_;
};

}  // namespace

BandwidthResult CpuBackend::measureBandwidth(int index, const BandwidthRequest& request, const ProgressSink& progress) {
  requireIndex(index);
  const std::vector<protocol::StreamKernelRef> kernels = protocol::selectKernels(cpuStreamKernels(), request.kernels, "CPU");
  protocol::requirePlanBounds(request);
  const int threads = int(info_.cpus.size());
  const uint64_t defaultBytes = std::max(kLastLevelCacheMultiple * info_.lastLevelCacheBytes, kMinArrayBytes);
  // The plan's factor on the rule (an explicit size from the user replaces both, recorded as requestedArrayBytes).
  const uint64_t requestedBytes = request.arrayBytes ? request.arrayBytes : plannedArrayBytes(defaultBytes, request.arraySizeFactorPercent);
  const uint64_t alignElements = kStreamAlignElements * uint64_t(threads);
  const uint64_t elements =
      std::max<uint64_t>(alignElements, (requestedBytes / sizeof(double) + alignElements - 1) / alignElements * alignElements);
  const uint64_t arrayBytes = elements * sizeof(double);
  if (info_.memoryBytes && double(3 * arrayBytes) > kMaxMemoryShare * double(info_.memoryBytes)) {
    std::ostringstream message;
    message << "three arrays of " << arrayBytes << " bytes exceed " << int(kMaxMemoryShare * 100) << "% of the "
            << info_.memoryBytes << " bytes of host memory";
    throw RequestError(message.str());
  }

  BandwidthResult result;
  result.deviceId = "cpu";
  result.threads = threads;
  result.arrayBytes = arrayBytes;
  result.byteConvention =
      "bytes read plus bytes written per trial; write-allocate traffic not counted (stores are non-temporal where the "
      "engine allows)";
  result.sizing = {
      {"lastLevelCacheBytes", double(info_.lastLevelCacheBytes), "sysfs cache"},
      {"lastLevelCacheMultiple", double(kLastLevelCacheMultiple), "tppverify rule"},
      {"minimumArrayBytes", double(kMinArrayBytes), "tppverify rule"},
      {"requestedArrayBytes", double(request.arrayBytes), "request"},
      {"arraySizeFactorPercent", double(request.arraySizeFactorPercent), "run plan"},
      {"arrays", 3.0, "tppverify rule"},
  };
  result.streamScalar = stream::streamScalarOf(request.streamScalar);
  result.runtimeCompilation = "not applicable (CPU backend)";

  Array aHolder = allocateArray(arrayBytes), bHolder = allocateArray(arrayBytes), cHolder = allocateArray(arrayBytes);
  double* a = aHolder.get();
  double* b = bHolder.get();
  double* c = cHolder.get();
  // First touch by the thread that will stream the chunk, so pages land on its NUMA node.
  onEveryCpu(info_.cpus, [&](int thread, int count) {
    for (uint64_t i = chunkBegin(elements, thread, count); i < chunkBegin(elements, thread + 1, count); ++i) {
      a[i] = patternA(i);
      b[i] = patternB(i);
      c[i] = 0;
    }
  });

  CpuStreamDevice device(info_, StreamArrays{a, b, c}, elements, bestStreamEngine(info_.isa), request.variant, result.streamScalar);
  for (const protocol::StreamKernelRef& kernel : kernels) {
    result.kernels.push_back(protocol::measureStreamKernel(device, kernel, request, elements, arrayBytes, progress));
  }
  return result;
}

ThroughputResult CpuBackend::measureThroughput(int index, const ThroughputRequest& request, const ProgressSink& progress) {
  requireIndex(index);
  if (request.operandSeed < 0 || request.operandSeed > kMaxOperandSeed) {
    throw RequestError("operand seed " + std::to_string(request.operandSeed) + " is outside 0 to " + std::to_string(kMaxOperandSeed) +
                       ", where every accumulator stays exact");
  }
  ThroughputResult result;
  result.deviceId = "cpu";
  int caseCount = 0;
  const PeakCase* cases = peakCases(caseCount);
  const auto nativeCase = [&](const PeakCase& peak) { measureNativeCase(peak, request, progress, result); };

  // Each format's library case (the second method) right after its own
  // cases, so a format's cases stay together as the run plan orders them.
  const auto libraryCases = [&](const std::string& format) {
    if (!wanted(request.formats, format) || !runsLibraryCases(request)) return;
    for (ThroughputCaseResult& r : measureBlasFormat(info_, format, request, progress)) result.cases.push_back(std::move(r));
  };
  for (int c = 0; c < caseCount; ++c) {
    const PeakCase& peak = cases[c];
    const bool lastOfFormat = c + 1 == caseCount || std::string(cases[c + 1].format) != peak.format;
    if (wanted(request.formats, peak.format)) nativeCase(peak);
    if (lastOfFormat) libraryCases(peak.format);
  }
  return result;
}

void CpuBackend::measureNativeCase(const PeakCase& peak, const ThroughputRequest& request, const ProgressSink& progress,
                                   ThroughputResult& result) {
  const int threads = int(info_.cpus.size());
  {
    const std::string reason = peak.unavailableReason(info_.isa);
    if (reason.empty() && supersededByEarlierCase(peak, info_.isa)) return;
    ThroughputCaseResult out;
    out.format = peak.format;
    out.engine = peak.engine;
    out.opsPerInstruction = peak.opsPerInstruction;
    // Per physical core: SMT siblings share the core's execution ports.
    out.maxInstructionsPerClockPerUnit = peak.maxInstructionsPerClock;
    out.threads = threads;
    out.units = info_.physicalCores;
    out.clockMethod = clockProbeMethod();
    out.variant = request.variant;
    out.variantCount = kPeakVariants;
    if (!reason.empty()) {
      out.available = false;
      out.unavailableReason = reason;
      result.cases.push_back(std::move(out));
      return;
    }
    out.available = true;
    out.units = 0;  // set from the trials
    protocol::ThroughputShape shape;
    shape.calibrationWork = 1;
    shape.minWork = 1;
    shape.maxWork = std::numeric_limits<uint64_t>::max() / 2;
    protocol::requireVariant(request.variant, kPeakVariants, std::string(peak.format) + "/" + peak.engine);
    out.operandSeed = takesOperandSeed(peak) ? request.operandSeed : 0;
    setPeakOperandSeed(out.operandSeed);
    shape.opsPerWork = double(peak.instructionsPerBlock[request.variant]) * peak.opsPerInstruction * threads;
    shape.maxOpsPerClockPerUnit = peak.maxInstructionsPerClock * peak.opsPerInstruction;
    CpuPeakCase device(info_, peak, request.variant);
    protocol::measureThroughputCase(device, shape, request, request.secondsPerTrial, std::string(peak.format) + "/" + peak.engine,
                                    progress, out);
    result.cases.push_back(std::move(out));
  }
}

ClockResult CpuBackend::probeClock(int index) {
  requireIndex(index);
  if (!clockProbeSupported()) throw DeviceError("the clock probe is not implemented for this CPU architecture");
  ClockResult result;
  result.deviceId = "cpu";
  result.method = clockProbeMethod();
  result.mhzPerThread.assign(info_.cpus.size(), 0.0);
  onEveryCpu(info_.cpus, [&](int thread, int) {
    std::vector<double> samples;
    for (int i = 0; i < kClockProbesPerThread; ++i) samples.push_back(probeClockMhzOnThisThread());
    result.mhzPerThread[size_t(thread)] = median(samples);
  });
  return result;
}

}  // namespace tppverify::cpu
