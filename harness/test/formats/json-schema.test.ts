// The published JSON Schemas: the committed files are what the generator
// makes from the .proto files, a real validator (Ajv, draft 2020-12) compiles
// them strictly, and real documents and CLI outputs validate (tampered ones
// do not).
import { execa } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeEnvelope, signEnvelope } from '../../../attestations/dsse.js';
import { intotoStatement } from '../../../attestations/intoto-json.js';
import { schemaFiles } from '../../../attestations/json-schema.js';
import { ephemeralSigningKey } from '../../../attestations/keys.js';
import { lotVsaStatement } from '../../../attestations/slsa-vsa.js';
import { encodeStatement, PAYLOAD_TYPE } from '../../../attestations/statement.js';
import { fixtureStatement } from '../attestation-fixture.js';
import { validatesAgainst } from '../../../attestations/test/schema-validator.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const schemasDir = path.join(root, 'schemas');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-schemas-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const valid = validatesAgainst;

describe('published schemas', () => {
  it('are exactly what npm run schemas generates from the .proto files', () => {
    const generated = schemaFiles();
    expect(readdirSync(schemasDir).filter((f) => f.endsWith('.json')).sort()).toEqual(Object.keys(generated).sort());
    for (const [name, text] of Object.entries(generated)) expect(readFileSync(path.join(schemasDir, name), 'utf8'), name).toBe(text);
  });

  it('validate the in-toto Statement and its predicate, and refuse an unknown field', () => {
    const statement = intotoStatement(fixtureStatement());
    expect(valid('intoto-statement.v1.schema.json', statement)).toBe(true);
    expect(valid('predicate.v1.schema.json', statement['predicate'])).toBe(true);
    const tampered = structuredClone(statement) as { predicate: { results: Record<string, unknown> } };
    tampered.predicate.results['grade'] = 'A';
    expect(valid('intoto-statement.v1.schema.json', tampered)).toBe(false);
  });

  it('validate every example declaration and refuse a misspelt field', () => {
    const dir = path.join(root, 'harness', 'declaration', 'examples');
    for (const file of readdirSync(dir)) expect(valid('declaration.v1.schema.json', JSON.parse(readFileSync(path.join(dir, file), 'utf8'))), file).toBe(true);
    expect(valid('declaration.v1.schema.json', { vendor: 'X', computeUnit: 3 })).toBe(false);
  });

  it('validate a lot VSA', () => {
    const vsa = lotVsaStatement({
      lotId: 'L', manifestSha256: 'a'.repeat(64), declarationSha256: 'b'.repeat(64), plan: 'fixed-1', planDescription: 'one', nonceHex: '00112233',
      lotSize: 1, outcome: 'certified', issuedAt: '2026-12-01T00:00:00.000Z', units: [{ serial: 'S', attestationSha256: 'c'.repeat(64), status: 'valid', verdict: 'consistent' }],
      unitDecisionRule: 'r@1', harnessVersion: 't',
    });
    expect(valid('vsa-lot.v1.schema.json', vsa)).toBe(true);
  });

  it("name themselves in each CLI output, which validates against the schema it names", async () => {
    const key = ephemeralSigningKey();
    const attestation = path.join(work, 'a.dsse.pb');
    writeFileSync(attestation, encodeEnvelope(signEnvelope(encodeStatement(fixtureStatement()), PAYLOAD_TYPE, [key])));
    const publicKey = path.join(work, 'key.pem');
    writeFileSync(publicKey, key.publicKey.export({ type: 'spki', format: 'pem' }));
    const manifest = path.join(work, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ lotId: 'L-1', exporter: 'Example', declarationSha256: 'a'.repeat(64), units: [{ serial: 'S1' }, { serial: 'S2' }] }));
    expect(valid('lot-manifest.v1.schema.json', JSON.parse(readFileSync(manifest, 'utf8')))).toBe(true);
    const commands: [string, string[]][] = [
      ['tpp.v1.schema.json', ['tpp', path.join(root, 'harness', 'declaration', 'examples', 'h200-sxm.json'), '--json']],
      ['devices.v1.schema.json', ['devices', '--json']],
      ['show.v1.schema.json', ['show', attestation, '--json']],
      ['verify.v1.schema.json', ['verify', attestation, '--pubkey', publicKey, '--json']],
      ['verify.v1.schema.json', ['verify', attestation, attestation, '--pubkey', publicKey, '--json']],
      ['lot-plan.v1.schema.json', ['lot', 'plan', manifest, '--nonce', '0011223344556677', '--sample', '1', '--json']],
    ];
    for (const [schemaFile, args] of commands) {
      const run = await execa('node', [cli, ...args], { reject: false, timeout: 60_000 });
      expect(run.stdout, `${args.join(' ')}: ${run.stderr}`).not.toBe('');
      const output = JSON.parse(run.stdout) as { schema: string };
      expect(`${output.schema.replace(/^tppverify\./, '')}.schema.json`, args.join(' ')).toBe(schemaFile);
      expect(valid(schemaFile, output), args.join(' ')).toBe(true);
    }
  });
});
