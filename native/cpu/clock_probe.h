// Measures the core clock that is actually running, from a dependent chain of
// instructions of known latency timed against the monotonic clock.
#pragma once

#include <string>

namespace tppverify::cpu {

// MHz on the calling thread, measured over about kClockProbeCycles cycles; 0 where unsupported.
double probeClockMhzOnThisThread();
std::string clockProbeMethod();
bool clockProbeSupported();

}  // namespace tppverify::cpu
