// The inventory stage for one device: identity facts beyond what the
// measuring backend reports (nvidia-smi for NVIDIA GPUs, amd-smi for AMD),
// every identity reading for the cross-check (NVML direct, nvidia-smi, the
// runtime, sysfs; amd-smi, sysfs, KFD), and the preflight checks on its state.
import type { DeviceEntry } from '../devices.js';
import { nvmlReadings, readNvmlIdentity, type NvmlIdentity } from '../identity/nvml.js';
import type { Reading } from '../identity/readings.js';
import { kfdReadings, sysfsPciName, sysfsPciReadings } from '../identity/sysfs.js';
import { amdSmiReadings, nvidiaSmiCsvReadings, nvidiaSmiXmlReadings, pciAddress, runtimeReadings } from '../identity/tool-readings.js';
import type { Fact } from '../verdict/record.js';
import { collectAmdInventory, collectNvidiaInventory, samePciAddress } from './collect.js';
import type { NvidiaQueryField } from './nvidia-smi.js';
import { amdPreflight, nvidiaPreflight, treeClean, type PreflightCheck } from './preflight.js';

export interface DeviceInventory {
  facts: Fact[];
  checks: PreflightCheck[];
  /** Every path's reading of each identity fact, in order of precedence (NVML first). */
  identityReadings: Reading[];
  /** NVML's answer, when it was asked (NVIDIA): its calls and the conf-compute state. */
  nvml?: NvmlIdentity;
}

/** Where the second readings come from; tests point them at fixtures. */
export interface IdentitySources {
  nvml?: (options?: { nonce?: Buffer }) => NvmlIdentity;
  sysRoot?: string;
  /** The nvidia-smi and amd-smi commands (fixture scripts in tests). */
  nvidiaSmi?: string;
  amdSmi?: string;
}

/** Runtime, sysfs config space and (AMD) KFD readings of the device at its PCI address. */
function platformReadings(entry: DeviceEntry, sysRoot: string | undefined): Reading[] {
  const address = pciAddress(entry);
  if (!address) return runtimeReadings(entry);
  return [
    ...runtimeReadings(entry),
    ...sysfsPciReadings(sysfsPciName(address.domain, address.bus, address.device), sysRoot),
    ...(entry.target.backend === 'hip' ? kfdReadings(address.domain, address.bus, address.device, sysRoot) : []),
  ];
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

async function amdInventoryFor(entry: DeviceEntry, dirtyTree: boolean, sources: IdentitySources): Promise<DeviceInventory> {
  const result = await collectAmdInventory(sources.amdSmi);
  const platform = platformReadings(entry, sources.sysRoot);
  if ('unavailable' in result) {
    return { facts: [], identityReadings: platform, checks: [{ id: 'inventory', status: 'warn', detail: `no amd-smi inventory: ${result.unavailable}` }, treeClean(dirtyTree)] };
  }
  const [domain, bus, device] = [attribute(entry, 'pciDomain'), attribute(entry, 'pciBus'), attribute(entry, 'pciDevice')];
  const gpu = result.inventory.gpus.find((g) => domain !== undefined && bus !== undefined && device !== undefined && g.bdf !== null && samePciAddress(g.bdf, domain, bus, device));
  if (!gpu) return { facts: [], identityReadings: platform, checks: [{ id: 'inventory', status: 'fail', detail: "amd-smi lists no GPU at this device's PCI address" }, treeClean(dirtyTree)] };
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
  return { facts, identityReadings: [...amdSmiReadings(gpu), ...platform], checks: amdPreflight(gpu, metric, result.inventory.processes?.get(gpu.gpu), dirtyTree) };
}

/** NVML's view of this device (matched by PCI address), first among the readings. */
function nvmlFor(entry: DeviceEntry, sources: IdentitySources): { nvml: NvmlIdentity; readings: Reading[] } {
  const nvml = (sources.nvml ?? readNvmlIdentity)();
  const address = pciAddress(entry);
  const device = nvml.devices.find((d) => address !== undefined && d.pciBusId !== '' && samePciAddress(d.pciBusId, address.domain, address.bus, address.device));
  return { nvml, readings: device ? nvmlReadings(device, nvml) : [] };
}

export async function inventoryFor(entry: DeviceEntry, dirtyTree: boolean, sources: IdentitySources = {}): Promise<DeviceInventory> {
  if (entry.target.backend === 'hip') return amdInventoryFor(entry, dirtyTree, sources);
  if (entry.target.backend !== 'cuda') return { facts: [], identityReadings: [], checks: [treeClean(dirtyTree)] };
  const { nvml, readings: direct } = nvmlFor(entry, sources);
  const platform = platformReadings(entry, sources.sysRoot);
  const result = await collectNvidiaInventory(sources.nvidiaSmi);
  if ('unavailable' in result) {
    return { facts: [], nvml, identityReadings: [...direct, ...platform], checks: [{ id: 'inventory', status: 'warn', detail: `no nvidia-smi inventory: ${result.unavailable}` }, treeClean(dirtyTree)] };
  }
  const [domain, bus, device] = [attribute(entry, 'pciDomain'), attribute(entry, 'pciBus'), attribute(entry, 'pciDevice')];
  const row = result.inventory.rows.find((r) => domain !== undefined && bus !== undefined && device !== undefined && r['pci.bus_id'] !== null && samePciAddress(r['pci.bus_id'], domain, bus, device));
  if (!row) {
    return { facts: [], nvml, identityReadings: [...direct, ...platform], checks: [{ id: 'inventory', status: 'fail', detail: 'nvidia-smi lists no GPU at this device\'s PCI address' }, treeClean(dirtyTree)] };
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
  const tools = [...nvidiaSmiCsvReadings(row), ...(xml ? nvidiaSmiXmlReadings(xml, result.inventory.driverVersion) : [])];
  return { facts, nvml, identityReadings: [...direct, ...tools, ...platform], checks: nvidiaPreflight(row, xml, dirtyTree) };
}
