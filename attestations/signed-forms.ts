// Every form a signed run writes, from one Statement and the same keys: the
// protobuf DSSE envelope (the record) and its JSON rendering, the in-toto
// Statement v1 JSON envelope, and the Sigstore bundle of that envelope
// (with an RFC 3161 timestamp over its signature when a TSA is named).
import { encodeEnvelope, ENVELOPE_FORMS, envelopeToJson, signEnvelope, type EnvelopeForm } from './dsse.js';
import { encodeIntotoStatement, INTOTO_PAYLOAD_TYPE } from './intoto-json.js';
import type { SigningKey } from './keys.js';
import { requestTimestamp } from './rfc3161.js';
import { bundleJson, SIGSTORE_BUNDLE_FORM } from './sigstore-bundle.js';
import { encodeStatement, PAYLOAD_TYPE, type Statement } from './statement.js';

/** Every rendering a reader may be given: the Sigstore bundle, then the DSSE JSON and protobuf forms. */
export const ALL_ENVELOPE_FORMS: readonly EnvelopeForm[] = [SIGSTORE_BUNDLE_FORM, ...ENVELOPE_FORMS];

export interface SignedForms {
  /** .dsse.pb */
  protobuf: Uint8Array;
  /** .dsse.json */
  dsseJson: string;
  /** .intoto.json */
  intotoJson: string;
  /** .sigstore.json */
  bundleJson: string;
}

/** File suffixes of the forms, after the common stem. */
export const FORM_SUFFIXES = { protobuf: '.dsse.pb', dsseJson: '.dsse.json', intotoJson: '.intoto.json', bundleJson: '.sigstore.json' } as const;

export async function signStatementForms(statement: Statement, keys: readonly SigningKey[], tsaUrl?: string): Promise<SignedForms> {
  const envelope = signEnvelope(encodeStatement(statement), PAYLOAD_TYPE, keys);
  const intoto = signEnvelope(encodeIntotoStatement(statement), INTOTO_PAYLOAD_TYPE, keys);
  // The timestamp covers the bundle's one signature, as @sigstore/verify checks it.
  const timestamps = tsaUrl ? [await requestTimestamp(tsaUrl, intoto.signatures[0]!.sig)] : [];
  return {
    protobuf: encodeEnvelope(envelope),
    dsseJson: envelopeToJson(envelope) + '\n',
    intotoJson: envelopeToJson(intoto) + '\n',
    bundleJson: JSON.stringify(bundleJson(intoto, timestamps), null, 2) + '\n',
  };
}
