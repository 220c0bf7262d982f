// The attested Statement: subject (the device, each identity fact with its
// source) + predicate (report, declaration bytes, method, raw measurements,
// computed results, verdict, environment, provenance, nonce, audit link).
import { createHash } from 'node:crypto';
import type { Fact, Finding, MeasurementRecord, PhaseEvidenceRecord, ResultsRecord, RunPlanRecord, VerdictRecord } from './records.js';
import { decodeCanonical, encodeCanonical } from './canonical.js';
import { TppverifyError } from './errors.js';
import { attestationType, statementType } from './schema.js';

export const PAYLOAD_TYPE = 'application/vnd.tppverify.attestation.v1+protobuf';
/**
 * The protobuf Statement's own type. It is in-toto-shaped but not an in-toto
 * Statement (in-toto's has other field numbers and a JSON payload), so it
 * names itself; the in-toto Statement v1 is the .intoto.json form.
 */
export const STATEMENT_TYPE = 'https://tppverify.dev/statement/v1';
export const PREDICATE_TYPE = 'tppverify.attestation.v1';
export const STATEMENT_SCOPE = 'These results relate only to the item tested.';

export interface ReportInfo {
  reportId: string;
  issuedAt: string;
  labName: string;
  labAccreditation: string;
  testLocation: string;
  operator: string;
  exporter: string;
  filingReference: string;
  demo: boolean;
  selfDeclared: boolean;
  statementScope: string;
  labAddress: string;
  signatoryName: string;
  signatoryRole: string;
  /** YYYY-MM-DD; empty when not recorded. */
  itemReceivedOn: string;
}

export interface NamedValue<T> {
  name: string;
  value: T;
}

export interface MethodRecord {
  harnessVersion: string;
  gitCommit: string;
  ruleSets: string[];
  decisionRule: string;
  decisionParameters: NamedValue<number>[];
  policies: NamedValue<string>[];
  /** Kept beside level for readers of older attestations: level === 'quick'. */
  quick: boolean;
  /** "quick", "standard" or "long"; empty in attestations made before levels. */
  level: string;
  /** Every departure from the standard method, in words. */
  deviations: string[];
}

export interface ProvenanceRecord {
  addonSha256: string;
  harnessSha256: string;
  lockfileSha256: string;
  dirtyTree: boolean;
  /** process.execPath, the SHA-256 of that binary and process.version: the interpreter that ran the harness and its children. */
  interpreterPath: string;
  interpreterSha256: string;
  interpreterVersion: string;
}

export interface AuditLinkRecord {
  originalSha256: string;
  outcome: 'reproduced' | 'not-reproduced' | 'inconclusive';
  tolerance: number;
  comparisons: Finding[];
  /** The rerun reused the original's nonce (only when forced). */
  nonceReused: boolean;
}

export interface SpdmEvidenceRecord {
  phase: string;
  nonce: Uint8Array;
  report: Uint8Array;
  certificateChainPem: string;
  collectedAt: string;
  ocspResponses: Uint8Array[];
  referenceManifests: Uint8Array[];
}

export interface IdentityEvidenceRecord {
  spdm: SpdmEvidenceRecord[];
  unavailableReason: string;
  planSha256: string;
}

export interface Predicate {
  report: ReportInfo;
  declaration: { json: Uint8Array; sha256: string };
  method: MethodRecord;
  measurements: MeasurementRecord;
  results: ResultsRecord;
  verdict: VerdictRecord;
  /** phaseEvidence: one clock and power record per phase (absent in attestations made before issue 18). */
  environment: { facts: Fact[]; phaseEvidence?: PhaseEvidenceRecord[] };
  provenance: ProvenanceRecord;
  nonce: Uint8Array;
  audit: AuditLinkRecord | null;
  stateProblems: string[];
  /** The GPU's SPDM evidence (absent: none was collected). */
  identityEvidence?: IdentityEvidenceRecord | null;
  /** The operator's intake record, exact bytes (absent: none given). */
  intake?: { json: Uint8Array; sha256: string } | null;
  /** The run plan derived from the nonce (docs/run-plan.md). */
  plan?: RunPlanRecord | null;
}

export interface Subject {
  name: string;
  identity: Fact[];
}

export interface Statement {
  type: string;
  subject: Subject[];
  predicateType: string;
  predicate: Predicate;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Drops null and undefined members so protobufjs leaves absent fields absent. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) if (member !== null && member !== undefined) out[key] = withoutNulls(member);
  return out;
}

export function encodeStatement(statement: Statement): Uint8Array {
  return encodeCanonical(statementType(), withoutNulls(statement) as Record<string, unknown>);
}

export class StatementFormatError extends TppverifyError {
  constructor(message: string) {
    super('input', message);
  }
}

/** Decodes payload bytes into a Statement with every optional part as null, never undefined. */
export function decodeStatement(bytes: Uint8Array): Statement {
  let raw: Record<string, unknown>;
  try {
    raw = decodeCanonical(statementType(), bytes, 'tppverify Statement');
  } catch (error) {
    throw new StatementFormatError(`payload is not a tppverify Statement: ${(error as Error).message}`);
  }
  const statement = raw as unknown as Statement;
  const predicate = statement.predicate as Predicate | null;
  if (!predicate || !predicate.report || !predicate.declaration || !predicate.method || !predicate.measurements || !predicate.results || !predicate.verdict) {
    throw new StatementFormatError('payload Statement lacks parts of its predicate');
  }
  predicate.measurements.bandwidth ??= null;
  predicate.measurements.sustained ??= null;
  predicate.results.performanceDensity ??= null;
  predicate.audit ??= null;
  // A fact's readings and assurance are identity-only: absent, not defaulted, on other facts.
  for (const subject of statement.subject) {
    for (const fact of subject.identity) {
      if (fact.readings?.length === 0) delete fact.readings;
      if (fact.assurance === '') delete fact.assurance;
    }
  }
  predicate.identityEvidence ??= null;
  predicate.intake ??= null;
  predicate.environment ??= { facts: [] };
  predicate.environment.phaseEvidence ??= [];
  predicate.provenance ??= { addonSha256: '', harnessSha256: '', lockfileSha256: '', dirtyTree: false, interpreterPath: '', interpreterSha256: '', interpreterVersion: '' };
  return statement;
}

/**
 * Results and verdict encoded as the schema carries them. protobufjs encodes
 * plain objects in field order and skips null members, so two objects with
 * the same content give the same bytes: the exact comparison verify needs,
 * without a decode round trip.
 */
/** A Buffer view of the same memory: no copy. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodedComputed(results: ResultsRecord, verdict: VerdictRecord): { results: Buffer; verdict: Buffer } {
  return {
    // The canonical encoding, as the payload carries them: -0 and 0 are one value there, and must be here.
    results: toBuffer(encodeCanonical(attestationType('Results'), withoutNulls(results) as Record<string, unknown>)),
    verdict: toBuffer(encodeCanonical(attestationType('Verdict'), verdict)),
  };
}
