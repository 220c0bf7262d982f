// `tppverify verify FILE`: exit 0 valid, 1 invalid, 2 unreadable input.
import { classificationStatement } from '../../rules/evaluate.js';
import { ECCN_3A090 } from '../../rules/rule-sets.js';
import { loadTrustedKeys } from '../../../attestations/keys.js';
import { readAttestationFile, verifyAttestationFile, type AttestationSummary } from '../../../attestations/verify.js';
import { decodeEnvelopeAnyForm, verifySignatures } from '../../../attestations/dsse.js';
import { CERTIFICATE_PAYLOAD_TYPE } from '../../lot/certificate.js';
import { checkCertificate } from '../../lot/verify-certificate.js';
import type { Finding } from '../../verdict/verdict.js';
import { EXIT_INVALID, EXIT_USAGE, UsageError } from '../../errors.js';
import { verifyFiles } from '../../../attestations/verify-batch.js';
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
}

export function renderSummary(s: AttestationSummary, findings: readonly Finding[]): string {
  const lines = [
    `report ${s.reportId}, issued ${s.issuedAt}${s.demo ? ' — DEMO, not a lab signature' : ''}${s.selfDeclared ? ' — self-declared' : ''}`,
    `device ${s.device}: ${s.model}${s.serial ? `, serial ${s.serial}` : ''}`,
    `verdict: ${s.outcome.toUpperCase()}`,
    `declared TPP ${formatNumber(s.declaredTpp, 0)}; measured at the spec clock ${formatNumber(s.measuredTppAtSpecClock, 0)}; ${classificationStatement(ECCN_3A090, s.declaredTpp, s.performanceDensity)}; 2026 case-by-case ${s.caseByCaseEligible ? 'eligible' : 'not eligible'}`,
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
  const lotOptions = options.attestations !== undefined || options.manifest !== undefined;
  if (files.length > 1) {
    if (lotOptions) throw new UsageError('--attestations and --manifest check one lot certificate: give a single file');
    return verifyMany(files, trusted, options, io);
  }
  const file = files[0]!;
  const certificateResult = await verifyIfCertificate(file, trusted, options, io);
  if (certificateResult !== undefined) return certificateResult;
  // Not silently ignored: someone who gave them expected a lot certificate here.
  if (lotOptions) throw new UsageError(`${file} is not a lot certificate: --attestations and --manifest apply to lot certificates only`);
  const outcome = await verifyAttestationFile(file, trusted, options.threshold);
  if (options.json) {
    io.out(JSON.stringify({ valid: outcome.valid, keyids: outcome.keyids, reasons: outcome.reasons, summary: outcome.summary }) + '\n');
  } else if (outcome.valid && outcome.summary && outcome.statement) {
    io.out(`VALID: signed by ${outcome.keyids.join(', ')}; results recomputed and equal\n`);
    io.out(renderSummary(outcome.summary, outcome.statement.predicate.verdict.findings));
  } else {
    io.out(`INVALID: ${file}\n${outcome.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
  }
  return outcome.valid ? 0 : EXIT_INVALID;
}

/** Many files: one line each (or one JSON object); exit 0 when all are valid, 2 if any is unreadable, else 1. */
async function verifyMany(files: string[], trusted: Map<string, KeyObject>, options: VerifyOptions, io: CliIo): Promise<number> {
  const started = process.hrtime.bigint();
  const verdicts = await verifyFiles(files, trusted, options.threshold);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const valid = verdicts.filter((v) => v.valid).length;
  if (options.json) {
    io.out(JSON.stringify({ valid: valid === verdicts.length, count: verdicts.length, validCount: valid, seconds, files: verdicts }) + '\n');
  } else {
    for (const v of verdicts) io.out(`${v.valid ? 'VALID  ' : 'INVALID'} ${v.file}${v.valid ? '' : `: ${v.reasons.join('; ')}`}\n`);
    io.out(`${valid} of ${verdicts.length} valid (${(verdicts.length / seconds).toFixed(0)} per second)\n`);
  }
  if (verdicts.some((v) => v.unreadable)) return EXIT_USAGE;
  return valid === verdicts.length ? 0 : EXIT_INVALID;
}

/** A lot certificate gets its own checks; anything else returns undefined. */
async function verifyIfCertificate(file: string, trusted: Map<string, KeyObject>, options: VerifyOptions, io: CliIo): Promise<number | undefined> {
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
  if (options.json) {
    io.out(JSON.stringify({ valid, keyids: signatures.keyids, reasons: check.problems, summary: c && { kind: 'lot-certificate', lotId: c.lotId, outcome: c.outcome, units: c.units.length, lotSize: c.lotSize } }) + '\n');
  } else if (valid && c) {
    io.out(`VALID lot certificate: lot ${c.lotId}, ${c.outcome.toUpperCase()}, ${c.units.length} of ${c.lotSize} units; signed by ${signatures.keyids.join(', ')}\n`);
  } else {
    io.out(`INVALID: ${file}\n${check.problems.map((r) => `  - ${r}`).join('\n')}\n`);
  }
  return valid ? 0 : EXIT_INVALID;
}
