// keygen → run → verify → show through the built CLI, on the CPU with small sizes.
import { execa } from 'execa';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const declaration = path.join(root, 'harness', 'declaration', 'examples', 'h100-sxm.json');
const SMALL = ['--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05'];
const outputs: string[] = [];

async function tppverify(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}) {
  const run = await execa('node', [...nodeArgs, cli, ...args], { reject: false, timeout: 120_000, env: { TPPVERIFY_PASS: 'correct horse battery', ...env } });
  outputs.push(run.stdout, run.stderr);
  return run;
}

const work = mkdtempSync(path.join(tmpdir(), 'tppverify-attest-'));
const keys = path.join(work, 'keys');
const out = path.join(work, 'out');
let attestation = '';
let publicKey = '';
let privateKey = '';

beforeAll(async () => {
  const keygen = await tppverify(['keygen', '--out', keys]);
  expect(keygen.exitCode, keygen.stderr).toBe(0);
  publicKey = path.join(keys, 'tppverify-public.pem');
  privateKey = path.join(keys, 'tppverify-private.pem');
  // --no-strict: these tests exercise the attestation, not preflight (a development tree is often dirty).
  const run = await tppverify(['run', '--declaration', declaration, '--key', privateKey, '--out', out, '--nonce', 'a1b2c3d4e5f60718', '--no-strict', '--json', ...SMALL]);
  expect(run.exitCode, run.stderr).toBe(0);
  attestation = JSON.parse(run.stdout).attestation;
});

describe('run', () => {
  it('writes the protobuf envelope, its JSON rendering, the in-toto envelope and the Sigstore bundle, and reports the verdict', () => {
    expect(attestation).toMatch(/cpu-\d{8}T\d{6}\.\d{3}Z\.dsse\.pb$/);
    const stem = path.basename(attestation, '.dsse.pb');
    expect(readdirSync(out).sort()).toEqual([`${stem}.dsse.json`, `${stem}.dsse.pb`, `${stem}.intoto.json`, `${stem}.sigstore.json`]);
  });

  it('is inconclusive when the arrays are below the sizing rule', async () => {
    const verify = await tppverify(['verify', attestation, '--pubkey', publicKey, '--json']);
    const result = JSON.parse(verify.stdout);
    expect(result.files[0].summary.outcome).not.toBe('consistent');
    const show = JSON.parse((await tppverify(['show', attestation, '--json'])).stdout);
    expect(show.statement.predicate.stateProblems).toContainEqual(expect.stringMatching(/below the sizing rule/));
    expect(show.statement.predicate.nonce).toBe('a1b2c3d4e5f60718');
  });

  it('records the second method (memcpy, OpenBLAS) beside our kernels, and the verdict compares them per quantity', async () => {
    const show = JSON.parse((await tppverify(['show', attestation, '--json'])).stdout);
    const { measurements, verdict } = show.statement.predicate;
    const memcpy = measurements.bandwidth.kernels.find((k: { name: string }) => k.name === 'memcpy');
    expect(memcpy).toMatchObject({ method: 'library', engine: 'libc-memcpy' });
    expect(memcpy.trialSeconds.length).toBeGreaterThanOrEqual(10);
    const library = measurements.throughput.filter((c: { method: string }) => c.method === 'library');
    expect(library.find((c: { format: string }) => c.format === 'FP64')).toMatchObject({ engine: 'openblas', available: true });
    const claims = verdict.findings.filter((f: { rule: string }) => f.rule === '8-second-method');
    const bandwidth = claims.find((f: { claim: string }) => f.claim === 'second-method:bandwidth');
    expect(bandwidth.values.map((v: { name: string }) => v.name)).toEqual(['nativeGbps', 'libraryGbps', 'ratio', 'expandedUncertainty']);
    const fp64 = claims.find((f: { claim: string }) => f.claim === 'second-method:FP64');
    expect(fp64.labels).toContainEqual({ name: 'libraryEngine', value: 'openblas' });
    // The statuses depend on timing (4 MiB arrays sit in cache here); which quantities are compared does not.
    expect(claims.map((f: { claim: string }) => f.claim)).toEqual(expect.arrayContaining(['second-method:bandwidth', 'second-method:FP64', 'second-method:FP32']));
    const int8 = claims.find((f: { claim: string }) => f.claim === 'second-method:INT8');
    if (int8) expect(int8.labels).toContainEqual({ name: 'unavailableReason', value: "openblas: OpenBLAS's CBLAS interface has no INT8 GEMM" });
  });

  it('refuses a world-readable key before measuring, and writes nothing', async () => {
    const loose = path.join(work, 'loose.pem');
    copyFileSync(privateKey, loose);
    chmodSync(loose, 0o644);
    const dir = path.join(work, 'never');
    const run = await tppverify(['run', '--key', loose, '--out', dir, ...SMALL]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^tppverify: .*loose\.pem is readable or writable to group or others \(mode 0644\)/);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a bad declaration, nonce or lab file with exit 2', async () => {
    expect((await tppverify(['run', '--nonce', 'xyz', ...SMALL])).exitCode).toBe(2);
    const lab = path.join(work, 'lab.json');
    writeFileSync(lab, JSON.stringify({ name: 'L', phone: '1' }));
    const badLab = await tppverify(['run', '--lab', lab, ...SMALL]);
    expect(badLab.exitCode).toBe(2);
    expect(badLab.stderr).toMatch(/lab file .*lab\.json: phone: unknown field/);
  });

  it('without a key signs with an ephemeral one and marks the report demo and self-declared', async () => {
    const run = await tppverify(['run', '--out', path.join(work, 'demo'), '--json', ...SMALL]);
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout).summary;
    expect(summary).toMatchObject({ demo: true, selfDeclared: true });
  });
});

describe('verify', () => {
  it('exits 0 for the attestation with the lab key, in both renderings', async () => {
    const pb = await tppverify(['verify', attestation, '--pubkey', publicKey]);
    expect(pb.exitCode, pb.stdout + pb.stderr).toBe(0);
    expect(pb.stdout).toMatch(/^VALID: signed by [0-9a-f]{64}/);
    const json = await tppverify(['verify', attestation.replace(/\.pb$/, '.json'), '--pubkey', publicKey, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, files: [{ valid: true, reasons: [] }] });
  });

  it('exits 1 for a tampered file or an untrusted key', async () => {
    const bytes = readFileSync(attestation);
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    const tampered = path.join(work, 'tampered.dsse.pb');
    writeFileSync(tampered, bytes);
    const run = await tppverify(['verify', tampered, '--pubkey', publicKey, '--json']);
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.stdout).valid).toBe(false);
    const otherKeys = path.join(work, 'other');
    await tppverify(['keygen', '--out', otherKeys]);
    const untrusted = await tppverify(['verify', attestation, '--pubkey', path.join(otherKeys, 'tppverify-public.pem')]);
    expect(untrusted.exitCode).toBe(1);
    expect(untrusted.stdout).toMatch(/not trusted/);
  });

  it('exits 2 for a missing file or no trusted key', async () => {
    expect((await tppverify(['verify', path.join(work, 'absent.dsse.pb'), '--pubkey', publicKey])).exitCode).toBe(2);
    const none = await tppverify(['verify', attestation]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/needs trusted keys/);
  });

  it('needs neither a GPU nor the native addon', async () => {
    const noAddons = 'data:text/javascript,process.dlopen = () => { throw new Error("native addon load attempted") };';
    const run = await tppverify(['verify', attestation, '--pubkey', publicKey], ['--import', noAddons]);
    expect(run.exitCode, run.stderr).toBe(0);
  });
});

describe('secrets', () => {
  it('never print or write the private key', () => {
    const key = createPrivateKey(readFileSync(privateKey, 'utf8'));
    const der = key.export({ type: 'pkcs8', format: 'der' });
    const seed = der.subarray(der.length - 32);
    const pemBody = readFileSync(privateKey, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const written = [out, path.join(work, 'demo')].flatMap((dir) => readdirSync(dir).map((f) => readFileSync(path.join(dir, f))));
    const haystacks = [...outputs.map((o) => Buffer.from(o)), ...written];
    for (const needle of [Buffer.from(pemBody), Buffer.from(seed.toString('hex')), Buffer.from(seed.toString('base64')), seed]) {
      for (const haystack of haystacks) expect(haystack.includes(needle)).toBe(false);
    }
    expect(outputs.length).toBeGreaterThan(10);
  });
});

describe('audit', () => {
  // The original of an audit must be for the device measured: a self-declared run of this CPU.
  let selfDeclared = '';
  const auditorKeys = path.join(work, 'auditor');
  const auditorKey = () => path.join(auditorKeys, 'tppverify-private.pem');
  beforeAll(async () => {
    await tppverify(['keygen', '--out', auditorKeys]);
    const run = await tppverify(['run', '--key', privateKey, '--out', path.join(work, 'self'), '--nonce', 'f0e1d2c3b4a59687', '--no-strict', '--json', ...SMALL]);
    expect(run.exitCode, run.stderr).toBe(0);
    selfDeclared = JSON.parse(run.stdout).attestation;
  });
  const audit = (original: string, extra: string[]) =>
    tppverify(['audit', original, '--device', 'cpu', '--key', auditorKey(), '--pubkey', publicKey, '--json', '--no-strict', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05', ...extra]);

  it('reruns on the same item, links the original by digest, and its attestation verifies', async () => {
    // The JSON rendering of the original: the link is the digest of the canonical envelope, the .pb file's.
    const run = await audit(selfDeclared.replace(/\.pb$/, '.json'), ['--nonce', '0011223344556677', '--out', path.join(work, 'audit')]);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    const { createHash } = await import('node:crypto');
    expect(result.audit.originalSha256).toBe(createHash('sha256').update(readFileSync(selfDeclared)).digest('hex'));
    // The original's declaration was derived from the device: so is the audit's.
    expect(result.summary.selfDeclared).toBe(true);
    expect(result.audit.nonceReused).toBe(false);
    expect(['reproduced', 'not-reproduced', 'inconclusive']).toContain(result.audit.outcome);
    expect(result.audit.comparisons.some((c: { claim: string }) => c.claim === 'bandwidth:triad GB/s')).toBe(true);
    const verify = await tppverify(['verify', result.attestation, '--pubkey', path.join(auditorKeys, 'tppverify-public.pem'), '--json']);
    expect(JSON.parse(verify.stdout)).toMatchObject({ valid: true });
    expect(JSON.parse(verify.stdout).files[0].summary).toMatchObject({ auditOf: result.audit.originalSha256, auditOutcome: result.audit.outcome, selfDeclared: true });
    const text = await tppverify(['verify', result.attestation, '--pubkey', path.join(auditorKeys, 'tppverify-public.pem')]);
    expect(text.stdout).toContain(`audit of ${result.audit.originalSha256}: ${result.audit.outcome.toUpperCase()}`);
  });

  it("refuses the original's own nonce unless forced, and records a forced reuse", async () => {
    const refused = await audit(selfDeclared, ['--nonce', 'f0e1d2c3b4a59687', '--out', path.join(work, 'audit-reuse')]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/the nonce is the original's own/);
    const forced = await audit(selfDeclared, ['--nonce', 'f0e1d2c3b4a59687', '--allow-nonce-reuse', '--out', path.join(work, 'audit-reuse')]);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).audit.nonceReused).toBe(true);
  });

  it('refuses to audit an original whose declaration is for another kind of device', async () => {
    // `attestation` measured this CPU against the H100 declaration.
    const run = await audit(attestation, ['--out', path.join(work, 'audit-wrong-item')]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/^tppverify: refusing to audit: the declaration is not for this device: declared vendor NVIDIA/);
    expect(existsSync(path.join(work, 'audit-wrong-item'))).toBe(false);
  });

  it('refuses an original that does not verify', async () => {
    const bytes = readFileSync(attestation);
    bytes[bytes.length - 5] ^= 1;
    const tampered = path.join(work, 'tampered-original.dsse.pb');
    writeFileSync(tampered, bytes);
    const run = await tppverify(['audit', tampered, '--device', 'cpu', '--key', privateKey, '--pubkey', publicKey, ...SMALL.slice(2)]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/does not verify/);
  });
});

describe('verify many', () => {
  it('checks each file and exits 1 when any is invalid', async () => {
    const bytes = readFileSync(attestation);
    bytes[100] ^= 0x01;
    const bad = path.join(work, 'bad-one.dsse.pb');
    writeFileSync(bad, bytes);
    const run = await tppverify(['verify', attestation, bad, '--pubkey', publicKey]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^VALID {3}.*\.dsse\.pb$/m);
    expect(run.stdout).toMatch(/^INVALID .*bad-one\.dsse\.pb: /m);
    expect(run.stdout).toMatch(/1 of 2 valid/);
  });

  it('spreads a large batch over worker threads and keeps the input order', async () => {
    const dir = path.join(work, 'many');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const files = Array.from({ length: 130 }, (_, i) => path.join(dir, `a${String(i).padStart(3, '0')}.dsse.pb`));
    files.forEach((f) => copyFileSync(attestation, f));
    const run = await tppverify(['verify', ...files, '--pubkey', publicKey, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ valid: true, count: 130, validCount: 130 });
    expect(result.files.map((f: { file: string }) => f.file)).toEqual(files);
  });
});

describe('preflight', () => {
  const failTree = { TPPVERIFY_TEST_INJECT_FAULT: 'preflight:tree-clean' };

  it('with a lab key refuses to measure when a check fails, and writes nothing', async () => {
    const dir = path.join(work, 'strict');
    const run = await tppverify(['run', '--key', privateKey, '--out', dir, ...SMALL], [], failTree);
    expect(run.exitCode).toBe(3);
    expect(run.stderr.trim()).toMatch(/^tppverify: preflight failed, refusing to measure \(strict\): tree-clean: /);
    expect(existsSync(dir)).toBe(false);
  });

  it('with --no-strict records the failure and the verdict is inconclusive', async () => {
    const run = await tppverify(['run', '--key', privateKey, '--out', path.join(work, 'lenient'), '--no-strict', '--json', ...SMALL], [], failTree);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.summary.outcome).toBe('inconclusive');
    const show = JSON.parse((await tppverify(['show', result.attestation, '--json'])).stdout);
    expect(show.statement.predicate.stateProblems).toContainEqual(expect.stringMatching(/^preflight tree-clean: .*test-injected failure/));
    expect(show.statement.predicate.environment.facts.map((f: { name: string }) => f.name)).toContain('preflight.tree-clean');
  });

  it('without a key (a demo run) is not strict', async () => {
    const run = await tppverify(['run', '--out', path.join(work, 'demo-preflight'), '--json', ...SMALL], [], failTree);
    expect(run.exitCode, run.stderr).toBe(0);
  });
});

describe('isolated measurement', () => {
  // The limit applies to every phase, and the run plan may put throughput (every variant's
  // format, OpenBLAS too) before bandwidth: the crash and wrong-result cases get a limit no
  // phase reaches on this shared 2-core machine, the hang case one its other phase stays under.
  it.each([
    ['a hang', 'worker:throughput-hang', '20', /the throughput phase did not finish within 20 s and was stopped/],
    ['a crash', 'worker:bandwidth-crash', '60', /the bandwidth phase crashed \(SIGSEGV\)/],
    ['a wrong result', 'bandwidth:copy', '60', /copy: result verification failed/],
  ])('turns %s into exit 3 with the reason, and writes no attestation', async (_what, fault, phaseTimeout, message) => {
    const dir = path.join(work, `isolated-${fault.replace(/\W/g, '-')}`);
    const run = await tppverify(['run', '--out', dir, '--phase-timeout', phaseTimeout, ...SMALL], [], { TPPVERIFY_TEST_INJECT_FAULT: fault });
    expect(run.exitCode).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(existsSync(dir)).toBe(false);
  });

  it('--device all says so when there is no GPU to measure', async () => {
    const listing = JSON.parse((await tppverify(['devices', '--json'])).stdout) as { backends: { backend: string; devices: unknown[] }[] };
    if (listing.backends.some((b) => b.backend !== 'cpu' && b.devices.length > 0)) return; // a GPU host: nothing to refuse
    const run = await tppverify(['run', '--device', 'all', '--out', path.join(work, 'all')]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/--device all: no GPU this build can measure is present/);
  });
});

describe('the measuring child', () => {
  it('is started as this interpreter, never a `node` from PATH (nor git), and the provenance names it', async () => {
    const bin = path.join(work, 'planted-bin');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(bin);
    const marker = path.join(work, 'planted-node-ran');
    writeFileSync(path.join(bin, 'node'), `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });
    // A planted git that would call any tree clean is not the one asked either (where the system has /usr/bin/git).
    const gitMarker = path.join(work, 'planted-git-ran');
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\ntouch '${gitMarker}'\nexit 0\n`, { mode: 0o755 });
    const run = await execa(process.execPath, [cli, 'run', '--out', path.join(work, 'planted'), '--no-strict', '--json', ...SMALL], {
      reject: false,
      timeout: 120_000,
      env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    if (existsSync('/usr/bin/git')) expect(existsSync(gitMarker)).toBe(false);
    const show = JSON.parse((await tppverify(['show', JSON.parse(run.stdout).attestation, '--json'])).stdout);
    const { createHash } = await import('node:crypto');
    expect(show.statement.predicate.provenance).toMatchObject({
      interpreterPath: process.execPath,
      interpreterSha256: createHash('sha256').update(readFileSync(process.execPath)).digest('hex'),
      interpreterVersion: process.version,
    });
  });

  it('dies with its parent (kill -9), and never sees the passphrase variable', async () => {
    const encrypted = path.join(work, 'encrypted-keys');
    expect((await tppverify(['keygen', '--out', encrypted, '--passphrase-env', 'TPPVERIFY_PASS'])).exitCode).toBe(0);
    const parent = execa(process.execPath, [cli, 'run', '--key', path.join(encrypted, 'tppverify-private.pem'), '--passphrase-env', 'TPPVERIFY_PASS', '--out', path.join(work, 'orphan'), '--no-strict', '--phase-timeout', '120', ...SMALL], {
      reject: false,
      env: { TPPVERIFY_PASS: 'correct horse battery', TPPVERIFY_TEST_INJECT_FAULT: 'worker:bandwidth-hang' },
    });
    const { readdirSync: list } = await import('node:fs');
    const childOf = (pid: number) =>
      list('/proc').filter((e) => /^\d+$/.test(e)).find((e) => {
        try {
          const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('worker.js');
        } catch {
          return false;
        }
      });
    let child: string | undefined;
    for (let i = 0; i < 200 && !child; i++) {
      await new Promise((r) => setTimeout(r, 100));
      child = childOf(parent.pid!);
    }
    expect(child, 'the measuring child started').toBeDefined();
    expect(readFileSync(`/proc/${child}/environ`, 'utf8').split('\0').some((v) => v.startsWith('TPPVERIFY_PASS='))).toBe(false);
    parent.kill('SIGKILL');
    await parent;
    const gone = () => {
      try {
        const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
      } catch {
        return true;
      }
    };
    // The watchdog polls every 250 ms; on a loaded host give it 10 s.
    for (let i = 0; i < 100 && !gone(); i++) await new Promise((r) => setTimeout(r, 100));
    const alive = !gone();
    if (alive) process.kill(Number(child), 'SIGKILL');
    expect(alive).toBe(false);
  });
});

describe('output paths, pipes and unchecked originals', () => {
  it('refuses an --out that cannot become a folder before measuring anything', async () => {
    const file = path.join(work, 'a-file');
    writeFileSync(file, 'x');
    const run = await tppverify(['run', '--declaration', declaration, '--out', path.join(file, 'sub'), ...SMALL]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^tppverify: cannot use .*a-file\/sub as the output folder: a component of the path is not a folder$/);
    expect(run.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('refuses an --out that is a dangling link or an empty name, before measuring', async () => {
    const { symlinkSync } = await import('node:fs');
    const dangling = path.join(work, 'dangling-out');
    symlinkSync(path.join(work, 'nowhere', 'x'), dangling);
    const run = await tppverify(['run', '--out', dangling, ...SMALL]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^tppverify: cannot use .*dangling-out as the output folder: it is a symbolic link to nowhere/);
    const empty = await tppverify(['run', '--out', '', ...SMALL]);
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toMatch(/output folder must not be an empty name/);
  });

  it('keygen writes no private key when a dangling link holds the public key\'s name', async () => {
    const { mkdirSync, symlinkSync } = await import('node:fs');
    const dir = path.join(work, 'dangling-keys');
    mkdirSync(dir, { mode: 0o700 });
    symlinkSync(path.join(work, 'nowhere.pem'), path.join(dir, 'tppverify-public.pem'));
    const run = await tppverify(['keygen', '--out', dir]);
    expect(run.exitCode).toBe(2);
    expect(existsSync(path.join(dir, 'tppverify-private.pem'))).toBe(false);
  });

  it('refuses a report written over a trusted key it reads', async () => {
    const keyCopy = path.join(work, 'trusted-copy.pem');
    copyFileSync(publicKey, keyCopy);
    const run = await tppverify(['report', attestation, '--html', keyCopy, '--pubkey', keyCopy]);
    expect(run.exitCode).toBe(2);
    expect(readFileSync(keyCopy).equals(readFileSync(publicKey))).toBe(true);
  });

  it('says so and exits 2 when its output cannot be written (a full disk)', async () => {
    const run = await execa('bash', ['-c', `node ${cli} verify ${attestation} --pubkey ${publicKey} > /dev/full`], { reject: false });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toBe('tppverify: cannot write the output: no space left on the device');
  });

  it('refuses to write a report over the attestation it reads', async () => {
    const copy = path.join(work, 'report-input.dsse.pb');
    copyFileSync(attestation, copy);
    const run = await tppverify(['report', copy, '--html', copy]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/refusing to write .*report-input\.dsse\.pb: it is the same file as .*report-input\.dsse\.pb, which this command reads/);
    expect(readFileSync(copy).equals(readFileSync(attestation))).toBe(true);
  });

  it('marks a report whose signature does not verify at the top, and exits 1', async () => {
    const otherKeys = path.join(work, 'report-other');
    await tppverify(['keygen', '--out', otherKeys]);
    const html = path.join(work, 'untrusted.html');
    const run = await tppverify(['report', attestation, '--html', html, '--pubkey', path.join(otherKeys, 'tppverify-public.pem')]);
    expect(run.exitCode).toBe(1);
    const page = readFileSync(html, 'utf8');
    expect(page.indexOf('NO SIGNATURE VERIFIES')).toBeGreaterThan(0);
    expect(page.indexOf('NO SIGNATURE VERIFIES')).toBeLessThan(page.indexOf('<section id="item">'));
    const trusted = await tppverify(['report', attestation, '--html', path.join(work, 'trusted.html'), '--pubkey', publicKey]);
    expect(trusted.exitCode, trusted.stderr).toBe(0);
    expect(readFileSync(path.join(work, 'trusted.html'), 'utf8')).not.toMatch(/NO SIGNATURE VERIFIES|SIGNATURES NOT CHECKED/);
  });

  it('keygen replaces neither key file', async () => {
    const dir = path.join(work, 'public-only');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(path.join(dir, 'tppverify-public.pem'), 'trusted by others');
    const run = await tppverify(['keygen', '--out', dir]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/tppverify-public\.pem exists: refusing to overwrite a key/);
    expect(readFileSync(path.join(dir, 'tppverify-public.pem'), 'utf8')).toBe('trusted by others');
    expect(existsSync(path.join(dir, 'tppverify-private.pem'))).toBe(false);
  });

  it('audit refuses to start from an original whose signature it cannot check', async () => {
    const run = await tppverify(['audit', attestation, '--device', 'cpu', '--key', privateKey, ...SMALL.slice(2)]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/audit needs the original signer's public key/);
  });

  it('a reader that closes the pipe early costs neither a stack trace nor the exit code', async () => {
    const child = execa('node', [cli, 'verify', attestation, '--pubkey', publicKey], { reject: false, buffer: { stdout: false } });
    child.stdout!.destroy();
    const run = await child;
    expect(run.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(run.exitCode).toBe(0);
  });
});
