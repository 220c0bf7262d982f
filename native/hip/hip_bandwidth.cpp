// DRAM bandwidth on AMD Instinct: read, write, copy, triad with 16-byte
// non-temporal accesses and a persistent grid; arrays of at least 2 GiB so the
// 256 MB Infinity Cache of MI300-class parts cannot serve them. Never run on a GPU.
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <vector>

#include "../core/stream_patterns.h"
#include "../core/gpu_host_logic.h"
#include "../core/protocols.h"
#include "hip_check.h"

namespace tppverify::hip {
namespace {

constexpr int kThreadsPerBlock = 256;
constexpr int kBlocksPerCu = 4;
// 16-byte loads in flight per thread and array, per code variant (the run
// plan draws one; the CUDA backend's figures): 4, 2 or 8. Unproven until run on a GPU.
constexpr int kHipStreamVariants = 3;
constexpr int kUnrollOfVariant[kHipStreamVariants] = {4, 2, 8};

using Kernel = stream::GpuKernel;
using stream::expectedReadSum;
using stream::patternA;
using stream::patternB;
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
// `passes` passes over the arrays in one launch, so a trial pays one launch;
// the read kernel's sum is then passes × the array's sum, still exact.
template <Kernel kind, int kUnroll>
__global__ void streamKernel(const Pair* a, const Pair* b, Pair* c, uint64_t pairs, int passes, double value, double* partial) {
  __shared__ double sums[kThreadsPerBlock];
  const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
  double sum = 0;
  for (int pass = 0; pass < passes; ++pass) {
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

template <int kUnroll>
void launchVariant(Kernel kind, int blocks, const Pair* a, const Pair* b, Pair* c, uint64_t pairs, int passes, double value, double* partial) {
  switch (kind) {
    case Kernel::Read: streamKernel<Kernel::Read, kUnroll><<<blocks, kThreadsPerBlock>>>(a, b, c, pairs, passes, value, partial); break;
    case Kernel::Write: streamKernel<Kernel::Write, kUnroll><<<blocks, kThreadsPerBlock>>>(a, b, c, pairs, passes, value, partial); break;
    case Kernel::Copy: streamKernel<Kernel::Copy, kUnroll><<<blocks, kThreadsPerBlock>>>(a, b, c, pairs, passes, value, partial); break;
    case Kernel::Triad: streamKernel<Kernel::Triad, kUnroll><<<blocks, kThreadsPerBlock>>>(a, b, c, pairs, passes, value, partial); break;
    case Kernel::Memcpy:
      // The second method: the runtime's own device-to-device copy, `passes`
      // copies in the null stream the timer's events are recorded in. Unproven until run on a GPU.
      for (int pass = 0; pass < passes; ++pass) {
        TPPVERIFY_HIP_CHECK(hipMemcpyAsync(c, a, pairs * sizeof(Pair), hipMemcpyDeviceToDevice, nullptr));
      }
      break;
  }
}

void launchStream(Kernel kind, int variant, int blocks, const Pair* a, const Pair* b, Pair* c, uint64_t pairs, int passes, double value,
                  double* partial) {
  switch (kUnrollOfVariant[variant]) {
    case 2: launchVariant<2>(kind, blocks, a, b, c, pairs, passes, value, partial); break;
    case 8: launchVariant<8>(kind, blocks, a, b, c, pairs, passes, value, partial); break;
    default: launchVariant<4>(kind, blocks, a, b, c, pairs, passes, value, partial); break;
  }
}

__global__ void countMismatches(Kernel kind, const double* c, uint64_t n, double value, unsigned long long* mismatches) {
  unsigned long long bad = 0;
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x) bad += c[i] != expectedGpuOutput(kind, i, value);
  if (bad) atomicAdd(mismatches, bad);
}

// The HIP primitives for the bandwidth protocol (native/core/protocols.h).
class HipStreamDevice final : public protocol::BandwidthDevice {
 public:
  HipStreamDevice(double* a, double* b, double* c, uint64_t n, double* partial, int blocks, double scalar, int variant)
      : a_(a), b_(b), c_(c), n_(n), partial_(partial), blocks_(blocks), scalar_(scalar), variant_(variant), count_(1) {}

  int variantCount() const override { return kHipStreamVariants; }

  std::string engine() const override { return "hip-16B-nontemporal"; }
  double minTrialSeconds() const override { return gpu::kMinTrialSeconds; }
  double trialValue(const protocol::StreamKernelRef& kernel, int trial) const override { return stream::gpuKernelValue(Kernel(kernel.kind), trial, scalar_); }

  // All-ones bytes are NaN doubles; for read, its per-block sums.
  void poison(const protocol::StreamKernelRef& kernel) override {
    if (kernel.arraysWritten) TPPVERIFY_HIP_CHECK(hipMemset(c_, 0xFF, n_ * sizeof(double)));
    else TPPVERIFY_HIP_CHECK(hipMemset(partial_, 0xFF, size_t(blocks_) * sizeof(double)));
    TPPVERIFY_HIP_CHECK(hipDeviceSynchronize());
  }

  double timePasses(const protocol::StreamKernelRef& kernel, int passes, double value) override {
    passes_ = passes;
    timer_.start();
    launchStream(Kernel(kernel.kind), variant_, blocks_, reinterpret_cast<const Pair*>(a_), reinterpret_cast<const Pair*>(b_), reinterpret_cast<Pair*>(c_),
                 n_ / 2, passes, value, partial_);
    TPPVERIFY_HIP_CHECK(hipGetLastError());
    return timer_.stopSeconds();
  }

  void corrupt(const protocol::StreamKernelRef& kernel, double value) override {
    if (Kernel(kernel.kind) == Kernel::Read) {
      readSumFault_ = 1.0;
      return;
    }
    const double wrong = expectedGpuOutput(Kernel(kernel.kind), n_ / 2, value) + 1.0;
    TPPVERIFY_HIP_CHECK(hipMemcpy(c_ + n_ / 2, &wrong, sizeof(double), hipMemcpyHostToDevice));
  }

  std::string checkOnDevice(const protocol::StreamKernelRef& kernel, double value) override {
    const Kernel kind = Kernel(kernel.kind);
    std::ostringstream detail;
    detail.precision(17);
    if (kind == Kernel::Read) {
      std::vector<double> sums(static_cast<size_t>(blocks_));
      TPPVERIFY_HIP_CHECK(hipMemcpy(sums.data(), partial_, sums.size() * sizeof(double), hipMemcpyDeviceToHost));
      double sum = readSumFault_;
      readSumFault_ = 0;
      for (double s : sums) sum += s;
      const double expected = double(passes_) * expectedReadSum(n_);
      if (sum == expected) return "";
      detail << "sum " << sum << ", expected " << expected << " (" << passes_ << " passes)";
      return detail.str();
    }
    TPPVERIFY_HIP_CHECK(hipMemset(count_.get(), 0, sizeof(unsigned long long)));
    countMismatches<<<blocks_, kThreadsPerBlock>>>(kind, c_, n_, value, count_.get());
    TPPVERIFY_HIP_CHECK(hipGetLastError());
    unsigned long long bad = 0;
    TPPVERIFY_HIP_CHECK(hipMemcpy(&bad, count_.get(), sizeof(bad), hipMemcpyDeviceToHost));
    if (!bad) return "";
    detail << bad << " of " << n_ << " elements wrong (checked on the device)";
    return detail.str();
  }

  std::string checkOnHost(const protocol::StreamKernelRef& kernel, double value) override {
    const Kernel kind = Kernel(kernel.kind);
    if (kind == Kernel::Read) return "";
    std::vector<double> host(n_);
    TPPVERIFY_HIP_CHECK(hipMemcpy(host.data(), c_, n_ * sizeof(double), hipMemcpyDeviceToHost));
    for (uint64_t i = 0; i < n_; ++i) {
      if (host[i] != expectedGpuOutput(kind, i, value)) return "element " + std::to_string(i) + " wrong on the host";
    }
    return "";
  }

 private:
  double *a_, *b_, *c_;
  uint64_t n_;
  double* partial_;
  int blocks_;
  double scalar_;
  int variant_;  // < kHipStreamVariants, checked before any launch
  DeviceBuffer<unsigned long long> count_;
  EventTimer timer_;
  int passes_ = 1;
  double readSumFault_ = 0;
};

}  // namespace

BandwidthResult measureHipBandwidth(int device, const BandwidthRequest& request, const ProgressSink& progress) {
  TPPVERIFY_HIP_CHECK(hipSetDevice(device));
  hipDeviceProp_t prop{};
  TPPVERIFY_HIP_CHECK(hipGetDeviceProperties(&prop, device));
  const std::vector<protocol::StreamKernelRef> kernels = protocol::selectKernels(protocol::gpuStreamKernels("hipMemcpyAsync-d2d"), request.kernels, "HIP");
  size_t freeBytes = 0, totalBytes = 0;
  TPPVERIFY_HIP_CHECK(hipMemGetInfo(&freeBytes, &totalBytes));
  // ≥ 2 GiB per array: above MI300X/MI325X's 256 MB Infinity Cache by 8× (issue 6).
  protocol::requirePlanBounds(request);
  const gpu::ArraySizing sizing =
      gpu::sizeArrays(uint64_t(prop.l2CacheSize), freeBytes, request.arrayBytes, gpu::kHipMinArrayBytes, request.arraySizeFactorPercent);
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
      {"preferredArrayBytes", double(gpu::kPreferredArrayBytes), "tppverify rule"},
      {"freeMemoryBytes", double(freeBytes), "hipMemGetInfo"},
      {"requestedArrayBytes", double(request.arrayBytes), "request"},
      {"cappedByFreeMemory", sizing.cappedByFreeMemory, "tppverify rule"},
      {"arraySizeFactorPercent", double(request.arraySizeFactorPercent), "run plan"},
  };
  result.streamScalar = stream::streamScalarOf(request.streamScalar);
  result.runtimeCompilation = "not used: the compiled-in kernels ran (hipRTC is not wired in)";
  // One block size on HIP so far: a request for another is refused, not silently ignored.
  if (request.threadsPerBlock && request.threadsPerBlock != kThreadsPerBlock) {
    throw RequestError(std::to_string(request.threadsPerBlock) + " threads per block requested; the HIP stream kernels take " +
                       std::to_string(kThreadsPerBlock));
  }
  result.threadsPerBlock = kThreadsPerBlock;

  DeviceBuffer<double> a(n), b(n), c(n), partial(static_cast<size_t>(blocks));
  initArrays<<<blocks, kThreadsPerBlock>>>(a.get(), b.get(), n);
  TPPVERIFY_HIP_CHECK(hipGetLastError());
  TPPVERIFY_HIP_CHECK(hipDeviceSynchronize());
  protocol::requireVariant(request.variant, kHipStreamVariants, "HIP bandwidth");
  HipStreamDevice stream(a.get(), b.get(), c.get(), n, partial.get(), blocks, result.streamScalar, request.variant);
  for (const protocol::StreamKernelRef& kernel : kernels) {
    result.kernels.push_back(protocol::measureStreamKernel(stream, kernel, request, n, arrayBytes, progress));
  }
  return result;
}

}  // namespace tppverify::hip
