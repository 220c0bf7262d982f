#include "bandwidth.cuh"

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <vector>

#include "../core/stream_patterns.h"
#include "cuda_check.cuh"
#include "../core/gpu_host_logic.h"

namespace tppverify::cuda {
namespace {

// A 256-thread block with four 16-byte loads in flight per thread and array
// keeps enough bytes in flight per SM to cover HBM latency (BabelStream and
// nvbandwidth use the same order of magnitude).
constexpr int kThreadsPerBlock = 256;
constexpr int kUnroll = 4;

using Kernel = stream::GpuKernel;
using KernelSpec = stream::GpuKernelSpec;
using stream::expectedReadSum;
using stream::patternA;
using stream::patternB;
constexpr auto& kKernels = stream::kGpuKernels;
using stream::expectedGpuOutput;

__global__ void initArrays(double* a, double* b, uint64_t n) {
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x) {
    a[i] = patternA(i);
    b[i] = patternB(i);
  }
}

__global__ void readKernel(const double2* __restrict__ a, uint64_t pairs, double* __restrict__ partial) {
  __shared__ double blockSums[kThreadsPerBlock];
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  double sum = 0;
  for (; i + (kUnroll - 1) * stride < pairs; i += kUnroll * stride) {
    double2 v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) v[u] = __ldcs(a + i + u * stride);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) sum += v[u].x + v[u].y;
  }
  for (; i < pairs; i += stride) {
    const double2 v = __ldcs(a + i);
    sum += v.x + v.y;
  }
  blockSums[threadIdx.x] = sum;
  __syncthreads();
  for (int width = kThreadsPerBlock / 2; width > 0; width /= 2) {
    if (int(threadIdx.x) < width) blockSums[threadIdx.x] += blockSums[threadIdx.x + width];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = blockSums[0];
}

__global__ void writeKernel(double2* __restrict__ c, uint64_t pairs, double value) {
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  const double2 v = make_double2(value, value);
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < pairs; i += stride) __stcs(c + i, v);
}

__global__ void copyKernel(const double2* __restrict__ a, double2* __restrict__ c, uint64_t pairs) {
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  for (; i + (kUnroll - 1) * stride < pairs; i += kUnroll * stride) {
    double2 v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) v[u] = __ldcs(a + i + u * stride);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) __stcs(c + i + u * stride, v[u]);
  }
  for (; i < pairs; i += stride) __stcs(c + i, __ldcs(a + i));
}

__global__ void triadKernel(const double2* __restrict__ a, const double2* __restrict__ b, double2* __restrict__ c,
                            uint64_t pairs, double s) {
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  for (; i + (kUnroll - 1) * stride < pairs; i += kUnroll * stride) {
    double2 x[kUnroll], y[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      x[u] = __ldcs(a + i + u * stride);
      y[u] = __ldcs(b + i + u * stride);
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) __stcs(c + i + u * stride, make_double2(fma(s, y[u].x, x[u].x), fma(s, y[u].y, x[u].y)));
  }
  for (; i < pairs; i += stride) {
    const double2 x = __ldcs(a + i), y = __ldcs(b + i);
    __stcs(c + i, make_double2(fma(s, y.x, x.x), fma(s, y.y, x.y)));
  }
}

// Counts output elements that differ from their exact expected value.
__global__ void countMismatches(Kernel kind, const double* __restrict__ c, uint64_t n, double value,
                                unsigned long long* mismatches) {
  unsigned long long bad = 0;
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x) {
    bad += c[i] != expectedGpuOutput(kind, i, value);
  }
  if (bad) atomicAdd(mismatches, bad);
}

struct Arrays {
  double* a;
  double* b;
  double* c;
  uint64_t n;
  double* partial;
};

void launch(Kernel kind, const Arrays& x, int blocks, double value) {
  const uint64_t pairs = x.n / 2;
  auto* a = reinterpret_cast<const double2*>(x.a);
  auto* b = reinterpret_cast<const double2*>(x.b);
  auto* c = reinterpret_cast<double2*>(x.c);
  switch (kind) {
    case Kernel::Read: readKernel<<<blocks, kThreadsPerBlock>>>(a, pairs, x.partial); break;
    case Kernel::Write: writeKernel<<<blocks, kThreadsPerBlock>>>(c, pairs, value); break;
    case Kernel::Copy: copyKernel<<<blocks, kThreadsPerBlock>>>(a, c, pairs); break;
    case Kernel::Triad: triadKernel<<<blocks, kThreadsPerBlock>>>(a, b, c, pairs, value); break;
  }
  TPPVERIFY_CUDA_CHECK(cudaGetLastError());
}

int persistentBlocks(Kernel kind, int smCount) {
  int perSm = 0;
  switch (kind) {
    case Kernel::Read: TPPVERIFY_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, readKernel, kThreadsPerBlock, 0)); break;
    case Kernel::Write: TPPVERIFY_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, writeKernel, kThreadsPerBlock, 0)); break;
    case Kernel::Copy: TPPVERIFY_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, copyKernel, kThreadsPerBlock, 0)); break;
    case Kernel::Triad: TPPVERIFY_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, triadKernel, kThreadsPerBlock, 0)); break;
  }
  return std::max(1, perSm) * smCount;
}

/** The trial's output checked on the device; the read kernel's sum on the host. */
void verifyTrial(const KernelSpec& spec, const Arrays& x, int blocks, double value, int trial, bool corrupt,
                 unsigned long long* deviceCount) {
  if (spec.kind == Kernel::Read) {
    std::vector<double> partial(static_cast<size_t>(blocks));
    TPPVERIFY_CUDA_CHECK(cudaMemcpy(partial.data(), x.partial, partial.size() * sizeof(double), cudaMemcpyDeviceToHost));
    double sum = 0;
    for (double p : partial) sum += p;
    if (corrupt) sum += 1.0;
    const double expected = expectedReadSum(x.n);
    if (sum != expected) {
      std::ostringstream detail;
      detail.precision(17);
      detail << "sum " << sum << ", expected " << expected << " (trial " << trial << ")";
      throw VerificationError(spec.name, detail.str());
    }
    return;
  }
  if (corrupt) {
    const double wrong = expectedGpuOutput(spec.kind, x.n / 2, value) + 1.0;
    TPPVERIFY_CUDA_CHECK(cudaMemcpy(x.c + x.n / 2, &wrong, sizeof(double), cudaMemcpyHostToDevice));
  }
  TPPVERIFY_CUDA_CHECK(cudaMemset(deviceCount, 0, sizeof(unsigned long long)));
  countMismatches<<<blocks, kThreadsPerBlock>>>(spec.kind, x.c, x.n, value, deviceCount);
  TPPVERIFY_CUDA_CHECK(cudaGetLastError());
  unsigned long long mismatches = 0;
  TPPVERIFY_CUDA_CHECK(cudaMemcpy(&mismatches, deviceCount, sizeof(mismatches), cudaMemcpyDeviceToHost));
  if (mismatches) {
    throw VerificationError(spec.name, std::to_string(mismatches) + " of " + std::to_string(x.n) +
                                           " elements wrong (trial " + std::to_string(trial) + ", checked on the device)");
  }
}

/** Every element of the output, copied back and checked on the host. */
void verifyOnHost(const KernelSpec& spec, const Arrays& x, double value) {
  if (spec.kind == Kernel::Read) return;
  std::vector<double> host(x.n);
  TPPVERIFY_CUDA_CHECK(cudaMemcpy(host.data(), x.c, x.n * sizeof(double), cudaMemcpyDeviceToHost));
  uint64_t bad = 0, first = x.n;
  for (uint64_t i = 0; i < x.n; ++i) {
    if (host[i] != expectedGpuOutput(spec.kind, i, value)) {
      if (!bad++) first = i;
    }
  }
  if (bad) {
    std::ostringstream detail;
    detail.precision(17);
    detail << bad << " of " << x.n << " elements wrong on the host; first at index " << first << ": " << host[first]
           << ", expected " << expectedGpuOutput(spec.kind, first, value);
    throw VerificationError(spec.name, detail.str());
  }
}

}  // namespace

BandwidthResult measureCudaBandwidth(int device, const BandwidthRequest& request, const ProgressSink& progress) {
  TPPVERIFY_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  TPPVERIFY_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  gpu::requireKnownGpuKernels(request.kernels, "CUDA");
  size_t freeBytes = 0, totalBytes = 0;
  TPPVERIFY_CUDA_CHECK(cudaMemGetInfo(&freeBytes, &totalBytes));
  const gpu::ArraySizing sizing = gpu::sizeArrays(uint64_t(prop.l2CacheSize), freeBytes, request.arrayBytes, gpu::kCudaMinArrayBytes);
  const uint64_t n = sizing.elements;
  const uint64_t arrayBytes = n * sizeof(double);

  BandwidthResult result;
  result.deviceId = "cuda:" + std::to_string(device);
  result.arrayBytes = arrayBytes;
  result.byteConvention = "bytes read plus bytes written per trial; write-allocate not counted (streaming loads and stores)";
  result.sizing = {
      {"lastLevelCacheBytes", double(prop.l2CacheSize), "cuda runtime"},
      {"lastLevelCacheMultiple", double(gpu::kL2Multiple), "tppverify rule"},
      {"minimumArrayBytes", double(gpu::kCudaMinArrayBytes), "tppverify rule"},
      {"freeMemoryBytes", double(freeBytes), "cudaMemGetInfo"},
      {"cappedByFreeMemory", sizing.belowRule && !request.arrayBytes, "tppverify rule"},
      {"requestedArrayBytes", double(request.arrayBytes), "request"},
      {"arrays", 3.0, "tppverify rule"},
  };

  DeviceBuffer<double> a(n), b(n), c(n);
  DeviceBuffer<double> partial(static_cast<size_t>(prop.multiProcessorCount) * 64);
  DeviceBuffer<unsigned long long> count(1);
  const Arrays x{a.get(), b.get(), c.get(), n, partial.get()};
  initArrays<<<prop.multiProcessorCount * 4, kThreadsPerBlock>>>(x.a, x.b, n);
  TPPVERIFY_CUDA_CHECK(cudaGetLastError());
  TPPVERIFY_CUDA_CHECK(cudaDeviceSynchronize());
  EventTimer timer;

  for (const KernelSpec& spec : kKernels) {
    if (!request.kernels.empty() && std::find(request.kernels.begin(), request.kernels.end(), spec.name) == request.kernels.end()) continue;
    const int blocks = std::min(persistentBlocks(spec.kind, prop.multiProcessorCount), int(partial.count()));
    result.threads = std::max(result.threads, blocks * kThreadsPerBlock);
    BandwidthKernelResult kernel;
    kernel.name = spec.name;
    kernel.engine = "cuda-16B-streaming";
    kernel.elements = n;
    kernel.bytesReadPerTrial = uint64_t(spec.arraysRead) * arrayBytes;
    kernel.bytesWrittenPerTrial = uint64_t(spec.arraysWritten) * arrayBytes;

    int launches = 1;
    for (int trial = 0; trial <= request.trials; ++trial) {
      progress({"bandwidth", spec.name, trial, request.trials});
      const double value = stream::gpuKernelValue(spec.kind, trial);
      // Poison the output (untimed): all-ones bytes are NaN doubles. The read
      // kernel's output is its per-block sums, so a sum left from an earlier trial cannot pass.
      if (spec.arraysWritten) TPPVERIFY_CUDA_CHECK(cudaMemset(x.c, 0xFF, arrayBytes));
      else TPPVERIFY_CUDA_CHECK(cudaMemset(x.partial, 0xFF, partial.count() * sizeof(double)));
      timer.start();
      for (int l = 0; l < launches; ++l) launch(spec.kind, x, blocks, value);
      const double seconds = timer.stopSeconds() / launches;
      const bool last = trial == request.trials;
      verifyTrial(spec, x, blocks, value, trial, last && request.faultKernel == spec.name, count.get());
      if (trial == 0) {
        kernel.warmupSeconds = seconds;
        launches = gpu::launchesPerTrial(seconds);
      } else {
        kernel.trialSeconds.push_back(seconds);
      }
      if (last) verifyOnHost(spec, x, value);
    }
    result.kernels.push_back(std::move(kernel));
  }
  return result;
}

}  // namespace tppverify::cuda
