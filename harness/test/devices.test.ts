import { describe, expect, it } from 'vitest';
import type { NativeBackendListing, NativeDevice } from '../../benchmarks/native-addon.js';
import { chooseDefaultDevice, parseDeviceId, resolveDevice } from '../devices.js';
import { DeviceUnavailableError, UsageError } from '../errors.js';

function device(id: string, measurable: boolean): NativeDevice {
  return {
    id,
    vendor: 'v',
    model: `model-${id}`,
    unitName: 'SM',
    computeUnits: 132,
    measuresBandwidth: measurable,
    measuresThroughput: measurable,
    notMeasurableReason: measurable ? '' : 'kernels not implemented',
    architecture: 'sm_90',
    maxClockMhz: null,
    memoryBusWidthBits: null,
    memoryDataRateMtps: null,
    peakDramBandwidthGbps: null,
    attributes: [],
  };
}

const cpuListing: NativeBackendListing = { backend: 'cpu', built: true, devices: [device('cpu', true)], reason: '' };

describe('parseDeviceId', () => {
  it('accepts cpu, cpu:0, cuda:N and hip:N', () => {
    expect(parseDeviceId('cpu')).toEqual({ backend: 'cpu', index: 0 });
    expect(parseDeviceId('cpu:0')).toEqual({ backend: 'cpu', index: 0 });
    expect(parseDeviceId('cuda:3')).toEqual({ backend: 'cuda', index: 3 });
    expect(parseDeviceId('hip:0')).toEqual({ backend: 'hip', index: 0 });
  });

  it.each(['gpu0', 'cuda', 'cuda:-1', 'cuda:x', '', 'CPU'])('rejects %j as a usage error', (id) => {
    expect(() => parseDeviceId(id)).toThrow(UsageError);
  });
});

describe('resolveDevice', () => {
  const listings: NativeBackendListing[] = [
    cpuListing,
    { backend: 'cuda', built: true, devices: [], reason: 'no NVIDIA driver is installed' },
    { backend: 'hip', built: false, devices: [], reason: 'hipcc was not found' },
  ];

  it('finds a listed device', () => {
    expect(resolveDevice('cpu', listings).device.id).toBe('cpu');
  });

  it('says why a GPU is missing, as a device failure', () => {
    expect(() => resolveDevice('cuda:0', listings)).toThrow(DeviceUnavailableError);
    expect(() => resolveDevice('cuda:0', listings)).toThrow(/cuda:0: no such device \(no NVIDIA driver is installed\)/);
    expect(() => resolveDevice('hip:0', listings)).toThrow(/hip:0: hipcc was not found/);
  });
});

describe('chooseDefaultDevice', () => {
  it('prefers a measurable GPU over the CPU', () => {
    const choice = chooseDefaultDevice([
      cpuListing,
      { backend: 'cuda', built: true, devices: [device('cuda:0', true)], reason: '' },
    ]);
    expect(choice.entry.device.id).toBe('cuda:0');
    expect(choice.passedOver).toEqual([]);
  });

  it('passes over a GPU this build cannot measure, and says so', () => {
    const choice = chooseDefaultDevice([
      cpuListing,
      { backend: 'cuda', built: true, devices: [device('cuda:0', false)], reason: '' },
    ]);
    expect(choice.entry.device.id).toBe('cpu');
    expect(choice.passedOver).toEqual(['cuda:0 (model-cuda:0): kernels not implemented']);
  });
});
