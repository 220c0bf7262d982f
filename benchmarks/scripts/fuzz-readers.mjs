// Benchmark (not a test): COUNT generated hostile inputs (default 100,000)
// through verify and every reader (harness/fuzz/readers-fuzz.ts): mutated
// envelopes in both renderings, payloads re-signed by a trusted key,
// declarations, lot manifests, lab files and key files.
//   node benchmarks/scripts/fuzz-readers.mjs [COUNT=100000] [SEED=1]
// Needs a built tree (npm install). The template attestation comes from a
// short `tppverify run` on the CPU. Exits 1 on any crash, acceptance or
// refusal that is not one bounded line with exit 1 or 2.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;
const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-fuzz-bench-'));
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');

const run = JSON.parse(
  execFileSync(process.execPath, [cli, 'run', '--device', 'cpu', '--declaration', path.join(root, 'harness/declaration/examples/h100-sxm.json'), '--array-mib', '4', '--seconds-per-trial', '0.002', '--out', work, '--no-strict', '--json']).toString(),
);
const { decodeEnvelope } = await import(dist('attestations/dsse.js'));
const { decodeStatement } = await import(dist('attestations/statement.js'));
const { fuzzReaders } = await import(dist('harness/fuzz/readers-fuzz.js'));
const template = decodeStatement(decodeEnvelope(readFileSync(run.attestation)).payload);
const examples = path.join(root, 'harness/declaration/examples');
const declarations = readdirSync(examples).map((f) => readFileSync(path.join(examples, f), 'utf8'));

const stats = await fuzzReaders({ seed, count, template, declarations, onProgress: (n) => process.stderr.write(`\r${n} inputs`) });
process.stderr.write('\n');
const summary = {
  inputs: stats.inputs,
  byKind: stats.byKind,
  readerCalls: stats.readerCalls,
  crashes: stats.crashes.length,
  acceptances: stats.acceptances.length,
  badRefusals: stats.badRefusals.length,
  seconds: Math.round(stats.seconds),
  examples: [...stats.crashes, ...stats.acceptances, ...stats.badRefusals].slice(0, 10),
};
console.log(JSON.stringify(summary, null, 2));
process.exitCode = summary.crashes + summary.acceptances + summary.badRefusals === 0 ? 0 : 1;
