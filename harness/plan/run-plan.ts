// The run plan: which suite runs first, the order of kernels and formats, the
// number of trials and the idle gap before each case, all derived from the
// run's nonce. Firmware that recognises "the benchmark" by its fixed sequence
// sees a different sequence on every run, and a verifier recomputes the plan
// from the nonce and refuses measurements that did not follow it.
//
// Derivation (docs/run-plan.md): every draw is HMAC-SHA256 keyed by the nonce
// over a domain-separated message; kernels and formats run in ascending order
// of their own draw, so the order of any set follows from the nonce alone and
// the harness need not know beforehand which formats a device offers.
import { createHmac } from 'node:crypto';
import type { MeasurementRecord, RunPlanRecord } from '../../attestations/records.js';

export const PLAN_DERIVATION = 'tppverify-run-plan@1';

/** The fewest timed trials a reported figure may rest on (benchmarks/registry.ts MIN_TRIALS). */
export const PLAN_MIN_TRIALS = 10;
/** Up to this many trials more than the minimum, drawn per suite. */
export const PLAN_MAX_EXTRA_TRIALS = 4;
/** Idle gap before each case: 0 … this many milliseconds, in steps of PLAN_IDLE_GAP_STEP_MS. */
export const PLAN_MAX_IDLE_GAP_MS = 200;
export const PLAN_IDLE_GAP_STEP_MS = 10;

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
}

/** The plan as recorded in an attestation: what the run did, step by step (proto RunPlan). */
export type RecordedPlan = RunPlanRecord;

/** The record of a plan over the kernels and formats that ran. */
export function recordPlan(plan: RunPlan, bandwidthKernels: readonly string[], throughputFormats: readonly string[]): RecordedPlan {
  const steps: RecordedPlan['steps'] = [];
  for (const suite of plan.phaseOrder()) {
    const names = suite === 'bandwidth' ? bandwidthKernels : throughputFormats;
    for (const name of plan.order(suite, names)) steps.push({ suite, name, idleGapMs: plan.idleGapMs(suite, name) });
  }
  return {
    derivation: plan.derivation,
    phaseOrder: plan.phaseOrder(),
    bandwidthTrials: plan.trials('bandwidth'),
    throughputTrials: plan.trials('throughput'),
    steps,
  };
}

/** What a recorded measurement says about how it was run, in recorded (run) order. */
export interface MeasuredSequence {
  bandwidthKernels: { name: string; trials: number }[];
  /** Several engines may share a format; unavailable cases have no trials. */
  throughputCases: { format: string; available: boolean; trials: number }[];
}

function formatsInOrder(cases: MeasuredSequence['throughputCases']): string[] {
  const out: string[] = [];
  for (const c of cases) if (out[out.length - 1] !== c.format) out.push(c.format);
  return out;
}

/** The sequence a measurement record shows: kernels and cases in recorded (run) order. */
export function measuredSequence(m: MeasurementRecord): MeasuredSequence {
  return {
    bandwidthKernels: (m.bandwidth?.kernels ?? []).map((k) => ({ name: k.name, trials: k.trialSeconds.length })),
    throughputCases: m.throughput.map((c) => ({ format: c.format, available: c.available, trials: c.trialSeconds.length })),
  };
}

/** The record of the plan a run with this nonce followed, over the kernels and formats it measured. */
export function planRecordFor(nonce: Uint8Array, m: MeasurementRecord): RecordedPlan {
  const seq = measuredSequence(m);
  return recordPlan(new RunPlan(nonce), seq.bandwidthKernels.map((k) => k.name), formatsInOrder(seq.throughputCases));
}

/**
 * Every way a recorded plan and its measurements depart from the plan the
 * nonce gives, as plain sentences; empty when they follow it.
 */
export function planDepartures(nonce: Uint8Array, recorded: RecordedPlan, measured: MeasuredSequence): string[] {
  const plan = new RunPlan(nonce);
  const out: string[] = [];
  if (recorded.derivation !== PLAN_DERIVATION) {
    return [`run plan derivation '${recorded.derivation}' is not ${PLAN_DERIVATION}, which this verifier implements`];
  }
  const kernels = measured.bandwidthKernels.map((k) => k.name);
  const formats = formatsInOrder(measured.throughputCases);
  if (new Set(formats).size !== formats.length) out.push('a throughput format ran in two separate places: not in plan order');
  const expected = recordPlan(plan, kernels, formats);
  const sameAs = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const key of ['phaseOrder', 'bandwidthTrials', 'throughputTrials', 'steps'] as const) {
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
  return out;
}
