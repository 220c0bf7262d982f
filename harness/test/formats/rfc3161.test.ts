// RFC 3161 timestamps against a real responder (openssl ts behind a loopback
// HTTP server this test starts and stops): the request, the reply's checks,
// and verification inside the bundle by @sigstore/verify with the TSA chain.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signEnvelope } from '../../../attestations/dsse.js';
import { encodeIntotoStatement, INTOTO_PAYLOAD_TYPE } from '../../../attestations/intoto-json.js';
import { ephemeralSigningKey } from '../../../attestations/keys.js';
import { checkTimestampReply, requestTimestamp, TimestampError } from '../../../attestations/rfc3161.js';
import { bundleJson, readBundle, verifyBundle } from '../../../attestations/sigstore-bundle.js';
import { fixtureStatement } from '../attestation-fixture.js';
import { startTestTsa, type TestTsa } from '../../../attestations/test/tsa.js';

const key = ephemeralSigningKey();
const trusted = new Map([[key.keyId, key.publicKey]]);
let work: string;
let tsa: TestTsa;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tppverify-tsa-'));
  tsa = await startTestTsa(work);
});

afterAll(async () => {
  await tsa?.stop();
  rmSync(work, { recursive: true, force: true });
});

function envelope() {
  return signEnvelope(encodeIntotoStatement(fixtureStatement()), INTOTO_PAYLOAD_TYPE, [key]);
}

describe('RFC 3161 timestamps', () => {
  it('gets a granted token over exactly the signature', async () => {
    const signature = envelope().signatures[0]!.sig;
    const reply = await requestTimestamp(tsa.url, signature);
    const token = checkTimestampReply(reply, signature);
    expect(Math.abs(token.signingTime.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    expect(() => checkTimestampReply(reply, Buffer.from('another signature'))).toThrow(/message imprint/);
  });

  it('a bundle with the timestamp verifies against the TSA chain, and not against another root', async () => {
    const signed = envelope();
    const reply = await requestTimestamp(tsa.url, signed.signatures[0]!.sig);
    const { bundle } = readBundle(Buffer.from(JSON.stringify(bundleJson(signed, [reply]))));
    const check = verifyBundle(bundle, trusted, readFileSync(tsa.chainFile, 'utf8'));
    expect(check.reasons).toEqual([]);
    expect(check.valid).toBe(true);
    expect(check.timestampTimes).toHaveLength(1);
    // Without a TSA chain the timestamp is set aside, not counted as checked.
    expect(verifyBundle(bundle, trusted)).toEqual({ valid: true, reasons: [], timestampTimes: [] });
    const other = verifyBundle(bundle, trusted, readFileSync(tsa.otherChainFile, 'utf8'));
    expect(other.valid).toBe(false);
    expect(other.reasons.join()).toMatch(/timestamp/i);
  });

  it('refuses a timestamp taken over another signature', async () => {
    const signed = envelope();
    const reply = await requestTimestamp(tsa.url, envelope().signatures[0]!.sig);
    const { bundle } = readBundle(Buffer.from(JSON.stringify(bundleJson(signed, [reply]))));
    const check = verifyBundle(bundle, trusted, readFileSync(tsa.chainFile, 'utf8'));
    expect(check.valid).toBe(false);
    expect(check.reasons.join()).toMatch(/timestamp/i);
  });

  it('requires a timestamp when a TSA chain is given', () => {
    const { bundle } = readBundle(Buffer.from(JSON.stringify(bundleJson(envelope()))));
    expect(verifyBundle(bundle, trusted, readFileSync(tsa.chainFile, 'utf8')).valid).toBe(false);
    expect(verifyBundle(bundle, trusted).valid).toBe(true);
  });

  it('names a TSA that does not answer', async () => {
    // A port that was just free: nothing listens there (fetch itself refuses well-known ports such as 1).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const closed = new URL(tsa.url);
    closed.port = String(port);
    await expect(requestTimestamp(closed.toString(), Buffer.from('x'))).rejects.toThrow(TimestampError);
    await expect(requestTimestamp(closed.toString(), Buffer.from('x'))).rejects.toThrow(/did not answer: ECONNREFUSED/);
  });
});
