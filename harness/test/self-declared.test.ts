// The self-declaration reads the device's typed attributes, named the same on every backend.
import { describe, expect, it } from 'vitest';
import type { NativeDevice } from '../../benchmarks/native-addon.js';
import { selfDeclaration } from '../declaration/self-declared.js';

function gpu(overrides: Partial<NativeDevice>): NativeDevice {
  return {
    id: 'cuda:0',
    vendor: 'NVIDIA',
    model: 'H200',
    unitName: 'SM',
    computeUnits: 132,
    measuresBandwidth: true,
    measuresThroughput: true,
    notMeasurableReason: '',
    architecture: 'sm_90',
    maxClockMhz: 1980,
    memoryBusWidthBits: 6144,
    memoryDataRateMtps: 6250,
    peakDramBandwidthGbps: 4800,
    attributes: [],
    ...overrides,
  };
}

describe('selfDeclaration', () => {
  it("takes the architecture's rate table at the typed maximum clock and the typed DRAM peak", () => {
    const d = selfDeclaration(gpu({}), [], null);
    expect(d.architecture).toBe('sm_90');
    expect(d.specClockMhz).toBe(1980);
    expect(d.declaredDramBandwidthGbps).toBe(4800);
    // 4,096 FP16 ops per clock per SM × 132 SMs × 1.98 GHz.
    expect(d.peakDenseTops['FP16']).toBeCloseTo((4096 * 132 * 1980e6) / 1e12, 6);
  });

  it('reads the same names from a HIP device', () => {
    const d = selfDeclaration(gpu({ id: 'hip:0', vendor: 'AMD', architecture: 'gfx942', computeUnits: 304, maxClockMhz: 2100, peakDramBandwidthGbps: 5300 }), [], null);
    expect(d.architecture).toBe('gfx942');
    expect(d.specClockMhz).toBe(2100);
    expect(d.declaredDramBandwidthGbps).toBe(5300);
  });

  it('without a reported maximum clock falls back to the measured rates, not to a guess', () => {
    const d = selfDeclaration(gpu({ maxClockMhz: null, peakDramBandwidthGbps: null }), [], null);
    expect(d.specClockMhz).toBe(1);
    expect(d.declaredDramBandwidthGbps).toBe(1);
  });
});
