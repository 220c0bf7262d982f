// The run plan end to end: real CPU runs follow the plan their nonce gives and
// verify; a signed attestation whose nonce, plan or measurement order was
// changed (and re-signed by the trusted key) fails the one verification.
import { codeVariantsOf } from '../../../benchmarks/registry.js';
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

  it('refuses a re-signed attestation whose code variant, array size or stream scalar was changed', () => {
    const variant = fixtureStatement();
    (variant.predicate.measurements.throughput[0] as { variant: number }).variant = 1;
    expect(reasons(variant)).toMatch(/throughput case FP16\/sim ran code variant 1; the plan asks variant 0/);
    const kernelVariant = fixtureStatement();
    (kernelVariant.predicate.measurements.bandwidth?.kernels[0] as { variant: number }).variant = 2;
    expect(reasons(kernelVariant)).toMatch(/bandwidth kernel triad ran code variant 2; the plan asks variant 0/);

    // Larger arrays, with the byte model kept consistent: only the plan can tell.
    const size = fixtureStatement();
    const bw = size.predicate.measurements.bandwidth;
    if (!bw) throw new Error('the fixture has a bandwidth record');
    bw.arrayBytes += 64 * 2 ** 20;
    for (const k of bw.kernels) {
      k.elements = bw.arrayBytes / 8;
      k.bytesReadPerTrial = 2 * bw.arrayBytes;
      k.bytesWrittenPerTrial = bw.arrayBytes;
    }
    expect(reasons(size)).toMatch(/bandwidth arrays of 1140850688 bytes are not the plan's 1073741824/);

    const scalar = fixtureStatement();
    (scalar.predicate.measurements.bandwidth as { streamScalar: number }).streamScalar = 3;
    expect(reasons(scalar)).toMatch(/stream scalar 3; the plan asks 4.75/);

    const block = fixtureStatement();
    (block.predicate.measurements.bandwidth as { threadsPerBlock: number }).threadsPerBlock = 256;
    expect(reasons(block)).toMatch(/ran 256 threads per block; the plan asks 512/);

    // Kernels compiled at run time under a name other than the plan's.
    const named = fixtureStatement();
    (named.predicate.measurements.bandwidth as { runtimeCompilation: string }).runtimeCompilation =
      'NVRTC 13.0 (libnvrtc.so.13): tppv_00000000_copy and tppv_00000000_triad compiled at run time for sm_90 (unroll 4); read and write compiled in';
    expect(reasons(named)).toMatch(/the run-time compiled kernels are not named tppv_[0-9a-f]{8}/);

    const plan = fixtureStatement();
    if (!plan.predicate.plan) throw new Error('the fixture has a plan');
    plan.predicate.plan.arraySizeFactorPercent = 120;
    expect(reasons(plan)).toMatch(/arraySizeFactorPercent is not what the nonce gives/);
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
      // The CPU ran the code variant and stream scalar the plan drew for each kernel and format.
      // The second method (memcpy, OpenBLAS) is one code path: variant 0.
      expect(seq.bandwidthKernels.map((k) => k.variant)).toEqual(kernels.map((k) => plan.variant('bandwidth', k, codeVariantsOf('cpu', 'bandwidth', k))));
      expect(seq.throughputCases.filter((c) => c.available).every((c) => c.variant === (c.library ? 0 : plan.variant('throughput', c.format, 3)))).toBe(true);
      expect(seq.bandwidth?.streamScalar).toBe(plan.streamScalar());
      for (const c of seq.throughputCases.filter((x) => x.available)) {
        expect(c.operandSeed, `${c.format}/${c.engine}`).toBe(c.format === 'FP16' || c.engine === 'amx' || c.library ? 0 : plan.operandSeed('cpu'));
      }
      expect(statement.predicate.measurements.bandwidth?.runtimeCompilation).toBe('not applicable (CPU backend)');
      const verified = await execa(process.execPath, [cli, 'verify', file, '--pubkey', `${path.dirname(file)}/${path.basename(file, '.dsse.pb')}.pub.pem`], { reject: false });
      expect(verified.exitCode, verified.stdout).toBe(0);
    }
    expect(a.statement.predicate.plan).not.toEqual(b.statement.predicate.plan);
  });
});
