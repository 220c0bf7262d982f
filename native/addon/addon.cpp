// Thin node-addon-api binding: converts requests from JS, runs measurements on
// a worker thread with progress events, converts the backend's structs back.
#include <napi.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/backend.h"
#include "../core/gpu_host_logic.h"
#include "../core/protocols.h"
#include "backends.h"
#include "../nvml/nvml_addon.h"

namespace tppverify::addon {
namespace {

Napi::Value toJs(Napi::Env env, const AttributeValue& value) {
  if (auto text = std::get_if<std::string>(&value)) return Napi::String::New(env, *text);
  if (auto number = std::get_if<double>(&value)) return Napi::Number::New(env, *number);
  if (auto flag = std::get_if<bool>(&value)) return Napi::Boolean::New(env, *flag);
  const auto& list = std::get<std::vector<std::string>>(value);
  Napi::Array array = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) array.Set(uint32_t(i), list[i]);
  return array;
}

Napi::Array toJs(Napi::Env env, const std::vector<Attribute>& attributes) {
  Napi::Array array = Napi::Array::New(env, attributes.size());
  for (size_t i = 0; i < attributes.size(); ++i) {
    Napi::Object item = Napi::Object::New(env);
    item.Set("key", attributes[i].key);
    item.Set("value", toJs(env, attributes[i].value));
    item.Set("source", attributes[i].source);
    array.Set(uint32_t(i), item);
  }
  return array;
}

Napi::Array toJs(Napi::Env env, const std::vector<double>& values) {
  Napi::Array array = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) array.Set(uint32_t(i), values[i]);
  return array;
}

Napi::Object toJs(Napi::Env env, const DeviceInfo& device) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", device.id);
  out.Set("vendor", device.vendor);
  out.Set("model", device.model);
  out.Set("unitName", device.unitName);
  out.Set("computeUnits", device.computeUnits);
  out.Set("measuresBandwidth", device.measuresBandwidth);
  out.Set("measuresThroughput", device.measuresThroughput);
  out.Set("notMeasurableReason", device.notMeasurableReason);
  // The typed attributes (null where the device does not report one), and the
  // same ones first in the attribute list, each with its source.
  std::vector<Attribute> attributes;
  const auto typedNumber = [&](const char* key, const Reported<double>& reported) {
    out.Set(key, reported.value > 0 ? Napi::Value(Napi::Number::New(env, reported.value)) : env.Null());
    if (reported.value > 0) attributes.push_back({key, reported.value, reported.source});
  };
  out.Set("architecture", device.architecture.value.empty() ? env.Null() : Napi::Value(Napi::String::New(env, device.architecture.value)));
  if (!device.architecture.value.empty()) attributes.push_back({"architecture", device.architecture.value, device.architecture.source});
  typedNumber("maxClockMhz", device.maxClockMhz);
  typedNumber("memoryBusWidthBits", device.memoryBusWidthBits);
  typedNumber("memoryDataRateMtps", device.memoryDataRateMtps);
  typedNumber("peakDramBandwidthGbps", device.peakDramBandwidthGbps);
  attributes.insert(attributes.end(), device.attributes.begin(), device.attributes.end());
  out.Set("attributes", toJs(env, attributes));
  return out;
}

Napi::Object toJs(Napi::Env env, const BandwidthResult& result) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("deviceId", result.deviceId);
  out.Set("threads", result.threads);
  out.Set("arrayBytes", double(result.arrayBytes));
  out.Set("byteConvention", result.byteConvention);
  out.Set("sizing", toJs(env, result.sizing));
  out.Set("streamScalar", result.streamScalar);
  out.Set("threadsPerBlock", result.threadsPerBlock);
  out.Set("runtimeCompilation", result.runtimeCompilation);
  Napi::Array kernels = Napi::Array::New(env, result.kernels.size());
  for (size_t i = 0; i < result.kernels.size(); ++i) {
    const BandwidthKernelResult& k = result.kernels[i];
    Napi::Object item = Napi::Object::New(env);
    item.Set("name", k.name);
    item.Set("engine", k.engine);
    item.Set("method", k.method);
    item.Set("elements", double(k.elements));
    item.Set("bytesReadPerTrial", double(k.bytesReadPerTrial));
    item.Set("bytesWrittenPerTrial", double(k.bytesWrittenPerTrial));
    item.Set("warmupSeconds", k.warmupSeconds);
    item.Set("trialSeconds", toJs(env, k.trialSeconds));
    item.Set("variant", k.variant);
    item.Set("variantCount", k.variantCount);
    kernels.Set(uint32_t(i), item);
  }
  out.Set("kernels", kernels);
  return out;
}

Napi::Object toJs(Napi::Env env, const ThroughputResult& result) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("deviceId", result.deviceId);
  Napi::Array cases = Napi::Array::New(env, result.cases.size());
  for (size_t i = 0; i < result.cases.size(); ++i) {
    const ThroughputCaseResult& c = result.cases[i];
    Napi::Object item = Napi::Object::New(env);
    item.Set("format", c.format);
    item.Set("engine", c.engine);
    item.Set("method", c.method);
    item.Set("libraryLacksFormat", c.libraryLacksFormat);
    item.Set("available", c.available);
    item.Set("unavailableReason", c.unavailableReason);
    item.Set("opsPerInstruction", c.opsPerInstruction);
    item.Set("maxInstructionsPerClockPerUnit", c.maxInstructionsPerClockPerUnit);
    item.Set("opsPerTrial", c.opsPerTrial);
    item.Set("workPerTrial", double(c.workPerTrial));
    item.Set("threads", c.threads);
    item.Set("units", c.units);
    item.Set("trialSeconds", toJs(env, c.trialSeconds));
    item.Set("trialClockMhz", toJs(env, c.trialClockMhz));
    item.Set("clockMethod", c.clockMethod);
    item.Set("trialHostSeconds", toJs(env, c.trialHostSeconds));
    item.Set("trialTimerSeconds", toJs(env, c.trialTimerSeconds));
    item.Set("variant", c.variant);
    item.Set("variantCount", c.variantCount);
    item.Set("operandSeed", c.operandSeed);
    cases.Set(uint32_t(i), item);
  }
  out.Set("cases", cases);
  return out;
}

Napi::Object toJs(Napi::Env env, const ClockResult& result) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("deviceId", result.deviceId);
  out.Set("method", result.method);
  out.Set("mhzPerThread", toJs(env, result.mhzPerThread));
  return out;
}

// Runs `job` on a libuv worker thread; progress events reach `onProgress` on
// the JS thread; the promise settles with the converted result or an Error
// carrying `code` (VERIFICATION_FAILED, REQUEST_REFUSED, DEVICE_ERROR, INTERNAL_ERROR) and `kernel`.
template <typename Result>
class MeasureWorker : public Napi::AsyncProgressQueueWorker<Progress> {
 public:
  using Job = std::function<Result(const ProgressSink&)>;

  MeasureWorker(Napi::Function onProgress, Job job)
      : Napi::AsyncProgressQueueWorker<Progress>(onProgress),
        deferred_(Napi::Promise::Deferred::New(onProgress.Env())),
        job_(std::move(job)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute(const ExecutionProgress& progress) override {
    try {
      result_ = job_([&progress](const Progress& p) { progress.Send(&p, 1); });
    } catch (const VerificationError& e) {
      fail("VERIFICATION_FAILED", e.what(), e.kernel());
    } catch (const RequestError& e) {
      fail("REQUEST_REFUSED", e.what(), "");
    } catch (const DeviceError& e) {
      fail("DEVICE_ERROR", e.what(), "");
    } catch (const std::exception& e) {
      fail("INTERNAL_ERROR", e.what(), "");
    }
  }

  void OnProgress(const Progress* events, size_t count) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (size_t i = 0; i < count; ++i) {
      Napi::Object event = Napi::Object::New(env);
      event.Set("phase", events[i].phase);
      event.Set("kernel", events[i].kernel);
      event.Set("trial", events[i].trial);
      event.Set("trials", events[i].trials);
      Callback().Call({event});
    }
  }

  void OnOK() override { deferred_.Resolve(toJs(Env(), result_)); }

  void OnError(const Napi::Error& error) override {
    Napi::Object object = error.Value();
    object.Set("code", errorCode_);
    if (!errorKernel_.empty()) object.Set("kernel", errorKernel_);
    deferred_.Reject(object);
  }

 private:
  void fail(const char* code, const std::string& message, const std::string& kernel) {
    errorCode_ = code;
    errorKernel_ = kernel;
    SetError(message);
  }

  Napi::Promise::Deferred deferred_;
  Job job_;
  Result result_;
  std::string errorCode_;
  std::string errorKernel_;
};

template <typename Result>
Napi::Value startWorker(Napi::Function onProgress, typename MeasureWorker<Result>::Job job) {
  auto* worker = new MeasureWorker<Result>(onProgress, std::move(job));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

std::vector<std::string> stringList(const Napi::Object& object, const char* key) {
  std::vector<std::string> out;
  if (!object.Has(key) || object.Get(key).IsUndefined()) return out;
  Napi::Value value = object.Get(key);
  if (!value.IsArray()) throw Napi::TypeError::New(object.Env(), std::string(key) + " must be an array of strings");
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); ++i) out.push_back(array.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

double numberOr(const Napi::Object& object, const char* key, double fallback) {
  if (!object.Has(key) || object.Get(key).IsUndefined()) return fallback;
  Napi::Value value = object.Get(key);
  if (!value.IsNumber()) throw Napi::TypeError::New(object.Env(), std::string(key) + " must be a number");
  return value.As<Napi::Number>().DoubleValue();
}

std::string stringOr(const Napi::Object& object, const char* key) {
  if (!object.Has(key) || object.Get(key).IsUndefined()) return "";
  return object.Get(key).As<Napi::String>().Utf8Value();
}

// fixedWork: { "FORMAT/engine": work per trial, ... }, each a positive integer.
std::vector<std::pair<std::string, uint64_t>> fixedWorkOf(const Napi::Object& object) {
  std::vector<std::pair<std::string, uint64_t>> out;
  if (!object.Has("fixedWork") || object.Get("fixedWork").IsUndefined()) return out;
  Napi::Value value = object.Get("fixedWork");
  if (!value.IsObject()) throw Napi::TypeError::New(object.Env(), "fixedWork must be an object of case label to work per trial");
  Napi::Object map = value.As<Napi::Object>();
  Napi::Array names = map.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value work = map.Get(name);
    // 2^53: the largest integer a JavaScript number carries exactly.
    constexpr double kLargestExactInteger = 9007199254740992.0;
    if (!work.IsNumber()) throw Napi::TypeError::New(object.Env(), "fixedWork." + name + " must be a number");
    const double w = work.As<Napi::Number>().DoubleValue();
    if (!(w >= 1) || w > kLargestExactInteger || w != std::floor(w)) throw Napi::TypeError::New(object.Env(), "fixedWork." + name + " must be a positive integer");
    out.emplace_back(name, uint64_t(w));
  }
  return out;
}

// Arguments of every measurement call: (backend, index, request, onProgress).
struct Target {
  std::string backend;
  int index;
};

Target targetFrom(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    throw Napi::TypeError::New(info.Env(), "expected (backend: string, index: number, ...)");
  return {info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value()};
}

Napi::Value ListBackends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& slots = backendSlots();
  Napi::Array out = Napi::Array::New(env, slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    const BackendSlot& slot = slots[i];
    Napi::Object item = Napi::Object::New(env);
    item.Set("backend", slot.name);
    item.Set("built", slot.backend != nullptr);
    Napi::Array devices = Napi::Array::New(env);
    std::string reason = slot.missingReason;
    if (slot.backend) {
      try {
        DeviceList list = slot.backend->listDevices();
        for (size_t d = 0; d < list.devices.size(); ++d) devices.Set(uint32_t(d), toJs(env, list.devices[d]));
        reason = list.emptyReason;
      } catch (const std::exception& e) {
        reason = e.what();
      }
    }
    item.Set("devices", devices);
    item.Set("reason", reason);
    out.Set(uint32_t(i), item);
  }
  return out;
}

Napi::Value MeasureBandwidth(const Napi::CallbackInfo& info) {
  const Target target = targetFrom(info);
  if (info.Length() < 4 || !info[2].IsObject() || !info[3].IsFunction())
    throw Napi::TypeError::New(info.Env(), "expected (backend, index, request: object, onProgress: function)");
  const Napi::Object js = info[2].As<Napi::Object>();
  BandwidthRequest request;
  request.arrayBytes = uint64_t(numberOr(js, "arrayBytes", 0));
  request.trials = int(numberOr(js, "trials", request.trials));
  request.kernels = stringList(js, "kernels");
  request.faultKernel = stringOr(js, "faultKernel");
  request.variant = int(numberOr(js, "variant", 0));
  request.streamScalar = numberOr(js, "streamScalar", 0);
  request.arraySizeFactorPercent = int(numberOr(js, "arraySizeFactorPercent", request.arraySizeFactorPercent));
  request.threadsPerBlock = int(numberOr(js, "threadsPerBlock", 0));
  request.kernelName = stringOr(js, "kernelName");
  return startWorker<BandwidthResult>(info[3].As<Napi::Function>(), [target, request](const ProgressSink& progress) {
    return requireBackend(target.backend).measureBandwidth(target.index, request, progress);
  });
}

Napi::Value MeasureThroughput(const Napi::CallbackInfo& info) {
  const Target target = targetFrom(info);
  if (info.Length() < 4 || !info[2].IsObject() || !info[3].IsFunction())
    throw Napi::TypeError::New(info.Env(), "expected (backend, index, request: object, onProgress: function)");
  const Napi::Object js = info[2].As<Napi::Object>();
  ThroughputRequest request;
  request.secondsPerTrial = numberOr(js, "secondsPerTrial", request.secondsPerTrial);
  request.trials = int(numberOr(js, "trials", request.trials));
  request.formats = stringList(js, "formats");
  request.sweep = js.Has("sweep") && js.Get("sweep").ToBoolean().Value();
  request.faultCase = stringOr(js, "faultCase");
  request.fixedWork = fixedWorkOf(js);
  request.variant = int(numberOr(js, "variant", 0));
  request.operandSeed = int(numberOr(js, "operandSeed", 0));
  return startWorker<ThroughputResult>(info[3].As<Napi::Function>(), [target, request](const ProgressSink& progress) {
    return requireBackend(target.backend).measureThroughput(target.index, request, progress);
  });
}

Napi::Value ProbeClock(const Napi::CallbackInfo& info) {
  const Target target = targetFrom(info);
  Napi::Function noProgress = Napi::Function::New(info.Env(), [](const Napi::CallbackInfo&) {});
  return startWorker<ClockResult>(noProgress, [target](const ProgressSink&) {
    return requireBackend(target.backend).probeClock(target.index);
  });
}

// The GPU backends' host-side decisions, exposed so they are tested without a GPU.
Napi::Object HostLogic(Napi::Env env) {
  Napi::Object logic = Napi::Object::New(env);
  logic.Set("cudaSizeArrays", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    const auto arg = [&](size_t i) { return uint64_t(info[i].As<Napi::Number>().DoubleValue()); };
    try {
      const gpu::ArraySizing s = gpu::sizeArrays(arg(0), arg(1), arg(2), gpu::kCudaMinArrayBytes);
      Napi::Object out = Napi::Object::New(info.Env());
      out.Set("elements", double(s.elements));
      out.Set("ruleBytes", double(s.ruleBytes));
      out.Set("capBytes", double(s.capBytes));
      out.Set("belowRule", s.belowRule);
      return out;
    } catch (const DeviceError& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
  }));
  logic.Set("cudaReadClock", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    const Napi::Array array = info[0].As<Napi::Array>();
    std::vector<gpu::ClockStamp> stamps;
    for (uint32_t i = 0; i < array.Length(); ++i) {
      const Napi::Object o = array.Get(i).As<Napi::Object>();
      const auto n = [&](const char* key) { return o.Get(key).As<Napi::Number>().DoubleValue(); };
      stamps.push_back({uint64_t(n("clockStart")), uint64_t(n("clockEnd")), uint64_t(n("timerStartNs")), uint64_t(n("timerEndNs")),
                        unsigned(n("smidStart")), unsigned(n("smidEnd"))});
    }
    try {
      const double eventSeconds = info.Length() > 1 ? info[1].As<Napi::Number>().DoubleValue() : 0;
      const gpu::ClockReading r = gpu::readClock(stamps, gpu::kCudaTimerTicksPerMicrosecond, eventSeconds);
      Napi::Object out = Napi::Object::New(info.Env());
      out.Set("mhz", r.mhz);
      out.Set("sms", double(r.units.size()));
      out.Set("spanSeconds", r.spanSeconds);
      return out;
    } catch (const DeviceError& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
  }));
  logic.Set("gpuLaunchesPerTrial", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::Number::New(info.Env(), protocol::passesFor(info[0].As<Napi::Number>().DoubleValue(), gpu::kMinTrialSeconds));
  }));
  logic.Set("cudaIterationsFor", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    const auto n = [&](size_t i) { return info[i].As<Napi::Number>().DoubleValue(); };
    const uint64_t multiple = info.Length() > 5 ? uint64_t(n(5)) : 1;
    return Napi::Number::New(info.Env(), double(gpu::iterationsFor(n(0), uint64_t(n(1)), n(2), uint64_t(n(3)), uint64_t(n(4)), multiple)));
  }));
  return logic;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("hostLogic", HostLogic(env));
  exports.Set("listBackends", Napi::Function::New(env, ListBackends));
  exports.Set("measureBandwidth", Napi::Function::New(env, MeasureBandwidth));
  exports.Set("measureThroughput", Napi::Function::New(env, MeasureThroughput));
  exports.Set("probeClock", Napi::Function::New(env, ProbeClock));
  exports.Set("nvmlIdentity", Napi::Function::New(env, nvml::NvmlIdentityJs));
  return exports;
}

}  // namespace
}  // namespace tppverify::addon

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return tppverify::addon::Init(env, exports); }
NODE_API_MODULE(tppverify, InitModule)
