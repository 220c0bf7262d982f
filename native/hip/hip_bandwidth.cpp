// DRAM bandwidth on AMD Instinct: read, write, copy, triad with 16-byte
// non-temporal accesses and a persistent grid; arrays of at least 2 GiB so the
// 256 MB Infinity Cache of MI300-class parts cannot serve them. Never run on a GPU.
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <vector>

#include "../core/stream_patterns.h"
#include "../core/gpu_host_logic.h"
#include "hip_check.h"

namespace tppverify::hip {
namespace {

constexpr int kThreadsPerBlock = 256;
constexpr int kBlocksPerCu = 4;
// 16-byte loads in flight per thread and array (the CUDA backend's figure).
constexpr int kUnroll = 4;

using Kernel = stream::GpuKernel;
using KernelSpec = stream::GpuKernelSpec;
using stream::expectedReadSum;
using stream::patternA;
using stream::patternB;
constexpr auto& kKernels = stream::kGpuKernels;
using stream::expectedGpuOutput;

struct Pair {
  double x, y;
};

__device__ Pair loadNt(const Pair* p) { return {__builtin_nontemporal_load(&p->x), __builtin_nontemporal_load(&p->y)}; }
__device__ void storeNt(Pair* p, Pair v) {
  __builtin_nontemporal_store(v.x, &p->x);
  __builtin_nontemporal_store(v.y, &p->y);
}

__global__ void initArrays(double* a, double* b, uint64_t n) {
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x) {
    a[i] = patternA(i);
    b[i] = patternB(i);
  }
}

// What each kernel does with one 16-byte pair (x from a, y from b).
template <Kernel kind>
__device__ void applyPair(Pair x, Pair y, Pair* out, double value, double& sum) {
  if constexpr (kind == Kernel::Read) sum += x.x + x.y;
  if constexpr (kind == Kernel::Write) storeNt(out, {value, value});
  if constexpr (kind == Kernel::Copy) storeNt(out, x);
  if constexpr (kind == Kernel::Triad) storeNt(out, {fma(value, y.x, x.x), fma(value, y.y, x.y)});
}

template <Kernel kind>
__device__ void loadPairs(const Pair* a, const Pair* b, uint64_t i, Pair& x, Pair& y) {
  if constexpr (kind != Kernel::Write) x = loadNt(a + i);
  if constexpr (kind == Kernel::Triad) y = loadNt(b + i);
}

// Every load of kUnroll pairs is issued before any is used, so each thread keeps
// several requests in flight (as the CUDA backend does).
template <Kernel kind>
__global__ void streamKernel(const Pair* a, const Pair* b, Pair* c, uint64_t pairs, double value, double* partial) {
  __shared__ double sums[kThreadsPerBlock];
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  double sum = 0;
  uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x;
  for (; i + (kUnroll - 1) * stride < pairs; i += kUnroll * stride) {
    Pair x[kUnroll] = {}, y[kUnroll] = {};
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) loadPairs<kind>(a, b, i + u * stride, x[u], y[u]);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) applyPair<kind>(x[u], y[u], c + i + u * stride, value, sum);
  }
  for (; i < pairs; i += stride) {
    Pair x = {}, y = {};
    loadPairs<kind>(a, b, i, x, y);
    applyPair<kind>(x, y, c + i, value, sum);
  }
  if constexpr (kind == Kernel::Read) {
    sums[threadIdx.x] = sum;
    __syncthreads();
    for (int width = kThreadsPerBlock / 2; width > 0; width /= 2) {
      if (int(threadIdx.x) < width) sums[threadIdx.x] += sums[threadIdx.x + width];
      __syncthreads();
    }
    if (threadIdx.x == 0) partial[blockIdx.x] = sums[0];
  }
}

void launchStream(Kernel kind, int blocks, const Pair* a, const Pair* b, Pair* c, uint64_t pairs, double value, double* partial) {
  switch (kind) {
    case Kernel::Read: streamKernel<Kernel::Read><<<blocks, kThreadsPerBlock>>>(a, b, c, pairs, value, partial); break;
    case Kernel::Write: streamKernel<Kernel::Write><<<blocks, kThreadsPerBlock>>>(a, b, c, pairs, value, partial); break;
    case Kernel::Copy: streamKernel<Kernel::Copy><<<blocks, kThreadsPerBlock>>>(a, b, c, pairs, value, partial); break;
    case Kernel::Triad: streamKernel<Kernel::Triad><<<blocks, kThreadsPerBlock>>>(a, b, c, pairs, value, partial); break;
  }
}

__global__ void countMismatches(Kernel kind, const double* c, uint64_t n, double value, unsigned long long* mismatches) {
  unsigned long long bad = 0;
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x) bad += c[i] != expectedGpuOutput(kind, i, value);
  if (bad) atomicAdd(mismatches, bad);
}

}  // namespace

BandwidthResult measureHipBandwidth(int device, const BandwidthRequest& request, const ProgressSink& progress) {
  TPPVERIFY_HIP_CHECK(hipSetDevice(device));
  hipDeviceProp_t prop{};
  TPPVERIFY_HIP_CHECK(hipGetDeviceProperties(&prop, device));
  gpu::requireKnownGpuKernels(request.kernels, "HIP");
  size_t freeBytes = 0, totalBytes = 0;
  TPPVERIFY_HIP_CHECK(hipMemGetInfo(&freeBytes, &totalBytes));
  // ≥ 2 GiB per array: above MI300X/MI325X's 256 MB Infinity Cache by 8× (issue 6).
  const gpu::ArraySizing sizing = gpu::sizeArrays(uint64_t(prop.l2CacheSize), freeBytes, request.arrayBytes, gpu::kHipMinArrayBytes);
  const uint64_t n = sizing.elements;
  const uint64_t arrayBytes = n * sizeof(double);
  const int blocks = prop.multiProcessorCount * kBlocksPerCu;

  BandwidthResult result;
  result.deviceId = "hip:" + std::to_string(device);
  result.threads = blocks * kThreadsPerBlock;
  result.arrayBytes = arrayBytes;
  result.byteConvention = "bytes read plus bytes written per trial; write-allocate not counted (non-temporal loads and stores)";
  result.sizing = {
      {"lastLevelCacheBytes", double(prop.l2CacheSize), "hip runtime (L2; the Infinity Cache is not reported)"},
      {"lastLevelCacheMultiple", double(gpu::kL2Multiple), "tppverify rule"},
      {"minimumArrayBytes", double(gpu::kHipMinArrayBytes), "tppverify rule"},
      {"freeMemoryBytes", double(freeBytes), "hipMemGetInfo"},
      {"requestedArrayBytes", double(request.arrayBytes), "request"},
  };

  DeviceBuffer<double> a(n), b(n), c(n), partial(static_cast<size_t>(blocks));
  DeviceBuffer<unsigned long long> count(1);
  initArrays<<<blocks, kThreadsPerBlock>>>(a.get(), b.get(), n);
  TPPVERIFY_HIP_CHECK(hipGetLastError());
  TPPVERIFY_HIP_CHECK(hipDeviceSynchronize());
  EventTimer timer;
  const auto* pa = reinterpret_cast<const Pair*>(a.get());
  const auto* pb = reinterpret_cast<const Pair*>(b.get());
  auto* pc = reinterpret_cast<Pair*>(c.get());

  for (const KernelSpec& spec : kKernels) {
    if (!request.kernels.empty() && std::find(request.kernels.begin(), request.kernels.end(), spec.name) == request.kernels.end()) continue;
    BandwidthKernelResult kernel;
    kernel.name = spec.name;
    kernel.engine = "hip-16B-nontemporal";
    kernel.elements = n;
    kernel.bytesReadPerTrial = uint64_t(spec.arraysRead) * arrayBytes;
    kernel.bytesWrittenPerTrial = uint64_t(spec.arraysWritten) * arrayBytes;
    int launches = 1;
    for (int trial = 0; trial <= request.trials; ++trial) {
      progress({"bandwidth", spec.name, trial, request.trials});
      const double value = stream::gpuKernelValue(spec.kind, trial);
      // Poison the output (untimed): all-ones bytes are NaN doubles; for read, its per-block sums.
      if (spec.arraysWritten) TPPVERIFY_HIP_CHECK(hipMemset(c.get(), 0xFF, arrayBytes));
      else TPPVERIFY_HIP_CHECK(hipMemset(partial.get(), 0xFF, partial.count() * sizeof(double)));
      timer.start();
      for (int l = 0; l < launches; ++l) launchStream(spec.kind, blocks, pa, pb, pc, n / 2, value, partial.get());
      TPPVERIFY_HIP_CHECK(hipGetLastError());
      const double seconds = timer.stopSeconds() / launches;
      const bool corrupt = trial == request.trials && request.faultKernel == spec.name;
      if (spec.kind == Kernel::Read) {
        std::vector<double> sums(static_cast<size_t>(blocks));
        TPPVERIFY_HIP_CHECK(hipMemcpy(sums.data(), partial.get(), sums.size() * sizeof(double), hipMemcpyDeviceToHost));
        double sum = corrupt ? 1.0 : 0.0;
        for (double s : sums) sum += s;
        if (sum != expectedReadSum(n)) {
          std::ostringstream detail;
          detail.precision(17);
          detail << "sum " << sum << ", expected " << expectedReadSum(n) << " (trial " << trial << ")";
          throw VerificationError(spec.name, detail.str());
        }
      } else {
        if (corrupt) {
          const double wrong = expectedGpuOutput(spec.kind, n / 2, value) + 1.0;
          TPPVERIFY_HIP_CHECK(hipMemcpy(c.get() + n / 2, &wrong, sizeof(double), hipMemcpyHostToDevice));
        }
        TPPVERIFY_HIP_CHECK(hipMemset(count.get(), 0, sizeof(unsigned long long)));
        countMismatches<<<blocks, kThreadsPerBlock>>>(spec.kind, c.get(), n, value, count.get());
        TPPVERIFY_HIP_CHECK(hipGetLastError());
        unsigned long long bad = 0;
        TPPVERIFY_HIP_CHECK(hipMemcpy(&bad, count.get(), sizeof(bad), hipMemcpyDeviceToHost));
        if (bad) throw VerificationError(spec.name, std::to_string(bad) + " of " + std::to_string(n) + " elements wrong (trial " + std::to_string(trial) + ")");
        if (trial == request.trials) {
          std::vector<double> host(n);
          TPPVERIFY_HIP_CHECK(hipMemcpy(host.data(), c.get(), arrayBytes, hipMemcpyDeviceToHost));
          for (uint64_t i = 0; i < n; ++i) {
            if (host[i] != expectedGpuOutput(spec.kind, i, value)) throw VerificationError(spec.name, "element " + std::to_string(i) + " wrong on the host");
          }
        }
      }
      if (trial == 0) {
        kernel.warmupSeconds = seconds;
        launches = gpu::launchesPerTrial(seconds);
      } else {
        kernel.trialSeconds.push_back(seconds);
      }
    }
    result.kernels.push_back(std::move(kernel));
  }
  return result;
}

}  // namespace tppverify::hip
