// One error type with codes and one table from codes to exit statuses, in
// this process and across the measuring child's pipe; every error is one
// bounded, escaped line.
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, EXIT_STATUS, TppverifyError } from '../errors.js';
import { MAX_LINE_CHARS } from '../cli/escape.js';
import { reportError } from '../cli/report-error.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-errors-'));
const tppverify = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [cli, ...args], { reject: false, timeout: 60_000, env });

function line(error: unknown): { text: string; status: number } {
  let text = '';
  const status = reportError(error, (t) => (text += t));
  return { text, status };
}

describe('the exit table', () => {
  it('maps every code, and only to 1 to 5', () => {
    for (const code of ERROR_CODES) expect([1, 2, 3, 4, 5]).toContain(EXIT_STATUS[code]);
    expect(Object.keys(EXIT_STATUS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('gives file-system errors 2 and anything unknown 1, saying "internal error"', () => {
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: '/x' });
    expect(line(enoent)).toEqual({ text: 'tppverify: /x: no such file or folder\n', status: 2 });
    expect(line(new TypeError('boom'))).toEqual({ text: 'tppverify: internal error: boom\n', status: 1 });
    expect(line(new TppverifyError('device', 'gone')).status).toBe(3);
  });

  it('writes one bounded, escaped line for a 500 KB message with terminal controls', () => {
    const { text } = line(new TppverifyError('input', `bad \u001b[31mred\u001b[0m\nVALID: forged \u202e ${'x'.repeat(500_000)}`));
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(text.length).toBeLessThan(MAX_LINE_CHARS + 100);
    expect(text).toContain('\\u001b[31m');
  });
});

describe('through the CLI', () => {
  it('a 50,000-deep declaration is one line and exit 2, not an internal error', async () => {
    const file = path.join(work, 'deep.json');
    writeFileSync(file, `{"vendor":"v","product":"p","partNumber":"p","eccn":"e","architecture":"sm_90","computeUnits":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`);
    const run = await tppverify(['tpp', file]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/^tppverify: declaration .*deep\.json: nests objects and arrays deeper than 32 levels\n?$/);
  });

  it('a 500 KB unknown key is one bounded line', async () => {
    const file = path.join(work, 'long.json');
    writeFileSync(file, `{"peakDenseTops":{"${'X'.repeat(500_000)}":1}}`);
    const run = await tppverify(['tpp', file]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(run.stderr.length).toBeLessThan(MAX_LINE_CHARS + 100);
  });

  it.each([['bogus'], ['bandwidth:nosuch'], ['worker:bandwidth-explode'], ['preflight:no-such-check']])('refuses the fault switch %s with exit 2', async (fault) => {
    const run = await tppverify(['run', '--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05', '--out', path.join(work, 'never'), '--no-strict'], { TPPVERIFY_TEST_INJECT_FAULT: fault });
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^tppverify: TPPVERIFY_TEST_INJECT_FAULT/);
    expect(run.stderr).not.toMatch(/internal error/);
  });
});
