import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ManifestError, manifestFromJson, readManifestFile } from '../manifest.js';
import { drawSample, fixedCountPlan, Z14_GENERAL_LEVEL_II } from '../sampling.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-lot-'));
const DECLARATION = 'a'.repeat(64);

function manifest(units: number) {
  return {
    lotId: 'LOT-2026-0042',
    exporter: 'Example Exporter',
    filingReference: 'F-1',
    declarationSha256: DECLARATION,
    units: Array.from({ length: units }, (_, i) => ({ serial: `16549220${String(i).padStart(5, '0')}`, uuid: `GPU-${i}` })),
  };
}

function writeManifest(name: string, value: unknown): string {
  const file = path.join(work, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('lot manifests', () => {
  it('refuses duplicate serials, naming both units', () => {
    const m = manifest(3);
    m.units[2]!.serial = m.units[0]!.serial;
    expect(() => manifestFromJson(m)).toThrow(ManifestError);
    expect(() => manifestFromJson(m)).toThrow(/units\[2\]: serial 1654922000000 is listed twice \(also units\[0\]\)/);
  });

  it('refuses unknown fields, a bad declaration digest and an empty lot', () => {
    expect(() => manifestFromJson({ ...manifest(1), shipDate: 'x' })).toThrow(/manifest shipDate: unknown field/);
    expect(() => manifestFromJson({ ...manifest(1), declarationSha256: 'xyz' })).toThrow(/declarationSha256: expected 64 lowercase hex/);
    expect(() => manifestFromJson({ ...manifest(1), units: [] })).toThrow(/units: expected a non-empty array/);
  });

  it('refuses text a terminal or a reader would misrender: controls, bidirectional overrides, invalid UTF-8', async () => {
    const m = manifest(2);
    m.units[1]!.serial = 'S\u001b1';
    expect(() => manifestFromJson(m)).toThrow(/units\[1\]\.serial: must not contain control, bidirectional/);
    expect(() => manifestFromJson({ ...manifest(1), lotId: 'LOT\u202E1' })).toThrow(/lotId: must not contain/);
    const file = path.join(work, 'latin1.json');
    writeFileSync(file, Buffer.concat([Buffer.from('{"lotId":"L'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]));
    await expect(readManifestFile(file)).rejects.toThrow(/latin1\.json: is not valid UTF-8/);
  });
});

describe('sampling', () => {
  const nonce = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

  it.each([
    [2, 2], [8, 2], [9, 3], [15, 3], [16, 5], [50, 8], [51, 13], [150, 20], [151, 32], [500, 50], [1200, 80], [1201, 125], [10000, 200],
  ])('Z1.4 level II takes %i → %i units', (lotSize, sample) => {
    expect(Z14_GENERAL_LEVEL_II.sampleSize(lotSize)).toBe(sample);
  });

  it('is reproducible from the manifest digest and the nonce, and changes with either', async () => {
    const file = writeManifest('lot-100.json', manifest(100));
    const { manifest: m, sha256 } = await readManifestFile(file);
    const first = drawSample(m, sha256, nonce, Z14_GENERAL_LEVEL_II);
    expect(first.sampled).toHaveLength(20);
    expect(drawSample(m, sha256, nonce, Z14_GENERAL_LEVEL_II).sampled).toEqual(first.sampled);
    expect(drawSample(m, sha256, Buffer.from('ff', 'hex'), Z14_GENERAL_LEVEL_II).sampled).not.toEqual(first.sampled);
    expect(drawSample(m, 'b'.repeat(64), nonce, Z14_GENERAL_LEVEL_II).sampled).not.toEqual(first.sampled);
    expect(new Set(first.sampled.map((u) => u.serial)).size).toBe(20);
  });

  it('takes every unit when the plan asks for more than the lot has', () => {
    const m = manifestFromJson(manifest(4));
    expect(drawSample(m, DECLARATION, nonce, fixedCountPlan(10)).sampled).toHaveLength(4);
  });
});

describe('tppverify lot plan', () => {
  it('prints the sample as JSON and refuses to run without a nonce', async () => {
    const file = writeManifest('lot-cli.json', manifest(30));
    const run = await execa('node', [cli, 'lot', 'plan', file, '--nonce', '0011223344556677', '--json'], { reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ lotId: 'LOT-2026-0042', plan: 'ansi-asq-z1.4-gil-ii', lotSize: 30, nonceHex: '0011223344556677' });
    expect(result.sampled).toHaveLength(8);
    const again = await execa('node', [cli, 'lot', 'plan', file, '--nonce', '0011223344556677', '--json'], { reject: false });
    expect(JSON.parse(again.stdout).sampled).toEqual(result.sampled);
    const noNonce = await execa('node', [cli, 'lot', 'plan', file], { reject: false });
    expect(noNonce.exitCode).toBe(2);
    expect(noNonce.stderr).toMatch(/required option '--nonce <hex>' not specified/);
  });

  it('exits 2 naming the unit for a duplicate serial', async () => {
    const m = manifest(3);
    m.units[1]!.serial = m.units[0]!.serial;
    const run = await execa('node', [cli, 'lot', 'plan', writeManifest('dup.json', m), '--nonce', '0011223344556677'], { reject: false });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^tppverify: manifest .*dup\.json: units\[1\]: serial 1654922000000 is listed twice/);
  });
});

describe('schema and reader agree', () => {
  it('reads exactly the fields of tppverify.v1.LotManifest and LotUnit', async () => {
    const protobuf = (await import('protobufjs')).default;
    const schema = protobuf.loadSync(path.join(root, 'proto', 'tppverify', 'v1', 'lot.proto'));
    const names = (type: string) => schema.lookupType(`tppverify.v1.${type}`).fieldsArray.map((f) => f.name).sort();
    expect(names('LotManifest')).toEqual(Object.keys(manifest(1)).sort());
    expect(names('LotUnit')).toEqual(['boardPartNumber', 'serial', 'uuid']);
  });
});
