// Offline verification: signatures over the exact PAE bytes from trusted keys
// only, the payload type, the payload's shape, the declaration digest, and a
// recomputation of TPP, classification and verdict from the recorded
// declaration and measurements. Needs neither a GPU nor the native addon.
import type { KeyObject } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { parseDeclaration } from '../harness/declaration/declaration.js';
import { decodeUtf8Strict } from './strict-json.js';
import { computeVerdict, DECISION_RULE } from '../harness/verdict/verdict.js';
import { readFileWithin } from './bounded-read.js';
import { decodeEnvelopeAnyForm, verifySignatures, type Envelope } from './dsse.js';
import { UnreadableAttestationError } from './errors.js';
import {
  decodeStatement,
  encodedComputed,
  PAYLOAD_TYPE,
  PREDICATE_TYPE,
  sha256Hex,
  STATEMENT_TYPE,
  type Statement,
} from './statement.js';

/** Larger files are refused before they are read whole. */
export const MAX_ATTESTATION_BYTES = 16 * 1024 * 1024;

export interface AttestationSummary {
  reportId: string;
  issuedAt: string;
  device: string;
  model: string;
  serial: string;
  outcome: string;
  declaredTpp: number;
  measuredTppAtSpecClock: number | null;
  eccn3a090: string;
  performanceDensity: number | null;
  caseByCaseEligible: boolean;
  demo: boolean;
  selfDeclared: boolean;
  nonce: string;
  auditOf: string | null;
}

export interface VerifyOutcome {
  valid: boolean;
  keyids: string[];
  reasons: string[];
  summary: AttestationSummary | null;
  statement: Statement | null;
  envelope: Envelope | null;
}

export function summarize(statement: Statement): AttestationSummary {
  const p = statement.predicate;
  const identity = statement.subject[0]?.identity ?? [];
  const fact = (name: string) => identity.find((f) => f.name === name)?.value ?? '';
  return {
    reportId: p.report.reportId,
    issuedAt: p.report.issuedAt,
    device: statement.subject[0]?.name ?? '',
    model: fact('model'),
    serial: fact('serial'),
    outcome: p.verdict.outcome,
    declaredTpp: p.results.declaredTpp,
    measuredTppAtSpecClock: p.results.measuredAtClocks.find((c) => c.clock === 'spec')?.tpp ?? null,
    eccn3a090: p.results.eccn3a090,
    performanceDensity: p.results.performanceDensity,
    caseByCaseEligible: p.results.caseByCaseEligible,
    demo: p.report.demo,
    selfDeclared: p.report.selfDeclared,
    nonce: Buffer.from(p.nonce).toString('hex'),
    auditOf: p.audit ? p.audit.originalSha256 : null,
  };
}

export type AttestationFileContent = { bytes: Buffer } | { tooLargeBytes: number };

/** Reads the file whole, unless it is over the limit: then only its size is known. */
export async function readAttestationFile(file: string): Promise<AttestationFileContent> {
  const read = readFileWithin(file, MAX_ATTESTATION_BYTES, { toError: (message) => new UnreadableAttestationError(message) });
  return 'bytes' in read ? { bytes: read.bytes } : read;
}

function invalid(reasons: string[], partial: Partial<VerifyOutcome> = {}): VerifyOutcome {
  return { valid: false, keyids: [], reasons, summary: null, statement: null, envelope: null, ...partial };
}

/** Checks that the recorded results are what the recorded inputs give. */
export function recomputationProblems(statement: Statement): string[] {
  const p = statement.predicate;
  const problems: string[] = [];
  if (sha256Hex(p.declaration.json) !== p.declaration.sha256) problems.push('the declaration bytes do not match their recorded SHA-256');
  const rule = `${DECISION_RULE.id}@${DECISION_RULE.version}`;
  if (p.method.decisionRule !== rule) {
    problems.push(`made under decision rule ${p.method.decisionRule || '(none)'}; this verifier implements ${rule}`);
    return problems;
  }
  const expectedParameters = Object.entries(DECISION_RULE.parameters).map(([name, value]) => ({ name, value }));
  if (!isDeepStrictEqual(p.method.decisionParameters, expectedParameters)) problems.push('the recorded decision-rule parameters differ from the rule');
  let declaration;
  try {
    // The same reading as `run`'s: strict UTF-8, strict JSON.
    declaration = parseDeclaration(decodeUtf8Strict(p.declaration.json));
  } catch (error) {
    problems.push(`the recorded declaration is invalid: ${(error as Error).message}`);
    return problems;
  }
  let recomputed;
  try {
    recomputed = computeVerdict({
      declaration,
      measurements: p.measurements,
      deviceFacts: statement.subject[0]?.identity ?? [],
      stateProblems: p.stateProblems,
      selfDeclared: p.report.selfDeclared,
    });
  } catch (error) {
    problems.push(`the recorded measurements cannot be evaluated: ${(error as Error).message}`);
    return problems;
  }
  const expected = encodedComputed(recomputed.results, recomputed.verdict);
  const recorded = encodedComputed(p.results, p.verdict);
  if (!expected.results.equals(recorded.results)) problems.push('the recorded results differ from those recomputed from the recorded declaration and measurements');
  if (!expected.verdict.equals(recorded.verdict)) problems.push('the recorded verdict differs from the one recomputed from the recorded declaration and measurements');
  return problems;
}

export function verifyAttestationBytes(bytes: Uint8Array, trusted: ReadonlyMap<string, KeyObject>, threshold = 1): VerifyOutcome {
  if (bytes.length === 0) return invalid(['the file is empty']);
  if (bytes.length > MAX_ATTESTATION_BYTES) return tooLarge(bytes.length);
  let envelope: Envelope;
  try {
    envelope = decodeEnvelopeAnyForm(bytes);
  } catch (error) {
    return invalid([(error as Error).message]);
  }
  const signatures = verifySignatures(envelope, trusted, threshold);
  if (!signatures.valid) return invalid(signatures.reasons, { envelope });
  if (envelope.payloadType !== PAYLOAD_TYPE) {
    return invalid([`payload type '${envelope.payloadType}' is not ${PAYLOAD_TYPE}`], { keyids: signatures.keyids, envelope });
  }
  let statement: Statement;
  try {
    statement = decodeStatement(envelope.payload);
  } catch (error) {
    return invalid([(error as Error).message], { keyids: signatures.keyids, envelope });
  }
  const reasons: string[] = [];
  if (statement.type !== STATEMENT_TYPE) reasons.push(`statement type '${statement.type}' is not ${STATEMENT_TYPE}`);
  if (statement.predicateType !== PREDICATE_TYPE) reasons.push(`predicate type '${statement.predicateType}' is not ${PREDICATE_TYPE}`);
  if (statement.subject.length !== 1) reasons.push(`expected one subject, found ${statement.subject.length}`);
  reasons.push(...recomputationProblems(statement));
  return { valid: reasons.length === 0, keyids: signatures.keyids, reasons, summary: summarize(statement), statement, envelope };
}

function tooLarge(size: number): VerifyOutcome {
  return invalid([`the file is ${size} bytes, over the ${MAX_ATTESTATION_BYTES}-byte limit: refused unread`]);
}

export async function verifyAttestationFile(file: string, trusted: ReadonlyMap<string, KeyObject>, threshold = 1): Promise<VerifyOutcome> {
  const content = await readAttestationFile(file);
  return 'bytes' in content ? verifyAttestationBytes(content.bytes, trusted, threshold) : tooLarge(content.tooLargeBytes);
}
