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

  it('matches by PDI where both runs know it, and refuses a different PDI even when the serial agrees', () => {
    const withPdi = (pdi: string) => [...facts('A1', 'GPU-1'), { name: 'pdi', value: pdi, source: 'nvml nvmlDeviceGetPdi' }];
    expect(checkSameItem(withPdi('0x2e7aa130caa058dd'), withPdi('0x2E7AA130CAA058DD'))).toMatch(/same item: PDI and serial and uuid match/);
    expect(() => checkSameItem(withPdi('0x2e7aa130caa058dd'), withPdi('0x431d480fe5e87274'))).toThrow(/device PDI differs/);
    // An original from a driver without the PDI call: serial and UUID decide.
    expect(checkSameItem(facts('A1', 'GPU-1'), withPdi('0x2e7aa130caa058dd'))).toMatch(/serial and uuid match/);
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
