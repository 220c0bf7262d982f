// Offline verification of a GPU's SPDM evidence (Node's crypto only, no
// network): the certificate chain up to a root pinned by SHA-256 fingerprint
// in the verifier's configuration (never a root taken from the evidence), the
// leaf's ECDSA P-384/SHA-384 signature over request ‖ response, the request
// nonce, and the FWID of the leaf's TCG DICE extension against the signed
// report's. What passes is hardware-attested: the PDI (from the device
// certificate's serial) and the signed opaque facts (VBIOS, driver, SKUs).
import { createHash, verify, X509Certificate } from 'node:crypto';
import { certificateExtensions, children, DerError, oidText, readWhole, signatureAlgorithmOid, TAG, type DerNode } from './der.js';
import { opaqueFacts, parseSpdmReport, SpdmFormatError, SPDM_NONCE_BYTES, type OpaqueFacts, type SpdmReport } from './spdm-report.js';

/**
 * NVIDIA Device Identity CA (self-signed root of every Hopper device chain):
 * SHA-256 fingerprint as in NVIDIA/nvtrust certs/verifier_device_root.pem and
 * NVIDIA/attestation-sdk src/internal/certs.h (shared reference identity.md).
 */
export const NVIDIA_DEVICE_IDENTITY_ROOT_SHA256 = '102bf659d5419614c9d8e6aecebc80454eb26b1df6a769ac720b9a690b167b48';

/** ecdsa-with-SHA384 (RFC 5758). */
const ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';
/** tcg-dice-TcbInfo (TCG DICE Attestation Architecture), carrying the FWIDs of the layer. */
const TCG_DICE_TCB_INFO = '2.23.133.5.4.1';
/** TcbInfo's fwids member: [6] IMPLICIT SEQUENCE OF FWID. */
const TCB_INFO_FWIDS_TAG = 0xa6;
const P384_CURVE = 'secp384r1';

/** A trust anchor: its fingerprint, and its certificate when the evidence's chain stops below it. */
export interface PinnedRoot {
  sha256: string;
  certificate?: X509Certificate;
}

export const DEFAULT_PINNED_ROOTS: readonly PinnedRoot[] = [{ sha256: NVIDIA_DEVICE_IDENTITY_ROOT_SHA256 }];

export class EvidenceInputError extends Error {
  override readonly name = 'EvidenceInputError';
}

/** "AB:CD:…" or "abcd…" → "abcd…". */
export function normalizeFingerprint(text: string): string {
  const hex = text.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new EvidenceInputError(`'${text.slice(0, 100)}' is not a SHA-256 fingerprint`);
  return hex;
}

export function fingerprintOf(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('hex');
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM text, in order (leaf first for NVML's chains). */
export function parsePemChain(text: string): X509Certificate[] {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new EvidenceInputError('no PEM certificate found');
  const rest = text.replace(PEM_CERTIFICATE, '').trim();
  if (rest !== '') throw new EvidenceInputError('text outside the PEM certificates');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new EvidenceInputError(`certificate ${i + 1} of the chain is not a valid X.509 certificate: ${(error as Error).message}`);
    }
  });
}

/** A report as hex (NVML's and nvtrust's text form; whitespace ignored) or base64 (attestation-sdk's). */
export function decodeReportText(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact === '') throw new EvidenceInputError('the report is empty');
  if (/^(?:[0-9a-fA-F]{2})+$/.test(compact)) return Buffer.from(compact, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.length % 4 === 0) return Buffer.from(compact, 'base64');
  throw new EvidenceInputError('the report is neither hex nor base64');
}

export interface HardwareFacts extends OpaqueFacts {
  /** 64-bit per-device identifier: the device (BROM) certificate's serial without its first byte. */
  pdi?: string;
}

export interface EvidenceCheck {
  valid: boolean;
  problems: string[];
  /** Facts the verified evidence vouches for; empty when it does not verify. */
  facts: HardwareFacts;
  requestNonce: string;
  measurementCount: number;
  chain: { subject: string; sha256: string }[];
  /** The pinned root the chain ended at, when it did. */
  root: string | null;
}

export interface EvidenceInput {
  report: Buffer;
  chain: X509Certificate[];
  /** The nonce the verifier expects in the request; absent: not checked (said in problems-free output as unchecked). */
  expectedNonce?: Buffer;
  pinnedRoots?: readonly PinnedRoot[];
  /** The time at which the certificates must be valid (the collection time); default now. */
  at?: Date;
}

function subjectName(certificate: X509Certificate): string {
  return certificate.subject.replace(/\n/g, ', ');
}

/** An FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }, if `node` is one. */
function fwidDigest(node: DerNode): string | undefined {
  if (node.tag !== TAG.SEQUENCE) return undefined;
  const parts = children(node);
  if (parts.length !== 2 || parts[0]!.tag !== TAG.OID || parts[1]!.tag !== TAG.OCTET_STRING) return undefined;
  oidText(parts[0]!);
  return parts[1]!.content.toString('hex');
}

/**
 * The FWID digest of a certificate's DICE extension (2.23.133.5.4.1), hex;
 * undefined when absent. NVIDIA's GSP FMC leaf carries SEQUENCE { version,
 * SubjectPublicKeyInfo, FWID } [V] on both samples; TCG's TcbInfo form keeps
 * its FWIDs in the [6] fwids member: both are read.
 */
export function diceFwid(certificate: X509Certificate): string | undefined {
  const value = certificateExtensions(certificate.raw).get(TCG_DICE_TCB_INFO);
  if (!value) return undefined;
  for (const member of children(readWhole(value))) {
    const direct = fwidDigest(member);
    if (direct) return direct;
    if (member.tag === TCB_INFO_FWIDS_TAG) {
      const [first] = children(member);
      const listed = first && fwidDigest(first);
      if (listed) return listed;
    }
  }
  return undefined;
}

function validAt(certificate: X509Certificate, at: Date): boolean {
  const from = Date.parse(certificate.validFrom);
  const to = Date.parse(certificate.validTo);
  return Number.isFinite(from) && Number.isFinite(to) && from <= at.getTime() && at.getTime() <= to;
}

/** The certification path from the leaf to a pinned root, or the reason there is none. */
export function chainProblems(chain: X509Certificate[], pinned: readonly PinnedRoot[], at: Date): { problems: string[]; root: string | null } {
  const problems: string[] = [];
  const last = chain[chain.length - 1]!;
  const pins = new Set(pinned.map((p) => p.sha256));
  let path = chain;
  let root: X509Certificate | undefined;
  if (pins.has(fingerprintOf(last))) {
    root = last;
  } else {
    root = pinned.map((p) => p.certificate).find((c) => c !== undefined && last.checkIssued(c) && last.verify(c.publicKey));
    if (root) path = [...chain, root];
  }
  if (!root) {
    return { problems: [`the chain does not end at a pinned root: its last certificate (${subjectName(last)}) has SHA-256 ${fingerprintOf(last)}`], root: null };
  }
  if (!(root.checkIssued(root) && root.verify(root.publicKey))) problems.push(`the pinned root ${subjectName(root)} is not self-signed`);
  for (let i = 0; i < path.length; i++) {
    const certificate = path[i]!;
    if (!validAt(certificate, at)) problems.push(`certificate ${i + 1} (${subjectName(certificate)}) is not valid at ${at.toISOString()} (${certificate.validFrom} – ${certificate.validTo})`);
    let algorithm = '';
    try {
      algorithm = signatureAlgorithmOid(certificate.raw);
    } catch (error) {
      problems.push(`certificate ${i + 1}: ${(error as Error).message}`);
    }
    if (algorithm !== ECDSA_WITH_SHA384) problems.push(`certificate ${i + 1} (${subjectName(certificate)}) is signed with ${algorithm || 'an unreadable algorithm'}, not ECDSA/SHA-384`);
    if (i === path.length - 1) continue;
    const issuer = path[i + 1]!;
    if (!certificate.checkIssued(issuer) || !certificate.verify(issuer.publicKey)) {
      problems.push(`certificate ${i + 1} (${subjectName(certificate)}) is not signed by certificate ${i + 2} (${subjectName(issuer)})`);
    }
    if (!issuer.ca) problems.push(`certificate ${i + 2} (${subjectName(issuer)}) issues certificates but is not a CA`);
  }
  return { problems, root: fingerprintOf(root) };
}

/** The device certificate's serial is a one-byte prefix (0x40/0x41) followed by the PDI. [V] on both samples. */
function pdiFromDeviceCertificate(certificate: X509Certificate | undefined): string | undefined {
  const serial = certificate?.serialNumber.toLowerCase();
  return serial && /^[0-9a-f]{18}$/.test(serial) ? `0x${serial.slice(2)}` : undefined;
}

export function verifyEvidence(input: EvidenceInput): EvidenceCheck {
  const problems: string[] = [];
  const empty: EvidenceCheck = { valid: false, problems, facts: {}, requestNonce: '', measurementCount: 0, chain: [], root: null };
  let report: SpdmReport;
  try {
    report = parseSpdmReport(input.report);
  } catch (error) {
    if (error instanceof SpdmFormatError) {
      problems.push(error.message);
      return empty;
    }
    throw error;
  }
  const chain = input.chain;
  const result: EvidenceCheck = {
    ...empty,
    requestNonce: report.request.nonce.toString('hex'),
    measurementCount: report.response.blocks.length,
    chain: chain.map((c) => ({ subject: subjectName(c), sha256: fingerprintOf(c) })),
  };
  if (chain.length < 2) problems.push(`the chain has ${chain.length} certificate(s): a leaf and its issuers are needed`);
  else {
    const path = chainProblems(chain, input.pinnedRoots ?? DEFAULT_PINNED_ROOTS, input.at ?? new Date());
    problems.push(...path.problems);
    result.root = path.root;
  }
  const leaf = chain[0];
  if (leaf) {
    const details = leaf.publicKey.asymmetricKeyDetails;
    if (leaf.publicKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== P384_CURVE) {
      problems.push('the leaf key is not an ECDSA P-384 key');
    } else if (!verify('sha384', report.signedBytes, { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, report.signature)) {
      problems.push("the report's signature does not verify with the leaf certificate's key");
    }
  }
  if (input.expectedNonce) {
    if (input.expectedNonce.length !== SPDM_NONCE_BYTES) problems.push(`the expected nonce has ${input.expectedNonce.length} bytes, not ${SPDM_NONCE_BYTES}`);
    else if (!input.expectedNonce.equals(report.request.nonce)) {
      problems.push(`the request nonce ${report.request.nonce.toString('hex')} is not the expected ${input.expectedNonce.toString('hex')}`);
    }
  }
  const facts = opaqueFacts(report);
  if (leaf) {
    let leafFwid: string | undefined;
    try {
      leafFwid = diceFwid(leaf);
    } catch (error) {
      if (!(error instanceof DerError)) throw error;
      problems.push(`the leaf's DICE extension is unreadable: ${error.message}`);
    }
    if (!leafFwid) problems.push('the leaf certificate carries no DICE FWID');
    else if (!facts.fwid) problems.push('the report carries no FWID');
    else if (leafFwid !== facts.fwid) problems.push(`the report's FWID ${facts.fwid} is not the leaf certificate's ${leafFwid}`);
  }
  const pdi = pdiFromDeviceCertificate(chain[1]);
  result.valid = problems.length === 0;
  if (result.valid) result.facts = { ...facts, ...(pdi ? { pdi } : {}) };
  return result;
}
