// Tensor-core peak microbenchmarks per format: operands in registers, no
// memory traffic in the timed loop, exactly representable inputs so every
// accumulator's value is known; SM clock and SMs used measured in the kernel.
#pragma once

#include "../core/backend.h"

namespace tppverify::cuda {

ThroughputResult measureCudaThroughput(int device, const ThroughputRequest& request, const ProgressSink& progress);
ClockResult probeCudaClock(int device);

}  // namespace tppverify::cuda
