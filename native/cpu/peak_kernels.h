// Peak arithmetic microbenchmarks: independent accumulator chains kept in
// registers (or AMX tiles), no memory traffic in the timed loop, and inputs
// chosen so every accumulator's final value is known exactly.
#pragma once

#include <cstdint>
#include <string>

#include "cpu_info.h"

namespace tppverify::cpu {

// Code variants of every peak kernel (different chain counts or instruction
// order, the same exact results); the run plan draws one per format
// (harness/plan/run-plan.ts CPU_PEAK_VARIANTS must equal it).
inline constexpr int kPeakVariants = 3;

struct PeakCase {
  const char* format;        // "FP64", "FP32", "FP16", "BF16", "INT8"
  const char* engine;        // "avx512", "avx2", "scalar", "avx-vnni", "amx"
  double opsPerInstruction;  // one multiply-add = 2 ops
  uint64_t instructionsPerBlock[kPeakVariants];
  // Upper bound per core and clock, for the plausibility check (see backend.h).
  double maxInstructionsPerClock;
  // Empty when the case can run here; otherwise why not.
  std::string (*unavailableReason)(const IsaFeatures& isa);
  // Runs `blocks` blocks on the calling thread and returns how many accumulator
  // elements disagreed with their exact expected value (0 = verified).
  // `corrupt` perturbs one accumulator before the last check (test-only).
  uint64_t (*run[kPeakVariants])(uint64_t blocks, bool corrupt);
};

// Every case, in report order. For a format with a vector fallback chain
// (AVX-512, then AVX2, then scalar) only the first available member runs.
const PeakCase* peakCases(int& count);

// The run plan's operand seed (0 … kMaxOperandSeed) is added to every
// accumulator's start value, so the values a kernel computes change with the
// nonce. Exact for every case that takes it: the largest FP32 result,
// 1038 + 2 × 2^20 (BF16), stays below 2^24; INT32 far below 2^31.
inline constexpr int kMaxOperandSeed = 1023;
void setPeakOperandSeed(int seed);
// FP16 (its block spans its whole 11-bit significand) and AMX (tiles start at zero) take none.
bool takesOperandSeed(const PeakCase& peak);

// Whether a case is the fallback of an earlier available case of the same format.
bool supersededByEarlierCase(const PeakCase& candidate, const IsaFeatures& isa);

}  // namespace tppverify::cpu
