// The device check's CPU dry run (DEVICE=cpu): the script end to end within
// the device tool's limits — at most 3 files in $OUT, the summary printed
// last, one deadline honoured with the archive and summary still written,
// and no process left behind.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const script = path.join(root, 'benchmarks', 'gpu-check.sh');
const fakeNvidiaSmi = path.join(root, 'benchmarks', 'test', 'fixtures', 'fake-nvidia-smi');
// The device tool returns at most 8 files; the check promises 3.
const MAX_OUT_FILES = 3;
const scratch = mkdtempSync(path.join(tmpdir(), 'gpu-check-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface CheckRun {
  code: number | null;
  stdout: string;
  seconds: number;
  out: string;
  marker: string;
}

/** Runs the check; every process it starts carries a marker in its environment, so leftovers can be found. */
function runCheck(env: Record<string, string>, pathPrefix?: string): Promise<CheckRun> {
  const out = path.join(scratch, randomUUID());
  const marker = randomUUID();
  const began = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, '--quick'], {
      cwd: root,
      env: {
        ...process.env,
        ...env,
        DEVICE: 'cpu',
        OUT: out,
        GPU_CHECK_TEST_MARKER: marker,
        PATH: `${pathPrefix ? `${pathPrefix}:` : ''}${process.env['PATH'] ?? ''}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, seconds: (Date.now() - began) / 1000, out, marker }));
  });
}

/** PIDs whose environment carries the marker (other than this test process). */
function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`GPU_CHECK_TEST_MARKER=${marker}`)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

async function expectNoLeftovers(marker: string) {
  // A killed process's children take a moment to be reaped.
  for (let i = 0; i < 30 && processesWithMarker(marker).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(processesWithMarker(marker)).toEqual([]);
}

function archiveEntries(out: string): string[] {
  return execFileSync('tar', ['-tzf', path.join(out, 'gpu-check.tar.gz')], { encoding: 'utf8' })
    .split('\n').filter(Boolean).map((e) => e.replace(/^\.\//, ''));
}

function archiveFile(out: string, name: string): string {
  return execFileSync('tar', ['-xzOf', path.join(out, 'gpu-check.tar.gz'), `./${name}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

const torchPython = ['python3', '/usr/bin/python3'].find((p) => {
  try {
    execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
});

describe('benchmarks/gpu-check.sh on the CPU (dry run)', () => {
  it('runs every step, returns one archive and the summary, and prints the summary last', async () => {
    expect(torchPython, 'the dry run measures the PyTorch peer: install python3-torch (.ci/run does)').toBeDefined();
    const run = await runCheck({ BUDGET_S: '150', RESERVE_S: '10' }, fakeNvidiaSmi);
    expect(run.code, run.stdout).toBe(0);
    await expectNoLeftovers(run.marker);

    expect(readdirSync(run.out).sort()).toEqual(['gpu-check.tar.gz', 'summary.txt']);
    const summary = readFileSync(path.join(run.out, 'summary.txt'), 'utf8');
    expect(run.stdout.trimEnd().endsWith(summary.trimEnd())).toBe(true);

    const entries = archiveEntries(run.out);
    for (const name of ['steps.tsv', 'summary.json', 'host.out', 'ldd.out', 'devices.out', 'bench.out', 'peer.out', 'sweep.out', 'run.out', 'telemetry.csv', 'nvidia-smi-q.out', 'nvidia-smi-query.out']) {
      expect(entries, name).toContain(name);
    }
    expect(entries.some((e) => /^attestations\/.+\.dsse\.json$/.test(e)), 'the signed run is archived').toBe(true);

    const steps = archiveFile(run.out, 'steps.tsv').trim().split('\n').slice(1).map((l) => l.split('\t'));
    for (const [name, status] of steps) {
      // Only the SASS step may skip its work (no cuobjdump here); nothing fails or is cut off.
      expect(status, `step ${name}`).toBe('ok');
    }

    const result = JSON.parse(archiveFile(run.out, 'summary.json')) as {
      steps: { step: string }[];
      bandwidth: { name: string; trials: number }[];
      throughput: { available: boolean; trials: number }[];
      peer: { cases: { name: string; verified: boolean; available: boolean; runs: number }[] } | null;
      telemetry: { samples: number; reasonsActive: Record<string, number> } | null;
      targets: { id: string; status: string }[];
      libraries: { ok: boolean } | null;
    };
    expect(result.libraries?.ok).toBe(true);
    expect(result.bandwidth.map((k) => k.name)).toEqual(expect.arrayContaining(['read', 'write', 'copy', 'triad']));
    expect(result.throughput.some((t) => t.available && t.trials >= 10)).toBe(true);
    // The peer ran beside the bench and checked its results; FP8 needs a newer torch than Debian's.
    const peer = new Map(result.peer?.cases.map((c) => [c.name, c]));
    for (const name of ['bf16-matmul', 'd2d-copy', 'read-reduction', 'write-fill']) {
      expect(peer.get(name)?.verified, name).toBe(true);
      expect(peer.get(name)?.runs, name).toBeGreaterThanOrEqual(10);
    }
    expect(peer.has('fp8-scaled-matmul')).toBe(true);
    // The sampler ran through the call and was stopped.
    expect(result.telemetry?.samples).toBeGreaterThanOrEqual(2);
    expect(result.telemetry?.reasonsActive).toEqual({ sw_power_cap: result.telemetry?.samples });
    // Every target is named, none claimed on a CPU.
    expect(result.targets.map((t) => t.id)).toEqual([
      'dram-read', 'copy-vs-peer', 'wgmma-TF32', 'wgmma-FP16', 'wgmma-BF16', 'wgmma-FP8', 'wgmma-INT8', 'fp64-tensor', 'bf16-vs-peer',
    ]);
    expect(new Set(result.targets.map((t) => t.status))).toEqual(new Set(['not applicable']));
    expect(summary).toMatch(/^targets:$/m);
    expect(summary).toMatch(/peer \(PyTorch /);
  }, 240_000);

  it('stops at the deadline with the archive and summary written, and leaves no process behind', async () => {
    // The bandwidth worker hangs (test fault): the bench is cut off by the deadline, the rest is skipped.
    const budgetSeconds = 15;
    const run = await runCheck({ BUDGET_S: String(budgetSeconds), RESERVE_S: '5', TPPVERIFY_TEST_INJECT_FAULT: 'worker:bandwidth-hang' });
    expect(run.code, run.stdout).toBe(0);
    // The deadline is the whole call's; the slack covers the shell starting and this loaded machine.
    expect(run.seconds).toBeLessThan(budgetSeconds + 5);
    await expectNoLeftovers(run.marker);

    const files = readdirSync(run.out);
    expect(files.length).toBeLessThanOrEqual(MAX_OUT_FILES);
    expect(files.sort()).toEqual(['gpu-check.tar.gz', 'summary.txt']);
    const steps = new Map(archiveFile(run.out, 'steps.tsv').trim().split('\n').slice(1).map((l) => l.split('\t')).map((r) => [r[0], r]));
    expect(steps.get('bench')?.[1]).toBe('timeout');
    for (const name of ['peer', 'sweep', 'run']) {
      expect(steps.get(name)?.[1], name).toBe('skipped');
      expect(steps.get(name)?.[4], name).toMatch(/^deadline/);
    }
    const summary = readFileSync(path.join(run.out, 'summary.txt'), 'utf8');
    expect(summary).toMatch(/skipped \(the deadline\): .*peer.*run/);
    expect(summary).toMatch(/errors \(last lines of each failed step\):\n {2}bench:\n {4}timeout, rc 124/);
    expect(summary).toMatch(/telemetry: not sampled \(no nvidia-smi\)/);
    expect(run.stdout.trimEnd().endsWith(summary.trimEnd())).toBe(true);
    expect(existsSync(path.join(run.out, 'gpu-check.tar.gz.part'))).toBe(false);
  }, 120_000);
});
