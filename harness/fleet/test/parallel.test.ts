// `run --device A,B --parallel`: several units at once, one isolated child per
// device, one attestation each. This machine has only the CPU, so two test
// stand-ins (the CPU measured in place of units found by serial) show the
// parallel path; that several GPUs finish in about the time of one can only
// be shown on a host with several GPUs (see benchmarks/README.md).
import { execa } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../../attestations/dsse.js';
import { decodeStatement } from '../../../attestations/statement.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-parallel-'));
/** Smallest honest run: the checks all run, the figures are not meant to mean anything. */
const QUICK = ['--quick', '--array-mib', '1', '--seconds-per-trial', '0.01', '--sustained-seconds', '0.05'];
const standIn = { TPPVERIFY_TEST_STAND_IN: 'cpu' };

describe('run --parallel', () => {
  it('measures two units at once, one attestation each, each naming its unit and marked as a stand-in', async () => {
    const out = path.join(work, 'two');
    const run = await execa('node', [cli, 'run', '--device', 'serial:SN-A,serial:SN-B', '--parallel', ...QUICK, '--out', out, '--json'], { reject: false, env: standIn, timeout: 240_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    const results = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { attestation: string });
    expect(results).toHaveLength(2);
    const statements = results.map((r) => decodeStatement(decodeEnvelope(readFileSync(r.attestation)).payload));
    const serials = statements.map((s) => s.subject[0]!.identity.find((f) => f.name === 'serial'));
    expect(serials.map((f) => f?.value).sort()).toEqual(['SN-A', 'SN-B']);
    expect(serials.every((f) => /^test stand-in/.test(f!.source))).toBe(true);
    for (const s of statements) {
      expect(s.predicate.stateProblems.some((p) => /^test stand-in: the CPU was measured in place of the unit with serial SN-/.test(p))).toBe(true);
      expect(s.predicate.verdict.outcome).toBe('inconclusive');
    }
    expect(results.map((r) => path.basename(r.attestation)).every((name) => /^cpu-SN-[AB]-\d{8}T/.test(name))).toBe(true);
    // At once: each run's measurement began before the other's ended.
    const [a, b] = statements.map((s) => [Date.parse(s.predicate.measurements.startedAt), Date.parse(s.predicate.measurements.finishedAt)] as const);
    expect(a![0] < b![1] && b![0] < a![1]).toBe(true);
  });

  it('refuses a unit it cannot find, or one device named twice, before measuring anything', async () => {
    const missing = await execa('node', [cli, 'run', '--device', 'serial:SN-A,serial:SN-GONE', '--parallel', ...QUICK, '--out', path.join(work, 'gone')], {
      reject: false,
      env: { ...standIn, TPPVERIFY_TEST_STAND_IN_MISSING: 'SN-GONE' },
    });
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr.trim()).toBe('tppverify: no device with serial SN-GONE on this host (test stand-in: listed in TPPVERIFY_TEST_STAND_IN_MISSING)');
    const twice = await execa('node', [cli, 'run', '--device', 'cpu,cpu', '--parallel', ...QUICK, '--out', path.join(work, 'twice')], { reject: false });
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr.trim()).toBe('tppverify: --device names cpu twice: one device is measured once per run');
    const real = await execa('node', [cli, 'run', '--device', 'uuid:GPU-00000000-0000-0000-0000-000000000000', ...QUICK, '--out', path.join(work, 'uuid')], { reject: false });
    expect(real.exitCode).toBe(3);
    expect(real.stderr.trim()).toBe('tppverify: no device with uuid GPU-00000000-0000-0000-0000-000000000000 on this host');
  });
});
