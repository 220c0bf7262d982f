// Identity readings from the vendor tools and the runtimes, already parsed
// (harness/inventory parses the tools' output): nvidia-smi's CSV and XML, the
// CUDA/HIP runtime's attributes, amd-smi static.
import type { DeviceEntry } from '../devices.js';
import type { AmdGpu } from '../inventory/amd-smi.js';
import type { NvidiaQueryRow, NvidiaXmlGpu } from '../inventory/nvidia-smi.js';
import { splitPciId } from './nvml.js';
import type { Reading } from './readings.js';
import { sysfsPciName } from './sysfs.js';

function readings(source: (field: string) => string, pairs: [Reading['fact'], string, string | null | undefined][]): Reading[] {
  return pairs.filter((p): p is [Reading['fact'], string, string] => !!p[2]).map(([fact, field, value]) => ({ fact, source: source(field), value }));
}

export function nvidiaSmiCsvReadings(row: NvidiaQueryRow): Reading[] {
  const ids = row['pci.device_id'] ? splitPciId(row['pci.device_id']) : undefined;
  return readings((f) => `nvidia-smi --query-gpu ${f}`, [
    ['serial', 'serial', row.serial],
    ['uuid', 'uuid', row.uuid],
    ['vbiosVersion', 'vbios_version', row.vbios_version],
    ['pciBusId', 'pci.bus_id', row['pci.bus_id']],
    ['pciDeviceId', 'pci.device_id', ids?.high],
    ['pciVendorId', 'pci.device_id', ids?.low],
    ['nvidiaDriverVersion', 'driver_version', row.driver_version],
  ]);
}

export function nvidiaSmiXmlReadings(gpu: NvidiaXmlGpu, driverVersion: string | null): Reading[] {
  const ids = gpu.pciDeviceId ? splitPciId(gpu.pciDeviceId) : undefined;
  const subsystem = gpu.pciSubSystemId ? splitPciId(gpu.pciSubSystemId) : undefined;
  return readings((f) => `nvidia-smi -q -x ${f}`, [
    ['serial', 'serial', gpu.serial],
    ['uuid', 'uuid', gpu.uuid],
    ['boardPartNumber', 'board_part_number', gpu.boardPartNumber],
    ['vbiosVersion', 'vbios_version', gpu.vbiosVersion],
    ['pdi', 'gpu_pdi', gpu.pdi],
    ['pciBusId', 'gpu id', gpu.busId],
    ['pciDeviceId', 'pci_device_id', ids?.high],
    ['pciVendorId', 'pci_device_id', ids?.low],
    ['pciSubsystemId', 'pci_sub_system_id', subsystem?.high],
    ['pciSubsystemVendorId', 'pci_sub_system_id', subsystem?.low],
    ['nvidiaDriverVersion', 'driver_version', driverVersion],
  ]);
}

function numberAttribute(entry: DeviceEntry, key: string): number | undefined {
  const value = entry.device.attributes.find((a) => a.key === key)?.value;
  return typeof value === 'number' ? value : undefined;
}

/** The runtime's own view (cudaGetDeviceProperties / hipGetDeviceProperties): UUID and PCI address. */
export function runtimeReadings(entry: DeviceEntry): Reading[] {
  const runtime = entry.target.backend === 'hip' ? 'hip runtime' : 'cuda runtime';
  const out: Reading[] = [];
  const uuid = entry.device.attributes.find((a) => a.key === 'uuid')?.value;
  if (typeof uuid === 'string' && uuid) out.push({ fact: 'uuid', source: `${runtime} uuid`, value: uuid });
  const address = pciAddress(entry);
  if (address) out.push({ fact: 'pciBusId', source: `${runtime} pciDomainID/pciBusID/pciDeviceID`, value: sysfsPciName(address.domain, address.bus, address.device) });
  return out;
}

export function pciAddress(entry: DeviceEntry): { domain: number; bus: number; device: number } | undefined {
  const [domain, bus, device] = [numberAttribute(entry, 'pciDomain'), numberAttribute(entry, 'pciBus'), numberAttribute(entry, 'pciDevice')];
  return domain !== undefined && bus !== undefined && device !== undefined ? { domain, bus, device } : undefined;
}

/** amd-smi static: FRU EEPROM and SMU firmware values, unsigned (shared reference identity.md). */
export function amdSmiReadings(gpu: AmdGpu): Reading[] {
  return readings((f) => `amd-smi static ${f}`, [
    ['serial', 'board.product_serial', gpu.serial],
    ['asicSerial', 'asic.asic_serial', gpu.asicSerial],
    ['vbiosVersion', 'vbios.version', gpu.vbiosVersion],
    ['boardPartNumber', 'vbios.part_number', gpu.vbiosPartNumber],
    ['pciBusId', 'bus.bdf', gpu.bdf],
    ['pciVendorId', 'asic.vendor_id', gpu.vendorId],
    ['pciDeviceId', 'asic.device_id', gpu.deviceId],
    ['pciSubsystemId', 'asic.subsystem_id', gpu.subsystemId],
  ]);
}
