// The PCI function's ids as the kernel exposes them: the sysfs attribute
// files and, separately, the raw configuration space (PCI Local Bus spec:
// vendor id at 0x00, device id at 0x02, subsystem vendor id at 0x2c,
// subsystem id at 0x2e, little-endian). Both are read without privileges.
// AMD: KFD's topology (unique_id, device and vendor ids) is a second path.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Reading } from './readings.js';

const CONFIG_VENDOR_ID = 0x00;
const CONFIG_DEVICE_ID = 0x02;
const CONFIG_SUBSYSTEM_VENDOR_ID = 0x2c;
const CONFIG_SUBSYSTEM_ID = 0x2e;
/** The type-0 header's first 64 bytes hold every id read here. */
const CONFIG_HEADER_BYTES = 0x30;

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const hex16 = (value: number) => `0x${value.toString(16).padStart(4, '0')}`;

/** "0000:18:00.0": the sysfs name of a PCI function. */
export function sysfsPciName(domain: number, bus: number, device: number, fn = 0): string {
  return `${domain.toString(16).padStart(4, '0')}:${bus.toString(16).padStart(2, '0')}:${device.toString(16).padStart(2, '0')}.${fn}`;
}

export function sysfsPciReadings(name: string, sysRoot = '/sys'): Reading[] {
  const dir = path.join(sysRoot, 'bus', 'pci', 'devices', name);
  const out: Reading[] = [];
  const files: [Reading['fact'], string][] = [
    ['pciVendorId', 'vendor'],
    ['pciDeviceId', 'device'],
    ['pciSubsystemVendorId', 'subsystem_vendor'],
    ['pciSubsystemId', 'subsystem_device'],
  ];
  for (const [fact, file] of files) {
    const value = readText(path.join(dir, file));
    if (value) out.push({ fact, source: `sysfs ${file}`, value });
  }
  if (out.length) out.push({ fact: 'pciBusId', source: 'sysfs device path', value: name });
  let config: Buffer | undefined;
  try {
    config = readFileSync(path.join(dir, 'config'));
  } catch {
    config = undefined;
  }
  if (config && config.length >= CONFIG_HEADER_BYTES) {
    out.push({ fact: 'pciVendorId', source: 'sysfs config space 0x00', value: hex16(config.readUInt16LE(CONFIG_VENDOR_ID)) });
    out.push({ fact: 'pciDeviceId', source: 'sysfs config space 0x02', value: hex16(config.readUInt16LE(CONFIG_DEVICE_ID)) });
    out.push({ fact: 'pciSubsystemVendorId', source: 'sysfs config space 0x2c', value: hex16(config.readUInt16LE(CONFIG_SUBSYSTEM_VENDOR_ID)) });
    out.push({ fact: 'pciSubsystemId', source: 'sysfs config space 0x2e', value: hex16(config.readUInt16LE(CONFIG_SUBSYSTEM_ID)) });
  }
  return out;
}

/** KFD's properties file: "key value" lines, decimal numbers. */
function kfdProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) out.set(key, value);
  }
  return out;
}

/**
 * The KFD topology node of the GPU at this PCI address: location_id is
 * bus << 8 | device << 3 | function (amdgpu's kfd_topology.c), with the
 * domain beside it.
 */
export function kfdReadings(domain: number, bus: number, device: number, sysRoot = '/sys'): Reading[] {
  const nodes = path.join(sysRoot, 'class', 'kfd', 'kfd', 'topology', 'nodes');
  let entries: string[];
  try {
    entries = readdirSync(nodes);
  } catch {
    return [];
  }
  for (const node of entries) {
    const text = readText(path.join(nodes, node, 'properties'));
    if (!text) continue;
    const p = kfdProperties(text);
    const location = Number(p.get('location_id'));
    if (!Number.isInteger(location) || Number(p.get('domain') ?? 0) !== domain || location >> 8 !== bus || ((location >> 3) & 0x1f) !== device) continue;
    const out: Reading[] = [];
    const source = `kfd topology node ${node}`;
    const decimal = (key: string) => {
      const raw = p.get(key);
      return raw !== undefined && /^\d+$/.test(raw) ? BigInt(raw) : undefined;
    };
    const unique = decimal('unique_id');
    if (unique !== undefined && unique !== 0n) out.push({ fact: 'asicSerial', source: `${source} unique_id`, value: `0x${unique.toString(16)}` });
    const deviceId = decimal('device_id');
    if (deviceId !== undefined) out.push({ fact: 'pciDeviceId', source: `${source} device_id`, value: `0x${deviceId.toString(16)}` });
    const vendorId = decimal('vendor_id');
    if (vendorId !== undefined) out.push({ fact: 'pciVendorId', source: `${source} vendor_id`, value: `0x${vendorId.toString(16)}` });
    return out;
  }
  return [];
}
