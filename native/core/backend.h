// The one interface every measurement backend (cpu, cuda, hip) implements.
// Backends return plain structs with raw per-trial values; statistics and
// presentation happen in TypeScript so the raw numbers can be attested.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tppverify {

using AttributeValue = std::variant<std::string, double, bool, std::vector<std::string>>;

// A named device property with the place it was read from (e.g. "cpuid", "sysfs").
struct Attribute {
  std::string key;
  AttributeValue value;
  std::string source;
};

// A typed device attribute: its value (0 or "" when the device does not
// report it) and the place it was read from.
template <typename T>
struct Reported {
  T value{};
  std::string source;
};

// Peak DRAM bandwidth from the memory interface, the one formula every
// backend uses: bus width (bits) ÷ 8 × data rate (MT/s) → MB/s, ÷ 1000 → GB/s
// (shared reference measurement.md). 0 when either input is unknown.
inline double peakDramBandwidthGbps(double memoryBusWidthBits, double memoryDataRateMtps) {
  constexpr double kBitsPerByte = 8, kMegabytesPerGigabyte = 1000;
  if (memoryBusWidthBits <= 0 || memoryDataRateMtps <= 0) return 0;
  return memoryBusWidthBits / kBitsPerByte * memoryDataRateMtps / kMegabytesPerGigabyte;
}

struct DeviceInfo {
  std::string id;        // "cpu", "cuda:0", "hip:1"
  std::string vendor;
  std::string model;
  std::string unitName;  // what a compute unit is here: "core", "SM", "CU"
  int computeUnits = 0;
  // Typed, and named the same on every backend (the addon also lists them
  // first among `attributes`, with their sources).
  Reported<std::string> architecture;     // "sm_90", "gfx942", "x86-64"
  Reported<double> maxClockMhz;           // the unit clock's maximum (SM, CU or core)
  Reported<double> memoryBusWidthBits;
  Reported<double> memoryDataRateMtps;    // transfers per second per pin, in millions
  Reported<double> peakDramBandwidthGbps; // peakDramBandwidthGbps(bus width, data rate)
  bool measuresBandwidth = false;   // this build can run the bandwidth suite on it
  bool measuresThroughput = false;  // this build can run the throughput suite on it
  std::string notMeasurableReason;  // set when either flag is false
  std::vector<Attribute> attributes;     // everything else the backend reads, each with its source
};

// Sets the bus width and data rate and the peak computed from them by the one formula.
inline void setMemoryInterface(DeviceInfo& device, double busWidthBits, double dataRateMtps, const std::string& source) {
  device.memoryBusWidthBits = {busWidthBits > 0 ? busWidthBits : 0, source};
  device.memoryDataRateMtps = {dataRateMtps > 0 ? dataRateMtps : 0, source};
  device.peakDramBandwidthGbps = {peakDramBandwidthGbps(busWidthBits, dataRateMtps), "bus width / 8 x data rate"};
}

struct DeviceList {
  std::string backend;               // "cpu", "cuda", "hip"
  std::vector<DeviceInfo> devices;
  std::string emptyReason;           // why the backend sees no device
};

struct Progress {
  std::string phase;   // "bandwidth", "throughput"
  std::string kernel;  // "triad", "FP64/avx512"
  int trial = 0;       // 0 = warm-up, 1..trials = timed trials
  int trials = 0;
};
using ProgressSink = std::function<void(const Progress&)>;

// The run plan scales the sizing rule's array bytes by a factor it draws from
// the nonce (docs/run-plan.md); the result is rounded up to whole MiB so every
// backend's element multiple divides it, and a verifier recomputes it.
inline constexpr uint64_t kPlanArrayRoundingBytes = 1ull << 20;
inline constexpr int kMinArraySizeFactorPercent = 100, kMaxArraySizeFactorPercent = 150;
inline uint64_t plannedArrayBytes(uint64_t ruleBytes, int factorPercent) {
  const uint64_t scaled = (ruleBytes * uint64_t(factorPercent) + 99) / 100;
  return (scaled + kPlanArrayRoundingBytes - 1) / kPlanArrayRoundingBytes * kPlanArrayRoundingBytes;
}

struct BandwidthRequest {
  uint64_t arrayBytes = 0;            // 0: the backend's default sizing rule
  int trials = 10;
  std::vector<std::string> kernels;   // empty: every kernel
  std::string faultKernel;            // test-only: corrupt this kernel's output before it is verified
  // From the run plan (harness/plan/run-plan.ts, tppverify-run-plan@2):
  int variant = 0;                    // the code variant of every kernel in this call, below the backend's count
  double streamScalar = 0;            // s of scale and triad; 0: stream::kStreamScalar
  int arraySizeFactorPercent = 100;   // arrays = the sizing rule's bytes × this / 100 (rounded up to MiB); ignored with arrayBytes
  int threadsPerBlock = 0;            // GPU stream kernels' block size (a backend's choices); 0: the backend's default
  std::string kernelName;             // CUDA: the run-time compiled kernels' name ("tppv_" + 8 hex); "": no run-time compilation
};

struct BandwidthKernelResult {
  std::string name;                   // "read", "write", "copy", "scale", "add", "triad"
  std::string engine;                 // instruction set used, e.g. "avx512-nt"; "libc-memcpy", "cudaMemcpyAsync"
  std::string method = "native";      // "native" (our kernel) or "library" (the second method)
  uint64_t elements = 0;              // per array
  uint64_t bytesReadPerTrial = 0;
  uint64_t bytesWrittenPerTrial = 0;
  double warmupSeconds = 0;           // discarded
  std::vector<double> trialSeconds;   // one per timed trial, every trial verified
  int variant = 0;                    // the code variant that ran
  int variantCount = 1;               // how many code variants this kernel has on this backend
};

struct BandwidthResult {
  std::string deviceId;
  int threads = 0;
  uint64_t arrayBytes = 0;
  std::string byteConvention;
  std::vector<Attribute> sizing;      // how arrayBytes was chosen
  double streamScalar = 0;            // the s scale and triad used
  int threadsPerBlock = 0;            // GPU stream kernels' block size as run; 0: not applicable (CPU)
  // Whether the kernels were compiled at run time (NVRTC) and under what
  // name, or why not: "not applicable (CPU backend)", "compiled-in kernels".
  std::string runtimeCompilation;
  std::vector<BandwidthKernelResult> kernels;
};

struct ThroughputRequest {
  double secondsPerTrial = 0.1;
  int trials = 10;
  std::vector<std::string> formats;   // empty: every format the device has
  bool sweep = false;                 // also every shape/occupancy variant the backend has (GPU wgmma sweep)
  std::string faultCase;              // test-only: "FORMAT/engine" whose result is corrupted
  // The sustained phase: "FORMAT/engine" -> the work per trial the peak phase
  // calibrated (its workPerTrial). A case named here skips calibration and
  // warm-up and runs exactly that work in every trial, so a call of one trial
  // costs one trial and the rate stays comparable with the peak's.
  std::vector<std::pair<std::string, uint64_t>> fixedWork;
  int variant = 0;                    // the code variant (run plan), below the backend's count
  int operandSeed = 0;                // run plan: added to the accumulators' start values where the backend can (CPU)
};

// The second method: a kernel or case whose code is not ours (libc memcpy,
// the runtime's copy, a vendor GEMM library). One code path: the run plan's
// code variant does not apply to it.
inline bool isLibraryMethod(const std::string& method) { return method == "library"; }

// The sustained phase (work fixed per case) runs only the cases it names, our
// own kernels: the second method's library cases are measured in the peak
// phase alone (benchmarks/sustained.ts sustainedCasesOf).
inline bool runsLibraryCases(const ThroughputRequest& request) { return request.fixedWork.empty(); }

struct ThroughputCaseResult {
  std::string format;                 // "FP64", "FP32", "FP16", "BF16", "INT8", ...
  std::string engine;                 // "avx512", "amx", ...; library engines: "openblas", "cublaslt"
  std::string method = "native";      // "native" (our kernel) or "library" (a vendor GEMM loaded at run time)
  bool libraryLacksFormat = false;    // a library case: the library has no GEMM in this format by design
  bool available = false;
  std::string unavailableReason;
  double opsPerInstruction = 0;       // multiply and add counted as 2 ops
  // The most instructions one unit can retire per clock on any known part; a
  // measured rate above it is a counting bug or elided work, never a result.
  double maxInstructionsPerClockPerUnit = 0;
  double opsPerTrial = 0;             // all threads together
  uint64_t workPerTrial = 0;          // the backend's unit of work per trial (GPU loop iterations, CPU blocks)
  int threads = 0;
  int units = 0;                      // compute units those threads occupy
  std::vector<double> trialSeconds;
  std::vector<double> trialClockMhz;  // clock measured on the same threads around each trial
  std::string clockMethod;
  // GPUs, per timed trial: the host's steady clock around the synchronised
  // launch, and the device timer's span over the same trial's blocks (first
  // start to last end). The harness compares the two (issue 18: does the
  // device timer tick in real time?). Empty where the device has no timer of
  // its own (the CPU times trials with the host's steady clock itself).
  std::vector<double> trialHostSeconds;
  std::vector<double> trialTimerSeconds;
  int variant = 0;                    // the code variant that ran
  int variantCount = 1;               // how many code variants this case has on this backend
  int operandSeed = 0;                // the operand seed this case's kernel took (0 where it takes none)
};

struct ThroughputResult {
  std::string deviceId;
  std::vector<ThroughputCaseResult> cases;
};

struct ClockResult {
  std::string deviceId;
  std::string method;
  std::vector<double> mhzPerThread;
};

// Thrown when a kernel's own check of its output fails: never a number.
class VerificationError : public std::runtime_error {
 public:
  VerificationError(std::string kernel, const std::string& detail)
      : std::runtime_error(kernel + ": result verification failed: " + detail), kernel_(std::move(kernel)) {}
  const std::string& kernel() const { return kernel_; }

 private:
  std::string kernel_;
};

// Thrown when the device cannot do what was asked (device gone, out of memory, a runtime failure).
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown for a request that is wrong whatever the device's state (an unknown
// kernel, arrays larger than the memory): the caller's input, not the device.
class RequestError : public DeviceError {
 public:
  using DeviceError::DeviceError;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual DeviceList listDevices() = 0;
  virtual BandwidthResult measureBandwidth(int index, const BandwidthRequest& request, const ProgressSink& progress) = 0;
  virtual ThroughputResult measureThroughput(int index, const ThroughputRequest& request, const ProgressSink& progress) = 0;
  virtual ClockResult probeClock(int index) = 0;
};

}  // namespace tppverify
