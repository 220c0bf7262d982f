#include "hip_backend.h"

#include <hip/hip_runtime.h>

#include <string>

namespace tppverify::hip {
namespace {

// Until the HIP kernels land, this backend identifies devices and refuses to
// measure them: a number from a path that does not exist yet would be a lie.
constexpr const char* kNotMeasurable =
    "this build's HIP backend identifies devices only; its bandwidth and MFMA kernels are not implemented yet";

// HBM transfers data on both clock edges: peak = 2 × clock × bus width.
constexpr double kTransfersPerMemoryClock = 2.0;

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
      device.notMeasurableReason = kNotMeasurable;
      const double peakGbps = kTransfersPerMemoryClock * prop.memoryClockRate * 1e3 * prop.memoryBusWidth / 8 / 1e9;
      auto add = [&](const std::string& key, AttributeValue value) {
        device.attributes.push_back({key, std::move(value), "hip runtime"});
      };
      add("gfxTarget", std::string(prop.gcnArchName));
      add("pciDomain", double(prop.pciDomainID));
      add("pciBus", double(prop.pciBusID));
      add("pciDevice", double(prop.pciDeviceID));
      add("cuCount", double(prop.multiProcessorCount));
      add("maxClockMhz", prop.clockRate / 1e3);
      add("memoryClockMhz", prop.memoryClockRate / 1e3);
      add("memoryBusWidthBits", double(prop.memoryBusWidth));
      add("peakDramBandwidthGbps", peakGbps);
      add("l2CacheBytes", double(prop.l2CacheSize));
      add("totalMemoryBytes", double(prop.totalGlobalMem));
      add("eccEnabled", prop.ECCEnabled != 0);
      add("driverVersion", double(driverVersion));
      add("runtimeVersion", double(runtimeVersion));
      list.devices.push_back(std::move(device));
    }
    return list;
  }

  BandwidthResult measureBandwidth(int, const BandwidthRequest&, const ProgressSink&) override {
    throw DeviceError(kNotMeasurable);
  }
  ThroughputResult measureThroughput(int, const ThroughputRequest&, const ProgressSink&) override {
    throw DeviceError(kNotMeasurable);
  }
  ClockResult probeClock(int) override { throw DeviceError(kNotMeasurable); }
};

}  // namespace
}  // namespace tppverify::hip

extern "C" __attribute__((visibility("default"))) tppverify::Backend* tppverify_create_hip_backend() {
  return new tppverify::hip::HipBackend();
}
