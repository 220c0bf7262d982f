// The GPU backends' host-side decisions as plain C++ (no CUDA or HIP needed),
// so they are tested on machines without a GPU: array sizing, the clock and
// unit count from the kernels' block records, the trial length.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "backend.h"
#include "stream_patterns.h"

namespace tppverify::gpu {

// Arrays must dwarf the last-level cache so trials stream from DRAM.
inline constexpr uint64_t kL2Multiple = 8;
// NVIDIA: H100/H200 L2 is 50–60 MB, so 1 GiB is over 16× it.
inline constexpr uint64_t kCudaMinArrayBytes = 1ull << 30;
// AMD: 8× MI300X/MI325X's 256 MB Infinity Cache, which the runtime does not report.
inline constexpr uint64_t kHipMinArrayBytes = 2ull << 30;
// Three arrays may take at most this share of the free device memory.
inline constexpr double kMaxFreeMemoryShare = 0.8;
// Where memory allows, arrays are this large even above the rule: one pass
// over a 4 GiB array lasts about 1 ms at 4.8 TB/s, so a trial's passes (run in
// one launch) are long against everything around them (issue 12).
inline constexpr uint64_t kPreferredArrayBytes = 4ull << 30;

struct ArraySizing {
  uint64_t elements = 0;     // doubles per array, even (16-byte pairs)
  uint64_t ruleBytes = 0;    // max(8 × L2, the backend's minimum)
  uint64_t capBytes = 0;     // what free memory allows per array
  bool belowRule = false;    // free memory forced arrays smaller than the rule
  bool cappedByFreeMemory = false;  // free memory forced arrays smaller than the plan's size
};

// factorPercent: the run plan's factor on the preferred size (plannedArrayBytes); ignored with requestedBytes.
inline ArraySizing sizeArrays(uint64_t l2Bytes, uint64_t freeBytes, uint64_t requestedBytes, uint64_t minArrayBytes,
                              int factorPercent = 100) {
  ArraySizing s;
  s.ruleBytes = std::max<uint64_t>(kL2Multiple * l2Bytes, minArrayBytes);
  s.capBytes = uint64_t(kMaxFreeMemoryShare * double(freeBytes) / 3);
  if (requestedBytes && requestedBytes > s.capBytes) {
    throw RequestError("three arrays of " + std::to_string(requestedBytes) + " bytes do not fit in " +
                      std::to_string(freeBytes) + " free bytes of device memory");
  }
  const uint64_t preferredBytes = std::max(s.ruleBytes, kPreferredArrayBytes);
  const uint64_t plannedBytes = plannedArrayBytes(preferredBytes, factorPercent);
  const uint64_t bytes = std::min(requestedBytes ? requestedBytes : plannedBytes, s.capBytes);
  s.cappedByFreeMemory = !requestedBytes && plannedBytes > s.capBytes;
  s.elements = std::max<uint64_t>(2, bytes / sizeof(double) / 2 * 2);
  s.belowRule = s.elements * sizeof(double) < s.ruleBytes;
  return s;
}

// One block's stamps: its unit's cycle counter and a constant-rate timer at
// the start and end of the timed loop, and the unit it ran on.
struct ClockStamp {
  uint64_t clockStart, clockEnd, timerStart, timerEnd;
  unsigned unitStart, unitEnd;
};

struct ClockReading {
  double mhz = 0;            // Σ Δcycles ÷ Σ Δtimer, in MHz
  std::set<unsigned> units;  // distinct unit ids at start and end of every block
  double spanSeconds = 0;    // the timer from the first counted block's start to the last one's end
};

// %globaltimer counts nanoseconds; s_memrealtime ticks at 100 MHz.
inline constexpr double kCudaTimerTicksPerMicrosecond = 1000.0;
inline constexpr double kHipTimerTicksPerMicrosecond = 100.0;

// The in-kernel timer's rate is taken, not measured (100 MHz for s_memrealtime
// is not confirmed on every part), so it is checked against the event timer
// around the same kernel: from the first block's start to the last block's end
// the timer must span between half and all of the event-timed interval. Runs
// shorter than kShortestCheckedRunSeconds are not checked, since launch
// overhead is then a large part of the event time; callers pass no event time
// for a kernel's first launch, whose event interval includes loading its code.
inline constexpr double kShortestCheckedRunSeconds = 0.005;
inline constexpr double kTimerSpanShareMin = 0.5;
inline constexpr double kTimerSpanShareMax = 1.05;

inline ClockReading readClock(const std::vector<ClockStamp>& stamps, double timerTicksPerMicrosecond, double eventSeconds = 0) {
  ClockReading r;
  double cycles = 0, ticks = 0;
  uint64_t firstStart = UINT64_MAX, lastEnd = 0;
  size_t counted = 0;
  for (const ClockStamp& s : stamps) {
    r.units.insert(s.unitStart);
    r.units.insert(s.unitEnd);
    // A block preempted and resumed on another unit read two unsynchronized
    // cycle counters: its units count, its cycles do not.
    if (s.unitStart != s.unitEnd) continue;
    if (s.clockEnd < s.clockStart || s.timerEnd < s.timerStart) {
      throw DeviceError("a block's clock or timer ran backwards: the stamps are not trustworthy");
    }
    cycles += double(s.clockEnd - s.clockStart);
    ticks += double(s.timerEnd - s.timerStart);
    firstStart = std::min(firstStart, s.timerStart);
    lastEnd = std::max(lastEnd, s.timerEnd);
    ++counted;
  }
  if (!stamps.empty() && counted == 0) throw DeviceError("every block moved between units during the run: no clock reading");
  const double spanSeconds = counted ? double(lastEnd - firstStart) / timerTicksPerMicrosecond * 1e-6 : 0;
  r.spanSeconds = spanSeconds;
  if (eventSeconds >= kShortestCheckedRunSeconds) {
    const double share = spanSeconds / eventSeconds;
    if (share < kTimerSpanShareMin || share > kTimerSpanShareMax) {
      throw DeviceError("the in-kernel timer disagrees with the event timer: the blocks span " + std::to_string(spanSeconds) +
                        " s at the assumed " + std::to_string(timerTicksPerMicrosecond) + " ticks/µs, the kernel " +
                        std::to_string(eventSeconds) + " s: the timer's rate is not what was assumed");
    }
  }
  // Cycles per tick × ticks per microsecond = cycles per microsecond = MHz.
  r.mhz = ticks > 0 ? cycles / ticks * timerTicksPerMicrosecond : 0;
  return r;
}

// A bandwidth trial repeats its pass until it lasts about this long, so the
// event timer's resolution and the one launch around the passes stay small against it.
inline constexpr double kMinTrialSeconds = 0.02;
// A warm-up faster than this is timed as this, so a zero reading cannot divide by zero.
inline constexpr double kShortestLaunchSeconds = 1e-6;

// Loop iterations for a trial of `targetSeconds`, from a calibration run,
// kept within [minimum, maximum] and rounded down to a whole number of
// `multiple`s (the kernels check their accumulators once per period of that many).
inline uint64_t iterationsFor(double calibrationSeconds, uint64_t calibrationIterations, double targetSeconds,
                              uint64_t minimum, uint64_t maximum, uint64_t multiple = 1) {
  const double perIteration = std::max(calibrationSeconds / double(std::max<uint64_t>(1, calibrationIterations)), 1e-12);
  const uint64_t iterations = std::clamp<uint64_t>(uint64_t(targetSeconds / perIteration), minimum, maximum);
  const uint64_t step = std::max<uint64_t>(1, multiple);
  return std::max(step, iterations - iterations % step);
}

// ---- matrix-unit kernels (mma.sync, wgmma, MFMA): the accumulator rule ----
// Operands are all 1 (every product exactly 1.0). Each kernel checks its
// accumulators against their exact value and restarts them from zero after
// every period, so no accumulator exceeds kLargestCheckedValue: exact even
// where a tensor core keeps only about 14 accumulator bits (Hopper FP8:
// DeepSeek-V3 technical report §3.3.2), and far from the 24-bit limit below
// which truncated alignment keeps every product (Fasi et al. 2021). tcgen05
// is the exception: its accumulators live in tensor memory and are read back
// once, after the trial, so its iteration cap is what keeps them exact.
inline constexpr int kLargestCheckedValue = 2048;
// Register-accumulating kernels (mma.sync, MFMA): 64 iterations, each adding at most K = 32.
inline constexpr int kIterationsPerPeriod = 64;
// No trial runs longer than this many loop iterations, whatever the calibration says.
inline constexpr uint64_t kMaxTrialIterations = uint64_t(1) << 32;
// The calibration run's iterations: long enough to time against launch
// overhead, and a whole number of periods for every kernel (periods are 1, 16 or 64).
inline constexpr uint64_t kCalibrationIterations = 1024;

// Operations of one M×N×K matrix instruction: a multiply and an add per product.
constexpr double opsPerMatrixInstruction(int m, int n, int k) { return 2.0 * m * n * k; }

}  // namespace tppverify::gpu
