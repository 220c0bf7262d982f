// The TPP engine against published chip figures (shared reference
// regulation.md), the rule boundaries, and the policies it records.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { declarationFromJson, type Declaration } from '../declaration/declaration.js';
import { classify, evaluateCaseByCase } from '../rules/evaluate.js';
import { ECCN_3A090, US_BIS_2026_00789 } from '../rules/rule-sets.js';
import { evaluateDeclaration } from '../tpp/evaluation.js';
import { BIT_LENGTH, type Format } from '../tpp/formats.js';
import { peakDramBandwidthGbps, ratesAtClock, tppFromRates } from '../tpp/tpp.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'declaration', 'examples');

function declaration(overrides: Partial<Declaration>): Declaration {
  return {
    vendor: 'Test',
    product: 'Test accelerator',
    partNumber: 'T-1',
    eccn: '3A090.a',
    architecture: 'unknown_arch',
    computeUnits: 100,
    specClockMhz: 1000,
    declaredDramBandwidthGbps: 1000,
    peakDenseTops: { FP16: 100 },
    sources: [],
    ...overrides,
  };
}

// Dense peaks (TFLOPS/TOPS) and the TPP printed beside them in regulation.md.
const PUBLISHED: { chip: string; rates: Partial<Record<Format, number>>; tpp: number; dramGbps: number; eligible: boolean }[] = [
  { chip: 'A100 SXM', rates: { FP64_TENSOR: 19.5, TF32: 156, FP16: 312, BF16: 312, INT8: 624 }, tpp: 4992, dramGbps: 2039, eligible: true },
  { chip: 'H100 SXM', rates: { FP64_TENSOR: 66.9, TF32: 494.7, FP16: 989.4, BF16: 989.4, FP8: 1978.9, INT8: 1978.9 }, tpp: 15832, dramGbps: 3350, eligible: true },
  { chip: 'H200 SXM', rates: { FP64_TENSOR: 66.9, TF32: 494.7, FP16: 989.4, BF16: 989.4, FP8: 1978.9, INT8: 1978.9 }, tpp: 15832, dramGbps: 4800, eligible: true },
  { chip: 'B200', rates: { FP64: 40, TF32: 1100, FP16: 2250, BF16: 2250, FP8: 4500, FP4: 9000 }, tpp: 36000, dramGbps: 8000, eligible: false },
  { chip: 'MI300X', rates: { FP64_TENSOR: 163.4, TF32: 653.7, FP16: 1307.4, BF16: 1307.4, FP8: 2614.9, INT8: 2614.9 }, tpp: 20919, dramGbps: 5300, eligible: true },
  { chip: 'MI325X', rates: { FP64_TENSOR: 163.4, TF32: 653.7, FP16: 1307.4, BF16: 1307.4, FP8: 2614.9, INT8: 2614.9 }, tpp: 20919, dramGbps: 6000, eligible: true },
];

describe('TPP of published chips', () => {
  it.each(PUBLISHED)('$chip: TPP $tpp within 0.1 %, 3A090.a.1, case-by-case eligible = $eligible', (chip) => {
    const result = tppFromRates(chip.rates);
    expect(Math.abs(result.tpp - chip.tpp) / chip.tpp).toBeLessThan(0.001);
    const evaluation = evaluateDeclaration(declaration({ peakDenseTops: chip.rates, declaredDramBandwidthGbps: chip.dramGbps }));
    expect(evaluation.eccn3a090).toBe('3A090.a.1');
    expect(evaluation.caseByCase2026.eligible).toBe(chip.eligible);
  });

  it('reports the TPP of every format and the winning one', () => {
    const result = tppFromRates({ FP64: 40, FP16: 2250, FP4: 9000 });
    expect(result.byFormat).toEqual({ FP64: 2560, FP16: 36000, FP4: 36000 });
    expect(result.tpp).toBe(36000);
  });

  it('lets a format that beats FP8 × 8 drive TPP: BF16 at the FP8 rate, FP6 at the FP4 rate', () => {
    // Gaudi 3 style: BF16 runs at the FP8 rate.
    expect(tppFromRates({ BF16: 1835, FP8: 1835 })).toMatchObject({ format: 'BF16', tpp: 1835 * 16 });
    // MI355X style: FP6 at the FP4 rate.
    expect(tppFromRates({ FP8: 5000, FP6: 10000, FP4: 10000 })).toMatchObject({ format: 'FP6', tpp: 60000 });
  });

  it('counts TF32 at 32 bits, as a recorded policy', () => {
    expect(BIT_LENGTH.TF32).toBe(32);
    expect(evaluateDeclaration(declaration({})).policies.tf32BitLength).toMatch(/TF32 counted at 32 bits/);
  });
});

describe('TPP three ways', () => {
  it('H100 at 1,830 MHz gives 15,832 and at 1,980 MHz 17,128, from the sm_90 rate table', () => {
    const file = JSON.parse(readFileSync(path.join(examples, 'h100-sxm.json'), 'utf8'));
    const evaluation = evaluateDeclaration(declarationFromJson(file), { observedClockMhz: 1755 });
    expect(evaluation.tppAtSpecClock).toBeCloseTo(132 * 1830e6 * 4096 * 16 / 1e12, 6);
    expect(Math.abs(evaluation.tppAtSpecClock! - 15832) / 15832).toBeLessThan(0.001);
    expect(Math.abs(evaluation.tppAtMaxClock! - 17128) / 17128).toBeLessThan(0.001);
    expect(evaluation.tppAtObservedClock).toBeCloseTo(132 * 1755e6 * 4096 * 16 / 1e12, 6);
    expect(evaluation.perClockRatesSource).toMatch(/architecture table sm_90/);
  });

  it('without a rate table entry, scales the declared per-clock rates to each clock', () => {
    const evaluation = evaluateDeclaration(declaration({ maxClockMhz: 1500 }));
    expect(evaluation.tppAtSpecClock).toBeCloseTo(1600, 9);
    expect(evaluation.tppAtMaxClock).toBeCloseTo(2400, 9);
    expect(evaluation.tppAtObservedClock).toBeNull();
  });

  it('gives null at the maximum clock when none is declared', () => {
    expect(evaluateDeclaration(declaration({})).tppAtMaxClock).toBeNull();
  });

  it('flags clock headroom that crosses the 21,000 line', () => {
    // MI325X-like: 20,919 at 2,100 MHz; at 2,200 MHz it would be 21,915.
    const evaluation = evaluateDeclaration(
      declaration({ architecture: 'gfx942', computeUnits: 304, specClockMhz: 2100, maxClockMhz: 2200, peakDenseTops: { FP8: 2614.9 } }),
    );
    const atMax = evaluation.atClocks.find((c) => c.clock === 'max')!;
    expect(evaluation.caseByCase2026.eligible).toBe(true);
    expect(atMax.caseByCase.eligible).toBe(false);
  });

  it('computes rates from per-clock rate × units × clock', () => {
    expect(ratesAtClock({ FP16: 4096 }, 132, 1830).FP16).toBeCloseTo(989.43, 2);
  });
});

describe('performance density and classification', () => {
  it('divides TPP by die area', () => {
    expect(evaluateDeclaration(declaration({ dieAreaMm2: 800 })).performanceDensity).toBe(2);
  });

  it('leaves PD unknown without a die area, and the rows that need it say so', () => {
    const outcome = classify(ECCN_3A090, 3000, null);
    expect(outcome.classification).toBe('undetermined');
    const a2 = outcome.rows.find((r) => r.id === '3A090.a.2')!;
    expect(a2.status).toBe('needs-performance-density');
    expect(a2.reason).toMatch(/performance density unknown: no die area declared/);
    expect(evaluateDeclaration(declaration({})).performanceDensity).toBeNull();
  });

  it('still classifies a.1 without PD, since a.1 does not need it', () => {
    expect(classify(ECCN_3A090, 4800, null).classification).toBe('3A090.a.1');
  });

  it.each([
    [4800, 1, '3A090.a.1'],
    [4799, 6, '3A090.a.2'],
    [3000, 5.92, '3A090.a.2'],
    [3000, 5.91, '3A090.b.1'],
    [2400, 1.6, '3A090.b.1'],
    [2399, 3.2, '3A090.b.2'],
    [2399, 3.19, 'none'],
    [1599, 10, 'none'],
  ])('TPP %d with PD %d is %s', (tpp, pd, expected) => {
    expect(classify(ECCN_3A090, tpp, pd).classification).toBe(expected);
  });
});

describe('2026 case-by-case rule', () => {
  it('is not eligible at exactly 21,000 TPP: the limit is strict', () => {
    const outcome = evaluateCaseByCase(US_BIS_2026_00789, 21000, 1000);
    expect(outcome.eligible).toBe(false);
    expect(outcome.tppMargin).toBe(0);
    expect(outcome.reasons[0]).toMatch(/not below 21,000 \(the limit is strict/);
  });

  it('is not eligible at exactly 6,500 GB/s', () => {
    const outcome = evaluateCaseByCase(US_BIS_2026_00789, 1000, 6500);
    expect(outcome.eligible).toBe(false);
    expect(outcome.dramBandwidthMarginGbps).toBe(0);
  });

  it('is eligible just under both limits, with margins', () => {
    const outcome = evaluateCaseByCase(US_BIS_2026_00789, 20999.9, 6499.9);
    expect(outcome.eligible).toBe(true);
    expect(outcome.tppMargin).toBeCloseTo(0.1, 9);
    expect(outcome.dramBandwidthMarginGbps).toBeCloseTo(0.1, 9);
  });

  it('keeps its thresholds, citation and version as data', () => {
    expect(US_BIS_2026_00789).toMatchObject({ id: 'us-bis-2026-00789', tppBelow: 21000, dramBandwidthGbpsBelow: 6500 });
    expect(US_BIS_2026_00789.citation).toMatch(/91 FR 1684/);
  });
});

describe('declaration consistency checks', () => {
  it('reports a declared TPP more than 0.5 % off the computed one', () => {
    const checks = evaluateDeclaration(declaration({ declaredTpp: 1600 * 1.006 })).checks;
    expect(checks.find((c) => c.id === 'declared-tpp')?.status).toBe('mismatch');
    const close = evaluateDeclaration(declaration({ declaredTpp: 1600 * 1.004 })).checks;
    expect(close.find((c) => c.id === 'declared-tpp')?.status).toBe('ok');
  });

  it('reports a declared bandwidth more than 2 % off bus width × data rate', () => {
    expect(peakDramBandwidthGbps(5120, 5234)).toBeCloseTo(3349.76, 2);
    const off = evaluateDeclaration(declaration({ declaredDramBandwidthGbps: 3450, memoryBusWidthBits: 5120, memoryDataRateMtps: 5234 }));
    expect(off.checks.find((c) => c.id === 'memory-interface')?.status).toBe('mismatch');
    const ok = evaluateDeclaration(declaration({ declaredDramBandwidthGbps: 3350, memoryBusWidthBits: 5120, memoryDataRateMtps: 5234 }));
    expect(ok.checks.find((c) => c.id === 'memory-interface')?.status).toBe('ok');
  });

  it('notes formats the architecture executes that the declaration omits', () => {
    const evaluation = evaluateDeclaration(
      declaration({ architecture: 'sm_90', computeUnits: 132, specClockMhz: 1830, peakDenseTops: { FP16: 989.4 } }),
    );
    const omitted = evaluation.checks.find((c) => c.id === 'omitted-formats')!;
    expect(omitted.status).toBe('note');
    expect(omitted.detail).toMatch(/FP8/);
  });
});

describe('shipped example declarations', () => {
  it.each(['a100-sxm', 'h100-sxm', 'h200-sxm', 'h800-sxm', 'h20', 'l40s', 'mi300x', 'mi325x', 'b200'])('%s parses, cites its sources and matches its declared TPP', (name) => {
    const parsed = declarationFromJson(JSON.parse(readFileSync(path.join(examples, `${name}.json`), 'utf8')));
    expect(parsed.sources.length).toBeGreaterThan(0);
    expect(parsed.sources.some((s) => s.url.startsWith('https://'))).toBe(true);
    const evaluation = evaluateDeclaration(parsed);
    expect(evaluation.checks.find((c) => c.id === 'declared-tpp')?.status).toBe('ok');
  });
});
