// The in-toto DSSE envelope as a Sigstore bundle v0.3
// (application/vnd.dev.sigstore.bundle.v0.3+json), which @sigstore/verify
// and cosign check with the lab's public key: verification material is a
// public-key hint (the key id), no transparency-log entry, and optionally
// RFC 3161 timestamps over the signature from a timestamp authority.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { assertBundleLatest, bundleFromJSON, BUNDLE_V03_MEDIA_TYPE, isBundleWithDsseEnvelope, type Bundle } from '@sigstore/bundle';
import { pem as pemCodec, X509Certificate } from '@sigstore/core';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import type { Envelope, EnvelopeForm } from './dsse.js';
import { decodeUtf8Strict, parseStrictJson, StrictJsonError } from './strict-json.js';

export const BUNDLE_MEDIA_TYPE = BUNDLE_V03_MEDIA_TYPE;

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

/** The DSSE envelope inside a Sigstore bundle v0.3, as one more rendering the one verification reads. */
export const SIGSTORE_BUNDLE_FORM: EnvelopeForm = {
  name: 'Sigstore bundle',
  looksLike: isBundleJson,
  decode: (bytes) => readBundle(bytes).envelope,
};

export class BundleFormatError extends Error {
  override readonly name = 'BundleFormatError';
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * The bundle of a DSSE envelope signed by one key. A Sigstore bundle holds
 * exactly one signature, so a threshold of several keys needs the .dsse
 * forms; `timestamps` are DER TimeStampResp messages over that signature.
 */
export function bundleJson(envelope: Envelope, timestamps: readonly Uint8Array[] = []): Record<string, unknown> {
  const signature = envelope.signatures[0];
  if (!signature || envelope.signatures.length !== 1) throw new Error('a Sigstore bundle holds exactly one DSSE signature');
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: {
      publicKey: { hint: signature.keyid },
      tlogEntries: [],
      ...(timestamps.length ? { timestampVerificationData: { rfc3161Timestamps: timestamps.map((t) => ({ signedTimestamp: base64(t) })) } } : {}),
    },
    dsseEnvelope: {
      payload: base64(envelope.payload),
      payloadType: envelope.payloadType,
      signatures: [{ sig: base64(signature.sig), keyid: signature.keyid }],
    },
  };
}

export interface ReadBundle {
  bundle: Bundle;
  envelope: Envelope;
  /** DER TimeStampResp messages the bundle carries. */
  timestamps: Buffer[];
}

/** Reads a bundle file's bytes: strict JSON, then @sigstore/bundle's own validation of the v0.3 shape. */
export function readBundle(bytes: Uint8Array): ReadBundle {
  let json: unknown;
  try {
    json = parseStrictJson(decodeUtf8Strict(bytes));
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    throw new BundleFormatError(`not a Sigstore bundle: ${error.path ? `${error.path}: ` : ''}${error.message}`);
  }
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
    assertBundleLatest(bundle);
  } catch (error) {
    const fields = (error as { fields?: string[] }).fields;
    throw new BundleFormatError(`not a Sigstore bundle v0.3: ${(error as Error).message}${fields?.length ? ` (${fields.join(', ')})` : ''}`);
  }
  if (bundle.mediaType !== BUNDLE_MEDIA_TYPE) throw new BundleFormatError(`bundle media type '${bundle.mediaType}' is not ${BUNDLE_MEDIA_TYPE}`);
  if (!isBundleWithDsseEnvelope(bundle)) throw new BundleFormatError('the bundle holds no DSSE envelope');
  if (bundle.verificationMaterial.content.$case !== 'publicKey') throw new BundleFormatError('the bundle names no public key: tppverify bundles are signed by a lab key, not a certificate');
  const dsse = bundle.content.dsseEnvelope;
  return {
    bundle,
    envelope: {
      payload: Buffer.from(dsse.payload),
      payloadType: dsse.payloadType,
      signatures: dsse.signatures.map((s) => ({ sig: Buffer.from(s.sig), keyid: s.keyid })),
    },
    timestamps: (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((t) => Buffer.from(t.signedTimestamp)),
  };
}

/** The DER of each PEM certificate, in file order. */
export function certificatesFromPem(pem: string): Buffer<ArrayBuffer>[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => pemCodec.toDER(block));
}

export interface BundleCheck {
  valid: boolean;
  reasons: string[];
  /** Times the checked RFC 3161 timestamps attest, ISO 8601. */
  timestampTimes: string[];
}

/**
 * Verifies the bundle as @sigstore/verify does, with the options an offline
 * lab sets: no transparency log, no certificate transparency, the lab's keys
 * as the only trust; with `tsaChainPem` (the TSA's signing certificate first,
 * its root last, as cosign's --timestamp-certificate-chain) every timestamp
 * must verify and at least one is required.
 */
export function verifyBundle(bundle: Bundle, trusted: ReadonlyMap<string, KeyObject>, tsaChainPem?: string): BundleCheck {
  const chain = tsaChainPem === undefined ? [] : certificatesFromPem(tsaChainPem);
  const leaf = chain[0] && X509Certificate.parse(chain[0]);
  if (tsaChainPem !== undefined && chain.length === 0) return { valid: false, reasons: ['the TSA certificate chain holds no PEM certificate'], timestampTimes: [] };
  const trustMaterial = toTrustMaterial(
    {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: chain.length
        ? [{ subject: { organization: '', commonName: '' }, uri: '', operator: '', certChain: { certificates: chain.map((rawBytes) => ({ rawBytes })) }, validFor: { start: leaf!.notBefore, end: leaf!.notAfter } }]
        : [],
    },
    (hint: string) => {
      const key = trusted.get(hint);
      if (!key) throw new Error(`key ${hint} is not trusted`);
      return { publicKey: createPublicKey(key.export({ type: 'spki', format: 'pem' })), validFor: () => true };
    },
  );
  const timestampCount = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length ?? 0;
  const verifier = new Verifier(trustMaterial, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: chain.length ? Math.max(1, timestampCount) : 0 });
  try {
    if (!chain.length && timestampCount) {
      // Without a TSA chain the timestamps cannot be checked: verify the rest with the timestamps set aside.
      const withoutTimestamps = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, timestampVerificationData: undefined } };
      verifier.verify(toSignedEntity(withoutTimestamps as Bundle));
      return { valid: true, reasons: [], timestampTimes: [] };
    }
    verifier.verify(toSignedEntity(bundle));
  } catch (error) {
    return { valid: false, reasons: [`@sigstore/verify refuses the bundle: ${(error as Error).message}`], timestampTimes: [] };
  }
  const times = chain.length ? toSignedEntity(bundle).timestamps.flatMap((t) => (t.$case === 'timestamp-authority' ? [t.timestamp.signingTime.toISOString()] : [])) : [];
  return { valid: true, reasons: [], timestampTimes: times };
}
