#include "backends.h"

#include <dlfcn.h>

#include <mutex>

#include "../cpu/cpu_backend.h"
#ifdef TPPVERIFY_WITH_CUDA
#include "../cuda/cuda_backend.h"
#endif
#ifdef TPPVERIFY_WITH_HIP
#include "../hip/hip_backend.h"
#endif

namespace tppverify::addon {
namespace {

#ifdef TPPVERIFY_WITH_HIP
// The HIP backend sits beside this addon as libtppverify_hip.so.
std::string hipLibraryPath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&hipLibraryPath), &info) == 0 || !info.dli_fname) return hip::kHipLibraryName;
  std::string path = info.dli_fname;
  const auto slash = path.find_last_of('/');
  return (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + hip::kHipLibraryName;
}

BackendSlot loadHip() {
  BackendSlot slot{"hip", nullptr, ""};
  const std::string path = hipLibraryPath();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* error = dlerror();
    slot.missingReason = "HIP backend could not be loaded (" + std::string(error ? error : path) +
                         "); the HIP runtime (libamdhip64) must be installed";
    return slot;
  }
  auto create = reinterpret_cast<hip::CreateHipBackendFn>(dlsym(handle, hip::kCreateHipBackendSymbol));
  if (!create) {
    slot.missingReason = path + " has no " + hip::kCreateHipBackendSymbol;
    return slot;
  }
  slot.backend.reset(create());
  return slot;
}
#endif

}  // namespace

std::vector<BackendSlot>& backendSlots() {
  static std::vector<BackendSlot> slots;
  static std::once_flag once;
  std::call_once(once, [] {
    slots.push_back({"cpu", std::make_unique<cpu::CpuBackend>(), ""});
#ifdef TPPVERIFY_WITH_CUDA
    slots.push_back({"cuda", cuda::makeCudaBackend(), ""});
#else
    slots.push_back({"cuda", nullptr, "this build has no CUDA backend: nvcc was not found when the addon was built"});
#endif
#ifdef TPPVERIFY_WITH_HIP
    slots.push_back(loadHip());
#else
    slots.push_back({"hip", nullptr, "this build has no HIP backend: hipcc was not found when the addon was built"});
#endif
  });
  return slots;
}

Backend& requireBackend(const std::string& name) {
  for (BackendSlot& slot : backendSlots()) {
    if (slot.name != name) continue;
    if (!slot.backend) throw DeviceError(slot.missingReason);
    return *slot.backend;
  }
  throw DeviceError("no backend called '" + name + "'");
}

}  // namespace tppverify::addon
