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
  /** The class of a computer, assembly or component that contains an IC of this row (ECCN 4A090). */
  containingSystem?: string;
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
  /** How the rule names what no row holds: "3A090.a or .b". */
  scopeName: string;
  /** Where the containing-system classes come from. */
  containingSystemCitation: string;
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

/** An open interval: above < x < below. Both ends strict, as the Annex words them ("greater than … and less than …"). */
export interface OpenInterval {
  above: number;
  below: number;
}

export interface TariffWindow {
  /** The Annex's own numbering: (1), (2). */
  number: number;
  tpp: OpenInterval;
  dramBandwidthGbps: OpenInterval;
}

/** A duty that applies to products whose TPP and total DRAM bandwidth fall in any one window. */
export interface TariffWindowRuleSet {
  id: string;
  version: string;
  title: string;
  effectiveDate: string;
  citation: string;
  /** Where the window figures were read: the Annex itself was not retrieved. */
  textSource: string;
  dutyPercent: number;
  heading: string;
  windows: TariffWindow[];
  dramBandwidthReading: string;
  notes: string[];
}

/**
 * The working reading of "total DRAM bandwidth" (Supplement No. 2 to part 748,
 * ¶(dd)(1) notes, not retrieved): the Section 232 windows bracket datasheet
 * peaks (H200 4,800 GB/s, MI325X 6,000 GB/s), which supports reading it as
 * the peak, not an achieved figure. Recorded in every attestation and report.
 */
export const TOTAL_DRAM_BANDWIDTH_POLICY = {
  id: 'total-dram-bandwidth-peak-interface@1',
  short: 'the peak of the memory interface over all stacks, as declared (policy total-dram-bandwidth-peak-interface@1)',
  reading:
    'total DRAM bandwidth is the peak of the memory interface summed over all stacks or channels (bus width × data rate), in 10^9 B/s, as declared; the achieved (measured) bandwidth is only a plausibility check of that figure. The definition in the notes to ¶(dd)(1) of Supplement No. 2 to part 748 was not retrieved; the Section 232 Annex windows bracket datasheet peaks (H200 4,800 GB/s, MI325X 6,000 GB/s), which supports this reading.',
} as const;

export const ECCN_3A090: ClassificationRuleSet = {
  id: 'eccn-3a090',
  version: '2024-12',
  title: 'ECCN 3A090.a/.b thresholds after the December 2024 revision',
  effectiveDate: '2024-12-02',
  citation: '15 CFR part 774, Supplement No. 1, ECCN 3A090, Technical Notes 1–3',
  rows: [
    { id: '3A090.a.1', criterion: 'TPP ≥ 4,800', tpp: { atLeast: 4800 }, containingSystem: '4A090.a' },
    { id: '3A090.a.2', criterion: 'TPP ≥ 1,600 and PD ≥ 5.92', tpp: { atLeast: 1600 }, performanceDensity: { atLeast: 5.92 }, containingSystem: '4A090.a' },
    {
      id: '3A090.b.1',
      criterion: '2,400 ≤ TPP < 4,800 and 1.6 ≤ PD < 5.92',
      tpp: { atLeast: 2400, below: 4800 },
      performanceDensity: { atLeast: 1.6, below: 5.92 },
      containingSystem: '4A090.b',
    },
    {
      id: '3A090.b.2',
      criterion: 'TPP ≥ 1,600 and 3.2 ≤ PD < 5.92',
      tpp: { atLeast: 1600 },
      performanceDensity: { atLeast: 3.2, below: 5.92 },
      containingSystem: '4A090.b',
    },
  ],
  noClass: 'none',
  scopeName: '3A090.a or .b',
  containingSystemCitation:
    "15 CFR part 774, Supplement No. 1, ECCN 4A090.a/.b: computers, 'electronic assemblies' and 'components' containing ICs that meet or exceed the 3A090.a/.b limits",
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
  dramBandwidthReading: TOTAL_DRAM_BANDWIDTH_POLICY.reading,
};

export const US_SECTION_232_SEMICONDUCTORS: TariffWindowRuleSet = {
  id: 'us-section232-p11002-annex',
  version: '2026-01-14',
  title: 'Section 232 duty on covered advanced computing chips (Proclamation 11002, Annex)',
  effectiveDate: '2026-01-15',
  citation: 'Proclamation 11002 of 14 January 2026, Annex (FR Doc 2026-01052)',
  textSource: "the Annex windows as quoted verbatim by CBP's CSMS message 67400472 (the Annex itself was not retrieved)",
  dutyPercent: 25,
  heading: '9903.79.01',
  windows: [
    { number: 1, tpp: { above: 14000, below: 17500 }, dramBandwidthGbps: { above: 4500, below: 5000 } },
    { number: 2, tpp: { above: 20800, below: 21100 }, dramBandwidthGbps: { above: 5800, below: 6200 } },
  ],
  dramBandwidthReading: TOTAL_DRAM_BANDWIDTH_POLICY.reading,
  notes: [
    'Covered means the TPP and total DRAM bandwidth fall in a window; the HTS classification of the good (8471.50, 8471.80, 8473.30) and the exemptions for US data-center, R&D, start-up, consumer, civil-industrial and public-sector uses depend on the import, not on measurement, and are not evaluated.',
  ],
};

export const RULE_SETS = [ECCN_3A090, US_BIS_2026_00789, US_SECTION_232_SEMICONDUCTORS] as const;
