// The PyTorch peer on the CPU (Debian's torch): every case checks its result,
// and a case whose result is wrong reports no figure and fails the run.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const peer = path.resolve(import.meta.dirname, '..', 'peer', 'torch_peer.py');
const python = ['python3', '/usr/bin/python3'].find((p) => {
  try {
    execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
});

interface PeerCase {
  name: string;
  available: boolean;
  verified?: boolean;
  median?: number;
  runs?: number;
  spreadPercent?: number;
  error?: string;
  reason?: string;
}

function runPeer(env: Record<string, string> = {}) {
  const r = spawnSync(python ?? 'python3', [peer, '--device', 'cpu', '--quick'], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  const lines = r.stdout.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return { status: r.status, report: JSON.parse(lines[0]!) as { schema: string; torch: string; cases: PeerCase[] } };
}

describe('benchmarks/peer/torch_peer.py', () => {
  // One run (torch starts slowly): two cases made wrong, the others measured. The
  // device check's dry run (gpu-check.test.ts) measures all of them unharmed.
  it('reports no figure for a case whose result is wrong and exits 3; the others are measured and checked', () => {
    expect(python, 'install python3-torch (.ci/run does)').toBeDefined();
    const wrong = ['bf16-matmul', 'read-reduction'];
    const { status, report } = runPeer({ TPPVERIFY_PEER_TEST_FAULT: `peer:${wrong.join(',')}` });
    expect(status).toBe(3);
    expect(report.schema).toBe('tppverify.torch-peer.v1');
    for (const name of wrong) {
      const c = report.cases.find((x) => x.name === name);
      expect(c?.verified, name).toBe(false);
      expect(c?.median, name).toBeUndefined();
      expect(c?.error, name).toMatch(/^result check failed: /);
    }
    for (const name of ['d2d-copy', 'write-fill']) {
      const c = report.cases.find((x) => x.name === name);
      expect(c?.verified, name).toBe(true);
      expect(c?.runs, name).toBeGreaterThanOrEqual(10);
      expect(c?.median, name).toBeGreaterThan(0);
      expect(typeof c?.spreadPercent, name).toBe('number');
    }
    // Debian's torch 1.13 has no FP8: unavailable with the reason, not a failure.
    const fp8 = report.cases.find((x) => x.name === 'fp8-scaled-matmul');
    if (report.torch.startsWith('1.')) expect(fp8).toMatchObject({ available: false, reason: expect.stringMatching(/float8|_scaled_mm/) });
  }, 180_000);
});
