// The sample no single party chose: commit-reveal contributions, the nonce
// rule, the attack from issue 19 (a lab trying nonces until its sample dodges
// known-bad units), and the CLI from commitments to a verified certificate.
import { execa } from 'execa';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DECLARATION_JSON, fixtureStatement, signedFixture } from '../../test/attestation-fixture.js';
import { decodeEnvelope, encodeEnvelope, signEnvelope } from '../../../attestations/dsse.js';
import { loadSigningKey } from '../../../attestations/keys.js';
import { CERTIFICATE_PAYLOAD_TYPE, decodeCertificate, encodeCertificate } from '../certificate.js';
import { makeCommitment, makeDraw } from '../draw.js';
import { manifestFromJson } from '../manifest.js';
import { combineContributions, commitmentOf, drawSample, fixedCountPlan, type NonceContribution } from '../sampling.js';
import { certificateProblems } from '../outcome.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-draw-'));
const tppverify = (args: string[]) => execa('node', [cli, ...args], { reject: false, timeout: 60_000 });

// The lot: 100 units, 10 of them known to be bad, a sample of 20.
const LOT_SIZE = 100;
const SAMPLE = 20;
const BAD = new Set(Array.from({ length: 10 }, (_, i) => `SN${String(i * 10).padStart(4, '0')}`));
const declarationSha256 = createHash('sha256').update(DECLARATION_JSON).digest('hex');
const manifestValue = {
  lotId: 'LOT-19',
  exporter: 'Example',
  declarationSha256,
  units: Array.from({ length: LOT_SIZE }, (_, i) => ({ serial: `SN${String(i).padStart(4, '0')}`, host: `gpu${String(i >> 3).padStart(2, '0')}` })),
};
const manifest = manifestFromJson(manifestValue);
const manifestSha256 = createHash('sha256').update(JSON.stringify(manifestValue)).digest('hex');
const plan = fixedCountPlan(SAMPLE);
const dodges = (nonce: Buffer) => drawSample(manifest, manifestSha256, nonce, plan).sampled.every((u) => !BAD.has(u.serial));

function contribution(party: string, role: NonceContribution['role'], bytes: Buffer): NonceContribution {
  const c = { party, role, committedAt: '2026-12-01T12:00:00.000Z', contribution: bytes.toString('hex') };
  return { ...c, commitment: commitmentOf(manifestSha256, c) };
}

describe('the nonce rule', () => {
  it('with a nonce of its own choosing, one party finds a sample that dodges every bad unit in a few tries (the attack)', () => {
    let tries = 0;
    while (!dodges(Buffer.from(String(tries).padStart(16, '0'), 'utf8'))) tries++;
    // About one nonce in ten dodges all ten (C(90,20)/C(100,20) ≈ 0.095): the lab needs no luck at all.
    expect(tries).toBeLessThan(200);
  });

  it('a lab that picks its contribution to dodge the bad units gains nothing once the exporter contributes', () => {
    // The lab's best effort: it knows only the exporter's commitment, so it searches with a guess.
    const guess = contribution('exporter', 'exporter', Buffer.alloc(32));
    let labBytes = Buffer.alloc(32);
    for (let i = 0; ; i++) {
      labBytes = createHash('sha256').update(`lab try ${i}`).digest();
      if (dodges(combineContributions(manifestSha256, [contribution('lab', 'lab', labBytes), guess]))) break;
    }
    const lab = contribution('lab', 'lab', labBytes);
    // Against real exporter contributions, the chosen lab contribution dodges no more often than chance.
    const TRIALS = 400;
    let dodged = 0;
    for (let t = 0; t < TRIALS; t++) {
      const exporter = contribution('exporter', 'exporter', createHash('sha256').update(`exporter ${t}`).digest());
      if (dodges(combineContributions(manifestSha256, [lab, exporter]))) dodged++;
    }
    // Chance is 9.5 %; 20 % is more than 7 standard deviations of 400 trials above it, and far below the attack's 100 %.
    expect(dodged / TRIALS).toBeLessThan(0.2);
  });

  it('a contribution changed after the others are revealed no longer opens its commitment', () => {
    const lab = contribution('lab', 'lab', randomBytes(32));
    const exporter = contribution('exporter', 'exporter', randomBytes(32));
    const steered = { ...lab, contribution: randomBytes(32).toString('hex') };
    expect(() => makeDraw('LOT-19', manifestSha256, [lab, exporter].map((c) => ({ ...c, rule: 'tppverify-lot-nonce@1', lotId: 'LOT-19', manifestSha256 })), [steered, exporter].map((c) => ({ ...c, rule: 'tppverify-lot-nonce@1', manifestSha256 })))).toThrow(
      /party lab: the revealed contribution does not match its commitment/,
    );
  });

  it('refuses a lab alone, a party twice, a reveal missing, and a commitment to another manifest', () => {
    const asFiles = (list: NonceContribution[], sha = manifestSha256) => ({
      commitments: list.map((c) => ({ ...c, rule: 'tppverify-lot-nonce@1', lotId: 'LOT-19', manifestSha256: sha })),
      reveals: list.map((c) => ({ ...c, rule: 'tppverify-lot-nonce@1', manifestSha256: sha })),
    });
    const lab = contribution('lab', 'lab', randomBytes(32));
    const second = contribution('lab2', 'lab', randomBytes(32));
    const alone = asFiles([lab, second]);
    expect(() => makeDraw('L', manifestSha256, alone.commitments, alone.reveals)).toThrow(/no contribution from a party other than the lab/);
    const exporter = contribution('exporter', 'exporter', randomBytes(32));
    const both = asFiles([lab, exporter]);
    expect(() => makeDraw('L', manifestSha256, both.commitments, both.reveals.slice(0, 1))).toThrow(/party exporter committed but has not revealed/);
    const twice = asFiles([lab, exporter, exporter]);
    expect(() => makeDraw('L', manifestSha256, twice.commitments, twice.reveals)).toThrow(/party exporter contributes twice/);
    const other = asFiles([lab, exporter], 'b'.repeat(64));
    expect(() => makeDraw('L', manifestSha256, other.commitments, other.reveals)).toThrow(/party lab committed to manifest bbbbbbbbbbbb…, not this one/);
    const short = asFiles([lab, contribution('bis', 'bis', randomBytes(8))]);
    expect(() => makeDraw('L', manifestSha256, short.commitments, short.reveals)).toThrow(/party bis: a contribution is 16 to 64 bytes/);
  });

  it('depends on every contribution, and not on the order they are listed in', () => {
    const lab = contribution('lab', 'lab', randomBytes(32));
    const exporter = contribution('exporter', 'exporter', randomBytes(32));
    const bis = contribution('bis', 'bis', randomBytes(32));
    const nonce = combineContributions(manifestSha256, [lab, exporter, bis]);
    expect(combineContributions(manifestSha256, [bis, lab, exporter]).equals(nonce)).toBe(true);
    expect(combineContributions(manifestSha256, [lab, exporter]).equals(nonce)).toBe(false);
    expect(combineContributions(manifestSha256, [lab, exporter, contribution('bis', 'bis', randomBytes(32))]).equals(nonce)).toBe(false);
    expect(combineContributions('c'.repeat(64), [lab, exporter, bis]).equals(nonce)).toBe(false);
    const made = makeCommitment('LOT-19', manifestSha256, 'auditor', 'auditor');
    expect(made.commitment.commitment).toBe(commitmentOf(manifestSha256, made.reveal));
  });
});

describe('lot commit, draw, plan, certify and verify', () => {
  const keys = path.join(work, 'keys');
  const units = path.join(work, 'units');
  const manifestFile = path.join(work, 'manifest.json');
  const parties = path.join(work, 'parties');
  const drawFile = path.join(work, 'draw.json');

  beforeAll(async () => {
    writeFileSync(manifestFile, JSON.stringify(manifestValue));
    expect((await tppverify(['keygen', '--out', keys])).exitCode).toBe(0);
    const key = await loadSigningKey(path.join(keys, 'tppverify-private.pem'));
    mkdirSync(units);
    for (const unit of manifestValue.units) {
      const statement = fixtureStatement();
      statement.subject[0]!.identity = statement.subject[0]!.identity.map((f) => (f.name === 'serial' ? { ...f, value: unit.serial } : f));
      writeFileSync(path.join(units, `${unit.serial}.dsse.pb`), signedFixture(key, statement));
    }
  });

  it('draws the nonce from the lab and the exporter and records both in the certificate, which verify recomputes', async () => {
    for (const [party, role] of [['lab', 'lab'], ['exporter', 'exporter']]) {
      const run = await tppverify(['lot', 'commit', manifestFile, '--party', party!, '--role', role!, '--out', parties]);
      expect(run.exitCode, run.stderr).toBe(0);
    }
    expect(statSync(path.join(parties, 'lab.reveal.json')).mode & 0o077).toBe(0);
    const again = await tppverify(['lot', 'commit', manifestFile, '--party', 'lab', '--role', 'lab', '--out', parties]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/lab has committed to this lot already/);

    const c = (p: string) => ['--commitment', path.join(parties, `${p}.commitment.json`)];
    const r = (p: string) => ['--reveal', path.join(parties, `${p}.reveal.json`)];
    const missing = await tppverify(['lot', 'draw', manifestFile, ...c('lab'), ...c('exporter'), ...r('lab'), '--out', drawFile]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim()).toBe('tppverify: party exporter committed but has not revealed: the draw needs every reveal');
    const draw = await tppverify(['lot', 'draw', manifestFile, ...c('lab'), ...c('exporter'), ...r('lab'), ...r('exporter'), '--out', drawFile, '--json']);
    expect(draw.exitCode, draw.stderr).toBe(0);
    const { nonce } = JSON.parse(draw.stdout) as { nonce: string };

    const planned = JSON.parse((await tppverify(['lot', 'plan', manifestFile, '--draw', drawFile, '--sample', '5', '--json'])).stdout);
    expect(planned).toMatchObject({ nonceHex: nonce, nonceRule: 'tppverify-lot-nonce@1' });
    expect(planned.contributions.map((x: NonceContribution) => x.party).sort()).toEqual(['exporter', 'lab']);

    const certify = await tppverify(['lot', 'certify', manifestFile, '--draw', drawFile, '--sample', '5', '--attestations', units, '--key', path.join(keys, 'tppverify-private.pem'), '--out', path.join(work, 'cert'), '--json']);
    expect(certify.exitCode, certify.stderr).toBe(0);
    const certificateFile = JSON.parse(certify.stdout).certificate as string;
    const certificate = decodeCertificate(decodeEnvelope(readFileSync(certificateFile)).payload);
    expect(certificate.nonceRule).toBe('tppverify-lot-nonce@1');
    expect(certificate.nonceContributions.map((x) => `${x.party}:${x.role}`).sort()).toEqual(['exporter:exporter', 'lab:lab']);
    expect(certificate.units.map((u) => u.serial)).toEqual(planned.sampled.map((u: { serial: string }) => u.serial));

    const verify = await tppverify(['verify', certificateFile, '--pubkey', path.join(keys, 'tppverify-public.pem'), '--manifest', manifestFile, '--json']);
    expect(verify.exitCode, verify.stdout).toBe(0);
    expect(JSON.parse(verify.stdout).files[0].summary).toMatchObject({ nonceRule: 'tppverify-lot-nonce@1', nonceParties: expect.arrayContaining(['lab (lab)', 'exporter (exporter)']) });

    // A certificate re-signed by the lab with a steered lab contribution and the nonce it gives: verify says so.
    const key = await loadSigningKey(path.join(keys, 'tppverify-private.pem'));
    const steered = { ...certificate, nonceContributions: certificate.nonceContributions.map((x) => (x.role === 'lab' ? { ...x, contribution: randomBytes(32).toString('hex') } : x)) };
    steered.nonce = combineContributions(certificate.manifestSha256, steered.nonceContributions);
    const problems = certificateProblems(decodeCertificate(encodeCertificate(steered)));
    expect(problems).toContain('nonce: party lab: the revealed contribution does not match its commitment');
    const edited = path.join(work, 'steered.dsse.pb');
    writeFileSync(edited, encodeEnvelope(signEnvelope(encodeCertificate({ ...certificate, nonce: randomBytes(32) }), CERTIFICATE_PAYLOAD_TYPE, [key])));
    const refused = await tppverify(['verify', edited, '--pubkey', path.join(keys, 'tppverify-public.pem'), '--json']);
    expect(refused.exitCode).toBe(1);
    expect(JSON.parse(refused.stdout).files[0].reasons).toContain('nonce: not the combination of its recorded contributions');
  });

  it('refuses a draw file whose nonce was edited, and --draw with --nonce', async () => {
    const edited = path.join(work, 'edited-draw.json');
    const value = JSON.parse(readFileSync(drawFile, 'utf8'));
    writeFileSync(edited, JSON.stringify({ ...value, nonce: '00'.repeat(32) }));
    const run = await tppverify(['lot', 'plan', manifestFile, '--draw', edited]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/edited-draw\.json: nonce: not the one its contributions give/);
    const both = await tppverify(['lot', 'plan', manifestFile, '--draw', drawFile, '--nonce', '0011223344556677']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/give --draw or --nonce, not both/);
  });
});
