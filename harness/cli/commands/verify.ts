// `tppverify verify FILE...`: exit 0 valid, 1 invalid, 2 unreadable input.
// Every file, whatever its kind, goes through the one verification (harness/verify/document.ts).
import { classificationStatement } from '../../rules/evaluate.js';
import { ECCN_3A090 } from '../../rules/rule-sets.js';
import type { KeyObject } from 'node:crypto';
import { loadTrustedKeys } from '../../../attestations/keys.js';
import { EXIT_INVALID, EXIT_USAGE, UsageError } from '../../errors.js';
import { certificateContextProblems } from '../../lot/verify-certificate.js';
import { verifyFiles } from '../../verify/batch.js';
import { verifyDocumentFile, type DocumentVerification } from '../../verify/document.js';
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
    `declared TPP ${formatNumber(s.declaredTpp, 0)}; measured at the spec clock ${formatNumber(s.measuredTppAtSpecClock, 0)}; ${t(classificationStatement(ECCN_3A090, s.declaredTpp, s.performanceDensity))}; 2026 case-by-case ${s.caseByCaseEligible ? 'eligible' : 'not eligible'}`,
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
  const lotOptions = options.attestations !== undefined || options.manifest !== undefined;
  if (files.length > 1) {
    if (lotOptions) throw new UsageError('--attestations and --manifest check one lot certificate: give a single file');
    return verifyMany(files, trusted, options, io);
  }
  const file = files[0]!;
  const trust = { keys: trusted, threshold: options.threshold };
  const outcome = verifyDocumentFile(file, trust);
  if (lotOptions) {
    // Not silently ignored: someone who gave them expected a lot certificate here.
    if (outcome.kind !== 'lot-certificate' || !outcome.certificate) throw new UsageError(`${file} is not a lot certificate: --attestations and --manifest apply to lot certificates only`);
    const more = await certificateContextProblems(outcome.certificate, trust, options.attestations, options.manifest);
    outcome.contentProblems.push(...more);
    outcome.reasons.push(...more);
    outcome.valid &&= more.length === 0;
  }
  if (options.json) {
    io.out(terminalJson(JSON.stringify({ valid: outcome.valid, kind: outcome.kind, digest: outcome.digest, keyids: outcome.signatures.keyids, reasons: outcome.reasons, summary: outcome.summary })) + '\n');
  } else {
    io.out(renderVerification(file, outcome));
  }
  return outcome.valid ? 0 : EXIT_INVALID;
}

/** verify's text for one document: VALID and what it says, or INVALID and every reason. */
export function renderVerification(file: string, outcome: DocumentVerification): string {
  const t = terminalText;
  if (!outcome.valid) return `INVALID: ${t(file)}\n${outcome.reasons.map((r) => `  - ${t(r)}`).join('\n')}\n`;
  const signers = outcome.signatures.keyids.join(', ');
  if (outcome.kind === 'lot-certificate' && outcome.certificate) {
    const c = outcome.certificate;
    return `VALID lot certificate: lot ${t(c.lotId)}, ${t(c.outcome.toUpperCase())}, ${c.units.length} of ${c.lotSize} units; signed by ${signers}\n`;
  }
  const statement = outcome.statement!;
  return (
    `VALID: signed by ${signers}; results recomputed and equal\n` +
    renderSummary(outcome.summary as AttestationSummary, statement.predicate.verdict.findings) +
    renderIdentity(statement.subject[0]?.identity ?? []).split('\n').map(t).join('\n')
  );
}

/** Many files: one line each (or one JSON object); exit 0 when all are valid, 2 if any is unreadable, else 1. */
async function verifyMany(files: string[], trusted: Map<string, KeyObject>, options: VerifyOptions, io: CliIo): Promise<number> {
  const started = process.hrtime.bigint();
  const verdicts = await verifyFiles(files, trusted, options.threshold);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const valid = verdicts.filter((v) => v.valid).length;
  if (options.json) {
    io.out(terminalJson(JSON.stringify({ valid: valid === verdicts.length, count: verdicts.length, validCount: valid, seconds, files: verdicts })) + '\n');
  } else {
    for (const v of verdicts) {
      const kind = v.kind === 'lot-certificate' ? ' (lot certificate)' : '';
      io.out(`${v.valid ? 'VALID  ' : 'INVALID'} ${terminalText(v.file)}${kind}${v.valid ? '' : `: ${terminalText(v.reasons.join('; '))}`}\n`);
    }
    io.out(`${valid} of ${verdicts.length} valid (${(verdicts.length / seconds).toFixed(0)} per second)\n`);
  }
  if (verdicts.some((v) => v.unreadable)) return EXIT_USAGE;
  return valid === verdicts.length ? 0 : EXIT_INVALID;
}
