// Interprets the rule sets in rule-sets.ts. Pure functions: the same inputs
// give the same outcome, so a verifier can recompute them offline.
import { TOTAL_DRAM_BANDWIDTH_POLICY, type CaseByCaseRuleSet, type ClassificationRuleSet, type Interval, type OpenInterval, type TariffWindowRuleSet } from './rule-sets.js';
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

/** The status of one class row: numbers only. */
export function rowStatus(
  row: ClassificationRuleSet['rows'][number],
  tpp: number,
  performanceDensity: number | null,
): RowStatus {
  if (row.tpp && !inInterval(tpp, row.tpp)) return 'fails';
  if (row.performanceDensity) {
    if (performanceDensity === null) return 'needs-performance-density';
    if (!inInterval(performanceDensity, row.performanceDensity)) return 'fails';
  }
  return 'holds';
}

/** The class alone, without reasons: what verify recomputes. */
export function classificationOf(rules: ClassificationRuleSet, tpp: number, performanceDensity: number | null): string {
  for (const row of rules.rows) {
    const status = rowStatus(row, tpp, performanceDensity);
    if (status === 'needs-performance-density') return UNDETERMINED;
    if (status === 'holds') return row.id;
  }
  return rules.noClass;
}

function rowReason(row: ClassificationRuleSet['rows'][number], tpp: number, performanceDensity: number | null): string {
  const reasons: string[] = [];
  if (row.tpp) reasons.push(describeInterval('TPP', tpp, row.tpp, 0));
  // A row whose TPP condition fails is decided: its PD condition is not looked at.
  if (row.tpp && !inInterval(tpp, row.tpp)) return reasons.join('; ');
  if (row.performanceDensity) {
    reasons.push(
      performanceDensity === null
        ? 'performance density unknown: no die area declared, so this row cannot be decided'
        : describeInterval('PD', performanceDensity, row.performanceDensity, 2),
    );
  }
  return reasons.join('; ');
}

export function classify(
  rules: ClassificationRuleSet,
  tpp: number,
  performanceDensity: number | null,
): ClassificationOutcome {
  const rows: ClassRowOutcome[] = rules.rows.map((row) => {
    return { id: row.id, criterion: row.criterion, status: rowStatus(row, tpp, performanceDensity), reason: rowReason(row, tpp, performanceDensity) };
  });
  return { ruleSet: rules.id, classification: classificationOf(rules, tpp, performanceDensity), rows };
}

export type CaseByCaseDecision = Omit<CaseByCaseOutcome, 'reasons'>;

/** Eligibility and margins alone, without reasons: what verify recomputes. */
export function decideCaseByCase(rules: CaseByCaseRuleSet, tpp: number, dramBandwidthGbps: number): CaseByCaseDecision {
  return {
    ruleSet: rules.id,
    eligible: tpp < rules.tppBelow && dramBandwidthGbps < rules.dramBandwidthGbpsBelow,
    tppMargin: rules.tppBelow - tpp,
    dramBandwidthMarginGbps: rules.dramBandwidthGbpsBelow - dramBandwidthGbps,
  };
}

/** The plain-language reasons for a case-by-case decision. */
export function caseByCaseReasons(rules: CaseByCaseRuleSet, tpp: number, dramBandwidthGbps: number): string[] {
  const { tppMargin, dramBandwidthMarginGbps } = decideCaseByCase(rules, tpp, dramBandwidthGbps);
  const percent = (margin: number, limit: number) => fmt((Math.abs(margin) / limit) * 100, 1);
  return [
    tpp < rules.tppBelow
      ? `TPP ${fmt(tpp)} is below ${fmt(rules.tppBelow)} by ${fmt(tppMargin)} (${percent(tppMargin, rules.tppBelow)} %)`
      : `TPP ${fmt(tpp)} is not below ${fmt(rules.tppBelow)} (the limit is strict; over by ${fmt(-tppMargin)})`,
    dramBandwidthGbps < rules.dramBandwidthGbpsBelow
      ? `total DRAM bandwidth ${fmt(dramBandwidthGbps)} GB/s is below ${fmt(rules.dramBandwidthGbpsBelow)} GB/s by ${fmt(dramBandwidthMarginGbps)} GB/s (${percent(dramBandwidthMarginGbps, rules.dramBandwidthGbpsBelow)} %)`
      : `total DRAM bandwidth ${fmt(dramBandwidthGbps)} GB/s is not below ${fmt(rules.dramBandwidthGbpsBelow)} GB/s (the limit is strict; over by ${fmt(-dramBandwidthMarginGbps)} GB/s)`,
    `total DRAM bandwidth read as ${TOTAL_DRAM_BANDWIDTH_POLICY.short}`,
  ];
}

export function evaluateCaseByCase(rules: CaseByCaseRuleSet, tpp: number, dramBandwidthGbps: number): CaseByCaseOutcome {
  return { ...decideCaseByCase(rules, tpp, dramBandwidthGbps), reasons: caseByCaseReasons(rules, tpp, dramBandwidthGbps) };
}

export interface Section232Decision {
  ruleSet: string;
  /** TPP and total DRAM bandwidth both inside one of the Annex windows. */
  covered: boolean;
  /** The window's number in the Annex, or null outside every window. */
  window: number | null;
}

export interface Section232Outcome extends Section232Decision {
  reasons: string[];
}

export function inOpenInterval(value: number, interval: OpenInterval): boolean {
  return value > interval.above && value < interval.below;
}

/** The window, if any, that holds both figures: what verify recomputes. */
export function decideSection232(rules: TariffWindowRuleSet, tpp: number, dramBandwidthGbps: number): Section232Decision {
  const window = rules.windows.find((w) => inOpenInterval(tpp, w.tpp) && inOpenInterval(dramBandwidthGbps, w.dramBandwidthGbps));
  return { ruleSet: rules.id, covered: window !== undefined, window: window?.number ?? null };
}

function describeOpen(name: string, value: number, interval: OpenInterval, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  if (value <= interval.above) return `${name} ${fmt(value)}${u} is not above ${fmt(interval.above)}${u}`;
  if (value >= interval.below) return `${name} ${fmt(value)}${u} is not below ${fmt(interval.below)}${u}`;
  return `${name} ${fmt(value)}${u} is above ${fmt(interval.above)} and below ${fmt(interval.below)}${u}`;
}

/** One line per window, then what "covered" leaves out. */
export function section232Reasons(rules: TariffWindowRuleSet, tpp: number, dramBandwidthGbps: number): string[] {
  const reasons = rules.windows.map((w) => {
    const inside = inOpenInterval(tpp, w.tpp) && inOpenInterval(dramBandwidthGbps, w.dramBandwidthGbps);
    return `window (${w.number}) ${inside ? 'holds' : 'does not hold'}: ${describeOpen('TPP', tpp, w.tpp, '')}; ${describeOpen('total DRAM bandwidth', dramBandwidthGbps, w.dramBandwidthGbps, 'GB/s')} (both bounds strict)`;
  });
  const covered = decideSection232(rules, tpp, dramBandwidthGbps).covered;
  reasons.push(
    covered
      ? `covered: a ${fmt(rules.dutyPercent)} % duty under heading ${rules.heading} on import into the US, unless a use exemption applies (exemptions are not evaluated)`
      : `in no window of the Annex: no duty under heading ${rules.heading} on these figures`,
    `total DRAM bandwidth read as ${TOTAL_DRAM_BANDWIDTH_POLICY.short}`,
  );
  return reasons;
}

export function evaluateSection232(rules: TariffWindowRuleSet, tpp: number, dramBandwidthGbps: number): Section232Outcome {
  return { ...decideSection232(rules, tpp, dramBandwidthGbps), reasons: section232Reasons(rules, tpp, dramBandwidthGbps) };
}
