// The sustained phase (issue 18): after the peak phases, every throughput
// case the peak phase measured runs again, one trial per case per round, the
// formats in the run plan's throughput order, round after round with no idle
// gap, until the level's sustained duration of timed trial seconds has
// passed: the rate the chip holds under work that alternates formats as a
// training step does, recorded beside the peak.
//
// Each trial is one addon call of one trial with its work fixed from the peak
// phase's calibration (ThroughputRequest.fixedWork, native/core/protocols.h):
// no calibration and no warm-up per call, so nearly all of the phase is timed
// work, the accumulator check and clock and unit readings are the peak
// trials' own, and a trial's rate compares with the peak's directly.
import type { DeviceTarget, InjectedFault, ThroughputCaseReport } from './bench.js';
import type { NativeAddon, NativeProgress, NativeThroughputCase } from './native-addon.js';
import { isLibraryMethod, type RunSettings } from './registry.js';
import { ResultValidationError, validateThroughputCase, validateThroughputTrials } from './validate.js';
import type { SustainedPhaseRecord, SustainedTrialRecord, ThroughputCaseRecord } from '../attestations/records.js';

export type SustainedReport = SustainedPhaseRecord;

/** What the sustained phase needs of the peak phase: per format, in run order, each case's label and work per trial. */
export interface SustainedRequest {
  /** The formats in the plan's throughput order (RunPlan.order('throughput', formats)). */
  formatOrder: string[];
  /** "FORMAT/engine" → the peak trial's work. */
  fixedWork: Record<string, number>;
  /** Per format, the code variant its peak cases ran (run plan): the same code, so the same work per trial. */
  variants: Record<string, number>;
  /** The operand seed the peak cases took (run plan; 0 where none did). */
  operandSeed: number;
  requiredSeconds: number;
}

/**
 * A bound on rounds, so a broken timer that reports tiny trials cannot keep
 * the phase running forever: 100,000 rounds is far beyond any level (600
 * trial lengths), and the phase's time limit stops it first anyway.
 */
export const MAX_SUSTAINED_ROUNDS = 100_000;

export const caseLabel = (c: { format: string; engine: string }): string => `${c.format}/${c.engine}`;

/**
 * The peak cases the sustained phase runs again: our own kernels that ran.
 * The second method's library cases are left out: the phase holds each of our
 * kernels against its own peak, and step 8 compares the libraries already.
 */
export function sustainedCasesOf<T extends { available: boolean; method?: string; trialSeconds: readonly number[] }>(peak: readonly T[]): T[] {
  return peak.filter((c) => c.available && !isLibraryMethod(c) && c.trialSeconds.length > 0);
}

/** The sustained request for the peak phase's cases (sustainedCasesOf), in the given format order. */
export function sustainedRequestFor(peak: readonly ThroughputCaseReport[], formatOrder: readonly string[], requiredSeconds: number): SustainedRequest {
  const fixedWork: Record<string, number> = {};
  const cases = sustainedCasesOf(peak).filter((c) => c.workPerTrial > 0);
  for (const c of cases) fixedWork[caseLabel(c)] = c.workPerTrial;
  const formats = new Set(cases.map((c) => c.format));
  const variants: Record<string, number> = {};
  for (const c of cases) variants[c.format] = c.variant;
  const operandSeed = Math.max(0, ...cases.map((c) => c.operandSeed || 0));
  return { formatOrder: formatOrder.filter((f) => formats.has(f)), fixedWork, variants, operandSeed, requiredSeconds };
}

export async function measureSustained(
  addon: NativeAddon,
  target: DeviceTarget,
  settings: RunSettings,
  request: SustainedRequest,
  onProgress: (event: NativeProgress) => void,
  fault?: InjectedFault,
): Promise<SustainedReport> {
  const startedAt = new Date().toISOString();
  const trials: SustainedTrialRecord[] = [];
  let total = 0;
  let rounds = 0;
  while (request.formatOrder.length && total < request.requiredSeconds) {
    if (++rounds > MAX_SUSTAINED_ROUNDS) throw new ResultValidationError('sustained', `${MAX_SUSTAINED_ROUNDS} rounds reached only ${total} s of ${request.requiredSeconds}`);
    for (const format of request.formatOrder) {
      const fixedWork = Object.fromEntries(Object.entries(request.fixedWork).filter(([label]) => label.startsWith(`${format}/`)));
      const result = await addon.measureThroughput(
        target.backend,
        target.index,
        {
          secondsPerTrial: settings.secondsPerTrial,
          trials: 1,
          // The peak phase's sweep variants, if it ran them, are peak cases too.
          sweep: settings.sweep === true,
          formats: [format],
          fixedWork,
          variant: request.variants[format] ?? 0,
          ...(request.operandSeed ? { operandSeed: request.operandSeed } : {}),
          ...(fault?.suite === 'throughput' ? { faultCase: fault.name } : {}),
        },
        onProgress,
      );
      for (const c of result.cases) {
        if (!c.available) continue;
        const label = caseLabel(c);
        // Every case of the format ran the peak's work: one that did not was calibrated afresh, not sustained.
        if (fixedWork[label] === undefined || c.workPerTrial !== fixedWork[label]) {
          throw new ResultValidationError(label, `the sustained trial ran ${c.workPerTrial ?? 'unreported'} work, not the peak phase's ${fixedWork[label] ?? 'none'}`);
        }
        validateThroughputTrials(c, 1, false);
        const seconds = c.trialSeconds[0] as number;
        trials.push({ format: c.format, engine: c.engine, round: rounds, seconds, clockMhz: c.trialClockMhz[0] as number, units: c.units, opsPerTrial: c.opsPerTrial });
        total += seconds;
      }
    }
  }
  return { secondsPerTrial: settings.secondsPerTrial, requiredSeconds: request.requiredSeconds, rounds, startedAt, finishedAt: new Date().toISOString(), trials };
}

/** ops per clock per unit of one sustained trial. */
export function sustainedPerClock(t: SustainedTrialRecord): number {
  return t.opsPerTrial / t.seconds / (t.clockMhz * 1e6) / t.units;
}

/**
 * The acceptance rules of a throughput trial, re-applied to a recorded
 * sustained phase: every trial of a case the peak phase measured, with the
 * peak's work, finite positive timings and clocks, and each case's median
 * per-clock rate under the hardware bound.
 */
export function validateSustained(record: SustainedPhaseRecord, peak: readonly ThroughputCaseRecord[]): void {
  const byCase = new Map<string, SustainedTrialRecord[]>();
  for (const t of record.trials) {
    const label = caseLabel(t);
    const list = byCase.get(label) ?? [];
    list.push(t);
    byCase.set(label, list);
  }
  for (const [label, list] of byCase) {
    const p = peak.find((c) => c.available && caseLabel(c) === label);
    if (!p) throw new ResultValidationError(label, 'a sustained case the peak phase did not measure');
    list.forEach((t, i) => {
      if (t.opsPerTrial !== p.opsPerTrial) throw new ResultValidationError(label, `sustained trial ${i + 1} ran ${t.opsPerTrial} ops, not the peak trials' ${p.opsPerTrial}`);
      if (!(t.seconds > 0) || !Number.isFinite(t.seconds)) throw new ResultValidationError(label, `sustained trial ${i + 1} took ${t.seconds} s`);
      if (!(t.clockMhz > 0) || !Number.isFinite(t.clockMhz) || !(t.units > 0)) throw new ResultValidationError(label, `no valid clock or unit reading for sustained trial ${i + 1}`);
    });
    // The same bound and slack as every throughput case (validate.ts), over the case's sustained trials;
    // each trial's own unit count is folded into its clock (ops ÷ (s × MHz × units) is unchanged).
    const asCase = { ...p, units: 1, trialSeconds: list.map((t) => t.seconds), trialClockMhz: list.map((t) => t.clockMhz * t.units) } as NativeThroughputCase;
    validateThroughputCase(asCase, 1);
  }
}
