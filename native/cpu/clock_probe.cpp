#include "clock_probe.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <cstdint>

namespace tppverify::cpu {
namespace {

// IMUL r64, r64 has a latency of 3 cycles on every Intel core since Nehalem
// and on AMD Zen 1–5 (Agner Fog, instruction tables; Intel optimization
// manual, appendix D). Register-register multiplies cannot be folded the way
// Golden Cove folds adds of an immediate, which would read as ~11 GHz.
constexpr double kImulLatencyCycles = 3.0;
constexpr int kImulsPerIteration = 64;
// 20k iterations × 64 × 3 cycles ≈ 3.8 M cycles: about 1.3 ms at 3 GHz, long
// against the clock's resolution. The median of several samples ignores one
// that was descheduled (reads low) and follows a core whose frequency hops
// between 100 MHz bins from one millisecond to the next (seen here).
constexpr uint64_t kProbeIterations = 20000;
constexpr int kProbeSamples = 5;

}  // namespace

bool clockProbeSupported() {
#if defined(__x86_64__)
  return true;
#else
  return false;
#endif
}

std::string clockProbeMethod() {
  return "dependent chain of 64-bit register-register IMUL (latency 3 cycles) timed with CLOCK_MONOTONIC; median of 5 samples of 3.84 M cycles";
}

namespace {

double probeOnce() {
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

}  // namespace

double probeClockMhzOnThisThread() {
  double samples[kProbeSamples];
  for (double& sample : samples) sample = probeOnce();
  std::sort(std::begin(samples), std::end(samples));
  return samples[kProbeSamples / 2];
}

}  // namespace tppverify::cpu
