// The rules as versioned data: thresholds, dates and citations live here, and
// the evaluation code (evaluate.ts) interprets them without branching on ids.

/** A half-open interval: atLeast ≤ x < below. Either end may be absent. */
export interface Interval {
  atLeast?: number;
  below?: number;
}

export interface ClassRow {
  id: string;
  criterion: string;
  tpp?: Interval;
  performanceDensity?: Interval;
}

export interface ClassificationRuleSet {
  id: string;
  version: string;
  title: string;
  effectiveDate: string;
  citation: string;
  /** Rows in order of precedence; the first that holds is the class. */
  rows: ClassRow[];
  /** The class when no row holds. */
  noClass: string;
  notes: string[];
}

export interface CaseByCaseRuleSet {
  id: string;
  version: string;
  title: string;
  effectiveDate: string;
  citation: string;
  /** Both limits are strict: the value must be below them. */
  tppBelow: number;
  dramBandwidthGbpsBelow: number;
  /** Which reading of "total DRAM bandwidth" is applied (the rule's note was not retrieved). */
  dramBandwidthReading: string;
}

export const ECCN_3A090: ClassificationRuleSet = {
  id: 'eccn-3a090',
  version: '2024-12',
  title: 'ECCN 3A090.a/.b thresholds after the December 2024 revision',
  effectiveDate: '2024-12-02',
  citation: '15 CFR part 774, Supplement No. 1, ECCN 3A090, Technical Notes 1–3',
  rows: [
    { id: '3A090.a.1', criterion: 'TPP ≥ 4,800', tpp: { atLeast: 4800 } },
    { id: '3A090.a.2', criterion: 'TPP ≥ 1,600 and PD ≥ 5.92', tpp: { atLeast: 1600 }, performanceDensity: { atLeast: 5.92 } },
    {
      id: '3A090.b.1',
      criterion: '2,400 ≤ TPP < 4,800 and 1.6 ≤ PD < 5.92',
      tpp: { atLeast: 2400, below: 4800 },
      performanceDensity: { atLeast: 1.6, below: 5.92 },
    },
    { id: '3A090.b.2', criterion: 'TPP ≥ 1,600 and 3.2 ≤ PD < 5.92', tpp: { atLeast: 1600 }, performanceDensity: { atLeast: 3.2, below: 5.92 } },
  ],
  noClass: 'none',
  notes: [
    'Note 2 to 3A090 (ICs not designed or marketed for data centres with TPP < 4,800 fall outside .a/.b) is not evaluated: it depends on marketing, not measurement.',
  ],
};

export const US_BIS_2026_00789: CaseByCaseRuleSet = {
  id: 'us-bis-2026-00789',
  version: '2026-01-15',
  title: 'Revision to License Review Policy for Advanced Computing Commodities (case-by-case review for China and Macau)',
  effectiveDate: '2026-01-15',
  citation: '91 FR 1684–1689, FR Doc 2026-00789 (15 CFR parts 742, 744, 748; RIN 0694-AK43)',
  tppBelow: 21000,
  dramBandwidthGbpsBelow: 6500,
  dramBandwidthReading: 'peak total DRAM bandwidth from the memory interface, as declared (the definition in Supplement No. 2 to part 748, ¶(dd)(1) notes, was not retrieved)',
};

export const RULE_SETS = [ECCN_3A090, US_BIS_2026_00789] as const;
