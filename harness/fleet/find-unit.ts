// Finding one unit of a lot on the host it sits in, by UUID or serial, never
// by index: under a scheduler's device constraint the index a process sees
// (CUDA_VISIBLE_DEVICES is always 0 under Slurm's ConstrainDevices) says
// nothing about which board it is.
import { collectAmdInventory, collectNvidiaInventory, samePciAddress } from '../inventory/collect.js';
import { listBackends, parseDeviceId, type DeviceEntry } from '../devices.js';
import { DeviceUnavailableError, UsageError } from '../errors.js';
import type { NativeBackendListing, NativeDevice } from '../../benchmarks/native-addon.js';

/**
 * Test only: "cpu" makes every unit resolve to the CPU, standing in for a GPU
 * so a lot runs through a real scheduler on a machine without GPUs. The
 * attestation says so in the unit's identity fact source and in a state
 * problem, so its verdict is inconclusive and no lot certifies from stand-ins.
 */
export const STAND_IN_ENV = 'TPPVERIFY_TEST_STAND_IN';
/** Test only: serials (comma-separated) that the stand-in treats as absent from the host. */
export const STAND_IN_MISSING_ENV = 'TPPVERIFY_TEST_STAND_IN_MISSING';

export interface UnitSelector {
  by: 'uuid' | 'serial';
  value: string;
}

const SELECTOR = /^(uuid|serial):([A-Za-z0-9][A-Za-z0-9._:-]{0,127})$/;

/** `uuid:GPU-…` or `serial:…` (the forms `run --device` takes besides cpu/cuda:N/hip:N); undefined for anything else. */
export function parseUnitSelector(id: string): UnitSelector | undefined {
  if (!/^(uuid|serial):/.test(id)) return undefined;
  const match = SELECTOR.exec(id);
  if (!match) throw new UsageError(`device '${id.slice(0, 80)}': a uuid: or serial: selector takes 1 to 128 letters, digits, dots, colons, hyphens or underscores`);
  return { by: match[1] as UnitSelector['by'], value: match[2]! };
}

export interface FoundUnit {
  entry: DeviceEntry;
  /** Problems the attestation must carry (a stand-in's); empty for a real unit. */
  stateProblems: string[];
}

function numberAttribute(device: NativeDevice, key: string): number | undefined {
  const value = device.attributes.find((a) => a.key === key)?.value;
  return typeof value === 'number' ? value : undefined;
}

function entryOf(device: NativeDevice): DeviceEntry {
  return { target: parseDeviceId(device.id), device };
}

function atPciAddress(listings: NativeBackendListing[], backend: 'cuda' | 'hip', busId: string): NativeDevice | undefined {
  return listings
    .find((l) => l.backend === backend)
    ?.devices.find((d) => {
      const [domain, bus, dev] = [numberAttribute(d, 'pciDomain'), numberAttribute(d, 'pciBus'), numberAttribute(d, 'pciDevice')];
      return domain !== undefined && bus !== undefined && dev !== undefined && samePciAddress(busId, domain, bus, dev);
    });
}

function standIn(selector: UnitSelector, listings: NativeBackendListing[]): FoundUnit {
  const missing = (process.env[STAND_IN_MISSING_ENV] ?? '').split(',').filter(Boolean);
  if (missing.includes(selector.value)) throw new DeviceUnavailableError(`no device with ${selector.by} ${selector.value} on this host (test stand-in: listed in ${STAND_IN_MISSING_ENV})`);
  const cpu = listings.find((l) => l.backend === 'cpu')?.devices[0];
  if (!cpu) throw new DeviceUnavailableError(`${STAND_IN_ENV}=cpu: this build sees no CPU device`);
  const source = `test stand-in (${STAND_IN_ENV}=cpu): the CPU was measured in place of this unit`;
  return {
    entry: entryOf({ ...cpu, attributes: [{ key: selector.by, value: selector.value, source }, ...cpu.attributes] }),
    stateProblems: [`test stand-in: the CPU was measured in place of the unit with ${selector.by} ${selector.value}; this is no measurement of that unit`],
  };
}

/** The device on this host with this UUID or serial, or an error naming what was looked for and where. */
export async function findUnit(selector: UnitSelector, listings: NativeBackendListing[] = listBackends()): Promise<FoundUnit> {
  if (process.env[STAND_IN_ENV] === 'cpu') return standIn(selector, listings);
  if (process.env[STAND_IN_ENV] !== undefined) throw new UsageError(`${STAND_IN_ENV} may only be 'cpu'`);
  if (selector.by === 'uuid') {
    const wanted = selector.value.toLowerCase();
    for (const listing of listings) {
      const device = listing.devices.find((d) => d.attributes.some((a) => a.key === 'uuid' && String(a.value).toLowerCase() === wanted));
      if (device) return { entry: entryOf(device), stateProblems: [] };
    }
    throw new DeviceUnavailableError(`no device with uuid ${selector.value} on this host`);
  }
  // Serials are known to the vendor tools, not to the runtimes: find the PCI address there.
  const nvidia = await collectNvidiaInventory();
  if ('inventory' in nvidia) {
    const row = nvidia.inventory.rows.find((r) => r.serial === selector.value);
    const device = row?.['pci.bus_id'] ? atPciAddress(listings, 'cuda', row['pci.bus_id']) : undefined;
    if (device) return { entry: entryOf(device), stateProblems: [] };
  }
  const amd = await collectAmdInventory();
  if ('inventory' in amd) {
    const gpu = amd.inventory.gpus.find((g) => g.serial === selector.value);
    const device = gpu?.bdf ? atPciAddress(listings, 'hip', gpu.bdf) : undefined;
    if (device) return { entry: entryOf(device), stateProblems: [] };
  }
  throw new DeviceUnavailableError(`no device with serial ${selector.value} on this host (looked in nvidia-smi and amd-smi)`);
}
