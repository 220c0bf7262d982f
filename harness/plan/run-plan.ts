// The run plan: which suite runs first, the order of kernels and formats, the
// number of trials and the idle gaps between cases, all derived from the run's
// nonce. Firmware that recognises "the benchmark" by its fixed sequence sees a
// different sequence on every run, and a verifier recomputes the plan from the
// nonce and refuses measurements that did not follow it.
//
// Derivation (docs/run-plan.md): a byte stream HMAC-SHA256(nonce, label ‖ u32be
// counter) for counter = 0, 1, …; integers in [0, n) by rejection sampling of
// 32-bit words (no modulo bias); lists shuffled by Fisher–Yates from the last
// index down, after sorting them, so the plan depends only on the nonce and on
// the set of kernels and formats the device offers. Pure and deterministic.
import { createHmac } from 'node:crypto';

export const PLAN_DERIVATION = 'tppverify-run-plan@1';

/** The fewest timed trials a reported figure may rest on (benchmarks/registry.ts MIN_TRIALS). */
export const PLAN_MIN_TRIALS = 10;
/** Up to this many trials more than the minimum, drawn per suite. */
export const PLAN_MAX_EXTRA_TRIALS = 4;
/** Idle gap before each case, drawn from 0 … this many milliseconds in steps of PLAN_IDLE_GAP_STEP_MS. */
export const PLAN_MAX_IDLE_GAP_MS = 200;
export const PLAN_IDLE_GAP_STEP_MS = 10;

export type PhaseName = 'bandwidth' | 'throughput';

/** What the plan is drawn over: the nonce and what the device offers. */
export interface PlanInputs {
  nonce: Uint8Array;
  bandwidthKernels: readonly string[];
  throughputFormats: readonly string[];
}

export interface RunPlan {
  derivation: string;
  phaseOrder: PhaseName[];
  /** Bandwidth kernels in the order they run. */
  bandwidthKernels: string[];
  /** Throughput formats in the order they run (every engine of a format runs together). */
  throughputFormats: string[];
  bandwidthTrials: number;
  throughputTrials: number;
  /** Idle milliseconds before each bandwidth kernel, in run order. */
  bandwidthIdleGapsMs: number[];
  /** Idle milliseconds before each throughput format, in run order. */
  throughputIdleGapsMs: number[];
}

const UINT32_RANGE = 2 ** 32;

/** A deterministic stream of 32-bit words from HMAC-SHA256 keyed by the nonce. */
class NonceStream {
  private counter = 0;
  private block: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly nonce: Uint8Array) {}

  private word(): number {
    if (this.offset + 4 > this.block.length) {
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(this.counter++);
      this.block = createHmac('sha256', this.nonce).update(PLAN_DERIVATION).update(counter).digest();
      this.offset = 0;
    }
    const value = this.block.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A uniform integer in [0, n), n ≥ 1. */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > UINT32_RANGE) throw new RangeError(`plan draw over ${n} values`);
    const limit = UINT32_RANGE - (UINT32_RANGE % n);
    for (;;) {
      const w = this.word();
      if (w < limit) return w % n;
    }
  }

  shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

function sortedUnique(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

export function deriveRunPlan(inputs: PlanInputs): RunPlan {
  const stream = new NonceStream(inputs.nonce);
  // Draw order is part of the derivation: changing it changes every plan.
  const phaseOrder: PhaseName[] = stream.below(2) === 0 ? ['bandwidth', 'throughput'] : ['throughput', 'bandwidth'];
  const bandwidthKernels = stream.shuffled(sortedUnique(inputs.bandwidthKernels));
  const throughputFormats = stream.shuffled(sortedUnique(inputs.throughputFormats));
  const bandwidthTrials = PLAN_MIN_TRIALS + stream.below(PLAN_MAX_EXTRA_TRIALS + 1);
  const throughputTrials = PLAN_MIN_TRIALS + stream.below(PLAN_MAX_EXTRA_TRIALS + 1);
  const gapSteps = PLAN_MAX_IDLE_GAP_MS / PLAN_IDLE_GAP_STEP_MS + 1;
  const gap = (): number => stream.below(gapSteps) * PLAN_IDLE_GAP_STEP_MS;
  return {
    derivation: PLAN_DERIVATION,
    phaseOrder,
    bandwidthKernels,
    throughputFormats,
    bandwidthTrials,
    throughputTrials,
    bandwidthIdleGapsMs: bandwidthKernels.map(gap),
    throughputIdleGapsMs: throughputFormats.map(gap),
  };
}

/** What a recorded measurement says about how it was run, for the plan check. */
export interface MeasuredSequence {
  /** The phase that started first, when both ran. */
  firstPhase?: PhaseName;
  /** Bandwidth kernels in recorded (run) order, with their timed trial counts. */
  bandwidthKernels: { name: string; trials: number }[];
  /** Throughput cases in recorded order (several engines may share a format), available ones with their trial counts. */
  throughputCases: { format: string; available: boolean; trials: number }[];
}

/**
 * Every way the measurements depart from the plan, as plain sentences; empty
 * when they follow it. The plan itself is checked by recomputing it.
 */
export function planDepartures(plan: RunPlan, measured: MeasuredSequence): string[] {
  const out: string[] = [];
  if (measured.firstPhase !== undefined && plan.phaseOrder[0] !== measured.firstPhase) {
    out.push(`the plan runs ${plan.phaseOrder[0]} first, the measurements ran ${measured.firstPhase} first`);
  }
  const kernels = measured.bandwidthKernels.map((k) => k.name);
  if (kernels.length && kernels.join(',') !== plan.bandwidthKernels.join(',')) {
    out.push(`bandwidth kernels ran as ${kernels.join(', ')}, the plan orders ${plan.bandwidthKernels.join(', ')}`);
  }
  for (const k of measured.bandwidthKernels) {
    if (k.trials !== plan.bandwidthTrials) out.push(`bandwidth kernel ${k.name} has ${k.trials} trials, the plan ${plan.bandwidthTrials}`);
  }
  const formats: string[] = [];
  for (const c of measured.throughputCases) if (formats[formats.length - 1] !== c.format) formats.push(c.format);
  if (formats.length && formats.join(',') !== plan.throughputFormats.join(',')) {
    out.push(`throughput formats ran as ${formats.join(', ')}, the plan orders ${plan.throughputFormats.join(', ')}`);
  }
  for (const c of measured.throughputCases) {
    if (c.available && c.trials !== plan.throughputTrials) {
      out.push(`throughput case ${c.format} has ${c.trials} trials, the plan ${plan.throughputTrials}`);
    }
  }
  return out;
}

/** Field-by-field difference between a recorded plan and the one recomputed from the nonce. */
export function planMismatch(recorded: RunPlan, recomputed: RunPlan): string | null {
  for (const key of Object.keys(recomputed) as (keyof RunPlan)[]) {
    if (JSON.stringify(recorded[key]) !== JSON.stringify(recomputed[key])) {
      return `the recorded run plan's ${key} is not the one the nonce gives (${PLAN_DERIVATION})`;
    }
  }
  return null;
}
