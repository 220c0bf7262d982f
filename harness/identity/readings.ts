// Identity facts read more than one way. Each path (NVML, nvidia-smi, the
// CUDA runtime, sysfs, amd-smi, KFD, verified SPDM evidence) gives readings;
// a fact keeps every reading, and readings of one fact that disagree (after
// normalizing only how they are written: case, "0x", "GPU-") are a
// disagreement: a strict run refuses, any other run records a state problem.
import type { Assurance, Fact, FactReading } from '../verdict/record.js';

/** The identity facts cross-checked, under the names the verdict, audits and lots read. */
export const IDENTITY_FACTS = [
  'serial',
  'uuid',
  'pdi',
  'boardPartNumber',
  'vbiosVersion',
  /** The kernel driver's version (nvidia-smi, NVML, and the SPDM report's opaque data). */
  'nvidiaDriverVersion',
  'pciBusId',
  'pciVendorId',
  'pciDeviceId',
  'pciSubsystemVendorId',
  'pciSubsystemId',
  'asicSerial',
  // Only the verified SPDM evidence reads these (opaque fields of the signed report).
  'chipSku',
  'chipSkuMod',
  'project',
  'projectSku',
  'boardId',
  'protectedPcieStatus',
  'fwid',
] as const;
export type IdentityFactName = (typeof IDENTITY_FACTS)[number];

export interface Reading {
  fact: IdentityFactName;
  /** The path, precisely: "nvml nvmlDeviceGetSerial", "nvidia-smi -q -x serial", "sysfs .../device". */
  source: string;
  value: string;
  /** Set only by the SPDM evidence check. */
  assurance?: Assurance;
}

export const SPDM_SOURCE = 'spdm evidence (verified)';

function hexId(value: string): string {
  const v = value.trim().toLowerCase().replace(/^0x/, '');
  return /^[0-9a-f]+$/.test(v) ? `0x${v.replace(/^0+(?=.)/, '')}` : value.trim();
}

/** One spelling per fact, so only real differences count. */
export const NORMALIZE: Record<IdentityFactName, (value: string) => string> = {
  serial: (v) => v.trim(),
  // NVML and nvidia-smi write "GPU-<uuid>", the CUDA runtime's uuid is formatted the same here; KFD has none.
  uuid: (v) => v.trim().toLowerCase().replace(/^gpu-/, ''),
  pdi: hexId,
  boardPartNumber: (v) => v.trim(),
  vbiosVersion: (v) => v.trim().toLowerCase(),
  nvidiaDriverVersion: (v) => v.trim(),
  // "00000000:18:00.0" (nvidia-smi, NVML) and "0000:18:00.0" (sysfs, amd-smi) name the same function.
  pciBusId: (v) => {
    const m = /^([0-9a-f]+):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(v.trim());
    return m ? `${parseInt(m[1]!, 16).toString(16).padStart(4, '0')}:${m[2]!.toLowerCase()}:${m[3]!.toLowerCase()}.${m[4]}` : v.trim().toLowerCase();
  },
  pciVendorId: hexId,
  pciDeviceId: hexId,
  pciSubsystemVendorId: hexId,
  pciSubsystemId: hexId,
  asicSerial: hexId,
  chipSku: (v) => v.trim(),
  chipSkuMod: (v) => v.trim(),
  project: (v) => v.trim(),
  projectSku: (v) => v.trim(),
  boardId: hexId,
  protectedPcieStatus: (v) => v.trim(),
  fwid: (v) => v.trim().toLowerCase(),
};

export interface Disagreement {
  fact: IdentityFactName;
  readings: FactReading[];
}

export interface IdentityCheck {
  facts: Fact[];
  disagreements: Disagreement[];
}

export function describeDisagreement(d: Disagreement): string {
  return `identity readings disagree on ${d.fact}: ${d.readings.map((r) => `${r.source} '${r.value}'`).join(' vs ')}`;
}

/**
 * One fact per name from every reading, in the order given (the first path is
 * the fact's value and source); hardware-attested when a verified SPDM reading
 * agrees, else self-reported.
 */
export function crossCheck(readings: readonly Reading[]): IdentityCheck {
  const facts: Fact[] = [];
  const disagreements: Disagreement[] = [];
  for (const name of IDENTITY_FACTS) {
    const own = readings.filter((r) => r.fact === name && r.value.trim() !== '');
    if (own.length === 0) continue;
    // The same source twice with the same value is one reading.
    const unique = own.filter((r, i) => own.findIndex((o) => o.source === r.source && o.value === r.value) === i);
    const spellings = new Set(unique.map((r) => NORMALIZE[name](r.value)));
    const list = unique.map((r) => ({ source: r.source, value: r.value }));
    if (spellings.size > 1) disagreements.push({ fact: name, readings: list });
    const attested = spellings.size === 1 && unique.some((r) => r.assurance === 'hardware-attested');
    const first = unique[0]!;
    facts.push({ name, value: first.value, source: first.source, readings: list, assurance: attested ? 'hardware-attested' : 'self-reported' });
  }
  return { facts, disagreements };
}

/** `facts` with the cross-checked identity facts in place of any of the same name. */
export function withIdentity(facts: readonly Fact[], identity: readonly Fact[]): Fact[] {
  const names = new Set(identity.map((f) => f.name));
  return [...facts.filter((f) => !names.has(f.name)), ...identity];
}
