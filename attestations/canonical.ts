// One canonical protobuf encoding for every signed record, the proto3 one
// other implementations write: fields in number order, scalars at their
// default value (0, "", false, empty bytes) and empty repeated fields left
// out, fields with explicit presence (proto3 `optional`, messages) kept when set.
// A decoder takes only bytes that re-encode to themselves, so unknown fields,
// repeated singular fields, unpacked or non-minimal encodings never pass as
// the same record (a signature over them would vouch for bytes nobody reads).
import protobuf from 'protobufjs';
import { TppverifyError } from './errors.js';
import { TO_OBJECT } from './schema.js';

export class NonCanonicalError extends TppverifyError {
  constructor(message: string) {
    super('input', message);
  }
}

function isDefaultScalar(field: protobuf.Field, value: unknown): boolean {
  if (typeof value === 'string') return value === '';
  if (typeof value === 'number') return value === 0;
  if (typeof value === 'boolean') return value === false;
  if (value instanceof Uint8Array) return value.length === 0;
  return field.resolvedType instanceof protobuf.Enum && value === 0;
}

/** The object with every member the canonical form leaves out removed, recursively. */
function present(type: protobuf.Type, object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = object[field.name];
    if (value === null || value === undefined) continue;
    const message = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length) out[field.name] = Object.fromEntries(entries.map(([k, v]) => [k, message ? present(message, v as Record<string, unknown>) : v]));
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length) out[field.name] = message ? items.map((v) => present(message, v as Record<string, unknown>)) : items;
    } else if (message) {
      out[field.name] = present(message, value as Record<string, unknown>);
    } else if (field.options?.['proto3_optional'] === true || !isDefaultScalar(field, value)) {
      out[field.name] = value;
    }
  }
  return out;
}

export function encodeCanonical(type: protobuf.Type, object: object): Uint8Array {
  return type.encode(type.fromObject(present(type, object as Record<string, unknown>))).finish();
}

/** Decodes `bytes` as `type`, refusing anything but the canonical encoding; `what` names the record in messages. */
export function decodeCanonical(type: protobuf.Type, bytes: Uint8Array, what: string): Record<string, unknown> {
  const object = type.toObject(type.decode(bytes), TO_OBJECT);
  if (Buffer.compare(Buffer.from(encodeCanonical(type, object)), Buffer.from(bytes)) !== 0) {
    throw new NonCanonicalError(`not the canonical encoding of a ${what}: unknown, repeated, reordered or non-minimally encoded fields`);
  }
  return object;
}
