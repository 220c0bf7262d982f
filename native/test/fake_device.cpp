// A fake device that drives the two measurement protocols of
// native/core/protocols.h through every branch, with no GPU: the CUDA and HIP
// backends run the same protocol code over their own primitives. Built by
// CMake beside the addon as tppverify-fake-device and driven by
// native/test/protocols.test.ts.
//
//   tppverify-fake-device bandwidth|throughput SCENARIO
//
// prints one JSON object: {"ok":true,...} with what the protocol recorded, or
// {"ok":false,"code":...,"message":...} with the failure it raised.
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../core/protocols.h"
#include "../core/stream_patterns.h"

namespace tppverify::fake {
namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string numbers(const std::vector<double>& values) {
  std::ostringstream out;
  out.precision(17);
  out << "[";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  out << "]";
  return out.str();
}

// ---------------------------------------------------------------- bandwidth

// The GPU-style kernels over small host arrays; a pass takes kSecondsPerPass
// by the fake timer (no real time passes). Each scenario breaks one thing.
constexpr uint64_t kElements = 4096;
constexpr double kSecondsPerPass = 0.002;

class FakeStreamDevice final : public protocol::BandwidthDevice {
 public:
  explicit FakeStreamDevice(std::string scenario) : scenario_(std::move(scenario)), c_(kElements), hostCopy_(kElements) {}

  std::string engine() const override { return "fake"; }
  double minTrialSeconds() const override { return gpu::kMinTrialSeconds; }
  double trialValue(const protocol::StreamKernelRef& kernel, int trial) const override {
    return stream::gpuKernelValue(stream::GpuKernel(kernel.kind), trial);
  }
  void poison(const protocol::StreamKernelRef&) override {
    std::fill(c_.begin(), c_.end(), std::numeric_limits<double>::quiet_NaN());
    sum_ = std::numeric_limits<double>::quiet_NaN();
  }

  double timePasses(const protocol::StreamKernelRef& kernel, int passes, double value) override {
    ++calls_;
    trial_ = calls_ - 1;  // the protocol's trial number, reruns aside (the scenarios that rerun break nothing else)
    passesSeen_.push_back(passes);
    if (scenario_ == "device-error" && trial_ == 4) throw DeviceError("fake: the device fell off the bus");
    const auto kind = stream::GpuKernel(kernel.kind);
    sum_ = 0;
    for (uint64_t i = 0; i < kElements; ++i) {
      if (kind == stream::GpuKernel::Read) sum_ += stream::patternA(i);
      else c_[i] = stream::expectedGpuOutput(kind, i, value);
    }
    if (scenario_ == "wrong-value" && trial_ == 3) {
      if (kind == stream::GpuKernel::Read) sum_ += 0.5;
      else c_[17] += 0.5;
    }
    hostCopy_ = c_;
    // A device-side check that misses an error the host copy shows.
    if (scenario_ == "wrong-on-host" && kind != stream::GpuKernel::Read) hostCopy_[99] = -1;
    if (scenario_ == "timer-backwards" && trial_ == 2) return -0.001;
    if (scenario_ == "too-short") return 1e-6;  // a timer that stands still
    // The warm-up (code loading, first touch) is slower than the passes after it.
    const double perPass = scenario_ == "slow-warmup" && trial_ == 0 ? 0.03 : kSecondsPerPass;
    return passes * perPass;
  }

  void corrupt(const protocol::StreamKernelRef& kernel, double) override {
    if (stream::GpuKernel(kernel.kind) == stream::GpuKernel::Read) sum_ += 1;
    else c_[kElements / 2] += 1;
  }

  std::string checkOnDevice(const protocol::StreamKernelRef& kernel, double value) override {
    const auto kind = stream::GpuKernel(kernel.kind);
    if (kind == stream::GpuKernel::Read) {
      return sum_ == stream::expectedReadSum(kElements) ? "" : "sum " + std::to_string(sum_) + ", expected " + std::to_string(stream::expectedReadSum(kElements));
    }
    uint64_t bad = 0;
    for (uint64_t i = 0; i < kElements; ++i) bad += c_[i] != stream::expectedGpuOutput(kind, i, value);
    return bad ? std::to_string(bad) + " of " + std::to_string(kElements) + " elements wrong (checked on the device)" : "";
  }

  std::string checkOnHost(const protocol::StreamKernelRef& kernel, double value) override {
    ++hostChecks_;
    const auto kind = stream::GpuKernel(kernel.kind);
    if (kind == stream::GpuKernel::Read) return "";
    uint64_t bad = 0;
    for (uint64_t i = 0; i < kElements; ++i) bad += hostCopy_[i] != stream::expectedGpuOutput(kind, i, value);
    return bad ? std::to_string(bad) + " of " + std::to_string(kElements) + " elements wrong on the host" : "";
  }

  void startKernel() { calls_ = 0; passesSeen_.clear(); }
  const std::vector<int>& passesSeen() const { return passesSeen_; }
  int hostChecks() const { return hostChecks_; }

 private:
  std::string scenario_;
  std::vector<double> c_, hostCopy_;
  double sum_ = 0;
  int calls_ = 0, trial_ = 0, hostChecks_ = 0;
  std::vector<int> passesSeen_;
};

std::string runBandwidth(const std::string& scenario) {
  BandwidthRequest request;
  request.trials = 10;
  if (scenario == "fault-hook") request.faultKernel = "copy";
  if (scenario == "fault-hook-memcpy") request.faultKernel = "memcpy";  // the second method is checked as strictly
  if (scenario == "unknown-kernel") request.kernels = {"scale"};
  if (scenario == "variant-out-of-range") request.variant = 1;  // the fake device has one code variant
  const auto kernels = protocol::selectKernels(protocol::gpuStreamKernels(), request.kernels, "fake");
  FakeStreamDevice device(scenario);
  std::ostringstream out;
  out << "{\"ok\":true,\"kernels\":[";
  for (size_t i = 0; i < kernels.size(); ++i) {
    device.startKernel();
    const BandwidthKernelResult r = protocol::measureStreamKernel(device, kernels[i], request, kElements, kElements * sizeof(double), [](const Progress&) {});
    std::vector<double> passes(device.passesSeen().begin(), device.passesSeen().end());
    out << (i ? "," : "") << "{\"name\":" << quoted(r.name) << ",\"engine\":" << quoted(r.engine) << ",\"method\":" << quoted(r.method)
        << ",\"warmupSeconds\":" << r.warmupSeconds
        << ",\"trialSeconds\":" << numbers(r.trialSeconds) << ",\"passesPerCall\":" << numbers(passes) << "}";
  }
  out << "],\"hostChecks\":" << device.hostChecks() << "}";
  return out.str();
}

// ---------------------------------------------------------------- throughput

// Four units, two blocks each, a 1,500 MHz clock, 1 µs per iteration by the
// event timer; the blocks' own timer spans 98 % of it. opsPerWork puts the
// rate at 1,000 ops per clock per unit, under the bound of 1,024.
constexpr int kUnits = 4, kBlocksPerUnit = 2;
constexpr double kClockMhz = 1500, kSecondsPerIteration = 1e-6, kTargetSeconds = 0.05;
constexpr double kOpsPerClockPerUnit = 1000, kBoundOpsPerClockPerUnit = 1024;

class FakeTensorCase final : public protocol::ThroughputCase {
 public:
  explicit FakeTensorCase(std::string scenario) : scenario_(std::move(scenario)) {}

  protocol::ThroughputTrial run(uint64_t work, bool corrupt) override {
    const int call = calls_++;  // 0 first run, 1 calibration, 2 warm-up, 3… timed trials 1…
    const int trial = call - 2;
    protocol::ThroughputTrial t;
    t.seconds = double(work) * kSecondsPerIteration;
    if (scenario_ == "slow-calibration" && call == 1) t.seconds *= 10;  // a calibration run that was preempted
    if (scenario_ == "too-short" && trial == 4) t.seconds *= 0.1;
    const double waveSeconds = t.seconds;
    if (scenario_ == "waves" && trial == 3) t.seconds *= 2;  // a second wave doubles the kernel's time
    if (scenario_ == "device-error" && trial == 6) throw DeviceError("fake: an illegal instruction trapped");
    if (scenario_ == "wrong-value" && trial == 5) t.mismatches = 3;
    if (corrupt) t.mismatches = 1;
    const double spanNs = waveSeconds * 1e9 * 0.98 / (scenario_ == "timer-disagrees" ? 4 : 1);
    // The host's clock around the launch: the event time and 20 µs of launch and synchronisation.
    t.hostSeconds = t.seconds + 20e-6;
    for (int b = 0; b < kUnits * kBlocksPerUnit; ++b) {
      unsigned unit = unsigned(b / kBlocksPerUnit);
      if (scenario_ == "uneven" && trial == 3 && b == kUnits * kBlocksPerUnit - 1) unit = 0;
      gpu::ClockStamp s{1000, 1000 + uint64_t(kClockMhz * spanNs / 1e3), 5000, 5000 + uint64_t(spanNs), unit, unit};
      // Trial 3: unit 1's second block starts when its first has ended (a second wave).
      if (scenario_ == "waves" && trial == 3 && b == 3) {
        s.timerStart += uint64_t(spanNs);
        s.timerEnd += uint64_t(spanNs);
      }
      if (scenario_ == "timer-backwards" && trial == 2 && b == 3) std::swap(s.timerStart, s.timerEnd);
      t.stamps.push_back(s);
    }
    works_.push_back(double(work));
    return t;
  }
  const std::vector<double>& works() const { return works_; }

 private:
  std::string scenario_;
  int calls_ = 0;
  std::vector<double> works_;
};

std::string runThroughput(const std::string& scenario) {
  const std::string label = "FAKE/fake.mma";
  ThroughputRequest request;
  request.trials = 10;
  if (scenario == "fault-hook") request.faultCase = label;
  // The sustained phase's request: work fixed (here to 5 ms, under the short-trial share of the 50 ms target).
  if (scenario == "fixed-work") request.fixedWork = {{"OTHER/case", 64}, {label, 4992}};
  if (scenario == "fixed-work-off-multiple") request.fixedWork = {{label, 4993}};
  if (scenario == "variant-out-of-range") request.variant = 1;  // the fake case has one code variant
  protocol::ThroughputShape shape;
  shape.firstRunWork = gpu::kIterationsPerPeriod;
  shape.calibrationWork = gpu::kCalibrationIterations;
  shape.minWork = gpu::kCalibrationIterations;
  shape.workMultiple = gpu::kIterationsPerPeriod;
  shape.blocksPerUnit = kBlocksPerUnit;
  shape.timerTicksPerMicrosecond = gpu::kCudaTimerTicksPerMicrosecond;
  shape.shortTrialShare = 0.25;
  shape.maxOpsPerClockPerUnit = kBoundOpsPerClockPerUnit;
  // A device whose reported maximum is below what its counters show (a counter ticking faster than assumed).
  shape.reportedMaxClockMhz = scenario == "clock-above-maximum" ? 1200 : 1600;
  // ops per iteration so that ops ÷ (event seconds × clock × units) is the fake rate.
  shape.opsPerWork = kOpsPerClockPerUnit * kUnits * kClockMhz * 1e6 * kSecondsPerIteration * 0.98 * (scenario == "implausible" ? 2 : 1);
  FakeTensorCase device(scenario);
  ThroughputCaseResult out;
  protocol::measureThroughputCase(device, shape, request, kTargetSeconds, label, [](const Progress&) {}, out);
  std::ostringstream json;
  json.precision(17);
  json << "{\"ok\":true,\"units\":" << out.units << ",\"opsPerTrial\":" << out.opsPerTrial << ",\"workPerTrial\":" << out.workPerTrial << ",\"trialSeconds\":" << numbers(out.trialSeconds)
       << ",\"trialClockMhz\":" << numbers(out.trialClockMhz) << ",\"trialHostSeconds\":" << numbers(out.trialHostSeconds)
       << ",\"trialTimerSeconds\":" << numbers(out.trialTimerSeconds) << ",\"workPerCall\":" << numbers(device.works()) << "}";
  return json.str();
}

}  // namespace
}  // namespace tppverify::fake

int main(int argc, char** argv) {
  using namespace tppverify;
  if (argc != 3 || (std::strcmp(argv[1], "bandwidth") != 0 && std::strcmp(argv[1], "throughput") != 0)) {
    std::fprintf(stderr, "usage: tppverify-fake-device bandwidth|throughput SCENARIO\n");
    return 2;
  }
  std::string line;
  try {
    line = std::strcmp(argv[1], "bandwidth") == 0 ? fake::runBandwidth(argv[2]) : fake::runThroughput(argv[2]);
  } catch (const VerificationError& e) {
    line = "{\"ok\":false,\"code\":\"VERIFICATION_FAILED\",\"kernel\":" + fake::quoted(e.kernel()) + ",\"message\":" + fake::quoted(e.what()) + "}";
  } catch (const RequestError& e) {
    line = "{\"ok\":false,\"code\":\"REQUEST_REFUSED\",\"message\":" + fake::quoted(e.what()) + "}";
  } catch (const DeviceError& e) {
    line = "{\"ok\":false,\"code\":\"DEVICE_ERROR\",\"message\":" + fake::quoted(e.what()) + "}";
  }
  std::printf("%s\n", line.c_str());
  return 0;
}
