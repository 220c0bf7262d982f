// NVIDIA GPUs through the CUDA runtime (linked statically, so only the driver
// is needed at run time).
#pragma once

#include <memory>

#include "../core/backend.h"

namespace tppverify::cuda {

std::unique_ptr<Backend> makeCudaBackend();

}  // namespace tppverify::cuda
