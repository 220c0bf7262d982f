// Interprets the rule sets in rule-sets.ts. Pure functions: the same inputs
// give the same outcome, so a verifier can recompute them offline.
import type { CaseByCaseRuleSet, ClassificationRuleSet, Interval } from './rule-sets.js';
import { formatFixed as fmt } from '../format.js';

export type RowStatus = 'holds' | 'fails' | 'needs-performance-density';

export interface ClassRowOutcome {
  id: string;
  criterion: string;
  status: RowStatus;
  reason: string;
}

export interface ClassificationOutcome {
  ruleSet: string;
  /** A row id, the rule set's no-class value, or 'undetermined' when a row that needs PD precedes any that holds. */
  classification: string;
  rows: ClassRowOutcome[];
}

export interface CaseByCaseOutcome {
  ruleSet: string;
  eligible: boolean;
  /** Limit − TPP: positive means under the limit. */
  tppMargin: number;
  /** Limit − bandwidth: positive means under the limit. */
  dramBandwidthMarginGbps: number;
  reasons: string[];
}

export const UNDETERMINED = 'undetermined';


export function inInterval(value: number, interval: Interval): boolean {
  return (interval.atLeast === undefined || value >= interval.atLeast) && (interval.below === undefined || value < interval.below);
}

function describeInterval(name: string, value: number, interval: Interval, digits: number): string {
  const parts: string[] = [];
  if (interval.atLeast !== undefined) parts.push(`≥ ${fmt(interval.atLeast, digits)}`);
  if (interval.below !== undefined) parts.push(`< ${fmt(interval.below, digits)}`);
  return `${name} ${fmt(value, digits)} ${inInterval(value, interval) ? 'is' : 'is not'} ${parts.join(' and ')}`;
}

export function classify(
  rules: ClassificationRuleSet,
  tpp: number,
  performanceDensity: number | null,
): ClassificationOutcome {
  const rows: ClassRowOutcome[] = rules.rows.map((row) => {
    const reasons: string[] = [];
    if (row.tpp) {
      reasons.push(describeInterval('TPP', tpp, row.tpp, 0));
      if (!inInterval(tpp, row.tpp)) return { id: row.id, criterion: row.criterion, status: 'fails', reason: reasons.join('; ') };
    }
    if (row.performanceDensity) {
      if (performanceDensity === null) {
        reasons.push('performance density unknown: no die area declared, so this row cannot be decided');
        return { id: row.id, criterion: row.criterion, status: 'needs-performance-density', reason: reasons.join('; ') };
      }
      reasons.push(describeInterval('PD', performanceDensity, row.performanceDensity, 2));
      if (!inInterval(performanceDensity, row.performanceDensity)) {
        return { id: row.id, criterion: row.criterion, status: 'fails', reason: reasons.join('; ') };
      }
    }
    return { id: row.id, criterion: row.criterion, status: 'holds', reason: reasons.join('; ') };
  });
  let classification = rules.noClass;
  for (const row of rows) {
    if (row.status === 'needs-performance-density') {
      classification = UNDETERMINED;
      break;
    }
    if (row.status === 'holds') {
      classification = row.id;
      break;
    }
  }
  return { ruleSet: rules.id, classification, rows };
}

export function evaluateCaseByCase(rules: CaseByCaseRuleSet, tpp: number, dramBandwidthGbps: number): CaseByCaseOutcome {
  const tppMargin = rules.tppBelow - tpp;
  const dramBandwidthMarginGbps = rules.dramBandwidthGbpsBelow - dramBandwidthGbps;
  const tppOk = tpp < rules.tppBelow;
  const bandwidthOk = dramBandwidthGbps < rules.dramBandwidthGbpsBelow;
  const percent = (margin: number, limit: number) => fmt((Math.abs(margin) / limit) * 100, 1);
  const reasons = [
    tppOk
      ? `TPP ${fmt(tpp)} is below ${fmt(rules.tppBelow)} by ${fmt(tppMargin)} (${percent(tppMargin, rules.tppBelow)} %)`
      : `TPP ${fmt(tpp)} is not below ${fmt(rules.tppBelow)} (the limit is strict; over by ${fmt(-tppMargin)})`,
    bandwidthOk
      ? `total DRAM bandwidth ${fmt(dramBandwidthGbps)} GB/s is below ${fmt(rules.dramBandwidthGbpsBelow)} GB/s by ${fmt(dramBandwidthMarginGbps)} GB/s (${percent(dramBandwidthMarginGbps, rules.dramBandwidthGbpsBelow)} %)`
      : `total DRAM bandwidth ${fmt(dramBandwidthGbps)} GB/s is not below ${fmt(rules.dramBandwidthGbpsBelow)} GB/s (the limit is strict; over by ${fmt(-dramBandwidthMarginGbps)} GB/s)`,
    `bandwidth reading: ${rules.dramBandwidthReading}`,
  ];
  return { ruleSet: rules.id, eligible: tppOk && bandwidthOk, tppMargin, dramBandwidthMarginGbps, reasons };
}
