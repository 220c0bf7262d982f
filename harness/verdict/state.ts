// State problems: the conditions under which a measurement is not evidence of
// the device's capability (a failed preflight check, a throttled phase,
// arrays that fit in cache). One function derives them, from the same records
// the attestation keeps, so run writes them and verify re-derives them alike.
import { belowSizingRule } from '../../benchmarks/bench.js';
import type { Fact, NamedNumber } from '../../attestations/records.js';

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
export function stateInputsFromRecord(facts: readonly Fact[], bandwidth: StateInputs['bandwidth']): StateInputs {
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
  return { preflight, telemetry, bandwidth };
}
