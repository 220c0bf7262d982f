// Interprets the rule sets in rule-sets.ts. Pure functions: the same inputs
// give the same outcome, so a verifier can recompute them offline.
import { TOTAL_DRAM_BANDWIDTH_POLICY, type CaseByCaseRuleSet, type ClassificationRuleSet, type ClassRow, type Interval, type OpenInterval, type TariffWindowRuleSet } from './rule-sets.js';
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
  /** The class in the rule's words, with the conditions that decide it. */
  statement: string;
  /** The class of the server or assembly that holds the chip (4A090), or null when the chip has none. */
  containingSystem: string | null;
  containingSystemNote: string | null;
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

/** Decimals a threshold is written with: 3.2 → 1, 5.92 → 2, 4800 → 0. */
function thresholdDigits(x: number): number {
  const text = String(x);
  return text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
}

type Quantity = 'TPP' | 'PD';
const VALUE_DIGITS: Record<Quantity, number> = { TPP: 0, PD: 2 };

/** "TPP 3,000 is at least 2,400 and below 4,800". */
function holdsText(name: Quantity, value: number, interval: Interval): string {
  const parts: string[] = [];
  if (interval.atLeast !== undefined) parts.push(`at least ${fmt(interval.atLeast, thresholdDigits(interval.atLeast))}`);
  if (interval.below !== undefined) parts.push(`below ${fmt(interval.below, thresholdDigits(interval.below))}`);
  return `${name} ${fmt(value, VALUE_DIGITS[name])} is ${parts.join(' and ')}`;
}

/** The first condition of a row that a figure fails, as (quantity, side, bound). */
function failedCondition(row: ClassRow, tpp: number, performanceDensity: number | null): { name: Quantity; side: 'below' | 'notBelow'; bound: number } | null {
  const checks: [Quantity, number | null, Interval | undefined][] = [['TPP', tpp, row.tpp], ['PD', performanceDensity, row.performanceDensity]];
  for (const [name, value, interval] of checks) {
    if (!interval || value === null) continue;
    if (interval.atLeast !== undefined && value < interval.atLeast) return { name, side: 'below', bound: interval.atLeast };
    if (interval.below !== undefined && value >= interval.below) return { name, side: 'notBelow', bound: interval.below };
  }
  return null;
}

/**
 * The class in the rule's words. A row that holds: its conditions
 * ("3A090.a.1: TPP 15,832 is at least 4,800"). No row: the fewest failed
 * conditions that rule every row out ("not 3A090.a or .b: TPP 2,368 is below
 * 2,400 and PD 2.91 is below 3.2": below 2,400 implies below 4,800).
 */
export function classificationStatement(rules: ClassificationRuleSet, tpp: number, performanceDensity: number | null): string {
  const classification = classificationOf(rules, tpp, performanceDensity);
  const row = rules.rows.find((r) => r.id === classification);
  if (row) {
    const held: string[] = [];
    if (row.tpp) held.push(holdsText('TPP', tpp, row.tpp));
    if (row.performanceDensity && performanceDensity !== null) held.push(holdsText('PD', performanceDensity, row.performanceDensity));
    return `${row.id}: ${held.join(', and ')}`;
  }
  if (classification === UNDETERMINED) {
    const needs = rules.rows.filter((r) => rowStatus(r, tpp, performanceDensity) === 'needs-performance-density').map((r) => r.id);
    return `${rules.scopeName} undetermined: TPP ${fmt(tpp)} leaves ${needs.join(', ')} to the performance density, which is unknown without a die area`;
  }
  // Per quantity and side, the tightest bound: below the lowest atLeast, not below the highest bound.
  const tightest = new Map<string, { name: Quantity; side: 'below' | 'notBelow'; bound: number }>();
  for (const r of rules.rows) {
    const failed = failedCondition(r, tpp, performanceDensity);
    if (!failed) continue;
    const key = `${failed.name}/${failed.side}`;
    const current = tightest.get(key);
    if (!current || (failed.side === 'below' ? failed.bound < current.bound : failed.bound > current.bound)) tightest.set(key, failed);
  }
  const order: Quantity[] = ['TPP', 'PD'];
  const words = [...tightest.values()]
    .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
    .map((c) => {
      const value = c.name === 'TPP' ? tpp : performanceDensity!;
      return `${c.name} ${fmt(value, VALUE_DIGITS[c.name])} is ${c.side === 'below' ? 'below' : 'not below'} ${fmt(c.bound, thresholdDigits(c.bound))}`;
    });
  return `not ${rules.scopeName}: ${words.join(' and ')}`;
}

/** The class of what holds the chip: 4A090.a for a 3A090.a chip, 4A090.b for .b, null otherwise. */
export function containingSystemClass(rules: ClassificationRuleSet, tpp: number, performanceDensity: number | null): string | null {
  const classification = classificationOf(rules, tpp, performanceDensity);
  return rules.rows.find((r) => r.id === classification)?.containingSystem ?? null;
}

/** "The server or assembly that holds it is 4A090.a (…)", or null. */
export function containingSystemNote(rules: ClassificationRuleSet, tpp: number, performanceDensity: number | null): string | null {
  const system = containingSystemClass(rules, tpp, performanceDensity);
  return system ? `a computer, server or assembly that holds the chip is ${system} (${rules.containingSystemCitation}); the unit tested here is the chip` : null;
}

export function classify(
  rules: ClassificationRuleSet,
  tpp: number,
  performanceDensity: number | null,
): ClassificationOutcome {
  const rows: ClassRowOutcome[] = rules.rows.map((row) => {
    return { id: row.id, criterion: row.criterion, status: rowStatus(row, tpp, performanceDensity), reason: rowReason(row, tpp, performanceDensity) };
  });
  return {
    ruleSet: rules.id,
    classification: classificationOf(rules, tpp, performanceDensity),
    statement: classificationStatement(rules, tpp, performanceDensity),
    containingSystem: containingSystemClass(rules, tpp, performanceDensity),
    containingSystemNote: containingSystemNote(rules, tpp, performanceDensity),
    rows,
  };
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
