// cuBLASLt as the second method (cublaslt_gemm.cuh). Inputs are small
// integers (0, 1, 2; a new arrangement per run from a run counter), exact in
// every input format, so every entry of D is an integer ≤ 4n, exact in the
// FP32/FP64/INT32 output whatever the library's summation order. Each run is
// checked on the host: every row and column sum of D against A·(B·1) and
// (1ᵀA)·B, and kCublasLtSampledEntries entries recomputed exactly.
// Unproven until run on a GPU.
#include "cublaslt_gemm.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "../core/gemm_check.h"
#include "../core/protocols.h"
#include "cublaslt_abi.h"
#include "cuda_check.cuh"

namespace tppverify::cuda {
namespace {

// Tried in this order: CUDA 13's soname, then CUDA 12's.
const char* const kCublasLtSonames[] = {"libcublasLt.so.13", "libcublasLt.so.12"};
// cuBLASLt's documentation recommends at least 32 MiB of workspace on Hopper and later.
constexpr size_t kWorkspaceBytes = 64ull << 20;
// The trial length where the request names none: the native tensor cases' default.
constexpr double kDefaultTrialSeconds = 0.05;

struct CublasLt {
  std::string soname, loadError;
  lt::CreateFn create = nullptr;
  lt::DestroyFn destroy = nullptr;
  lt::MatmulDescCreateFn descCreate = nullptr;
  lt::MatmulDescDestroyFn descDestroy = nullptr;
  lt::MatmulDescSetAttributeFn descSet = nullptr;
  lt::MatrixLayoutCreateFn layoutCreate = nullptr;
  lt::MatrixLayoutDestroyFn layoutDestroy = nullptr;
  lt::PreferenceCreateFn prefCreate = nullptr;
  lt::PreferenceDestroyFn prefDestroy = nullptr;
  lt::PreferenceSetAttributeFn prefSet = nullptr;
  lt::AlgoGetHeuristicFn heuristic = nullptr;
  lt::MatmulFn matmul = nullptr;
};

template <typename Fn>
bool bind(void* handle, const char* name, Fn& fn, std::string& missing) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!fn) missing += std::string(missing.empty() ? "" : ", ") + name;
  return fn != nullptr;
}

// Loaded once per process and never closed.
const CublasLt& cublasLt() {
  static CublasLt lib;
  static std::once_flag once;
  std::call_once(once, [] {
    void* handle = nullptr;
    std::string errors;
    for (const char* soname : kCublasLtSonames) {
      handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
      if (handle) {
        lib.soname = soname;
        break;
      }
      const char* error = dlerror();
      errors += std::string(errors.empty() ? "" : "; ") + "dlopen " + soname + ": " + (error ? error : "unknown error");
    }
    if (!handle) {
      lib.loadError = errors;
      return;
    }
    std::string missing;
    bind(handle, "cublasLtCreate", lib.create, missing);
    bind(handle, "cublasLtDestroy", lib.destroy, missing);
    bind(handle, "cublasLtMatmulDescCreate", lib.descCreate, missing);
    bind(handle, "cublasLtMatmulDescDestroy", lib.descDestroy, missing);
    bind(handle, "cublasLtMatmulDescSetAttribute", lib.descSet, missing);
    bind(handle, "cublasLtMatrixLayoutCreate", lib.layoutCreate, missing);
    bind(handle, "cublasLtMatrixLayoutDestroy", lib.layoutDestroy, missing);
    bind(handle, "cublasLtMatmulPreferenceCreate", lib.prefCreate, missing);
    bind(handle, "cublasLtMatmulPreferenceDestroy", lib.prefDestroy, missing);
    bind(handle, "cublasLtMatmulPreferenceSetAttribute", lib.prefSet, missing);
    bind(handle, "cublasLtMatmulAlgoGetHeuristic", lib.heuristic, missing);
    bind(handle, "cublasLtMatmul", lib.matmul, missing);
    if (!missing.empty()) lib.loadError = lib.soname + " lacks " + missing;
  });
  return lib;
}

void checkLt(lt::Status status, const char* what) {
  if (status != lt::kStatusSuccess) throw DeviceError(std::string(what) + ": cuBLASLt status " + std::to_string(status));
}

// The SM clock from NVML around each trial, where NVML loads and finds the device.
struct NvmlClock {
  lt::nvml::ClockInfoFn clockInfo = nullptr;
  lt::nvml::Device device = nullptr;
  double mhz() const {
    unsigned int value = 0;
    return clockInfo && clockInfo(device, lt::nvml::kClockSm, &value) == lt::nvml::kSuccess ? double(value) : 0;
  }
};

NvmlClock nvmlClockFor(int cudaDevice) {
  NvmlClock out;
  void* handle = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle) return out;
  auto init = reinterpret_cast<lt::nvml::InitFn>(dlsym(handle, "nvmlInit_v2"));
  auto byBus = reinterpret_cast<lt::nvml::HandleByPciBusIdFn>(dlsym(handle, "nvmlDeviceGetHandleByPciBusId_v2"));
  auto clock = reinterpret_cast<lt::nvml::ClockInfoFn>(dlsym(handle, "nvmlDeviceGetClockInfo"));
  char bus[32] = {};
  if (!init || !byBus || !clock || init() != lt::nvml::kSuccess) return out;
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, cudaDevice) != cudaSuccess) return out;
  if (byBus(bus, &out.device) != lt::nvml::kSuccess) return out;
  out.clockInfo = clock;
  return out;
}

enum class Element { F64, F32, F16, BF16, E4M3, S8, S32 };

size_t bytesOf(Element e) {
  switch (e) {
    case Element::F64: return 8;
    case Element::F32: case Element::S32: return 4;
    case Element::F16: case Element::BF16: return 2;
    case Element::E4M3: case Element::S8: return 1;
  }
  return 0;
}

cudaDataType_t typeOf(Element e) {
  switch (e) {
    case Element::F64: return CUDA_R_64F;
    case Element::F32: return CUDA_R_32F;
    case Element::F16: return CUDA_R_16F;
    case Element::BF16: return CUDA_R_16BF;
    case Element::E4M3: return CUDA_R_8F_E4M3;
    case Element::S8: return CUDA_R_8I;
    case Element::S32: return CUDA_R_32I;
  }
  return CUDA_R_32F;
}

// One format as cuBLASLt computes it (documentation, cublasLtMatmul's table
// of supported type combinations): inputs, output (C = D), compute and scale type.
struct LtFormat {
  const char* format;
  int minComputeCapability;  // 0: a named gap (gapReason), not a library case
  int computeType;
  Element ab, cd;
  cudaDataType_t scaleType;
  const char* gapReason;
};

const LtFormat kLtFormats[] = {
    {"FP64", 0, 0, Element::F64, Element::F64, CUDA_R_64F,
     "cuBLASLt runs FP64 GEMMs on the FP64 tensor cores (its figure is FP64_TENSOR's second method): no CUDA-core FP64 GEMM"},
    {"FP64_TENSOR", 80, lt::kCompute64F, Element::F64, Element::F64, CUDA_R_64F, nullptr},
    {"FP32", 50, lt::kCompute32F, Element::F32, Element::F32, CUDA_R_32F, nullptr},
    {"TF32", 80, lt::kCompute32FFastTf32, Element::F32, Element::F32, CUDA_R_32F, nullptr},
    {"FP16", 70, lt::kCompute32F, Element::F16, Element::F32, CUDA_R_32F, nullptr},
    {"BF16", 80, lt::kCompute32F, Element::BF16, Element::F32, CUDA_R_32F, nullptr},
    {"FP8", 89, lt::kCompute32F, Element::E4M3, Element::F32, CUDA_R_32F, nullptr},
    {"INT8", 75, lt::kCompute32I, Element::S8, Element::S32, CUDA_R_32I, nullptr},
};

// a(i, k) = (i + 2k + run) mod 3 stored column-major as K×M (A is transposed
// in the GEMM: cuBLASLt's FP8 and INT8 kernels need the "TN" layout, so every
// format uses it); b(k, j) = (k + 2j + 2·run) mod 3 stored K×N.
__host__ __device__ inline int patternA(uint64_t i, uint64_t k, uint64_t run) { return int((i + 2 * k + run) % 3); }
__host__ __device__ inline int patternB(uint64_t k, uint64_t j, uint64_t run) { return int((k + 2 * j + 2 * run) % 3); }

template <typename T>
__device__ T fromSmall(int v);
template <> __device__ double fromSmall<double>(int v) { return double(v); }
template <> __device__ float fromSmall<float>(int v) { return float(v); }
template <> __device__ __half fromSmall<__half>(int v) { return __int2half_rn(v); }
template <> __device__ __nv_bfloat16 fromSmall<__nv_bfloat16>(int v) { return __int2bfloat16_rn(v); }
template <> __device__ __nv_fp8_e4m3 fromSmall<__nv_fp8_e4m3>(int v) { return __nv_fp8_e4m3(float(v)); }
template <> __device__ int8_t fromSmall<int8_t>(int v) { return int8_t(v); }

// Element (k, col) of a K×n column-major matrix at k + col·K.
template <typename T>
__global__ void fillPattern(T* out, uint64_t k, uint64_t count, uint64_t run, int isB) {
  for (uint64_t idx = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; idx < count; idx += uint64_t(gridDim.x) * blockDim.x) {
    const uint64_t row = idx % k, col = idx / k;
    out[idx] = fromSmall<T>(isB ? patternB(row, col, run) : patternA(col, row, run));
  }
}

constexpr int kFillBlocks = 1024, kFillThreads = 256;

void fill(Element e, void* out, uint64_t k, uint64_t count, uint64_t run, int isB) {
  switch (e) {
    case Element::F64: fillPattern<<<kFillBlocks, kFillThreads>>>(static_cast<double*>(out), k, count, run, isB); break;
    case Element::F32: fillPattern<<<kFillBlocks, kFillThreads>>>(static_cast<float*>(out), k, count, run, isB); break;
    case Element::F16: fillPattern<<<kFillBlocks, kFillThreads>>>(static_cast<__half*>(out), k, count, run, isB); break;
    case Element::BF16: fillPattern<<<kFillBlocks, kFillThreads>>>(static_cast<__nv_bfloat16*>(out), k, count, run, isB); break;
    case Element::E4M3: fillPattern<<<kFillBlocks, kFillThreads>>>(static_cast<__nv_fp8_e4m3*>(out), k, count, run, isB); break;
    case Element::S8: fillPattern<<<kFillBlocks, kFillThreads>>>(static_cast<int8_t*>(out), k, count, run, isB); break;
    case Element::S32: break;  // never an input
  }
  TPPVERIFY_CUDA_CHECK(cudaGetLastError());
}

// NVML's SM clock is sampled this often while a trial's GEMMs run.
constexpr std::chrono::milliseconds kClockSampleInterval{2};

struct Event {
  cudaEvent_t event{};
  Event() { TPPVERIFY_CUDA_CHECK(cudaEventCreate(&event)); }
  ~Event() { cudaEventDestroy(event); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

class RawBuffer {
 public:
  explicit RawBuffer(size_t bytes) { TPPVERIFY_CUDA_CHECK(cudaMalloc(&ptr_, bytes)); }
  ~RawBuffer() { cudaFree(ptr_); }
  RawBuffer(const RawBuffer&) = delete;
  RawBuffer& operator=(const RawBuffer&) = delete;
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
};

// The GEMM's descriptors and the chosen algorithm, released with it.
class LtGemm {
 public:
  LtGemm(const CublasLt& lib, const LtFormat& f, int n) : lib_(lib) {
    try {
      build(f, n);
    } catch (...) {
      release();  // the destructor does not run for a constructor that throws
      throw;
    }
  }
  ~LtGemm() { release(); }
  LtGemm(const LtGemm&) = delete;
  LtGemm& operator=(const LtGemm&) = delete;

  void run(const void* alpha, const void* beta, const void* a, const void* b, void* d, void* workspace) {
    // C is D with beta = 0: cuBLASLt does not read it.
    checkLt(lib_.matmul(handle_, desc_, alpha, a, a_, b, b_, beta, d, d_, d, d_, &algo_, workspace, kWorkspaceBytes, 0), "cublasLtMatmul");
  }

 private:
  void build(const LtFormat& f, int n) {
    const CublasLt& lib = lib_;
    checkLt(lib.create(&handle_), "cublasLtCreate");
    checkLt(lib.descCreate(&desc_, f.computeType, f.scaleType), "cublasLtMatmulDescCreate");
    checkLt(lib.descSet(desc_, lt::kDescTransA, &lt::kOpT, sizeof lt::kOpT), "cublasLtMatmulDescSetAttribute(TRANSA)");
    checkLt(lib.descSet(desc_, lt::kDescTransB, &lt::kOpN, sizeof lt::kOpN), "cublasLtMatmulDescSetAttribute(TRANSB)");
    checkLt(lib.layoutCreate(&a_, typeOf(f.ab), n, n, n), "cublasLtMatrixLayoutCreate(A)");
    checkLt(lib.layoutCreate(&b_, typeOf(f.ab), n, n, n), "cublasLtMatrixLayoutCreate(B)");
    checkLt(lib.layoutCreate(&d_, typeOf(f.cd), n, n, n), "cublasLtMatrixLayoutCreate(D)");
    checkLt(lib.prefCreate(&pref_), "cublasLtMatmulPreferenceCreate");
    const uint64_t workspace = kWorkspaceBytes;
    checkLt(lib.prefSet(pref_, lt::kPrefMaxWorkspaceBytes, &workspace, sizeof workspace), "cublasLtMatmulPreferenceSetAttribute");
    lt::HeuristicResult result{};
    int returned = 0;
    checkLt(lib.heuristic(handle_, desc_, a_, b_, d_, d_, pref_, 1, &result, &returned), "cublasLtMatmulAlgoGetHeuristic");
    if (returned < 1) throw DeviceError(std::string("cuBLASLt has no algorithm for this ") + f.format + " GEMM on this device");
    algo_ = result.algo;
  }
  void release() {
    if (pref_) lib_.prefDestroy(pref_);
    if (d_) lib_.layoutDestroy(d_);
    if (b_) lib_.layoutDestroy(b_);
    if (a_) lib_.layoutDestroy(a_);
    if (desc_) lib_.descDestroy(desc_);
    if (handle_) lib_.destroy(handle_);
    pref_ = d_ = b_ = a_ = desc_ = handle_ = nullptr;
  }

  const CublasLt& lib_;
  lt::Handle handle_ = nullptr;
  lt::MatmulDesc desc_ = nullptr;
  lt::MatrixLayout a_ = nullptr, b_ = nullptr, d_ = nullptr;
  lt::MatmulPreference pref_ = nullptr;
  lt::MatmulAlgo algo_{};
};

class CublasLtCase final : public protocol::ThroughputCase {
 public:
  CublasLtCase(const CublasLt& lib, const LtFormat& f, int n, double reportedMaxMhz, const NvmlClock& clock, int units)
      : f_(f), n_(n), reportedMaxMhz_(reportedMaxMhz), clock_(clock), units_(units),
        a_(size_t(n) * n * bytesOf(f.ab)), b_(size_t(n) * n * bytesOf(f.ab)), d_(size_t(n) * n * bytesOf(f.cd)),
        workspace_(kWorkspaceBytes), gemm_(lib, f, n), host_(size_t(n) * n * bytesOf(f.cd)) {}

  protocol::ThroughputTrial run(uint64_t gemms, bool corrupt) override {
    const uint64_t runNumber = ++runs_;
    const uint64_t count = uint64_t(n_) * n_;
    fill(f_.ab, a_.get(), n_, count, runNumber, 0);
    fill(f_.ab, b_.get(), n_, count, runNumber, 1);
    TPPVERIFY_CUDA_CHECK(cudaMemset(d_.get(), 0xFF, count * bytesOf(f_.cd)));  // NaN (or -1): a GEMM that writes nothing fails
    TPPVERIFY_CUDA_CHECK(cudaDeviceSynchronize());
    const double one64 = 1, zero64 = 0;
    const float one32 = 1, zero32 = 0;
    const int32_t oneI = 1, zeroI = 0;
    const void* alpha = f_.scaleType == CUDA_R_64F ? static_cast<const void*>(&one64) : f_.scaleType == CUDA_R_32I ? static_cast<const void*>(&oneI) : &one32;
    const void* beta = f_.scaleType == CUDA_R_64F ? static_cast<const void*>(&zero64) : f_.scaleType == CUDA_R_32I ? static_cast<const void*>(&zeroI) : &zero32;
    protocol::ThroughputTrial t;
    TPPVERIFY_CUDA_CHECK(cudaEventRecord(start_.event));
    for (uint64_t g = 0; g < gemms; ++g) gemm_.run(alpha, beta, a_.get(), b_.get(), d_.get(), workspace_.get());
    TPPVERIFY_CUDA_CHECK(cudaEventRecord(stop_.event));
    // The SM clock under the GEMMs' load: NVML sampled while they run (the
    // calls above return once queued), not before or after, when the SMs idle.
    std::vector<double> samples;
    cudaError_t state = cudaEventQuery(stop_.event);
    while (state == cudaErrorNotReady) {
      const double mhz = clock_.mhz();
      if (mhz > 0) samples.push_back(mhz);
      std::this_thread::sleep_for(kClockSampleInterval);
      state = cudaEventQuery(stop_.event);
    }
    TPPVERIFY_CUDA_CHECK(state);
    float ms = 0;
    TPPVERIFY_CUDA_CHECK(cudaEventElapsedTime(&ms, start_.event, stop_.event));
    t.seconds = ms / 1e3;
    if (samples.empty() && clock_.mhz() > 0) samples.push_back(clock_.mhz());  // a trial shorter than one sample
    // Without NVML the reported maximum: never below the clock the SMs ran at, so the per-clock figure errs low.
    t.clockMhz = samples.empty() ? reportedMaxMhz_ : protocol::medianOf(samples);
    t.units = units_;
    TPPVERIFY_CUDA_CHECK(cudaMemcpy(host_.data(), d_.get(), host_.size(), cudaMemcpyDeviceToHost));
    if (corrupt) setD(size_t(n_ / 2) * n_ + size_t(n_ / 3), dAt(size_t(n_ / 2) * n_ + size_t(n_ / 3)) + 1);
    t.mismatches = check(runNumber);
    return t;
  }

 private:
  double dAt(size_t i) const {
    const unsigned char* p = host_.data() + i * bytesOf(f_.cd);
    if (f_.cd == Element::F64) { double v; std::memcpy(&v, p, 8); return v; }
    if (f_.cd == Element::S32) { int32_t v; std::memcpy(&v, p, 4); return double(v); }
    float v;
    std::memcpy(&v, p, 4);
    return double(v);
  }
  void setD(size_t i, double value) {
    unsigned char* p = host_.data() + i * bytesOf(f_.cd);
    if (f_.cd == Element::F64) { std::memcpy(p, &value, 8); return; }
    if (f_.cd == Element::S32) { const int32_t v = int32_t(value); std::memcpy(p, &v, 4); return; }
    const float v = float(value);
    std::memcpy(p, &v, 4);
  }

  // D is column-major M×N: D(i, j) at i + j·n.
  uint64_t check(uint64_t run) const {
    const size_t n = size_t(n_);
    return gemm::countWrongEntries(
        n, run, kCublasLtSampledEntries, [&](size_t i, size_t k) { return patternA(i, k, run); },
        [&](size_t k, size_t j) { return patternB(k, j, run); }, [&](size_t i, size_t j) { return dAt(i + j * n); });
  }

  const LtFormat& f_;
  int n_;
  double reportedMaxMhz_;
  const NvmlClock& clock_;
  int units_;
  uint64_t runs_ = 0;
  RawBuffer a_, b_, d_, workspace_;
  LtGemm gemm_;
  std::vector<unsigned char> host_;
  Event start_, stop_;
};

}  // namespace

std::vector<ThroughputCaseResult> measureCublasLtFormat(int device, const std::string& format, double maxOpsPerClockPerSm,
                                                        const ThroughputRequest& request, const ProgressSink& progress) {
  const LtFormat* f = nullptr;
  for (const LtFormat& x : kLtFormats) if (format == x.format) f = &x;
  if (!f) return {};
  TPPVERIFY_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  TPPVERIFY_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  const int cc = prop.major * 10 + prop.minor;
  int clockKhz = 0;
  TPPVERIFY_CUDA_CHECK(cudaDeviceGetAttribute(&clockKhz, cudaDevAttrClockRate, device));
  const double opsPerGemm = 2.0 * double(kCublasLtGemmSize) * kCublasLtGemmSize * kCublasLtGemmSize;
  const NvmlClock clock = nvmlClockFor(device);

  ThroughputCaseResult out;
  out.format = f->format;
  out.engine = "cublaslt";
  out.method = "library";
  out.opsPerInstruction = opsPerGemm;  // one "instruction" is one whole GEMM
  out.maxInstructionsPerClockPerUnit = maxOpsPerClockPerSm / opsPerGemm;
  out.units = prop.multiProcessorCount;
  out.clockMethod = clock.clockInfo ? "NVML SM clock (nvmlDeviceGetClockInfo), the median of samples every 2 ms while the trial's GEMMs run; units: the device's SM count"
                                    : "the reported maximum SM clock (cudaDevAttrClockRate), not measured: NVML was not available; units: the device's SM count";
  const CublasLt& lib = cublasLt();
  std::string reason;
  if (f->gapReason) {
    reason = f->gapReason;
    out.libraryLacksFormat = true;
  } else if (!lib.loadError.empty()) {
    reason = lib.loadError;
  } else if (cc < f->minComputeCapability) {
    reason = std::string("cuBLASLt ") + f->format + " needs compute capability " + std::to_string(f->minComputeCapability / 10) + "." +
             std::to_string(f->minComputeCapability % 10) + " or newer";
    out.libraryLacksFormat = true;  // the part has no such unit: nothing to compare, not a failure
  }
  if (!reason.empty()) {
    out.available = false;
    out.unavailableReason = reason;
    return {out};
  }
  protocol::ThroughputShape shape;
  shape.firstRunWork = 1;  // loads the library's kernels
  shape.calibrationWork = 1;
  shape.minWork = 1;
  shape.maxWork = gpu::kMaxTrialIterations;
  shape.opsPerWork = opsPerGemm;
  shape.shortTrialShare = protocol::kShortTrialShare;
  shape.maxOpsPerClockPerUnit = maxOpsPerClockPerSm;
  const double target = request.secondsPerTrial > 0 ? request.secondsPerTrial : kDefaultTrialSeconds;
  ThroughputCaseResult measured = out;
  measured.available = true;
  measured.units = 0;  // set from the trials
  try {
    CublasLtCase run(lib, *f, kCublasLtGemmSize, clockKhz / 1e3, clock, prop.multiProcessorCount);
    protocol::measureThroughputCase(run, shape, request, target, out.format + "/" + out.engine, progress, measured);
  } catch (const RequestError&) {
    throw;
  } catch (const DeviceError& e) {
    // The library refused or failed (no algorithm, a status, out of memory):
    // the case is unavailable with that reason, and step 8 names it. A wrong
    // result is a VerificationError and fails the run, as for our kernels.
    cudaGetLastError();
    out.available = false;
    out.unavailableReason = std::string(lib.soname) + ": " + e.what();
    return {out};
  }
  return {measured};
}

}  // namespace tppverify::cuda
