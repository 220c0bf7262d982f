// Converts nvml::readIdentity's result to a JS object (shape: harness/identity/nvml.ts).
#include "nvml_addon.h"

#include <cstdio>

#include "nvml_identity.h"

namespace tppverify::nvml {
namespace {

Napi::Array callsToJs(Napi::Env env, const std::vector<CallResult>& calls) {
  Napi::Array array = Napi::Array::New(env, calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    Napi::Object item = Napi::Object::New(env);
    item.Set("call", calls[i].call);
    item.Set("status", calls[i].status);
    item.Set("error", calls[i].error);
    array.Set(uint32_t(i), item);
  }
  return array;
}

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08x", value);
  return text;
}

}  // namespace

Napi::Value NvmlIdentityJs(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  std::optional<std::array<uint8_t, 32>> nonce;
  std::string library = "libnvidia-ml.so.1";
  if (info.Length() > 0 && info[0].IsObject()) {
    const Napi::Object options = info[0].As<Napi::Object>();
    if (options.Has("nonce") && options.Get("nonce").IsBuffer()) {
      const auto buffer = options.Get("nonce").As<Napi::Buffer<uint8_t>>();
      if (buffer.Length() != 32) throw Napi::RangeError::New(env, "nvmlIdentity: the SPDM nonce must be 32 bytes");
      std::array<uint8_t, 32> bytes{};
      std::copy(buffer.Data(), buffer.Data() + 32, bytes.begin());
      nonce = bytes;
    }
    if (options.Has("library") && options.Get("library").IsString()) library = options.Get("library").As<Napi::String>().Utf8Value();
  }
  const IdentityResult result = readIdentity(nonce, library);
  Napi::Object out = Napi::Object::New(env);
  out.Set("available", result.available);
  out.Set("reason", result.reason);
  out.Set("driverVersion", result.driverVersion);
  out.Set("nvmlVersion", result.nvmlVersion);
  if (result.hasConfComputeState) {
    Napi::Object cc = Napi::Object::New(env);
    cc.Set("environment", result.ccEnvironment);
    cc.Set("ccFeature", result.ccFeature);
    cc.Set("devToolsMode", result.ccDevToolsMode);
    if (result.hasMultiGpuMode) cc.Set("multiGpuMode", result.ccMultiGpuMode);
    out.Set("confCompute", cc);
  }
  out.Set("calls", callsToJs(env, result.calls));
  Napi::Array devices = Napi::Array::New(env, result.devices.size());
  for (size_t i = 0; i < result.devices.size(); ++i) {
    const DeviceIdentity& d = result.devices[i];
    Napi::Object item = Napi::Object::New(env);
    item.Set("index", d.index);
    item.Set("pciBusId", d.pciBusId);
    item.Set("serial", d.serial);
    item.Set("uuid", d.uuid);
    item.Set("boardPartNumber", d.boardPartNumber);
    item.Set("vbiosVersion", d.vbiosVersion);
    item.Set("pciDeviceId", d.pciDeviceId ? hex32(d.pciDeviceId) : "");
    item.Set("pciSubsystemId", d.pciSubsystemId ? hex32(d.pciSubsystemId) : "");
    if (d.hasPdi) {
      char pdi[24];
      std::snprintf(pdi, sizeof(pdi), "0x%016llx", static_cast<unsigned long long>(d.pdi));
      item.Set("pdi", pdi);
    }
    if (!d.attestationReportHex.empty()) item.Set("attestationReportHex", d.attestationReportHex);
    if (!d.attestationChainPem.empty()) item.Set("attestationChainPem", d.attestationChainPem);
    item.Set("calls", callsToJs(env, d.calls));
    devices.Set(uint32_t(i), item);
  }
  out.Set("devices", devices);
  return out;
}

}  // namespace tppverify::nvml
