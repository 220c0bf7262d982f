// The addon's one NVML entry point: nvmlIdentity({ nonceHex?, library? }).
#pragma once

#include <napi.h>

namespace tppverify::nvml {

Napi::Value NvmlIdentityJs(const Napi::CallbackInfo& info);

}  // namespace tppverify::nvml
