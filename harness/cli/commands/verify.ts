// `tppverify verify FILE`: exit 0 valid, 1 invalid, 2 unreadable input.
import { loadTrustedKeys } from '../../../attestations/keys.js';
import { verifyAttestationFile, type AttestationSummary } from '../../../attestations/verify.js';
import type { Finding } from '../../verdict/verdict.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';
import { formatNumber } from '../table.js';

export const EXIT_INVALID = 1;

export interface VerifyOptions {
  pubkey: string[];
  trust?: string;
  threshold: number;
  json: boolean;
}

export function renderSummary(s: AttestationSummary, findings: readonly Finding[]): string {
  const lines = [
    `report ${s.reportId}, issued ${s.issuedAt}${s.demo ? ' — DEMO, not a lab signature' : ''}${s.selfDeclared ? ' — self-declared' : ''}`,
    `device ${s.device}: ${s.model}${s.serial ? `, serial ${s.serial}` : ''}`,
    `verdict: ${s.outcome.toUpperCase()}`,
    `declared TPP ${formatNumber(s.declaredTpp, 0)}; measured at the spec clock ${formatNumber(s.measuredTppAtSpecClock, 0)}; ECCN ${s.eccn3a090}; 2026 case-by-case ${s.caseByCaseEligible ? 'eligible' : 'not eligible'}`,
    ...findings.map((f) => `  ${f.status.padEnd(14)} ${f.claim.padEnd(14)} ${f.detail}`),
  ];
  if (s.auditOf) lines.push(`audit rerun of ${s.auditOf}`);
  return lines.join('\n') + '\n';
}

export async function runVerify(file: string, options: VerifyOptions, io: CliIo): Promise<number> {
  if (options.pubkey.length === 0 && options.trust === undefined) {
    throw new UsageError('verify needs trusted keys: --pubkey FILE (repeatable) or --trust DIR');
  }
  const trusted = await loadTrustedKeys(options.pubkey, options.trust);
  if (trusted.size === 0) throw new UsageError('no trusted public key found');
  if (options.threshold > trusted.size) {
    throw new UsageError(`--threshold ${options.threshold} exceeds the ${trusted.size} trusted key(s)`);
  }
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
