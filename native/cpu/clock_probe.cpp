#include "clock_probe.h"

#include <chrono>
#include <cstdint>

namespace tppverify::cpu {
namespace {

// IMUL r64, r64 has a latency of 3 cycles on every Intel core since Nehalem
// and on AMD Zen 1–5 (Agner Fog, instruction tables; Intel optimization
// manual, appendix D). Register-register multiplies cannot be folded the way
// Golden Cove folds adds of an immediate, which would read as ~11 GHz.
constexpr double kImulLatencyCycles = 3.0;
constexpr int kImulsPerIteration = 64;
// 100k iterations × 64 × 3 cycles ≈ 19 M cycles: about 6 ms at 3 GHz, long
// against the clock's resolution and short enough to run after every trial.
constexpr uint64_t kProbeIterations = 100000;

}  // namespace

bool clockProbeSupported() {
#if defined(__x86_64__)
  return true;
#else
  return false;
#endif
}

std::string clockProbeMethod() {
  return "dependent chain of 64-bit register-register IMUL (latency 3 cycles) timed with CLOCK_MONOTONIC";
}

double probeClockMhzOnThisThread() {
#if defined(__x86_64__)
  uint64_t value = 1;
  uint64_t multiplier = 1;
  uint64_t iterations = kProbeIterations;
  const auto start = std::chrono::steady_clock::now();
  __asm__ volatile(
      "1:\n\t"
      ".rept 64\n\t"
      "imulq %[m], %[v]\n\t"
      ".endr\n\t"
      "decq %[n]\n\t"
      "jnz 1b\n\t"
      : [v] "+r"(value), [n] "+r"(iterations)
      : [m] "r"(multiplier)
      : "cc");
  const auto stop = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(stop - start).count();
  const double cycles = double(kProbeIterations) * kImulsPerIteration * kImulLatencyCycles;
  return cycles / seconds / 1e6;
#else
  return 0;
#endif
}

}  // namespace tppverify::cpu
