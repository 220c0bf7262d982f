// The operator's intake record: read strictly, signed in as its exact bytes,
// and compared with the device by the verdict; a label serial that differs
// from the device's is a finding, never consistent, and verify recomputes it.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ephemeralSigningKey } from '../../../attestations/keys.js';
import { sha256Hex } from '../../../attestations/statement.js';
import { fixtureStatement, signedFixture } from '../../test/attestation-fixture.js';
import { verifyDocumentBytes } from '../../verify/document.js';
import { parseDeclaration } from '../../declaration/declaration.js';
import { computeVerdict } from '../../verdict/verdict.js';
import { describeFinding } from '../../verdict/describe.js';
import { IntakeError, intakeFromJson, parseIntakeBytes, readIntakeFile } from '../intake.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const intakeFile = path.join(here, 'fixtures', 'intake-h100.json');
const intakeBytes = readFileSync(intakeFile);
const valid = JSON.parse(intakeBytes.toString('utf8')) as Record<string, unknown>;

describe('intake record, read strictly', () => {
  it('reads the fixture', () => {
    const { intake, sha256 } = readIntakeFile(intakeFile);
    expect(intake).toMatchObject({ labelSerial: '1654922001234', observer: 'A. Operator', photos: [{ caption: 'label, front' }, { caption: 'package marking' }] });
    expect(sha256).toBe(sha256Hex(intakeBytes));
  });

  it('refuses, naming the field: unknown keys, missing observer, bad times, bad photo digests, repeated photos, control characters', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...valid, colour: 'green' }, /^intake record: colour: unknown field/],
      [{ ...valid, observer: undefined }, /observer: required/],
      [{ ...valid, observedAt: '26/11/2026' }, /observedAt: expected an RFC 3339 UTC time/],
      [{ ...valid, photos: [{ sha256: 'ABC' }] }, /photos\[0\]\.sha256: expected 64 lowercase hex digits/],
      [{ ...valid, photos: [{ sha256: '0'.repeat(64) }, { sha256: '0'.repeat(64) }] }, /photos\[1\]\.sha256: the same photo is listed twice/],
      [{ ...valid, labelSerial: '1654922001234\u202e' }, /labelSerial: must not contain control/],
      [{ ...valid, labelSerial: ' 1654922001234' }, /labelSerial: must not begin or end with spaces/],
      [{ ...valid, labelSerial: 1654922001234 }, /labelSerial: expected a string/],
    ];
    for (const [value, message] of cases) expect(() => intakeFromJson(JSON.parse(JSON.stringify(value))), String(message)).toThrow(message);
    expect(() => parseIntakeBytes(Buffer.from('{"labelSerial":"a","labelSerial":"b"}'))).toThrow(/labelSerial: key appears twice/);
    expect(() => parseIntakeBytes(Buffer.from('\ufeff{}'))).toThrow(IntakeError);
  });
});

describe('the verdict compares the label with the device', () => {
  const statement = fixtureStatement();
  const p = statement.predicate;
  const verdictWith = (bytes: Buffer) =>
    computeVerdict({ declaration: parseDeclaration(Buffer.from(p.declaration.json).toString('utf8')), measurements: p.measurements, deviceFacts: statement.subject[0]!.identity, stateProblems: [], intake: { json: bytes } }).verdict;

  it('the same serial is a consistent finding', () => {
    const finding = verdictWith(intakeBytes).findings.find((f) => f.claim === 'identity:label-serial')!;
    expect(finding.status).toBe('consistent');
    expect(describeFinding(finding)).toMatch(/label serial 1654922001234 \(seen by A\. Operator at 2026-11-26T09:30:00Z\) = the device's serial/);
  });

  it('a label serial that differs is a finding and the verdict is never consistent', () => {
    const other = Buffer.from(JSON.stringify({ ...valid, labelSerial: '1654922009999' }));
    const verdict = verdictWith(other);
    const finding = verdict.findings.find((f) => f.claim === 'identity:label-serial')!;
    expect(finding.status).toBe('inconclusive');
    expect(describeFinding(finding)).toMatch(/label serial 1654922009999 .* is NOT the device's serial 1654922001234/);
    expect(verdict.outcome).not.toBe('consistent');
    // The same run without the intake record: the label is the only difference.
    const without = computeVerdict({ declaration: parseDeclaration(Buffer.from(p.declaration.json).toString('utf8')), measurements: p.measurements, deviceFacts: statement.subject[0]!.identity, stateProblems: [] }).verdict;
    expect(without.findings.some((f) => f.claim.startsWith('identity:'))).toBe(false);
  });

  it('verify recomputes the finding from the signed intake bytes: changing them, or dropping the finding, does not verify', () => {
    const key = ephemeralSigningKey();
    const trusted = new Map([[key.keyId, key.publicKey]]);
    const signed = (mutate: (s: ReturnType<typeof fixtureStatement>) => void) => {
      const s = fixtureStatement();
      const other = Buffer.from(JSON.stringify({ ...valid, labelSerial: '1654922009999' }));
      s.predicate.intake = { json: other, sha256: sha256Hex(other) };
      const recomputed = computeVerdict({ declaration: parseDeclaration(Buffer.from(s.predicate.declaration.json).toString('utf8')), measurements: s.predicate.measurements, deviceFacts: s.subject[0]!.identity, stateProblems: s.predicate.stateProblems, intake: s.predicate.intake });
      s.predicate.verdict = recomputed.verdict;
      s.predicate.results = recomputed.results;
      mutate(s);
      return verifyDocumentBytes(signedFixture(key, s), { keys: trusted, threshold: 1 });
    };
    expect(signed(() => {}).reasons).toEqual([]);
    expect(signed((s) => (s.predicate.verdict = { ...s.predicate.verdict, findings: s.predicate.verdict.findings.filter((f) => !f.claim.startsWith('identity:')), outcome: 'consistent' })).valid).toBe(false);
    const tampered = signed((s) => (s.predicate.intake = { json: intakeBytes, sha256: s.predicate.intake!.sha256 }));
    expect(tampered.valid).toBe(false);
    expect(tampered.reasons.join('; ')).toMatch(/intake record bytes do not match their recorded SHA-256/);
  });
});

describe('run --intake', () => {
  const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
  const SMALL = ['--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05', '--no-strict'];

  it('signs the record in; the CPU reports no serial, so the label cannot be confirmed: inconclusive, and verify agrees', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'tppverify-intake-'));
    const keys = path.join(out, 'keys');
    expect((await execa('node', [cli, 'keygen', '--out', keys], { reject: false })).exitCode).toBe(0);
    const run = await execa('node', [cli, 'run', '--intake', intakeFile, '--key', path.join(keys, 'tppverify-private.pem'), '--out', out, '--json', ...SMALL], { reject: false, timeout: 120_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { attestation: string; summary: { outcome: string } };
    expect(result.summary.outcome).toBe('inconclusive');
    const shown = JSON.parse((await execa('node', [cli, 'show', result.attestation, '--json'])).stdout) as {
      statement: { predicate: { verdict: { findings: { claim: string; status: string }[] }; intake: { sha256: string; json: string }; identityEvidence: { unavailableReason: string } }; subject: { identity: { name: string; assurance?: string }[] }[] };
    };
    const show = shown.statement;
    expect(show.predicate.intake.json).toBe(intakeBytes.toString('utf8'));
    expect(show.predicate.identityEvidence.unavailableReason).toBe('not a GPU');
    expect(show.predicate.verdict.findings).toContainEqual(expect.objectContaining({ claim: 'identity:label-serial', status: 'inconclusive' }));
    expect(show.predicate.intake.sha256).toBe(sha256Hex(intakeBytes));
    expect(show.subject[0]!.identity).toContainEqual(expect.objectContaining({ name: 'labelSerial', assurance: 'operator-observed' }));
    const verify = await execa('node', [cli, 'verify', result.attestation, '--pubkey', path.join(keys, 'tppverify-public.pem')], { reject: false });
    expect(verify.exitCode, verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/inconclusive +identity:label-serial +label serial 1654922001234 .*the device reports no serial/);
    expect(verify.stdout).toMatch(/labelSerial +1654922001234 +\[operator-observed\] operator intake \(A\. Operator/);
  });

  it('a bad intake record exits 2 before measuring, naming the field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tppverify-intake-bad-'));
    writeFileSync(path.join(dir, 'intake.json'), JSON.stringify({ ...valid, observedAt: 'yesterday' }));
    const run = await execa('node', [cli, 'run', '--intake', path.join(dir, 'intake.json'), '--out', dir, ...SMALL], { reject: false, timeout: 60_000 });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^tppverify: intake record .*intake\.json: observedAt: expected an RFC 3339 UTC time/);
  });
});
