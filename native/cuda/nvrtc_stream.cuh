// Stream kernels compiled at run time by NVRTC, under a name drawn from the
// run's nonce, so no fixed kernel name or binary identifies the benchmark to
// a driver. NVRTC is loaded with dlopen (libnvrtc.so.13, then .12); where it
// is absent or cannot compile for the device, the compiled-in kernels run and
// the reason is recorded. Unproven until run on a GPU.
#pragma once

#include <cuda_runtime.h>

#include <string>

namespace tppverify::cuda {

class RuntimeStreamKernels {
 public:
  // Compiles copy and triad as `<name>_copy` and `<name>_triad` with `unroll`
  // 16-byte accesses in flight per thread and array; never throws for a
  // missing or failing NVRTC (then available() is false and record() says why).
  RuntimeStreamKernels(int device, const std::string& name, int unroll);
  ~RuntimeStreamKernels();
  RuntimeStreamKernels(const RuntimeStreamKernels&) = delete;
  RuntimeStreamKernels& operator=(const RuntimeStreamKernels&) = delete;

  bool available() const { return copy_ != nullptr && triad_ != nullptr; }
  // Kernel handles (cudaKernel_t) as cudaLaunchKernel and the occupancy API take them.
  const void* copy() const { return copy_; }
  const void* triad() const { return triad_; }
  // For the result's runtimeCompilation: the NVRTC version and kernel names, or why not.
  const std::string& record() const { return record_; }

 private:
  cudaLibrary_t library_ = nullptr;
  const void* copy_ = nullptr;
  const void* triad_ = nullptr;
  std::string record_;
};

// The source NVRTC compiles (exposed so it can be compiled by hand where NVRTC is present).
std::string runtimeKernelSource(const std::string& name, int unroll);

// A plan's kernel name: "tppv_" and 8 lower-case hex digits (anything else is refused).
bool isPlanKernelName(const std::string& name);

}  // namespace tppverify::cuda
