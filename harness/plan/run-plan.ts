// The run plan: which suite runs first, the order of kernels and formats, the
// number of trials and the idle gap before each case, the code variant of
// every kernel and format, the bandwidth arrays' size and the stream scalar,
// all derived from the run's nonce. Firmware that recognises "the benchmark" by its fixed sequence
// sees a different sequence on every run, and a verifier recomputes the plan
// from the nonce and refuses measurements that did not follow it.
//
// Derivation (docs/run-plan.md): every draw is HMAC-SHA256 keyed by the nonce
// over a domain-separated message; kernels and formats run in ascending order
// of their own draw, so the order of any set follows from the nonce alone and
// the harness need not know beforehand which formats a device offers.
import { createHmac } from 'node:crypto';
import type { MeasurementRecord, NamedNumber, RunPlanRecord } from '../../attestations/records.js';
import { codeVariantsOf, isLibraryMethod, MAX_OPERAND_SEED, RUNTIME_COMPILATION_BACKENDS, takesOperandSeed, threadsPerBlockChoicesOf } from '../../benchmarks/registry.js';

export const PLAN_DERIVATION = 'tppverify-run-plan@2';
/** Derivations this verifier no longer implements (named when refused). */
export const PLAN_EARLIER_DERIVATIONS: readonly string[] = ['tppverify-run-plan@1'];

/** The fewest timed trials a reported figure may rest on (benchmarks/registry.ts MIN_TRIALS). */
export const PLAN_MIN_TRIALS = 10;
/** Up to this many trials more than the minimum, drawn per suite. */
export const PLAN_MAX_EXTRA_TRIALS = 4;
/** Idle gap before each case: 0 … this many milliseconds, in steps of PLAN_IDLE_GAP_STEP_MS. */
export const PLAN_MAX_IDLE_GAP_MS = 200;
export const PLAN_IDLE_GAP_STEP_MS = 10;

/**
 * Bandwidth arrays: the backend's sizing rule × (100 + this step × a draw in
 * 0 … PLAN_ARRAY_FACTOR_STEPS) / 100, rounded up to whole MiB
 * (native/core/backend.h plannedArrayBytes): 1.00 to 1.50 × the rule, so
 * firmware cannot key on one array size, and never below the rule.
 */
export const PLAN_ARRAY_FACTOR_MIN_PERCENT = 100;
export const PLAN_ARRAY_FACTOR_STEP_PERCENT = 5;
export const PLAN_ARRAY_FACTOR_STEPS = 10;
export const PLAN_ARRAY_ROUNDING_BYTES = 2 ** 20;
/**
 * The CPU rounds the planned bytes up to its element multiple (8 doubles per
 * thread: native/cpu/stream_kernels.h kStreamAlignElements); a GPU's even
 * element count divides whole MiB. So arrays lie in [planned, planned + this × threads).
 */
export const PLAN_ARRAY_ALIGNMENT_BYTES_PER_THREAD = 64;
/**
 * The stream scalar s of scale and triad: 2 + 1/4 × a draw in 0 … 24, i.e.
 * 2.00 to 8.00 (native/core/stream_patterns.h kMin/kMaxStreamScalar): the
 * patterns are multiples of 1/4 below 2^10, so s × a and a + s × b stay exact.
 */
export const PLAN_STREAM_SCALAR_MIN = 2;
export const PLAN_STREAM_SCALAR_STEP = 0.25;
export const PLAN_STREAM_SCALAR_STEPS = 24;

export type PhaseName = 'bandwidth' | 'throughput';

const UINT32_RANGE = 2 ** 32;

function draw(nonce: Uint8Array, ...parts: string[]): Buffer {
  // NUL-separated parts: names never contain NUL, so no two messages collide.
  return createHmac('sha256', nonce).update([PLAN_DERIVATION, ...parts].join('\0')).digest();
}

/** A uniform integer in [0, n) from the draw's 32-bit words, by rejection (no modulo bias). */
function below(nonce: Uint8Array, n: number, ...parts: string[]): number {
  const limit = UINT32_RANGE - (UINT32_RANGE % n);
  for (let counter = 0; ; counter++) {
    const block = draw(nonce, ...parts, String(counter));
    for (let offset = 0; offset < block.length; offset += 4) {
      const w = block.readUInt32BE(offset);
      if (w < limit) return w % n;
    }
  }
}

/** The plan, as a set of pure functions of the nonce. */
export class RunPlan {
  constructor(readonly nonce: Uint8Array) {}

  get derivation(): string {
    return PLAN_DERIVATION;
  }

  phaseOrder(): PhaseName[] {
    return below(this.nonce, 2, 'phase') === 0 ? ['bandwidth', 'throughput'] : ['throughput', 'bandwidth'];
  }

  /** The names in the order they run: ascending by their draw (ties, impossible in practice, by name). */
  order(suite: PhaseName, names: readonly string[]): string[] {
    const key = new Map([...new Set(names)].map((name) => [name, draw(this.nonce, 'order', suite, name)]));
    return [...key.keys()].sort((a, b) => Buffer.compare(key.get(a) as Buffer, key.get(b) as Buffer) || (a < b ? -1 : 1));
  }

  trials(suite: PhaseName): number {
    return PLAN_MIN_TRIALS + below(this.nonce, PLAN_MAX_EXTRA_TRIALS + 1, 'trials', suite);
  }

  idleGapMs(suite: PhaseName, name: string): number {
    return below(this.nonce, PLAN_MAX_IDLE_GAP_MS / PLAN_IDLE_GAP_STEP_MS + 1, 'gap', suite, name) * PLAN_IDLE_GAP_STEP_MS;
  }

  /** The code variant of a kernel or format, below the backend's count of compiled variants. */
  variant(suite: PhaseName, name: string, count: number): number {
    return below(this.nonce, count, 'variant', suite, name);
  }

  arraySizeFactorPercent(): number {
    return PLAN_ARRAY_FACTOR_MIN_PERCENT + PLAN_ARRAY_FACTOR_STEP_PERCENT * below(this.nonce, PLAN_ARRAY_FACTOR_STEPS + 1, 'array-size');
  }

  streamScalar(): number {
    return PLAN_STREAM_SCALAR_MIN + PLAN_STREAM_SCALAR_STEP * below(this.nonce, PLAN_STREAM_SCALAR_STEPS + 1, 'stream-scalar');
  }

  /**
   * The name of the kernels a backend compiles at run time: "tppv_" and the
   * first 8 hex digits of D("kernel-name"); "" where it compiles none.
   */
  kernelName(backend: string): string {
    return RUNTIME_COMPILATION_BACKENDS.includes(backend) ? `tppv_${draw(this.nonce, 'kernel-name').toString('hex').slice(0, 8)}` : '';
  }

  /** Added to the throughput accumulators' start values: below(1024, "operand-seed") on the CPU; 0 elsewhere. */
  operandSeed(backend: string): number {
    return backend === 'cpu' ? below(this.nonce, MAX_OPERAND_SEED + 1, 'operand-seed') : 0;
  }

  /** The GPU stream kernels' block size, one of the backend's choices; 0 where it has none to choose. */
  threadsPerBlock(backend: string): number {
    const choices = threadsPerBlockChoicesOf(backend);
    return choices.length ? (choices[below(this.nonce, choices.length, 'threads-per-block')] as number) : 0;
  }
}

/** The backend of a device id ("cpu", "cuda:0" → "cuda"). */
export function backendOfDevice(deviceId: string): string {
  const at = deviceId.indexOf(':');
  return at < 0 ? deviceId : deviceId.slice(0, at);
}

/** The array bytes the plan asks of a sizing rule (the backend rounds up to its element multiple). */
export function plannedArrayBytes(ruleBytes: number, factorPercent: number): number {
  const scaled = Math.ceil((ruleBytes * factorPercent) / 100);
  return Math.ceil(scaled / PLAN_ARRAY_ROUNDING_BYTES) * PLAN_ARRAY_ROUNDING_BYTES;
}

/** The bytes the plan's factor applies to: max(last-level cache × multiple, minimum, preferred) as recorded. */
export function sizingRuleBytes(sizing: readonly NamedNumber[]): number {
  const get = (name: string) => sizing.find((s) => s.name === name)?.value ?? 0;
  return Math.max(get('lastLevelCacheBytes') * get('lastLevelCacheMultiple'), get('minimumArrayBytes'), get('preferredArrayBytes'));
}

/** The plan as recorded in an attestation: what the run did, step by step (proto RunPlan). */
export type RecordedPlan = RunPlanRecord;

/** The record of a plan over the kernels and formats that ran on a backend ("cpu", "cuda", "hip"). */
export function recordPlan(plan: RunPlan, backend: string, bandwidthKernels: readonly string[], throughputFormats: readonly string[]): RecordedPlan {
  const steps: RecordedPlan['steps'] = [];
  for (const suite of plan.phaseOrder()) {
    const names = suite === 'bandwidth' ? bandwidthKernels : throughputFormats;
    for (const name of plan.order(suite, names)) {
      const variantCount = codeVariantsOf(backend, suite, name);
      steps.push({ suite, name, idleGapMs: plan.idleGapMs(suite, name), variant: plan.variant(suite, name, variantCount), variantCount });
    }
  }
  return {
    derivation: plan.derivation,
    phaseOrder: plan.phaseOrder(),
    bandwidthTrials: plan.trials('bandwidth'),
    throughputTrials: plan.trials('throughput'),
    steps,
    backend,
    arraySizeFactorPercent: plan.arraySizeFactorPercent(),
    streamScalar: plan.streamScalar(),
    threadsPerBlock: plan.threadsPerBlock(backend),
    kernelName: plan.kernelName(backend),
    operandSeed: plan.operandSeed(backend),
  };
}

/** The plan's draw for one step of a recorded plan (sequence.ts runs it). */
export function planStepOf(recorded: RecordedPlan, suite: PhaseName, name: string): RecordedPlan['steps'][number] | undefined {
  return recorded.steps.find((s) => s.suite === suite && s.name === name);
}

/** What a recorded measurement says about how it was run, in recorded (run) order. */
export interface MeasuredSequence {
  /** The backend of the measured device ("cpu", "cuda", "hip"). */
  backend: string;
  bandwidthKernels: { name: string; trials: number; variant: number }[];
  /** Several engines may share a format; unavailable cases have no trials. */
  throughputCases: { format: string; engine: string; available: boolean; trials: number; variant: number; operandSeed: number; library: boolean }[];
  /** The bandwidth arrays and operand as recorded; null without a bandwidth measurement. */
  bandwidth: { arrayBytes: number; threads: number; streamScalar: number; threadsPerBlock: number; runtimeCompilation: string; sizing: NamedNumber[] } | null;
}

function formatsInOrder(cases: MeasuredSequence['throughputCases']): string[] {
  const out: string[] = [];
  for (const c of cases) if (out[out.length - 1] !== c.format) out.push(c.format);
  return out;
}

/** The sequence a measurement record shows: kernels and cases in recorded (run) order. */
export function measuredSequence(m: MeasurementRecord): MeasuredSequence {
  const b = m.bandwidth;
  return {
    backend: backendOfDevice(m.deviceId),
    bandwidthKernels: (b?.kernels ?? []).map((k) => ({ name: k.name, trials: k.trialSeconds.length, variant: k.variant })),
    throughputCases: m.throughput.map((c) => ({
      format: c.format,
      engine: c.engine,
      available: c.available,
      trials: c.trialSeconds.length,
      variant: c.variant,
      operandSeed: c.operandSeed,
      library: isLibraryMethod(c),
    })),
    bandwidth: b && b.kernels.length ? { arrayBytes: b.arrayBytes, threads: b.threads, streamScalar: b.streamScalar, threadsPerBlock: b.threadsPerBlock, runtimeCompilation: b.runtimeCompilation, sizing: b.sizing } : null,
  };
}

/** The record of the plan a run with this nonce followed, over the kernels and formats it measured. */
export function planRecordFor(nonce: Uint8Array, m: MeasurementRecord): RecordedPlan {
  const seq = measuredSequence(m);
  return recordPlan(new RunPlan(nonce), seq.backend, seq.bandwidthKernels.map((k) => k.name), formatsInOrder(seq.throughputCases));
}

/**
 * Every way a recorded plan and its measurements depart from the plan the
 * nonce gives, as plain sentences; empty when they follow it.
 */
export function planDepartures(nonce: Uint8Array, recorded: RecordedPlan, measured: MeasuredSequence): string[] {
  const plan = new RunPlan(nonce);
  const out: string[] = [];
  if (recorded.derivation !== PLAN_DERIVATION) {
    const earlier = PLAN_EARLIER_DERIVATIONS.includes(recorded.derivation) ? ' (an earlier derivation, no longer verified)' : '';
    return [`run plan derivation '${recorded.derivation}'${earlier} is not ${PLAN_DERIVATION}, the one this verifier implements`];
  }
  const kernels = measured.bandwidthKernels.map((k) => k.name);
  const formats = formatsInOrder(measured.throughputCases);
  if (new Set(formats).size !== formats.length) out.push('a throughput format ran in two separate places: not in plan order');
  const expected = recordPlan(plan, measured.backend, kernels, formats);
  const sameAs = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const key of ['phaseOrder', 'bandwidthTrials', 'throughputTrials', 'steps', 'backend', 'arraySizeFactorPercent', 'streamScalar', 'threadsPerBlock', 'kernelName', 'operandSeed'] as const) {
    if (!sameAs(recorded[key], expected[key])) out.push(`the recorded run plan's ${key} is not what the nonce gives`);
  }
  if (!sameAs(kernels, plan.order('bandwidth', kernels))) {
    out.push(`bandwidth kernels ran as ${kernels.join(', ')}; the nonce orders them ${plan.order('bandwidth', kernels).join(', ')}`);
  }
  if (!sameAs(formats, plan.order('throughput', formats))) {
    out.push(`throughput formats ran as ${formats.join(', ')}; the nonce orders them ${plan.order('throughput', formats).join(', ')}`);
  }
  for (const k of measured.bandwidthKernels) {
    if (k.trials !== expected.bandwidthTrials) out.push(`bandwidth kernel ${k.name} has ${k.trials} timed trials; the plan asks ${expected.bandwidthTrials}`);
  }
  for (const c of measured.throughputCases) {
    if (c.available && c.trials !== expected.throughputTrials) {
      out.push(`throughput case ${c.format} has ${c.trials} timed trials; the plan asks ${expected.throughputTrials}`);
    }
  }
  out.push(...variantDepartures(expected, measured), ...bandwidthShapeDepartures(expected, measured));
  for (const c of measured.throughputCases) {
    // A library case (the second method) takes the library's own inputs, never our seed.
    const seed = !c.library && takesOperandSeed(measured.backend, c.format, c.engine) ? expected.operandSeed : 0;
    if (c.available && c.operandSeed !== seed) {
      out.push(`throughput case ${c.format}/${c.engine} ran with operand seed ${c.operandSeed}; the plan asks ${seed}`);
    }
  }
  return out;
}

/** Every kernel and available case must have run the code variant the plan drew for it. */
function variantDepartures(expected: RecordedPlan, measured: MeasuredSequence): string[] {
  const out: string[] = [];
  const planned = (suite: PhaseName, name: string) => planStepOf(expected, suite, name)?.variant ?? 0;
  for (const k of measured.bandwidthKernels) {
    if (k.variant !== planned('bandwidth', k.name)) {
      out.push(`bandwidth kernel ${k.name} ran code variant ${k.variant}; the plan asks variant ${planned('bandwidth', k.name)}`);
    }
  }
  for (const c of measured.throughputCases) {
    // A library case (the second method) is one code path: variant 0 whatever the plan drew for our kernels.
    const asked = c.library ? 0 : planned('throughput', c.format);
    if (c.available && c.variant !== asked) {
      out.push(`throughput case ${c.format}/${c.engine} ran code variant ${c.variant}; the plan asks variant ${asked}`);
    }
  }
  return out;
}

/** The stream scalar and the array size the plan gives (an explicit size from the user is a recorded deviation). */
function bandwidthShapeDepartures(expected: RecordedPlan, measured: MeasuredSequence): string[] {
  const b = measured.bandwidth;
  if (!b) return [];
  const out: string[] = [];
  if (b.streamScalar !== expected.streamScalar) {
    out.push(`the bandwidth kernels ran with stream scalar ${b.streamScalar}; the plan asks ${expected.streamScalar}`);
  }
  if (expected.threadsPerBlock > 0 && b.threadsPerBlock !== expected.threadsPerBlock) {
    out.push(`the bandwidth kernels ran ${b.threadsPerBlock} threads per block; the plan asks ${expected.threadsPerBlock}`);
  }
  // Kernels compiled at run time must carry the plan's name (NVRTC records it; a fallback says why not).
  const compiledAtRunTime = b.runtimeCompilation.split(' | ').filter((r) => r.includes('compiled at run time'));
  if (compiledAtRunTime.some((r) => !expected.kernelName || !r.includes(`${expected.kernelName}_`))) {
    out.push(`the run-time compiled kernels are not named ${expected.kernelName || 'by the plan'}: ${b.runtimeCompilation.slice(0, 120)}`);
  }
  const get = (name: string) => b.sizing.find((s) => s.name === name)?.value;
  if (get('arraySizeFactorPercent') !== expected.arraySizeFactorPercent) {
    out.push(`the bandwidth arrays were sized at ${get('arraySizeFactorPercent') ?? 'no'} % of the rule; the plan asks ${expected.arraySizeFactorPercent} %`);
  }
  if ((get('requestedArrayBytes') ?? 0) > 0) return out;  // the user's size, recorded as requestedArrayBytes
  const planned = plannedArrayBytes(sizingRuleBytes(b.sizing), expected.arraySizeFactorPercent);
  const slack = PLAN_ARRAY_ALIGNMENT_BYTES_PER_THREAD * Math.max(1, b.threads);
  const capped = (get('cappedByFreeMemory') ?? 0) > 0;
  const fits = capped ? b.arrayBytes <= planned : b.arrayBytes >= planned && b.arrayBytes < planned + slack;
  if (!fits) {
    out.push(`bandwidth arrays of ${b.arrayBytes} bytes are not the plan's ${planned} (${expected.arraySizeFactorPercent} % of the sizing rule's ${sizingRuleBytes(b.sizing)}, rounded up to MiB)`);
  }
  return out;
}
