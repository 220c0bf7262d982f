// AMD Instinct GPUs through the HIP runtime. Built by hipcc into its own shared
// object (libtppverify_hip.so) that the addon loads at run time, so a host
// without the HIP runtime still loads the addon.
#pragma once

#include "../core/backend.h"

namespace tppverify::hip {

inline constexpr const char* kHipLibraryName = "libtppverify_hip.so";
inline constexpr const char* kCreateHipBackendSymbol = "tppverify_create_hip_backend";
using CreateHipBackendFn = Backend* (*)();

}  // namespace tppverify::hip
