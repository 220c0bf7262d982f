// The run plan end to end: real CPU runs follow the plan their nonce gives and
// verify; a signed attestation whose nonce, plan or measurement order was
// changed (and re-signed by the trusted key) fails the one verification.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../../attestations/dsse.js';
import { ephemeralSigningKey } from '../../../attestations/keys.js';
import { decodeStatement, type Statement } from '../../../attestations/statement.js';
import { fixtureStatement, signedFixture } from '../../test/attestation-fixture.js';
import { verifyDocumentBytes } from '../../verify/document.js';
import { measuredSequence, RunPlan } from '../run-plan.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-plan-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const key = ephemeralSigningKey();
const trust = { keys: new Map([[key.keyId, key.publicKey]]), threshold: 1 };
const reasons = (statement: Statement) => verifyDocumentBytes(signedFixture(key, statement), trust).reasons.join('\n');

describe('the run plan in the one verification', () => {
  it('accepts the fixture, which follows the plan of its nonce', () => {
    expect(verifyDocumentBytes(signedFixture(key), trust).valid).toBe(true);
  });

  it('refuses a re-signed attestation whose nonce was changed', () => {
    const s = fixtureStatement();
    s.predicate.nonce = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
    expect(reasons(s)).toMatch(/run plan|the nonce orders/);
  });

  it('refuses measurements out of plan order, and a record without a plan', () => {
    const reordered = fixtureStatement();
    reordered.predicate.measurements.throughput.reverse();
    expect(reasons(reordered)).toMatch(/throughput formats ran as FP8, FP16; the nonce orders them FP16, FP8/);
    const planless = fixtureStatement();
    planless.predicate.plan = null;
    expect(reasons(planless)).toMatch(/records no run plan/);
  });
});

describe('real runs on the CPU', () => {
  const run = async (nonce: string) => {
    const out = path.join(work, nonce);
    const result = await execa(process.execPath, [cli, 'run', '--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05', '--no-strict', '--nonce', nonce, '--out', out, '--json'], { reject: false, timeout: 180_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const file = (JSON.parse(result.stdout) as { attestation: string }).attestation;
    return { file, statement: decodeStatement(decodeEnvelope(readFileSync(file)).payload) };
  };

  it('follow the plans of their nonces, record different plans, and both verify', async () => {
    const a = await run('0123456789abcdef0123456789abcdef');
    const b = await run('fedcba9876543210fedcba9876543210');
    for (const { file, statement } of [a, b]) {
      const plan = new RunPlan(statement.predicate.nonce);
      const seq = measuredSequence(statement.predicate.measurements);
      const kernels = seq.bandwidthKernels.map((k) => k.name);
      expect(kernels).toEqual(plan.order('bandwidth', kernels));
      expect(seq.bandwidthKernels.every((k) => k.trials === plan.trials('bandwidth'))).toBe(true);
      const verified = await execa(process.execPath, [cli, 'verify', file, '--pubkey', `${path.dirname(file)}/${path.basename(file, '.dsse.pb')}.pub.pem`], { reject: false });
      expect(verified.exitCode, verified.stdout).toBe(0);
    }
    expect(a.statement.predicate.plan).not.toEqual(b.statement.predicate.plan);
  });
});
