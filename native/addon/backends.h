// The backends this build holds, created once. CPU is always present; CUDA is
// linked in when it was compiled; HIP lives in its own shared object, loaded
// at run time so a host without the HIP runtime still loads the addon.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../core/backend.h"

namespace tppverify::addon {

struct BackendSlot {
  std::string name;                  // "cpu", "cuda", "hip"
  std::unique_ptr<Backend> backend;  // null when not built or not loadable
  std::string missingReason;         // why `backend` is null
};

std::vector<BackendSlot>& backendSlots();

// The backend called `name`; throws DeviceError naming why it is missing.
Backend& requireBackend(const std::string& name);

}  // namespace tppverify::addon
