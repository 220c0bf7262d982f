#include <cuda_runtime.h>

#include <dlfcn.h>

#include <cstdio>
#include <string>

#include "bandwidth.cuh"
#include "cuda_backend.h"
#include "tensor.cuh"

namespace tppverify::cuda {
namespace {

// mma.sync needs compute capability 8.0 (Ampere); older parts are identified only.
constexpr int kMinComputeCapability = 80;

// HBM and GDDR transfer data on both edges of the memory clock the runtime
// reports: data rate (MT/s) = 2 × clock (MHz).
constexpr double kTransfersPerMemoryClock = 2.0;

std::string describe(cudaError_t status) {
  // The static runtime reports a missing driver as an old one: say which it is.
  if (status == cudaErrorInsufficientDriver) {
    void* driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!driver) return "no NVIDIA driver is installed (libcuda.so.1 not found)";
    dlclose(driver);
  }
  return std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
}

int attribute(cudaDeviceAttr attr, int device) {
  int value = 0;
  return cudaDeviceGetAttribute(&value, attr, device) == cudaSuccess ? value : -1;
}

std::string formatUuid(const cudaUUID_t& uuid) {
  const auto* b = reinterpret_cast<const unsigned char*>(uuid.bytes);
  char text[64];
  std::snprintf(text, sizeof(text), "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return text;
}

class CudaBackend final : public Backend {
 public:
  std::string name() const override { return "cuda"; }

  DeviceList listDevices() override {
    DeviceList list;
    list.backend = "cuda";
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
      cudaGetLastError();  // clear the sticky error so a later call can retry
      list.emptyReason = "no usable NVIDIA GPU: " + describe(status);
      return list;
    }
    if (count == 0) list.emptyReason = "the CUDA driver reports no device";
    int driverVersion = -1, runtimeVersion = -1;
    if (cudaDriverGetVersion(&driverVersion) != cudaSuccess) driverVersion = -1;
    if (cudaRuntimeGetVersion(&runtimeVersion) != cudaSuccess) runtimeVersion = -1;
    for (int d = 0; d < count; ++d) {
      cudaDeviceProp prop{};
      if (cudaGetDeviceProperties(&prop, d) != cudaSuccess) continue;
      DeviceInfo device;
      device.id = "cuda:" + std::to_string(d);
      device.vendor = "NVIDIA";
      device.model = prop.name;
      device.unitName = "SM";
      device.computeUnits = prop.multiProcessorCount;
      const int cc = prop.major * 10 + prop.minor;
      device.measuresBandwidth = device.measuresThroughput = cc >= kMinComputeCapability;
      if (cc < kMinComputeCapability) {
        device.notMeasurableReason = "compute capability " + std::to_string(prop.major) + "." + std::to_string(prop.minor) +
                                     " is below 8.0, the oldest this backend measures";
      }
      const int memoryClockKhz = attribute(cudaDevAttrMemoryClockRate, d);
      auto add = [&](const std::string& key, AttributeValue value) {
        device.attributes.push_back({key, std::move(value), "cuda runtime"});
      };
      device.architecture = {"sm_" + std::to_string(cc), "cuda runtime (compute capability)"};
      device.maxClockMhz = {attribute(cudaDevAttrClockRate, d) / 1e3, "cuda runtime (cudaDevAttrClockRate)"};
      setMemoryInterface(device, prop.memoryBusWidth, memoryClockKhz > 0 ? kTransfersPerMemoryClock * memoryClockKhz / 1e3 : 0, "cuda runtime");
      add("uuid", formatUuid(prop.uuid));
      add("pciDomain", double(prop.pciDomainID));
      add("pciBus", double(prop.pciBusID));
      add("pciDevice", double(prop.pciDeviceID));
      add("computeCapability", std::to_string(prop.major) + "." + std::to_string(prop.minor));
      add("memoryClockMhz", memoryClockKhz / 1e3);
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
    requireDevice(index);
    return measureCudaBandwidth(index, request, progress);
  }
  ThroughputResult measureThroughput(int index, const ThroughputRequest& request, const ProgressSink& progress) override {
    requireDevice(index);
    return measureCudaThroughput(index, request, progress);
  }
  ClockResult probeClock(int index) override {
    requireDevice(index);
    return probeCudaClock(index);
  }

 private:
  static void requireDevice(int index) {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) throw DeviceError("cuda:" + std::to_string(index) + ": " + describe(status));
    if (index < 0 || index >= count) throw DeviceError("cuda:" + std::to_string(index) + ": the CUDA driver reports " + std::to_string(count) + " device(s)");
  }
};

}  // namespace

std::unique_ptr<Backend> makeCudaBackend() { return std::make_unique<CudaBackend>(); }

}  // namespace tppverify::cuda
