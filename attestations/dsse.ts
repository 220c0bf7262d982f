// DSSE: Ed25519 signatures over the pre-authentication encoding (PAE) of the
// exact payload bytes, in an envelope field-compatible with io.intoto.Envelope.
import { sign, verify, type KeyObject } from 'node:crypto';
import { envelopeType, TO_OBJECT } from './schema.js';
import type { SigningKey } from './keys.js';
import { parseStrictJson, StrictJsonError } from './strict-json.js';
import { readBundle } from './sigstore-bundle.js';

export interface EnvelopeSignature {
  sig: Uint8Array;
  keyid: string;
}

export interface Envelope {
  payload: Uint8Array;
  payloadType: string;
  signatures: EnvelopeSignature[];
}

/** "DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload, lengths in ASCII decimal bytes. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

export function signEnvelope(payload: Uint8Array, payloadType: string, keys: readonly SigningKey[]): Envelope {
  const message = pae(payloadType, payload);
  return {
    payload,
    payloadType,
    signatures: keys.map((key) => ({ sig: sign(null, message, key.privateKey), keyid: key.keyId })),
  };
}

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  const type = envelopeType();
  return type.encode(type.fromObject(envelope)).finish();
}

/** JSON rendering (payload and sig base64), as DSSE's JSON envelope. */
export function envelopeToJson(envelope: Envelope): string {
  return JSON.stringify(
    {
      payload: Buffer.from(envelope.payload).toString('base64'),
      payloadType: envelope.payloadType,
      signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: Buffer.from(s.sig).toString('base64') })),
    },
    null,
    2,
  );
}

export class EnvelopeFormatError extends Error {
  override readonly name = 'EnvelopeFormatError';
}

/**
 * Decodes an envelope strictly: it must re-encode to the very same bytes, so
 * unknown fields, duplicate or reordered fields and non-minimal encodings are
 * refused rather than silently dropped.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const type = envelopeType();
  let envelope: Envelope;
  try {
    envelope = type.toObject(type.decode(bytes), TO_OBJECT) as Envelope;
  } catch (error) {
    throw new EnvelopeFormatError(`not a DSSE envelope: ${(error as Error).message}`);
  }
  if (Buffer.compare(encodeEnvelope(envelope), bytes) !== 0) {
    throw new EnvelopeFormatError('not a canonical DSSE envelope: unknown, repeated or non-minimally encoded fields');
  }
  return envelope;
}

function isBase64(text: unknown): text is string {
  return typeof text === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0;
}

/** Parses the JSON rendering strictly (only payload, payloadType, signatures[{keyid, sig}]). */
export function envelopeFromJson(text: string): Envelope {
  let value: unknown;
  try {
    value = parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    throw new EnvelopeFormatError(`not a DSSE envelope: ${error.path ? `${error.path}: ` : ''}${error.message}`);
  }
  const object = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EnvelopeFormatError('not a DSSE envelope: not a JSON object');
  for (const key of Object.keys(object)) {
    if (!['payload', 'payloadType', 'signatures'].includes(key)) throw new EnvelopeFormatError(`not a DSSE envelope: unknown field ${key}`);
  }
  if (!isBase64(object['payload'])) throw new EnvelopeFormatError('payload must be base64');
  if (typeof object['payloadType'] !== 'string') throw new EnvelopeFormatError('payloadType must be a string');
  if (!Array.isArray(object['signatures'])) throw new EnvelopeFormatError('signatures must be an array');
  const signatures = object['signatures'].map((raw, i) => {
    const s = raw as Record<string, unknown>;
    if (typeof raw !== 'object' || raw === null || Object.keys(s).some((k) => k !== 'keyid' && k !== 'sig')) {
      throw new EnvelopeFormatError(`signatures[${i}] must hold only keyid and sig`);
    }
    if (!isBase64(s['sig'])) throw new EnvelopeFormatError(`signatures[${i}].sig must be base64`);
    if (s['keyid'] !== undefined && typeof s['keyid'] !== 'string') throw new EnvelopeFormatError(`signatures[${i}].keyid must be a string`);
    return { sig: Buffer.from(s['sig'], 'base64'), keyid: (s['keyid'] as string | undefined) ?? '' };
  });
  return { payload: Buffer.from(object['payload'], 'base64'), payloadType: object['payloadType'], signatures };
}

/** A Sigstore bundle is JSON whose object has a mediaType member; a DSSE JSON envelope has none. */
export function isBundleJson(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x7b /* '{' */) return false;
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return typeof value === 'object' && value !== null && 'mediaType' in value;
  } catch {
    return false;
  }
}

/**
 * Any rendering of an envelope: the protobuf one (starts with field 1's
 * tag), the DSSE JSON one, or the DSSE envelope inside a Sigstore bundle.
 */
export function decodeEnvelopeAnyForm(bytes: Uint8Array): Envelope {
  if (isBundleJson(bytes)) return readBundle(bytes).envelope;
  // JSON starts with '{', or with a UTF-8 byte-order mark that the JSON reader then refuses by name.
  const json = bytes[0] === 0x7b /* '{' */ || (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf);
  return json ? envelopeFromJson(Buffer.from(bytes).toString('utf8')) : decodeEnvelope(bytes);
}

export interface SignatureCheck {
  valid: boolean;
  /** Distinct trusted keys whose signature verified. */
  keyids: string[];
  reasons: string[];
}

/**
 * Verifies signatures against trusted keys only. The keyid is a hint that must
 * name the trusted key it was made with; `threshold` distinct trusted keys
 * must have signed.
 */
export function verifySignatures(envelope: Envelope, trusted: ReadonlyMap<string, KeyObject>, threshold: number): SignatureCheck {
  const message = pae(envelope.payloadType, envelope.payload);
  const verified = new Set<string>();
  const reasons: string[] = [];
  envelope.signatures.forEach((signature, i) => {
    const candidates = signature.keyid ? [[signature.keyid, trusted.get(signature.keyid)] as const] : [...trusted.entries()];
    let ok = false;
    for (const [keyid, key] of candidates) {
      if (!key) continue;
      try {
        if (verify(null, message, key, signature.sig)) {
          verified.add(keyid);
          ok = true;
          break;
        }
      } catch {
        // A malformed signature verifies as false.
      }
    }
    if (!ok) {
      reasons.push(
        signature.keyid && !trusted.has(signature.keyid)
          ? `signature ${i + 1} is by key ${signature.keyid.slice(0, 16)}…, which is not trusted`
          : `signature ${i + 1} does not verify`,
      );
    }
  });
  if (envelope.signatures.length === 0) reasons.push('the envelope has no signature');
  const valid = verified.size >= threshold;
  if (!valid) reasons.push(`${verified.size} valid signature(s) from distinct trusted keys; ${threshold} required`);
  return { valid, keyids: [...verified], reasons: valid ? [] : reasons };
}
