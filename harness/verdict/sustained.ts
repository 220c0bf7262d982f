// The sustained phase beside the peak (issue 18): per format, the rate the
// chip held while the formats alternated round after round, against the peak
// phase's rate of the same case and the same work. Pure functions of the
// measurement record, so the verdict and verify compute them alike.
import { summarizeRates } from '../../benchmarks/statistics.js';
import { caseLabel, sustainedCasesOf, sustainedPerClock } from '../../benchmarks/sustained.js';
import { recordedLevel, sustainedDeviation, sustainedSeconds, type TestLevel } from '../../benchmarks/levels.js';
import type { MeasurementRecord, SustainedPhaseRecord } from '../../attestations/records.js';
import { RunPlan } from '../plan/run-plan.js';
import { perClockTrials } from './record.js';

/** One case's sustained figures against its peak. */
export interface SustainedComparison {
  format: string;
  engine: string;
  trials: number;
  seconds: number;
  peakTops: number;
  sustainedTops: number;
  /** sustainedTops ÷ peakTops. */
  ratio: number;
  peakOpsPerClockPerUnit: number;
  sustainedOpsPerClockPerUnit: number;
  perClockRatio: number;
  /** Relative standard deviations of the trials, for the guard band. */
  peakRelativeStddev: number;
  sustainedRelativeStddev: number;
  peakPerClockRelativeStddev: number;
  sustainedPerClockRelativeStddev: number;
}

const relative = (s: { median: number; stddev: number }) => (s.median > 0 ? s.stddev / s.median : 0);

const sumSeconds = (trials: readonly { seconds: number }[]) => trials.reduce((sum, t) => sum + t.seconds, 0);

/** The total timed seconds of the phase. */
export function sustainedTotalSeconds(s: SustainedPhaseRecord): number {
  return sumSeconds(s.trials);
}

/**
 * Per case (format and engine), in the order the trials ran them: the peak
 * and sustained medians and their ratios. Every engine, not only the one the
 * rate step uses: a peak held down on one engine would make another look best.
 */
export function sustainedComparisons(m: MeasurementRecord): SustainedComparison[] {
  const s = m.sustained;
  if (!s) return [];
  const out: SustainedComparison[] = [];
  for (const label of [...new Set(s.trials.map(caseLabel))]) {
    const peak = m.throughput.find((c) => c.available && c.trialSeconds.length > 0 && caseLabel(c) === label);
    if (!peak) continue;
    const trials = s.trials.filter((t) => caseLabel(t) === label);
    const peakTops = summarizeRates(peak.trialSeconds.map((sec) => peak.opsPerTrial / sec / 1e12), `${label} peak TOPS`);
    const peakPerClock = summarizeRates(perClockTrials(peak), `${label} peak ops/clock`);
    const tops = summarizeRates(trials.map((t) => t.opsPerTrial / t.seconds / 1e12), `${label} sustained TOPS`);
    const perClock = summarizeRates(trials.map(sustainedPerClock), `${label} sustained ops/clock`);
    out.push({
      format: peak.format,
      engine: peak.engine,
      trials: trials.length,
      seconds: sumSeconds(trials),
      peakTops: peakTops.median,
      sustainedTops: tops.median,
      ratio: tops.median / peakTops.median,
      peakOpsPerClockPerUnit: peakPerClock.median,
      sustainedOpsPerClockPerUnit: perClock.median,
      perClockRatio: perClock.median / peakPerClock.median,
      peakRelativeStddev: relative(peakTops),
      sustainedRelativeStddev: relative(tops),
      peakPerClockRelativeStddev: relative(peakPerClock),
      sustainedPerClockRelativeStddev: relative(perClock),
    });
  }
  return out;
}

/**
 * How a recorded sustained phase departs from what the run's level and plan
 * ask, as plain sentences (empty when it follows them): present wherever the
 * peak phase measured a case; as long as the level asks (another length only
 * as a recorded deviation); every
 * round the same cases with the formats in the nonce's throughput order;
 * rounds numbered 1, 2, … with none cut short.
 */
export function sustainedDepartures(
  nonce: Uint8Array,
  method: { level: string; quick: boolean; deviations: readonly string[] },
  m: MeasurementRecord,
): string[] {
  const peakCases = sustainedCasesOf(m.throughput);
  const s = m.sustained;
  if (!s) return peakCases.length ? ['the attestation records no sustained phase: the rate the device holds under alternating work is not shown'] : [];
  const out: string[] = [];
  const level: TestLevel = recordedLevel(method);
  const required = s.requiredSeconds;
  // Another length than the level's is allowed only as the deviation the method records in its words.
  const deviation = sustainedDeviation(level, required);
  if (deviation && !method.deviations.includes(deviation)) {
    out.push(`the sustained phase asks ${required} s, not the ${level} level's ${sustainedSeconds(level)} s, and the method records no such deviation`);
  }
  const total = sustainedTotalSeconds(s);
  if (!(total >= required)) out.push(`the sustained phase lasted ${total} timed seconds, under the ${required} s it asks`);
  // The rotation: every round the same cases, the formats in the plan's throughput order.
  const formats = [...new Set(peakCases.map((c) => c.format))];
  const expected: string[] = [];
  for (const format of new RunPlan(nonce).order('throughput', formats)) {
    for (const c of peakCases) if (c.format === format) expected.push(caseLabel(c));
  }
  const rounds = new Map<number, string[]>();
  let last = 0;
  for (const t of s.trials) {
    if (t.round < last) {
      out.push(`sustained round ${t.round} ran after round ${last}: rounds out of order`);
      break;
    }
    last = t.round;
    rounds.set(t.round, [...(rounds.get(t.round) ?? []), caseLabel(t)]);
  }
  if (s.rounds !== rounds.size || [...rounds.keys()].some((r, i) => r !== i + 1)) {
    out.push(`the sustained phase records ${s.rounds} rounds; its trials are numbered ${[...rounds.keys()].slice(0, 5).join(', ')}${rounds.size > 5 ? ', …' : ''}`);
  }
  const bad = [...rounds].find(([, labels]) => labels.join(',') !== expected.join(','));
  if (bad) out.push(`sustained round ${bad[0]} ran ${bad[1].join(', ')}; the nonce's throughput order over the measured cases is ${expected.join(', ')}`);
  return out;
}
