// Turns a failed CUDA runtime call into a DeviceError naming the call.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "../core/backend.h"

namespace tppverify::cuda {

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw DeviceError(std::string(what) + ": " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
  }
}

#define TPPVERIFY_CUDA_CHECK(call) ::tppverify::cuda::check((call), #call)

// RAII device buffer.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t count) : count_(count) {
    TPPVERIFY_CUDA_CHECK(cudaMalloc(&ptr_, count * sizeof(T)));
  }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return ptr_; }
  size_t count() const { return count_; }

 private:
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

// RAII event pair timing GPU work on the default stream.
class EventTimer {
 public:
  EventTimer() {
    TPPVERIFY_CUDA_CHECK(cudaEventCreate(&start_));
    TPPVERIFY_CUDA_CHECK(cudaEventCreate(&stop_));
  }
  ~EventTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  void start() { TPPVERIFY_CUDA_CHECK(cudaEventRecord(start_)); }
  double stopSeconds() {
    TPPVERIFY_CUDA_CHECK(cudaEventRecord(stop_));
    TPPVERIFY_CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0;
    TPPVERIFY_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    return ms / 1e3;
  }

 private:
  cudaEvent_t start_{}, stop_{};
};

}  // namespace tppverify::cuda
