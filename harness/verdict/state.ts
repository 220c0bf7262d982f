// State problems: the conditions under which a measurement is not evidence of
// the device's capability (a failed preflight check, a throttled phase,
// arrays that fit in cache). One function derives them, from the same records
// the attestation keeps, so run writes them and verify re-derives them alike.
import { belowSizingRule } from '../../benchmarks/bench.js';
import { median } from '../../benchmarks/statistics.js';
import type { Fact, NamedNumber, PhaseEvidenceRecord } from '../../attestations/records.js';
import { DECISION_RULE } from './verdict.js';

export interface PreflightOutcome {
  id: string;
  status: string;
  detail: string;
}

export interface PhaseThrottling {
  phase: string;
  throttled: boolean;
  reasonsSeen: string;
}

export interface StateInputs {
  preflight: readonly PreflightOutcome[];
  telemetry: readonly PhaseThrottling[];
  bandwidth: { arrayBytes: number; sizing: readonly NamedNumber[] } | null;
  /** Clock and power evidence per phase (issue 18); absent in attestations made before it. */
  evidence?: readonly PhaseEvidenceRecord[];
}

/** What a measured clock is taken from: a throughput case's trial clocks. */
export interface ClockedCase {
  available?: boolean;
  trialClockMhz: number[];
  clockMethod?: string;
}

/** The median over every available case's trial clocks (the phase's measured clock); null when none. */
export function measuredClockMhz(cases: readonly ClockedCase[]): number | null {
  const clocks = cases
    .filter((c) => c.available !== false)
    .flatMap((c) => c.trialClockMhz)
    .filter((mhz) => Number.isFinite(mhz) && mhz > 0);
  return clocks.length ? median(clocks) : null;
}

const percent = (share: number) => `${Math.round(share * 1000) / 10} %`;

/** The state problems one phase's clock and power evidence gives (none for what was not read). */
export function evidenceProblems(e: PhaseEvidenceRecord): string[] {
  const p = DECISION_RULE.parameters;
  const problems: string[] = [];
  const power = e.power;
  if (power && power.unreadable === '' && power.samples > 0 && power.enforcedMinW < power.referenceMinW - p.powerLimitToleranceW) {
    problems.push(`the ${e.phase} phase ran with an enforced power limit of ${power.enforcedMinW} W, below the ${power.referenceName || 'reference'} ${power.referenceMinW} W (${power.source})`);
  }
  const clock = e.clock;
  if (clock && clock.comparable && clock.measuredMhz > 0 && clock.reportedSamples > 0) {
    const low = clock.reportedMinMhz * (1 - p.clockAgreementTolerance);
    const high = clock.reportedMaxMhz * (1 + p.clockAgreementTolerance);
    if (clock.measuredMhz < low || clock.measuredMhz > high) {
      problems.push(
        `the ${e.phase} phase measured a clock of ${clock.measuredMhz} MHz where its telemetry reported ${clock.reportedMinMhz}–${clock.reportedMaxMhz} MHz ` +
          `(median ${clock.reportedMedianMhz} MHz; ratio ${clock.reportedMedianMhz > 0 ? Math.round((clock.measuredMhz / clock.reportedMedianMhz) * 1000) / 1000 : 'undefined'}): ` +
          `outside the clock agreement tolerance of ${percent(p.clockAgreementTolerance)}`,
      );
    }
  }
  const timer = e.timer;
  if (timer && !timer.sameClock && timer.trials > 0 && timer.hostSeconds > 0) {
    const ratio = timer.deviceTimerSeconds / timer.hostSeconds;
    if (Math.abs(ratio - 1) > p.hostTimerTolerance) {
      problems.push(
        `the ${e.phase} phase's device timer spanned ${timer.deviceTimerSeconds} s over ${timer.trials} trials the host's steady clock timed at ${timer.hostSeconds} s ` +
          `(ratio ${Math.round(ratio * 10000) / 10000}): the device timer does not tick in real time (tolerance ${percent(p.hostTimerTolerance)})`,
      );
    }
  }
  return problems;
}


/**
 * The sustained phase (benchmarks/sustained.ts) exists to meet the power and
 * thermal limits a user's work meets: clock event reasons there (a power cap
 * after tens of seconds of full load) are what it shows, beside the peak, not
 * a state that makes the peak no evidence. Its telemetry is recorded and
 * reported like every phase's.
 */
export const SUSTAINED_PHASE = 'sustained';

export function stateProblemsOf(inputs: StateInputs): string[] {
  const problems = inputs.preflight.filter((c) => c.status === 'fail').map((c) => `preflight ${c.id}: ${c.detail}`);
  for (const phase of inputs.telemetry) {
    if (phase.throttled && phase.phase !== SUSTAINED_PHASE) problems.push(`the ${phase.phase} phase ran with clock slowdown reasons ${phase.reasonsSeen} active`);
  }
  for (const evidence of inputs.evidence ?? []) problems.push(...evidenceProblems(evidence));
  const bandwidth = inputs.bandwidth;
  if (bandwidth && belowSizingRule(Object.fromEntries(bandwidth.sizing.map((s) => [s.name, s.value])), bandwidth.arrayBytes)) {
    problems.push(`bandwidth arrays of ${bandwidth.arrayBytes} bytes are below the sizing rule: the figures may come from cache, not DRAM`);
  }
  return problems;
}

/** Environment fact names for preflight results and telemetry summaries, as attest records them. */
export const PREFLIGHT_FACT_PREFIX = 'preflight.';
export const TELEMETRY_FACT_PREFIX = 'telemetry.';

/** The state inputs as an attestation records them: preflight and telemetry facts, and the bandwidth record. */
export function stateInputsFromRecord(facts: readonly Fact[], bandwidth: StateInputs['bandwidth'], evidence: readonly PhaseEvidenceRecord[] = []): StateInputs {
  const preflight = facts
    .filter((f) => f.name.startsWith(PREFLIGHT_FACT_PREFIX))
    .map((f) => {
      const at = f.value.indexOf(': ');
      return { id: f.name.slice(PREFLIGHT_FACT_PREFIX.length), status: at < 0 ? f.value : f.value.slice(0, at), detail: at < 0 ? '' : f.value.slice(at + 2) };
    });
  const telemetry = facts
    .filter((f) => f.name.startsWith(TELEMETRY_FACT_PREFIX))
    .map((f) => {
      let summary: Partial<PhaseThrottling> = {};
      try {
        summary = JSON.parse(f.value) as Partial<PhaseThrottling>;
      } catch {
        // An unreadable summary counts as throttled: it cannot show the phase was not.
        summary = { throttled: true, reasonsSeen: 'unreadable' };
      }
      return { phase: f.name.slice(TELEMETRY_FACT_PREFIX.length), throttled: summary.throttled !== false, reasonsSeen: String(summary.reasonsSeen ?? '') };
    });
  return { preflight, telemetry, bandwidth, evidence };
}
