// The conventions a lab's tooling relies on, through the built CLI: --help
// with exit codes, environment and examples; --version; "-" for standard
// input and output; --fail-on; named levels recorded in the attestation;
// bench --csv; errors inside the JSON under --json.
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DECLARATION_JSON } from './attestation-fixture.js';
import { progressAllowed } from '../cli/io.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-conventions-'));
const BENCH = ['--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002'];
/** A run's sustained phase shortened too (a recorded deviation): the level's 60 s would dominate the suite. */
const SMALL = [...BENCH, '--sustained-seconds', '0.05'];
const h200 = path.join(root, 'harness', 'declaration', 'examples', 'h200-sxm.json');

function tppverify(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}) {
  return execa('node', [cli, ...args], { reject: false, timeout: 300_000, ...(options.input !== undefined ? { input: options.input } : {}), ...(options.env ? { env: options.env } : {}) });
}

const COMMANDS = ['devices', 'bench', 'tpp', 'keygen', 'run', 'verify', 'show', 'audit', 'report', 'lot', 'lot plan', 'lot certify', 'lot commit', 'lot draw', 'lot run', 'lot run-server', 'evidence', 'evidence verify'];

describe('--help', () => {
  it('the top-level help lists exactly the commands checked here', async () => {
    const help = (await tppverify(['--help'])).stdout;
    const listed = [...help.slice(help.indexOf('Commands:')).matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(listed.sort()).toEqual(COMMANDS.filter((c) => !c.includes(' ')).sort());
  });

  it.each(COMMANDS)('%s --help lists its exit codes, its environment and an example', async (command) => {
    const run = await tppverify([...command.split(' '), '--help']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/\nExit codes:\n {2}0 {2}\S/);
    expect(run.stdout).toMatch(/\n {2}2 {2}\S/);
    expect(run.stdout).toMatch(/\nEnvironment:\n {2}\S/);
    expect(run.stdout).toMatch(/\nExamples?:\n {2}\$ tppverify \S/);
  });

  it.each(['run', 'tpp', 'verify', 'show', 'report', 'audit', 'lot plan', 'lot certify'])("%s --help says where '-' stands for standard input", async (command) => {
    expect((await tppverify([...command.split(' '), '--help'])).stdout).toMatch(/'-' for\s+standard input/);
  });

  it('states the codes that differ per command, and marks required options', async () => {
    expect((await tppverify(['report', '--help'])).stdout).toMatch(/ 4 {2}headless Chromium is missing or could not print/);
    expect((await tppverify(['report', '--help'])).stdout).toMatch(/TPPVERIFY_CHROMIUM: /);
    expect((await tppverify(['run', '--help'])).stdout).toMatch(/ 5 {2}attestation written, and its outcome is one that --fail-on names/);
    expect((await tppverify(['verify', '--help'])).stdout).toMatch(/ 1 {2}a file does not verify/);
    expect((await tppverify(['lot', 'plan', '--help'])).stdout).toMatch(/--draw <file> +the draw from 'lot draw'/);
    expect((await tppverify(['audit', '--help'])).stdout).toMatch(/--device <id>[\s\S]*?\(required\)/);
    const missing = await tppverify(['lot', 'plan', 'm.json']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^tppverify: lot plan needs --draw \(from 'lot draw'\) or --nonce/);
  });
});

describe('--version', () => {
  it('prints the version, the commit, the built backends and the toolchains', async () => {
    const run = await tppverify(['--version']);
    expect(run.exitCode).toBe(0);
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(run.stdout).toMatch(new RegExp(`^tppverify ${version.replace(/\./g, '\\.')}\n`));
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    expect(run.stdout).toMatch(new RegExp(`\ncommit +${head}`));
    expect(run.stdout).toMatch(/\nbackends +cpu(, cuda)?(, hip)?\n/);
    expect(run.stdout).toMatch(/\ntoolchain +C\+\+ \S+ [\d.]+/);
  });
});

describe('"-" for standard input and output', () => {
  it('tpp - reads the declaration from standard input', async () => {
    const run = await tppverify(['tpp', '-', '--json'], { input: DECLARATION_JSON });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).declaration.product).toBe('H100 SXM5 80GB');
  });

  it('run --declaration - measures against a declaration from standard input; verify - and report - --html - read the file from standard input', async () => {
    const out = path.join(work, 'stdin-run');
    const run = await tppverify(['run', '--declaration', '-', '--out', out, '--json', ...SMALL], { input: readFileSync(h200) });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { attestation: string; publicKey: string };
    const bytes = readFileSync(result.attestation);
    const verified = await tppverify(['verify', '-', '--pubkey', result.publicKey], { input: bytes });
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^VALID/);
    const page = await tppverify(['report', '-', '--html', '-', '--pubkey', result.publicKey], { input: bytes });
    expect(page.exitCode, page.stderr).toBe(0);
    expect(page.stdout).toMatch(/^<!doctype html>/);
    expect(page.stdout).toContain('Test report: NVIDIA H200 SXM 141GB');
    const both = await tppverify(['report', result.attestation, '--html', '-', '--pdf', '-']);
    expect(both.exitCode).toBe(2);
  });

  it('lot plan - reads the manifest from standard input', async () => {
    const manifest = JSON.stringify({ lotId: 'L-1', exporter: 'ex', filingReference: 'F', declarationSha256: 'a'.repeat(64), units: [{ serial: 'S1', uuid: '', boardPartNumber: '' }, { serial: 'S2', uuid: '', boardPartNumber: '' }] });
    const run = await tppverify(['lot', 'plan', '-', '--nonce', '0011223344556677', '--sample', '1', '--json'], { input: manifest });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).sampled).toHaveLength(1);
  });
});

describe('progress', () => {
  it('only on a terminal whose TERM is not dumb, never under --json', () => {
    expect(progressAllowed(false, true, 'xterm-256color')).toBe(true);
    expect(progressAllowed(false, true, 'dumb')).toBe(false);
    expect(progressAllowed(false, false, 'xterm')).toBe(false);
    expect(progressAllowed(true, true, 'xterm')).toBe(false);
  });
  it('a bench whose stderr is a pipe draws no progress line', async () => {
    const run = await tppverify(['bench', ...BENCH, '--suite', 'bandwidth']);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).not.toMatch(/\r|\x1b\[/);
  });
});

describe('levels and --fail-on', () => {
  it('--level is recorded in the attestation with its deviations; --quick is its alias and cannot contradict it', async () => {
    const out = path.join(work, 'levels');
    const run = await tppverify(['run', '--declaration', h200, '--quick', '--out', out, '--json', ...SMALL]);
    expect(run.exitCode, run.stderr).toBe(0);
    const file = (JSON.parse(run.stdout) as { attestation: string }).attestation;
    const method = (JSON.parse((await tppverify(['show', file, '--json'])).stdout) as { statement: { predicate: { method: { level: string; quick: boolean; deviations: string[] } } } }).statement.predicate.method;
    expect(method.level).toBe('quick');
    expect(method.quick).toBe(true);
    expect(method.deviations.join('\n')).toMatch(/^quick level instead of standard/m);
    expect(method.deviations.join('\n')).toMatch(/set by --array-mib/);
    expect(method.deviations).toContain("a sustained phase of 0.05 s set by --sustained-seconds instead of the level's 2 s");
    const clash = await tppverify(['run', '--quick', '--level', 'long', ...SMALL]);
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr).toMatch(/--quick is --level quick: it cannot be given with --level long/);
    expect((await tppverify(['run', '--level', 'extreme', ...SMALL])).exitCode).toBe(2);
  });

  it('--fail-on exits 5 once the attestation is written when the outcome is named, 0 otherwise, 2 for an unknown outcome', async () => {
    const out = path.join(work, 'fail-on');
    // A CPU against the H200 declaration is inconclusive: nothing it measures reaches the declared rates.
    const hit = await tppverify(['run', '--declaration', h200, '--out', out, '--fail-on', 'under-declared,inconclusive', ...SMALL]);
    expect(hit.exitCode).toBe(5);
    expect(hit.stderr).toMatch(/outcome inconclusive: --fail-on under-declared,inconclusive \(exit 5; the attestation is written\)/);
    expect(readdirSync(out).filter((f) => f.endsWith('.dsse.pb'))).toHaveLength(1);
    // An inconclusive verdict confirms no eligibility: the summary says whose figures it rests on.
    expect(hit.stdout).toMatch(/2026 case-by-case eligible on the declared figures, not confirmed \(verdict inconclusive\)/);
    const miss = await tppverify(['run', '--declaration', h200, '--out', out, '--fail-on', 'under-declared', ...SMALL]);
    expect(miss.exitCode).toBe(0);
    const bad = await tppverify(['run', '--fail-on', 'failed', ...SMALL]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--fail-on takes outcomes separated by commas/);
  });
});

describe('bench --csv', () => {
  it("prints BabelStream's columns first, one row per bandwidth kernel, and the throughput rows", async () => {
    const run = await tppverify(['bench', ...BENCH, '--csv']);
    expect(run.exitCode, run.stderr).toBe(0);
    const [header, ...rows] = run.stdout.trim().split('\n');
    expect(header!.split(',').slice(0, 8)).toEqual(['function', 'num_times', 'n_elements', 'sizeof', 'max_mbytes_per_sec', 'min_runtime', 'max_runtime', 'avg_runtime']);
    const bandwidth = rows.filter((r) => r.split(',')[8] === 'bandwidth');
    expect(bandwidth.map((r) => r.split(',')[0])).toEqual(['read', 'write', 'copy', 'scale', 'add', 'triad', 'memcpy']);
    for (const row of bandwidth) {
      const cells = row.split(',');
      expect(Number(cells[1])).toBeGreaterThanOrEqual(10);
      expect(Number(cells[3])).toBe(8);
      expect(Number(cells[4])).toBeGreaterThan(0);
      expect(Number(cells[5])).toBeLessThanOrEqual(Number(cells[7]));
      expect(Number(cells[7])).toBeLessThanOrEqual(Number(cells[6]));
    }
    expect(rows.some((r) => r.startsWith('FP64,') && r.includes(',throughput,'))).toBe(true);
    expect((await tppverify(['bench', '--csv', '--json', ...BENCH])).exitCode).toBe(2);
  });
});

describe('errors under --json', () => {
  it('stdout carries one JSON error object and stderr the one line', async () => {
    const run = await tppverify(['tpp', path.join(work, 'missing.json'), '--json']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toEqual({ schema: 'tppverify.error.v1', error: { kind: 'input', exitCode: 2, message: expect.stringMatching(/missing\.json: no such file or folder$/) } });
    const unknown = await tppverify(['devices', '--json', '--frobnicate']);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { kind: 'usage', exitCode: 2, message: "unknown option '--frobnicate'" } });
    const plain = await tppverify(['tpp', path.join(work, 'missing.json')]);
    expect(plain.stdout).toBe('');
  });
});
