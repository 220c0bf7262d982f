// The forms a signed run writes (.dsse.pb, .dsse.json, .intoto.json,
// .sigstore.json) through the built CLI: verify takes each, checks that
// forms given together say the same, checks a bundle's RFC 3161 timestamp
// from a real responder (openssl ts on loopback) against the TSA chain, and
// gives one JSON shape for one file or many.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeFromJson, envelopeToJson, signEnvelope } from '../../attestations/dsse.js';
import { decodeIntotoStatement, encodeIntotoStatement, INTOTO_PAYLOAD_TYPE } from '../../attestations/intoto-json.js';
import { loadSigningKey } from '../../attestations/keys.js';
import { createFileRegistry, fromBinary, fromJson, type JsonValue } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { validatesAgainst } from '../../attestations/test/schema-validator.js';
import { startTestTsa, type TestTsa } from '../../attestations/test/tsa.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const declaration = path.join(root, 'harness', 'declaration', 'examples', 'h100-sxm.json');
const SMALL = ['--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05', '--no-strict'];
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-forms-'));
const keys = path.join(work, 'keys');
const publicKey = path.join(keys, 'tppverify-public.pem');
const privateKey = path.join(keys, 'tppverify-private.pem');
let tsa: TestTsa;

interface RunOutput {
  schema: string;
  attestation: string;
  json: string;
  intoto: string;
  bundle: string;
}
interface VerifyOutput {
  schema: string;
  valid: boolean;
  count: number;
  files: { file: string; valid: boolean; kind: string; reasons: string[]; timestamps: string[]; summary: { reportId: string } | null }[];
}

const tppverify = (args: string[]) => execa('node', [cli, ...args], { reject: false, timeout: 120_000 });
let signed: RunOutput;
let stamped: RunOutput;

async function run(out: string, extra: string[] = []): Promise<RunOutput> {
  const result = await tppverify(['run', '--declaration', declaration, '--key', privateKey, '--out', out, '--json', ...SMALL, ...extra]);
  expect(result.exitCode, result.stderr).toBe(0);
  const output = JSON.parse(result.stdout) as RunOutput;
  expect(validatesAgainst('run.v1.schema.json', output)).toBe(true);
  return output;
}

async function verify(files: string[], extra: string[] = []): Promise<{ exitCode: number | undefined; output: VerifyOutput }> {
  const result = await tppverify(['verify', ...files, '--pubkey', publicKey, '--json', ...extra]);
  const output = JSON.parse(result.stdout) as VerifyOutput;
  expect(validatesAgainst('verify.v1.schema.json', output)).toBe(true);
  return { exitCode: result.exitCode, output };
}

beforeAll(async () => {
  expect((await tppverify(['keygen', '--out', keys])).exitCode).toBe(0);
  tsa = await startTestTsa(path.join(work, 'tsa'));
  signed = await run(path.join(work, 'out'));
  stamped = await run(path.join(work, 'stamped'), ['--tsa', tsa.url]);
});

afterAll(async () => {
  await tsa?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the forms of a signed run', () => {
  it('run names its schema and every file it wrote', () => {
    expect(signed.schema).toBe('tppverify.run.v1');
    expect(signed.intoto).toMatch(/\.intoto\.json$/);
    expect(signed.bundle).toMatch(/\.sigstore\.json$/);
  });

  it("a real run's in-toto payload parses strictly with in-toto's own Statement .proto and with the Predicate message", async () => {
    const descriptors = path.join(work, 'descriptors.binpb');
    const buf = path.join(root, 'node_modules', '.bin', 'buf');
    const registry = async (input: string) => {
      await execa(buf, ['build', input, '-o', descriptors], { cwd: root });
      return createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(descriptors)));
    };
    const intoto = (await registry(path.join(root, 'attestations', 'test', 'fixtures', 'in-toto'))).getMessage('in_toto_attestation.v1.Statement')!;
    const predicate = (await registry(path.join(root, 'proto'))).getMessage('tppverify.v1.Predicate')!;
    const json = JSON.parse(Buffer.from(envelopeFromJson(readFileSync(signed.intoto, 'utf8')).payload).toString('utf8')) as { predicate: JsonValue };
    expect(() => fromJson(intoto, json as unknown as JsonValue)).not.toThrow();
    expect(() => fromJson(predicate, json.predicate)).not.toThrow();
    expect(validatesAgainst('intoto-statement.v1.schema.json', json)).toBe(true);
  });

  it('verify takes each form alone, with one JSON shape, and the four together agree', async () => {
    const forms = [signed.attestation, signed.json, signed.intoto, signed.bundle];
    for (const file of forms) {
      const { exitCode, output } = await verify([file]);
      expect(exitCode, output.files[0]?.reasons.join('; ')).toBe(0);
      expect(output).toMatchObject({ schema: 'tppverify.verify.v1', valid: true, count: 1, files: [{ file, valid: true, kind: 'attestation' }] });
    }
    const together = await verify(forms);
    expect(together.exitCode).toBe(0);
    expect(together.output).toMatchObject({ schema: 'tppverify.verify.v1', valid: true, count: 4 });
    expect(new Set(together.output.files.map((f) => f.summary?.reportId)).size).toBe(1);
    // show reads the in-toto form and the bundle as it reads the protobuf one.
    const shown = await Promise.all(forms.map(async (file) => JSON.parse((await tppverify(['show', file, '--json'])).stdout) as { statement: { predicate: { report: { reportId: string } } } }));
    expect(new Set(shown.map((s) => s.statement.predicate.report.reportId)).size).toBe(1);
  });

  it('refuses an in-toto form, signed by the same key, that says something else than the protobuf form given with it', async () => {
    const key = await loadSigningKey(privateKey);
    const statement = decodeIntotoStatement(envelopeFromJson(readFileSync(signed.intoto, 'utf8')).payload);
    statement.predicate.report.operator = 'someone else';
    const other = path.join(work, 'other.intoto.json');
    writeFileSync(other, envelopeToJson(signEnvelope(encodeIntotoStatement(statement), INTOTO_PAYLOAD_TYPE, [key])));
    expect((await verify([other])).exitCode).toBe(0);
    const { exitCode, output } = await verify([signed.attestation, other]);
    expect(exitCode).toBe(1);
    for (const file of output.files) expect(file.reasons.join()).toMatch(/do not say the same/);
  });

  it('refuses a bundle whose payload was changed', async () => {
    const bundle = JSON.parse(readFileSync(signed.bundle, 'utf8')) as { dsseEnvelope: { payload: string } };
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8');
    const changed = payload.replace('"reportId":"', '"reportId":"0');
    expect(changed).not.toBe(payload);
    bundle.dsseEnvelope.payload = Buffer.from(changed).toString('base64');
    const tampered = path.join(work, 'tampered.sigstore.json');
    writeFileSync(tampered, JSON.stringify(bundle));
    const { exitCode, output } = await verify([tampered]);
    expect(exitCode).toBe(1);
    expect(output.files[0]!.valid).toBe(false);
  });
});

describe('RFC 3161 timestamps', () => {
  it('run --tsa puts a timestamp in the bundle, and verify --tsa-certs checks it against the TSA chain', async () => {
    const { exitCode, output } = await verify([stamped.bundle], ['--tsa-certs', tsa.chainFile]);
    expect(exitCode, output.files[0]?.reasons.join('; ')).toBe(0);
    expect(output.files[0]!.timestamps).toHaveLength(1);
    expect(Math.abs(Date.parse(output.files[0]!.timestamps[0]!) - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('refuses the timestamp against a root that did not issue the TSA certificate', async () => {
    const { exitCode, output } = await verify([stamped.bundle], ['--tsa-certs', tsa.otherChainFile]);
    expect(exitCode).toBe(1);
    expect(output.files[0]!.reasons.join()).toMatch(/timestamp/i);
  });

  it('with --tsa-certs requires a timestamp: a bundle without one and a .dsse.pb are refused', async () => {
    const withoutTimestamp = await verify([signed.bundle], ['--tsa-certs', tsa.chainFile]);
    expect(withoutTimestamp.exitCode).toBe(1);
    const protobuf = await verify([stamped.attestation], ['--tsa-certs', tsa.chainFile]);
    expect(protobuf.exitCode).toBe(1);
    expect(protobuf.output.files[0]!.reasons.join()).toMatch(/only a Sigstore bundle/);
  });

  it('run refuses a --tsa that is not an http(s) URL before measuring, and one that does not answer writes nothing', async () => {
    const bad = await tppverify(['run', '--key', privateKey, '--out', path.join(work, 'never'), '--tsa', 'ftp://tsa.example', ...SMALL]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    // A port that was just free: nothing answers there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const down = path.join(work, 'down');
    const result = await tppverify(['run', '--key', privateKey, '--out', down, '--tsa', `http://127.0.0.1:${port}/`, ...SMALL]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/did not answer.*no attestation written/);
    expect(existsSync(down) ? readdirSync(down) : []).toEqual([]);
  });
});
