// Per-format rated clocks: datasheets rate formats at different clocks (H100
// and H200 SXM: tensor formats at 1,830 MHz, FP64 and FP32 at 1,980 MHz), and
// a declaration that copies the datasheet must check out against a kernel
// that reaches the architecture's per-clock rate.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { declarationFromJson, parseDeclaration, DeclarationError, type Declaration } from '../declaration/declaration.js';
import { ARCHITECTURE_RATES } from '../tpp/architectures.js';
import { evaluateDeclaration } from '../tpp/evaluation.js';
import type { Format } from '../tpp/formats.js';
import { describeFinding } from '../verdict/describe.js';
import type { Fact, MeasurementRecord, ThroughputCaseRecord } from '../verdict/record.js';
import { computeVerdict } from '../verdict/verdict.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'declaration', 'examples');
const example = (name: string): Declaration => declarationFromJson(JSON.parse(readFileSync(path.join(examples, `${name}.json`), 'utf8')));
const SM90 = ARCHITECTURE_RATES.find((a) => a.architecture === 'sm_90')!.opsPerClockPerUnit;

const TRIALS = 10;
const SMS = 132;
/** A clock the card might hold under load: per-clock rates do not depend on it. */
const LOAD_CLOCK_MHZ = 1755;

/** A kernel per declared format that reaches exactly the sm_90 per-clock rate, with 0.1 % trial spread. */
function perfectHopperMeasurements(formats: readonly Format[]): MeasurementRecord {
  const native: ThroughputCaseRecord[] = formats.map((format) => {
    const perClock = SM90[format]!;
    const opsPerTrial = perClock * SMS * LOAD_CLOCK_MHZ * 1e6 * 0.05;
    return {
      format,
      engine: 'synthetic',
      available: true,
      unavailableReason: '',
      opsPerInstruction: 1,
      maxInstructionsPerClockPerUnit: perClock,
      opsPerTrial,
      threads: 0,
      units: SMS,
      trialSeconds: Array.from({ length: TRIALS }, (_, i) => (opsPerTrial / (perClock * SMS * LOAD_CLOCK_MHZ * 1e6)) * (1 + (i - TRIALS / 2) * 0.0001)),
      trialClockMhz: Array(TRIALS).fill(LOAD_CLOCK_MHZ),
      clockMethod: 'synthetic',
    };
  });
  // The second method (cuBLASLt) at the same rate, right after each format's own case.
  const throughput = native.flatMap((c) => [c, { ...c, engine: 'cublaslt', method: 'library' as const }]);
  const arrayBytes = 2 ** 31;
  const achievedGbps = 4300;
  return {
    deviceId: 'cuda:0',
    startedAt: '2026-12-01T10:00:00.000Z',
    finishedAt: '2026-12-01T10:02:00.000Z',
    bandwidth: {
      threads: 0,
      arrayBytes,
      byteConvention: 'read + written',
      kernels: [
        {
          name: 'copy',
          engine: 'synthetic',
          elements: arrayBytes / 8,
          bytesReadPerTrial: arrayBytes,
          bytesWrittenPerTrial: arrayBytes,
          warmupSeconds: 0.001,
          trialSeconds: Array.from({ length: TRIALS }, () => (2 * arrayBytes) / (achievedGbps * 1e9)),
        },
        {
          name: 'memcpy',
          engine: 'cudaMemcpyAsync-d2d',
          method: 'library',
          elements: arrayBytes / 8,
          bytesReadPerTrial: arrayBytes,
          bytesWrittenPerTrial: arrayBytes,
          warmupSeconds: 0.001,
          trialSeconds: Array.from({ length: TRIALS }, () => (2 * arrayBytes) / (0.98 * achievedGbps * 1e9)),
        },
      ],
    },
    throughput,
  };
}

const H200_FACTS: Fact[] = [
  { name: 'deviceId', value: 'cuda:0', source: 'tppverify' },
  { name: 'vendor', value: 'NVIDIA', source: 'cuda backend' },
  { name: 'model', value: 'NVIDIA H200', source: 'cuda backend' },
  { name: 'architecture', value: 'sm_90', source: 'cuda runtime' },
  { name: 'maxClockMhz', value: '1980', source: 'cuda runtime' },
  { name: 'peakDramBandwidthGbps', value: '4800', source: 'nvidia-smi' },
];

describe('a datasheet H100/H200 declaration with rated clocks', () => {
  it.each(['h100-sxm', 'h200-sxm'])('%s rates FP64, FP64 tensor and FP32 at 1,980 MHz, the tensor formats at the 1,830 MHz spec clock', (name) => {
    const d = example(name);
    expect(d.specClockMhz).toBe(1830);
    expect(d.ratedClockMhz).toEqual({ FP64: 1980, FP64_TENSOR: 1980, FP32: 1980 });
    const evaluation = evaluateDeclaration(d);
    expect(evaluation.checks.find((c) => c.id === 'rates-vs-architecture')).toMatchObject({ status: 'ok' });
    // The datasheet's own TPP at the spec clock: FP8/INT8 1,978.9 × 8 at 1,830 MHz, not the 1,980 MHz figure.
    const atSpec = evaluation.atClocks.find((c) => c.clock === 'spec')!;
    expect(Math.abs(atSpec.tpp - 15832) / 15832).toBeLessThan(0.001);
    expect(atSpec.clockMhz).toBe(1830);
    expect(Math.abs(evaluation.tppAtMaxClock! - 17128) / 17128).toBeLessThan(0.001);
  });

  it('checks out consistent against kernels at the sm_90 rate: every rate, FP64 included, at 100 %', () => {
    const d = example('h200-sxm');
    const formats = Object.keys(d.peakDenseTops) as Format[];
    const { verdict, results } = computeVerdict({ declaration: d, measurements: perfectHopperMeasurements(formats), deviceFacts: H200_FACTS, stateProblems: [] });
    const rateFindings = verdict.findings.filter((f) => f.claim.startsWith('rate:'));
    expect(rateFindings.map((f) => f.claim).sort()).toEqual(formats.map((f) => `rate:${f}`).sort());
    for (const finding of rateFindings) {
      const ratio = finding.values.find((v) => v.name === 'ratio')!.value;
      expect(finding.status, finding.claim).toBe('consistent');
      expect(Math.abs(ratio - 1), `${finding.claim} ratio ${ratio}`).toBeLessThan(0.002);
    }
    const fp64 = rateFindings.find((f) => f.claim === 'rate:FP64_TENSOR')!;
    expect(describeFinding(fp64)).toMatch(/256\.0 ops\/clk\/unit measured vs 256\.0 declared at 1,980 MHz \(100\.0 %/);
    expect(verdict.outcome).toBe('consistent');
    // TPP from the measured rates at the rated clocks equals the datasheet's.
    const atSpec = results.measuredAtClocks.find((c) => c.clock === 'spec')!;
    expect(Math.abs(atSpec.tpp - 15832) / 15832).toBeLessThan(0.001);
  });

  it('without the rated clocks the same datasheet figures imply 277 FP64 ops/clk/SM, and a perfect kernel scores 92 %', () => {
    const { ratedClockMhz: _dropped, ...rest } = example('h200-sxm');
    const d: Declaration = rest;
    const check = evaluateDeclaration(d).checks.find((c) => c.id === 'rates-vs-architecture')!;
    expect(check.status).toBe('note');
    expect(check.detail).toMatch(/FP64_TENSOR declared 66\.9 vs 61\.8 at 1,830 MHz \(\+8\.\d+ %; implies 1,980 MHz\)/);
    const formats = Object.keys(d.peakDenseTops) as Format[];
    const { verdict } = computeVerdict({ declaration: d, measurements: perfectHopperMeasurements(formats), deviceFacts: H200_FACTS, stateProblems: [] });
    const fp64 = verdict.findings.find((f) => f.claim === 'rate:FP64_TENSOR')!;
    expect(fp64.values.find((v) => v.name === 'declaredOpsPerClockPerUnit')!.value).toBeCloseTo(277, 0);
    expect(fp64.values.find((v) => v.name === 'ratio')!.value).toBeCloseTo(0.924, 3);
  });
});

describe('ratedClockMhz is read as strictly as the rest', () => {
  const base = { ...JSON.parse(readFileSync(path.join(examples, 'h100-sxm.json'), 'utf8')) } as Record<string, unknown>;
  const refusal = (rated: unknown, extra: Record<string, unknown> = {}): string => {
    try {
      parseDeclaration(JSON.stringify({ ...base, ...extra, ratedClockMhz: rated }));
    } catch (error) {
      expect(error).toBeInstanceOf(DeclarationError);
      return (error as Error).message;
    }
    throw new Error('expected the declaration to be refused');
  };

  it.each([
    [{ FP9: 1980 }, /^ratedClockMhz\.FP9: unknown format/],
    [{ FP64: '1980' }, /^ratedClockMhz\.FP64: expected a number, got a string/],
    [{ FP64: -1980 }, /^ratedClockMhz\.FP64: must not be negative/],
    [{ FP64: 0 }, /^ratedClockMhz\.FP64: must be greater than zero/],
    [{ FP64: 1e12 }, /^ratedClockMhz\.FP64: must be at most 1000000000/],
    [{ FP64: null }, /^ratedClockMhz\.FP64: expected a number, got null/],
    [{ FP4: 1830 }, /^ratedClockMhz\.FP4: no peakDenseTops\.FP4 is declared/],
    [{ FP64: 2100 }, /^ratedClockMhz\.FP64: must not be above maxClockMhz \(1980\), got 2100/],
    [[1980], /^ratedClockMhz: expected an object, got an array/],
    [null, /^ratedClockMhz: expected an object, got null/],
  ])('refuses %j, naming the field', (rated, message) => {
    expect(refusal(rated)).toMatch(message);
  });

  it('refuses a rated clock given twice', () => {
    const text = JSON.stringify(base).replace('"FP64":1980', '"FP64":1980,"FP64":1830');
    expect(() => parseDeclaration(text)).toThrow(/^ratedClockMhz\.FP64: key appears twice/);
  });

  it('takes the spec clock for formats it does not name, and accepts an empty map', () => {
    const parsed = parseDeclaration(JSON.stringify({ ...base, ratedClockMhz: {} }));
    expect(parsed.ratedClockMhz).toEqual({});
    const evaluation = evaluateDeclaration(parsed);
    expect(evaluation.atClocks.find((c) => c.clock === 'spec')!.clockMhz).toBe(1830);
  });
});
