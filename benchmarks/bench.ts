// Runs a suite on one device through the addon and shapes the raw trials into
// reports: per kernel or format, the raw trials plus median, best and spread.
import type {
  BackendName,
  NativeAddon,
  NativeBandwidthResult,
  NativeProgress,
  NativeThroughputCase,
} from './native-addon.js';
import { BANDWIDTH_CASES, codeVariantsOf, isLibraryMethod, methodOf, MIN_TRIALS, type MeasurementMethod, type RunSettings } from './registry.js';

export { methodOf, type MeasurementMethod } from './registry.js';
import { summarizeRates, type TrialSummary } from './statistics.js';
import { TppverifyError } from '../attestations/errors.js';
import { opsPerClockPerUnit, ResultValidationError, validateBandwidthResult, validateThroughputCase } from './validate.js';

export interface DeviceTarget {
  backend: BackendName;
  index: number;
}

/**
 * Test-only fault injection, from TPPVERIFY_TEST_INJECT_FAULT: "bandwidth:triad",
 * "throughput:FP64/avx512", "preflight:tree-clean" (that check fails), or
 * "worker:bandwidth-hang" / "worker:throughput-crash" (the measuring child hangs or crashes).
 */
export interface InjectedFault {
  suite: 'bandwidth' | 'throughput' | 'preflight' | 'worker';
  name: string;
}

export const FAULT_ENV = 'TPPVERIFY_TEST_INJECT_FAULT';

/** What each suite's fault names: a registry kernel, FORMAT/engine, a preflight check id, a phase's hang or crash. */
const FAULT_NAMES: Record<InjectedFault['suite'], (name: string) => boolean> = {
  bandwidth: (name) => BANDWIDTH_CASES.some((c) => c.name === name),
  throughput: (name) => /^[A-Z][A-Z0-9_]*\/[a-z0-9][a-z0-9_.-]*$/.test(name),
  // The check ids are the inventory's; attest refuses one no check has.
  preflight: (name) => /^[a-z][a-z0-9-]*$/.test(name),
  worker: (name) => /^(bandwidth|throughput|sustained)-(hang|crash)$/.test(name),
};

/** The fault named in the environment; a malformed or unknown one is refused (a test that names a fault that never fires proves nothing). */
export function faultFromEnvironment(env: NodeJS.ProcessEnv = process.env): InjectedFault | undefined {
  const raw = env[FAULT_ENV];
  if (raw === undefined || raw === '') return undefined;
  const at = raw.indexOf(':');
  const suite = raw.slice(0, at) as InjectedFault['suite'];
  const name = raw.slice(at + 1);
  if (at < 0 || !Object.hasOwn(FAULT_NAMES, suite) || !FAULT_NAMES[suite](name)) {
    throw new TppverifyError(
      'usage',
      `${FAULT_ENV} must name a known fault ('bandwidth:triad', 'throughput:FP64/avx512', 'preflight:tree-clean', 'worker:bandwidth-hang'), not ${JSON.stringify(raw.slice(0, 80))}`,
    );
  }
  return { suite, name };
}


export interface BandwidthKernelReport {
  name: string;
  formula: string;
  engine: string;
  method: MeasurementMethod;
  elements: number;
  bytesPerTrial: number;
  bytesReadPerTrial: number;
  bytesWrittenPerTrial: number;
  trials: number;
  gbps: TrialSummary;
  trialSeconds: number[];
  warmupSeconds: number;
  /** The code variant that ran. */
  variant: number;
  verified: true;
}

export interface BandwidthReport {
  threads: number;
  arrayBytes: number;
  byteConvention: string;
  sizing: Record<string, number>;
  /** The arrays are smaller than the backend's own sizing rule: figures may come from cache. */
  belowSizingRule: boolean;
  streamScalar: number;
  threadsPerBlock: number;
  runtimeCompilation: string;
  kernels: BandwidthKernelReport[];
}

export interface ThroughputCaseReport {
  format: string;
  engine: string;
  method: MeasurementMethod;
  /** A library case: the library has no GEMM in this format by design. */
  libraryLacksFormat: boolean;
  available: boolean;
  unavailableReason: string | null;
  opsPerInstruction: number;
  opsPerTrial: number;
  /** The backend's unit of work per trial: what the sustained phase runs again (0 where not reported). */
  workPerTrial: number;
  threads: number;
  units: number;
  trials: number;
  /** The peak phase's rate in tera-ops per second (TFLOP/s or TOP/s) over its timed trials. */
  tops: TrialSummary | null;
  /** Median over trials of the clock measured around each trial. */
  clockMhz: number | null;
  clockMhzTrials: TrialSummary | null;
  /** Median over trials of ops ÷ (seconds × clock × units). */
  opsPerClockPerUnit: number | null;
  opsPerClockPerUnitTrials: TrialSummary | null;
  /** Upper bound the per-clock rate is checked against: opsPerInstruction × maxInstructionsPerClockPerUnit. */
  maxOpsPerClockPerUnit: number;
  maxInstructionsPerClockPerUnit: number;
  /** The clock measured around each trial, in trial order. */
  trialClockMhz: number[];
  clockMethod: string;
  trialSeconds: number[];
  /** GPUs: the host's steady clock around each timed trial and the device timer's span over it (issue 18); empty on the CPU. */
  trialHostSeconds: number[];
  trialTimerSeconds: number[];
  /** The code variant that ran. */
  variant: number;
  /** The operand seed the kernel took (0 where it takes none). */
  operandSeed: number;
  verified: boolean;
}

function sizingRecord(result: NativeBandwidthResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of result.sizing) if (typeof item.value === 'number') out[item.key] = item.value;
  return out;
}

/** The arrays are smaller than the backend's own rule, max(last-level cache × multiple, minimum): figures may come from cache. */
export function belowSizingRule(sizing: Readonly<Record<string, number>>, arrayBytes: number): boolean {
  const llc = sizing['lastLevelCacheBytes'] ?? 0;
  const multiple = sizing['lastLevelCacheMultiple'] ?? 0;
  const minimum = sizing['minimumArrayBytes'] ?? 0;
  return arrayBytes < Math.max(llc * multiple, minimum);
}

/**
 * A result that says another code variant ran than the one asked for is
 * refused, never recorded; so is a native variant count the registry (and so
 * the run plan) does not know.
 */
function requireRequestedVariant(ran: readonly { label: string; variant: number; variantCount: number }[], asked: number, registryCount: number): void {
  for (const r of ran) {
    if (r.variant !== asked) throw new ResultValidationError(r.label, `ran code variant ${r.variant}, not the requested ${asked}`);
    if (r.variantCount !== registryCount) {
      throw new ResultValidationError(r.label, `the addon has ${r.variantCount} code variants; the registry (CODE_VARIANTS) knows ${registryCount}`);
    }
  }
}

export function shapeBandwidth(result: NativeBandwidthResult, minTrials?: number): BandwidthReport {
  validateBandwidthResult(result, minTrials);
  const sizing = sizingRecord(result);
  return {
    threads: result.threads,
    arrayBytes: result.arrayBytes,
    byteConvention: result.byteConvention,
    sizing,
    belowSizingRule: belowSizingRule(sizing, result.arrayBytes),
    streamScalar: result.streamScalar,
    threadsPerBlock: result.threadsPerBlock,
    runtimeCompilation: result.runtimeCompilation,
    kernels: result.kernels.map((k) => {
      const bytesPerTrial = k.bytesReadPerTrial + k.bytesWrittenPerTrial;
      return {
        name: k.name,
        formula: BANDWIDTH_CASES.find((c) => c.name === k.name)?.formula ?? '',
        engine: k.engine,
        method: methodOf(k.method),
        elements: k.elements,
        bytesPerTrial,
        bytesReadPerTrial: k.bytesReadPerTrial,
        bytesWrittenPerTrial: k.bytesWrittenPerTrial,
        trials: k.trialSeconds.length,
        gbps: summarizeRates(
          k.trialSeconds.map((s) => bytesPerTrial / s / 1e9),
          `${k.name} GB/s`,
        ),
        trialSeconds: k.trialSeconds,
        warmupSeconds: k.warmupSeconds,
        variant: k.variant,
        verified: true,
      };
    }),
  };
}

export function shapeThroughputCase(c: NativeThroughputCase, minTrials?: number): ThroughputCaseReport {
  validateThroughputCase(c, minTrials);
  const label = `${c.format}/${c.engine}`;
  const base = {
    format: c.format,
    engine: c.engine,
    method: methodOf(c.method),
    libraryLacksFormat: c.libraryLacksFormat === true,
    available: c.available,
    unavailableReason: c.available ? null : c.unavailableReason,
    opsPerInstruction: c.opsPerInstruction,
    opsPerTrial: c.opsPerTrial,
    workPerTrial: c.workPerTrial ?? 0,
    threads: c.threads,
    units: c.units,
    trials: c.trialSeconds.length,
    maxOpsPerClockPerUnit: c.opsPerInstruction * c.maxInstructionsPerClockPerUnit,
    maxInstructionsPerClockPerUnit: c.maxInstructionsPerClockPerUnit,
    trialClockMhz: c.trialClockMhz,
    clockMethod: c.clockMethod,
    trialSeconds: c.trialSeconds,
    trialHostSeconds: c.trialHostSeconds ?? [],
    trialTimerSeconds: c.trialTimerSeconds ?? [],
    variant: c.variant,
    operandSeed: c.operandSeed,
  };
  if (!c.available) {
    return {
      ...base,
      tops: null,
      clockMhz: null,
      clockMhzTrials: null,
      opsPerClockPerUnit: null,
      opsPerClockPerUnitTrials: null,
      verified: false,
    };
  }
  const perClock = summarizeRates(
    c.trialSeconds.map((_, trial) => opsPerClockPerUnit(c, trial)),
    `${label} ops/clock`,
  );
  const clock = summarizeRates(c.trialClockMhz, `${label} clock`);
  return {
    ...base,
    tops: summarizeRates(
      c.trialSeconds.map((s) => c.opsPerTrial / s / 1e12),
      `${label} TOPS`,
    ),
    clockMhz: clock.median,
    clockMhzTrials: clock,
    opsPerClockPerUnit: perClock.median,
    opsPerClockPerUnitTrials: perClock,
    verified: true,
  };
}

export async function measureDramBandwidth(
  addon: NativeAddon,
  target: DeviceTarget,
  settings: RunSettings,
  onProgress: (event: NativeProgress) => void,
  fault?: InjectedFault,
): Promise<BandwidthReport> {
  const result = await addon.measureBandwidth(
    target.backend,
    target.index,
    {
      arrayBytes: settings.arrayBytes,
      trials: settings.trials,
      ...(settings.kernels?.length ? { kernels: settings.kernels } : {}),
      ...(fault?.suite === 'bandwidth' ? { faultKernel: fault.name } : {}),
      ...(settings.variant !== undefined ? { variant: settings.variant } : {}),
      ...(settings.streamScalar !== undefined ? { streamScalar: settings.streamScalar } : {}),
      ...(settings.arraySizeFactorPercent !== undefined ? { arraySizeFactorPercent: settings.arraySizeFactorPercent } : {}),
      ...(settings.threadsPerBlock ? { threadsPerBlock: settings.threadsPerBlock } : {}),
      ...(settings.kernelName ? { kernelName: settings.kernelName } : {}),
    },
    onProgress,
  );
  for (const k of result.kernels) requireRequestedVariant([{ label: k.name, ...k }], settings.variant ?? 0, codeVariantsOf(target.backend, 'bandwidth', k.name));
  return shapeBandwidth(result, Math.max(MIN_TRIALS, settings.trials));
}

export async function measurePeakThroughput(
  addon: NativeAddon,
  target: DeviceTarget,
  settings: RunSettings,
  onProgress: (event: NativeProgress) => void,
  fault?: InjectedFault,
): Promise<ThroughputCaseReport[]> {
  const result = await addon.measureThroughput(
    target.backend,
    target.index,
    {
      secondsPerTrial: settings.secondsPerTrial,
      trials: settings.trials,
      sweep: settings.sweep === true,
      ...(settings.formats?.length ? { formats: settings.formats } : {}),
      ...(fault?.suite === 'throughput' ? { faultCase: fault.name } : {}),
      ...(settings.variant !== undefined ? { variant: settings.variant } : {}),
      ...(settings.operandSeed ? { operandSeed: settings.operandSeed } : {}),
    },
    onProgress,
  );
  for (const c of result.cases.filter((x) => x.available)) {
    // The second method's library is one code path: variant 0 of 1, whatever the plan drew for our kernels.
    const library = isLibraryMethod(c);
    requireRequestedVariant([{ label: `${c.format}/${c.engine}`, ...c }], library ? 0 : (settings.variant ?? 0), library ? 1 : codeVariantsOf(target.backend, 'throughput', c.format));
  }
  return result.cases.map((c) => shapeThroughputCase(c, Math.max(MIN_TRIALS, settings.trials)));
}
