// Device discovery across the built backends, device-id parsing, and the
// choice of the best device present.
import {
  BACKEND_NAMES,
  loadAddon,
  type BackendName,
  type NativeAddon,
  type NativeBackendListing,
  type NativeDevice,
} from '../benchmarks/native-addon.js';
import type { DeviceTarget } from '../benchmarks/bench.js';
import { DeviceUnavailableError, UsageError } from './errors.js';

export interface DeviceEntry {
  target: DeviceTarget;
  device: NativeDevice;
}

const DEVICE_ID = /^(cpu|cuda|hip)(?::(\d{1,4}))?$/;

/** "cpu", "cpu:0", "cuda:1", "hip:0" → backend and index; anything else is a usage error. */
export function parseDeviceId(id: string): DeviceTarget {
  const match = DEVICE_ID.exec(id.trim());
  if (!match) {
    throw new UsageError(`unknown device id '${id}': expected cpu, cuda:N or hip:N (see 'tppverify devices')`);
  }
  const backend = match[1] as BackendName;
  const index = match[2] === undefined ? 0 : Number(match[2]);
  // The CPU backend measures the whole host as one device: cpu:1 would silently be cpu.
  if (backend === 'cpu' && index !== 0) throw new UsageError(`device id '${id}': the CPU backend has one device, cpu (or cpu:0)`);
  if (backend !== 'cpu' && match[2] === undefined) {
    throw new UsageError(`device id '${id}' needs an index, e.g. ${backend}:0`);
  }
  return { backend, index };
}

export function formatDeviceId(target: DeviceTarget): string {
  return target.backend === 'cpu' ? 'cpu' : `${target.backend}:${target.index}`;
}

export function listBackends(addon: NativeAddon = loadAddon()): NativeBackendListing[] {
  const listings = addon.listBackends();
  return BACKEND_NAMES.map(
    (name) => listings.find((l) => l.backend === name) ?? { backend: name, built: false, devices: [], reason: 'unknown' },
  );
}

/** The device behind `id`, or an error saying why it cannot be used. */
export function resolveDevice(id: string, listings: NativeBackendListing[]): DeviceEntry {
  const target = parseDeviceId(id);
  const listing = listings.find((l) => l.backend === target.backend);
  const wanted = formatDeviceId(target);
  if (!listing || !listing.built) {
    throw new DeviceUnavailableError(`${wanted}: ${listing?.reason || `no ${target.backend} backend in this build`}`);
  }
  const device = listing.devices.find((d) => d.id === wanted);
  if (!device) {
    const why = listing.devices.length === 0 ? listing.reason : `${listing.backend} has ${listing.devices.length} device(s)`;
    throw new DeviceUnavailableError(`${wanted}: no such device (${why})`);
  }
  return { target, device };
}

export interface DefaultDeviceChoice {
  entry: DeviceEntry;
  /** Devices present that were passed over, each with the reason. */
  passedOver: string[];
}

/** GPUs before the CPU, skipping devices this build cannot measure (and saying so). */
export function chooseDefaultDevice(listings: NativeBackendListing[]): DefaultDeviceChoice {
  const passedOver: string[] = [];
  for (const backend of ['cuda', 'hip', 'cpu'] as const) {
    const listing = listings.find((l) => l.backend === backend);
    for (const device of listing?.devices ?? []) {
      if (device.measuresBandwidth && device.measuresThroughput) {
        return { entry: { target: parseDeviceId(device.id), device }, passedOver };
      }
      passedOver.push(`${device.id} (${device.model}): ${device.notMeasurableReason}`);
    }
  }
  throw new DeviceUnavailableError(`no measurable device: ${passedOver.join('; ') || 'no backend found any device'}`);
}
