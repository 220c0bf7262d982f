// `tppverify audit FILE --device ID --key FILE [--nonce HEX]`: rerun the
// measurement on the same item and link a new attestation to the original.
import { recordedLevel } from '../../../benchmarks/levels.js';
import { checkSameItem, compareRuns, IdentityMismatchError } from '../../../attestations/audit.js';
import { loadSigningKey, loadTrustedKeys } from '../../../attestations/keys.js';
import { checkOutputDir } from '../../../attestations/atomic-write.js';
import { sha256Hex } from '../../../attestations/statement.js';
import { readAttestationFile, verifyAttestationBytes } from '../../../attestations/verify.js';
import { attest, identityFacts, parseNonce } from '../../attest.js';
import { UsageError } from '../../errors.js';
import { pickDevice } from '../../measure.js';
import { passphraseFrom } from '../passphrase.js';
import type { CliIo } from '../io.js';
import { describeFinding } from '../../verdict/describe.js';
import { progressLine } from '../progress.js';
import { renderSummary } from './verify.js';

export interface AuditOptions {
  device: string;
  key: string;
  passphraseEnv?: string;
  nonce?: string;
  out: string;
  pubkey: string[];
  trust?: string;
  json: boolean;
  arrayMib?: number;
  secondsPerTrial?: number;
  strict?: boolean;
}

export async function runAudit(file: string, options: AuditOptions, io: CliIo): Promise<void> {
  const content = await readAttestationFile(file);
  if (!('bytes' in content)) throw new UsageError(`${file} is ${content.tooLargeBytes} bytes: too large to be an attestation`);
  const key = await loadSigningKey(options.key, passphraseFrom(options.passphraseEnv));
  const nonce = parseNonce(options.nonce);

  // The original must be intact: its signature from a trusted key and its recomputed results.
  // An audit linked to an original nobody checked would vouch for whatever the file says.
  if (!options.pubkey.length && !options.trust) {
    throw new UsageError("audit needs the original signer's public key (--pubkey FILE or --trust DIR) to check the original first");
  }
  const outcome = verifyAttestationBytes(content.bytes, await loadTrustedKeys(options.pubkey, options.trust));
  if (!outcome.valid || !outcome.statement) throw new UsageError(`${file} does not verify: ${outcome.reasons.join('; ')}`);
  const statement = outcome.statement;
  await checkOutputDir(options.out);

  const entry = pickDevice(options.device, (text) => io.err(`tppverify: ${text}\n`));
  let identityNote: string;
  try {
    identityNote = checkSameItem(statement.subject[0]?.identity ?? [], identityFacts(entry));
  } catch (error) {
    if (error instanceof IdentityMismatchError) throw new UsageError(`refusing to audit: ${error.message}`);
    throw error;
  }

  const progress = progressLine(io);
  let result;
  try {
    result = await attest({
      entry,
      declarationBytes: Buffer.from(statement.predicate.declaration.json),
      key,
      nonce,
      level: recordedLevel(statement.predicate.method),
      ...(options.arrayMib !== undefined ? { arrayBytes: Math.round(options.arrayMib * 2 ** 20) } : {}),
      ...(options.secondsPerTrial !== undefined ? { secondsPerTrial: options.secondsPerTrial } : {}),
      outDir: options.out,
      strict: options.strict ?? true,
      onProgress: progress.update,
      audit: (rerun) => compareRuns(sha256Hex(content.bytes), statement.predicate.measurements, rerun.predicate.measurements, identityNote),
    });
  } finally {
    progress.done();
  }
  const audit = result.statement.predicate.audit!;
  if (options.json) {
    io.out(JSON.stringify({ attestation: result.pbFile, json: result.jsonFile, keyid: result.keyId, audit: { outcome: audit.outcome, originalSha256: audit.originalSha256, comparisons: audit.comparisons }, summary: result.summary }) + '\n');
    return;
  }
  io.out(`audit of ${file}: ${audit.outcome.toUpperCase()}\n`);
  for (const c of audit.comparisons) io.out(`  ${c.status.padEnd(14)} ${c.claim.padEnd(28)} ${describeFinding(c)}\n`);
  io.out('\n' + renderSummary(result.summary, result.statement.predicate.verdict.findings));
  io.out(`\nwrote ${result.pbFile}\n      ${result.jsonFile}\n`);
}
