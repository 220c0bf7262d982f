// `tppverify devices`: every device the built backends see, with attributes;
// a backend that is missing or sees nothing says why.
import type { NativeAttribute, NativeBackendListing } from '../../../benchmarks/native-addon.js';
import { listBackends } from '../../devices.js';
import type { CliIo } from '../io.js';

export interface DevicesOptions {
  json: boolean;
}

function binaryUnits(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toLocaleString('en-US', { maximumFractionDigits: 1 })} ${units[unit]}`;
}

function formatValue(attribute: NativeAttribute): string {
  const value = attribute.value;
  if (Array.isArray(value)) return value.join(' ');
  if (typeof value === 'number' && /Bytes$/.test(attribute.key) && value >= 1024) return `${value} (${binaryUnits(value)})`;
  return String(value);
}

export function renderDevices(listings: NativeBackendListing[]): string {
  const lines: string[] = [];
  for (const listing of listings) {
    if (!listing.built) {
      lines.push(`${listing.backend}: not built: ${listing.reason}`);
      continue;
    }
    if (listing.devices.length === 0) {
      lines.push(`${listing.backend}: no device: ${listing.reason}`);
      continue;
    }
    for (const device of listing.devices) {
      lines.push(`${device.id}  ${device.vendor} ${device.model}  (${device.computeUnits} ${device.unitName}s)`);
      if (!device.measuresBandwidth || !device.measuresThroughput) {
        lines.push(`  not measurable by this build: ${device.notMeasurableReason}`);
      }
      const width = Math.max(...device.attributes.map((a) => a.key.length));
      for (const attribute of device.attributes) {
        lines.push(`  ${attribute.key.padEnd(width)}  ${formatValue(attribute)}  [${attribute.source}]`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

export function runDevices(options: DevicesOptions, io: CliIo): void {
  const listings = listBackends();
  if (options.json) {
    io.out(JSON.stringify({ schema: 'tppverify.devices.v1', backends: listings }, null, 2) + '\n');
  } else {
    io.out(renderDevices(listings));
  }
}
