// DSSE: Ed25519 signatures over the pre-authentication encoding (PAE) of the
// exact payload bytes, in an envelope field-compatible with io.intoto.Envelope.
import { sign, verify, type KeyObject } from 'node:crypto';
import { decodeCanonical, encodeCanonical } from './canonical.js';
import { TppverifyError } from './errors.js';
import { envelopeType } from './schema.js';
import type { SigningKey } from './keys.js';
import { decodeUtf8Strict, parseStrictJson, StrictJsonError } from './strict-json.js';

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

/** The canonical protobuf encoding (proto3: an empty keyid is left out, as other DSSE tools write it). */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return encodeCanonical(envelopeType(), envelope);
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

export class EnvelopeFormatError extends TppverifyError {
  constructor(message: string) {
    super('input', message);
  }
}

/**
 * Decodes an envelope strictly: it must re-encode to the very same bytes, so
 * unknown fields, duplicate or reordered fields and non-minimal encodings are
 * refused rather than silently dropped.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  try {
    return decodeCanonical(envelopeType(), bytes, 'DSSE envelope') as unknown as Envelope;
  } catch (error) {
    throw new EnvelopeFormatError(`not a DSSE envelope: ${(error as Error).message}`);
  }
}

/**
 * Standard base64 in its one canonical spelling: padded, and with the unused
 * bits of the last character zero (decoders ignore them, so "QQ==" and "QR=="
 * would otherwise both read as "A").
 */
function isBase64(text: unknown): text is string {
  return (
    typeof text === 'string' &&
    /^[A-Za-z0-9+/]*={0,2}$/.test(text) &&
    text.length % 4 === 0 &&
    Buffer.from(text, 'base64').toString('base64') === text
  );
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

/**
 * One way an envelope can be written down. Every form decodes to the same
 * Envelope, and everything after decoding (signatures, payload, digest) is
 * shared: a new form (a Sigstore bundle, say) is one more entry here.
 */
export interface EnvelopeForm {
  name: string;
  /** Cheap test of the first bytes; a form that matches is tried before those that do not. */
  looksLike(bytes: Uint8Array): boolean;
  decode(bytes: Uint8Array): Envelope;
}

/** JSON's insignificant white space (RFC 8259): space, tab, line feed, carriage return. */
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function firstNonWhitespace(bytes: Uint8Array): number | undefined {
  for (const byte of bytes) if (!JSON_WHITESPACE.has(byte)) return byte;
  return undefined;
}

export const DSSE_JSON_FORM: EnvelopeForm = {
  name: 'DSSE JSON',
  // '{' after optional white space, or a UTF-8 byte-order mark that the JSON reader then refuses by name.
  looksLike: (bytes) => firstNonWhitespace(bytes) === 0x7b || (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf),
  decode: (bytes) => {
    let text: string;
    try {
      text = decodeUtf8Strict(bytes);
    } catch {
      throw new EnvelopeFormatError('not a DSSE envelope: the JSON rendering is not valid UTF-8');
    }
    return envelopeFromJson(text);
  },
};

export const DSSE_PROTOBUF_FORM: EnvelopeForm = {
  name: 'DSSE protobuf',
  looksLike: () => true,
  decode: decodeEnvelope,
};

/** The DSSE forms, in order of preference among those that look right (signed-forms.ts adds the Sigstore bundle). */
export const ENVELOPE_FORMS: EnvelopeForm[] = [DSSE_JSON_FORM, DSSE_PROTOBUF_FORM];

/**
 * Any known rendering of an envelope. A form whose first bytes match is tried
 * first; the first that decodes wins (a protobuf envelope whose first bytes
 * happen to read as white space and '{' is still read). The error reported is
 * that of the most likely form.
 */
export function decodeEnvelopeAnyForm(bytes: Uint8Array, forms: readonly EnvelopeForm[] = ENVELOPE_FORMS): Envelope {
  const ordered = [...forms.filter((f) => f.looksLike(bytes)), ...forms.filter((f) => !f.looksLike(bytes))];
  let first: unknown;
  for (const form of ordered) {
    try {
      return form.decode(bytes);
    } catch (error) {
      first ??= error;
    }
  }
  throw first instanceof Error ? first : new EnvelopeFormatError('not a DSSE envelope');
}

export interface SignatureResult {
  /** The keyid as written in the envelope (an unauthenticated hint; may be empty). */
  keyid: string;
  /** The trusted key this signature verified with, or null. */
  verifiedBy: string | null;
}

export interface SignatureCheck {
  valid: boolean;
  /** Distinct trusted keys whose signature verified. */
  keyids: string[];
  reasons: string[];
  /** Each signature of the envelope, in order: what a report's signature table shows. */
  signatures: SignatureResult[];
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
  const results: SignatureResult[] = [];
  envelope.signatures.forEach((signature, i) => {
    const candidates = signature.keyid ? [[signature.keyid, trusted.get(signature.keyid)] as const] : [...trusted.entries()];
    let verifiedBy: string | null = null;
    for (const [keyid, key] of candidates) {
      if (!key) continue;
      try {
        if (verify(null, message, key, signature.sig)) {
          verified.add(keyid);
          verifiedBy = keyid;
          break;
        }
      } catch {
        // A malformed signature verifies as false.
      }
    }
    results.push({ keyid: signature.keyid, verifiedBy });
    if (verifiedBy === null) {
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
  return { valid, keyids: [...verified], reasons: valid ? [] : reasons, signatures: results };
}
