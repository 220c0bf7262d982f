// The one verification every reader of a signed document uses (verify of one
// file and of many, report, show's banner, audit's check of the original,
// lot certify's units, verify of certificates):
//
//   decode (any envelope form) → canonical form of envelope and payload →
//   signatures and threshold from trusted keys → the payload kind's own
//   checks (for an attestation: the harness's acceptance rules on the raw
//   data, then recomputation and comparison; for a lot certificate: its
//   outcome from its units) .
//
// The same bytes and keys give the same answer wherever they are read.
// Extension points, each one step: a new envelope rendering is an entry in
// attestations/dsse.ts ENVELOPE_FORMS (it decodes to the same Envelope); a new
// payload kind is an entry in PAYLOAD_KINDS below.
import type { KeyObject } from 'node:crypto';
import { ALL_ENVELOPE_FORMS } from '../../attestations/signed-forms.js';
import { decodeEnvelopeAnyForm, encodeEnvelope, verifySignatures, type Envelope, type SignatureResult } from '../../attestations/dsse.js';
import { MAX_ATTESTATION_BYTES, readAttestationFile, type AttestationFileContent } from '../../attestations/document-file.js';
import { CERTIFICATE_PAYLOAD_TYPE, decodeCertificate, type LotCertificate } from '../../attestations/lot-certificate.js';
import { decodeStatement, PAYLOAD_TYPE, sha256Hex, type Statement } from '../../attestations/statement.js';
import { certificateProblems } from '../lot/outcome.js';
import { decodeIntotoStatement, INTOTO_PAYLOAD_TYPE } from '../../attestations/intoto-json.js';
import { attestationProblems, summarize, type AttestationSummary } from './verify.js';

export interface TrustedKeys {
  /** Trusted public keys by key id; empty: signatures are not checked (show, report without keys). */
  keys: ReadonlyMap<string, KeyObject>;
  /** Distinct trusted keys whose signatures must verify. */
  threshold: number;
}

export const NO_TRUSTED_KEYS: TrustedKeys = { keys: new Map(), threshold: 1 };

export type DocumentKind = 'attestation' | 'lot-certificate';

export interface SignatureVerification {
  /** False when no trusted key was given: nothing is known about who signed. */
  checked: boolean;
  valid: boolean;
  /** Distinct trusted keys that verified. */
  keyids: string[];
  /** Each signature in the envelope, with the trusted key it verified with (null: none). */
  entries: SignatureResult[];
  reasons: string[];
}

export interface LotCertificateSummary {
  kind: 'lot-certificate';
  lotId: string;
  outcome: string;
  units: number;
  lotSize: number;
  /** The rule that combined the nonce's contributions; empty when one party gave it. */
  nonceRule: string;
  /** "party (role)" for each contribution. */
  nonceParties: string[];
}

export interface DocumentVerification {
  /** Signatures verified to the threshold and the content passed every check. */
  valid: boolean;
  kind: DocumentKind | null;
  /** Hex SHA-256 of the canonical protobuf envelope: the same for either rendering of one document. */
  digest: string | null;
  signatures: SignatureVerification;
  /** Everything but the signatures: decoding, canonical form, acceptance rules, recomputation. */
  contentProblems: string[];
  /** Signature reasons first, then content problems: what verify prints. */
  reasons: string[];
  envelope: Envelope | null;
  statement: Statement | null;
  certificate: LotCertificate | null;
  summary: AttestationSummary | LotCertificateSummary | null;
}

interface PayloadCheck {
  kind: DocumentKind;
  statement?: Statement;
  certificate?: LotCertificate;
  problems: string[];
  summary: AttestationSummary | LotCertificateSummary;
}

/** Each payload type tppverify signs, with its decoding and its content checks. */
const PAYLOAD_KINDS: Record<string, (payload: Uint8Array) => PayloadCheck> = {
  [PAYLOAD_TYPE]: (payload) => {
    const statement = decodeStatement(payload);
    return { kind: 'attestation', statement, problems: attestationProblems(statement), summary: summarize(statement) };
  },
  // The same Statement as in-toto Statement v1 JSON (attestations/intoto-json.ts): the same checks apply.
  [INTOTO_PAYLOAD_TYPE]: (payload) => {
    const statement = decodeIntotoStatement(payload);
    return { kind: 'attestation', statement, problems: attestationProblems(statement), summary: summarize(statement) };
  },
  [CERTIFICATE_PAYLOAD_TYPE]: (payload) => {
    const certificate = decodeCertificate(payload);
    const summary: LotCertificateSummary = {
      kind: 'lot-certificate',
      lotId: certificate.lotId,
      outcome: certificate.outcome,
      units: certificate.units.length,
      lotSize: certificate.lotSize,
      nonceRule: certificate.nonceRule,
      nonceParties: certificate.nonceContributions.map((n) => `${n.party} (${n.role})`),
    };
    return { kind: 'lot-certificate', certificate, problems: certificateProblems(certificate), summary };
  },
};

function refused(reason: string, partial: Partial<DocumentVerification> = {}): DocumentVerification {
  const signatures = partial.signatures ?? { checked: false, valid: false, keyids: [], entries: [], reasons: [] };
  const contentProblems = [...(partial.contentProblems ?? []), reason];
  return {
    valid: false,
    kind: null,
    digest: null,
    envelope: null,
    statement: null,
    certificate: null,
    summary: null,
    ...partial,
    signatures,
    contentProblems,
    reasons: [...signatures.reasons, ...contentProblems],
  };
}

export function verifyDocumentBytes(bytes: Uint8Array, trust: TrustedKeys): DocumentVerification {
  if (bytes.length === 0) return refused('the file is empty');
  if (bytes.length > MAX_ATTESTATION_BYTES) return tooLarge(bytes.length);
  let envelope: Envelope;
  try {
    envelope = decodeEnvelopeAnyForm(bytes, ALL_ENVELOPE_FORMS);
  } catch (error) {
    return refused((error as Error).message);
  }
  const digest = sha256Hex(encodeEnvelope(envelope));
  const checked = trust.keys.size > 0;
  const check = verifySignatures(envelope, trust.keys, trust.threshold);
  const signatures: SignatureVerification = checked
    ? { checked, valid: check.valid, keyids: check.keyids, entries: check.signatures, reasons: check.reasons }
    : { checked, valid: false, keyids: [], entries: check.signatures, reasons: ['signatures not checked: no trusted key given'] };
  const kindOf = PAYLOAD_KINDS[envelope.payloadType];
  if (!kindOf) {
    const known = Object.keys(PAYLOAD_KINDS).join(' or ');
    return refused(`payload type '${envelope.payloadType.slice(0, 200)}' is not ${known}`, { envelope, digest, signatures });
  }
  let payload: PayloadCheck;
  try {
    payload = kindOf(envelope.payload);
  } catch (error) {
    return refused((error as Error).message, { envelope, digest, signatures });
  }
  const contentProblems = payload.problems;
  return {
    valid: signatures.valid && contentProblems.length === 0,
    kind: payload.kind,
    digest,
    signatures,
    contentProblems,
    reasons: [...signatures.reasons, ...contentProblems],
    envelope,
    statement: payload.statement ?? null,
    certificate: payload.certificate ?? null,
    summary: payload.summary,
  };
}

function tooLarge(size: number): DocumentVerification {
  return refused(`the file is ${size} bytes, over the ${MAX_ATTESTATION_BYTES}-byte limit: refused unread`);
}

/** Verifies a file's content as readAttestationFile gives it (a file over the limit is refused unread). */
export function verifyDocumentContent(content: AttestationFileContent, trust: TrustedKeys): DocumentVerification {
  return 'bytes' in content ? verifyDocumentBytes(content.bytes, trust) : tooLarge(content.tooLargeBytes);
}

/** Reads and verifies one file; an unreadable file (missing, not a regular file) throws UnreadableAttestationError. */
export function verifyDocumentFile(file: string, trust: TrustedKeys): DocumentVerification {
  return verifyDocumentContent(readAttestationFile(file), trust);
}
