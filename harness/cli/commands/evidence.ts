// `tppverify evidence verify --report FILE --certificates FILE [--nonce HEX] [--root PEM]`:
// a GPU's SPDM evidence alone, offline. Exit 0 valid, 1 invalid, 2 unreadable.
import { X509Certificate } from 'node:crypto';
import { readFileWithin } from '../../../attestations/bounded-read.js';
import { decodeUtf8Strict } from '../../../attestations/strict-json.js';
import {
  decodeReportText,
  DEFAULT_PINNED_ROOTS,
  EvidenceInputError,
  fingerprintOf,
  parsePemChain,
  verifyEvidence,
  type HardwareFacts,
  type PinnedRoot,
} from '../../../attestations/spdm/verify-evidence.js';
import { rimApplies, rimMeasurementProblems, verifyRim } from '../../../attestations/spdm/rim.js';
import { parseSpdmReport } from '../../../attestations/spdm/spdm-report.js';
import { verifyOcspResponse } from '../../../attestations/spdm/ocsp.js';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';

/** An SPDM report is a few KiB (0x2000 bytes at most from NVML); a chain a few certificates. */
const MAX_EVIDENCE_FILE_BYTES = 1024 * 1024;
const NONCE_HEX = /^[0-9a-fA-F]{64}$/;

export interface EvidenceVerifyOptions {
  report: string;
  certificates: string;
  nonce?: string;
  root?: string;
  /** Reference integrity manifests to check with the evidence. */
  rim?: string[];
  /** RFC 3339: when the certificates must have been valid (the collection time); default now. */
  at?: string;
  /** OCSP responses (DER) for the chain's certificates. */
  ocsp?: string[];
  json: boolean;
}

function readText(file: string, what: string): string {
  const read = readFileWithin(file, MAX_EVIDENCE_FILE_BYTES, { what, toError: (message) => new UsageError(message) });
  if (!('bytes' in read)) throw new UsageError(`${what} ${file} is ${read.tooLargeBytes} bytes, over the ${MAX_EVIDENCE_FILE_BYTES}-byte limit`);
  try {
    return decodeUtf8Strict(read.bytes);
  } catch {
    throw new UsageError(`${what} ${file} is not UTF-8 text`);
  }
}

function unreadable<T>(file: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof EvidenceInputError) throw new UsageError(`${what} ${file}: ${error.message}`);
    throw error;
  }
}

/** A reference manifest file (TCG SWID XML), bounded and strict UTF-8; its signature is checked where it is used. */
export function readReferenceManifest(file: string): Buffer {
  // Strict UTF-8 round-trips byte for byte.
  return Buffer.from(readText(file, 'reference manifest'), 'utf8');
}

/** An OCSP response as `openssl ocsp -respout` writes it: DER bytes. */
export function readOcspResponse(file: string): Buffer {
  const read = readFileWithin(file, MAX_EVIDENCE_FILE_BYTES, { what: 'OCSP response', toError: (message) => new UsageError(message) });
  if (!('bytes' in read)) throw new UsageError(`OCSP response ${file} is ${read.tooLargeBytes} bytes, over the ${MAX_EVIDENCE_FILE_BYTES}-byte limit`);
  return read.bytes;
}

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

interface RimOutcome {
  file: string;
  valid: boolean;
  applies: boolean;
  colloquialVersion: string;
  problems: string[];
}

function checkManifests(files: readonly string[], report: Buffer, facts: HardwareFacts, valid: boolean, at: Date): RimOutcome[] {
  return files.map((file) => {
    const rim = verifyRim(readReferenceManifest(file).toString('utf8'), { at });
    const applies = valid && rim.valid && rimApplies(rim, facts);
    const problems = [...rim.problems, ...(applies ? rimMeasurementProblems(rim, parseSpdmReport(report).response.blocks) : [])];
    return { file, valid: problems.length === 0, applies, colloquialVersion: rim.colloquialVersion, problems };
  });
}

export function runEvidenceVerify(options: EvidenceVerifyOptions, io: CliIo): number {
  if (options.nonce !== undefined && !NONCE_HEX.test(options.nonce)) throw new UsageError(`--nonce must be 64 hex digits (the 32-byte SPDM nonce), not '${options.nonce.slice(0, 80)}'`);
  const report = unreadable(options.report, 'report', () => decodeReportText(readText(options.report, 'report')));
  const chain = unreadable(options.certificates, 'certificates', () => parsePemChain(readText(options.certificates, 'certificates')));
  let pinnedRoots: readonly PinnedRoot[] = DEFAULT_PINNED_ROOTS;
  if (options.root !== undefined) {
    const roots = unreadable(options.root, 'root', () => parsePemChain(readText(options.root!, 'root')));
    if (roots.length !== 1) throw new UsageError(`root ${options.root}: holds ${roots.length} certificates, give exactly one`);
    const root: X509Certificate = roots[0]!;
    pinnedRoots = [{ sha256: fingerprintOf(root), certificate: root }];
  }
  if (options.at !== undefined && (!RFC3339_UTC.test(options.at) || Number.isNaN(Date.parse(options.at)))) {
    throw new UsageError(`--at must be an RFC 3339 UTC time such as 2026-11-26T09:30:00Z, not '${options.at.slice(0, 80)}'`);
  }
  const at = options.at !== undefined ? new Date(options.at) : new Date();
  const check = verifyEvidence({
    report,
    chain,
    pinnedRoots,
    at,
    ...(options.nonce !== undefined ? { expectedNonce: Buffer.from(options.nonce, 'hex') } : {}),
  });
  const manifests = checkManifests(options.rim ?? [], report, check.facts, check.valid, at);
  const revocation = (options.ocsp ?? []).map((file) => ({ file, ...verifyOcspResponse(readOcspResponse(file), chain, at) }));
  const covered = new Set(revocation.filter((r) => r.valid).flatMap((r) => r.covers));
  const valid = check.valid && manifests.every((m) => m.valid) && revocation.every((r) => r.valid);
  if (options.json) {
    io.out(JSON.stringify({ ...check, valid, nonceChecked: options.nonce !== undefined, at: at.toISOString(), referenceManifests: manifests, ocspResponses: revocation }) + '\n');
  } else if (valid) {
    io.out(`VALID: SPDM evidence signed by ${check.chain[0]?.subject ?? '?'}, chained to the pinned root ${check.root}\n`);
    io.out(`request nonce ${check.requestNonce}${options.nonce === undefined ? ' (not checked: give --nonce)' : ' (as expected)'}; ${check.measurementCount} measurements\n`);
    for (const [name, value] of Object.entries(check.facts)) io.out(`  ${name.padEnd(20)} ${value}  [hardware-attested]\n`);
    for (const m of manifests) io.out(`  reference manifest ${m.colloquialVersion}: signature valid${m.applies ? ', every active measurement golden' : ", describes neither this report's VBIOS nor its driver"}\n`);
    const unchecked = chain.map((_, i) => i + 1).filter((i) => !covered.has(i) && i < chain.length);
    io.out(`revocation: ${covered.size ? `certificates ${[...covered].sort().join(', ')} good per archived OCSP` : 'not checked (no --ocsp response)'}${covered.size && unchecked.length ? `; not checked for ${unchecked.join(', ')}` : ''}\n`);
  } else {
    const problems = [...check.problems, ...manifests.flatMap((m) => m.problems.map((p) => `${m.file}: ${p}`)), ...revocation.flatMap((r) => r.problems.map((p) => `${r.file}: ${p}`))];
    io.out(`INVALID: ${options.report}\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }
  return valid ? EXIT_OK : EXIT_INVALID;
}
