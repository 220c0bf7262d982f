// The host CPU as a measured device: STREAM-style bandwidth on every allowed
// core, peak arithmetic per format chosen from CPUID, and the running clock.
#pragma once

#include "../core/backend.h"
#include "cpu_info.h"

namespace tppverify::cpu {

struct PeakCase;

class CpuBackend final : public Backend {
 public:
  CpuBackend();
  std::string name() const override { return "cpu"; }
  DeviceList listDevices() override;
  BandwidthResult measureBandwidth(int index, const BandwidthRequest& request, const ProgressSink& progress) override;
  ThroughputResult measureThroughput(int index, const ThroughputRequest& request, const ProgressSink& progress) override;
  ClockResult probeClock(int index) override;

 private:
  void requireIndex(int index) const;
  void measureNativeCase(const PeakCase& peak, const ThroughputRequest& request, const ProgressSink& progress, ThroughputResult& result);
  CpuInfo info_;
};

}  // namespace tppverify::cpu
