// The inventory stage for one device: identity facts beyond what the
// measuring backend reports (nvidia-smi for NVIDIA GPUs), and the preflight
// checks on its state. amd-smi/rocm-smi for AMD GPUs are not read yet.
import type { DeviceEntry } from '../devices.js';
import type { Fact } from '../verdict/record.js';
import { collectAmdInventory, collectNvidiaInventory, samePciAddress } from './collect.js';
import type { NvidiaQueryField } from './nvidia-smi.js';
import { amdPreflight, nvidiaPreflight, treeClean, type PreflightCheck } from './preflight.js';

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
  ['ecc.errors.uncorrected.volatile.total', 'eccUncorrectedVolatile'],
  ['retired_pages.pending', 'retiredPagesPending'],
  ['remapped_rows.pending', 'remappedRowsPending'],
  ['mig.mode.current', 'migMode'],
  ['pcie.link.gen.gpucurrent', 'pcieGenCurrent'],
  ['pcie.link.gen.max', 'pcieGenMax'],
  ['pcie.link.width.current', 'pcieWidthCurrent'],
  ['pcie.link.width.max', 'pcieWidthMax'],
  ['power.max_limit', 'maxPowerLimitW'],
  ['clocks.sm', 'smClockMhzAtInventory'],
  ['clocks.applications.graphics', 'applicationClockMhz'],
  ['persistence_mode', 'persistenceMode'],
  ['compute_mode', 'computeMode'],
  ['temperature.gpu', 'temperatureCAtInventory'],
];


function attribute(entry: DeviceEntry, key: string): number | undefined {
  const value = entry.device.attributes.find((a) => a.key === key)?.value;
  return typeof value === 'number' ? value : undefined;
}

async function amdInventoryFor(entry: DeviceEntry, dirtyTree: boolean): Promise<DeviceInventory> {
  const result = await collectAmdInventory();
  if ('unavailable' in result) {
    return { facts: [], checks: [{ id: 'inventory', status: 'warn', detail: `no amd-smi inventory: ${result.unavailable}` }, treeClean(dirtyTree)] };
  }
  const [domain, bus, device] = [attribute(entry, 'pciDomain'), attribute(entry, 'pciBus'), attribute(entry, 'pciDevice')];
  const gpu = result.inventory.gpus.find((g) => domain !== undefined && bus !== undefined && device !== undefined && g.bdf !== null && samePciAddress(g.bdf, domain, bus, device));
  if (!gpu) return { facts: [], checks: [{ id: 'inventory', status: 'fail', detail: "amd-smi lists no GPU at this device's PCI address" }, treeClean(dirtyTree)] };
  const source = 'amd-smi static';
  const facts: Fact[] = (
    [
      ['serial', gpu.serial],
      ['asicSerial', gpu.asicSerial],
      ['boardPartNumber', gpu.vbiosPartNumber],
      ['vbiosVersion', gpu.vbiosVersion],
      ['pciBusId', gpu.bdf],
      ['driverVersion', gpu.driverVersion],
      ['computePartition', gpu.computePartition],
      ['memoryPartition', gpu.memoryPartition],
      ['powerCapW', gpu.socketPowerCapW === null ? null : String(gpu.socketPowerCapW)],
      ['amdSmiGpu', String(gpu.gpu)],
    ] as [string, string | null][]
  )
    .filter((pair): pair is [string, string] => pair[1] !== null)
    .map(([name, value]) => ({ name, value, source }));
  const metric = result.inventory.metrics.find((m) => m.gpu === gpu.gpu);
  return { facts, checks: amdPreflight(gpu, metric, result.inventory.processes?.get(gpu.gpu), dirtyTree) };
}

export async function inventoryFor(entry: DeviceEntry, dirtyTree: boolean): Promise<DeviceInventory> {
  if (entry.target.backend === 'hip') return amdInventoryFor(entry, dirtyTree);
  if (entry.target.backend !== 'cuda') return { facts: [], checks: [treeClean(dirtyTree)] };
  const result = await collectNvidiaInventory();
  if ('unavailable' in result) {
    return { facts: [], checks: [{ id: 'inventory', status: 'warn', detail: `no nvidia-smi inventory: ${result.unavailable}` }, treeClean(dirtyTree)] };
  }
  const [domain, bus, device] = [attribute(entry, 'pciDomain'), attribute(entry, 'pciBus'), attribute(entry, 'pciDevice')];
  const row = result.inventory.rows.find((r) => domain !== undefined && bus !== undefined && device !== undefined && r['pci.bus_id'] !== null && samePciAddress(r['pci.bus_id'], domain, bus, device));
  if (!row) {
    return { facts: [], checks: [{ id: 'inventory', status: 'fail', detail: 'nvidia-smi lists no GPU at this device\'s PCI address' }, treeClean(dirtyTree)] };
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
