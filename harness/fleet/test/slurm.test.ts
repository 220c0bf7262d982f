// `lot run --scheduler slurm` through a real Slurm cluster on loopback (four
// 8-GPU servers with fake GPU device nodes), with CPU runs standing in for
// GPU runs (TPPVERIFY_TEST_STAND_IN=cpu: every such attestation says so and
// is inconclusive). A node set DOWN while its job runs requeues the job; a
// unit whose run fails is reported with its reason and listed in the
// certificate, never dropped; a rerun measures only what is missing.
import { execa, type ResultPromise } from 'execa';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPUS_PER_NODE, jobFields, nodeNames, processesUnder, startLoopbackCluster, type LoopbackCluster } from '../loopback-cluster.js';

const NODES = nodeNames(4);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-lot-slurm-'));
const keys = path.join(work, 'keys');
const manifestFile = path.join(work, 'manifest.json');
const declaration = path.join(work, 'declaration.json');
const drawFile = path.join(work, 'draw.json');
const out = path.join(work, 'lot');
const SAMPLE = 8;
/** Smallest honest unit run: every check runs; the figures mean nothing (and the stand-in says so). */
const QUICK = ['--quick', '--array-mib', '1', '--seconds-per-trial', '0.01', '--sustained-seconds', '0.05'];
/** A test checkout may be dirty (tree-clean fails): record it rather than refuse, as `run --no-strict` does. */
const NO_STRICT = ['--no-strict'];
/** The whole lot, two runs of it and a requeue, on 2 shared cores. */
const LOT_TIMEOUT_MS = 420_000;

let cluster: LoopbackCluster;
let failing = '';
const tppverify = (args: string[], env: Record<string, string> = {}) => execa('node', [cli, ...args], { reject: false, env: { ...cluster.env, ...env }, timeout: LOT_TIMEOUT_MS });

interface LotRunJson {
  jobs: { host: string; jobId: string; state: string; exitCode: string; restarts: number; units: string[] }[];
  units: { serial: string; host: string; status: string; attestation: string; reason: string }[];
  certificate: string;
  outcome: string;
  reasons: string[];
}

beforeAll(async () => {
  cluster = await startLoopbackCluster();
  copyFileSync(path.join(root, 'harness', 'declaration', 'examples', 'h200-sxm.json'), declaration);
  const declarationSha256 = createHash('sha256').update(readFileSync(declaration)).digest('hex');
  // Four servers of eight GPUs each; serials only, so units are found by serial.
  const units = NODES.flatMap((host, h) => Array.from({ length: GPUS_PER_NODE }, (_, g) => ({ serial: `1654922${h}${String(g).padStart(5, '0')}`, host, pciBusId: `0000:${(0x18 + g * 0x10).toString(16)}:00.0` })));
  writeFileSync(manifestFile, JSON.stringify({ lotId: 'LOT-FLEET-1', exporter: 'Example', declarationSha256, units }));
  expect((await tppverify(['keygen', '--out', keys])).exitCode).toBe(0);
  const parties = path.join(work, 'parties');
  for (const [party, role] of [['lab', 'lab'], ['bis', 'bis']] as const) expect((await tppverify(['lot', 'commit', manifestFile, '--party', party, '--role', role, '--out', parties])).exitCode).toBe(0);
  const draw = await tppverify(['lot', 'draw', manifestFile, '--out', drawFile, ...['lab', 'bis'].flatMap((p) => ['--commitment', path.join(parties, `${p}.commitment.json`), '--reveal', path.join(parties, `${p}.reveal.json`)])]);
  expect(draw.exitCode, draw.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await cluster?.stop([work]);
  // Every process this test started is gone, the job steps and their unit runs too.
  if (cluster) expect([...processesUnder(cluster.dir), ...processesUnder(work)]).toEqual([]);
}, 60_000);

function lotRun(env: Record<string, string>, extra: string[] = [], outDir = out, sample = SAMPLE): ResultPromise {
  return execa(
    'node',
    [cli, 'lot', 'run', manifestFile, '--draw', drawFile, '--sample', String(sample), '--scheduler', 'slurm', '--partition', 'lab', '--declaration', declaration, '--key', path.join(keys, 'tppverify-private.pem'), '--out', outDir, '--json', ...QUICK, ...NO_STRICT, ...extra],
    { reject: false, env: { ...cluster.env, TPPVERIFY_TEST_STAND_IN: 'cpu', ...env }, timeout: LOT_TIMEOUT_MS },
  );
}

async function squeue(): Promise<{ id: string; node: string; state: string }[]> {
  const run = await execa('squeue', ['-h', '-o', '%i %N %T'], { reject: false, env: cluster.env });
  return String(run.stdout).split('\n').filter(Boolean).map((line) => {
    const [id = '', node = '', state = ''] = line.trim().split(/\s+/);
    return { id, node, state };
  });
}

describe('lot run --scheduler slurm on a loopback cluster', () => {
  /** Waits for a job of this lot to run on a server, then sets that node DOWN; resolves to the job id. */
  async function downWhileRunning(host: string): Promise<string> {
    let job = '';
    for (let i = 0; i < 600 && !job; i++) {
      job = (await squeue()).find((j) => j.node === host && j.state === 'RUNNING')?.id ?? '';
      if (!job) await new Promise((r) => setTimeout(r, 200));
    }
    expect(job, `no job ran on ${host}`).not.toBe('');
    await execa('scontrol', ['update', `nodename=${host}`, 'state=down', 'reason=tppverify-test'], { env: cluster.env });
    for (let i = 0; i < 300; i++) {
      if (Number((await jobFields(cluster.env, job)).get('Restarts') ?? '0') >= 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // The node returns (ReturnToService=2 may already have brought it back: then resume is refused, which is fine).
    await execa('scontrol', ['update', `nodename=${host}`, 'state=resume'], { reject: false, env: cluster.env });
    return job;
  }

  it('measures every sampled unit on its server, requeues the job of a node set DOWN, and names the unit that failed', async () => {
    const plan = JSON.parse((await tppverify(['lot', 'plan', manifestFile, '--draw', drawFile, '--sample', String(SAMPLE), '--json'])).stdout) as { sampled: { serial: string; host: string }[] };
    failing = plan.sampled[0]!.serial;
    const hosts = [...new Set(plan.sampled.map((u) => u.host))];
    // The node to take down: one with sampled units, other than the failing unit's if there is one.
    const downHost = hosts.find((h) => h !== plan.sampled[0]!.host) ?? hosts[0]!;

    const run = lotRun({ TPPVERIFY_TEST_STAND_IN_MISSING: failing });
    const downJob = await downWhileRunning(downHost);
    const result = await run;
    // One unit has no attestation: the lot run fails, after following every job and writing the certificate.
    expect(result.exitCode, String(result.stderr)).toBe(3);
    const lot = JSON.parse(String(result.stdout)) as LotRunJson;
    expect(lot.jobs.map((j) => j.host).sort()).toEqual(hosts.sort());
    const requeued = lot.jobs.find((j) => j.jobId === downJob)!;
    expect(requeued.restarts).toBeGreaterThanOrEqual(1);
    expect(requeued.state).toBe('COMPLETED');
    expect(String(result.stderr)).toContain(`job ${downJob} on ${downHost} was requeued (restart 1)`);
    const failingJob = lot.jobs.find((j) => j.units.includes(failing))!;
    expect(failingJob).toMatchObject({ state: 'FAILED', exitCode: '3:0' });

    expect(lot.units.map((u) => u.serial)).toEqual(plan.sampled.map((u) => u.serial));
    const failed = lot.units.filter((u) => u.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ serial: failing, reason: `exit 3: no device with serial ${failing} on this host (test stand-in: listed in TPPVERIFY_TEST_STAND_IN_MISSING)` });
    expect(lot.units.filter((u) => u.status === 'attested')).toHaveLength(SAMPLE - 1);
    for (const u of lot.units.filter((x) => x.status === 'attested')) expect(existsSync(path.join(out, 'attestations', u.attestation))).toBe(true);

    expect(lot.outcome).toBe('incomplete');
    expect(lot.reasons).toContain(`unit ${failing}: missing (no attestation for this serial: ${failed[0]!.reason})`);
    const verify = await tppverify(['verify', lot.certificate, '--pubkey', path.join(keys, 'tppverify-public.pem'), '--attestations', path.join(out, 'attestations'), '--manifest', manifestFile, '--json']);
    expect(verify.exitCode, verify.stdout).toBe(0);
    expect(JSON.parse(verify.stdout).files[0].summary).toMatchObject({ outcome: 'incomplete', units: SAMPLE, nonceRule: 'tppverify-lot-nonce@1' });
  }, LOT_TIMEOUT_MS);

  it('on a rerun measures only the unit without an attestation, in one job on its server', async () => {
    expect(failing).not.toBe('');
    const result = await lotRun({});
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const lot = JSON.parse(String(result.stdout)) as LotRunJson;
    expect(lot.jobs).toHaveLength(1);
    expect(lot.jobs[0]!.units).toEqual([failing]);
    expect(lot.units.find((u) => u.serial === failing)!.status).toBe('attested');
    expect(lot.units.filter((u) => u.status === 'resumed')).toHaveLength(SAMPLE - 1);
    expect(String(result.stderr)).toContain(`${SAMPLE - 1} of ${SAMPLE} sampled units already have a valid attestation: not measured again`);
    // Stand-ins are no measurement of the units: the lot is complete but never certified from them.
    expect(lot.outcome).toBe('incomplete');
    expect(lot.reasons.every((r) => /verdict inconclusive$/.test(r))).toBe(true);
  }, LOT_TIMEOUT_MS);

  it('cancels a job requeued more often than --max-requeues, and names each of its units with the reason', async () => {
    const plan = JSON.parse((await tppverify(['lot', 'plan', manifestFile, '--draw', drawFile, '--sample', '3', '--json'])).stdout) as { sampled: { serial: string; host: string }[] };
    const host = plan.sampled[0]!.host;
    const run = lotRun({}, ['--max-requeues', '0', '--units-at-once', '1'], path.join(work, 'bounded'), 3);
    const job = await downWhileRunning(host);
    const result = await run;
    expect(result.exitCode, String(result.stderr)).toBe(3);
    const lot = JSON.parse(String(result.stdout)) as LotRunJson & { jobs: { note: string }[] };
    const cancelled = lot.jobs.find((j) => j.jobId === job)!;
    expect(cancelled.state).toBe('CANCELLED');
    expect(cancelled.note).toBe('requeued 1 times, more than --max-requeues 0: cancelled');
    const lost = lot.units.filter((u) => u.host === host && u.status === 'failed');
    expect(lost.length).toBeGreaterThanOrEqual(1);
    for (const u of lost) expect(u.reason).toMatch(new RegExp(`^job ${job} on ${host} ended CANCELLED.*, requeued 1 times, more than --max-requeues 0: cancelled without an attestation for this unit`));
    expect(lot.reasons.filter((r) => / missing \(/.test(r))).toHaveLength(lost.length);
  }, LOT_TIMEOUT_MS);
});
