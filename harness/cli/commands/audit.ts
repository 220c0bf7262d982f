// `tppverify audit FILE --device ID --key FILE [--nonce HEX]`: rerun the
// measurement on the same item and link a new attestation to the original.
import { recordedLevel } from '../../../benchmarks/levels.js';
import { loadSigningKey, loadTrustedKeys } from '../../../attestations/keys.js';
import { checkOutputDir } from '../../../attestations/atomic-write.js';
import { checkSameItem, compareRuns, IdentityMismatchError } from '../../audit/compare.js';
import { attest, identityFacts, parseNonce } from '../../attest.js';
import { UsageError } from '../../errors.js';
import { pickDevice } from '../../measure.js';
import { itemProblems } from '../../verdict/item.js';
import { verifyDocumentFile } from '../../verify/document.js';
import { boundedLine, terminalText } from '../escape.js';
import { passphraseFrom } from '../passphrase.js';
import type { CliIo } from '../io.js';
import { describeFinding } from '../../verdict/describe.js';
import { progressLine } from '../progress.js';
import { renderSummary } from './verify.js';
import { parseDeclaration } from '../../declaration/declaration.js';
import { decodeUtf8Strict } from '../../../attestations/strict-json.js';
import { readIntakeFile } from '../../identity/intake.js';

export interface AuditOptions {
  device: string;
  key: string;
  passphraseEnv?: string;
  nonce?: string;
  /** Rerun with the original's own nonce (recorded in the audit): otherwise refused. */
  allowNonceReuse?: boolean;
  out: string;
  pubkey: string[];
  trust?: string;
  json: boolean;
  arrayMib?: number;
  secondsPerTrial?: number;
  sustainedSeconds?: number;
  strict?: boolean;
  /** The auditor's own intake record of the board. */
  intake?: string;
}

function sameItemOrRefuse(original: Parameters<typeof checkSameItem>[0], here: Parameters<typeof checkSameItem>[1]): string {
  try {
    return checkSameItem(original, here);
  } catch (error) {
    if (error instanceof IdentityMismatchError) throw new UsageError(`refusing to audit: ${error.message}`);
    throw error;
  }
}

export async function runAudit(file: string, options: AuditOptions, io: CliIo): Promise<void> {
  const key = await loadSigningKey(options.key, passphraseFrom(options.passphraseEnv));
  const nonce = parseNonce(options.nonce);
  const intake = options.intake !== undefined ? readIntakeFile(options.intake) : undefined;

  // The original must be intact: the one verification, with the original signer's keys.
  // An audit linked to an original nobody checked would vouch for whatever the file says.
  if (!options.pubkey.length && !options.trust) {
    throw new UsageError("audit needs the original signer's public key (--pubkey FILE or --trust DIR) to check the original first");
  }
  const outcome = verifyDocumentFile(file, { keys: await loadTrustedKeys(options.pubkey, options.trust), threshold: 1 });
  if (outcome.kind === 'lot-certificate') throw new UsageError(`${file} is a lot certificate: audit reruns a unit attestation`);
  if (!outcome.valid || !outcome.statement || !outcome.digest) throw new UsageError(`${file} does not verify: ${outcome.reasons.join('; ')}`);
  const statement = outcome.statement;
  const originalDigest = outcome.digest;
  const nonceReused = Buffer.from(statement.predicate.nonce).equals(nonce);
  if (nonceReused && !options.allowNonceReuse) {
    throw new UsageError("the nonce is the original's own: an audit's nonce must be fresh to show the rerun is new (--allow-nonce-reuse records the reuse)");
  }
  await checkOutputDir(options.out);

  const entry = pickDevice(options.device, (text) => io.err(`tppverify: ${text}\n`));
  const identityNote = sameItemOrRefuse(statement.subject[0]?.identity ?? [], identityFacts(entry));
  // The declared item must be this kind of device: an audit on the wrong item proves nothing.
  const mismatch = itemProblems(parseDeclaration(decodeUtf8Strict(statement.predicate.declaration.json)), identityFacts(entry));
  if (mismatch.length) throw new UsageError(`refusing to audit: the declaration is not for this device: ${mismatch.join('; ')}`);

  const progress = progressLine(io);
  let result;
  try {
    result = await attest({
      entry,
      declarationBytes: Buffer.from(statement.predicate.declaration.json),
      selfDeclared: statement.predicate.report.selfDeclared,
      key,
      nonce,
      level: recordedLevel(statement.predicate.method),
      ...(options.arrayMib !== undefined ? { arrayBytes: Math.round(options.arrayMib * 2 ** 20) } : {}),
      ...(options.secondsPerTrial !== undefined ? { secondsPerTrial: options.secondsPerTrial } : {}),
      ...(options.sustainedSeconds !== undefined ? { sustainedSeconds: options.sustainedSeconds } : {}),
      outDir: options.out,
      strict: options.strict ?? true,
      onProgress: progress.update,
      ...(intake ? { intake } : {}),
      audit: (rerun) => {
        // The full inventory (PDI, serial, UUID from every path) must name the original's item too.
        const fullNote = sameItemOrRefuse(statement.subject[0]?.identity ?? [], rerun.subject[0]?.identity ?? []);
        return compareRuns(originalDigest, statement.predicate.measurements, rerun.predicate.measurements, `${identityNote}; ${fullNote}`, nonceReused);
      },
    });
  } finally {
    progress.done();
  }
  const audit = result.statement.predicate.audit!;
  if (options.json) {
    io.out(JSON.stringify({ schema: 'tppverify.audit.v1', attestation: result.pbFile, json: result.jsonFile, intoto: result.intotoFile, bundle: result.bundleFile, keyid: result.keyId, audit: { outcome: audit.outcome, originalSha256: audit.originalSha256, nonceReused: audit.nonceReused, comparisons: audit.comparisons }, summary: result.summary }) + '\n');
    return;
  }
  io.out(`audit of ${boundedLine(file)}: ${audit.outcome.toUpperCase()}${audit.nonceReused ? " (the original's nonce reused: no freshness shown)" : ''}\n`);
  for (const c of audit.comparisons) io.out(`  ${c.status.padEnd(14)} ${terminalText(c.claim).padEnd(28)} ${terminalText(describeFinding(c))}\n`);
  io.out('\n' + renderSummary(result.summary, result.statement.predicate.verdict.findings));
  io.out(`\nwrote ${result.pbFile}\n      ${result.jsonFile}\n      ${result.intotoFile}\n      ${result.bundleFile}\n`);
}
