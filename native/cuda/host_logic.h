// The CUDA backend's host-side decisions as plain C++ (no CUDA needed), so
// they are tested on machines without a GPU: array sizing, the clock and SM
// count from the kernels' block records, the trial length.
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "../core/backend.h"

namespace tppverify::cuda {

// Arrays must dwarf the L2 so trials stream from DRAM (H100/H200 L2 is 50–60 MB).
inline constexpr uint64_t kL2Multiple = 8;
inline constexpr uint64_t kMinArrayBytes = 1ull << 30;
// Three arrays may take at most this share of the free device memory.
inline constexpr double kMaxFreeMemoryShare = 0.8;

struct ArraySizing {
  uint64_t elements = 0;     // doubles per array, even (16-byte pairs)
  uint64_t ruleBytes = 0;    // max(8 × L2, 1 GiB)
  uint64_t capBytes = 0;     // what free memory allows per array
  bool belowRule = false;    // free memory forced arrays smaller than the rule
};

inline ArraySizing sizeArrays(uint64_t l2Bytes, uint64_t freeBytes, uint64_t requestedBytes) {
  ArraySizing s;
  s.ruleBytes = std::max<uint64_t>(kL2Multiple * l2Bytes, kMinArrayBytes);
  s.capBytes = uint64_t(kMaxFreeMemoryShare * double(freeBytes) / 3);
  if (requestedBytes && requestedBytes > s.capBytes) {
    throw DeviceError("three arrays of " + std::to_string(requestedBytes) + " bytes do not fit in " +
                      std::to_string(freeBytes) + " free bytes of device memory");
  }
  const uint64_t bytes = std::min(requestedBytes ? requestedBytes : s.ruleBytes, s.capBytes);
  s.elements = std::max<uint64_t>(2, bytes / sizeof(double) / 2 * 2);
  s.belowRule = s.elements * sizeof(double) < s.ruleBytes;
  return s;
}

struct ClockStamp {
  uint64_t clockStart, clockEnd, timerStartNs, timerEndNs;
  unsigned smidStart, smidEnd;
};

struct ClockReading {
  double mhz = 0;            // Σ Δclock64 ÷ Σ Δ%globaltimer, in MHz
  std::set<unsigned> sms;    // distinct %smid at start and end of every block
};

inline ClockReading readClock(const std::vector<ClockStamp>& stamps) {
  ClockReading r;
  double cycles = 0, nanoseconds = 0;
  for (const ClockStamp& s : stamps) {
    if (s.clockEnd < s.clockStart || s.timerEndNs < s.timerStartNs) {
      throw DeviceError("a block's clock or timer ran backwards: the stamps are not trustworthy");
    }
    cycles += double(s.clockEnd - s.clockStart);
    nanoseconds += double(s.timerEndNs - s.timerStartNs);
    r.sms.insert(s.smidStart);
    r.sms.insert(s.smidEnd);
  }
  r.mhz = nanoseconds > 0 ? cycles / nanoseconds * 1e3 : 0;
  return r;
}

// Loop iterations for a trial of `targetSeconds`, from a calibration run,
// kept within [minimum, maximum] (the maximum keeps accumulators exact).
inline uint64_t iterationsFor(double calibrationSeconds, uint64_t calibrationIterations, double targetSeconds,
                              uint64_t minimum, uint64_t maximum) {
  const double perIteration = std::max(calibrationSeconds / double(std::max<uint64_t>(1, calibrationIterations)), 1e-12);
  return std::clamp<uint64_t>(uint64_t(targetSeconds / perIteration), minimum, maximum);
}

}  // namespace tppverify::cuda
