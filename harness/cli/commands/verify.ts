// `tppverify verify FILE`: exit 0 valid, 1 invalid, 2 unreadable input.
import { loadTrustedKeys } from '../../../attestations/keys.js';
import { readAttestationFile, verifyAttestationFile, type AttestationSummary } from '../../../attestations/verify.js';
import { decodeEnvelopeAnyForm, isBundleJson, verifySignatures } from '../../../attestations/dsse.js';
import { CERTIFICATE_PAYLOAD_TYPE } from '../../lot/certificate.js';
import { checkCertificate } from '../../lot/verify-certificate.js';
import type { Finding } from '../../verdict/verdict.js';
import { EXIT_INVALID, EXIT_USAGE, UsageError } from '../../errors.js';
import { verifyFiles, type FileVerdict } from '../../../attestations/verify-batch.js';
import { certificatesFromPem, readBundle, verifyBundle } from '../../../attestations/sigstore-bundle.js';
import { readFileWithin } from '../../../attestations/bounded-read.js';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { CliIo } from '../io.js';
import { describeFinding } from '../../verdict/describe.js';
import { formatNumber } from '../table.js';


export interface VerifyOptions {
  pubkey: string[];
  trust?: string;
  threshold: number;
  json: boolean;
  /** Lot certificates: the folder of unit attestations, and the manifest to recompute the sample from. */
  attestations?: string;
  manifest?: string;
  /** PEM: the TSA's signing certificate then its chain to the root the lab trusts; bundles' RFC 3161 timestamps are then required and checked. */
  tsaCerts?: string;
}

/** A certificate chain file is a few kilobytes. */
const MAX_TSA_CERTS_BYTES = 1024 * 1024;

/** The --json output's schema (schemas/verify.v1.schema.json): one shape for one file or many. */
export const VERIFY_SCHEMA = 'tppverify.verify.v1';

/** One checked file in verify's output. */
export interface VerifyEntry {
  file: string;
  valid: boolean;
  unreadable: boolean;
  kind: 'attestation' | 'lot-certificate' | null;
  keyids: string[];
  reasons: string[];
  summary: AttestationSummary | LotCertificateSummary | null;
  /** RFC 3161 times a Sigstore bundle's checked timestamps attest (empty when none were checked). */
  timestamps: string[];
}

interface LotCertificateSummary {
  kind: 'lot-certificate';
  lotId: string;
  outcome: string;
  units: number;
  lotSize: number;
}

function printJson(entries: readonly VerifyEntry[], seconds: number, io: CliIo): void {
  const validCount = entries.filter((e) => e.valid).length;
  io.out(JSON.stringify({ schema: VERIFY_SCHEMA, valid: validCount === entries.length, count: entries.length, validCount, seconds, files: entries }) + '\n');
}

export function renderSummary(s: AttestationSummary, findings: readonly Finding[]): string {
  const lines = [
    `report ${s.reportId}, issued ${s.issuedAt}${s.demo ? ' — DEMO, not a lab signature' : ''}${s.selfDeclared ? ' — self-declared' : ''}`,
    `device ${s.device}: ${s.model}${s.serial ? `, serial ${s.serial}` : ''}`,
    `verdict: ${s.outcome.toUpperCase()}`,
    `declared TPP ${formatNumber(s.declaredTpp, 0)}; measured at the spec clock ${formatNumber(s.measuredTppAtSpecClock, 0)}; ECCN ${s.eccn3a090}; 2026 case-by-case ${s.caseByCaseEligible ? 'eligible' : 'not eligible'}`,
    ...findings.map((f) => `  ${f.status.padEnd(14)} ${f.claim.padEnd(14)} ${describeFinding(f)}`),
  ];
  if (s.auditOf) lines.push(`audit rerun of ${s.auditOf}`);
  return lines.join('\n') + '\n';
}

export async function runVerify(files: string[], options: VerifyOptions, io: CliIo): Promise<number> {
  if (options.pubkey.length === 0 && options.trust === undefined) {
    throw new UsageError('verify needs trusted keys: --pubkey FILE (repeatable) or --trust DIR');
  }
  const trusted = await loadTrustedKeys(options.pubkey, options.trust);
  if (trusted.size === 0) throw new UsageError('no trusted public key found');
  if (options.threshold > trusted.size) {
    throw new UsageError(`--threshold ${options.threshold} exceeds the ${trusted.size} trusted key(s)`);
  }
  const tsaChainPem = options.tsaCerts === undefined ? undefined : readTsaCerts(options.tsaCerts);
  const lotOptions = options.attestations !== undefined || options.manifest !== undefined;
  if (files.length > 1) {
    if (lotOptions) throw new UsageError('--attestations and --manifest check one lot certificate: give a single file');
    return verifyMany(files, trusted, options, tsaChainPem, io);
  }
  const file = files[0]!;
  const started = process.hrtime.bigint();
  const certificate = await verifyIfCertificate(file, trusted, options);
  if (certificate !== undefined) {
    if (options.json) printJson([certificate], secondsSince(started), io);
    else if (certificate.valid && certificate.summary && 'lotId' in certificate.summary) {
      const c = certificate.summary;
      io.out(`VALID lot certificate: lot ${c.lotId}, ${c.outcome.toUpperCase()}, ${c.units} of ${c.lotSize} units; signed by ${certificate.keyids.join(', ')}\n`);
    } else io.out(`INVALID: ${file}\n${certificate.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
    return certificate.valid ? 0 : EXIT_INVALID;
  }
  // Not silently ignored: someone who gave them expected a lot certificate here.
  if (lotOptions) throw new UsageError(`${file} is not a lot certificate: --attestations and --manifest apply to lot certificates only`);
  const outcome = await verifyAttestationFile(file, trusted, options.threshold);
  const entry: VerifyEntry = { file, valid: outcome.valid, unreadable: false, kind: outcome.statement ? 'attestation' : null, keyids: outcome.keyids, reasons: outcome.reasons, summary: outcome.summary, timestamps: [] };
  await checkBundle(entry, trusted, tsaChainPem);
  if (options.json) {
    printJson([entry], secondsSince(started), io);
  } else if (entry.valid && outcome.summary && outcome.statement) {
    io.out(`VALID: signed by ${outcome.keyids.join(', ')}; results recomputed and equal${entry.timestamps.length ? `; timestamped ${entry.timestamps.join(', ')}` : ''}\n`);
    io.out(renderSummary(outcome.summary, outcome.statement.predicate.verdict.findings));
  } else {
    io.out(`INVALID: ${file}\n${entry.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
  }
  return entry.valid ? 0 : EXIT_INVALID;
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function readTsaCerts(file: string): string {
  const read = readFileWithin(file, MAX_TSA_CERTS_BYTES, { what: 'TSA certificate chain', toError: (message) => new UsageError(message) });
  if ('tooLargeBytes' in read) throw new UsageError(`${file} is too large to be a TSA certificate chain`);
  const pem = read.bytes.toString('utf8');
  if (certificatesFromPem(pem).length === 0) throw new UsageError(`${file} holds no PEM certificate: --tsa-certs takes the TSA's certificate, then its chain to the root`);
  return pem;
}

/**
 * A Sigstore bundle is also checked as @sigstore/verify checks it (the
 * peer's reading must agree with ours), and with --tsa-certs its RFC 3161
 * timestamps are required and verified against that chain.
 */
async function checkBundle(entry: VerifyEntry, trusted: ReadonlyMap<string, KeyObject>, tsaChainPem: string | undefined): Promise<void> {
  if (entry.unreadable) return;
  const content = await readAttestationFile(entry.file);
  if (!('bytes' in content) || !isBundleJson(content.bytes)) {
    if (tsaChainPem !== undefined && entry.valid) {
      entry.valid = false;
      entry.reasons.push('--tsa-certs requires a timestamp, and only a Sigstore bundle (.sigstore.json) carries one');
    }
    return;
  }
  let check;
  try {
    check = verifyBundle(readBundle(content.bytes).bundle, trusted, tsaChainPem);
  } catch (error) {
    check = { valid: false, reasons: [(error as Error).message], timestampTimes: [] };
  }
  entry.timestamps = check.timestampTimes;
  if (!check.valid) {
    entry.valid = false;
    entry.reasons.push(...check.reasons);
  }
}

/**
 * The forms of one attestation (.dsse.pb, .dsse.json, .intoto.json,
 * .sigstore.json) given together must say the same: files with the same
 * report id whose decoded Statements differ are all invalid.
 */
function checkFormsAgree(verdicts: readonly FileVerdict[], entries: VerifyEntry[]): void {
  const byReport = new Map<string, number[]>();
  verdicts.forEach((v, i) => {
    if (v.summary && v.contentSha256) byReport.set(v.summary.reportId, [...(byReport.get(v.summary.reportId) ?? []), i]);
  });
  for (const [reportId, indexes] of byReport) {
    if (new Set(indexes.map((i) => verdicts[i]!.contentSha256)).size <= 1) continue;
    for (const i of indexes) {
      entries[i]!.valid = false;
      entries[i]!.reasons.push(`report ${reportId} is given in several files that do not say the same: ${indexes.map((j) => path.basename(verdicts[j]!.file)).join(', ')}`);
    }
  }
}

/** Many files: one line each (or one JSON object); exit 0 when all are valid, 2 if any is unreadable, else 1. */
async function verifyMany(files: string[], trusted: Map<string, KeyObject>, options: VerifyOptions, tsaChainPem: string | undefined, io: CliIo): Promise<number> {
  const started = process.hrtime.bigint();
  const verdicts = await verifyFiles(files, trusted, options.threshold);
  const entries: VerifyEntry[] = verdicts.map((v) => ({ file: v.file, valid: v.valid, unreadable: v.unreadable, kind: v.summary ? 'attestation' : null, keyids: v.keyids, reasons: [...v.reasons], summary: v.summary, timestamps: [] }));
  for (const entry of entries) await checkBundle(entry, trusted, tsaChainPem);
  checkFormsAgree(verdicts, entries);
  const seconds = secondsSince(started);
  const valid = entries.filter((v) => v.valid).length;
  if (options.json) {
    printJson(entries, seconds, io);
  } else {
    for (const v of entries) io.out(`${v.valid ? 'VALID  ' : 'INVALID'} ${v.file}${v.valid ? '' : `: ${v.reasons.join('; ')}`}\n`);
    io.out(`${valid} of ${entries.length} valid (${(entries.length / seconds).toFixed(0)} per second)\n`);
  }
  if (entries.some((v) => v.unreadable)) return EXIT_USAGE;
  return valid === entries.length ? 0 : EXIT_INVALID;
}

/** A lot certificate gets its own checks; anything else returns undefined. */
async function verifyIfCertificate(file: string, trusted: Map<string, KeyObject>, options: VerifyOptions): Promise<VerifyEntry | undefined> {
  const content = await readAttestationFile(file);
  if (!('bytes' in content)) return undefined;
  let envelope;
  try {
    envelope = decodeEnvelopeAnyForm(content.bytes);
  } catch {
    return undefined;
  }
  if (envelope.payloadType !== CERTIFICATE_PAYLOAD_TYPE) return undefined;
  const signatures = verifySignatures(envelope, trusted, options.threshold);
  const check = signatures.valid
    ? await checkCertificate(envelope.payload, trusted, options.attestations, options.manifest)
    : { certificate: null, problems: signatures.reasons };
  const valid = signatures.valid && check.problems.length === 0;
  const c = check.certificate;
  const summary: LotCertificateSummary | null = c && { kind: 'lot-certificate', lotId: c.lotId, outcome: c.outcome, units: c.units.length, lotSize: c.lotSize };
  return { file, valid, unreadable: false, kind: 'lot-certificate', keyids: signatures.keyids, reasons: check.problems, summary, timestamps: [] };
}
