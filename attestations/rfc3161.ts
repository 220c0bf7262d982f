// RFC 3161 time-stamping of a signature: the request (TimeStampReq, DER),
// the HTTP exchange (RFC 3161 §3.4: POST application/timestamp-query), and
// the checks on the reply before it goes into a bundle: granted, a token,
// and a message imprint over exactly the signature's bytes. The TSA's
// signature and certificate chain are checked by verify (sigstore-bundle.ts).
import { createHash, randomBytes } from 'node:crypto';
import { RFC3161Timestamp } from '@sigstore/core';

export class TimestampError extends Error {
  override readonly name = 'TimestampError';
}

/** id-sha256 (NIST, RFC 5758). */
const SHA256_OID_DER = Buffer.from('0609608648016503040201', 'hex');
const DER_NULL = Buffer.from('0500', 'hex');
const NONCE_BYTES = 16;
/** A reply is a token of a few kilobytes; anything far larger is refused unread. */
export const MAX_TIMESTAMP_REPLY_BYTES = 256 * 1024;
export const TIMESTAMP_TIMEOUT_MS = 30_000;
/** PKIStatus granted (0) and grantedWithMods (1), RFC 3161 §2.4.2. */
const GRANTED_STATUSES = new Set([0n, 1n]);

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

/** A positive DER INTEGER from big-endian bytes (a leading 0x00 keeps the sign bit clear). */
function derPositiveInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return der(0x02, (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** TimeStampReq { version 1, messageImprint SHA-256(data), nonce, certReq TRUE }. */
export function timestampRequest(data: Uint8Array, nonce: Buffer = randomBytes(NONCE_BYTES)): Buffer {
  const imprint = der(0x30, der(0x30, SHA256_OID_DER, DER_NULL), der(0x04, createHash('sha256').update(data).digest()));
  return der(0x30, der(0x02, Buffer.from([1])), imprint, derPositiveInteger(nonce), der(0x01, Buffer.from([0xff])));
}

/** The parsed reply, refused unless granted and over `data`. */
export function checkTimestampReply(reply: Buffer<ArrayBuffer>, data: Uint8Array): RFC3161Timestamp {
  let timestamp: RFC3161Timestamp;
  try {
    timestamp = RFC3161Timestamp.parse(reply);
  } catch (error) {
    throw new TimestampError(`the TSA's reply is not an RFC 3161 TimeStampResp: ${(error as Error).message}`);
  }
  if (!GRANTED_STATUSES.has(timestamp.status)) throw new TimestampError(`the TSA refused the request (PKIStatus ${timestamp.status})`);
  try {
    timestamp.tstInfo.verify(Buffer.from(data));
  } catch {
    throw new TimestampError("the TSA's token is not over this signature (message imprint differs)");
  }
  return timestamp;
}

/** Asks the TSA at `url` for a timestamp over `data`; gives the DER TimeStampResp. */
export async function requestTimestamp(url: string, data: Uint8Array): Promise<Buffer<ArrayBuffer>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/timestamp-query', Accept: 'application/timestamp-reply' },
      body: new Uint8Array(timestampRequest(data)),
      signal: AbortSignal.timeout(TIMESTAMP_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new TimestampError(`the TSA at ${url} did not answer: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  if (response.status !== 200) throw new TimestampError(`the TSA at ${url} answered HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_TIMESTAMP_REPLY_BYTES) throw new TimestampError(`the TSA's reply is ${length} bytes, over ${MAX_TIMESTAMP_REPLY_BYTES}`);
  const reply = Buffer.from(await response.arrayBuffer());
  if (reply.length > MAX_TIMESTAMP_REPLY_BYTES) throw new TimestampError(`the TSA's reply is over ${MAX_TIMESTAMP_REPLY_BYTES} bytes`);
  checkTimestampReply(reply, data);
  return reply;
}

/** A --tsa value: an http(s) URL, checked before anything is measured. */
export function parseTsaUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TimestampError(`--tsa must be an http or https URL, not '${text.slice(0, 200)}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TimestampError(`--tsa must be an http or https URL, not ${url.protocol}`);
  return url.toString();
}
