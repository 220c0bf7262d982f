// `tppverify evidence verify` as a user runs it, on the public samples' hex
// report and PEM chain forms (attestations/spdm/test/fixtures/NOTICE).
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const fixtures = path.join(root, 'attestations', 'spdm', 'test', 'fixtures');
const NVTRUST = {
  report: path.join(fixtures, 'nvtrust-hopperAttestationReport.txt'),
  chain: path.join(fixtures, 'nvtrust-hopperCertChain.txt'),
  nonce: '931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb',
};
const SDK = {
  report: path.join(fixtures, 'attestation-sdk-evidence_hopper_590_12.report.hex'),
  chain: path.join(fixtures, 'attestation-sdk-evidence_hopper_590_12.chain.pem'),
  nonce: 'e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576',
};

function evidence(args: string[]) {
  return execa('node', [cli, 'evidence', 'verify', ...args], { reject: false, timeout: 60_000 });
}

describe('tppverify evidence verify', () => {
  for (const [name, sample] of Object.entries({ nvtrust: NVTRUST, sdk: SDK })) {
    it(`${name}: exit 0 with every signed field marked hardware-attested`, async () => {
      const run = await evidence(['--report', sample.report, '--certificates', sample.chain, '--nonce', sample.nonce]);
      expect(run.stderr).toBe('');
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(/^VALID: /);
      expect(run.stdout).toMatch(/pdi +0x[0-9a-f]{16} +\[hardware-attested\]/);
      expect(run.stdout).toMatch(/vbiosVersion +96\.00\.[0-9a-f]{2}\.00\.01 +\[hardware-attested\]/);
    });
  }

  it('--json prints one object; a wrong nonce exits 1', async () => {
    const wrong = NVTRUST.nonce.replace(/^9/, '8');
    const run = await evidence(['--report', NVTRUST.report, '--certificates', NVTRUST.chain, '--nonce', wrong, '--json']);
    expect(run.exitCode).toBe(1);
    const parsed = JSON.parse(run.stdout) as { valid: boolean; problems: string[]; nonceChecked: boolean };
    expect(parsed.valid).toBe(false);
    expect(parsed.nonceChecked).toBe(true);
    expect(parsed.problems.join(' ')).toMatch(/nonce/);
  });

  it("a swapped chain (the other GPU's) exits 1", async () => {
    const run = await evidence(['--report', NVTRUST.report, '--certificates', SDK.chain]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/signature does not verify/);
  });

  it('one flipped bit in the hex report exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tppverify-evidence-'));
    const hex = readFileSync(NVTRUST.report, 'utf8').trim();
    const flipped = hex.slice(0, 200) + (parseInt(hex[200]!, 16) ^ 1).toString(16) + hex.slice(201);
    writeFileSync(path.join(dir, 'report.hex'), flipped);
    const run = await evidence(['--report', path.join(dir, 'report.hex'), '--certificates', NVTRUST.chain]);
    expect(run.exitCode).toBe(1);
  });

  it('a foreign --root exits 1: the pinned root comes from the verifier, never from the evidence', async () => {
    const run = await evidence(['--report', NVTRUST.report, '--certificates', NVTRUST.chain, '--root', path.join(fixtures, 'nvtrust-verifier_RIM_root.pem')]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/does not end at a pinned root/);
  });

  it('the published root given as --root verifies', async () => {
    const run = await evidence(['--report', NVTRUST.report, '--certificates', NVTRUST.chain, '--root', path.join(fixtures, 'nvtrust-verifier_device_root.pem')]);
    expect(run.exitCode).toBe(0);
  });

  it('--rim checks a reference manifest offline: valid inside its certificates\' window (--at), invalid after the signer expired', async () => {
    const rim = path.join(fixtures, 'nvtrust-g520_0200_885_9600740001_PROD.swidtag');
    const inWindow = await evidence(['--report', NVTRUST.report, '--certificates', NVTRUST.chain, '--rim', rim, '--at', '2024-06-01T00:00:00Z', '--json']);
    expect(inWindow.exitCode, inWindow.stdout).toBe(0);
    const parsed = JSON.parse(inWindow.stdout) as { referenceManifests: { valid: boolean; applies: boolean; colloquialVersion: string }[] };
    // The sample manifest is for VBIOS 96.00.74.00.01, the report's VBIOS is 96.00.9f.00.01: checked, not compared.
    expect(parsed.referenceManifests).toEqual([expect.objectContaining({ valid: true, applies: false, colloquialVersion: '96.00.74.00.01' })]);
    const expired = await evidence(['--report', NVTRUST.report, '--certificates', NVTRUST.chain, '--rim', rim, '--at', '2026-01-01T00:00:00Z']);
    expect(expired.exitCode).toBe(1);
    expect(expired.stdout).toMatch(/HCC RIM L4 Signer\) is not valid at 2026-01-01/);
    expect((await evidence(['--report', NVTRUST.report, '--certificates', NVTRUST.chain, '--at', 'yesterday'])).exitCode).toBe(2);
  });

  it('unreadable input exits 2 with one line: a missing file, text that is not hex, a bad nonce', async () => {
    for (const args of [
      ['--report', path.join(fixtures, 'missing.hex'), '--certificates', NVTRUST.chain],
      ['--report', path.join(fixtures, 'NOTICE'), '--certificates', NVTRUST.chain],
      ['--report', NVTRUST.report, '--certificates', path.join(fixtures, 'NOTICE')],
      ['--report', NVTRUST.report, '--certificates', NVTRUST.chain, '--nonce', 'xyz'],
    ]) {
      const run = await evidence(args);
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^tppverify: /);
    }
  });
});
