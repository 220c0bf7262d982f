// The two measurement protocols, written once for every backend: DRAM
// bandwidth and peak throughput. A backend supplies device primitives only
// (allocate and poison, run N passes, read back, check, stamp) through the
// two small interfaces below; what a trial times, discards, checks and
// refuses is decided here. native/test/fake_device.cpp drives every branch.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "backend.h"
#include "gpu_host_logic.h"

namespace tppverify::protocol {

// ---------------------------------------------------------------- bandwidth

// One stream kernel as the protocol sees it; `kind` is the backend's own id.
struct StreamKernelRef {
  std::string name;
  int arraysRead = 0;
  int arraysWritten = 0;
  int kind = 0;
  // "native" (our kernel) or "library" (the second method: code that is not
  // ours, e.g. libc memcpy, cudaMemcpyAsync); a library kernel names its own
  // engine, else the device's engine is recorded.
  std::string method = "native";
  std::string engine;
};

class BandwidthDevice {
 public:
  virtual ~BandwidthDevice() = default;
  virtual std::string engine() const = 0;
  // A trial must last at least this long by the device's timer (event
  // resolution, launch gaps); 0 where one pass is always timed well (the CPU).
  virtual double minTrialSeconds() const = 0;
  // The value the kernel writes or scales by in this trial (differs per trial
  // where it can, so a stale output from an earlier trial cannot pass).
  virtual double trialValue(const StreamKernelRef& kernel, int trial) const = 0;
  // Untimed: the kernel's output (its written array, or the read kernel's partial sums) set to NaN.
  virtual void poison(const StreamKernelRef& kernel) = 0;
  // `passes` back-to-back passes; the seconds they took by the device's timer.
  virtual double timePasses(const StreamKernelRef& kernel, int passes, double value) = 0;
  // Test-only fault hook: one output element (or the read kernel's sum) made wrong.
  virtual void corrupt(const StreamKernelRef& kernel, double value) = 0;
  // "" when the output is exactly what it must be, else what is wrong.
  // Every trial, where the output lives (the device); after the last trial
  // also every element copied back to the host ("" where the device is the host).
  virtual std::string checkOnDevice(const StreamKernelRef& kernel, double value) = 0;
  virtual std::string checkOnHost(const StreamKernelRef& kernel, double value) = 0;
  // How many code variants of each kernel this device has (the run plan draws one below it).
  virtual int variantCount() const { return 1; }
};

// The run plan's parts of a request, refused when out of their bounds
// (docs/run-plan.md): a variant the device lacks, a scalar that would not
// keep the results exact, a size factor outside the plan's range.
inline void requireVariant(int variant, int count, const std::string& what) {
  if (variant < 0 || variant >= count) {
    throw RequestError(what + ": code variant " + std::to_string(variant) + " requested; this backend has variants 0 to " +
                       std::to_string(count - 1));
  }
}

inline void requirePlanBounds(const BandwidthRequest& request) {
  const double s = request.streamScalar;
  if (s != 0 && (s < stream::kMinStreamScalar || s > stream::kMaxStreamScalar || s * 4 != std::floor(s * 4))) {
    throw RequestError("stream scalar " + std::to_string(s) + " is outside " + std::to_string(stream::kMinStreamScalar) + " to " +
                       std::to_string(stream::kMaxStreamScalar) + " in steps of 1/4, where every result stays exact");
  }
  if (request.arraySizeFactorPercent < kMinArraySizeFactorPercent || request.arraySizeFactorPercent > kMaxArraySizeFactorPercent) {
    throw RequestError("array size factor " + std::to_string(request.arraySizeFactorPercent) + "% is outside " +
                       std::to_string(kMinArraySizeFactorPercent) + "-" + std::to_string(kMaxArraySizeFactorPercent) + "%");
  }
}

// A timed trial under a quarter of the minimum (bandwidth) or of the target
// (GPU throughput) is too short to trust. In bandwidth the pass count is then
// worked out again from that trial and the trial rerun, at most this many
// times per kernel (the warm-up, which loads code and faults pages in, is
// often slower than what follows); in throughput only the warm-up is rerun.
inline constexpr double kShortTrialShare = 0.25;
inline constexpr int kMaxShortTrialReruns = 3;
// Bounds the passes a broken timer could ask for (a pass is ≥ 1 µs on any device).
inline constexpr int kMaxPassesPerTrial = 100000;

// The kernels a request names, in the backend's order; an unknown name is the caller's error.
inline std::vector<StreamKernelRef> selectKernels(const std::vector<StreamKernelRef>& all, const std::vector<std::string>& wanted,
                                                  const std::string& backend) {
  std::string names;
  for (const StreamKernelRef& k : all) names += (names.empty() ? "" : ", ") + k.name;
  for (const std::string& name : wanted) {
    if (std::none_of(all.begin(), all.end(), [&](const StreamKernelRef& k) { return k.name == name; })) {
      throw RequestError("unknown bandwidth kernel '" + name + "' for the " + backend + " backend (" + names + ")");
    }
  }
  std::vector<StreamKernelRef> out;
  for (const StreamKernelRef& k : all) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), k.name) != wanted.end()) out.push_back(k);
  }
  return out;
}

// The GPU backends' kernels (stream_patterns.h) as the protocol sees them.
// `libraryEngine`: the engine the library kernel (memcpy) records, the runtime's copy call.
inline std::vector<StreamKernelRef> gpuStreamKernels(const std::string& libraryEngine = "runtime-memcpy") {
  std::vector<StreamKernelRef> out;
  for (const stream::GpuKernelSpec& k : stream::kGpuKernels) {
    const bool library = isLibraryMethod(k.method);
    out.push_back({k.name, k.arraysRead, k.arraysWritten, int(k.kind), k.method, library ? libraryEngine : ""});
  }
  return out;
}

inline int passesFor(double secondsPerPass, double minTrialSeconds) {
  if (minTrialSeconds <= 0) return 1;
  const double perPass = std::max(secondsPerPass, gpu::kShortestLaunchSeconds);
  return int(std::clamp(std::ceil(minTrialSeconds / perPass), 1.0, double(kMaxPassesPerTrial)));
}

// A device's timing that is not a positive, finite number of seconds.
inline void requireForwardTime(double seconds, const std::string& what) {
  if (!(seconds > 0) || !std::isfinite(seconds)) {
    throw DeviceError(what + ": the device's timer gave " + std::to_string(seconds) + " s (it ran backwards or stood still): no timing");
  }
}

// Poison → timed passes → check on the device (and on the host after the
// last trial) → warm-up discarded → pass count from the warm-up.
inline BandwidthKernelResult measureStreamKernel(BandwidthDevice& device, const StreamKernelRef& kernel, const BandwidthRequest& request,
                                                 uint64_t elements, uint64_t arrayBytes, const ProgressSink& progress) {
  requireVariant(request.variant, device.variantCount(), kernel.name);
  BandwidthKernelResult out;
  out.name = kernel.name;
  out.engine = kernel.engine.empty() ? device.engine() : kernel.engine;
  out.method = kernel.method;
  const bool library = isLibraryMethod(kernel.method);
  out.variant = library ? 0 : request.variant;
  out.variantCount = library ? 1 : device.variantCount();
  out.elements = elements;
  out.bytesReadPerTrial = uint64_t(kernel.arraysRead) * arrayBytes;
  out.bytesWrittenPerTrial = uint64_t(kernel.arraysWritten) * arrayBytes;
  const double minTrial = device.minTrialSeconds();
  int passes = 1, reruns = 0;
  for (int trial = 0; trial <= request.trials; ++trial) {
    progress({"bandwidth", kernel.name, trial, request.trials});
    const std::string where = kernel.name + " trial " + std::to_string(trial);
    const double value = device.trialValue(kernel, trial);
    // A device failure mid-run ends the kernel, naming the trial: no partial result.
    const auto onDevice = [&](const auto& step) {
      try {
        step();
      } catch (const RequestError&) {
        throw;
      } catch (const DeviceError& e) {
        throw DeviceError(where + ": " + e.what());
      }
    };
    double seconds = 0;
    std::string wrong;
    onDevice([&] {
      device.poison(kernel);
      seconds = device.timePasses(kernel, passes, value);
    });
    requireForwardTime(seconds, where);
    const bool last = trial == request.trials;
    onDevice([&] {
      if (last && request.faultKernel == kernel.name) device.corrupt(kernel, value);
      wrong = device.checkOnDevice(kernel, value);
      if (wrong.empty() && last) wrong = device.checkOnHost(kernel, value);
    });
    if (!wrong.empty()) throw VerificationError(kernel.name, wrong + " (trial " + std::to_string(trial) + ")");
    if (trial == 0) {
      out.warmupSeconds = seconds / passes;
      passes = passesFor(out.warmupSeconds, minTrial);
      continue;
    }
    if (minTrial > 0 && seconds < kShortTrialShare * minTrial) {
      if (++reruns > kMaxShortTrialReruns || passes >= kMaxPassesPerTrial) {
        throw DeviceError(where + ": " + std::to_string(passes) + " passes took " + std::to_string(seconds) + " s, under the " +
                          std::to_string(kShortTrialShare * minTrial) + " s a trial must last to be timed (after " +
                          std::to_string(reruns - 1) + " reruns with more passes)");
      }
      passes = passesFor(seconds / passes, minTrial);
      --trial;  // rerun this trial with the new pass count; the short one is not recorded
      continue;
    }
    out.trialSeconds.push_back(seconds / passes);
  }
  return out;
}

// ---------------------------------------------------------------- throughput

// One trial as a device reports it.
struct ThroughputTrial {
  double seconds = 0;                   // by the device's timer (GPU events, host steady clock)
  uint64_t mismatches = 0;              // accumulator elements that differed from their exact value
  std::vector<gpu::ClockStamp> stamps;  // one per block (GPUs): clock, timer and unit at start and end
  // Where there are no stamps (the CPU), the device's own clock reading around the trial and its units.
  double clockMhz = 0;
  int units = 0;
  // GPUs: the host's steady clock from just before the launch (device idle) to
  // the end of the synchronisation after it; 0: not read (the CPU).
  double hostSeconds = 0;
};

// One format on one engine of one device: runs `work` (loop iterations on a
// GPU, blocks of instructions per thread on the CPU) and reports the trial.
class ThroughputCase {
 public:
  virtual ~ThroughputCase() = default;
  virtual ThroughputTrial run(uint64_t work, bool corrupt) = 0;
  // How many code variants this case has (the run plan draws one below it); run() runs the requested one.
  virtual int variantCount() const { return 1; }
};

struct ThroughputShape {
  uint64_t firstRunWork = 0;     // an untimed first run (loads the GPU code); 0: none
  uint64_t calibrationWork = 1;  // the run the trial length is worked out from
  uint64_t minWork = 1, maxWork = gpu::kMaxTrialIterations, workMultiple = 1;
  double opsPerWork = 0;         // operations per unit of work, all threads together
  // Every unit must run exactly this many blocks (GPUs, from the stamps); 0: not checked.
  int blocksPerUnit = 0;
  double timerTicksPerMicrosecond = gpu::kCudaTimerTicksPerMicrosecond;
  // A timed trial under this share of the target length (work not capped) is
  // too short to time; 0: not checked (the CPU's steady clock times any length).
  double shortTrialShare = 0;
  // The hardware bound: a median above it by more than kPlausibilityTolerance is a counting bug.
  double maxOpsPerClockPerUnit = 0;
  // The unit clock's maximum as the device reports it (CUDA clock rate, HIP
  // hipDeviceAttributeClockRate); 0: not checked. A measured clock far from
  // it means the cycle counter or the timer does not tick at the assumed rate.
  double reportedMaxClockMhz = 0;
};

// A measured clock above the reported maximum by more than this share, or
// below kLowestClockShare of it, is refused: boost bins stay within a few
// per cent of the reported maximum, and no unit under a full load of matrix
// instructions runs at a tenth of it (a counter at the timer's rate would).
inline constexpr double kClockAboveMaximumTolerance = 0.05;
inline constexpr double kLowestClockShare = 0.1;

inline void requirePlausibleClock(double mhz, double reportedMaxMhz, const std::string& where) {
  if (reportedMaxMhz <= 0) return;
  if (mhz > reportedMaxMhz * (1 + kClockAboveMaximumTolerance) || mhz < reportedMaxMhz * kLowestClockShare) {
    throw DeviceError(where + ": the measured unit clock of " + std::to_string(mhz) + " MHz disagrees with the device's reported maximum of " +
                      std::to_string(reportedMaxMhz) + " MHz: the cycle counter or the timer does not tick at the rate assumed");
  }
}

// The clock hops between readings on a shared host; counting bugs come in
// factors of 2 or more (benchmarks/validate.ts applies the same rule).
inline constexpr double kPlausibilityTolerance = 0.25;

// Every unit that started a block must have started exactly `blocksPerUnit`,
// and a unit's blocks must have run at the same time (each started before
// any of them ended): blocks that ran one after another on a unit, in waves,
// would halve its measured rate without any count being wrong.
inline void requireEvenPlacement(const std::vector<gpu::ClockStamp>& stamps, int blocksPerUnit, const std::string& where) {
  struct Span { int blocks = 0; uint64_t latestStart = 0, earliestEnd = UINT64_MAX; };
  std::map<unsigned, Span> perUnit;
  for (const gpu::ClockStamp& s : stamps) {
    Span& span = perUnit[s.unitStart];
    ++span.blocks;
    span.latestStart = std::max(span.latestStart, s.timerStart);
    span.earliestEnd = std::min(span.earliestEnd, s.timerEnd);
  }
  for (const auto& [unit, span] : perUnit) {
    if (span.blocks != blocksPerUnit) {
      throw DeviceError(where + ": uneven block placement: unit " + std::to_string(unit) + " ran " + std::to_string(span.blocks) +
                        " blocks where every unit must run " + std::to_string(blocksPerUnit) + " (" + std::to_string(perUnit.size()) +
                        " units for " + std::to_string(stamps.size()) + " blocks): the per-unit rate would be wrong");
    }
    if (span.latestStart >= span.earliestEnd) {
      throw DeviceError(where + ": the " + std::to_string(span.blocks) + " blocks of unit " + std::to_string(unit) +
                        " ran one after another, not at once: the per-unit rate would be wrong");
    }
  }
}

inline double medianOf(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

// First run → calibration → trial length → warm-up (discarded) → timed
// trials, each with its accumulator check, clock and unit readings and the
// placement check → the per-clock plausibility bound. Fills the trial fields
// of `out` (trialSeconds, trialClockMhz, units, opsPerTrial).
inline void measureThroughputCase(ThroughputCase& device, const ThroughputShape& shape, const ThroughputRequest& request,
                                  double targetSeconds, const std::string& label, const ProgressSink& progress,
                                  ThroughputCaseResult& out) {
  // `out` arrives named: a library case (the second method) keeps variant 0,
  // whatever the plan drew for the format's own kernels.
  const bool library = isLibraryMethod(out.method);
  if (!library) requireVariant(request.variant, device.variantCount(), label);
  out.variant = library ? 0 : request.variant;
  out.variantCount = device.variantCount();
  auto run = [&](uint64_t work, bool corrupt, const std::string& what) {
    ThroughputTrial t;
    try {
      t = device.run(work, corrupt);
    } catch (const RequestError&) {
      throw;
    } catch (const DeviceError& e) {
      throw DeviceError(label + " " + what + ": " + e.what());
    }
    if (t.mismatches) {
      throw VerificationError(label, std::to_string(t.mismatches) + " accumulator elements differ from their exact expected value (" + what + ")");
    }
    requireForwardTime(t.seconds, label + " " + what);
    return t;
  };
  if (shape.firstRunWork) run(shape.firstRunWork, false, "first run");
  // Work fixed by the caller (the sustained phase, from the peak phase's
  // calibration): no calibration and no warm-up, every trial timed.
  const auto fixed = std::find_if(request.fixedWork.begin(), request.fixedWork.end(), [&](const auto& f) { return f.first == label; });
  const bool fixedWork = fixed != request.fixedWork.end();
  uint64_t work = 0;
  if (fixedWork) {
    work = fixed->second;
    if (work < shape.minWork || work > shape.maxWork || work % shape.workMultiple != 0) {
      throw RequestError(label + ": fixed work of " + std::to_string(work) + " per trial is outside " + std::to_string(shape.minWork) + " to " +
                         std::to_string(shape.maxWork) + " or not a multiple of " + std::to_string(shape.workMultiple));
    }
  } else {
    const ThroughputTrial calibration = run(shape.calibrationWork, false, "calibration");
    work = gpu::iterationsFor(calibration.seconds, shape.calibrationWork, targetSeconds, shape.minWork, shape.maxWork, shape.workMultiple);
  }
  int reruns = 0;
  std::vector<double> rates;
  for (int trial = fixedWork ? 1 : 0; trial <= request.trials; ++trial) {
    progress({"throughput", label, trial, request.trials});
    const std::string what = "trial " + std::to_string(trial);
    const bool corrupt = request.faultCase == label && trial == request.trials;
    const ThroughputTrial t = run(work, corrupt, what);
    double mhz = t.clockMhz;
    int units = t.units;
    double timerSpanSeconds = 0;
    if (!t.stamps.empty()) {
      try {
        const gpu::ClockReading clock = gpu::readClock(t.stamps, shape.timerTicksPerMicrosecond, t.seconds);
        mhz = clock.mhz;
        units = int(clock.units.size());
        timerSpanSeconds = clock.spanSeconds;
      } catch (const DeviceError& e) {
        throw DeviceError(label + " " + what + ": " + e.what());
      }
      if (shape.blocksPerUnit) requireEvenPlacement(t.stamps, shape.blocksPerUnit, label + " " + what);
      requirePlausibleClock(mhz, shape.reportedMaxClockMhz, label + " " + what);
    }
    // With fixed work a short trial is not rerun or refused: it means the
    // device does this work faster now than when the work was calibrated,
    // which the verdict must see (sustained above peak), not a refusal.
    if (!fixedWork && shape.shortTrialShare > 0 && work < shape.maxWork && t.seconds < shape.shortTrialShare * targetSeconds) {
      // Only the warm-up may be rerun: every timed trial has the same work.
      if (trial != 0 || ++reruns > kMaxShortTrialReruns) {
        throw DeviceError(label + " " + what + ": lasted " + std::to_string(t.seconds) + " s, under " +
                          std::to_string(shape.shortTrialShare * targetSeconds) + " s (" + std::to_string(shape.shortTrialShare) +
                          " of the " + std::to_string(targetSeconds) + " s target): too short to time");
      }
      work = gpu::iterationsFor(t.seconds, work, targetSeconds, shape.minWork, shape.maxWork, shape.workMultiple);
      --trial;
      continue;
    }
    if (trial == 0) continue;  // warm-up: lets the clock settle
    out.trialSeconds.push_back(t.seconds);
    out.trialClockMhz.push_back(mhz);
    if (t.hostSeconds > 0 && timerSpanSeconds > 0) {
      out.trialHostSeconds.push_back(t.hostSeconds);
      out.trialTimerSeconds.push_back(timerSpanSeconds);
    }
    out.units = std::max(out.units, units);
    rates.push_back(mhz > 0 && units > 0 ? double(work) * shape.opsPerWork / t.seconds / (mhz * 1e6) / units : 0);
  }
  out.opsPerTrial = double(work) * shape.opsPerWork;
  out.workPerTrial = work;
  const double typical = medianOf(rates);
  // Under fixed work (the sustained phase) a call is one trial, and one clock
  // reading on a busy host can be far off; the caller applies the same bound
  // to the median over all of a case's sustained trials (benchmarks/sustained.ts).
  if (!fixedWork && shape.maxOpsPerClockPerUnit > 0 && typical > shape.maxOpsPerClockPerUnit * (1 + kPlausibilityTolerance)) {
    throw VerificationError(label, "a median of " + std::to_string(typical) + " ops per clock per unit over " + std::to_string(rates.size()) +
                                       " trials is above the hardware bound of " + std::to_string(shape.maxOpsPerClockPerUnit) +
                                       ": a counting bug or work the compiler removed, not a result");
  }
}

}  // namespace tppverify::protocol
