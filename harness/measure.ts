// The measure stage: pick a device, run the suites through the addon, map
// native and validation failures to exit-3 errors.
import {
  faultFromEnvironment,
  measureDramBandwidth,
  measurePeakThroughput,
  type BandwidthReport,
  type ThroughputCaseReport,
} from '../benchmarks/bench.js';
import { addonPath, isNativeMeasurementError, loadAddon, type NativeProgress } from '../benchmarks/native-addon.js';
import { bandwidthKernelsOf, codeVariantsOf, includesBandwidth, includesThroughput, type RunSettings, type SuiteName } from '../benchmarks/registry.js';
import { measureDramBandwidthInSequence, measurePeakThroughputInSequence } from '../benchmarks/sequence.js';
import { ResultValidationError } from '../benchmarks/validate.js';
import { measureSustained, type SustainedReport, type SustainedRequest } from '../benchmarks/sustained.js';
import { chooseDefaultDevice, formatDeviceId, listBackends, resolveDevice, type DeviceEntry } from './devices.js';
import { RunPlan, type PhaseName } from './plan/run-plan.js';
import { FORMATS } from './tpp/formats.js';
import { DeviceUnavailableError, MeasurementError, UsageError } from './errors.js';

export interface Measured {
  entry: DeviceEntry;
  startedAt: string;
  finishedAt: string;
  bandwidth: BandwidthReport | null;
  throughput: ThroughputCaseReport[] | null;
  /** The sustained phase after the peak phases; null where none ran. */
  sustained?: SustainedReport | null;
  addonFile: string;
}

/** The device named by `id`, or the best measurable one (devices passed over are reported through `note`). */
export function pickDevice(id: string | undefined, note: (text: string) => void): DeviceEntry {
  const listings = listBackends();
  if (id !== undefined) return resolveDevice(id, listings);
  const choice = chooseDefaultDevice(listings);
  for (const passed of choice.passedOver) note(`passing over ${passed}`);
  return choice.entry;
}

async function measured<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ResultValidationError) throw new MeasurementError(error.message, error.kernel);
    if (isNativeMeasurementError(error)) {
      if (error.code === 'VERIFICATION_FAILED') throw new MeasurementError(error.message, error.kernel);
      // A request no device could honour (arrays larger than the memory) is the caller's input: exit 2.
      if (error.code === 'REQUEST_REFUSED') throw new UsageError(error.message);
      throw new DeviceUnavailableError(error.message);
    }
    throw error;
  }
}

export async function measureDevice(
  entry: DeviceEntry,
  suite: SuiteName,
  settings: RunSettings,
  onProgress: (event: NativeProgress) => void,
): Promise<Measured> {
  const deviceId = formatDeviceId(entry.target);
  if ((includesBandwidth(suite) && !entry.device.measuresBandwidth) || (includesThroughput(suite) && !entry.device.measuresThroughput)) {
    throw new DeviceUnavailableError(`${deviceId}: ${entry.device.notMeasurableReason}`);
  }
  const addon = loadAddon();
  const fault = faultFromEnvironment();
  const startedAt = new Date().toISOString();
  const plan = settings.planNonceHex === undefined ? undefined : new RunPlan(Buffer.from(settings.planNonceHex, 'hex'));
  const backend = entry.target.backend;
  const steps = (suite: PhaseName, names: readonly string[]) =>
    (plan as RunPlan).order(suite, names).map((name) => ({
      name,
      idleGapMs: (plan as RunPlan).idleGapMs(suite, name),
      variant: (plan as RunPlan).variant(suite, name, codeVariantsOf(backend, suite, name)),
    }));
  const bandwidth = !includesBandwidth(suite)
    ? null
    : plan
      ? await measured(() =>
          measureDramBandwidthInSequence(addon, entry.target, { ...settings, trials: plan.trials('bandwidth'), streamScalar: plan.streamScalar(), arraySizeFactorPercent: plan.arraySizeFactorPercent(), threadsPerBlock: plan.threadsPerBlock(backend), kernelName: plan.kernelName(backend) }, steps('bandwidth', bandwidthKernelsOf(entry.target.backend)), onProgress, fault),
        )
      : await measured(() => measureDramBandwidth(addon, entry.target, settings, onProgress, fault));
  const throughput = !includesThroughput(suite)
    ? null
    : plan
      ? await measured(() =>
          measurePeakThroughputInSequence(addon, entry.target, { ...settings, trials: plan.trials('throughput'), operandSeed: plan.operandSeed(backend) }, steps('throughput', settings.formats ?? FORMATS), onProgress, fault),
        )
      : await measured(() => measurePeakThroughput(addon, entry.target, settings, onProgress, fault));
  return { entry, startedAt, finishedAt: new Date().toISOString(), bandwidth, throughput, addonFile: addonPath() };
}

/** The sustained phase (benchmarks/sustained.ts) on a device, with the same error mapping as the peak phases. */
export async function measureSustainedDevice(
  entry: DeviceEntry,
  settings: RunSettings,
  request: SustainedRequest,
  onProgress: (event: NativeProgress) => void,
): Promise<SustainedReport> {
  if (!entry.device.measuresThroughput) throw new DeviceUnavailableError(`${formatDeviceId(entry.target)}: ${entry.device.notMeasurableReason}`);
  const addon = loadAddon();
  const fault = faultFromEnvironment();
  return measured(() => measureSustained(addon, entry.target, settings, request, onProgress, fault));
}
