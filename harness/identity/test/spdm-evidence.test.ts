// SPDM evidence kept in an attestation and re-checked by every reader:
// collected as a run collects it (a stand-in NVML returning a synthetic
// device's reports over the derived nonces), then verified offline.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyRim } from '../../../attestations/spdm/rim.js';
import { crossCheck } from '../readings.js';
import { collectSpdm, evidenceUnavailable } from '../spdm-collect.js';
import type { NvmlIdentity } from '../nvml.js';
import type { DeviceEntry } from '../../devices.js';
import { ephemeralSigningKey } from '../../../attestations/keys.js';
import type { Statement } from '../../../attestations/statement.js';
import { fixtureStatement, signedFixture } from '../../test/attestation-fixture.js';
import { verifyDocumentBytes } from '../../verify/document.js';
import { identityEvidenceProblems, measurementsSha256, planSha256, spdmNonce } from '../../../attestations/spdm/identity-evidence.js';
import { syntheticDevice } from '../../../attestations/spdm/test/synthetic-device.js';

const device = syntheticDevice('Lab');
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'attestations', 'spdm', 'test', 'fixtures');
const entry = {
  target: { backend: 'cuda', index: 0 },
  device: { id: 'cuda:0', vendor: 'NVIDIA', model: 'H200', unitName: 'SM', computeUnits: 132, measuresBandwidth: true, measuresThroughput: true, notMeasurableReason: '', attributes: [
    { key: 'pciDomain', value: 0, source: 'cuda runtime' }, { key: 'pciBus', value: 0x18, source: 'cuda runtime' }, { key: 'pciDevice', value: 0, source: 'cuda runtime' },
  ] },
} as DeviceEntry;

/** NVML in CC mode as the addon returns it: this device's report over whatever nonce it is asked for. */
function nvmlInCcMode(options?: { nonce?: Buffer }): NvmlIdentity {
  return {
    available: true, reason: '', driverVersion: '590.48.01', nvmlVersion: '13', confCompute: { environment: 2, ccFeature: 1, devToolsMode: 0, multiGpuMode: 0 }, calls: [],
    devices: [{ index: 0, pciBusId: '00000000:18:00.0', serial: '1654922001234', uuid: 'GPU-1', boardPartNumber: '692-2G520-0280-000', vbiosVersion: '96.00.9F.00.01', pciDeviceId: '0x233510de', pciSubsystemId: '0x18a610de', pdi: device.pdi, calls: [],
      ...(options?.nonce ? { attestationReportHex: device.report(options.nonce).toString('hex'), attestationChainPem: device.chainPem } : {}) }],
  };
}

/** The fixture statement as a CC-mode run would record it: evidence before and after, facts cross-checked with it. */
function attestedStatement(): Statement {
  const statement = fixtureStatement();
  const p = statement.predicate;
  const plan = planSha256(p.method);
  const before = collectSpdm(entry, 'before', p.nonce, plan, undefined, nvmlInCcMode, device.pinnedRoots);
  const after = collectSpdm(entry, 'after', p.nonce, plan, measurementsSha256(p.measurements), nvmlInCcMode, device.pinnedRoots);
  if ('unavailable' in before || 'unavailable' in after) throw new Error('no evidence');
  expect(before.problems).toEqual([]);
  expect(after.problems).toEqual([]);
  p.identityEvidence = { spdm: [before.record, after.record], unavailableReason: '', planSha256: plan };
  const identity = crossCheck([
    { fact: 'pdi', source: 'nvml nvmlDeviceGetPdi', value: device.pdi },
    { fact: 'vbiosVersion', source: 'nvidia-smi --query-gpu vbios_version', value: '96.00.9F.00.01' },
    ...before.readings,
  ]);
  expect(identity.disagreements).toEqual([]);
  statement.subject[0]!.identity = [...statement.subject[0]!.identity, ...identity.facts];
  return statement;
}

describe('SPDM evidence in an attestation', () => {
  it('a run collects it before and after over derived nonces, and its facts become hardware-attested', () => {
    const statement = attestedStatement();
    const fact = (name: string) => statement.subject[0]!.identity.find((f) => f.name === name)!;
    expect(fact('pdi').assurance).toBe('hardware-attested');
    expect(fact('vbiosVersion').assurance).toBe('hardware-attested');
    expect(fact('chipSku')).toMatchObject({ value: '895', assurance: 'hardware-attested' });
    expect(fact('serial').assurance ?? '').not.toBe('hardware-attested');
    const p = statement.predicate;
    expect(Buffer.from(p.identityEvidence!.spdm[0]!.nonce)).toEqual(spdmNonce('before', p.nonce, planSha256(p.method)));
    expect(identityEvidenceProblems(statement, device.pinnedRoots)).toEqual([]);
  });

  it('verify re-checks it against the pinned roots: a synthetic root is foreign to the NVIDIA pin', () => {
    const key = ephemeralSigningKey();
    const outcome = verifyDocumentBytes(signedFixture(key, attestedStatement()), { keys: new Map([[key.keyId, key.publicKey]]), threshold: 1 });
    expect(outcome.valid).toBe(false);
    expect(outcome.reasons.join('; ')).toMatch(/does not end at a pinned root/);
  });

  it('evidence that does not belong to this run is refused: changed measurements, another nonce, another plan', () => {
    const changedResults = attestedStatement();
    changedResults.predicate.measurements.throughput[0]!.trialSeconds[0]! *= 1.01;
    expect(identityEvidenceProblems(changedResults, device.pinnedRoots).join('; ')).toMatch(/after evidence's recorded nonce is not the one derived/);
    const otherNonce = attestedStatement();
    otherNonce.predicate.nonce = Buffer.alloc(16, 1);
    expect(identityEvidenceProblems(otherNonce, device.pinnedRoots).join('; ')).toMatch(/before evidence's recorded nonce/);
    const otherPlan = attestedStatement();
    otherPlan.predicate.method.quick = !otherPlan.predicate.method.quick;
    expect(identityEvidenceProblems(otherPlan, device.pinnedRoots).join('; ')).toMatch(/another plan/);
  });

  it('a hardware-attested mark the evidence does not carry, or with another value, is refused', () => {
    const marked = attestedStatement();
    marked.subject[0]!.identity = marked.subject[0]!.identity.map((f) => (f.name === 'serial' ? { ...f, assurance: 'hardware-attested' as const } : f));
    expect(identityEvidenceProblems(marked, device.pinnedRoots).join('; ')).toMatch(/serial is marked hardware-attested, but no verified evidence carries it/);
    const changed = attestedStatement();
    changed.subject[0]!.identity = changed.subject[0]!.identity.map((f) => (f.name === 'chipSku' ? { ...f, value: '882', readings: [{ source: 'spdm evidence (verified)', value: '882' }] } : f));
    expect(identityEvidenceProblems(changed, device.pinnedRoots).join('; ')).toMatch(/chipSku is marked hardware-attested as '882', the verified evidence says '895'/);
    const noEvidence = attestedStatement();
    noEvidence.predicate.identityEvidence = null;
    expect(identityEvidenceProblems(noEvidence, device.pinnedRoots).length).toBeGreaterThan(0);
  });

  it('evidence that fails its checks may be kept only when the attestation says so (a non-strict run), and then nothing is hardware-attested', () => {
    const statement = attestedStatement();
    const unadmitted = identityEvidenceProblems(statement); // the NVIDIA pin: the synthetic chain is foreign
    expect(unadmitted.join('; ')).toMatch(/does not end at a pinned root.*\(and the attestation does not say so\)/);
    statement.subject[0]!.identity = statement.subject[0]!.identity.map((f) => (f.assurance === 'hardware-attested' ? { ...f, assurance: 'self-reported' as const } : f));
    statement.predicate.stateProblems = unadmitted.filter((p) => p.endsWith(' (and the attestation does not say so)')).map((p) => p.slice(0, -' (and the attestation does not say so)'.length));
    expect(identityEvidenceProblems(statement)).toEqual([]);
  });

  it('a flipped bit in the kept report is refused', () => {
    const statement = attestedStatement();
    const report = Buffer.from(statement.predicate.identityEvidence!.spdm[0]!.report);
    report[70] ^= 1; // inside the first measurement's digest
    statement.predicate.identityEvidence!.spdm[0]!.report = report;
    expect(identityEvidenceProblems(statement, device.pinnedRoots).join('; ')).toMatch(/signature does not verify/);
  });

  it('CC and PPCIe off: no evidence is asked for, and why is recorded', () => {
    const off: NvmlIdentity = { ...nvmlInCcMode(), confCompute: { environment: 0, ccFeature: 0, devToolsMode: 0, multiGpuMode: 0 } };
    expect(evidenceUnavailable(entry, off)).toMatch(/confidential computing and protected PCIe are off/);
    expect(evidenceUnavailable(entry, nvmlInCcMode())).toBeUndefined();
    expect(evidenceUnavailable(entry, { ...off, confCompute: { ...off.confCompute!, multiGpuMode: 1 } })).toBeUndefined();
    expect(evidenceUnavailable({ ...entry, target: { backend: 'hip', index: 0 } }, off)).toMatch(/ROCm has no SPDM/);
    // A statement without evidence and without hardware-attested marks has nothing to re-check.
    expect(identityEvidenceProblems(fixtureStatement(), device.pinnedRoots)).toEqual([]);
  });
});

describe('reference manifests archived with the evidence', () => {
  const rimXml = readFileSync(path.join(fixtures, 'nvtrust-g520_0200_885_9600740001_PROD.swidtag'));
  const rim = verifyRim(rimXml.toString('utf8'), { at: new Date('2024-06-01T00:00:00Z') });
  /** A device whose VBIOS is the manifest's (96.00.74.00.01) and whose measurements are its golden values (index i = block i + 1). */
  const golden = rim.measurements.map((m) => Buffer.from(m.alternatives[0] ?? '00'.repeat(48), 'hex'));
  const vbios7400 = Buffer.from([0x00, 0x74, 0x00, 0x96, 0x01, 0, 0, 0]);

  function recordWith(measurements: Buffer[], manifests: Buffer[], collectedAt: string) {
    const statement = fixtureStatement();
    const p = statement.predicate;
    const plan = planSha256(p.method);
    const nonce = spdmNonce('before', p.nonce, plan);
    const report = device.report(nonce, { vbios: vbios7400, measurements });
    p.identityEvidence = { spdm: [{ phase: 'before', nonce, report, certificateChainPem: device.chainPem, collectedAt, ocspResponses: [], referenceManifests: manifests }], unavailableReason: '', planSha256: plan };
    return statement;
  }

  it('a manifest that describes the report and lists its measurements passes; one changed measurement does not', () => {
    expect(rim.valid).toBe(true);
    expect(identityEvidenceProblems(recordWith(golden, [rimXml], '2024-06-01T00:00:00Z'), device.pinnedRoots)).toEqual([]);
    const off = golden.map((g, i) => (i === 1 ? Buffer.alloc(48, 0xee) : g));
    expect(identityEvidenceProblems(recordWith(off, [rimXml], '2024-06-01T00:00:00Z'), device.pinnedRoots).join('; ')).toMatch(
      /reference manifest 1 \(96\.00\.74\.00\.01\): RIM 96\.00\.74\.00\.01: measurement 1 is not one of its golden values/,
    );
  });

  it('a manifest checked at the collection time: after its signer expired it does not verify; a changed manifest never does', () => {
    expect(identityEvidenceProblems(recordWith(golden, [rimXml], '2026-01-01T00:00:00Z'), device.pinnedRoots).join('; ')).toMatch(/HCC RIM L4 Signer\) is not valid/);
    const changed = Buffer.from(rimXml.toString('utf8').replace('ns2:Hash0="73bbf358', 'ns2:Hash0="73bbf359'));
    expect(identityEvidenceProblems(recordWith(golden, [changed], '2024-06-01T00:00:00Z'), device.pinnedRoots).join('; ')).toMatch(/changed after signing/);
  });
});

describe('per-field assurance as verify and the report show it', () => {
  it('each identity field with its mark and the paths that read it', async () => {
    const { renderIdentity } = await import('../describe.js');
    const { renderReportHtml } = await import('../../report/html.js');
    const statement = attestedStatement();
    const text = renderIdentity(statement.subject[0]!.identity);
    expect(text).toMatch(/pdi +0x[0-9a-f]{16} +\[hardware-attested\] nvml nvmlDeviceGetPdi, spdm evidence \(verified\)/);
    expect(text).toMatch(/vbiosVersion +96\.00\.9F\.00\.01 +\[hardware-attested\] nvidia-smi --query-gpu vbios_version, spdm evidence \(verified\) '96\.00\.9f\.00\.01'/);
    const html = renderReportHtml(statement, { entries: [] } as unknown as Parameters<typeof renderReportHtml>[1]);
    expect(html).toContain('<h3>Identity, per field</h3>');
    expect(html).toMatch(/<td>chipSku<\/td><td>895<\/td><td>hardware-attested<\/td>/);
    expect(html).toMatch(/SPDM evidence kept raw and re-checked offline: before measuring at .*; after measuring at/);
  });
});

describe('a run in CC mode (identity before and after measuring)', () => {
  const inventory = { facts: [], checks: [], identityReadings: [{ fact: 'pdi' as const, source: 'nvml nvmlDeviceGetPdi', value: device.pdi }], nvml: nvmlInCcMode() };
  const statement = fixtureStatement();
  const plan = planSha256(statement.predicate.method);
  const inputs = (strict: boolean, nvml = nvmlInCcMode, spdmPinnedRoots = device.pinnedRoots) => ({
    entry, nonce: Buffer.from(statement.predicate.nonce), strict, identitySources: { nvml }, spdmPinnedRoots,
  });

  it('collects and verifies before, marks the PDI hardware-attested, and collects after over the results', async () => {
    const { identityAfterMeasuring, identityBeforeMeasuring } = await import('../run-identity.js');
    const run = identityBeforeMeasuring(inputs(true), inventory, plan);
    expect(run.identity.stateProblems).toEqual([]);
    expect(run.identity.facts.find((f) => f.name === 'pdi')!.assurance).toBe('hardware-attested');
    expect(identityAfterMeasuring(inputs(true), run, statement.predicate.measurements)).toEqual([]);
    expect(run.evidence.spdm.map((e) => e.phase)).toEqual(['before', 'after']);
    expect(Buffer.from(run.evidence.spdm[1]!.nonce)).toEqual(spdmNonce('after', statement.predicate.nonce, plan, measurementsSha256(statement.predicate.measurements)));
  });

  it('evidence that does not chain to the pinned root refuses a strict run before measuring; otherwise a state problem', async () => {
    const { identityBeforeMeasuring } = await import('../run-identity.js');
    const nvidiaOnly = (strict: boolean) => ({ ...inputs(strict), spdmPinnedRoots: undefined });
    expect(() => identityBeforeMeasuring(nvidiaOnly(true), inventory, plan)).toThrow(/SPDM evidence does not hold, refusing to measure \(strict\).*does not end at a pinned root/);
    const lenient = identityBeforeMeasuring(nvidiaOnly(false), inventory, plan);
    expect(lenient.identity.stateProblems.join('; ')).toMatch(/does not end at a pinned root/);
    expect(lenient.identity.facts.find((f) => f.name === 'pdi')!.assurance).toBe('self-reported');
  });

  it('another GPU answering after measuring (a different PDI) refuses a strict run: no attestation', async () => {
    const { identityAfterMeasuring, identityBeforeMeasuring } = await import('../run-identity.js');
    const run = identityBeforeMeasuring(inputs(true), inventory, plan);
    const other = syntheticDevice('Other');
    const swapped = (options?: { nonce?: Buffer }): NvmlIdentity => {
      const base = nvmlInCcMode();
      return { ...base, devices: [{ ...base.devices[0]!, ...(options?.nonce ? { attestationReportHex: other.report(options.nonce).toString('hex'), attestationChainPem: other.chainPem } : {}) }] };
    };
    expect(() => identityAfterMeasuring({ ...inputs(true, swapped), spdmPinnedRoots: [...device.pinnedRoots, ...other.pinnedRoots] }, run, statement.predicate.measurements)).toThrow(/after measuring does not hold .*different devices \(PDI\)/);
  });
});
