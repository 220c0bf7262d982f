// Reads a GPU's identity straight from NVML (libnvidia-ml.so.1, loaded at run
// time so the addon loads on hosts without the NVIDIA driver), as a second
// path beside nvidia-smi: serial, UUID, board part number, VBIOS, PCI ids,
// the PDI (NVML 13, drivers R580+), the confidential-computing state, and —
// when a nonce is given and the GPU is in CC or PPCIe mode — the SPDM
// attestation report and its certificate chain. Every NVML call is recorded
// with its exact return code, so a probe shows what works on a given driver.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tppverify::nvml {

/** One NVML call: its name, its nvmlReturn_t (0 = success; -1 = the symbol is absent) and nvmlErrorString. */
struct CallResult {
  std::string call;
  int status = 0;
  std::string error;
};

struct DeviceIdentity {
  unsigned index = 0;
  std::string pciBusId;
  std::string serial;
  std::string uuid;
  std::string boardPartNumber;
  std::string vbiosVersion;
  /** nvmlPciInfo_t: device id << 16 | vendor id, and subsystem id << 16 | subsystem vendor id. */
  uint32_t pciDeviceId = 0;
  uint32_t pciSubsystemId = 0;
  bool hasPdi = false;
  uint64_t pdi = 0;
  /** Hex of the SPDM report (request ‖ response) and the attestation chain (PEM), when CC/PPCIe gave them. */
  std::string attestationReportHex;
  std::string attestationChainPem;
  std::vector<CallResult> calls;
};

struct IdentityResult {
  /** False when libnvidia-ml.so.1 could not be loaded or initialized; `reason` says why. */
  bool available = false;
  std::string reason;
  std::string driverVersion;
  std::string nvmlVersion;
  /** nvmlSystemGetConfComputeState / Settings, when they answered. */
  bool hasConfComputeState = false;
  unsigned ccEnvironment = 0;
  unsigned ccFeature = 0;
  unsigned ccDevToolsMode = 0;
  bool hasMultiGpuMode = false;
  unsigned ccMultiGpuMode = 0;
  std::vector<CallResult> calls;
  std::vector<DeviceIdentity> devices;
};

/** Every device NVML sees. With a nonce, also asks each device for SPDM evidence over that nonce. */
IdentityResult readIdentity(const std::optional<std::array<uint8_t, 32>>& nonce, const std::string& library = "libnvidia-ml.so.1");

}  // namespace tppverify::nvml
