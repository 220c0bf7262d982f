// The proto3 canonical JSON mapping (protobuf.dev "JSON Mapping"), written
// out over protobufjs reflection so every record's JSON follows its .proto:
// lowerCamelCase names, fields at their default omitted (proto3 `optional`
// fields kept when set), 64-bit integers as decimal strings, bytes as
// base64, NaN and infinities as "NaN" / "Infinity" / "-Infinity". protobufjs's
// own toObject/fromObject are close but not it: they ignore unknown keys and
// keep default values that an encoder wrote.
import protobuf from 'protobufjs';

export class ProtoJsonError extends Error {
  override readonly name = 'ProtoJsonError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path || '(top level)'}: ${detail}`);
  }
}

const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const UNSIGNED_TYPES = new Set(['uint32', 'fixed32', 'uint64', 'fixed64']);
const FLOAT_TYPES = new Set(['double', 'float']);
/** The non-finite doubles' names in proto3 JSON. */
const SPECIAL_DOUBLES: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

/** Fields in field-number order: the order protobuf's own printers use. */
function fieldsOf(type: protobuf.Type): protobuf.Field[] {
  return [...type.fieldsArray].sort((a, b) => a.id - b.id).map((f) => f.resolve());
}

/** proto3 `optional`: explicit presence, so a set zero is written. */
function hasExplicitPresence(field: protobuf.Field): boolean {
  return field.options?.['proto3_optional'] === true;
}

function unsupported(field: protobuf.Field): never {
  // Maps, enums and oneofs beyond proto3 `optional` are not in the schemas yet: add them here, with tests, when they are.
  throw new Error(`proto-json: field ${field.fullName} has a type this mapping does not handle (${field.type})`);
}

function isDefaultScalar(field: protobuf.Field, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (field.type === 'bytes') return (value as Uint8Array).length === 0;
  if (field.type === 'string') return value === '';
  if (field.type === 'bool') return value === false;
  return Number(value) === 0 && !Object.is(value, -0);
}

function scalarToJson(field: protobuf.Field, value: unknown): unknown {
  if (field.type === 'string' || field.type === 'bool') return value;
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if (INT64_TYPES.has(field.type)) return String(value);
  if (INT32_TYPES.has(field.type)) return value;
  if (FLOAT_TYPES.has(field.type)) {
    const number = value as number;
    if (Number.isNaN(number)) return 'NaN';
    if (number === Number.POSITIVE_INFINITY) return 'Infinity';
    if (number === Number.NEGATIVE_INFINITY) return '-Infinity';
    return number;
  }
  return unsupported(field);
}

function valueToJson(field: protobuf.Field, value: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return messageToJson(field.resolvedType, value as Record<string, unknown>);
  if (field.resolvedType) return unsupported(field);
  return scalarToJson(field, value);
}

/** A plain object of `type` (camelCase members, as decodeStatement gives) in canonical proto3 JSON. */
export function messageToJson(type: protobuf.Type, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fieldsOf(type)) {
    if (field.map) unsupported(field);
    const member = value[field.name];
    if (field.repeated) {
      const items = (member ?? []) as unknown[];
      if (items.length) out[field.name] = items.map((item) => valueToJson(field, item));
    } else if (field.resolvedType instanceof protobuf.Type || hasExplicitPresence(field)) {
      if (member !== null && member !== undefined) out[field.name] = valueToJson(field, member);
    } else if (!isDefaultScalar(field, member)) {
      out[field.name] = valueToJson(field, member);
    }
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const BASE64_URL = /^[A-Za-z0-9_-]*={0,2}$/;
const DECIMAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

function integerFromJson(field: protobuf.Field, json: unknown, path: string): number {
  // proto3 JSON readers take an integer as a number or as a decimal string.
  let number: number;
  if (typeof json === 'number') number = json;
  else if (typeof json === 'string' && DECIMAL_INTEGER.test(json)) number = Number(json);
  else throw new ProtoJsonError(path, `must be an integer (${field.type})`);
  if (!Number.isInteger(number)) throw new ProtoJsonError(path, `must be an integer (${field.type}), not ${String(json)}`);
  if (UNSIGNED_TYPES.has(field.type) && number < 0) throw new ProtoJsonError(path, `must not be negative (${field.type})`);
  if (INT32_TYPES.has(field.type) && (number > (UNSIGNED_TYPES.has(field.type) ? UINT32_MAX : INT32_MAX) || number < INT32_MIN)) {
    throw new ProtoJsonError(path, `is out of range for ${field.type}`);
  }
  // This harness holds 64-bit integers as JS numbers: a larger one would not round-trip.
  if (!Number.isSafeInteger(number)) throw new ProtoJsonError(path, `is beyond ${Number.MAX_SAFE_INTEGER}, the largest integer this reader holds exactly`);
  return number;
}

function scalarFromJson(field: protobuf.Field, json: unknown, path: string): unknown {
  switch (field.type) {
    case 'string':
      if (typeof json !== 'string') throw new ProtoJsonError(path, 'must be a string');
      return json;
    case 'bool':
      if (typeof json !== 'boolean') throw new ProtoJsonError(path, 'must be true or false');
      return json;
    case 'bytes':
      if (typeof json !== 'string' || !(BASE64.test(json) || BASE64_URL.test(json))) throw new ProtoJsonError(path, 'must be base64');
      return Buffer.from(json, 'base64');
  }
  if (FLOAT_TYPES.has(field.type)) {
    if (typeof json === 'number') return json;
    if (typeof json === 'string' && Object.hasOwn(SPECIAL_DOUBLES, json)) return SPECIAL_DOUBLES[json];
    throw new ProtoJsonError(path, 'must be a number (or "NaN", "Infinity", "-Infinity")');
  }
  if (INT64_TYPES.has(field.type) || INT32_TYPES.has(field.type)) return integerFromJson(field, json, path);
  return unsupported(field);
}

function valueFromJson(field: protobuf.Field, json: unknown, path: string): unknown {
  if (field.resolvedType instanceof protobuf.Type) return messageFromJson(field.resolvedType, json, path);
  if (field.resolvedType) return unsupported(field);
  return scalarFromJson(field, json, path);
}

/**
 * Reads proto3 JSON of `type` strictly: unknown keys, wrong types and
 * out-of-range numbers are refused with the field's path. Gives the plain
 * object protobufjs's fromObject takes (absent fields left out).
 */
export function messageFromJson(type: protobuf.Type, json: unknown, path = ''): Record<string, unknown> {
  if (!isObject(json)) throw new ProtoJsonError(path, `must be a JSON object (${type.name})`);
  const byJsonName = new Map<string, protobuf.Field>();
  for (const field of fieldsOf(type)) {
    if (field.map) unsupported(field);
    byJsonName.set(field.name, field);
  }
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(json)) {
    const fieldPath = path ? `${path}.${key}` : key;
    const field = byJsonName.get(key);
    if (!field) throw new ProtoJsonError(fieldPath, `unknown field of ${type.name}`);
    // null stands for the default value in proto3 JSON.
    if (member === null) continue;
    if (field.repeated) {
      if (!Array.isArray(member)) throw new ProtoJsonError(fieldPath, 'must be an array');
      out[field.name] = member.map((item, i) => {
        if (item === null) throw new ProtoJsonError(`${fieldPath}[${i}]`, 'must not be null');
        return valueFromJson(field, item, `${fieldPath}[${i}]`);
      });
    } else {
      out[field.name] = valueFromJson(field, member, fieldPath);
    }
  }
  return out;
}
