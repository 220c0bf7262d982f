// The attestation as an in-toto Statement v1 in JSON (payload type
// application/vnd.in-toto+json), the form in-toto verifiers, cosign and
// policy engines read. The predicate is the very Predicate message of
// attestation.proto in its proto3 canonical JSON; the subjects are in-toto
// ResourceDescriptors with digests: the board (a digest over its identity
// facts) and the declaration (the SHA-256 of its exact bytes).
// docs/predicate-spec.md is the specification.
import { attestationType } from './schema.js';
import { messageFromJson, messageToJson, ProtoJsonError } from './proto-json.js';
import { decodeStatement, PREDICATE_TYPE, sha256Hex, STATEMENT_TYPE, type Statement, type Subject } from './statement.js';
import { decodeUtf8Strict, parseStrictJson, StrictJsonError } from './strict-json.js';

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const INTOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The predicate type this project defines (docs/predicate-spec.md); v1 follows attestation.proto's tppverify.v1. */
export const INTOTO_PREDICATE_TYPE = 'https://tppverify.dev/attestation/v1';
/** The declaration subject's media type: the declaration is a JSON file. */
export const DECLARATION_MEDIA_TYPE = 'application/json';

/** Identity facts also lifted to annotations of their own, for policies that match a board by them. */
const LIFTED_FACTS = ['serial', 'uuid', 'pdi', 'boardPartNumber'] as const;

export class IntotoFormatError extends Error {
  override readonly name = 'IntotoFormatError';
}

interface IdentityFact {
  name: string;
  value: string;
  source: string;
}

/**
 * RFC 8785 (JCS) canonical JSON for values made of strings, arrays and
 * objects: keys sorted by UTF-16 code units, no white space. ECMAScript's
 * JSON.stringify escapes strings exactly as JCS does.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  if (typeof value !== 'string' && typeof value !== 'boolean') throw new Error('canonicalJson: only strings, booleans, arrays and objects');
  return JSON.stringify(value);
}

/** The board's digest: SHA-256 of the JCS form of {deviceId, identity[{name, value, source}]}. */
export function boardDigest(subject: Subject): string {
  const identity = subject.identity.map((f) => ({ name: f.name, value: f.value, source: f.source }));
  return sha256Hex(canonicalJson({ deviceId: subject.name, identity }));
}

/** A ResourceDescriptor's name for the board: the serial, else the UUID, else the device id as measured. */
function boardName(subject: Subject): string {
  const fact = (name: string) => subject.identity.find((f) => f.name === name)?.value;
  return fact('serial') || fact('uuid') || subject.name;
}

function boardDescriptor(subject: Subject): Record<string, unknown> {
  const annotations: Record<string, unknown> = { role: 'board', deviceId: subject.name };
  for (const name of LIFTED_FACTS) {
    const value = subject.identity.find((f) => f.name.toLowerCase() === name.toLowerCase())?.value;
    if (value) annotations[name] = value;
  }
  annotations['identity'] = subject.identity.map((f) => ({ name: f.name, value: f.value, source: f.source }));
  return { name: boardName(subject), digest: { sha256: boardDigest(subject) }, annotations };
}

/** The in-toto Statement of a tppverify Statement, as a JSON value. */
export function intotoStatement(statement: Statement): Record<string, unknown> {
  const board = statement.subject[0];
  if (!board || statement.subject.length !== 1) throw new Error('an attestation has exactly one board subject');
  const predicate = attestationType('Predicate');
  return {
    _type: INTOTO_STATEMENT_TYPE,
    subject: [
      boardDescriptor(board),
      {
        name: 'declaration',
        digest: { sha256: statement.predicate.declaration.sha256 },
        mediaType: DECLARATION_MEDIA_TYPE,
        annotations: { role: 'declaration' },
      },
    ],
    predicateType: INTOTO_PREDICATE_TYPE,
    predicate: messageToJson(predicate, statement.predicate as unknown as Record<string, unknown>),
  };
}

/** The exact payload bytes signed in DSSE: UTF-8 JSON, one line. */
export function encodeIntotoStatement(statement: Statement): Uint8Array {
  return Buffer.from(JSON.stringify(intotoStatement(statement)), 'utf8');
}

function fail(path: string, detail: string): never {
  throw new IntotoFormatError(`not a tppverify in-toto Statement: ${path}: ${detail}`);
}

function asObject(value: unknown, path: string, keys: readonly string[], required: readonly string[] = keys): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be a JSON object');
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) if (!keys.includes(key)) fail(`${path}.${key}`, 'unknown field');
  for (const key of required) if (!(key in object)) fail(`${path}.${key}`, 'missing');
  return object;
}

function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'must be a string');
  return value;
}

function readIdentity(value: unknown, path: string): IdentityFact[] {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  return value.map((raw, i) => {
    const fact = asObject(raw, `${path}[${i}]`, ['name', 'value', 'source']);
    return { name: asString(fact['name'], `${path}[${i}].name`), value: asString(fact['value'], `${path}[${i}].value`), source: asString(fact['source'], `${path}[${i}].source`) };
  });
}

function readBoard(value: unknown, path: string): Subject {
  const descriptor = asObject(value, path, ['name', 'digest', 'annotations']);
  const digest = asObject(descriptor['digest'], `${path}.digest`, ['sha256']);
  const annotations = asObject(descriptor['annotations'], `${path}.annotations`, ['role', 'deviceId', ...LIFTED_FACTS, 'identity'], ['role', 'deviceId', 'identity']);
  const subject: Subject = { name: asString(annotations['deviceId'], `${path}.annotations.deviceId`), identity: readIdentity(annotations['identity'], `${path}.annotations.identity`) };
  if (asString(digest['sha256'], `${path}.digest.sha256`) !== boardDigest(subject)) fail(`${path}.digest.sha256`, 'is not the digest of the identity annotations');
  // The lifted annotations and the name must say what the identity facts say.
  const expected = boardDescriptor(subject);
  if (descriptor['name'] !== expected['name']) fail(`${path}.name`, `must be ${String(expected['name'])}, from the identity facts`);
  for (const name of LIFTED_FACTS) {
    if (annotations[name] !== (expected['annotations'] as Record<string, unknown>)[name]) fail(`${path}.annotations.${name}`, 'differs from the identity facts');
  }
  return subject;
}

/**
 * Decodes the payload of an in-toto envelope back into the tppverify
 * Statement it renders, by way of the protobuf Predicate message, so verify
 * applies one set of acceptance rules to either form. Refuses anything the
 * writer would not write: unknown fields, a second board, a digest that does
 * not match.
 */
export function decodeIntotoStatement(payload: Uint8Array): Statement {
  let json: unknown;
  try {
    json = parseStrictJson(decodeUtf8Strict(payload));
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    throw new IntotoFormatError(`not a tppverify in-toto Statement: ${error.path ? `${error.path}: ` : ''}${error.message}`);
  }
  const top = asObject(json, 'statement', ['_type', 'subject', 'predicateType', 'predicate']);
  if (top['_type'] !== INTOTO_STATEMENT_TYPE) fail('_type', `must be ${INTOTO_STATEMENT_TYPE}`);
  if (top['predicateType'] !== INTOTO_PREDICATE_TYPE) fail('predicateType', `must be ${INTOTO_PREDICATE_TYPE}`);
  const subjects = top['subject'];
  if (!Array.isArray(subjects) || subjects.length !== 2) fail('subject', 'must list the board and the declaration');
  const board = readBoard(subjects[0], 'subject[0]');
  const declaration = asObject(subjects[1], 'subject[1]', ['name', 'digest', 'mediaType', 'annotations']);
  const declarationDigest = asString(asObject(declaration['digest'], 'subject[1].digest', ['sha256'])['sha256'], 'subject[1].digest.sha256');
  if (declaration['name'] !== 'declaration' || declaration['mediaType'] !== DECLARATION_MEDIA_TYPE) fail('subject[1]', 'must be the declaration (name "declaration", mediaType application/json)');
  if (asObject(declaration['annotations'], 'subject[1].annotations', ['role'])['role'] !== 'declaration') fail('subject[1].annotations.role', 'must be "declaration"');

  let predicate: Record<string, unknown>;
  try {
    predicate = messageFromJson(attestationType('Predicate'), top['predicate'], 'predicate');
  } catch (error) {
    if (!(error instanceof ProtoJsonError)) throw error;
    throw new IntotoFormatError(`not a tppverify in-toto Statement: ${error.message}`);
  }
  // Through the protobuf message: the same decoding, defaults and shape as the .dsse.pb form.
  const type = attestationType('Statement');
  const message = type.fromObject({ type: STATEMENT_TYPE, subject: [board], predicateType: PREDICATE_TYPE, predicate });
  const statement = decodeStatement(type.encode(message).finish());
  if (statement.predicate.declaration.sha256 !== declarationDigest) fail('subject[1].digest.sha256', "is not the predicate's declaration SHA-256");
  return statement;
}
