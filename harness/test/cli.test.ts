// The built CLI as a user runs it: exit codes, one-line errors, and exactly
// one JSON object under --json.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');

function tppverify(args: string[], env: Record<string, string> = {}) {
  return execa('node', [cli, ...args], { reject: false, env: { ...env }, timeout: 120_000 });
}

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm install' (it builds the TypeScript)`);
});

describe('tppverify devices', () => {
  it('--json prints one object listing every backend, the CPU with its device', async () => {
    const run = await tppverify(['devices', '--json']);
    expect(run.exitCode).toBe(0);
    const parsed = JSON.parse(run.stdout) as { backends: { backend: string; devices: { id: string }[]; reason: string }[] };
    expect(parsed.backends.map((b) => b.backend)).toEqual(['cpu', 'cuda', 'hip']);
    expect(parsed.backends[0]!.devices[0]!.id).toBe('cpu');
  });

  it('says why a GPU backend has no device', async () => {
    const run = await tppverify(['devices']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^cpu {2}/m);
    expect(run.stdout).toMatch(/^cuda: (no device|not built): .+/m);
  });
});

describe('tppverify bench', () => {
  it('--format measures only the formats named, and refuses one the device lacks', async () => {
    const run = await tppverify(['bench', '--device', 'cpu', '--suite', 'throughput', '--format', 'FP64', '--seconds-per-trial', '0.005', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const formats = JSON.parse(run.stdout).throughput.map((t: { format: string }) => t.format);
    expect(formats.length).toBeGreaterThan(0);
    expect(new Set(formats)).toEqual(new Set(['FP64']));
    const none = await tppverify(['bench', '--device', 'cpu', '--suite', 'throughput', '--format', 'FP9', '--seconds-per-trial', '0.005']);
    expect(none.exitCode).toBe(2);
    expectOneLineError(none.stderr, /^tppverify: cpu has no throughput case for FP9/);
  });

  it('--json prints exactly one JSON object with the documented fields', async () => {
    const run = await tppverify(['bench', '--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.005', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(run.stdout);
    expect(report.device.id).toBe('cpu');
    expect(report.bandwidth.kernels.map((k: { name: string }) => k.name)).toEqual([
      'read', 'write', 'copy', 'scale', 'add', 'triad', 'memcpy',
    ]);
    for (const k of report.bandwidth.kernels) {
      expect(k.trials).toBeGreaterThanOrEqual(10);
      expect(k.bytesPerTrial).toBeGreaterThan(0);
      for (const field of ['median', 'best', 'min', 'max']) expect(k.gbps[field]).toBeGreaterThan(0);
      expect(k.gbps.values).toHaveLength(k.trials);
    }
    expect(report.bandwidth.belowSizingRule).toBe(true);
    const fp64 = report.throughput.find((t: { format: string }) => t.format === 'FP64');
    expect(fp64.available).toBe(true);
    for (const field of ['engine', 'opsPerClockPerUnit', 'clockMhz', 'units']) expect(fp64[field]).toBeDefined();
    expect(fp64.tops.median).toBeGreaterThan(0);
    expect(fp64.tops.best).toBeGreaterThanOrEqual(fp64.tops.median);
  });

  it('prints a table by default, with a cache warning for arrays below the sizing rule', async () => {
    const run = await tppverify(['bench', '--device', 'cpu', '--suite', 'bandwidth', '--array-mib', '4']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^triad\s+\S+\s+[\d,.]+/m);
    expect(run.stdout).toMatch(/WARNING: arrays are smaller than the sizing rule/);
    expect(run.stdout).not.toMatch(/Peak throughput/);
  });

  it.each([
    [['bench', '--device', 'gpu7'], /unknown device id 'gpu7'/],
    [['bench', '--suite', 'memory'], /--suite .*'memory' is invalid/],
    [['bench', '--array-mib', 'lots'], /--array-mib must be a positive number, not 'lots'/],
    [['bench', '--array-mib', '-4'], /--array-mib must be a positive number/],
    [['bench', '--trials', '3'], /--trials must be an integer of at least 10/],
    [['bench', '--trials', '100000'], /--trials must be at most 10000/],
    [['bench', '--array-mib', '0x4'], /--array-mib must be a positive number, not '0x4'/],
    [['bench', '--seconds-per-trial', '1e9'], /--seconds-per-trial must be at most 60/],
    [['run', '--phase-timeout', '1e9'], /--phase-timeout must be at most 86400/],
    [['tpp', 'x.json', '--observed-clock-mhz', '1e-300'], /--observed-clock-mhz must be at least 1/],
    [['bench', '--suite', 'bandwidth', '--format', 'FP16'], /--format applies to the throughput suite/],
    [['bench', '--format', ''], /--format needs a format name/],
    [['bench', '--device', 'cpu', '--suite', 'bandwidth', '--array-mib', '1000000'], /three arrays of \d+ bytes exceed 75% of the \d+ bytes of host memory/],
    [['bench', '--frobnicate'], /unknown option '--frobnicate'/],
    [['launch'], /unknown command 'launch'/],
  ])('exits 2 with one line for bad input %j', async (args, message) => {
    const run = await tppverify(args);
    expect(run.exitCode).toBe(2);
    expectOneLineError(run.stderr, message);
    expect(run.stdout).toBe('');
  });

  it('exits 3 with the reason when the device is absent', async () => {
    const listing = JSON.parse((await tppverify(['devices', '--json'])).stdout);
    const cuda = listing.backends.find((b: { backend: string }) => b.backend === 'cuda');
    if (cuda.devices.length > 0) return; // a machine with a GPU: nothing to refuse
    const run = await tppverify(['bench', '--device', 'cuda:0']);
    expect(run.exitCode).toBe(3);
    expectOneLineError(run.stderr, /^tppverify: cuda:0: .+/);
  });

  it('exits 3 naming the kernel when a kernel returns a wrong result, and prints no figures', async () => {
    const run = await tppverify(['bench', '--device', 'cpu', '--suite', 'bandwidth', '--array-mib', '4', '--json'], {
      TPPVERIFY_TEST_INJECT_FAULT: 'bandwidth:copy',
    });
    expect(run.exitCode).toBe(3);
    expectOneLineError(run.stderr, /^tppverify: copy: result verification failed/);
    // Under --json the error is the one object on stdout; no figures.
    expect(JSON.parse(run.stdout)).toMatchObject({ schema: 'tppverify.error.v1', error: { kind: 'measurement', exitCode: 3, message: expect.stringMatching(/^copy: result verification failed/) } });
    expect(run.stdout).not.toMatch(/gbps/);
  });

  it('exits 3 naming the format when a throughput kernel returns a wrong result', async () => {
    const run = await tppverify(['bench', '--device', 'cpu', '--suite', 'throughput', '--seconds-per-trial', '0.002'], {
      TPPVERIFY_TEST_INJECT_FAULT: 'throughput:FP32/avx512',
    });
    const fp32 = JSON.parse((await tppverify(['devices', '--json'])).stdout).backends[0].devices[0].attributes.find(
      (a: { key: string }) => a.key === 'isaFeatures',
    );
    if (!fp32.value.includes('avx512f')) return; // no AVX-512 engine to corrupt on this host
    expect(run.exitCode).toBe(3);
    expectOneLineError(run.stderr, /^tppverify: FP32\/avx512: result verification failed/);
  });

  it('exits 3 naming the library case when the second method (OpenBLAS) returns a wrong GEMM: it fails, it never scores', async () => {
    const run = await tppverify(['bench', '--device', 'cpu', '--suite', 'throughput', '--format', 'FP64', '--seconds-per-trial', '0.002'], {
      TPPVERIFY_TEST_INJECT_FAULT: 'throughput:FP64/openblas',
    });
    expect(run.exitCode).toBe(3);
    expectOneLineError(run.stderr, /^tppverify: FP64\/openblas: result verification failed: \d+ accumulator elements differ/);
  });

  it('a library that cannot be loaded is an unavailable case naming the loader\'s message, not a silent absence', async () => {
    const run = await tppverify(['bench', '--device', 'cpu', '--suite', 'throughput', '--format', 'FP64', '--seconds-per-trial', '0.002', '--json'], {
      TPPVERIFY_TEST_OPENBLAS_SONAME: 'libopenblas-absent.so.0',
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const library = JSON.parse(run.stdout).throughput.find((c: { engine: string }) => c.engine === 'openblas');
    expect(library).toMatchObject({ format: 'FP64', method: 'library', available: false });
    expect(library.unavailableReason).toMatch(/^dlopen libopenblas-absent\.so\.0: .*cannot open shared object file/);
  });

  it('--help exits 0 and documents every option', async () => {
    const run = await tppverify(['bench', '--help']);
    expect(run.exitCode).toBe(0);
    for (const flag of ['--device', '--suite', '--quick', '--json']) expect(run.stdout).toContain(flag);
  });
});

describe('tppverify tpp', () => {
  const example = (name: string) => path.join(root, 'harness', 'declaration', 'examples', `${name}.json`);

  it('--json prints the evaluation with every documented field', async () => {
    const run = await tppverify(['tpp', example('h200-sxm'), '--json', '--observed-clock-mhz', '1755']);
    expect(run.exitCode, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(Math.abs(r.tpp - 15832) / 15832).toBeLessThan(0.001);
    expect(r.tppFormat).toBe('FP8');
    expect(Object.keys(r.tppByFormat)).toContain('FP16');
    expect(r.tppAtSpecClock).toBeGreaterThan(15800);
    expect(r.tppAtMaxClock).toBeGreaterThan(17000);
    expect(r.tppAtObservedClock).toBeGreaterThan(15000);
    expect(r.performanceDensity).toBeCloseTo(15831.2 / 814, 1);
    expect(r.eccn3a090).toBe('3A090.a.1');
    expect(r.caseByCase2026).toMatchObject({ eligible: true });
    expect(r.caseByCase2026.tppMargin).toBeGreaterThan(5000);
    expect(r.caseByCase2026.dramBandwidthMarginGbps).toBe(1700);
    expect(r.caseByCase2026.reasons.length).toBeGreaterThan(0);
  });

  it('exits 0 for a chip that is not eligible, and says why', async () => {
    const run = await tppverify(['tpp', example('b200')]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Case-by-case review .*: NOT eligible/);
    expect(run.stdout).toMatch(/TPP 36,000 is not below 21,000/);
  });

  it('gives null for the clocks it cannot evaluate', async () => {
    const r = JSON.parse((await tppverify(['tpp', example('mi325x'), '--json'])).stdout);
    expect(r.tppAtMaxClock).toBeNull();
    expect(r.tppAtObservedClock).toBeNull();
    expect(r.performanceDensity).toBeNull();
  });

  it('exits 2 with one line naming the field for a bad declaration', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'tppverify-cli-')), 'bad-format.json');
    const good = JSON.parse(readFileSync(example('h100-sxm'), 'utf8'));
    good.peakDenseTops.FP9 = 1;
    writeFileSync(file, JSON.stringify(good));
    const run = await tppverify(['tpp', file]);
    expect(run.exitCode).toBe(2);
    expectOneLineError(run.stderr, /^tppverify: declaration .*bad-format\.json: peakDenseTops\.FP9: unknown format/);
  });

  it('exits 2 for a missing file and for a bad clock', async () => {
    const missing = await tppverify(['tpp', '/nonexistent/declaration.json']);
    expect(missing.exitCode).toBe(2);
    expectOneLineError(missing.stderr, /cannot read declaration \/nonexistent\/declaration\.json: no such file or folder/);
    const clock = await tppverify(['tpp', example('h100-sxm'), '--observed-clock-mhz', 'fast']);
    expect(clock.exitCode).toBe(2);
    expectOneLineError(clock.stderr, /--observed-clock-mhz must be a positive number, not 'fast'/);
  });
});
