// npm start signs with an ephemeral key: it must write the public half beside
// the attestation and print verify and report commands that work as printed.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-start-'));
/** Small arrays and short trials: the commands are under test here, not the figures. */
const SMALL = ['--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05'];

describe('npm start', () => {
  it('writes the ephemeral public key and prints verify and report commands that succeed as printed', async () => {
    const out = path.join(work, 'demo');
    const start = await execa('npm', ['start', '--silent', '--', ...SMALL, '--out', out], { cwd: root, reject: false, timeout: 300_000 });
    expect(start.exitCode, start.stderr).toBe(0);
    const verify = /^check it: +(.+)$/m.exec(start.stdout)?.[1];
    const report = /^read it: +(.+)$/m.exec(start.stdout)?.[1];
    expect(verify).toMatch(/^node dist\/harness\/cli\/main\.js verify \S+\.dsse\.pb --pubkey \S+\.pub\.pem$/);
    expect(report).toMatch(/^node dist\/harness\/cli\/main\.js report \S+\.dsse\.pb --pubkey \S+\.pub\.pem --html \S+\.html$/);
    const publicKey = /--pubkey (\S+)/.exec(verify!)![1]!;
    expect(readFileSync(publicKey, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(readFileSync(publicKey, 'utf8')).not.toMatch(/PRIVATE/);

    const verified = await execa('sh', ['-c', verify!], { cwd: root, reject: false });
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/VALID/);
    const reported = await execa('sh', ['-c', report!], { cwd: root, reject: false, timeout: 90_000 });
    expect(reported.exitCode, reported.stderr).toBe(0);
    const html = /--html (\S+)$/.exec(report!)![1]!;
    expect(existsSync(html)).toBe(true);
    // A trusted key verified the signature: no "not checked" banner on the page.
    expect(readFileSync(html, 'utf8')).not.toContain('SIGNATURES NOT CHECKED');
  });
});
