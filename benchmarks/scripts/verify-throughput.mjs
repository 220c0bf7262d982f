// Benchmark (not a test): `tppverify verify` over COUNT distinct attestation
// files in one call (its batch path: a worker thread per core).
//   node benchmarks/scripts/verify-throughput.mjs [COUNT=10000]
// Needs a built tree (npm install). The template comes from a short
// `tppverify run` on the CPU; each copy gets its own report id and slightly
// different trial times, with results and verdict recomputed and re-signed.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => path.join(root, 'dist', p);
const count = Number(process.argv[2] ?? 10000);
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-verify-bench-'));
const cli = dist('harness/cli/main.js');

execFileSync(process.execPath, [cli, 'keygen', '--out', path.join(work, 'keys')]);
const publicKey = path.join(work, 'keys', 'tppverify-public.pem');
const privateKey = path.join(work, 'keys', 'tppverify-private.pem');
execFileSync(process.execPath, [cli, 'run', '--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--key', privateKey,
  '--declaration', path.join(root, 'harness/declaration/examples/h100-sxm.json'), '--out', path.join(work, 'template'), '--no-strict']);
const template = path.join(work, 'template', readdirSync(path.join(work, 'template')).find((f) => f.endsWith('.pb')));

const { readAttestationFile } = await import(dist('attestations/document-file.js'));
const { decodeEnvelope, encodeEnvelope, signEnvelope } = await import(dist('attestations/dsse.js'));
const { decodeStatement, encodeStatement, PAYLOAD_TYPE } = await import(dist('attestations/statement.js'));
const { loadSigningKey } = await import(dist('attestations/keys.js'));
const { computeVerdict } = await import(dist('harness/verdict/verdict.js'));
const { parseDeclaration } = await import(dist('harness/declaration/declaration.js'));
const key = await loadSigningKey(privateKey);
const statement = decodeStatement(decodeEnvelope((await readAttestationFile(template)).bytes).payload);
const p = statement.predicate;
const declaration = parseDeclaration(Buffer.from(p.declaration.json).toString('utf8'));
const baseSeconds = p.measurements.bandwidth.kernels[0].trialSeconds.slice();
const files = [];
for (let i = 0; i < count; i++) {
  p.report.reportId = randomUUID();
  p.measurements.bandwidth.kernels[0].trialSeconds = baseSeconds.map((s, t) => s * (1 + ((i + t) % 97) * 1e-6));
  const { results, verdict } = computeVerdict({ declaration, measurements: p.measurements, deviceFacts: statement.subject[0].identity, stateProblems: p.stateProblems });
  p.results = results;
  p.verdict = verdict;
  const file = path.join(work, `a${i}.dsse.pb`);
  writeFileSync(file, encodeEnvelope(signEnvelope(encodeStatement(statement), PAYLOAD_TYPE, [key])));
  files.push(file);
}
const size = (await readAttestationFile(files[0])).bytes.length;
const out = execFileSync(process.execPath, [cli, 'verify', ...files, '--pubkey', publicKey, '--json'], { maxBuffer: 1 << 30 }).toString();
const result = JSON.parse(out);
console.log(`tppverify verify: ${result.count} attestations of ${size} bytes in ${result.seconds.toFixed(2)} s: ${(result.count / result.seconds).toFixed(0)} per second; ${result.validCount} valid`);
if (result.validCount !== count) process.exitCode = 1;
