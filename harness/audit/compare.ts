// Audit reruns: compare a rerun's measurements with the original's, metric by
// metric, and say whether the original is reproduced.
import { summarizeRates } from '../../benchmarks/statistics.js';
import type { Fact, Finding, MeasurementRecord } from '../../attestations/records.js';
import type { AuditLinkRecord } from '../../attestations/statement.js';
import { TppverifyError } from '../errors.js';
import { normalizeIdentifier } from '../identity.js';
import { isLibraryMethod } from '../../benchmarks/registry.js';
import { measuredRates } from '../verdict/verdict.js';

/**
 * A metric is reproduced when the medians differ by at most this share (the
 * MLPerf audit threshold for "materially different"), or by less than the
 * runs' own expanded uncertainty where that is larger.
 */
export const AUDIT_TOLERANCE = 0.02;
export const AUDIT_COVERAGE_FACTOR = 2;
/** Identity facts that must match for an audit to measure the same item. */
export const IDENTITY_KEYS = ['serial', 'uuid'] as const;

export class IdentityMismatchError extends TppverifyError {
  constructor(message: string) {
    super('input', message);
  }
}

/** Refuses a rerun on a different item: serial and UUID must agree where both runs know them. */
export function checkSameItem(original: readonly Fact[], rerun: readonly Fact[]): string {
  const value = (facts: readonly Fact[], name: string) => normalizeIdentifier(facts.find((f) => f.name === name)?.value ?? '');
  // The PDI (the GPU's per-device identifier) where both runs know it, then serial and UUID where either does.
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
  // Our kernels' figures, the ones the verdict rests on; the second method's library figures are compared in step 8.
  for (const k of m.bandwidth?.kernels ?? []) {
    if (k.trialSeconds.length === 0 || isLibraryMethod(k)) continue;
    const bytes = k.bytesReadPerTrial + k.bytesWrittenPerTrial;
    const s = summarizeRates(k.trialSeconds.map((t) => bytes / t / 1e9));
    out.push({ name: `bandwidth:${k.name} GB/s`, median: s.median, relativeSpread: s.median ? s.stddev / s.median : 0 });
  }
  for (const r of measuredRates(m)) {
    out.push({ name: `rate:${r.format} ops/clk/unit`, median: r.opsPerClockPerUnit, relativeSpread: r.relativeUncertainty });
  }
  return out;
}

/** The audit rule's claim name and the statuses its comparisons take. */
const AUDIT_RULE = 'audit';

/**
 * The outcome the comparisons imply, the one rule compareRuns writes and
 * verify re-derives: any metric outside its allowance → not-reproduced; else
 * any metric not measured again, or none compared at all → inconclusive.
 */
export function auditOutcome(comparisons: readonly Finding[]): AuditLinkRecord['outcome'] {
  const metrics = comparisons.filter((c) => c.status !== 'note');
  if (metrics.some((c) => c.status === 'not-confirmed')) return 'not-reproduced';
  if (metrics.length === 0 || metrics.some((c) => c.status !== 'consistent')) return 'inconclusive';
  return 'reproduced';
}

export function compareRuns(originalSha256: string, original: MeasurementRecord, rerun: MeasurementRecord, identityNote: string, nonceReused = false): AuditLinkRecord {
  const before = metrics(original);
  const after = metrics(rerun);
  const comparisons: Finding[] = [{ claim: 'identity', rule: AUDIT_RULE, status: 'note', values: [], labels: [{ name: 'note', value: identityNote }] }];
  for (const metric of before) {
    const again = after.find((m) => m.name === metric.name);
    if (!again) {
      comparisons.push({ claim: metric.name, rule: AUDIT_RULE, status: 'inconclusive', values: [{ name: 'original', value: metric.median }], labels: [] });
      continue;
    }
    const difference = (again.median - metric.median) / metric.median;
    const allowed = Math.max(AUDIT_TOLERANCE, AUDIT_COVERAGE_FACTOR * Math.hypot(metric.relativeSpread, again.relativeSpread));
    comparisons.push({
      claim: metric.name,
      rule: AUDIT_RULE,
      status: Math.abs(difference) <= allowed ? 'consistent' : 'not-confirmed',
      labels: [],
      values: [
        { name: 'original', value: metric.median },
        { name: 'rerun', value: again.median },
        { name: 'allowed', value: allowed },
      ],
    });
  }
  return { originalSha256, outcome: auditOutcome(comparisons), tolerance: AUDIT_TOLERANCE, comparisons, nonceReused };
}

/** What an audit link must satisfy: a SHA-256 digest, the rule's tolerance, each status from its figures, the outcome from the statuses. */
export function auditProblems(link: AuditLinkRecord): string[] {
  const problems: string[] = [];
  if (!/^[0-9a-f]{64}$/.test(link.originalSha256)) problems.push(`the audit's link to its original is not a SHA-256 digest ('${link.originalSha256.slice(0, 80)}')`);
  if (link.tolerance !== AUDIT_TOLERANCE) problems.push(`the audit records a tolerance of ${link.tolerance}; the audit rule's is ${AUDIT_TOLERANCE}`);
  for (const c of link.comparisons) {
    if (c.rule !== AUDIT_RULE) problems.push(`audit comparison ${c.claim} is not by the audit rule`);
    if (c.status === 'note' || c.status === 'inconclusive') continue;
    const get = (name: string) => c.values.find((v) => v.name === name)?.value;
    const original = get('original');
    const rerun = get('rerun');
    const allowed = get('allowed');
    if (original === undefined || rerun === undefined || allowed === undefined || !(original > 0) || !(allowed >= AUDIT_TOLERANCE)) {
      problems.push(`audit comparison ${c.claim} lacks valid original, rerun and allowed figures`);
      continue;
    }
    const expected = Math.abs((rerun - original) / original) <= allowed ? 'consistent' : 'not-confirmed';
    if (c.status !== expected) problems.push(`audit comparison ${c.claim} is recorded ${c.status}; its figures give ${expected}`);
  }
  const outcome = auditOutcome(link.comparisons);
  if (outcome !== link.outcome) problems.push(`the recorded audit outcome ${link.outcome} does not follow from its comparisons (${outcome})`);
  return problems;
}
