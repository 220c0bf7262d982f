// DRAM bandwidth on an NVIDIA GPU: read, write, copy, triad over arrays of
// doubles with 16-byte accesses and a persistent grid; every trial's output
// checked on the device, the last one also on the host.
#pragma once

#include "../core/backend.h"

namespace tppverify::cuda {

BandwidthResult measureCudaBandwidth(int device, const BandwidthRequest& request, const ProgressSink& progress);

}  // namespace tppverify::cuda
