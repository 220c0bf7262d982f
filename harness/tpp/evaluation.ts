// Turns a declaration into TPP three ways, performance density, consistency
// checks and rule outcomes. Pure: later stages feed measured per-clock rates
// and observed clocks into the same functions.
import { ratedClockMhz, type Declaration } from '../declaration/declaration.js';
import {
  classificationOf,
  classify,
  decideCaseByCase,
  decideSection232,
  evaluateCaseByCase,
  evaluateSection232,
  type Section232Decision,
  type Section232Outcome,
  type CaseByCaseDecision,
  type CaseByCaseOutcome,
  type ClassificationOutcome,
} from '../rules/evaluate.js';
import { ECCN_3A090, RULE_SETS, TOTAL_DRAM_BANDWIDTH_POLICY, US_BIS_2026_00789, US_SECTION_232_SEMICONDUCTORS } from '../rules/rule-sets.js';
import { findArchitecture } from './architectures.js';
import { CPU_MICROARCHITECTURES } from './cpu-rates.js';
import { FORMATS, TF32_BIT_LENGTH_POLICY, type Format } from './formats.js';
import {
  peakDramBandwidthGbps,
  perClockFromRates,
  performanceDensity,
  ratesAtClock,
  relativeDifference,
  tppFromRates,
} from './tpp.js';
import { formatFixed as fmt } from '../format.js';

/** A declared TPP further than this from the one computed from the declared rates is reported. */
export const DECLARED_TPP_TOLERANCE = 0.005;
/** Peak DRAM bandwidth from bus width × data rate further than this from the declared figure is reported. */
export const MEMORY_INTERFACE_TOLERANCE = 0.02;
/** A declared rate further than this from the architecture's rate at the spec clock is noted. */
export const ARCHITECTURE_RATE_TOLERANCE = 0.02;

export type CheckStatus = 'ok' | 'mismatch' | 'note' | 'not-checked';

export interface DeclarationCheck {
  id: 'declared-tpp' | 'memory-interface' | 'rates-vs-architecture' | 'omitted-formats';
  status: CheckStatus;
  detail: string;
}

export type ClockName = 'spec' | 'max' | 'observed';

export interface TppAtClock {
  clock: ClockName;
  clockMhz: number;
  tpp: number;
  format: Format;
  caseByCase: CaseByCaseOutcome;
}

export interface Evaluation {
  /** TPP from the declared dense rates. */
  tpp: number;
  tppFormat: Format;
  tppByFormat: Partial<Record<Format, number>>;
  tppAtSpecClock: number | null;
  tppAtMaxClock: number | null;
  tppAtObservedClock: number | null;
  /** Where the per-clock rates behind the three clock figures come from. */
  perClockRatesSource: string;
  atClocks: TppAtClock[];
  performanceDensity: number | null;
  eccn3a090: string;
  classification: ClassificationOutcome;
  caseByCase2026: CaseByCaseOutcome;
  /** The Section 232 Annex windows, for the declared TPP and total DRAM bandwidth. */
  section232: Section232Outcome;
  checks: DeclarationCheck[];
  policies: {
    tf32BitLength: string;
    rates: string;
    verdictClock: string;
    dramBandwidthReading: string;
  };
  ruleSets: { id: string; version: string; citation: string }[];
}

export interface EvaluationOptions {
  observedClockMhz?: number;
}


function percent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${fmt(fraction * 100, 2)} %`;
}

/**
 * Ops per clock per unit for every format: from the architecture table when
 * the architecture is known, else implied by the declared rates at the spec
 * clock. A declared format the table lacks keeps its declared per-clock rate.
 */
function perClockRates(declaration: Declaration): Partial<Record<Format, number>> {
  const implied = impliedPerClockRates(declaration);
  const architecture = findArchitecture(declaration.architecture);
  return architecture ? { ...implied, ...architecture.opsPerClockPerUnit } : implied;
}

/** Ops per clock per unit the declared rates imply, each format at its rated clock. */
export function impliedPerClockRates(declaration: Declaration): Partial<Record<Format, number>> {
  const implied: Partial<Record<Format, number>> = {};
  for (const format of FORMATS) {
    const rate = declaration.peakDenseTops[format];
    if (rate === undefined) continue;
    implied[format] = perClockFromRates({ [format]: rate }, declaration.computeUnits, ratedClockMhz(declaration, format))[format]!;
  }
  return implied;
}

/** Dense rates from per-clock rates with each format at its rated clock (the spec clock where none is rated). */
export function ratesAtRatedClocks(
  declaration: Declaration,
  opsPerClockPerUnit: Partial<Record<Format, number>>,
  units: number,
): Partial<Record<Format, number>> {
  const rates: Partial<Record<Format, number>> = {};
  for (const format of FORMATS) {
    const perClock = opsPerClockPerUnit[format];
    if (perClock !== undefined) rates[format] = ratesAtClock({ [format]: perClock }, units, ratedClockMhz(declaration, format))[format]!;
  }
  return rates;
}

/** "FP64 at 1,980 MHz, FP32 at 1,980 MHz" for the formats rated off the spec clock; '' when none is. */
function ratedClocksText(declaration: Declaration): string {
  return FORMATS.filter((f) => declaration.ratedClockMhz?.[f] !== undefined && declaration.ratedClockMhz[f] !== declaration.specClockMhz)
    .map((f) => `${f} at ${fmt(declaration.ratedClockMhz![f]!)} MHz`)
    .join(', ');
}

function perClockRatesSource(declaration: Declaration): string {
  const architecture = findArchitecture(declaration.architecture);
  if (!architecture) {
    const rated = ratedClocksText(declaration);
    return `declared rates ÷ (${declaration.computeUnits} units × ${fmt(declaration.specClockMhz)} MHz${rated ? `; ${rated}` : ''}): architecture '${declaration.architecture}' is not in the rate table`;
  }
  return `architecture table ${architecture.architecture} (${architecture.source}${architecture.verified ? '' : '; unverified'}), declared rates for formats it lacks`;
}

function checkDeclaredTpp(declaration: Declaration, computed: number): DeclarationCheck {
  if (declaration.declaredTpp === undefined) {
    return { id: 'declared-tpp', status: 'not-checked', detail: 'no declaredTpp given: TPP computed from the declared rates' };
  }
  const difference = relativeDifference(declaration.declaredTpp, computed);
  const ok = Math.abs(difference) <= DECLARED_TPP_TOLERANCE;
  return {
    id: 'declared-tpp',
    status: ok ? 'ok' : 'mismatch',
    detail: `declaredTpp ${fmt(declaration.declaredTpp, 1)} vs ${fmt(computed, 1)} from the declared rates (${percent(difference)}; tolerance ±${fmt(DECLARED_TPP_TOLERANCE * 100, 1)} %)`,
  };
}

function checkMemoryInterface(declaration: Declaration): DeclarationCheck {
  const { memoryBusWidthBits: bits, memoryDataRateMtps: rate } = declaration;
  if (bits === undefined || rate === undefined) {
    return { id: 'memory-interface', status: 'not-checked', detail: 'memoryBusWidthBits and memoryDataRateMtps not both declared' };
  }
  const peak = peakDramBandwidthGbps(bits, rate);
  const difference = relativeDifference(declaration.declaredDramBandwidthGbps, peak);
  const ok = Math.abs(difference) <= MEMORY_INTERFACE_TOLERANCE;
  return {
    id: 'memory-interface',
    status: ok ? 'ok' : 'mismatch',
    detail: `${bits}-bit bus × ${fmt(rate)} MT/s = ${fmt(peak, 1)} GB/s peak; declared ${fmt(declaration.declaredDramBandwidthGbps, 1)} GB/s (${percent(difference)}; tolerance ±${fmt(MEMORY_INTERFACE_TOLERANCE * 100, 1)} %)`,
  };
}

function checkRatesAgainstArchitecture(declaration: Declaration): DeclarationCheck[] {
  const architecture = findArchitecture(declaration.architecture);
  if (!architecture) {
    const cpu = CPU_MICROARCHITECTURES.find((r) => r.id === declaration.architecture);
    return [
      {
        id: 'rates-vs-architecture',
        status: 'not-checked',
        detail: cpu
          ? `'${cpu.id}' is a CPU microarchitecture (${cpu.name}): its rates depend on the engines a run finds available, so the self-declaration takes them from harness/tpp/cpu-rates.ts and the verdict checks them against the measurement`
          : `architecture '${declaration.architecture}' is not in the rate table`,
      },
    ];
  }
  const atRated = ratesAtRatedClocks(declaration, architecture.opsPerClockPerUnit, declaration.computeUnits);
  const notes: string[] = [];
  const omitted: string[] = [];
  const declaredTpp = tppFromRates(declaration.peakDenseTops).tpp;
  for (const format of FORMATS) {
    const expected = atRated[format];
    const declared = declaration.peakDenseTops[format];
    if (expected === undefined) continue;
    if (declared === undefined) {
      const wouldBe = tppFromRates({ [format]: expected }).tpp;
      omitted.push(`${format} (${fmt(expected, 1)} TOPS at the spec clock, TPP ${fmt(wouldBe)}${wouldBe > declaredTpp ? ', above the declared TPP' : ''})`);
      continue;
    }
    const difference = relativeDifference(declared, expected);
    if (Math.abs(difference) > ARCHITECTURE_RATE_TOLERANCE) {
      const impliedMhz = (declared * 1e12) / (architecture.opsPerClockPerUnit[format]! * declaration.computeUnits * 1e6);
      notes.push(`${format} declared ${fmt(declared, 1)} vs ${fmt(expected, 1)} at ${fmt(ratedClockMhz(declaration, format))} MHz (${percent(difference)}; implies ${fmt(impliedMhz)} MHz)`);
    }
  }
  return [
    {
      id: 'rates-vs-architecture',
      status: notes.length ? 'note' : 'ok',
      detail: notes.length
        ? `rates off the ${architecture.architecture} rate at their rated clocks by more than ±${fmt(ARCHITECTURE_RATE_TOLERANCE * 100)} %: ${notes.join('; ')}`
        : `every declared rate is within ±${fmt(ARCHITECTURE_RATE_TOLERANCE * 100)} % of ${architecture.architecture} at its rated clock (${fmt(declaration.specClockMhz)} MHz${ratedClocksText(declaration) ? `; ${ratedClocksText(declaration)}` : ''})`,
    },
    {
      id: 'omitted-formats',
      status: omitted.length ? 'note' : 'ok',
      detail: omitted.length
        ? `${architecture.architecture} executes formats the declaration omits: ${omitted.join('; ')}`
        : `the declaration covers every format ${architecture.architecture} executes`,
    },
  ];
}

export interface TppAtClockNumbers {
  clock: ClockName;
  clockMhz: number;
  tpp: number;
  format: Format;
  caseByCase: CaseByCaseDecision;
}

/** The figures of an evaluation without any text: what verify recomputes for every attestation. */
export interface DeclarationNumbers {
  tpp: number;
  tppFormat: Format;
  tppByFormat: Partial<Record<Format, number>>;
  atClocks: TppAtClockNumbers[];
  performanceDensity: number | null;
  eccn3a090: string;
  caseByCase: CaseByCaseDecision;
  section232: Section232Decision;
}

export function declarationNumbers(declaration: Declaration, options: EvaluationOptions = {}): DeclarationNumbers {
  const declared = tppFromRates(declaration.peakDenseTops);
  const perClock = perClockRates(declaration);
  const density = performanceDensity(declared.tpp, declaration.dieAreaMm2);
  const bandwidth = declaration.declaredDramBandwidthGbps;
  const clocks: [ClockName, number | undefined][] = [
    ['spec', declaration.specClockMhz],
    ['max', declaration.maxClockMhz],
    ['observed', options.observedClockMhz],
  ];
  const atClocks: TppAtClockNumbers[] = [];
  for (const [clock, mhz] of clocks) {
    if (mhz === undefined) continue;
    // At the spec clock every format runs at its rated clock: the datasheet's own figures.
    const result = tppFromRates(
      clock === 'spec' ? ratesAtRatedClocks(declaration, perClock, declaration.computeUnits) : ratesAtClock(perClock, declaration.computeUnits, mhz),
    );
    const clockMhz = clock === 'spec' ? ratedClockMhz(declaration, result.format) : mhz;
    atClocks.push({ clock, clockMhz, tpp: result.tpp, format: result.format, caseByCase: decideCaseByCase(US_BIS_2026_00789, result.tpp, bandwidth) });
  }
  return {
    tpp: declared.tpp,
    tppFormat: declared.format,
    tppByFormat: declared.byFormat,
    atClocks,
    performanceDensity: density,
    eccn3a090: classificationOf(ECCN_3A090, declared.tpp, density),
    caseByCase: decideCaseByCase(US_BIS_2026_00789, declared.tpp, bandwidth),
    section232: decideSection232(US_SECTION_232_SEMICONDUCTORS, declared.tpp, bandwidth),
  };
}

export function evaluateDeclaration(declaration: Declaration, options: EvaluationOptions = {}): Evaluation {
  const numbers = declarationNumbers(declaration, options);
  const bandwidth = declaration.declaredDramBandwidthGbps;
  const atClocks: TppAtClock[] = numbers.atClocks.map((c) => ({ ...c, caseByCase: evaluateCaseByCase(US_BIS_2026_00789, c.tpp, bandwidth) }));
  const tppAt = (clock: ClockName) => atClocks.find((c) => c.clock === clock)?.tpp ?? null;
  const classification = classify(ECCN_3A090, numbers.tpp, numbers.performanceDensity);

  return {
    tpp: numbers.tpp,
    tppFormat: numbers.tppFormat,
    tppByFormat: numbers.tppByFormat,
    tppAtSpecClock: tppAt('spec'),
    tppAtMaxClock: tppAt('max'),
    tppAtObservedClock: tppAt('observed'),
    perClockRatesSource: perClockRatesSource(declaration),
    atClocks,
    performanceDensity: numbers.performanceDensity,
    eccn3a090: numbers.eccn3a090,
    classification,
    caseByCase2026: evaluateCaseByCase(US_BIS_2026_00789, numbers.tpp, bandwidth),
    section232: evaluateSection232(US_SECTION_232_SEMICONDUCTORS, numbers.tpp, bandwidth),
    checks: [checkDeclaredTpp(declaration, numbers.tpp), checkMemoryInterface(declaration), ...checkRatesAgainstArchitecture(declaration)],
    policies: {
      tf32BitLength: TF32_BIT_LENGTH_POLICY.reading,
      rates: 'dense rates only; sparsity is not counted',
      verdictClock: 'classification and the case-by-case outcome use the TPP from the declared rates; TPP at the spec clock (each format at its rated clock), the maximum and the observed clocks is reported beside it',
      dramBandwidthReading: TOTAL_DRAM_BANDWIDTH_POLICY.reading,
    },
    ruleSets: RULE_SETS.map(({ id, version, citation }) => ({ id, version, citation })),
  };
}
