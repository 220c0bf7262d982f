// The identity steps of a run, around the measurement: before it, the
// readings cross-checked and (CC/PPCIe on) SPDM evidence collected and
// verified; after it, evidence again over a nonce that commits to the
// results, from the same GPU. Strict runs refuse on any problem (exit 3,
// nothing written); others record it as a state problem.
import { measurementsSha256, PDI_CHANGED } from '../../attestations/spdm/identity-evidence.js';
import type { PinnedRoot } from '../../attestations/spdm/verify-evidence.js';
import type { IdentityEvidenceRecord, Statement } from '../../attestations/statement.js';
import type { DeviceEntry } from '../devices.js';
import { DeviceUnavailableError } from '../errors.js';
import type { DeviceInventory, IdentitySources } from '../inventory/device-inventory.js';
import { identityStage, type IdentityStage } from './check.js';
import { collectSpdm, evidenceUnavailable } from './spdm-collect.js';

export interface RunIdentityInputs {
  entry: DeviceEntry;
  nonce: Buffer;
  strict: boolean;
  identitySources?: IdentitySources;
  referenceManifests?: Buffer[];
  ocspResponses?: Buffer[];
  spdmPinnedRoots?: readonly PinnedRoot[];
}

export interface RunIdentity {
  identity: IdentityStage;
  evidence: IdentityEvidenceRecord;
}

function collect(inputs: RunIdentityInputs, phase: 'before' | 'after', plan: string, measurements?: string) {
  return collectSpdm(inputs.entry, phase, inputs.nonce, plan, measurements, inputs.identitySources?.nvml, inputs.spdmPinnedRoots, inputs.referenceManifests, inputs.ocspResponses);
}

export function identityBeforeMeasuring(inputs: RunIdentityInputs, inventory: DeviceInventory, plan: string): RunIdentity {
  const evidence: IdentityEvidenceRecord = { spdm: [], unavailableReason: '', planSha256: plan };
  const readings = [...inventory.identityReadings];
  const problems: string[] = [];
  const unavailable = evidenceUnavailable(inputs.entry, inventory.nvml);
  if (unavailable !== undefined) {
    const unused = (inputs.referenceManifests?.length ?? 0) + (inputs.ocspResponses?.length ?? 0);
    evidence.unavailableReason = unavailable + (unused ? ' (the reference manifests and OCSP responses given were not archived: no evidence to check them against)' : '');
  } else {
    const before = collect(inputs, 'before', plan);
    if ('unavailable' in before) problems.push(`CC/PPCIe is on but ${before.unavailable}`);
    else {
      evidence.spdm.push(before.record);
      readings.push(...before.readings);
      problems.push(...before.problems);
    }
  }
  const identity = identityStage(readings, inputs.strict);
  if (inputs.strict && problems.length) throw new DeviceUnavailableError(`the GPU's SPDM evidence does not hold, refusing to measure (strict): ${problems.join('; ')}`);
  identity.stateProblems.push(...problems);
  return { identity, evidence };
}

/** State problems of the evidence after measuring (none when there was none before); strict: refuses instead. */
export function identityAfterMeasuring(inputs: RunIdentityInputs, run: RunIdentity, measurements: Statement['predicate']['measurements']): string[] {
  if (run.evidence.spdm.length === 0) return [];
  const pdiBefore = run.identity.facts.find((f) => f.name === 'pdi' && f.assurance === 'hardware-attested')?.value;
  const after = collect(inputs, 'after', run.evidence.planSha256, measurementsSha256(measurements));
  let problems: string[];
  if ('unavailable' in after) problems = [`SPDM evidence was given before measuring but not after: ${after.unavailable}`];
  else {
    run.evidence.spdm.push(after.record);
    const pdiAfter = after.readings.find((r) => r.fact === 'pdi')?.value;
    // Compared only when both collections verified (as verify compares them).
    problems = after.problems.length === 0 && pdiBefore !== undefined && pdiAfter !== pdiBefore ? [PDI_CHANGED] : after.problems;
  }
  if (inputs.strict && problems.length) {
    throw new DeviceUnavailableError(`the GPU's SPDM evidence after measuring does not hold (strict: no attestation written): ${problems.join('; ')}${pdiBefore === undefined || problems[0] !== PDI_CHANGED ? '' : ` (${pdiBefore} before)`}`);
  }
  return problems;
}
