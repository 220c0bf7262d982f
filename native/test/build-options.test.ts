// The CMake switches: asking for a backend whose compiler is missing fails the
// configure step with a message naming that compiler. Configure only, no build.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'tppverify-cmake-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let toolBin: string | undefined;

/** A folder of links to the host toolchain, holding neither nvcc nor hipcc. */
async function pathWithoutGpuCompilers(): Promise<string> {
  if (toolBin) return toolBin;
  const bin = path.join(scratch, 'bin');
  mkdirSync(bin);
  for (const tool of ['cmake', 'node', 'c++', 'g++', 'gcc', 'cc', 'ld', 'as', 'ar', 'ranlib', 'make', 'ninja']) {
    const found = await execa('sh', ['-c', `command -v ${tool}`], { reject: false });
    if (found.exitCode === 0 && found.stdout) symlinkSync(found.stdout.trim(), path.join(bin, tool));
  }
  toolBin = bin;
  return bin;
}

async function configure(name: string, env: Record<string, string>, defines: string[] = []) {
  const bin = await pathWithoutGpuCompilers();
  return execa('cmake', ['-S', root, '-B', path.join(scratch, name), ...defines], {
    reject: false,
    extendEnv: false,
    env: { HOME: process.env['HOME'] ?? '/root', PATH: `${bin}:/usr/bin:/bin`, ...env },
  });
}

describe('backend switches', () => {
  it('TPPVERIFY_CUDA=ON without nvcc fails, naming nvcc', async () => {
    const run = await configure('cuda-on', { TPPVERIFY_CUDA: 'ON', TPPVERIFY_HIP: 'OFF' });
    // nvcc may live in /usr/bin on some hosts: then there is nothing to refuse.
    if (/Looking for a CUDA compiler - \//.test(run.stdout)) return;
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/TPPVERIFY_CUDA=ON but no CUDA compiler \(nvcc\) was found/);
  });

  it('TPPVERIFY_HIP=ON without hipcc fails, naming hipcc', async () => {
    const run = await configure('hip-on', { TPPVERIFY_CUDA: 'OFF', TPPVERIFY_HIP: 'ON' }, [
      '-DTPPVERIFY_HIPCC=/nonexistent/hipcc',
    ]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/TPPVERIFY_HIP=ON but no HIP compiler \(hipcc\) was found/);
  });

  it('rejects a switch value other than AUTO, ON or OFF', async () => {
    const run = await configure('bad-value', { TPPVERIFY_CUDA: 'maybe', TPPVERIFY_HIP: 'OFF' });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/TPPVERIFY_CUDA must be AUTO, ON or OFF, not 'MAYBE'/);
  });

  it('configures with every GPU backend OFF', async () => {
    const run = await configure('all-off', { TPPVERIFY_CUDA: 'OFF', TPPVERIFY_HIP: 'OFF' });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/tppverify backends: cpu=ON cuda=OFF hip=OFF/);
  });
});
