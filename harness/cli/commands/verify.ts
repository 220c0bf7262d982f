// `tppverify verify FILE...`: exit 0 valid, 1 invalid, 2 unreadable input.
// Every file, whatever its kind, goes through the one verification (harness/verify/document.ts).
import { classificationStatement } from '../../rules/evaluate.js';
import { ECCN_3A090 } from '../../rules/rule-sets.js';
import type { KeyObject } from 'node:crypto';
import { loadTrustedKeys } from '../../../attestations/keys.js';
import { EXIT_INVALID, EXIT_USAGE, UsageError } from '../../errors.js';
import { certificateContextProblems } from '../../lot/verify-certificate.js';
import path from 'node:path';
import { readAttestationFile, type AttestationFileContent } from '../../../attestations/document-file.js';
import { readFileWithin } from '../../../attestations/bounded-read.js';
import { certificatesFromPem, isBundleJson, readBundle, verifyBundle } from '../../../attestations/sigstore-bundle.js';
import { statementContentSha256, verifyFiles, type FileVerdict } from '../../verify/batch.js';
import { verifyDocumentContent, type DocumentVerification } from '../../verify/document.js';
import type { AttestationSummary } from '../../verify/verify.js';
import type { Finding } from '../../verdict/verdict.js';
import { describeFinding } from '../../verdict/describe.js';
import { terminalJson, terminalText } from '../escape.js';
import type { CliIo } from '../io.js';
import { formatNumber } from '../table.js';
import { renderIdentity } from '../../identity/describe.js';

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

/** One checked file in verify's output: the one verification's answer, plus what a Sigstore bundle adds. */
export interface VerifyEntry extends FileVerdict {
  /** RFC 3161 times a Sigstore bundle's checked timestamps attest (empty when none were checked). */
  timestamps: string[];
}

function printJson(entries: readonly VerifyEntry[], seconds: number, io: CliIo): void {
  const validCount = entries.filter((e) => e.valid).length;
  const files = entries.map(({ contentSha256: _digest, ...entry }) => entry);
  io.out(terminalJson(JSON.stringify({ schema: VERIFY_SCHEMA, valid: validCount === entries.length, count: entries.length, validCount, seconds, files })) + '\n');
}

export function renderSummary(s: AttestationSummary, findings: readonly Finding[]): string {
  const t = terminalText;
  const item = findings.find((f) => f.claim === 'item' && f.status !== 'consistent');
  const lines = [
    // The wrong item first: nothing after it is evidence about the declaration.
    ...(item ? [t(describeFinding(item))] : []),
    `report ${t(s.reportId)}, issued ${t(s.issuedAt)}${s.demo ? ' — DEMO, not a lab signature' : ''}${s.selfDeclared ? ' — self-declared' : ''}`,
    `device ${t(s.device)}: ${t(s.model)}${s.serial ? `, serial ${t(s.serial)}` : ''}`,
  ];
  if (s.auditOutcome) lines.push(`audit of ${t(s.auditOf ?? '')}: ${s.auditOutcome.toUpperCase()}`);
  lines.push(
    `verdict: ${t(s.outcome.toUpperCase())}`,
    `declared TPP ${formatNumber(s.declaredTpp, 0)}; measured at the spec clock ${formatNumber(s.measuredTppAtSpecClock, 0)}; ${t(classificationStatement(ECCN_3A090, s.declaredTpp, s.performanceDensity))}; 2026 case-by-case ${s.caseByCaseEligible ? 'eligible' : 'not eligible'}${
      // The eligibility is the declaration's; only a consistent verdict confirms it (the report words it the same way).
      s.outcome === 'consistent' ? '' : ` on the declared figures, not confirmed (verdict ${t(s.outcome)})`
    }`,
    ...findings.map((f) => `  ${t(f.status).padEnd(14)} ${t(f.claim).padEnd(14)} ${t(describeFinding(f))}`),
  );
  return lines.join('\n') + '\n';
}

async function trustedKeysFrom(options: VerifyOptions): Promise<Map<string, KeyObject>> {
  if (options.pubkey.length === 0 && options.trust === undefined) {
    throw new UsageError('verify needs trusted keys: --pubkey FILE (repeatable) or --trust DIR');
  }
  const trusted = await loadTrustedKeys(options.pubkey, options.trust);
  if (trusted.size === 0) throw new UsageError('no trusted public key found');
  if (options.threshold > trusted.size) throw new UsageError(`--threshold ${options.threshold} exceeds the ${trusted.size} trusted key(s)`);
  return trusted;
}

export async function runVerify(files: string[], options: VerifyOptions, io: CliIo): Promise<number> {
  const trusted = await trustedKeysFrom(options);
  const tsaChainPem = options.tsaCerts === undefined ? undefined : readTsaCerts(options.tsaCerts);
  const lotOptions = options.attestations !== undefined || options.manifest !== undefined;
  if (files.length > 1) {
    if (lotOptions) throw new UsageError('--attestations and --manifest check one lot certificate: give a single file');
    return verifyMany(files, trusted, tsaChainPem, options, io);
  }
  const started = process.hrtime.bigint();
  const file = files[0]!;
  const trust = { keys: trusted, threshold: options.threshold };
  // Read once: the one verification and the bundle's peer check see the same bytes.
  const content = readAttestationFile(file);
  const outcome = verifyDocumentContent(content, trust);
  if (lotOptions) {
    // Not silently ignored: someone who gave them expected a lot certificate here.
    if (outcome.kind !== 'lot-certificate' || !outcome.certificate) throw new UsageError(`${file} is not a lot certificate: --attestations and --manifest apply to lot certificates only`);
    const more = await certificateContextProblems(outcome.certificate, trust, options.attestations, options.manifest);
    outcome.contentProblems.push(...more);
    outcome.reasons.push(...more);
    outcome.valid &&= more.length === 0;
  }
  const entry: VerifyEntry = {
    file,
    kind: outcome.kind,
    valid: outcome.valid,
    unreadable: false,
    keyids: outcome.signatures.keyids,
    reasons: outcome.reasons,
    summary: outcome.summary,
    contentSha256: statementContentSha256(outcome),
    timestamps: [],
  };
  checkBundle(entry, trusted, tsaChainPem, content);
  if (options.json) printJson([entry], secondsSince(started), io);
  else if (entry.valid) io.out(renderVerification(file, outcome, entry.timestamps));
  else io.out(`INVALID: ${terminalText(file)}\n${entry.reasons.map((r) => `  - ${terminalText(r)}`).join('\n')}\n`);
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
function checkBundle(
  entry: VerifyEntry,
  trusted: ReadonlyMap<string, KeyObject>,
  tsaChainPem: string | undefined,
  /** The file as already read, where the caller has it (the batch's workers read their own copies). */
  read?: AttestationFileContent,
): void {
  if (entry.unreadable) return;
  const content = read ?? readAttestationFile(entry.file);
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
function checkFormsAgree(entries: VerifyEntry[]): void {
  const byReport = new Map<string, VerifyEntry[]>();
  for (const e of entries) {
    if (e.summary && 'reportId' in e.summary && e.contentSha256) byReport.set(e.summary.reportId, [...(byReport.get(e.summary.reportId) ?? []), e]);
  }
  for (const [reportId, group] of byReport) {
    if (new Set(group.map((e) => e.contentSha256)).size <= 1) continue;
    for (const e of group) {
      e.valid = false;
      e.reasons.push(`report ${reportId} is given in several files that do not say the same: ${group.map((g) => path.basename(g.file)).join(', ')}`);
    }
  }
}

/** verify's text for one valid document: what it says. */
export function renderVerification(file: string, outcome: DocumentVerification, timestamps: readonly string[] = []): string {
  const t = terminalText;
  if (!outcome.valid) return `INVALID: ${t(file)}\n${outcome.reasons.map((r) => `  - ${t(r)}`).join('\n')}\n`;
  const signers = outcome.signatures.keyids.join(', ');
  const stamped = timestamps.length ? `; timestamped ${timestamps.map(t).join(', ')}` : '';
  if (outcome.kind === 'lot-certificate' && outcome.certificate) {
    const c = outcome.certificate;
    return `VALID lot certificate: lot ${t(c.lotId)}, ${t(c.outcome.toUpperCase())}, ${c.units.length} of ${c.lotSize} units; signed by ${signers}\n`;
  }
  const statement = outcome.statement!;
  return (
    `VALID: signed by ${signers}; results recomputed and equal${stamped}\n` +
    renderSummary(outcome.summary as AttestationSummary, statement.predicate.verdict.findings) +
    renderIdentity(statement.subject[0]?.identity ?? []).split('\n').map(t).join('\n')
  );
}

/** Many files: one line each (or one JSON object); exit 0 when all are valid, 2 if any is unreadable, else 1. */
async function verifyMany(files: string[], trusted: Map<string, KeyObject>, tsaChainPem: string | undefined, options: VerifyOptions, io: CliIo): Promise<number> {
  const started = process.hrtime.bigint();
  const entries: VerifyEntry[] = (await verifyFiles(files, trusted, options.threshold)).map((v) => ({ ...v, timestamps: [] }));
  for (const entry of entries) checkBundle(entry, trusted, tsaChainPem);
  checkFormsAgree(entries);
  const seconds = secondsSince(started);
  const valid = entries.filter((v) => v.valid).length;
  if (options.json) {
    printJson(entries, seconds, io);
  } else {
    for (const v of entries) {
      const kind = v.kind === 'lot-certificate' ? ' (lot certificate)' : '';
      io.out(`${v.valid ? 'VALID  ' : 'INVALID'} ${terminalText(v.file)}${kind}${v.valid ? '' : `: ${terminalText(v.reasons.join('; '))}`}\n`);
    }
    io.out(`${valid} of ${entries.length} valid (${(entries.length / seconds).toFixed(0)} per second)\n`);
  }
  if (entries.some((v) => v.unreadable)) return EXIT_USAGE;
  return valid === entries.length ? 0 : EXIT_INVALID;
}
