// Audit reruns: compare a rerun's measurements with the original's, metric by
// metric, and say whether the original is reproduced.
import { summarizeRates } from '../benchmarks/statistics.js';
import type { Fact, MeasurementRecord } from '../harness/verdict/record.js';
import { measuredRates, type Finding } from '../harness/verdict/verdict.js';
import type { AuditLinkRecord } from './statement.js';

/**
 * A metric is reproduced when the medians differ by at most this share (the
 * MLPerf audit threshold for "materially different"), or by less than the
 * runs' own expanded uncertainty where that is larger.
 */
export const AUDIT_TOLERANCE = 0.02;
export const AUDIT_COVERAGE_FACTOR = 2;
/** Identity facts that must match for an audit to measure the same item. */
export const IDENTITY_KEYS = ['serial', 'uuid'] as const;

export class IdentityMismatchError extends Error {
  override readonly name = 'IdentityMismatchError';
}

/**
 * Refuses a rerun on a different item: the PDI (the GPU's per-device
 * identifier) where both runs know it, and serial and UUID where either does.
 */
export function checkSameItem(original: readonly Fact[], rerun: readonly Fact[]): string {
  const value = (facts: readonly Fact[], name: string) => facts.find((f) => f.name === name)?.value ?? '';
  const [pdiA, pdiB] = [value(original, 'pdi').toLowerCase(), value(rerun, 'pdi').toLowerCase()];
  const pdiCompared = pdiA !== '' && pdiB !== '';
  if (pdiCompared && pdiA !== pdiB) throw new IdentityMismatchError(`device PDI differs: the original attests '${pdiA}', this device reports '${pdiB}'`);
  let compared = 0;
  for (const key of IDENTITY_KEYS) {
    const a = value(original, key);
    const b = value(rerun, key);
    if (!a && !b) continue;
    if (a !== b) throw new IdentityMismatchError(`device ${key} differs: the original attests '${a || '(none)'}', this device reports '${b || '(none)'}'`);
    compared++;
  }
  for (const key of ['vendor', 'model'] as const) {
    if (value(original, key) !== value(rerun, key)) {
      throw new IdentityMismatchError(`device ${key} differs: '${value(original, key)}' attested, '${value(rerun, key)}' here`);
    }
  }
  const matched = [...(pdiCompared ? ['PDI'] : []), ...IDENTITY_KEYS.filter((k) => value(original, k))];
  return compared || pdiCompared ? `same item: ${matched.join(' and ')} match` : 'the device reports no serial or UUID: matched by vendor and model only';
}

interface Metric {
  name: string;
  median: number;
  relativeSpread: number;
}

function metrics(m: MeasurementRecord): Metric[] {
  const out: Metric[] = [];
  for (const k of m.bandwidth?.kernels ?? []) {
    if (k.trialSeconds.length === 0) continue;
    const bytes = k.bytesReadPerTrial + k.bytesWrittenPerTrial;
    const s = summarizeRates(k.trialSeconds.map((t) => bytes / t / 1e9));
    out.push({ name: `bandwidth:${k.name} GB/s`, median: s.median, relativeSpread: s.median ? s.stddev / s.median : 0 });
  }
  for (const r of measuredRates(m)) {
    out.push({ name: `rate:${r.format} ops/clk/unit`, median: r.opsPerClockPerUnit, relativeSpread: r.relativeUncertainty });
  }
  return out;
}

export function compareRuns(originalSha256: string, original: MeasurementRecord, rerun: MeasurementRecord, identityNote: string): AuditLinkRecord {
  const before = metrics(original);
  const after = metrics(rerun);
  const comparisons: Finding[] = [{ claim: 'identity', rule: 'audit', status: 'note', values: [], labels: [{ name: 'note', value: identityNote }] }];
  let missing = false;
  let differs = false;
  for (const metric of before) {
    const again = after.find((m) => m.name === metric.name);
    if (!again) {
      missing = true;
      comparisons.push({ claim: metric.name, rule: 'audit', status: 'inconclusive', values: [{ name: 'original', value: metric.median }], labels: [] });
      continue;
    }
    const difference = (again.median - metric.median) / metric.median;
    const allowed = Math.max(AUDIT_TOLERANCE, AUDIT_COVERAGE_FACTOR * Math.hypot(metric.relativeSpread, again.relativeSpread));
    const ok = Math.abs(difference) <= allowed;
    if (!ok) differs = true;
    comparisons.push({
      claim: metric.name,
      rule: 'audit',
      status: ok ? 'consistent' : 'not-confirmed',
      labels: [],
      values: [
        { name: 'original', value: metric.median },
        { name: 'rerun', value: again.median },
        { name: 'allowed', value: allowed },
      ],
    });
  }
  if (before.length === 0) missing = true;
  return {
    originalSha256,
    outcome: differs ? 'not-reproduced' : missing ? 'inconclusive' : 'reproduced',
    tolerance: AUDIT_TOLERANCE,
    comparisons,
  };
}
