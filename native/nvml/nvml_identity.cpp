#include "nvml_identity.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace tppverify::nvml {
namespace {

// The few NVML declarations used, as in NVIDIA's nvml.h (NVML 13; go-nvml gen/nvml/nvml.h).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr int kSymbolMissing = -1;
constexpr unsigned NVML_DEVICE_SERIAL_BUFFER_SIZE = 30;
constexpr unsigned NVML_DEVICE_UUID_V2_BUFFER_SIZE = 96;
constexpr unsigned NVML_DEVICE_PART_NUMBER_BUFFER_SIZE = 80;
constexpr unsigned NVML_DEVICE_VBIOS_VERSION_BUFFER_SIZE = 32;
constexpr unsigned NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE = 80;
constexpr unsigned NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE = 80;

struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[32];
};
struct nvmlPdi_v1_t {
  unsigned int version;
  unsigned long long value;
};
/** NVML_STRUCT_VERSION(Pdi, 1): the struct's size with the version in the top byte. */
constexpr unsigned kPdiVersion1 = static_cast<unsigned>(sizeof(nvmlPdi_v1_t)) | (1u << 24);
struct nvmlConfComputeSystemState_t {
  unsigned int environment;
  unsigned int ccFeature;
  unsigned int devToolsMode;
};
struct nvmlSystemConfComputeSettings_v1_t {
  unsigned int version;
  unsigned int environment;
  unsigned int ccFeature;
  unsigned int devToolsMode;
  unsigned int multiGpuMode;
};
constexpr unsigned kConfComputeSettingsVersion1 = static_cast<unsigned>(sizeof(nvmlSystemConfComputeSettings_v1_t)) | (1u << 24);
struct nvmlConfComputeGpuCertificate_t {
  unsigned int certChainSize;
  unsigned int attestationCertChainSize;
  unsigned char certChain[0x1000];
  unsigned char attestationCertChain[0x1400];
};
struct nvmlConfComputeGpuAttestationReport_t {
  unsigned int isCecAttestationReportPresent;
  unsigned int attestationReportSize;
  unsigned int cecAttestationReportSize;
  unsigned char nonce[32];
  unsigned char attestationReport[0x2000];
  unsigned char cecAttestationReport[0x1000];
};

/** The shared library, closed when this goes out of scope (after nvmlShutdown). */
class Library {
 public:
  explicit Library(const std::string& name) : handle_(dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) {}
  ~Library() {
    if (handle_) dlclose(handle_);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  bool loaded() const { return handle_ != nullptr; }
  template <typename F>
  F symbol(const char* name) const {
    return handle_ ? reinterpret_cast<F>(dlsym(handle_, name)) : nullptr;
  }

 private:
  void* handle_;
};

std::string hex(const unsigned char* bytes, size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0xf]);
  }
  return out;
}

std::string text(const char* buffer, size_t size) { return std::string(buffer, strnlen(buffer, size)); }

}  // namespace

IdentityResult readIdentity(const std::optional<std::array<uint8_t, 32>>& nonce, const std::string& library) {
  IdentityResult result;
  Library nvml(library);
  if (!nvml.loaded()) {
    const char* why = dlerror();
    result.reason = "cannot load " + library + ": " + (why ? why : "unknown error");
    return result;
  }
  using ErrorString = const char* (*)(nvmlReturn_t);
  const auto errorString = nvml.symbol<ErrorString>("nvmlErrorString");
  // Calls a symbol if the library has it, recording the outcome in `calls`.
  auto call = [&](std::vector<CallResult>& calls, const char* name, auto&& invoke) -> bool {
    CallResult record{name, kSymbolMissing, "symbol not in this libnvidia-ml"};
    void* fn = nvml.symbol<void*>(name);
    if (fn) {
      record.status = invoke(fn);
      record.error = record.status == NVML_SUCCESS ? "" : (errorString ? errorString(record.status) : "unknown");
    }
    calls.push_back(record);
    return record.status == NVML_SUCCESS;
  };
  if (!call(result.calls, "nvmlInit_v2", [](void* fn) { return reinterpret_cast<nvmlReturn_t (*)()>(fn)(); })) {
    result.reason = "nvmlInit_v2: " + result.calls.back().error;
    return result;
  }
  result.available = true;
  char buffer[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE] = {};
  using StringCall = nvmlReturn_t (*)(char*, unsigned);
  if (call(result.calls, "nvmlSystemGetDriverVersion", [&](void* fn) { return reinterpret_cast<StringCall>(fn)(buffer, sizeof(buffer)); }))
    result.driverVersion = text(buffer, sizeof(buffer));
  char nvmlVersion[NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE] = {};
  if (call(result.calls, "nvmlSystemGetNVMLVersion", [&](void* fn) { return reinterpret_cast<StringCall>(fn)(nvmlVersion, sizeof(nvmlVersion)); }))
    result.nvmlVersion = text(nvmlVersion, sizeof(nvmlVersion));
  nvmlConfComputeSystemState_t state{};
  if (call(result.calls, "nvmlSystemGetConfComputeState", [&](void* fn) { return reinterpret_cast<nvmlReturn_t (*)(nvmlConfComputeSystemState_t*)>(fn)(&state); })) {
    result.hasConfComputeState = true;
    result.ccEnvironment = state.environment;
    result.ccFeature = state.ccFeature;
    result.ccDevToolsMode = state.devToolsMode;
  }
  nvmlSystemConfComputeSettings_v1_t settings{};
  settings.version = kConfComputeSettingsVersion1;
  if (call(result.calls, "nvmlSystemGetConfComputeSettings", [&](void* fn) { return reinterpret_cast<nvmlReturn_t (*)(nvmlSystemConfComputeSettings_v1_t*)>(fn)(&settings); })) {
    result.hasMultiGpuMode = true;
    result.ccMultiGpuMode = settings.multiGpuMode;
  }

  unsigned count = 0;
  call(result.calls, "nvmlDeviceGetCount_v2", [&](void* fn) { return reinterpret_cast<nvmlReturn_t (*)(unsigned*)>(fn)(&count); });
  for (unsigned index = 0; index < count; ++index) {
    DeviceIdentity device;
    device.index = index;
    nvmlDevice_t handle = nullptr;
    if (!call(device.calls, "nvmlDeviceGetHandleByIndex_v2", [&](void* fn) { return reinterpret_cast<nvmlReturn_t (*)(unsigned, nvmlDevice_t*)>(fn)(index, &handle); })) {
      result.devices.push_back(device);
      continue;
    }
    using DeviceString = nvmlReturn_t (*)(nvmlDevice_t, char*, unsigned);
    auto deviceString = [&](const char* name, std::string& out, unsigned size) {
      std::vector<char> value(size, '\0');
      if (call(device.calls, name, [&](void* fn) { return reinterpret_cast<DeviceString>(fn)(handle, value.data(), size); }))
        out = text(value.data(), value.size());
    };
    deviceString("nvmlDeviceGetSerial", device.serial, NVML_DEVICE_SERIAL_BUFFER_SIZE);
    deviceString("nvmlDeviceGetUUID", device.uuid, NVML_DEVICE_UUID_V2_BUFFER_SIZE);
    deviceString("nvmlDeviceGetBoardPartNumber", device.boardPartNumber, NVML_DEVICE_PART_NUMBER_BUFFER_SIZE);
    deviceString("nvmlDeviceGetVbiosVersion", device.vbiosVersion, NVML_DEVICE_VBIOS_VERSION_BUFFER_SIZE);
    nvmlPciInfo_t pci{};
    if (call(device.calls, "nvmlDeviceGetPciInfo_v3", [&](void* fn) { return reinterpret_cast<nvmlReturn_t (*)(nvmlDevice_t, nvmlPciInfo_t*)>(fn)(handle, &pci); })) {
      device.pciBusId = text(pci.busId, sizeof(pci.busId));
      device.pciDeviceId = pci.pciDeviceId;
      device.pciSubsystemId = pci.pciSubSystemId;
    }
    nvmlPdi_v1_t pdi{};
    pdi.version = kPdiVersion1;
    if (call(device.calls, "nvmlDeviceGetPdi", [&](void* fn) { return reinterpret_cast<nvmlReturn_t (*)(nvmlDevice_t, nvmlPdi_v1_t*)>(fn)(handle, &pdi); })) {
      device.hasPdi = true;
      device.pdi = pdi.value;
    }
    // Evidence only when asked: with CC off these answer Not Found (shared reference identity.md).
    if (nonce) {
      auto certificate = std::make_unique<nvmlConfComputeGpuCertificate_t>();
      if (call(device.calls, "nvmlDeviceGetConfComputeGpuCertificate",
               [&](void* fn) { return reinterpret_cast<nvmlReturn_t (*)(nvmlDevice_t, nvmlConfComputeGpuCertificate_t*)>(fn)(handle, certificate.get()); })) {
        const size_t size = std::min<size_t>(certificate->attestationCertChainSize, sizeof(certificate->attestationCertChain));
        device.attestationChainPem.assign(reinterpret_cast<const char*>(certificate->attestationCertChain), size);
      }
      auto report = std::make_unique<nvmlConfComputeGpuAttestationReport_t>();
      std::memcpy(report->nonce, nonce->data(), nonce->size());
      if (call(device.calls, "nvmlDeviceGetConfComputeGpuAttestationReport",
               [&](void* fn) { return reinterpret_cast<nvmlReturn_t (*)(nvmlDevice_t, nvmlConfComputeGpuAttestationReport_t*)>(fn)(handle, report.get()); })) {
        const size_t size = std::min<size_t>(report->attestationReportSize, sizeof(report->attestationReport));
        device.attestationReportHex = hex(report->attestationReport, size);
      }
    }
    result.devices.push_back(device);
  }
  call(result.calls, "nvmlShutdown", [](void* fn) { return reinterpret_cast<nvmlReturn_t (*)()>(fn)(); });
  return result;
}

}  // namespace tppverify::nvml
