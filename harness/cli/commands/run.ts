// `tppverify run`: measure, evaluate, decide and write a signed attestation.
import { readDeclarationFile } from '../../declaration/declaration.js';
import { attest, parseNonce } from '../../attest.js';
import { loadSigningKey } from '../../../attestations/keys.js';
import { EMPTY_LAB, readLabFile, type LabInfo } from '../../lab.js';
import { pickDevice } from '../../measure.js';
import { passphraseFrom } from '../passphrase.js';
import type { CliIo } from '../io.js';
import { progressLine } from '../progress.js';
import { renderSummary } from './verify.js';

export interface RunOptions {
  declaration?: string;
  device?: string;
  key?: string;
  passphraseEnv?: string;
  out: string;
  lab?: string;
  operator?: string;
  exporter?: string;
  filingReference?: string;
  nonce?: string;
  quick: boolean;
  json: boolean;
  arrayMib?: number;
  secondsPerTrial?: number;
  /** undefined: strict when signing with a lab key. */
  strict?: boolean;
}

export async function runRun(options: RunOptions, io: CliIo): Promise<void> {
  // Every input is read and checked before the first measurement.
  const declaration = options.declaration ? await readDeclarationFile(options.declaration) : undefined;
  const key = options.key ? await loadSigningKey(options.key, passphraseFrom(options.passphraseEnv)) : undefined;
  const lab: LabInfo = { ...(options.lab ? await readLabFile(options.lab) : EMPTY_LAB) };
  if (options.operator !== undefined) lab.operator = options.operator;
  if (options.exporter !== undefined) lab.exporter = options.exporter;
  if (options.filingReference !== undefined) lab.filingReference = options.filingReference;
  const nonce = parseNonce(options.nonce);
  const entry = pickDevice(options.device, (text) => io.err(`tppverify: ${text}\n`));

  const progress = progressLine(io);
  let result;
  try {
    result = await attest({
      entry,
      ...(declaration ? { declarationBytes: declaration.bytes } : {}),
      ...(key ? { key } : {}),
      lab,
      nonce,
      quick: options.quick,
      ...(options.arrayMib !== undefined ? { arrayBytes: Math.round(options.arrayMib * 2 ** 20) } : {}),
      ...(options.secondsPerTrial !== undefined ? { secondsPerTrial: options.secondsPerTrial } : {}),
      outDir: options.out,
      strict: options.strict ?? key !== undefined,
      onProgress: progress.update,
    });
  } finally {
    progress.done();
  }
  if (options.json) {
    io.out(JSON.stringify({ attestation: result.pbFile, json: result.jsonFile, keyid: result.keyId, summary: result.summary, findings: result.statement.predicate.verdict.findings }) + '\n');
    return;
  }
  io.out(renderSummary(result.summary, result.statement.predicate.verdict.findings));
  io.out(`\nwrote ${result.pbFile}\n      ${result.jsonFile}\nsigned by key ${result.keyId}${result.summary.demo ? ' (ephemeral: demo, not a lab signature)' : ''}\n`);
}
