// Every reader of a signed document reaches verify's answer: verify of one
// file and of many (in worker threads), report, show's banner, audit's check
// of the original and lot certify's units, over a corpus of valid documents
// and documents re-signed by a trusted key after a change.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairFiles, loadSigningKey } from '../../../attestations/keys.js';
import { scanAttestations } from '../../lot/certificate.js';
import { certificateContextProblems } from '../../lot/verify-certificate.js';
import { attackCorpus, type CorpusEntry } from '../../test/attack-corpus.js';
import { verifyDocumentBytes } from '../document.js';
import { runAudit } from '../../cli/commands/audit.js';
import { runReport } from '../../cli/commands/report.js';
import { runShow } from '../../cli/commands/show.js';
import { runVerify } from '../../cli/commands/verify.js';
import type { CliIo } from '../../cli/io.js';
import { reportError } from '../../cli/report-error.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-readers-'));
const tppverify = (args: string[]) => execa(process.execPath, [cli, ...args], { reject: false, timeout: 60_000 });

let entries: CorpusEntry[] = [];
let pubkey = '';
let privkey = '';
const fileOf = (e: CorpusEntry) => path.join(work, 'corpus', e.name.replace(/\.(pb|json)$/, '.dsse.$1'));

beforeAll(async () => {
  const keys = path.join(work, 'keys');
  mkdirSync(keys, { mode: 0o700 });
  const pair = await generateKeyPairFiles(keys);
  pubkey = pair.publicKeyFile;
  privkey = pair.privateKeyFile;
  const corpus = attackCorpus(await loadSigningKey(privkey));
  entries = corpus.entries;
  mkdirSync(path.join(work, 'corpus'));
  for (const e of entries) writeFileSync(fileOf(e), e.bytes);
});

describe('the one verification', () => {
  it('gives each corpus document the answer it should', async () => {
    const key = await loadSigningKey(privkey);
    const trust = { keys: new Map([[key.keyId, key.publicKey]]), threshold: 1 };
    const answers = entries.map((e) => [e.name, verifyDocumentBytes(e.bytes, trust).valid]);
    expect(Object.fromEntries(answers)).toEqual(Object.fromEntries(entries.map((e) => [e.name, e.valid])));
    expect(entries.length).toBeGreaterThan(20);
  });

  it('gives both renderings of one document the same digest', async () => {
    const key = await loadSigningKey(privkey);
    const trust = { keys: new Map([[key.keyId, key.publicKey]]), threshold: 1 };
    const digest = (name: string) => verifyDocumentBytes(entries.find((e) => e.name === name)!.bytes, trust).digest;
    expect(digest('valid.json')).toBe(digest('valid.pb'));
    expect(digest('valid-leading-whitespace.json')).toBe(digest('valid.pb'));
  });
});

/** A command as the CLI runs it: its exit status, from its return value or through the one error table. */
async function exitStatus(command: () => Promise<number | void>): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  try {
    const status = await command();
    return { status: status ?? 0, stderr };
  } catch (error) {
    const status = reportError(error, (line) => (stderr += line));
    return { status, stderr };
  }
}

describe('every reader agrees with verify', () => {
  it('verify of one file, of many (CLI, worker threads), report, show, audit, lot certify and verify of certificates', async () => {
    const key = await loadSigningKey(privkey);
    const trusted = new Map([[key.keyId, key.publicKey]]);
    const files = entries.map(fileOf);
    // The whole corpus through the built CLI once, and through worker threads.
    const many = JSON.parse((await tppverify(['verify', ...files, '--pubkey', pubkey, '--json'])).stdout) as { files: { valid: boolean }[] };
    // The built module: its worker threads load dist/harness/verify/worker.js.
    const { verifyFiles } = (await import(path.join(root, 'dist', 'harness', 'verify', 'batch.js'))) as typeof import('../batch.js');
    const threads = await verifyFiles(files, trusted, 1, 2, 1);
    const units = scanAttestations(entries.map((e) => ({ file: fileOf(e), bytes: e.bytes })), { keys: trusted, threshold: 1 });
    const io = (sink: string[]): CliIo => ({ out: (t) => sink.push(t), err: (t) => sink.push(t), progressEnabled: false });
    const disagreements: string[] = [];
    for (const [i, e] of entries.entries()) {
      const file = fileOf(e);
      const one = await exitStatus(() => runVerify([file], { pubkey: [pubkey], threshold: 1, json: false }, io([])));
      const report = await exitStatus(() => runReport(file, { html: path.join(work, `${e.name}.html`), pubkey: [pubkey] }, io([])));
      const shown: string[] = [];
      const show = await exitStatus(() => runShow(file, { json: true }, io(shown)));
      // Audit checks the original before anything else: an output "folder" that is a file stops an accepted original there, before measuring.
      const audit = await exitStatus(() => runAudit(file, { device: 'cpu', key: privkey, pubkey: [pubkey], out: pubkey, json: true }, io([])));
      const answers = {
        verifyOne: one.status === 0,
        verifyMany: many.files[i]!.valid,
        workerThreads: threads[i]!.valid,
        report: report.status === 0,
        // show checks no signature: its banner must list no problem exactly when verify's only objection (if any) is the signature.
        show: show.status === 0 && (JSON.parse(shown[0]!) as { verification: { problems: string[] } }).verification.problems.length === 0,
        audit: /cannot use .* as the output folder/.test(audit.stderr),
        lotCertify: units[i]!.valid,
      };
      const expected = {
        verifyOne: e.valid,
        verifyMany: e.valid,
        workerThreads: e.valid,
        report: e.valid,
        show: e.valid || e.name === 'untrusted-signer.pb',
        // audit and lot certify read unit attestations: a certificate is refused as one.
        audit: e.valid && !e.name.startsWith('certificate'),
        lotCertify: e.valid && !e.name.startsWith('certificate'),
      };
      for (const [reader, answer] of Object.entries(answers)) {
        if (answer !== expected[reader as keyof typeof expected]) disagreements.push(`${e.name}: ${reader} says ${answer ? 'valid' : 'invalid'}`);
      }
      for (const run of [one, report, show, audit]) {
        expect([0, 1, 2], `${e.name}: ${run.stderr}`).toContain(run.status);
        expect(run.stderr.split('\n').filter(Boolean).length, `${e.name}: ${run.stderr}`).toBeLessThanOrEqual(1);
      }
    }
    // verify of a certificate with --attestations: each unit document found by digest goes through the same verification.
    for (const e of entries) {
      const outcome = verifyDocumentBytes(e.bytes, { keys: trusted, threshold: 1 });
      if (outcome.kind !== 'attestation' || !outcome.statement || !outcome.digest) continue;
      const serial = outcome.statement.subject[0]!.identity.find((f) => f.name === 'serial')?.value ?? '';
      const certificate = {
        lotId: 'L', manifestSha256: '', declarationSha256: outcome.statement.predicate.declaration.sha256, plan: 'fixed-1', planDescription: '', nonce: new Uint8Array(),
        lotSize: 1, units: [{ serial, attestationSha256: outcome.digest, status: 'valid' as const, verdict: outcome.statement.predicate.verdict.outcome, detail: '' }],
        outcome: 'certified' as const, reasons: [], issuedAt: '', ignoredSerials: [],
      };
      const problems = await certificateContextProblems(certificate, { keys: trusted, threshold: 1 }, path.join(work, 'corpus'));
      // The two renderings of the valid document share a digest: the folder lookup finds one of them, either verifies.
      if ((problems.length === 0) !== e.valid) disagreements.push(`${e.name}: verify of a certificate listing it says ${problems.length ? problems.join('; ') : 'valid'}`);
    }
    expect(disagreements).toEqual([]);
  }, 300_000);
});
