// HIP runtime errors as DeviceError, RAII buffers and event timing.
#pragma once

#include <hip/hip_runtime.h>

#include <string>

#include "../core/backend.h"

namespace tppverify::hip {

inline void check(hipError_t status, const char* what) {
  if (status != hipSuccess) throw DeviceError(std::string(what) + ": " + hipGetErrorName(status) + ": " + hipGetErrorString(status));
}

#define TPPVERIFY_HIP_CHECK(call) ::tppverify::hip::check((call), #call)

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t count) : count_(count) { TPPVERIFY_HIP_CHECK(hipMalloc(&ptr_, count * sizeof(T))); }
  ~DeviceBuffer() { (void)hipFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return ptr_; }
  size_t count() const { return count_; }

 private:
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

class EventTimer {
 public:
  EventTimer() {
    TPPVERIFY_HIP_CHECK(hipEventCreate(&start_));
    TPPVERIFY_HIP_CHECK(hipEventCreate(&stop_));
  }
  ~EventTimer() {
    (void)hipEventDestroy(start_);
    (void)hipEventDestroy(stop_);
  }
  void start() { TPPVERIFY_HIP_CHECK(hipEventRecord(start_)); }
  double stopSeconds() {
    TPPVERIFY_HIP_CHECK(hipEventRecord(stop_));
    TPPVERIFY_HIP_CHECK(hipEventSynchronize(stop_));
    float ms = 0;
    TPPVERIFY_HIP_CHECK(hipEventElapsedTime(&ms, start_, stop_));
    return ms / 1e3;
  }

 private:
  hipEvent_t start_{}, stop_{};
};

BandwidthResult measureHipBandwidth(int device, const BandwidthRequest& request, const ProgressSink& progress);
ThroughputResult measureHipThroughput(int device, const ThroughputRequest& request, const ProgressSink& progress);

}  // namespace tppverify::hip
