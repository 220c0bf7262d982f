import { describe, expect, it } from 'vitest';
import { parseDeclaration } from '../declaration/declaration.js';
import { describeFinding } from '../verdict/describe.js';
import { computeVerdict } from '../verdict/verdict.js';
import { DECLARATION_JSON, DEVICE_FACTS, syntheticMeasurements } from './attestation-fixture.js';

describe('describeFinding', () => {
  it('renders every finding of a verdict as a sentence with its numbers', () => {
    const measurements = syntheticMeasurements();
    const fp8 = measurements.throughput.find((c) => c.format === 'FP8' && c.method === 'native')!;
    fp8.available = false;
    fp8.unavailableReason = 'FP8 needs sm_89 or newer';
    const declaration = parseDeclaration(DECLARATION_JSON.replace('"peakDenseTops"', '"maxClockMhz":1980,"peakDenseTops"'));
    const { verdict } = computeVerdict({ declaration, measurements, deviceFacts: DEVICE_FACTS, stateProblems: ['power limit below default'] });
    const text = verdict.findings.map((f) => `${f.claim}: ${describeFinding(f)}`);
    for (const line of text) {
      expect(line).not.toMatch(/NaN|undefined/);
      expect(line.length).toBeGreaterThan(12);
    }
    expect(text).toContain('units: 132 units used, as declared');
    expect(text.find((t) => t.startsWith('rate:FP16'))).toMatch(/sim: 4,0\d\d\.\d ops\/clk\/unit measured vs 4,09\d\.\d declared \(99\.\d %, U = \d\.\d % at k = 2\)/);
    expect(text).toContain('rate:FP8: not measured: FP8 needs sm_89 or newer');
    expect(text.find((t) => t.startsWith('clock:max'))).toMatch(/max clock 1,980 MHz is above the 1,830 MHz spec clock/);
    expect(text.find((t) => t.startsWith('dram:peak'))).toMatch(/memory interface peak 3,352\.3 GB\/s vs declared 3,350\.0 GB\/s \(\+0\.1 %\)/);
    expect(text).toContain('state: power limit below default');
  });
});
