import { describe, expect, it } from 'vitest';
import { checkSameItem, compareRuns, IdentityMismatchError } from '../compare.js';
import { syntheticMeasurements } from '../../test/attestation-fixture.js';

const facts = (serial: string, uuid = '') => [
  { name: 'vendor', value: 'NVIDIA', source: 't' },
  { name: 'model', value: 'H100', source: 't' },
  { name: 'serial', value: serial, source: 't' },
  ...(uuid ? [{ name: 'uuid', value: uuid, source: 't' }] : []),
];

describe('checkSameItem', () => {
  it('accepts the same serial and UUID', () => {
    expect(checkSameItem(facts('A1', 'GPU-1'), facts('A1', 'GPU-1'))).toMatch(/serial and uuid match/);
  });

  it('refuses a different serial or UUID, naming it', () => {
    expect(() => checkSameItem(facts('A1'), facts('B2'))).toThrow(IdentityMismatchError);
    expect(() => checkSameItem(facts('A1', 'GPU-1'), facts('A1', 'GPU-2'))).toThrow(/device uuid differs/);
    expect(() => checkSameItem(facts('A1'), facts(''))).toThrow(/device serial differs/);
  });
});

describe('compareRuns', () => {
  it('calls identical measurements reproduced', () => {
    const link = compareRuns('ab', syntheticMeasurements(), syntheticMeasurements(), 'same');
    expect(link.outcome).toBe('reproduced');
    expect(link.comparisons.filter((c) => c.status === 'consistent').length).toBe(3);
  });

  it('calls a 10 % slower rerun not reproduced', () => {
    const slower = syntheticMeasurements();
    slower.bandwidth!.kernels[0]!.trialSeconds = slower.bandwidth!.kernels[0]!.trialSeconds.map((s) => s * 1.1);
    const link = compareRuns('ab', syntheticMeasurements(), slower, 'same');
    expect(link.outcome).toBe('not-reproduced');
    expect(link.comparisons.find((c) => c.claim === 'bandwidth:triad GB/s')?.status).toBe('not-confirmed');
  });

  it('is inconclusive when the rerun lacks a metric', () => {
    const partial = syntheticMeasurements();
    partial.throughput = partial.throughput.slice(0, 1);
    expect(compareRuns('ab', syntheticMeasurements(), partial, 'same').outcome).toBe('inconclusive');
  });
});
