// The SPDM evidence an attestation carries, re-checked offline by every
// reader: each collection's nonce is recomputed from the run's nonce and the
// digests of the plan (the recorded Method) and, after measuring, of the
// recorded Measurements; the evidence verifies against the pinned roots at
// its collection time; and every fact marked hardware-attested carries a
// reading from verified evidence with exactly the evidence's value.
import { createHash } from 'node:crypto';
import { attestationType } from '../schema.js';
import type { IdentityEvidenceRecord, SpdmEvidenceRecord, Statement } from '../statement.js';
import { verifyOcspResponse } from './ocsp.js';
import { DEFAULT_RIM_ROOTS, rimApplies, rimMeasurementProblems, verifyRim } from './rim.js';
import { parseSpdmReport } from './spdm-report.js';
import { DEFAULT_PINNED_ROOTS, EvidenceInputError, parsePemChain, verifyEvidence, type HardwareFacts, type PinnedRoot } from './verify-evidence.js';

/** The source name of readings taken from verified SPDM evidence. */
export const SPDM_READING_SOURCE = 'spdm evidence (verified)';
const NONCE_DOMAIN = 'tppverify spdm nonce v1';
export const SPDM_PHASES = ['before', 'after'] as const;
export type SpdmPhase = (typeof SPDM_PHASES)[number];

function encodedSha256(typeName: string, value: unknown): Buffer {
  const type = attestationType(typeName);
  return createHash('sha256').update(type.encode(type.fromObject(value as Record<string, unknown>)).finish()).digest();
}

/** Hex SHA-256 of the encoded Method: what "the plan" is. */
export function planSha256(method: Statement['predicate']['method']): string {
  return encodedSha256('Method', method).toString('hex');
}

/** Hex SHA-256 of the encoded Measurements. */
export function measurementsSha256(measurements: Statement['predicate']['measurements']): string {
  return encodedSha256('Measurements', measurements).toString('hex');
}

/**
 * SHA-256(domain ‖ 0 ‖ phase ‖ 0 ‖ run nonce ‖ plan digest [‖ measurements digest]): 32 bytes, the
 * size of an SPDM nonce. Before measuring it commits to the plan; after, to the results too.
 */
export function spdmNonce(phase: SpdmPhase, runNonce: Uint8Array, plan: string, measurements?: string): Buffer {
  const hash = createHash('sha256').update(NONCE_DOMAIN).update(Buffer.from([0])).update(phase).update(Buffer.from([0])).update(runNonce).update(Buffer.from(plan, 'hex'));
  if (phase === 'after') hash.update(Buffer.from(measurements ?? '', 'hex'));
  return hash.digest();
}

/** The identity fact each verified evidence field is, by name (the report's driver is the kernel driver). */
export const ATTESTED_FACT_NAME: Record<keyof HardwareFacts, string> = {
  pdi: 'pdi',
  vbiosVersion: 'vbiosVersion',
  driverVersion: 'nvidiaDriverVersion',
  chipSku: 'chipSku',
  chipSkuMod: 'chipSkuMod',
  project: 'project',
  projectSku: 'projectSku',
  boardId: 'boardId',
  protectedPcieStatus: 'protectedPcieStatus',
  fwid: 'fwid',
};

/** Verified evidence facts under identity fact names. */
export function attestedFacts(facts: HardwareFacts): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(facts) as [keyof HardwareFacts, string | undefined][]) if (value !== undefined) out.set(ATTESTED_FACT_NAME[key], value);
  return out;
}

export interface EvidenceReading {
  phase: string;
  valid: boolean;
  problems: string[];
  facts: HardwareFacts;
}

/** One collection, checked: its nonce against the derivation, its chain against the pinned roots at its collection time. */
export function checkSpdmRecord(record: SpdmEvidenceRecord, expectedNonce: Buffer, pinnedRoots: readonly PinnedRoot[]): EvidenceReading {
  const problems: string[] = [];
  if (!Buffer.from(record.nonce).equals(expectedNonce)) problems.push(`the ${record.phase} evidence's recorded nonce is not the one derived from the run`);
  let chain;
  try {
    chain = parsePemChain(record.certificateChainPem);
  } catch (error) {
    if (!(error instanceof EvidenceInputError)) throw error;
    return { phase: record.phase, valid: false, problems: [...problems, `the ${record.phase} evidence's chain: ${error.message}`], facts: {} };
  }
  const at = new Date(record.collectedAt);
  if (Number.isNaN(at.getTime())) problems.push(`the ${record.phase} evidence has no valid collection time`);
  const check = verifyEvidence({ report: Buffer.from(record.report), chain, expectedNonce, pinnedRoots, ...(Number.isNaN(at.getTime()) ? {} : { at }) });
  problems.push(...check.problems.map((p) => `the ${record.phase} evidence: ${p}`));
  const when = Number.isNaN(at.getTime()) ? new Date() : at;
  problems.push(...archivedManifestProblems(record, check.valid ? check.facts : undefined, when));
  record.ocspResponses.forEach((der, i) => {
    const ocsp = verifyOcspResponse(Buffer.from(der), chain, when);
    problems.push(...ocsp.problems.map((p) => `the ${record.phase} evidence's OCSP response ${i + 1}: ${p}`));
  });
  return { phase: record.phase, valid: problems.length === 0, problems, facts: problems.length === 0 ? check.facts : {} };
}

/**
 * Archived reference manifests: each must verify to the pinned RIM root at
 * the collection time; one that describes the report's VBIOS or driver must
 * list every active measurement the report carries.
 */
function archivedManifestProblems(record: SpdmEvidenceRecord, facts: HardwareFacts | undefined, at: Date, rimRoots: readonly PinnedRoot[] = DEFAULT_RIM_ROOTS): string[] {
  const problems: string[] = [];
  record.referenceManifests.forEach((bytes, i) => {
    const rim = verifyRim(Buffer.from(bytes).toString('utf8'), { pinnedRoots: rimRoots, at });
    const name = `the ${record.phase} evidence's reference manifest ${i + 1}${rim.colloquialVersion ? ` (${rim.colloquialVersion})` : ''}`;
    if (!rim.valid) problems.push(...rim.problems.map((p) => `${name}: ${p}`));
    else if (facts && rimApplies(rim, facts)) problems.push(...rimMeasurementProblems(rim, parseSpdmReport(Buffer.from(record.report)).response.blocks).map((p) => `${name}: ${p}`));
  });
  return problems;
}

/** The state problem a run records, and verify finds, when the GPU after measuring is not the one before. */
export const PDI_CHANGED = 'the SPDM evidence before and after measuring comes from different devices (PDI)';

/** Every reason the statement's hardware evidence, or a fact's hardware-attested mark, does not hold. */
export function identityEvidenceProblems(statement: Statement, pinnedRoots: readonly PinnedRoot[] = DEFAULT_PINNED_ROOTS): string[] {
  const p = statement.predicate;
  const evidence: IdentityEvidenceRecord | null = p.identityEvidence ?? null;
  const problems: string[] = [];
  // What the evidence itself fails: an attestation may carry such evidence only if it
  // says so among its state problems (a non-strict run does), which makes it inconclusive.
  const evidenceProblems: string[] = [];
  if (p.intake && createHash('sha256').update(p.intake.json).digest('hex') !== p.intake.sha256) problems.push('the intake record bytes do not match their recorded SHA-256');
  const verified: EvidenceReading[] = [];
  if (evidence && evidence.spdm.length) {
    const plan = planSha256(p.method);
    if (evidence.planSha256 !== plan) problems.push('the evidence was collected for another plan (its plan digest is not the recorded method\'s)');
    const measured = measurementsSha256(p.measurements);
    for (const record of evidence.spdm) {
      if (!(SPDM_PHASES as readonly string[]).includes(record.phase)) {
        problems.push(`SPDM evidence of unknown phase '${record.phase}'`);
        continue;
      }
      const reading = checkSpdmRecord(record, spdmNonce(record.phase as SpdmPhase, p.nonce, plan, measured), pinnedRoots);
      evidenceProblems.push(...reading.problems);
      verified.push(reading);
    }
    const phases = evidence.spdm.map((r) => r.phase);
    if (new Set(phases).size !== phases.length) problems.push('SPDM evidence repeats a phase');
    const [before, after] = [verified.find((v) => v.phase === 'before'), verified.find((v) => v.phase === 'after')];
    if (before?.valid && after?.valid && before.facts.pdi !== after.facts.pdi) evidenceProblems.push(PDI_CHANGED);
  }
  problems.push(...evidenceProblems.filter((problem) => !p.stateProblems.includes(problem)).map((problem) => `${problem} (and the attestation does not say so)`));
  const hardware = attestedFacts(verified.find((v) => v.valid)?.facts ?? {});
  for (const fact of statement.subject[0]?.identity ?? []) {
    if (fact.assurance !== 'hardware-attested') continue;
    const reading = fact.readings?.find((r) => r.source === SPDM_READING_SOURCE);
    const attested = hardware.get(fact.name);
    if (!reading || attested === undefined) problems.push(`${fact.name} is marked hardware-attested, but no verified evidence carries it`);
    else if (reading.value !== attested) problems.push(`${fact.name} is marked hardware-attested as '${reading.value}', the verified evidence says '${attested}'`);
    // Only how it is written may differ (nvidia-smi prints the VBIOS in capitals).
    else if (fact.value.trim().toLowerCase() !== attested.toLowerCase()) problems.push(`${fact.name} '${fact.value}' is marked hardware-attested, but the verified evidence says '${attested}'`);
  }
  return problems;
}
