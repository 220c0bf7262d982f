// The Sigstore bundle, checked by the peers themselves: @sigstore/bundle
// reads and validates it, @sigstore/verify verifies it with the lab's public
// key under an offline lab's options, and both refuse tampered copies.
import { bundleFromJSON, assertBundleLatest } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signEnvelope } from '../../../attestations/dsse.js';
import { decodeIntotoStatement, encodeIntotoStatement, INTOTO_PAYLOAD_TYPE } from '../../../attestations/intoto-json.js';
import { ephemeralSigningKey, type SigningKey } from '../../../attestations/keys.js';
import { BUNDLE_MEDIA_TYPE, bundleJson, readBundle, verifyBundle } from '../../../attestations/sigstore-bundle.js';
import { fixtureStatement } from '../attestation-fixture.js';

const key = ephemeralSigningKey();

function signedBundle(signingKey: SigningKey = key): Record<string, unknown> {
  return bundleJson(signEnvelope(encodeIntotoStatement(fixtureStatement()), INTOTO_PAYLOAD_TYPE, [signingKey]));
}

/** @sigstore/verify as a lab's client calls it offline: the lab's key by hint, no log, no timestamp. */
function peerVerify(json: unknown, trustedKey: KeyObject, keyId: string): void {
  const bundle = bundleFromJSON(json);
  const trust = toTrustMaterial(
    { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], ctlogs: [], certificateAuthorities: [], timestampAuthorities: [] },
    { [keyId]: { rawBytes: trustedKey.export({ type: 'spki', format: 'der' }), keyDetails: 7 /* PKIX_ED25519 */ } },
  );
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
}

function tamperPayload(json: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(json) as { dsseEnvelope: { payload: string } };
  const original = Buffer.from(copy.dsseEnvelope.payload, 'base64').toString('utf8');
  const payload = original.replace('"labName":"Test Lab"', '"labName":"Test Lab 2"');
  if (payload === original) throw new Error('the tamper changed nothing');
  copy.dsseEnvelope.payload = Buffer.from(payload).toString('base64');
  return copy as unknown as Record<string, unknown>;
}

describe('Sigstore bundle v0.3', () => {
  it('is a valid v0.3 bundle to @sigstore/bundle, with a public-key hint and no log entry', () => {
    const json = signedBundle();
    expect(json['mediaType']).toBe(BUNDLE_MEDIA_TYPE);
    const bundle = bundleFromJSON(json);
    expect(() => assertBundleLatest(bundle)).not.toThrow();
    expect(bundle.verificationMaterial.content).toEqual({ $case: 'publicKey', publicKey: { hint: key.keyId } });
  });

  it('verifies with @sigstore/verify and the lab key', () => {
    expect(() => peerVerify(signedBundle(), key.publicKey, key.keyId)).not.toThrow();
  });

  it('is refused by @sigstore/verify when the payload is changed, or with another key', () => {
    expect(() => peerVerify(tamperPayload(signedBundle()), key.publicKey, key.keyId)).toThrow(/signature/i);
    const other = ephemeralSigningKey();
    expect(() => peerVerify(signedBundle(), other.publicKey, key.keyId)).toThrow(/signature/i);
    expect(() => peerVerify(signedBundle(), key.publicKey, other.keyId)).toThrow();
  });

  it('reads back to the in-toto envelope and the same Statement', () => {
    const read = readBundle(Buffer.from(JSON.stringify(signedBundle())));
    expect(read.envelope.payloadType).toBe(INTOTO_PAYLOAD_TYPE);
    expect(decodeIntotoStatement(read.envelope.payload).predicate.report.labName).toBe('Test Lab');
    expect(read.timestamps).toEqual([]);
  });

  it('verifyBundle (what tppverify verify runs) agrees with the peer', () => {
    const trusted = new Map([[key.keyId, key.publicKey]]);
    expect(verifyBundle(readBundle(Buffer.from(JSON.stringify(signedBundle()))).bundle, trusted).valid).toBe(true);
    const tampered = verifyBundle(readBundle(Buffer.from(JSON.stringify(tamperPayload(signedBundle())))).bundle, trusted);
    expect(tampered.valid).toBe(false);
    expect(tampered.reasons.join()).toMatch(/signature/i);
    expect(verifyBundle(readBundle(Buffer.from(JSON.stringify(signedBundle()))).bundle, new Map()).valid).toBe(false);
  });

  it('refuses what is not a v0.3 bundle with a DSSE envelope and a key hint', () => {
    const json = signedBundle();
    expect(() => readBundle(Buffer.from(JSON.stringify({ ...json, mediaType: 'application/json' })))).toThrow(/bundle/);
    const twoSignatures = structuredClone(json) as { dsseEnvelope: { signatures: unknown[] } };
    twoSignatures.dsseEnvelope.signatures.push(twoSignatures.dsseEnvelope.signatures[0]);
    expect(() => readBundle(Buffer.from(JSON.stringify(twoSignatures)))).toThrow(/signatures/);
    expect(() => readBundle(Buffer.from('{"a":1,"a":2}'))).toThrow(/twice/);
  });
});
