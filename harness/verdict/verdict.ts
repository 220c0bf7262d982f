// The decision rule (shared design.md): clock-independent checks decide
// whether the declaration is accurate; clock-dependent figures decide where
// the chip sits against the thresholds. Pure and deterministic, so verify can
// recompute it from the attested record.
import { isLibraryMethod } from '../../benchmarks/registry.js';
import { summarizeRates } from '../../benchmarks/statistics.js';
import { ratedClockMhz, type Declaration } from '../declaration/declaration.js';
import { decideCaseByCase, decideSection232 } from '../rules/evaluate.js';
import { US_BIS_2026_00789, US_SECTION_232_SEMICONDUCTORS } from '../rules/rule-sets.js';
import { declarationNumbers, ratesAtRatedClocks } from '../tpp/evaluation.js';
import { BIT_LENGTH, isFormat, type Format } from '../tpp/formats.js';
import { ratesAtClock, relativeDifference, tppFromRates } from '../tpp/tpp.js';
import { compareItem } from './item.js';
import { numericFact, perClockTrials, type Fact, type MeasurementRecord } from './record.js';
import type { Finding, FindingStatus, Outcome, ResultsRecord, Section232Record, TppAtClockRecord, VerdictRecord } from '../../attestations/records.js';
import { identityFindings } from '../identity/findings.js';
import { sustainedComparisons, sustainedTotalSeconds } from './sustained.js';

/** Every tolerance and guard band of the rule, named and versioned; recorded in each attestation. */
export const DECISION_RULE = {
  id: 'tppverify-decision-rule',
  // 2: step 0, the declared item against the device measured. 3: step 8, the
  // second method; step 9, the sustained phase; clock, timer and power-limit
  // evidence per phase among the state problems (issue 18).
  version: '3',
  parameters: {
    /** A measured per-clock rate may exceed the declared one by this much before it counts as under-declared. */
    perClockTolerance: 0.02,
    /** Coverage factor k of the expanded uncertainty (k × relative stddev of the trials) added as a guard band. */
    coverageFactor: 2,
    /** A measured per-clock rate below this share of the declared one is "not confirmed". */
    notConfirmedBelow: 0.9,
    /** Peak DRAM bandwidth from the memory interface may differ from the declared figure by this much. */
    dramPeakTolerance: 0.02,
    /** Achieved bandwidth below this share of the declared peak is "not confirmed". */
    dramNotConfirmedBelow: 0.8,
    /**
     * Issue 18, clock evidence: a phase's measured clock (cycle counter over the device timer;
     * the CPU's probe) may lie this far outside the range of clocks its telemetry reported while
     * busy before it is a state problem. nvidia-smi reads the clock every 200 ms and boost and
     * power management move it by a few per cent under load; a counter or a report at a rate
     * other than the running clock (the firmware this guards against) is off by far more.
     */
    clockAgreementTolerance: 0.1,
    /**
     * Issue 18, timer evidence: the device timer's span over a phase's trials may differ from the
     * host's steady clock around them by this share. The host reading adds one launch and one
     * synchronisation (tens of µs) to each trial compared, and only trials of 10 ms or more are
     * (MIN_TIMER_CHECK_SECONDS, harness/isolation/phase-evidence.ts: under 0.5 %); a timer that does not
     * tick in real time shifts every measured clock, and the per-clock rates with it.
     */
    hostTimerTolerance: 0.01,
    /** Issue 18, power evidence: nvidia-smi prints power limits with two decimals (harness/inventory/preflight.ts uses the same). */
    powerLimitToleranceW: 0.5,
    /**
     * A sustained rate (absolute or per clock) above the peak phase's by more
     * than this share, plus k × the combined relative spread of both phases'
     * trials, is a finding: the same work ran faster under alternating load
     * than when it was measured as the peak, so the peak was held down (a
     * benchmark recognised and throttled). The two phases run identical work
     * back to back; on the shared CI host their medians differ by a few per
     * cent with contention and clock drift, so 10 % leaves that noise out
     * while any hold-down that matters against the TPP thresholds is far larger.
     */
    sustainedAbovePeakTolerance: 0.1,
    /**
     * A sustained absolute rate below this share of the peak is reported (a
     * note): a power or thermal limit the user's work meets. Not a TPP matter
     * (TPP is the peak), but it belongs beside the peak; 0.9 as for per-clock
     * rates (notConfirmedBelow).
     */
    sustainedFarBelowPeak: 0.9,
    /**
     * Step 8: the second method (code that is not ours: the vendor's GEMM
     * library, libc memcpy or the runtime's device-to-device copy) may exceed
     * our kernel's figure by this share, plus the guard band of k × the
     * combined relative uncertainty of both, as in step 2. Above it, our
     * figure was held down (firmware that recognises our kernel, a kernel
     * that does not reach the peak) and the verdict cannot rest on it:
     * inconclusive. A library reaching its peak beats a hand kernel by a few
     * per cent at most; 0.10 leaves room for that (measured on a 2-vCPU VM:
     * README "A second method").
     */
    secondMethodAbove: 0.1,
    /**
     * Step 8: a second method below this share of our kernel's figure is a
     * note, not a problem: a library need not use every instruction set
     * (Debian's OpenBLAS runs AVX2 kernels on AVX-512 parts) and memcpy pays
     * for stores our kernels stream; the primary figure stands on our
     * kernel, which checks its own output.
     */
    secondMethodBelow: 0.5,
  },
} as const;

/** The steps of the decision rule, as findings name them. */
export const RULE_STEP = {
  item: '0-item',
  units: '1-units',
  rate: '2-per-clock-rate',
  omitted: '3-omitted-formats',
  clocks: '4-clocks',
  dram: '5-dram',
  state: '6-state',
  identity: '7-identity',
  secondMethod: '8-second-method',
  sustained: '9-sustained',
} as const;

export type { Finding, FindingStatus, Outcome, ResultsRecord, Section232Record, TppAtClockRecord, VerdictRecord } from '../../attestations/records.js';

export interface VerdictInputs {
  declaration: Declaration;
  measurements: MeasurementRecord;
  /** Device identity and attributes with sources (maxClockMhz, peakDramBandwidthGbps, ...). */
  deviceFacts: Fact[];
  /** Failed preflight checks or throttled phases: each makes the verdict inconclusive. */
  stateProblems: string[];
  /** A declaration derived from the device and this run (npm start), as the report records it. */
  selfDeclared?: boolean;
  /** The operator's intake record as signed (exact bytes): its label serial is compared with the device's. */
  intake?: { json: Uint8Array } | null;
}

/** The per-clock figure of one measured format: the best engine's trials. */
export interface MeasuredRate {
  format: Format;
  engine: string;
  opsPerClockPerUnit: number;
  relativeUncertainty: number;
  clockMhz: number;
  units: number;
}


/**
 * The best engine per format among the available throughput cases of one
 * method: our kernels (the primary figures, the default) or the library's
 * (the second method, which step 8 compares and nothing else counts).
 */
export function measuredRates(measurements: MeasurementRecord, method: 'native' | 'library' = 'native'): MeasuredRate[] {
  const best = new Map<Format, MeasuredRate>();
  for (const c of measurements.throughput) {
    if (!c.available || !isFormat(c.format) || c.trialSeconds.length === 0) continue;
    if (isLibraryMethod(c) !== (method === 'library')) continue;
    const perClock = summarizeRates(perClockTrials(c), `${c.format}/${c.engine} ops/clock`);
    const clock = summarizeRates(c.trialClockMhz, `${c.format}/${c.engine} clock`);
    const candidate: MeasuredRate = {
      format: c.format,
      engine: c.engine,
      opsPerClockPerUnit: perClock.median,
      relativeUncertainty: perClock.median > 0 ? perClock.stddev / perClock.median : 0,
      clockMhz: clock.median,
      units: c.units,
    };
    const current = best.get(c.format);
    if (!current || candidate.opsPerClockPerUnit > current.opsPerClockPerUnit) best.set(c.format, candidate);
  }
  return [...best.values()];
}

/** The best bandwidth kernel of one method: its name, median GB/s and relative uncertainty (stddev ÷ median). */
export interface MeasuredBandwidth {
  kernel: string;
  gbps: number;
  relativeUncertainty: number;
}

export function bestBandwidth(measurements: MeasurementRecord, method: 'native' | 'library'): MeasuredBandwidth | undefined {
  let best: MeasuredBandwidth | undefined;
  for (const k of measurements.bandwidth?.kernels ?? []) {
    if (k.trialSeconds.length === 0 || isLibraryMethod(k) !== (method === 'library')) continue;
    const bytes = k.bytesReadPerTrial + k.bytesWrittenPerTrial;
    const rate = summarizeRates(k.trialSeconds.map((s) => bytes / s / 1e9));
    if (!best || rate.median > best.gbps) best = { kernel: k.name, gbps: rate.median, relativeUncertainty: rate.median > 0 ? rate.stddev / rate.median : 0 };
  }
  return best;
}

/** The highest median over our bandwidth kernels (the library's memcpy is the second method, not counted), in GB/s; 0 without one. */
export function achievedDramBandwidthGbps(measurements: MeasurementRecord): number {
  return bestBandwidth(measurements, 'native')?.gbps ?? 0;
}

/**
 * Step 8's status for one quantity measured both ways: the library above our
 * figure by more than secondMethodAbove plus k × the combined relative
 * uncertainty → inconclusive (our figure was held down); below
 * secondMethodBelow of it → note; otherwise consistent.
 */
export function secondMethodStatus(ratio: number, nativeRelativeUncertainty: number, libraryRelativeUncertainty: number): { status: FindingStatus; guard: number } {
  const p = DECISION_RULE.parameters;
  const guard = p.coverageFactor * Math.hypot(nativeRelativeUncertainty, libraryRelativeUncertainty);
  const status: FindingStatus = ratio > 1 + p.secondMethodAbove + guard ? 'inconclusive' : ratio < p.secondMethodBelow ? 'note' : 'consistent';
  return { status, guard };
}

type AddFinding = (claim: string, rule: string, status: FindingStatus, values?: Record<string, number>, labels?: Record<string, string>) => void;

/**
 * One finding per quantity our kernels measured (`second-method:bandwidth`,
 * `second-method:FP64`, ...): both figures, their ratio and the guard band. A
 * quantity without its second method is named with the reason the library
 * case gave: inconclusive for declared quantities (the declared bandwidth
 * and the declared formats: a unit whose library "cannot load" must not
 * escape the comparison), a note for formats the declaration omits and for
 * formats the loaded library has no GEMM for (libraryLacksFormat: OpenBLAS
 * INT8, an OpenBLAS build without cblas_sbgemm, CUDA-core FP64). A library
 * figure without a native one is a note.
 */
function secondMethodFindings(d: Declaration, measurements: MeasurementRecord, rates: MeasuredRate[], add: AddFinding): void {
  const rule = RULE_STEP.secondMethod;
  if (measurements.bandwidth) {
    const native = bestBandwidth(measurements, 'native');
    const library = bestBandwidth(measurements, 'library');
    if (native && library) {
      const ratio = library.gbps / native.gbps;
      const { status, guard } = secondMethodStatus(ratio, native.relativeUncertainty, library.relativeUncertainty);
      add('second-method:bandwidth', rule, status, { nativeGbps: native.gbps, libraryGbps: library.gbps, ratio, expandedUncertainty: guard }, { nativeKernel: native.kernel, libraryKernel: library.kernel });
    } else if (native) {
      add('second-method:bandwidth', rule, 'inconclusive', { nativeGbps: native.gbps }, { nativeKernel: native.kernel, unavailableReason: 'no library bandwidth kernel (memcpy) was recorded' });
    }
  }
  const library = measuredRates(measurements, 'library');
  for (const native of rates) {
    const lib = library.find((r) => r.format === native.format);
    if (!lib) {
      const missing = measurements.throughput.find((c) => isLibraryMethod(c) && c.format === native.format && !c.available);
      const declared = d.peakDenseTops[native.format] !== undefined;
      const reason = missing ? `${missing.engine}: ${missing.unavailableReason}` : `no library case was recorded for ${native.format}`;
      // A library without a GEMM in this format by design (recorded so) is a gap to note; one that failed to load is not.
      const gap = missing?.libraryLacksFormat === true;
      add(`second-method:${native.format}`, rule, declared && !gap ? 'inconclusive' : 'note', { nativeOpsPerClockPerUnit: native.opsPerClockPerUnit }, { nativeEngine: native.engine, unavailableReason: reason });
      continue;
    }
    const ratio = lib.opsPerClockPerUnit / native.opsPerClockPerUnit;
    const { status, guard } = secondMethodStatus(ratio, native.relativeUncertainty, lib.relativeUncertainty);
    const values = { nativeOpsPerClockPerUnit: native.opsPerClockPerUnit, libraryOpsPerClockPerUnit: lib.opsPerClockPerUnit, ratio, expandedUncertainty: guard };
    add(`second-method:${native.format}`, rule, status, values, { nativeEngine: native.engine, libraryEngine: lib.engine });
  }
  for (const lib of library) {
    if (rates.some((r) => r.format === lib.format)) continue;
    add(`second-method:${lib.format}`, rule, 'note', { libraryOpsPerClockPerUnit: lib.opsPerClockPerUnit }, { libraryEngine: lib.engine, basis: 'no native figure to compare' });
  }
}

export function computeVerdict(inputs: VerdictInputs): { results: ResultsRecord; verdict: VerdictRecord } {
  const { declaration: d, measurements, deviceFacts, stateProblems } = inputs;
  const p = DECISION_RULE.parameters;
  const rates = measuredRates(measurements);
  const findings: Finding[] = [];
  const add = (claim: string, rule: string, status: FindingStatus, values: Record<string, number> = {}, labels: Record<string, string> = {}) =>
    findings.push({
      claim,
      rule,
      status,
      values: Object.entries(values).map(([name, value]) => ({ name, value })),
      labels: Object.entries(labels).map(([name, value]) => ({ name, value })),
    });

  // 0. The item: the declared vendor, architecture and product against the device's facts.
  const item = compareItem(d, deviceFacts);
  const itemLabels = {
    declaredVendor: item.declaredVendor,
    deviceVendor: item.deviceVendor,
    declaredArchitecture: item.declaredArchitecture,
    deviceArchitecture: item.deviceArchitecture,
    declaredProduct: item.declaredProduct,
    deviceModel: item.deviceModel,
    ...(item.mismatches.length ? { mismatches: item.mismatches.join(',') } : {}),
  };
  add('item', RULE_STEP.item, item.mismatches.length ? 'inconclusive' : 'consistent', {}, itemLabels);

  // 1. Units actually used vs declared.
  const unitsUsed = Math.max(0, ...rates.map((r) => r.units));
  const units = { unitsUsed, declared: d.computeUnits };
  if (rates.length === 0) add('units', RULE_STEP.units, 'inconclusive');
  else if (unitsUsed > d.computeUnits) add('units', RULE_STEP.units, 'under-declared', units);
  else if (unitsUsed < d.computeUnits) add('units', RULE_STEP.units, 'inconclusive', units);
  else add('units', RULE_STEP.units, 'consistent', units);

  // 2. Per-clock rate per declared format; 3. formats the declaration omits.
  const declaredTpp = tppFromRates(d.peakDenseTops).tpp;
  for (const [format, declaredTops] of Object.entries(d.peakDenseTops) as [Format, number][]) {
    const measured = rates.find((r) => r.format === format);
    // The declared rate per clock at the clock the declaration rates this format at.
    const ratedMhz = ratedClockMhz(d, format);
    const implied = (declaredTops * 1e12) / (d.computeUnits * ratedMhz * 1e6);
    // Recorded only where the declaration rates the format off its spec clock.
    const rated: Record<string, number> = d.ratedClockMhz?.[format] !== undefined ? { ratedClockMhz: ratedMhz } : {};
    if (!measured) {
      const missing = measurements.throughput.find((c) => c.format === format && !c.available);
      add(`rate:${format}`, RULE_STEP.rate, 'not-confirmed', { declaredOpsPerClockPerUnit: implied, ...rated }, missing ? { unavailableReason: missing.unavailableReason } : {});
      continue;
    }
    const ratio = measured.opsPerClockPerUnit / implied;
    const guard = p.coverageFactor * measured.relativeUncertainty;
    const values = { measuredOpsPerClockPerUnit: measured.opsPerClockPerUnit, declaredOpsPerClockPerUnit: implied, ratio, expandedUncertainty: guard, ...rated };
    const status: FindingStatus = ratio > 1 + p.perClockTolerance + guard ? 'under-declared' : ratio < p.notConfirmedBelow ? 'not-confirmed' : 'consistent';
    add(`rate:${format}`, RULE_STEP.rate, status, values, { engine: measured.engine });
  }
  for (const measured of rates) {
    if (d.peakDenseTops[measured.format] !== undefined) continue;
    const tops = (measured.opsPerClockPerUnit * d.computeUnits * d.specClockMhz * 1e6) / 1e12;
    const tpp = tops * BIT_LENGTH[measured.format];
    add(`format:${measured.format}`, RULE_STEP.omitted, tpp > declaredTpp ? 'under-declared' : 'note', { tpp, declaredTpp }, { engine: measured.engine });
  }

  // 4. Clocks: TPP from measured per-clock rates at the spec, maximum and observed clocks.
  const measuredPerClock: Partial<Record<Format, number>> = {};
  for (const r of rates) measuredPerClock[r.format] = r.opsPerClockPerUnit;
  const maxClockMhz = numericFact(deviceFacts, 'maxSmClockMhz') ?? numericFact(deviceFacts, 'maxClockMhz') ?? d.maxClockMhz;
  const observedClockMhz = rates.length ? Math.max(...rates.map((r) => r.clockMhz)) : undefined;
  const measuredAtClocks: TppAtClockRecord[] = [];
  if (rates.length) {
    const clocks: [string, number | undefined][] = [['spec', d.specClockMhz], ['max', maxClockMhz], ['observed', observedClockMhz]];
    for (const [clock, mhz] of clocks) {
      if (mhz === undefined) continue;
      // At the spec clock each format runs at the clock the declaration rates it at.
      const tpp = tppFromRates(clock === 'spec' ? ratesAtRatedClocks(d, measuredPerClock, unitsUsed) : ratesAtClock(measuredPerClock, unitsUsed, mhz));
      const clockMhz = clock === 'spec' ? ratedClockMhz(d, tpp.format) : mhz;
      const outcome = decideCaseByCase(US_BIS_2026_00789, tpp.tpp, d.declaredDramBandwidthGbps);
      measuredAtClocks.push({ clock, clockMhz, tpp: tpp.tpp, format: tpp.format, caseByCaseEligible: outcome.eligible, tppMargin: outcome.tppMargin });
    }
  }
  const declaredEligible = declaredTpp < US_BIS_2026_00789.tppBelow;
  for (const at of measuredAtClocks) {
    if (at.clock === 'spec' || at.clockMhz <= d.specClockMhz) continue;
    const crosses = declaredEligible && at.tpp >= US_BIS_2026_00789.tppBelow;
    const values = { clockMhz: at.clockMhz, specClockMhz: d.specClockMhz, tpp: at.tpp, tppLimit: US_BIS_2026_00789.tppBelow, crosses: crosses ? 1 : 0 };
    add(`clock:${at.clock}`, RULE_STEP.clocks, crosses && at.clock === 'observed' ? 'under-declared' : 'note', values);
  }

  // 5. DRAM bandwidth: peak from the memory interface, and achieved.
  const declaredGbps = d.declaredDramBandwidthGbps;
  const peakGbps = numericFact(deviceFacts, 'peakDramBandwidthGbps');
  if (peakGbps === undefined) {
    add('dram:peak', RULE_STEP.dram, 'note');
  } else {
    const diff = relativeDifference(peakGbps, declaredGbps);
    add('dram:peak', RULE_STEP.dram, diff > p.dramPeakTolerance ? 'under-declared' : diff < -p.dramPeakTolerance ? 'over-declared' : 'consistent', { peakGbps, declaredGbps });
  }
  const achieved = achievedDramBandwidthGbps(measurements);
  if (!measurements.bandwidth) {
    add('dram:achieved', RULE_STEP.dram, 'not-confirmed');
  } else if (inputs.selfDeclared && peakGbps === undefined) {
    // The self-declared figure is this very measurement: comparing them confirms nothing.
    add('dram:achieved', RULE_STEP.dram, 'note', { achievedGbps: achieved, declaredGbps }, { basis: 'self-declared from this measurement' });
  } else {
    const share = achieved / declaredGbps;
    const status: FindingStatus = share > 1 + p.dramPeakTolerance ? 'under-declared' : share < p.dramNotConfirmedBelow ? 'not-confirmed' : 'consistent';
    add('dram:achieved', RULE_STEP.dram, status, { achievedGbps: achieved, declaredGbps });
  }

  // 6. State.
  for (const problem of stateProblems) add('state', RULE_STEP.state, 'inconclusive', {}, { problem });

  // 7. Identity: the label the operator saw, and the declared product's SKU, against the device.
  for (const f of identityFindings({ declaration: d, deviceFacts, intake: inputs.intake ?? null })) add(f.claim, RULE_STEP.identity, f.status, {}, f.labels);

  // 8. The second method (code that is not ours) against our kernels, per quantity.
  secondMethodFindings(d, measurements, rates, add);

  // 9. The sustained phase beside the peak: the rate held while formats alternate.
  if (measurements.sustained) {
    const s = measurements.sustained;
    add('sustained', RULE_STEP.sustained, 'note', { rounds: s.rounds, seconds: sustainedTotalSeconds(s), requiredSeconds: s.requiredSeconds });
    for (const c of sustainedComparisons(measurements)) {
      const guard = p.coverageFactor * Math.hypot(c.peakRelativeStddev, c.sustainedRelativeStddev);
      const perClockGuard = p.coverageFactor * Math.hypot(c.peakPerClockRelativeStddev, c.sustainedPerClockRelativeStddev);
      const above = c.ratio > 1 + p.sustainedAbovePeakTolerance + guard || c.perClockRatio > 1 + p.sustainedAbovePeakTolerance + perClockGuard;
      const status: FindingStatus = above ? 'inconclusive' : c.ratio < p.sustainedFarBelowPeak ? 'note' : 'consistent';
      add(
        `sustained:${c.format}/${c.engine}`,
        RULE_STEP.sustained,
        status,
        {
          peakTops: c.peakTops,
          sustainedTops: c.sustainedTops,
          ratio: c.ratio,
          expandedUncertainty: guard,
          peakOpsPerClockPerUnit: c.peakOpsPerClockPerUnit,
          sustainedOpsPerClockPerUnit: c.sustainedOpsPerClockPerUnit,
          perClockRatio: c.perClockRatio,
          perClockExpandedUncertainty: perClockGuard,
          trials: c.trials,
          seconds: c.seconds,
        },
        { engine: c.engine },
      );
    }
  }

  const has = (status: FindingStatus) => findings.some((f) => f.status === status);
  // Another kind of device says nothing about the declaration, whatever its figures.
  const outcome: Outcome = item.mismatches.length
    ? 'inconclusive'
    : has('under-declared')
    ? 'under-declared'
    : has('over-declared')
      ? 'over-declared'
      : has('not-confirmed') || has('inconclusive')
        ? 'inconclusive'
        : 'consistent';

  const numbers = declarationNumbers(d, observedClockMhz !== undefined ? { observedClockMhz } : {});
  const section232 = (tpp: number, dramBandwidthGbps: number, dramBandwidthBasis: string): Section232Record => {
    const decision = decideSection232(US_SECTION_232_SEMICONDUCTORS, tpp, dramBandwidthGbps);
    return { ruleSet: decision.ruleSet, covered: decision.covered, window: decision.window ?? 0, tpp, dramBandwidthGbps, dramBandwidthBasis };
  };
  const measuredAtSpec = measuredAtClocks.find((c) => c.clock === 'spec');
  const results: ResultsRecord = {
    declaredTpp: numbers.tpp,
    declaredTppFormat: numbers.tppFormat,
    declaredAtClocks: numbers.atClocks.map((c) => ({
      clock: c.clock,
      clockMhz: c.clockMhz,
      tpp: c.tpp,
      format: c.format,
      caseByCaseEligible: c.caseByCase.eligible,
      tppMargin: c.caseByCase.tppMargin,
    })),
    measuredAtClocks,
    performanceDensity: numbers.performanceDensity,
    eccn3a090: numbers.eccn3a090,
    caseByCaseEligible: numbers.caseByCase.eligible,
    tppMargin: numbers.caseByCase.tppMargin,
    dramBandwidthMarginGbps: numbers.caseByCase.dramBandwidthMarginGbps,
    achievedDramBandwidthGbps: achieved,
    declaredSection232: section232(numbers.tpp, declaredGbps, 'declared'),
    measuredSection232: measuredAtSpec
      ? peakGbps !== undefined
        ? section232(measuredAtSpec.tpp, peakGbps, 'device memory interface')
        : section232(measuredAtSpec.tpp, declaredGbps, 'declared')
      : null,
  };
  return { results, verdict: { outcome, findings } };
}
