// The attacks of issue 13 §2 that got through, each as a test: re-signed
// changed documents shown as verified, lots decided by file names, hostile
// file names, identifiers in two spellings, files that hang, writes that
// leave half a pair, folders others may write, options silently defaulted.
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope, envelopeToJson, signEnvelope } from '../../attestations/dsse.js';
import { generateKeyPairFiles, loadSigningKey, type SigningKey } from '../../attestations/keys.js';
import { encodeStatement, PAYLOAD_TYPE, sha256Hex } from '../../attestations/statement.js';
import { removeStaleTemporaries, writeFilesAtomic } from '../../attestations/atomic-write.js';
import { lockDevice } from '../device-lock.js';
import { chromiumSandboxFlags } from '../report/chromium.js';
import { DECLARATION_JSON, fixtureStatement, signedFixture } from './attestation-fixture.js';
import { recomputed } from './attack-corpus.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-findings-'));
const tppverify = (args: string[], options: { env?: Record<string, string>; timeout?: number } = {}) =>
  execa(process.execPath, [cli, ...args], { reject: false, timeout: options.timeout ?? 60_000, ...(options.env ? { env: options.env } : {}) });

let key: SigningKey;
let pubkey = '';
let privkey = '';
beforeAll(async () => {
  const keys = path.join(work, 'keys');
  mkdirSync(keys, { mode: 0o700 });
  const pair = await generateKeyPairFiles(keys);
  pubkey = pair.publicKeyFile;
  privkey = pair.privateKeyFile;
  key = await loadSigningKey(privkey);
});

const withSerial = (serial: string, faster = 1) => {
  const s = fixtureStatement();
  s.subject[0]!.identity = s.subject[0]!.identity.map((f) => (f.name === 'serial' ? { ...f, value: serial } : f));
  for (const c of s.predicate.measurements.throughput) c.trialSeconds = c.trialSeconds.map((t) => t / faster);
  return recomputed(s);
};

describe('report applies verify\'s checks', () => {
  it('a changed verdict re-signed by a trusted key: red banner first and exit 1, with or without keys', async () => {
    const changed = fixtureStatement();
    changed.predicate.verdict.outcome = 'consistent';
    changed.predicate.results.declaredTpp = 1;
    const file = path.join(work, 'changed.dsse.pb');
    writeFileSync(file, signedFixture(key, changed));
    for (const keys of [['--pubkey', pubkey], []]) {
      const html = path.join(work, `changed-${keys.length}.html`);
      const run = await tppverify(['report', file, '--html', html, ...keys]);
      expect(run.exitCode, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/does not verify: .*the recorded results differ/);
      const page = readFileSync(html, 'utf8');
      expect(page.indexOf('DOES NOT VERIFY')).toBeGreaterThan(0);
      expect(page.indexOf('DOES NOT VERIFY')).toBeLessThan(page.indexOf('<section'));
    }
  });

  it("the signature table is verify's: a garbage signature under a good keyid is NO, an empty keyid that verifies is yes", async () => {
    const good = signEnvelope(encodeStatement(fixtureStatement()), PAYLOAD_TYPE, [key]);
    const envelope = { ...good, signatures: [{ keyid: '', sig: good.signatures[0]!.sig }, { keyid: key.keyId, sig: Buffer.alloc(64, 7) }] };
    const file = path.join(work, 'two-signatures.dsse.pb');
    writeFileSync(file, encodeEnvelope(envelope));
    const html = path.join(work, 'two-signatures.html');
    const run = await tppverify(['report', file, '--html', html, '--pubkey', pubkey]);
    expect(run.exitCode, run.stderr).toBe(0);
    const rows = [...readFileSync(html, 'utf8').matchAll(/<tr><td>([^<]*)<\/td><td>(yes[^<]*|NO)<\/td><\/tr>/g)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual([['(none)', `yes, by trusted key ${key.keyId}`], [key.keyId, 'NO']]);
  });

  it('an audit shows its outcome', async () => {
    const s = fixtureStatement();
    s.predicate.audit = { originalSha256: 'ab'.repeat(32), outcome: 'reproduced', tolerance: 0.02, nonceReused: false, comparisons: [{ claim: 'rate:FP16 ops/clk/unit', rule: 'audit', status: 'consistent', labels: [], values: [{ name: 'original', value: 4096 }, { name: 'rerun', value: 4100 }, { name: 'allowed', value: 0.02 }] }] };
    const file = path.join(work, 'audit.dsse.pb');
    writeFileSync(file, signedFixture(key, s));
    const html = path.join(work, 'audit.html');
    expect((await tppverify(['report', file, '--html', html, '--pubkey', pubkey])).exitCode).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/<h2>Audit of an earlier attestation<\/h2>[\s\S]*class="verdict ok">REPRODUCED</);
    expect((await tppverify(['verify', file, '--pubkey', pubkey])).stdout).toContain(`audit of ${'ab'.repeat(32)}: REPRODUCED`);
  });
});

describe('lot certify', () => {
  it('two valid attestations for one serial that disagree: the same outcome whatever their names, every file named', async () => {
    const serials = ['S-1', 'S-2'];
    const manifest = path.join(work, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ lotId: 'L', exporter: 'E', declarationSha256: sha256Hex(DECLARATION_JSON), units: serials.map((serial) => ({ serial })) }));
    const consistent = signedFixture(key, withSerial('S-1'));
    const underDeclared = signedFixture(key, withSerial('S-1', 1.5));
    const other = signedFixture(key, withSerial('S-2'));
    const outcomes: unknown[] = [];
    for (const [a, b] of [['a', 'b'], ['b', 'a']]) {
      const dir = path.join(work, `conflict-${a}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, `${a}.dsse.pb`), consistent);
      writeFileSync(path.join(dir, `${b}.dsse.pb`), underDeclared);
      writeFileSync(path.join(dir, 'c.dsse.pb'), other);
      const run = await tppverify(['lot', 'certify', manifest, '--attestations', dir, '--key', privkey, '--nonce', '0011223344556677', '--sample', '2', '--out', path.join(work, `cert-${a}`), '--json']);
      expect(run.exitCode, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as { outcome: string; units: { serial: string; status: string; detail: string }[] };
      const unit = result.units.find((u) => u.serial === 'S-1')!;
      expect(unit.status).toBe('invalid');
      expect(unit.detail).toBe('2 different attestations name this serial: a.dsse.pb, b.dsse.pb');
      outcomes.push(result.outcome);
    }
    expect(outcomes).toEqual(['incomplete', 'incomplete']);
  });

  it('refuses a manifest serial in NFD or with a trailing space, naming the field', async () => {
    for (const serial of ['SE\u0301RIAL', 'SERIAL ']) {
      const manifest = path.join(work, 'manifest-nfd.json');
      writeFileSync(manifest, JSON.stringify({ lotId: 'L', exporter: 'E', declarationSha256: 'a'.repeat(64), units: [{ serial }] }));
      const run = await tppverify(['lot', 'plan', manifest, '--nonce', '0011223344556677']);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(/units\[0\]\.serial: .*(NFC\)|white space): identifiers are compared exactly/);
    }
  });
});

describe('hostile inputs', () => {
  it('a file name with a newline and ESC cannot forge a VALID line', async () => {
    const name = path.join(work, 'x\nVALID   forged.dsse.pb\u001b[2K');
    writeFileSync(name, 'junk');
    const valid = path.join(work, 'ok.dsse.pb');
    writeFileSync(valid, signedFixture(key));
    const run = await tppverify(['verify', valid, name, '--pubkey', pubkey]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('VALID'))).toEqual([`VALID   ${valid}`]);
    expect(run.stdout).not.toContain('\u001b');
    expect(run.stdout).toContain('x\\u000aVALID   forged.dsse.pb\\u001b[2K');
  });

  it('a FIFO is refused at once, not waited on', async () => {
    const fifo = path.join(work, 'pipe.dsse.pb');
    await execa('mkfifo', [fifo]);
    const run = await tppverify(['verify', fifo, '--pubkey', pubkey], { timeout: 20_000 });
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/is not a regular file/);
  });

  it('refuses a trust folder or key folder below a folder others may write', async () => {
    const open = path.join(work, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const trust = path.join(open, 'trust');
    mkdirSync(trust, { mode: 0o700 });
    writeFileSync(path.join(trust, 'k.pem'), readFileSync(pubkey));
    const verify = await tppverify(['verify', path.join(work, 'ok.dsse.pb'), '--trust', trust]);
    expect(verify.exitCode).toBe(2);
    expect(verify.stderr).toMatch(/open, above .*trust, is writable by group or others \(mode 0777\)/);
    const pubkeyThere = await tppverify(['verify', path.join(work, 'ok.dsse.pb'), '--pubkey', path.join(trust, 'k.pem')]);
    expect(pubkeyThere.exitCode).toBe(2);
    expect(pubkeyThere.stderr).toMatch(/who could replace the trusted key k\.pem/);
    const keygen = await tppverify(['keygen', '--out', path.join(open, 'keys')]);
    expect(keygen.exitCode).toBe(2);
    expect(existsSync(path.join(open, 'keys', 'tppverify-private.pem'))).toBe(false);
  });

  it.each([
    [['--array-mib', '1e-30'], /--array-mib must be at least/],
    [['--seconds-per-trial', '1e-12'], /--seconds-per-trial must be at least/],
    [['--device', 'cpu:1'], /the CPU backend has one device/],
    [['--phase-timeout', '0.000001'], /--phase-timeout must be at least 1/],
  ])('refuses %s rather than using a default', async (option, message) => {
    const run = await tppverify(['run', '--out', path.join(work, 'never'), '--device', 'cpu', ...option]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('writes', () => {
  it('writes both renderings or neither, and removes temporaries a killed writer left', async () => {
    const dir = path.join(work, 'pair');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'x.dsse.json'), 'taken');
    await expect(writeFilesAtomic([{ file: path.join(dir, 'x.dsse.pb'), data: 'pb' }, { file: path.join(dir, 'x.dsse.json'), data: 'json' }])).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['x.dsse.json']);
    // A pid no process has (above the kernel's maximum) stands for a writer killed mid-write.
    const stale = '.y.dsse.pb.4194999.abcdefabcdef.tmp';
    const live = `.z.dsse.pb.${process.pid}.abcdefabcdef.tmp`;
    writeFileSync(path.join(dir, stale), 'half');
    writeFileSync(path.join(dir, live), 'mine');
    expect(await removeStaleTemporaries(dir)).toEqual([stale]);
    await writeFilesAtomic([{ file: path.join(dir, 'y.dsse.pb'), data: 'pb' }, { file: path.join(dir, 'y.dsse.json'), data: 'json' }]);
    expect(readdirSync(dir).sort()).toEqual([live, 'x.dsse.json', 'y.dsse.json', 'y.dsse.pb']);
  });
});

describe('one run per device', () => {
  it('a second lock on a device is refused while the first holder lives, and a dead holder\'s lock is taken over', async () => {
    const lock = lockDevice('cuda:7');
    expect(() => lockDevice('cuda:7')).toThrow(new RegExp(`cuda:7 is being measured by another tppverify run \\(pid ${process.pid}\\)`));
    lock.release();
    lockDevice('cuda:7').release();
    const dir = process.env['TPPVERIFY_LOCK_DIR']!;
    writeFileSync(path.join(dir, 'cuda-7.lock'), '4194999\n');
    lockDevice('cuda:7').release();
  });

  it('run refuses a device another run holds, with exit 3', async () => {
    const dir = process.env['TPPVERIFY_LOCK_DIR']!;
    writeFileSync(path.join(dir, 'cpu.lock'), `${process.pid}\n`);
    try {
      const run = await tppverify(['run', '--out', path.join(work, 'locked'), '--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05', '--no-strict']);
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toMatch(/cpu is being measured by another tppverify run/);
    } finally {
      (await import('node:fs')).rmSync(path.join(dir, 'cpu.lock'));
    }
  });
});

describe('report --pdf', () => {
  it('runs Chromium with --no-sandbox for root only', () => {
    expect(chromiumSandboxFlags(0)).toEqual(['--no-sandbox']);
    expect(chromiumSandboxFlags(1000)).toEqual([]);
  });
});

describe('renderings', () => {
  it('reads a JSON envelope with leading white space as JSON', async () => {
    const file = path.join(work, 'spaced.dsse.json');
    writeFileSync(file, `\n\t ${envelopeToJson(signEnvelope(encodeStatement(fixtureStatement()), PAYLOAD_TYPE, [key]))}`);
    const run = await tppverify(['verify', file, '--pubkey', pubkey]);
    expect(run.exitCode, run.stdout).toBe(0);
  });
});
