// lot certify and verify of certificates, end to end, with unit attestations
// built from the attestation fixture (serial numbers of our choosing).
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { DECLARATION_JSON, fixtureStatement, signedFixture } from '../../test/attestation-fixture.js';
import { decodeEnvelope, encodeEnvelope, envelopeFromJson, signEnvelope, verifySignatures } from '../../../attestations/dsse.js';
import { keyIdOf, loadSigningKey } from '../../../attestations/keys.js';
import { CERTIFICATE_PAYLOAD_TYPE, decodeCertificate, encodeCertificate } from '../certificate.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-certify-'));
const NONCE = '0011223344556677';
const SERIALS = Array.from({ length: 6 }, (_, i) => `16549220${String(i).padStart(5, '0')}`);
const declarationSha256 = createHash('sha256').update(DECLARATION_JSON).digest('hex');
const keys = path.join(work, 'keys');
const units = path.join(work, 'units');
const manifestFile = path.join(work, 'manifest.json');

const tppverify = (args: string[]) => execa('node', [cli, ...args], { reject: false, timeout: 60_000 });

beforeAll(async () => {
  expect((await tppverify(['keygen', '--out', keys])).exitCode).toBe(0);
  const key = await loadSigningKey(path.join(keys, 'tppverify-private.pem'));
  mkdirSync(units);
  for (const serial of SERIALS) {
    const statement = fixtureStatement();
    statement.subject[0]!.identity = statement.subject[0]!.identity.map((f) => (f.name === 'serial' ? { ...f, value: serial } : f));
    writeFileSync(path.join(units, `${serial}.dsse.pb`), signedFixture(key, statement));
  }
  writeFileSync(
    manifestFile,
    JSON.stringify({ lotId: 'LOT-7', exporter: 'Example', declarationSha256, units: SERIALS.map((serial) => ({ serial })) }),
  );
});

async function certify(out: string, extra: string[] = []) {
  const run = await tppverify(['lot', 'certify', manifestFile, '--attestations', units, '--key', path.join(keys, 'tppverify-private.pem'), '--nonce', NONCE, '--out', out, '--json', ...extra]);
  expect(run.exitCode, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { certificate: string; vsa: string; outcome: string; units: { serial: string; status: string; detail: string }[]; reasons: string[]; ignoredSerials: string[] };
}

describe('lot certify', () => {
  it('certifies a lot whose sampled units all have consistent attestations, and says which it ignored', async () => {
    const result = await certify(path.join(work, 'cert-all'), ['--sample', '4']);
    expect(result.outcome).toBe('certified');
    expect(result.units).toHaveLength(4);
    expect(result.units.every((u) => u.status === 'valid')).toBe(true);
    expect(result.ignoredSerials).toHaveLength(2);
    const verify = await tppverify(['verify', result.certificate, '--pubkey', path.join(keys, 'tppverify-public.pem'), '--attestations', units, '--manifest', manifestFile, '--json']);
    expect(JSON.parse(verify.stdout)).toMatchObject({ schema: 'tppverify.verify.v1', valid: true, count: 1, files: [{ valid: true, kind: 'lot-certificate', summary: { kind: 'lot-certificate', outcome: 'certified' } }] });
    // The same certificate as a SLSA VSA, signed by the same key, naming every unit attestation by digest.
    const vsaEnvelope = envelopeFromJson(readFileSync(result.vsa, 'utf8'));
    const publicKey = createPublicKey(readFileSync(path.join(keys, 'tppverify-public.pem')));
    expect(verifySignatures(vsaEnvelope, new Map([[keyIdOf(publicKey), publicKey]]), 1).valid).toBe(true);
    expect(vsaEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    const vsa = JSON.parse(Buffer.from(vsaEnvelope.payload).toString('utf8')) as { predicate: { verificationResult: string; inputAttestations: { digest: { sha256: string } }[] } };
    expect(vsa.predicate.verificationResult).toBe('PASSED');
    const unitDigest = (serial: string) => createHash('sha256').update(readFileSync(path.join(units, `${serial}.dsse.pb`))).digest('hex');
    expect(vsa.predicate.inputAttestations.map((a) => a.digest.sha256)).toEqual(result.units.map((u) => unitDigest(u.serial)));
  });

  it('skips an unreadable entry with a note instead of giving up on the lot', async () => {
    const folder = path.join(work, 'units-with-bad-entry');
    mkdirSync(folder);
    for (const serial of SERIALS) writeFileSync(path.join(folder, `${serial}.dsse.pb`), readFileSync(path.join(units, `${serial}.dsse.pb`)));
    symlinkSync(path.join(work, 'nowhere.dsse.pb'), path.join(folder, 'dangling.dsse.pb'));
    mkdirSync(path.join(folder, 'a-folder.dsse.pb'));
    const run = await tppverify(['lot', 'certify', manifestFile, '--attestations', folder, '--key', path.join(keys, 'tppverify-private.pem'), '--nonce', NONCE, '--sample', '3', '--out', path.join(work, 'cert-bad-entry'), '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).outcome).toBe('certified');
    expect(run.stderr).toMatch(/skipped .*dangling\.dsse\.pb: /);
    expect(run.stderr).toMatch(/skipped .*a-folder\.dsse\.pb: .*not a regular file/);
  });

  it('verify refuses --manifest or --attestations for anything but one lot certificate', async () => {
    const unit = path.join(units, `${SERIALS[0]}.dsse.pb`);
    const run = await tppverify(['verify', unit, '--pubkey', path.join(keys, 'tppverify-public.pem'), '--manifest', manifestFile]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/is not a lot certificate: --attestations and --manifest apply to lot certificates only/);
  });

  it('is incomplete when a sampled unit has no attestation, naming the unit', async () => {
    const plan = JSON.parse((await tppverify(['lot', 'plan', manifestFile, '--nonce', NONCE, '--sample', '3', '--json'])).stdout) as { sampled: { serial: string }[] };
    const missing = plan.sampled[0]!.serial;
    const partial = path.join(work, 'partial');
    mkdirSync(partial);
    for (const serial of SERIALS.filter((s) => s !== missing)) writeFileSync(path.join(partial, `${serial}.dsse.pb`), readFileSync(path.join(units, `${serial}.dsse.pb`)));
    const run = await tppverify(['lot', 'certify', manifestFile, '--attestations', partial, '--key', path.join(keys, 'tppverify-private.pem'), '--nonce', NONCE, '--sample', '3', '--out', path.join(work, 'cert-partial'), '--json']);
    const result = JSON.parse(run.stdout);
    expect(result.outcome).toBe('incomplete');
    expect(result.reasons).toContain(`unit ${missing}: missing (no attestation for this serial)`);
  });

  it('matches units by PDI where manifest and attestation both give it: a board with the right serial but another PDI is missing', async () => {
    const key = await loadSigningKey(path.join(keys, 'tppverify-private.pem'));
    const pdiOf = (i: number) => `0x2e7aa130caa058${String(i).padStart(2, '0')}`;
    const folder = path.join(work, 'units-pdi');
    mkdirSync(folder);
    SERIALS.forEach((serial, i) => {
      const statement = fixtureStatement();
      // The first unit's attestation carries another GPU's PDI under the manifest's serial.
      const pdi = i === 0 ? '0x431d480fe5e87274' : pdiOf(i);
      statement.subject[0]!.identity = [
        ...statement.subject[0]!.identity.map((f) => (f.name === 'serial' ? { ...f, value: serial } : f)),
        { name: 'pdi', value: pdi, source: 'nvml nvmlDeviceGetPdi', readings: [{ source: 'nvml nvmlDeviceGetPdi', value: pdi }], assurance: 'self-reported' },
      ];
      writeFileSync(path.join(folder, `${serial}.dsse.pb`), signedFixture(key, statement));
    });
    const manifest = path.join(work, 'manifest-pdi.json');
    writeFileSync(manifest, JSON.stringify({ lotId: 'LOT-8', exporter: 'Example', declarationSha256, units: SERIALS.map((serial, i) => ({ serial, pdi: pdiOf(i) })) }));
    const run = await tppverify(['lot', 'certify', manifest, '--attestations', folder, '--key', path.join(keys, 'tppverify-private.pem'), '--nonce', NONCE, '--out', path.join(work, 'cert-pdi'), '--sample', '6', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { outcome: string; units: { serial: string; status: string }[] };
    expect(result.outcome).toBe('incomplete');
    expect(result.units.find((u) => u.serial === SERIALS[0])!.status).toBe('missing');
    expect(result.units.filter((u) => u.status === 'valid')).toHaveLength(5);
  });

  it('refuses an attestation made for a different declaration, naming the unit', async () => {
    const other = path.join(work, 'other-declaration');
    mkdirSync(other);
    const key = await loadSigningKey(path.join(keys, 'tppverify-private.pem'));
    for (const serial of SERIALS) {
      const statement = fixtureStatement({ declarationJson: DECLARATION_JSON.replace('"P-1"', '"P-2"') });
      statement.subject[0]!.identity = statement.subject[0]!.identity.map((f) => (f.name === 'serial' ? { ...f, value: serial } : f));
      writeFileSync(path.join(other, `${serial}.dsse.pb`), signedFixture(key, statement));
    }
    const run = await tppverify(['lot', 'certify', manifestFile, '--attestations', other, '--key', path.join(keys, 'tppverify-private.pem'), '--nonce', NONCE, '--sample', '2', '--out', path.join(work, 'cert-other'), '--json']);
    const result = JSON.parse(run.stdout);
    expect(result.outcome).toBe('incomplete');
    expect(result.units[0].detail).toMatch(/attests declaration .*, not the lot's/);
    expect(result.reasons[0]).toMatch(new RegExp(`^unit ${result.units[0].serial}: invalid`));
  });

  it('refuses a certificate whose unit list was edited, naming the unit', async () => {
    const result = await certify(path.join(work, 'cert-edit'), ['--sample', '3']);
    const envelope = decodeEnvelope(readFileSync(result.certificate));
    const certificate = decodeCertificate(envelope.payload);
    const swapped = SERIALS.find((s) => !certificate.units.some((u) => u.serial === s))!;
    const original = certificate.units[0]!.serial;
    certificate.units[0] = { ...certificate.units[0]!, serial: swapped };
    // Even re-signed with the lab's own key, the edit shows.
    const key = await loadSigningKey(path.join(keys, 'tppverify-private.pem'));
    const edited = path.join(work, 'edited.dsse.pb');
    writeFileSync(edited, encodeEnvelope(signEnvelope(encodeCertificate(certificate), CERTIFICATE_PAYLOAD_TYPE, [key])));
    const verify = await tppverify(['verify', edited, '--pubkey', path.join(keys, 'tppverify-public.pem'), '--attestations', units, '--manifest', manifestFile, '--json']);
    expect(verify.exitCode).toBe(1);
    const reasons: string[] = JSON.parse(verify.stdout).files[0].reasons;
    expect(reasons).toContain(`unit ${swapped}: its attestation is for serial ${original}`);
    expect(reasons).toContain('the units listed are not the sample the manifest and nonce give');
  });
});

describe('lot certificate report', () => {
  it('renders the outcome and every sampled unit', async () => {
    const result = await certify(path.join(work, 'cert-report'), ['--sample', '2']);
    const html = path.join(work, 'certificate.html');
    const run = await tppverify(['report', result.certificate, '--html', html, '--pubkey', path.join(keys, 'tppverify-public.pem')]);
    expect(run.exitCode, run.stderr).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('class="verdict ok">CERTIFIED<');
    for (const unit of result.units) expect(page).toContain(unit.serial);
    expect(page).toContain('<td>yes</td>');
  });

  it('show decodes a certificate as it does an attestation', async () => {
    const result = await certify(path.join(work, 'cert-show'), ['--sample', '2']);
    const run = await tppverify(['show', result.certificate, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const view = JSON.parse(run.stdout);
    expect(view.certificate).toMatchObject({ lotId: result.lotId, outcome: 'certified', nonce: NONCE });
    expect(view.statement).toBeUndefined();
  });
});
