// The inventory stage for one device: identity facts beyond what the
// measuring backend reports (nvidia-smi for NVIDIA GPUs), and the preflight
// checks on its state. amd-smi/rocm-smi for AMD GPUs are not read yet.
import type { DeviceEntry } from '../devices.js';
import type { Fact } from '../verdict/record.js';
import { collectNvidiaInventory, samePciAddress } from './collect.js';
import type { NvidiaQueryField } from './nvidia-smi.js';
import { nvidiaPreflight, type PreflightCheck } from './preflight.js';

export interface DeviceInventory {
  facts: Fact[];
  checks: PreflightCheck[];
}

/** nvidia-smi fields recorded as identity facts, under the names the verdict and audit read. */
const NVIDIA_FACTS: [NvidiaQueryField, string][] = [
  ['serial', 'serial'],
  ['uuid', 'uuid'],
  ['vbios_version', 'vbiosVersion'],
  ['inforom.img', 'inforomImage'],
  ['pci.bus_id', 'pciBusId'],
  ['pci.device_id', 'pciDeviceId'],
  ['driver_version', 'driverVersion'],
  ['power.limit', 'powerLimitW'],
  ['power.default_limit', 'defaultPowerLimitW'],
  ['clocks.max.sm', 'maxSmClockMhzNvidiaSmi'],
  ['clocks.max.mem', 'maxMemoryClockMhz'],
  ['ecc.mode.current', 'eccMode'],
  ['mig.mode.current', 'migMode'],
];

function treeCheck(dirtyTree: boolean): PreflightCheck {
  return { id: 'tree-clean', status: dirtyTree ? 'fail' : 'pass', detail: dirtyTree ? 'the harness tree has uncommitted changes' : 'harness tree clean' };
}

function attribute(entry: DeviceEntry, key: string): number | undefined {
  const value = entry.device.attributes.find((a) => a.key === key)?.value;
  return typeof value === 'number' ? value : undefined;
}

export async function inventoryFor(entry: DeviceEntry, dirtyTree: boolean): Promise<DeviceInventory> {
  if (entry.target.backend !== 'cuda') return { facts: [], checks: [treeCheck(dirtyTree)] };
  const result = await collectNvidiaInventory();
  if ('unavailable' in result) {
    return { facts: [], checks: [{ id: 'inventory', status: 'warn', detail: `no nvidia-smi inventory: ${result.unavailable}` }, treeCheck(dirtyTree)] };
  }
  const [domain, bus, device] = [attribute(entry, 'pciDomain'), attribute(entry, 'pciBus'), attribute(entry, 'pciDevice')];
  const row = result.inventory.rows.find((r) => domain !== undefined && bus !== undefined && device !== undefined && r['pci.bus_id'] !== null && samePciAddress(r['pci.bus_id'], domain, bus, device));
  if (!row) {
    return { facts: [], checks: [{ id: 'inventory', status: 'fail', detail: 'nvidia-smi lists no GPU at this device\'s PCI address' }, treeCheck(dirtyTree)] };
  }
  const xml = result.inventory.xml.find((g) => g.busId.toLowerCase() === (row['pci.bus_id'] ?? '').toLowerCase());
  const facts: Fact[] = [];
  for (const [field, name] of NVIDIA_FACTS) {
    const value = row[field];
    if (value !== null) facts.push({ name, value, source: `nvidia-smi --query-gpu ${field}` });
  }
  if (xml?.boardPartNumber) facts.push({ name: 'boardPartNumber', value: xml.boardPartNumber, source: 'nvidia-smi -q -x board_part_number' });
  if (xml?.gpuPartNumber) facts.push({ name: 'gpuPartNumber', value: xml.gpuPartNumber, source: 'nvidia-smi -q -x gpu_part_number' });
  if (result.inventory.cudaVersion) facts.push({ name: 'cudaDriverVersion', value: result.inventory.cudaVersion, source: 'nvidia-smi -q -x cuda_version' });
  return { facts, checks: nvidiaPreflight(row, xml, dirtyTree) };
}
