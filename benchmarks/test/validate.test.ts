import { describe, expect, it } from 'vitest';
import { shapeBandwidth, shapeThroughputCase } from '../bench.js';
import type { NativeBandwidthResult, NativeThroughputCase } from '../native-addon.js';
import { ResultValidationError, validateThroughputCase } from '../validate.js';

const GIB = 2 ** 30;

function bandwidthResult(overrides: Partial<NativeBandwidthResult['kernels'][number]> = {}): NativeBandwidthResult {
  return {
    deviceId: 'cpu',
    threads: 2,
    arrayBytes: GIB,
    byteConvention: 'read + written',
    sizing: [
      { key: 'lastLevelCacheBytes', value: 200 * 2 ** 20, source: 'sysfs cache' },
      { key: 'lastLevelCacheMultiple', value: 4, source: 'rule' },
      { key: 'minimumArrayBytes', value: 256 * 2 ** 20, source: 'rule' },
    ],
    kernels: [
      {
        name: 'triad',
        engine: 'avx512-nt',
        elements: GIB / 8,
        bytesReadPerTrial: 2 * GIB,
        bytesWrittenPerTrial: GIB,
        warmupSeconds: 0.2,
        trialSeconds: Array.from({ length: 10 }, (_, i) => 0.1 + i * 0.001),
        ...overrides,
      },
    ],
  };
}

/** FP64 on AVX-512: 16 ops per instruction, at most 2 instructions per clock per core. */
function fp64Case(opsPerTrial: number): NativeThroughputCase {
  return {
    format: 'FP64',
    engine: 'avx512',
    available: true,
    unavailableReason: '',
    opsPerInstruction: 16,
    maxInstructionsPerClockPerUnit: 2,
    opsPerTrial,
    threads: 2,
    units: 2,
    trialSeconds: Array(10).fill(0.1),
    trialClockMhz: Array(10).fill(3000),
    clockMethod: 'imul chain',
  };
}

describe('bandwidth results', () => {
  it('turns trial seconds into GB/s counting bytes read plus written', () => {
    const report = shapeBandwidth(bandwidthResult());
    const triad = report.kernels[0]!;
    expect(triad.bytesPerTrial).toBe(3 * GIB);
    expect(triad.gbps.best).toBeCloseTo((3 * GIB) / 0.1 / 1e9, 9);
    expect(triad.gbps.trials).toBe(10);
    expect(report.belowSizingRule).toBe(false);
  });

  it('flags arrays below the sizing rule', () => {
    const small = { ...bandwidthResult(), arrayBytes: 8 * 2 ** 20 };
    small.kernels = [{ ...small.kernels[0]!, bytesReadPerTrial: 16 * 2 ** 20, bytesWrittenPerTrial: 8 * 2 ** 20 }];
    expect(shapeBandwidth(small).belowSizingRule).toBe(true);
  });

  it('rejects a byte model that disagrees with the registry', () => {
    expect(() => shapeBandwidth(bandwidthResult({ bytesReadPerTrial: GIB }))).toThrow(/triad: result rejected: byte model/);
  });

  it('rejects fewer than 10 trials and non-positive timings', () => {
    expect(() => shapeBandwidth(bandwidthResult({ trialSeconds: [0.1, 0.1] }))).toThrow(/2 timed trials, at least 10/);
    const zero = Array(10).fill(0.1);
    zero[3] = 0;
    expect(() => shapeBandwidth(bandwidthResult({ trialSeconds: zero }))).toThrow(/trial 4 took 0 s/);
  });

  it('rejects a kernel the registry does not know', () => {
    expect(() => shapeBandwidth(bandwidthResult({ name: 'nt-copy' }))).toThrow(/not in the benchmark registry/);
  });
});

describe('throughput results', () => {
  it('derives ops per clock per unit from ops, seconds, measured clock and units', () => {
    // 30 ops/clk/core × 2 cores × 3 GHz × 0.1 s
    const report = shapeThroughputCase(fp64Case(30 * 2 * 3e9 * 0.1));
    expect(report.opsPerClockPerUnit).toBeCloseTo(30, 9);
    expect(report.tops?.median).toBeCloseTo(0.18, 12);
    expect(report.clockMhz).toBe(3000);
    expect(report.maxOpsPerClockPerUnit).toBe(32);
  });

  it('refuses a rate above what the hardware can issue: a fast wrong kernel must not score', () => {
    // Twice the two-FMA-port bound, as when a compiler merges identical accumulator chains.
    const tooFast = fp64Case(64 * 2 * 3e9 * 0.1);
    expect(() => validateThroughputCase(tooFast)).toThrow(ResultValidationError);
    expect(() => validateThroughputCase(tooFast)).toThrow(/FP64\/avx512: .*above the hardware bound of 32/);
  });

  it('tolerates one trial whose clock reading was off, but not a median above the bound', () => {
    const oneOff = fp64Case(30 * 2 * 3e9 * 0.1);
    oneOff.trialClockMhz = [...oneOff.trialClockMhz];
    oneOff.trialClockMhz[3] = 2400; // this trial reads 37.5 ops/clk
    expect(() => validateThroughputCase(oneOff)).not.toThrow();
    const allOff = fp64Case(41 * 2 * 3e9 * 0.1); // 41 > 32 × 1.25
    expect(() => validateThroughputCase(allOff)).toThrow(/a median of 41\.0 ops per clock per unit over 10 trials/);
  });

  it('keeps an unavailable format with its reason and no numbers', () => {
    const report = shapeThroughputCase({
      ...fp64Case(0),
      format: 'FP16',
      available: false,
      unavailableReason: 'CPU or OS lacks AVX512-FP16',
      trialSeconds: [],
      trialClockMhz: [],
    });
    expect(report).toMatchObject({ available: false, tops: null, unavailableReason: 'CPU or OS lacks AVX512-FP16' });
  });
});
