// The in-toto JSON form, checked by peers: in-toto's own Statement and
// ResourceDescriptor .proto files and our Predicate message, both read by
// Buf's protobuf-es (an implementation independent of protobufjs) with
// unknown fields refused; then our own strict reader back to the Statement.
import { createFileRegistry, fromBinary, fromJson, toBinary, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boardDigest,
  canonicalJson,
  decodeIntotoStatement,
  encodeIntotoStatement,
  INTOTO_PREDICATE_TYPE,
  INTOTO_STATEMENT_TYPE,
  IntotoFormatError,
  intotoStatement,
} from '../../../attestations/intoto-json.js';
import { messageFromJson, messageToJson } from '../../../attestations/proto-json.js';
import { attestationType } from '../../../attestations/schema.js';
import { decodeStatement, encodeStatement } from '../../../attestations/statement.js';
import { DEVICE_FACTS, fixtureStatement } from '../attestation-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const buf = path.join(root, 'node_modules', '.bin', 'buf');
let work: string;

/** A protobuf-es message descriptor from .proto files compiled by buf. */
async function peerMessage(input: string, name: string): Promise<DescMessage> {
  const out = path.join(work, `${path.basename(input)}.binpb`);
  await execa(buf, ['build', input, '-o', out], { cwd: root });
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(out)));
  const message = registry.getMessage(name);
  if (!message) throw new Error(`${name} not in ${input}`);
  return message;
}

let intotoStatementSchema: DescMessage;
let predicateSchema: DescMessage;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tppverify-intoto-'));
  intotoStatementSchema = await peerMessage(path.join(root, 'attestations', 'test', 'fixtures', 'in-toto'), 'in_toto_attestation.v1.Statement');
  predicateSchema = await peerMessage(path.join(root, 'proto'), 'tppverify.v1.Predicate');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function payloadJson(statement = fixtureStatement()): Record<string, unknown> {
  return JSON.parse(Buffer.from(encodeIntotoStatement(statement)).toString('utf8')) as Record<string, unknown>;
}

describe('in-toto Statement v1 JSON, read by in-toto’s own protobuf definitions', () => {
  it('parses strictly as in_toto_attestation.v1.Statement with digests on every subject', () => {
    const statement = fromJson(intotoStatementSchema, payloadJson() as JsonValue) as unknown as {
      type: string;
      predicateType: string;
      subject: { name: string; digest: Record<string, string>; annotations?: unknown }[];
    };
    expect(statement.type).toBe(INTOTO_STATEMENT_TYPE);
    expect(statement.predicateType).toBe(INTOTO_PREDICATE_TYPE);
    expect(statement.subject.map((s) => s.name)).toEqual(['1654922001234', 'declaration']);
    expect(statement.subject[0]!.digest['sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(statement.subject[1]!.digest['sha256']).toBe(fixtureStatement().predicate.declaration.sha256);
  });

  it('is refused by the peer when a field in-toto does not define is added', () => {
    const top = { ...payloadJson(), extra: 1 };
    expect(() => fromJson(intotoStatementSchema, top as JsonValue)).toThrow(/extra/);
    const json = payloadJson();
    (json['subject'] as Record<string, unknown>[])[0]!['sha256'] = 'x';
    expect(() => fromJson(intotoStatementSchema, json as JsonValue)).toThrow(/sha256/);
  });

  it('carries the predicate as canonical proto3 JSON of tppverify.v1.Predicate, equal to the protobuf form', () => {
    const statement = fixtureStatement();
    const fromIntoto = fromJson(predicateSchema, payloadJson(statement)['predicate'] as JsonValue);
    const predicateBytes = attestationType('Predicate').encode(attestationType('Predicate').fromObject(statement.predicate as unknown as Record<string, unknown>)).finish();
    // Both read by protobuf-es and written again by its one encoder: equal bytes, equal content.
    const fromProtobuf = fromBinary(predicateSchema, predicateBytes);
    expect(Buffer.from(toBinary(predicateSchema, fromIntoto)).equals(Buffer.from(toBinary(predicateSchema, fromProtobuf)))).toBe(true);
    // 64-bit integers are strings, bytes base64, defaults left out.
    const measurements = (payloadJson()['predicate'] as { measurements: { bandwidth: { arrayBytes: unknown; threads?: unknown } } }).measurements;
    expect(measurements.bandwidth.arrayBytes).toBe(String(2 ** 30));
    expect('threads' in measurements.bandwidth).toBe(false);
    const tampered = payloadJson()['predicate'] as Record<string, unknown>;
    (tampered['report'] as Record<string, unknown>)['grade'] = 'A';
    expect(() => fromJson(predicateSchema, tampered as JsonValue)).toThrow(/grade/);
  });
});

describe('decodeIntotoStatement', () => {
  it('gives back the same Statement as the protobuf form', () => {
    const statement = fixtureStatement();
    expect(decodeIntotoStatement(encodeIntotoStatement(statement))).toEqual(decodeStatement(encodeStatement(statement)));
  });

  it('names the board by its serial, digests its identity by JCS and lifts serial and UUID', () => {
    const board = (intotoStatement(fixtureStatement())['subject'] as { annotations: Record<string, unknown>; digest: { sha256: string } }[])[0]!;
    expect(board.annotations['serial']).toBe('1654922001234');
    expect(board.annotations['uuid']).toBe('GPU-00000000-0000-0000-0000-000000000000');
    expect(board.digest.sha256).toBe(boardDigest({ name: 'cuda:0', identity: DEVICE_FACTS }));
    expect(canonicalJson({ b: ['x'], a: 'é"' })).toBe('{"a":"é\\"","b":["x"]}');
  });

  const refusals: [string, (json: Record<string, unknown>) => void, RegExp][] = [
    ['an unknown top-level field', (j) => (j['x'] = 1), /statement\.x: unknown field/],
    ['an unknown predicate field', (j) => ((j['predicate'] as Record<string, Record<string, unknown>>)['report']!['grade'] = 'A'), /predicate\.report\.grade: unknown field/],
    ['a wrong type in the predicate', (j) => ((j['predicate'] as Record<string, Record<string, unknown>>)['report']!['demo'] = 'yes'), /predicate\.report\.demo: must be true or false/],
    ['another predicate type', (j) => (j['predicateType'] = 'https://example.com/p'), /predicateType/],
    ['a changed identity fact', (j) => (((j['subject'] as Record<string, Record<string, unknown>>[])[0]!['annotations']!['identity'] as { value: string }[])[0]!.value = 'other'), /digest of the identity/],
    ['a lifted serial that differs', (j) => ((j['subject'] as Record<string, Record<string, unknown>>[])[0]!['annotations']!['serial'] = '999'), /serial: differs/],
    ['a declaration digest that differs', (j) => ((j['subject'] as Record<string, Record<string, string>>[])[1]!['digest']!['sha256'] = '0'.repeat(64)), /declaration SHA-256/],
    ['a second board', (j) => (j['subject'] as unknown[]).push({}), /board and the declaration/],
  ];
  for (const [what, change, message] of refusals) {
    it(`refuses ${what}`, () => {
      const json = payloadJson();
      change(json);
      const bytes = Buffer.from(JSON.stringify(json));
      expect(() => decodeIntotoStatement(bytes)).toThrow(IntotoFormatError);
      expect(() => decodeIntotoStatement(bytes)).toThrow(message);
    });
  }

  it('refuses duplicate keys and invalid UTF-8', () => {
    const text = Buffer.from(encodeIntotoStatement(fixtureStatement())).toString('utf8');
    expect(() => decodeIntotoStatement(Buffer.from(text.replace('{', '{"_type":"a",')))).toThrow(/twice/);
    expect(() => decodeIntotoStatement(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(/UTF-8/);
  });
});

describe('proto3 JSON mapping', () => {
  it('writes non-finite doubles by name and keeps a proto3 optional zero', () => {
    const parameter = attestationType('Parameter');
    expect(messageToJson(parameter, { name: 'x', value: Number.NaN })).toEqual({ name: 'x', value: 'NaN' });
    expect(messageToJson(parameter, { name: '', value: Number.NEGATIVE_INFINITY })).toEqual({ value: '-Infinity' });
    expect(messageFromJson(parameter, { value: 'Infinity' })).toEqual({ value: Number.POSITIVE_INFINITY });
    const results = attestationType('Results');
    expect(messageToJson(results, { performanceDensity: 0, declaredTpp: 0 })).toEqual({ performanceDensity: 0 });
  });

  it('refuses out-of-range and fractional integers', () => {
    const kernel = attestationType('BandwidthKernel');
    expect(messageFromJson(kernel, { elements: '134217728' })).toEqual({ elements: 134217728 });
    expect(() => messageFromJson(kernel, { elements: '18446744073709551615' })).toThrow(/largest integer/);
    expect(() => messageFromJson(kernel, { elements: 1.5 })).toThrow(/integer/);
    expect(() => messageFromJson(kernel, { elements: '-1' })).toThrow(/negative/);
    expect(() => messageFromJson(attestationType('ThroughputCase'), { units: 2 ** 32 })).toThrow(/out of range/);
  });
});
