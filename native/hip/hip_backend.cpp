#include "hip_backend.h"
#include "hip_check.h"

#include <hip/hip_runtime.h>

#include <string>

namespace tppverify::hip {
namespace {


// HBM transfers data on both edges of the memory clock the runtime reports:
// data rate = 2 × clock (unverified on MI300-class parts: a declaration's
// peak is checked against bus width × data rate, which would show a wrong factor).
constexpr double kTransfersPerMemoryClock = 2.0;

#ifndef TPPVERIFY_HIP_BUILT_TARGETS
#error "TPPVERIFY_HIP_BUILT_TARGETS (the comma-separated --offload-arch list) must be defined by the build"
#endif
constexpr const char* kBuiltTargets = TPPVERIFY_HIP_BUILT_TARGETS;

// "gfx942:sramecc+:xnack-" → "gfx942"; code objects are built per base target.
bool hasCodeFor(const std::string& gcnArchName) {
  const std::string base = gcnArchName.substr(0, gcnArchName.find(':'));
  const std::string targets = std::string(",") + kBuiltTargets + ",";
  return targets.find("," + base + ",") != std::string::npos;
}

std::string describe(hipError_t status) {
  return std::string(hipGetErrorName(status)) + ": " + hipGetErrorString(status);
}

class HipBackend final : public Backend {
 public:
  std::string name() const override { return "hip"; }

  DeviceList listDevices() override {
    DeviceList list;
    list.backend = "hip";
    int count = 0;
    const hipError_t status = hipGetDeviceCount(&count);
    if (status != hipSuccess) {
      list.emptyReason = "no usable AMD GPU: " + describe(status);
      return list;
    }
    if (count == 0) list.emptyReason = "the HIP runtime reports no device";
    int driverVersion = -1, runtimeVersion = -1;
    if (hipDriverGetVersion(&driverVersion) != hipSuccess) driverVersion = -1;
    if (hipRuntimeGetVersion(&runtimeVersion) != hipSuccess) runtimeVersion = -1;
    for (int d = 0; d < count; ++d) {
      hipDeviceProp_t prop{};
      if (hipGetDeviceProperties(&prop, d) != hipSuccess) continue;
      DeviceInfo device;
      device.id = "hip:" + std::to_string(d);
      device.vendor = "AMD";
      device.model = prop.name;
      device.unitName = "CU";
      device.computeUnits = prop.multiProcessorCount;
      device.measuresBandwidth = device.measuresThroughput = hasCodeFor(prop.gcnArchName);
      if (!device.measuresBandwidth) {
        device.notMeasurableReason = std::string("this build has no code for ") + prop.gcnArchName + " (built for " + kBuiltTargets +
                                     "): rebuild with TPPVERIFY_HIP_TARGETS naming it (gfx942 and gfx950 need ROCm >= 6)";
      }
      auto add = [&](const std::string& key, AttributeValue value) {
        device.attributes.push_back({key, std::move(value), "hip runtime"});
      };
      // "gfx942:sramecc+:xnack-": the architecture is the base target.
      const std::string gcnArch = prop.gcnArchName;
      device.architecture = {gcnArch.substr(0, gcnArch.find(':')), "hip runtime (gcnArchName)"};
      device.maxClockMhz = {prop.clockRate / 1e3, "hip runtime (clockRate)"};
      setMemoryInterface(device, prop.memoryBusWidth, kTransfersPerMemoryClock * prop.memoryClockRate / 1e3, "hip runtime");
      add("gcnArchName", gcnArch);
      add("builtTargets", std::string(kBuiltTargets));
      add("pciDomain", double(prop.pciDomainID));
      add("pciBus", double(prop.pciBusID));
      add("pciDevice", double(prop.pciDeviceID));
      add("memoryClockMhz", prop.memoryClockRate / 1e3);
      add("l2CacheBytes", double(prop.l2CacheSize));
      add("totalMemoryBytes", double(prop.totalGlobalMem));
      add("eccEnabled", prop.ECCEnabled != 0);
      add("driverVersion", double(driverVersion));
      add("runtimeVersion", double(runtimeVersion));
      list.devices.push_back(std::move(device));
    }
    return list;
  }

  BandwidthResult measureBandwidth(int index, const BandwidthRequest& request, const ProgressSink& progress) override {
    return measureHipBandwidth(index, request, progress);
  }
  ThroughputResult measureThroughput(int index, const ThroughputRequest& request, const ProgressSink& progress) override {
    return measureHipThroughput(index, request, progress);
  }
  ClockResult probeClock(int index) override {
    ThroughputRequest request;
    request.formats = {"FP16"};
    request.trials = 1;
    request.secondsPerTrial = 0.02;
    const ThroughputResult result = measureHipThroughput(index, request, [](const Progress&) {});
    ClockResult clock;
    clock.deviceId = "hip:" + std::to_string(index);
    clock.method = "Δs_memtime ÷ Δs_memrealtime over an FP16 MFMA loop on every CU";
    for (const ThroughputCaseResult& c : result.cases) clock.mhzPerThread.insert(clock.mhzPerThread.end(), c.trialClockMhz.begin(), c.trialClockMhz.end());
    return clock;
  }
};

}  // namespace
}  // namespace tppverify::hip

extern "C" __attribute__((visibility("default"))) tppverify::Backend* tppverify_create_hip_backend() {
  return new tppverify::hip::HipBackend();
}
