// NVML read directly through the addon's nvmlIdentity (native/nvml): the
// shape it returns, and the identity readings taken from it.
import { loadAddon } from '../../benchmarks/native-addon.js';
import type { Reading } from './readings.js';

/** One NVML call and its exact nvmlReturn_t (0 success; 6 NVML_ERROR_NOT_FOUND; -1: the symbol is absent from this libnvidia-ml). */
export interface NvmlCall {
  call: string;
  status: number;
  error: string;
}

export interface NvmlDevice {
  index: number;
  pciBusId: string;
  serial: string;
  uuid: string;
  boardPartNumber: string;
  vbiosVersion: string;
  /** "0x233010de": device id << 16 | vendor id, as nvmlPciInfo_t holds it. */
  pciDeviceId: string;
  /** "0x16c110de": subsystem id << 16 | subsystem vendor id. */
  pciSubsystemId: string;
  pdi?: string;
  attestationReportHex?: string;
  attestationChainPem?: string;
  calls: NvmlCall[];
}

export interface NvmlIdentity {
  available: boolean;
  reason: string;
  driverVersion: string;
  nvmlVersion: string;
  /** nvmlSystemGetConfComputeState (+ multiGpuMode from ...Settings): ccFeature 1 = on; multiGpuMode 1 = protected PCIe. */
  confCompute?: { environment: number; ccFeature: number; devToolsMode: number; multiGpuMode?: number };
  calls: NvmlCall[];
  devices: NvmlDevice[];
}

/** nvml.h: NVML_CC_SYSTEM_FEATURE_ENABLED, NVML_CC_SYSTEM_MULTIGPU_PROTECTED_PCIE. */
const CC_FEATURE_ENABLED = 1;
const MULTIGPU_PROTECTED_PCIE = 1;

export function confComputeOn(identity: NvmlIdentity): boolean {
  const cc = identity.confCompute;
  return cc !== undefined && (cc.ccFeature === CC_FEATURE_ENABLED || cc.multiGpuMode === MULTIGPU_PROTECTED_PCIE);
}

type NvmlIdentityFn = (options?: { nonce?: Buffer; library?: string }) => NvmlIdentity;

/** NVML through the addon; a missing driver library is an answer (available: false), not an error. */
export function readNvmlIdentity(options: { nonce?: Buffer; library?: string } = {}): NvmlIdentity {
  const addon = loadAddon() as unknown as { nvmlIdentity?: NvmlIdentityFn };
  if (typeof addon.nvmlIdentity !== 'function') {
    return { available: false, reason: 'this build of the addon has no NVML reader', driverVersion: '', nvmlVersion: '', calls: [], devices: [] };
  }
  return addon.nvmlIdentity(options);
}

/** "0x233010de" → device 0x2330 and vendor 0x10de. */
export function splitPciId(combined: string): { high: string; low: string } | undefined {
  const m = /^(?:0x)?([0-9a-f]{1,4})([0-9a-f]{4})$/i.exec(combined.trim());
  return m ? { high: `0x${m[1]!.toLowerCase()}`, low: `0x${m[2]!.toLowerCase()}` } : undefined;
}

export function nvmlReadings(device: NvmlDevice, identity: NvmlIdentity): Reading[] {
  const out: Reading[] = [];
  const add = (fact: Reading['fact'], call: string, value: string | undefined) => {
    if (value) out.push({ fact, source: `nvml ${call}`, value });
  };
  add('serial', 'nvmlDeviceGetSerial', device.serial);
  add('uuid', 'nvmlDeviceGetUUID', device.uuid);
  add('boardPartNumber', 'nvmlDeviceGetBoardPartNumber', device.boardPartNumber);
  add('vbiosVersion', 'nvmlDeviceGetVbiosVersion', device.vbiosVersion);
  add('pdi', 'nvmlDeviceGetPdi', device.pdi);
  add('pciBusId', 'nvmlDeviceGetPciInfo_v3', device.pciBusId);
  const ids = splitPciId(device.pciDeviceId);
  add('pciDeviceId', 'nvmlDeviceGetPciInfo_v3', ids?.high);
  add('pciVendorId', 'nvmlDeviceGetPciInfo_v3', ids?.low);
  const subsystem = splitPciId(device.pciSubsystemId);
  add('pciSubsystemId', 'nvmlDeviceGetPciInfo_v3', subsystem?.high);
  add('pciSubsystemVendorId', 'nvmlDeviceGetPciInfo_v3', subsystem?.low);
  add('nvidiaDriverVersion', 'nvmlSystemGetDriverVersion', identity.driverVersion);
  return out;
}
