// SPDM evidence during a run: asked of NVML only when the GPU is in CC or
// protected-PCIe mode (otherwise the driver has none: shared reference
// identity.md), once before measuring and once after, each over a nonce
// derived from the run's nonce and the plan (and then the results), kept raw,
// and verified at once so its facts become hardware-attested readings.
import { attestedFacts, checkSpdmRecord, spdmNonce, SPDM_READING_SOURCE, type SpdmPhase } from '../../attestations/spdm/identity-evidence.js';
import { DEFAULT_PINNED_ROOTS, type PinnedRoot } from '../../attestations/spdm/verify-evidence.js';
import type { SpdmEvidenceRecord } from '../../attestations/statement.js';
import type { DeviceEntry } from '../devices.js';
import { samePciAddress } from '../inventory/collect.js';
import { confComputeOn, readNvmlIdentity, type NvmlIdentity } from './nvml.js';
import type { IdentityFactName, Reading } from './readings.js';
import { pciAddress } from './tool-readings.js';

export type NvmlReader = (options?: { nonce?: Buffer }) => NvmlIdentity;

export type Collected = { record: SpdmEvidenceRecord; readings: Reading[]; problems: string[] } | { unavailable: string };

/** Why this device gives no SPDM evidence, or undefined when it should. */
export function evidenceUnavailable(entry: DeviceEntry, nvml: NvmlIdentity | undefined): string | undefined {
  if (entry.target.backend === 'hip') return 'AMD Instinct: ROCm has no SPDM or attestation API; every identity field is self-reported';
  if (entry.target.backend !== 'cuda') return 'not a GPU';
  if (!nvml?.available) return `NVML unavailable (${nvml?.reason ?? 'not read'}): no SPDM evidence`;
  if (!nvml.confCompute) return 'NVML did not report the confidential-computing state: no SPDM evidence requested';
  if (!confComputeOn(nvml)) {
    return `confidential computing and protected PCIe are off (ccFeature ${nvml.confCompute.ccFeature}, multiGpuMode ${nvml.confCompute.multiGpuMode ?? 'not reported'}): the driver exposes no SPDM evidence`;
  }
  return undefined;
}

export function collectSpdm(
  entry: DeviceEntry,
  phase: SpdmPhase,
  runNonce: Uint8Array,
  plan: string,
  measurements: string | undefined,
  read: NvmlReader = readNvmlIdentity,
  pinnedRoots: readonly PinnedRoot[] = DEFAULT_PINNED_ROOTS,
  /** Reference manifests the lab fetched beforehand (TCG SWID XML): archived with the evidence and checked against it. */
  referenceManifests: readonly Buffer[] = [],
  /** OCSP responses (DER) for the chain's certificates, fetched beforehand: archived and checked. */
  ocspResponses: readonly Buffer[] = [],
): Collected {
  const nonce = spdmNonce(phase, runNonce, plan, measurements);
  const collectedAt = new Date().toISOString();
  const nvml = read({ nonce });
  const address = pciAddress(entry);
  const device = nvml.devices.find((d) => address !== undefined && d.pciBusId !== '' && samePciAddress(d.pciBusId, address.domain, address.bus, address.device));
  if (!device) return { unavailable: `NVML lists no GPU at this device's PCI address (${phase} measuring)` };
  if (!device.attestationReportHex || !device.attestationChainPem) {
    const failed = device.calls.filter((c) => c.call.startsWith('nvmlDeviceGetConfCompute') && c.status !== 0);
    return { unavailable: `no SPDM evidence ${phase} measuring: ${failed.map((c) => `${c.call}: ${c.error} (${c.status})`).join('; ') || 'NVML returned none'}` };
  }
  const record: SpdmEvidenceRecord = {
    phase,
    nonce,
    report: Buffer.from(device.attestationReportHex, 'hex'),
    certificateChainPem: device.attestationChainPem,
    collectedAt,
    ocspResponses: [...ocspResponses],
    referenceManifests: [...referenceManifests],
  };
  const check = checkSpdmRecord(record, nonce, pinnedRoots);
  const readings: Reading[] = [...attestedFacts(check.facts)].map(([fact, value]) => ({
    fact: fact as IdentityFactName,
    source: SPDM_READING_SOURCE,
    value,
    assurance: 'hardware-attested' as const,
  }));
  return { record, readings, problems: check.problems };
}
