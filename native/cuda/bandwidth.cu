#include "bandwidth.cuh"

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <vector>

#include "../core/stream_patterns.h"
#include "cuda_check.cuh"
#include "../core/gpu_host_logic.h"
#include "../core/protocols.h"
#include "nvrtc_stream.cuh"

namespace tppverify::cuda {
namespace {

// A 256-thread block with four 16-byte loads in flight per thread and array
// keeps enough bytes in flight per SM to cover HBM latency (BabelStream and
// nvbandwidth use the same order of magnitude). The run plan may instead ask
// 512 or 1024 threads per block (kCudaThreadsPerBlockChoices), and picks one
// of the code variants below: 4, 2 or 8 loads in flight per thread and array.
// Variants and block sizes are unproven until run on a GPU.
constexpr int kThreadsPerBlock = 256;
constexpr int kMaxThreadsPerBlock = 1024;
constexpr int kUnrollOfVariant[kCudaStreamVariants] = {4, 2, 8};

using Kernel = stream::GpuKernel;
using stream::expectedReadSum;
using stream::patternA;
using stream::patternB;
using stream::expectedGpuOutput;

__global__ void initArrays(double* a, double* b, uint64_t n) {
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x) {
    a[i] = patternA(i);
    b[i] = patternB(i);
  }
}

// Every kernel runs `passes` passes over its arrays in one launch, so a trial
// pays one launch, not one per pass. The read kernel's sum then holds
// passes × the array's sum: exact, as every partial sum is a multiple of 0.5
// far below 2^53.
template <int kUnroll>
__global__ void readKernel(const double2* __restrict__ a, uint64_t pairs, int passes, double* __restrict__ partial) {
  // Sized for the largest block the plan can ask; blockDim.x is a power of two (256, 512, 1024).
  __shared__ double blockSums[kMaxThreadsPerBlock];
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  double sum = 0;
  for (int pass = 0; pass < passes; ++pass) {
  uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
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
  }
  blockSums[threadIdx.x] = sum;
  __syncthreads();
  for (int width = int(blockDim.x) / 2; width > 0; width /= 2) {
    if (int(threadIdx.x) < width) blockSums[threadIdx.x] += blockSums[threadIdx.x + width];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = blockSums[0];
}

template <int kUnroll>
__global__ void writeKernel(double2* __restrict__ c, uint64_t pairs, int passes, double value) {
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  const double2 v = make_double2(value, value);
  for (int pass = 0; pass < passes; ++pass) {
  uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  for (; i + (kUnroll - 1) * stride < pairs; i += kUnroll * stride) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) __stcs(c + i + u * stride, v);
  }
  for (; i < pairs; i += stride) __stcs(c + i, v);
  }
}

template <int kUnroll>
__global__ void copyKernel(const double2* __restrict__ a, double2* __restrict__ c, uint64_t pairs, int passes) {
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  for (int pass = 0; pass < passes; ++pass) {
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
}

template <int kUnroll>
__global__ void triadKernel(const double2* __restrict__ a, const double2* __restrict__ b, double2* __restrict__ c,
                            uint64_t pairs, int passes, double s) {
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  for (int pass = 0; pass < passes; ++pass) {
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

template <int kUnroll>
void launchVariant(Kernel kind, const Arrays& x, int blocks, int threads, int passes, double value) {
  const uint64_t pairs = x.n / 2;
  auto* a = reinterpret_cast<const double2*>(x.a);
  auto* b = reinterpret_cast<const double2*>(x.b);
  auto* c = reinterpret_cast<double2*>(x.c);
  switch (kind) {
    case Kernel::Read: readKernel<kUnroll><<<blocks, threads>>>(a, pairs, passes, x.partial); break;
    case Kernel::Write: writeKernel<kUnroll><<<blocks, threads>>>(c, pairs, passes, value); break;
    case Kernel::Copy: copyKernel<kUnroll><<<blocks, threads>>>(a, c, pairs, passes); break;
    case Kernel::Triad: triadKernel<kUnroll><<<blocks, threads>>>(a, b, c, pairs, passes, value); break;
    case Kernel::Memcpy:
      // The second method: the runtime's own device-to-device copy, `passes`
      // copies in the stream the timer's events are recorded in (the legacy
      // default stream). Unproven until run on a GPU.
      for (int pass = 0; pass < passes; ++pass) {
        TPPVERIFY_CUDA_CHECK(cudaMemcpyAsync(x.c, x.a, x.n * sizeof(double), cudaMemcpyDeviceToDevice, 0));
      }
      break;
  }
  TPPVERIFY_CUDA_CHECK(cudaGetLastError());
}

void launch(Kernel kind, const Arrays& x, int blocks, int threads, int passes, double value, int variant) {
  switch (kUnrollOfVariant[variant]) {
    case 2: launchVariant<2>(kind, x, blocks, threads, passes, value); break;
    case 8: launchVariant<8>(kind, x, blocks, threads, passes, value); break;
    default: launchVariant<4>(kind, x, blocks, threads, passes, value); break;
  }
}

template <int kUnroll>
int residentBlocksPerSm(Kernel kind, int threads) {
  int perSm = 0;
  switch (kind) {
    case Kernel::Read: TPPVERIFY_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, readKernel<kUnroll>, threads, 0)); break;
    case Kernel::Write: TPPVERIFY_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, writeKernel<kUnroll>, threads, 0)); break;
    case Kernel::Copy: TPPVERIFY_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, copyKernel<kUnroll>, threads, 0)); break;
    case Kernel::Triad: TPPVERIFY_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, triadKernel<kUnroll>, threads, 0)); break;
    case Kernel::Memcpy: break;  // the runtime chooses its own grid; the count only sizes the check's launch
  }
  return perSm;
}

int persistentBlocks(Kernel kind, int smCount, int threads, int variant) {
  int perSm = 0;
  switch (kUnrollOfVariant[variant]) {
    case 2: perSm = residentBlocksPerSm<2>(kind, threads); break;
    case 8: perSm = residentBlocksPerSm<8>(kind, threads); break;
    default: perSm = residentBlocksPerSm<4>(kind, threads); break;
  }
  return std::max(1, perSm) * smCount;
}

// The run-time compiled copy or triad kernel for `kind`, or nullptr (then the compiled-in one runs).
const void* runtimeKernelFor(const RuntimeStreamKernels* rt, Kernel kind) {
  if (!rt || !rt->available()) return nullptr;
  return kind == Kernel::Copy ? rt->copy() : kind == Kernel::Triad ? rt->triad() : nullptr;
}

// Launches a run-time compiled kernel with the compiled-in kernel's arguments.
void launchRuntime(const void* kernel, Kernel kind, const Arrays& x, int blocks, int threads, int passes, double value) {
  unsigned long long pairs = x.n / 2;
  const double* a = x.a;
  const double* b = x.b;
  double* c = x.c;
  void* copyArgs[] = {&a, &c, &pairs, &passes};
  void* triadArgs[] = {&a, &b, &c, &pairs, &passes, &value};
  TPPVERIFY_CUDA_CHECK(cudaLaunchKernel(kernel, dim3(blocks), dim3(threads), kind == Kernel::Copy ? copyArgs : triadArgs, 0, 0));
}

// The CUDA primitives for the bandwidth protocol (native/core/protocols.h).
class CudaStreamDevice final : public protocol::BandwidthDevice {
 public:
  CudaStreamDevice(const Arrays& x, int smCount, int partialSlots, double scalar, int threadsPerBlock, int variant,
                   const RuntimeStreamKernels* runtime)
      : x_(x), smCount_(smCount), partialSlots_(partialSlots), scalar_(scalar), threads_(threadsPerBlock), variant_(variant),
        runtime_(runtime), count_(1) {}

  int variantCount() const override { return kCudaStreamVariants; }

  std::string engine() const override { return "cuda-16B-streaming"; }
  double minTrialSeconds() const override { return gpu::kMinTrialSeconds; }
  double trialValue(const protocol::StreamKernelRef& kernel, int trial) const override {
    return stream::gpuKernelValue(Kernel(kernel.kind), trial, scalar_);
  }
  int blocks(const protocol::StreamKernelRef& kernel) const {
    if (const void* rt = runtimeKernelFor(runtime_, Kernel(kernel.kind))) {
      int perSm = 0;
      TPPVERIFY_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, rt, threads_, 0));
      return std::min(std::max(1, perSm) * smCount_, partialSlots_);
    }
    return std::min(persistentBlocks(Kernel(kernel.kind), smCount_, threads_, variant_), partialSlots_);
  }

  // All-ones bytes are NaN doubles. The read kernel's output is its per-block
  // sums, so a sum left from an earlier trial cannot pass.
  void poison(const protocol::StreamKernelRef& kernel) override {
    if (kernel.arraysWritten) TPPVERIFY_CUDA_CHECK(cudaMemset(x_.c, 0xFF, x_.n * sizeof(double)));
    else TPPVERIFY_CUDA_CHECK(cudaMemset(x_.partial, 0xFF, size_t(partialSlots_) * sizeof(double)));
    TPPVERIFY_CUDA_CHECK(cudaDeviceSynchronize());
  }

  double timePasses(const protocol::StreamKernelRef& kernel, int passes, double value) override {
    passes_ = passes;
    timer_.start();
    if (const void* rt = runtimeKernelFor(runtime_, Kernel(kernel.kind))) {
      launchRuntime(rt, Kernel(kernel.kind), x_, blocks(kernel), threads_, passes, value);
    } else {
      launch(Kernel(kernel.kind), x_, blocks(kernel), threads_, passes, value, variant_);
    }
    return timer_.stopSeconds();
  }

  void corrupt(const protocol::StreamKernelRef& kernel, double value) override {
    if (Kernel(kernel.kind) == Kernel::Read) {
      readSumFault_ = 1.0;
      return;
    }
    const double wrong = expectedGpuOutput(Kernel(kernel.kind), x_.n / 2, value) + 1.0;
    TPPVERIFY_CUDA_CHECK(cudaMemcpy(x_.c + x_.n / 2, &wrong, sizeof(double), cudaMemcpyHostToDevice));
  }

  // The read kernel's per-block sums are added on the host; every other output is checked on the device.
  std::string checkOnDevice(const protocol::StreamKernelRef& kernel, double value) override {
    const Kernel kind = Kernel(kernel.kind);
    const int grid = blocks(kernel);
    std::ostringstream detail;
    detail.precision(17);
    if (kind == Kernel::Read) {
      std::vector<double> partial(static_cast<size_t>(grid));
      TPPVERIFY_CUDA_CHECK(cudaMemcpy(partial.data(), x_.partial, partial.size() * sizeof(double), cudaMemcpyDeviceToHost));
      double sum = readSumFault_;
      readSumFault_ = 0;
      for (double p : partial) sum += p;
      const double expected = double(passes_) * expectedReadSum(x_.n);
      if (sum == expected) return "";
      detail << "sum " << sum << ", expected " << expected << " (" << passes_ << " passes)";
      return detail.str();
    }
    TPPVERIFY_CUDA_CHECK(cudaMemset(count_.get(), 0, sizeof(unsigned long long)));
    countMismatches<<<grid, kThreadsPerBlock>>>(kind, x_.c, x_.n, value, count_.get());
    TPPVERIFY_CUDA_CHECK(cudaGetLastError());
    unsigned long long mismatches = 0;
    TPPVERIFY_CUDA_CHECK(cudaMemcpy(&mismatches, count_.get(), sizeof(mismatches), cudaMemcpyDeviceToHost));
    if (!mismatches) return "";
    detail << mismatches << " of " << x_.n << " elements wrong (checked on the device)";
    return detail.str();
  }

  std::string checkOnHost(const protocol::StreamKernelRef& kernel, double value) override {
    const Kernel kind = Kernel(kernel.kind);
    if (kind == Kernel::Read) return "";
    std::vector<double> host(x_.n);
    TPPVERIFY_CUDA_CHECK(cudaMemcpy(host.data(), x_.c, x_.n * sizeof(double), cudaMemcpyDeviceToHost));
    uint64_t bad = 0, first = x_.n;
    for (uint64_t i = 0; i < x_.n; ++i) {
      if (host[i] != expectedGpuOutput(kind, i, value) && !bad++) first = i;
    }
    if (!bad) return "";
    std::ostringstream detail;
    detail.precision(17);
    detail << bad << " of " << x_.n << " elements wrong on the host; first at index " << first << ": " << host[first]
           << ", expected " << expectedGpuOutput(kind, first, value);
    return detail.str();
  }

 private:
  Arrays x_;
  int smCount_, partialSlots_;
  double scalar_;
  int threads_;  // threads per block of the timed kernels
  int variant_;  // < kCudaStreamVariants, checked by the protocol before any launch
  const RuntimeStreamKernels* runtime_;  // copy and triad compiled by NVRTC, or nullptr
  DeviceBuffer<unsigned long long> count_;
  EventTimer timer_;
  int passes_ = 1;
  double readSumFault_ = 0;
};

}  // namespace

BandwidthResult measureCudaBandwidth(int device, const BandwidthRequest& request, const ProgressSink& progress) {
  TPPVERIFY_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  TPPVERIFY_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  const std::vector<protocol::StreamKernelRef> kernels = protocol::selectKernels(protocol::gpuStreamKernels("cudaMemcpyAsync-d2d"), request.kernels, "CUDA");
  size_t freeBytes = 0, totalBytes = 0;
  TPPVERIFY_CUDA_CHECK(cudaMemGetInfo(&freeBytes, &totalBytes));
  protocol::requirePlanBounds(request);
  if (request.threadsPerBlock && std::find(std::begin(kCudaThreadsPerBlockChoices), std::end(kCudaThreadsPerBlockChoices),
                                           request.threadsPerBlock) == std::end(kCudaThreadsPerBlockChoices)) {
    throw RequestError(std::to_string(request.threadsPerBlock) + " threads per block requested; the CUDA stream kernels take 256, 512 or 1024");
  }
  const gpu::ArraySizing sizing =
      gpu::sizeArrays(uint64_t(prop.l2CacheSize), freeBytes, request.arrayBytes, gpu::kCudaMinArrayBytes, request.arraySizeFactorPercent);
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
      {"preferredArrayBytes", double(gpu::kPreferredArrayBytes), "tppverify rule"},
      {"freeMemoryBytes", double(freeBytes), "cudaMemGetInfo"},
      {"cappedByFreeMemory", sizing.cappedByFreeMemory, "tppverify rule"},
      {"requestedArrayBytes", double(request.arrayBytes), "request"},
      {"arraySizeFactorPercent", double(request.arraySizeFactorPercent), "run plan"},
      {"arrays", 3.0, "tppverify rule"},
  };

  // Per-block sums of the read kernel: one slot per resident block, at most 64 per SM.
  constexpr int kMaxBlocksPerSm = 64;
  DeviceBuffer<double> a(n), b(n), c(n);
  DeviceBuffer<double> partial(static_cast<size_t>(prop.multiProcessorCount) * kMaxBlocksPerSm);
  const Arrays x{a.get(), b.get(), c.get(), n, partial.get()};
  initArrays<<<prop.multiProcessorCount * 4, kThreadsPerBlock>>>(x.a, x.b, n);
  TPPVERIFY_CUDA_CHECK(cudaGetLastError());
  TPPVERIFY_CUDA_CHECK(cudaDeviceSynchronize());
  result.streamScalar = stream::streamScalarOf(request.streamScalar);
  result.threadsPerBlock = request.threadsPerBlock ? request.threadsPerBlock : kThreadsPerBlock;
  // The variant indexes kUnrollOfVariant: refuse one out of range before any occupancy query.
  protocol::requireVariant(request.variant, kCudaStreamVariants, "CUDA bandwidth");
  // Copy and triad from source at run time, named from the nonce, with the plan's variant (unroll).
  const RuntimeStreamKernels runtime(device, request.kernelName, kUnrollOfVariant[request.variant]);
  result.runtimeCompilation = runtime.record();
  CudaStreamDevice stream(x, prop.multiProcessorCount, int(partial.count()), result.streamScalar, result.threadsPerBlock, request.variant,
                          &runtime);
  for (const protocol::StreamKernelRef& kernel : kernels) {
    result.threads = std::max(result.threads, stream.blocks(kernel) * result.threadsPerBlock);
    result.kernels.push_back(protocol::measureStreamKernel(stream, kernel, request, n, arrayBytes, progress));
  }
  return result;
}

}  // namespace tppverify::cuda
