#include "nvrtc_stream.cuh"

#include <dlfcn.h>

#include <cctype>
#include <cstddef>
#include <string>
#include <vector>

namespace tppverify::cuda {
namespace {

// The few NVRTC C functions used, declared here because no nvrtc.h is
// installed where this builds. Signatures from the NVRTC API reference
// (docs.nvidia.com/cuda/nvrtc/index.html, "3. NVRTC API": nvrtcVersion,
// nvrtcCreateProgram, nvrtcCompileProgram, nvrtcGetProgramLogSize,
// nvrtcGetProgramLog, nvrtcGetCUBINSize, nvrtcGetCUBIN, nvrtcDestroyProgram);
// nvrtcResult is an enum whose NVRTC_SUCCESS is 0, nvrtcProgram an opaque pointer.
using NvrtcResult = int;
constexpr NvrtcResult kNvrtcSuccess = 0;
using NvrtcProgram = struct NvrtcProgramOpaque*;
using NvrtcVersionFn = NvrtcResult (*)(int* major, int* minor);
using NvrtcCreateProgramFn = NvrtcResult (*)(NvrtcProgram* prog, const char* src, const char* name, int numHeaders,
                                             const char* const* headers, const char* const* includeNames);
using NvrtcCompileProgramFn = NvrtcResult (*)(NvrtcProgram prog, int numOptions, const char* const* options);
using NvrtcGetSizeFn = NvrtcResult (*)(NvrtcProgram prog, size_t* size);
using NvrtcGetBytesFn = NvrtcResult (*)(NvrtcProgram prog, char* out);
using NvrtcDestroyProgramFn = NvrtcResult (*)(NvrtcProgram* prog);

// The sonames NVRTC ships under, newest first (CUDA 13, then 12).
constexpr const char* kNvrtcLibraries[] = {"libnvrtc.so.13", "libnvrtc.so.12"};
// A compile log is cut to this many characters in the record.
constexpr size_t kMaxLogChars = 300;

struct Nvrtc {
  void* handle = nullptr;
  std::string soname;
  NvrtcVersionFn version = nullptr;
  NvrtcCreateProgramFn create = nullptr;
  NvrtcCompileProgramFn compile = nullptr;
  NvrtcGetSizeFn logSize = nullptr;
  NvrtcGetBytesFn log = nullptr;
  NvrtcGetSizeFn cubinSize = nullptr;
  NvrtcGetBytesFn cubin = nullptr;
  NvrtcDestroyProgramFn destroy = nullptr;
};

// Loads NVRTC once per process; "" on success, else why not.
std::string loadNvrtc(Nvrtc& out) {
  for (const char* soname : kNvrtcLibraries) {
    void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) continue;
    out.handle = handle;
    out.soname = soname;
    const auto sym = [&](const char* name) { return dlsym(handle, name); };
    out.version = reinterpret_cast<NvrtcVersionFn>(sym("nvrtcVersion"));
    out.create = reinterpret_cast<NvrtcCreateProgramFn>(sym("nvrtcCreateProgram"));
    out.compile = reinterpret_cast<NvrtcCompileProgramFn>(sym("nvrtcCompileProgram"));
    out.logSize = reinterpret_cast<NvrtcGetSizeFn>(sym("nvrtcGetProgramLogSize"));
    out.log = reinterpret_cast<NvrtcGetBytesFn>(sym("nvrtcGetProgramLog"));
    out.cubinSize = reinterpret_cast<NvrtcGetSizeFn>(sym("nvrtcGetCUBINSize"));
    out.cubin = reinterpret_cast<NvrtcGetBytesFn>(sym("nvrtcGetCUBIN"));
    out.destroy = reinterpret_cast<NvrtcDestroyProgramFn>(sym("nvrtcDestroyProgram"));
    if (out.version && out.create && out.compile && out.logSize && out.log && out.cubinSize && out.cubin && out.destroy) return "";
    return std::string(soname) + " lacks an NVRTC function this harness calls";
  }
  return "NVRTC is not installed (neither libnvrtc.so.13 nor libnvrtc.so.12 loads)";
}

// The kernels' source: no header (NVRTC has none of the runtime's here), so
// streaming loads and stores and the FMA are written as PTX, exactly as the
// compiled-in kernels' __ldcs/__stcs/fma do. Same results: c = a and
// c = a + s × b, element by element, over `pairs` 16-byte pairs.
}  // namespace

std::string runtimeKernelSource(const std::string& name, int unroll) {
  return "#define U " + std::to_string(unroll) + "\n" + R"(
typedef unsigned long long u64;
__device__ __forceinline__ void ld2(const double* p, double& x, double& y) {
  asm volatile("ld.global.cs.v2.f64 {%0, %1}, [%2];" : "=d"(x), "=d"(y) : "l"(p));
}
__device__ __forceinline__ void st2(double* p, double x, double y) {
  asm volatile("st.global.cs.v2.f64 [%0], {%1, %2};" :: "l"(p), "d"(x), "d"(y) : "memory");
}
__device__ __forceinline__ double fmad(double s, double y, double x) {
  double r;
  asm("fma.rn.f64 %0, %1, %2, %3;" : "=d"(r) : "d"(s), "d"(y), "d"(x));
  return r;
}
extern "C" __global__ void )" + name + R"(_copy(const double* __restrict__ a, double* __restrict__ c, u64 pairs, int passes) {
  const u64 stride = (u64)gridDim.x * blockDim.x;
  for (int pass = 0; pass < passes; ++pass) {
    u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x;
    for (; i + (U - 1) * stride < pairs; i += U * stride) {
      double x[U], y[U];
#pragma unroll
      for (int u = 0; u < U; ++u) ld2(a + 2 * (i + u * stride), x[u], y[u]);
#pragma unroll
      for (int u = 0; u < U; ++u) st2(c + 2 * (i + u * stride), x[u], y[u]);
    }
    for (; i < pairs; i += stride) {
      double x, y;
      ld2(a + 2 * i, x, y);
      st2(c + 2 * i, x, y);
    }
  }
}
extern "C" __global__ void )" + name + R"(_triad(const double* __restrict__ a, const double* __restrict__ b, double* __restrict__ c,
                                               u64 pairs, int passes, double s) {
  const u64 stride = (u64)gridDim.x * blockDim.x;
  for (int pass = 0; pass < passes; ++pass) {
    u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x;
    for (; i + (U - 1) * stride < pairs; i += U * stride) {
      double ax[U], ay[U], bx[U], by[U];
#pragma unroll
      for (int u = 0; u < U; ++u) {
        ld2(a + 2 * (i + u * stride), ax[u], ay[u]);
        ld2(b + 2 * (i + u * stride), bx[u], by[u]);
      }
#pragma unroll
      for (int u = 0; u < U; ++u) st2(c + 2 * (i + u * stride), fmad(s, bx[u], ax[u]), fmad(s, by[u], ay[u]));
    }
    for (; i < pairs; i += stride) {
      double ax, ay, bx, by;
      ld2(a + 2 * i, ax, ay);
      ld2(b + 2 * i, bx, by);
      st2(c + 2 * i, fmad(s, bx, ax), fmad(s, by, ay));
    }
  }
}
)";
}

namespace {

std::string firstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > kMaxLogChars) line = line.substr(0, kMaxLogChars) + "...";
  return line;
}

}  // namespace

bool isPlanKernelName(const std::string& name) {
  constexpr size_t kHexDigits = 8;
  if (name.size() != 5 + kHexDigits || name.compare(0, 5, "tppv_") != 0) return false;
  for (size_t i = 5; i < name.size(); ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(name[i])) || std::isupper(static_cast<unsigned char>(name[i]))) return false;
  }
  return true;
}

RuntimeStreamKernels::RuntimeStreamKernels(int device, const std::string& name, int unroll) {
  const std::string fallback = "; the compiled-in kernels ran (copyKernel, triadKernel<" + std::to_string(unroll) + ">)";
  if (!isPlanKernelName(name)) {
    record_ = "not used: no kernel name from a run plan" + fallback;
    return;
  }
  static Nvrtc nvrtc;
  static const std::string loadError = loadNvrtc(nvrtc);
  if (!loadError.empty()) {
    record_ = "not used: " + loadError + fallback;
    return;
  }
  int major = 0, minor = 0;
  nvrtc.version(&major, &minor);
  const std::string version = "NVRTC " + std::to_string(major) + "." + std::to_string(minor) + " (" + nvrtc.soname + ")";
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    record_ = "not used: " + version + " loaded, but the device's properties could not be read" + fallback;
    return;
  }
  // A real architecture, so NVRTC emits a cubin the device runs as is.
  const std::string arch = "--gpu-architecture=sm_" + std::to_string(prop.major) + std::to_string(prop.minor);
  const char* options[] = {arch.c_str()};
  const std::string source = runtimeKernelSource(name, unroll);
  NvrtcProgram program = nullptr;
  if (nvrtc.create(&program, source.c_str(), (name + ".cu").c_str(), 0, nullptr, nullptr) != kNvrtcSuccess) {
    record_ = "not used: " + version + " could not create a program" + fallback;
    return;
  }
  std::string failure;
  std::vector<char> cubin;
  if (nvrtc.compile(program, 1, options) != kNvrtcSuccess) {
    size_t size = 0;
    std::string log;
    if (nvrtc.logSize(program, &size) == kNvrtcSuccess && size > 1) {
      log.resize(size);
      nvrtc.log(program, log.data());
      log.resize(size - 1);
    }
    failure = version + " could not compile for " + arch.substr(arch.find('=') + 1) + ": " + firstLine(log);
  } else {
    size_t size = 0;
    if (nvrtc.cubinSize(program, &size) == kNvrtcSuccess && size > 0) {
      cubin.resize(size);
      if (nvrtc.cubin(program, cubin.data()) != kNvrtcSuccess) cubin.clear();
    }
    if (cubin.empty()) failure = version + " compiled but returned no cubin";
  }
  nvrtc.destroy(&program);
  if (!failure.empty()) {
    record_ = "not used: " + failure + fallback;
    return;
  }
  cudaKernel_t copy = nullptr, triad = nullptr;
  if (cudaLibraryLoadData(&library_, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0) != cudaSuccess ||
      cudaLibraryGetKernel(&copy, library_, (name + "_copy").c_str()) != cudaSuccess ||
      cudaLibraryGetKernel(&triad, library_, (name + "_triad").c_str()) != cudaSuccess) {
    cudaGetLastError();  // clear the error, so the compiled-in kernels' launches do not report it
    record_ = "not used: the runtime could not load " + version + "'s cubin (cudaLibraryLoadData/GetKernel)" + fallback;
    return;
  }
  // The runtime takes a cudaKernel_t cast to const void* wherever it takes a __global__ function
  // (cuda_runtime_api.h, cudaLaunchKernel and cudaFuncGetAttributes notes).
  copy_ = reinterpret_cast<const void*>(copy);
  triad_ = reinterpret_cast<const void*>(triad);
  record_ = version + ": " + name + "_copy and " + name + "_triad compiled at run time for " + arch.substr(arch.find('=') + 1) +
            " (unroll " + std::to_string(unroll) + "); read and write compiled in";
}

RuntimeStreamKernels::~RuntimeStreamKernels() {
  if (library_) cudaLibraryUnload(library_);
}

}  // namespace tppverify::cuda
