// The two kinds of signed document tppverify writes, told apart by the DSSE
// payload type: a unit attestation and a lot certificate. show and report
// take either.
import { decodeEnvelopeAnyForm, type Envelope } from '../attestations/dsse.js';
import { decodeStatement, PAYLOAD_TYPE, sha256Hex, type Statement } from '../attestations/statement.js';
import { readAttestationFile } from '../attestations/verify.js';
import { UsageError } from './errors.js';
import { CERTIFICATE_PAYLOAD_TYPE, decodeCertificate, type LotCertificate } from './lot/certificate.js';
import { PROTO_DIR } from './lot/verify-certificate.js';

export type SignedDocument = { envelope: Envelope; /** Hex SHA-256 of the bytes read (set by readSignedDocument). */ sha256?: string } & (
  | { kind: 'attestation'; statement: Statement }
  | { kind: 'lot-certificate'; certificate: LotCertificate }
);

/** Decodes an envelope (.pb or .json bytes) and its payload; throws with a one-line message otherwise. */
export function decodeSignedDocument(bytes: Uint8Array): SignedDocument {
  const envelope = decodeEnvelopeAnyForm(bytes);
  if (envelope.payloadType === PAYLOAD_TYPE) return { envelope, kind: 'attestation', statement: decodeStatement(envelope.payload) };
  if (envelope.payloadType === CERTIFICATE_PAYLOAD_TYPE) {
    return { envelope, kind: 'lot-certificate', certificate: decodeCertificate(envelope.payload, PROTO_DIR()) };
  }
  throw new Error(`payload type '${envelope.payloadType}' is neither an attestation nor a lot certificate`);
}

/** Reads and decodes a signed document file; a file too large or not a document is a usage error naming it. */
export async function readSignedDocument(file: string): Promise<SignedDocument> {
  const content = await readAttestationFile(file);
  if (!('bytes' in content)) throw new UsageError(`${file} is ${content.tooLargeBytes} bytes: too large to be an attestation`);
  try {
    return { ...decodeSignedDocument(content.bytes), sha256: sha256Hex(content.bytes) };
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
}
