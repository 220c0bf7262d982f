// The lot certificate record (proto/tppverify/v1/lot.proto) and its canonical
// encoding: decoding only; what a certificate must satisfy is checked in harness/.
import { decodeCanonical, encodeCanonical } from './canonical.js';
import { TppverifyError } from './errors.js';
import { lotCertificateType } from './schema.js';

export const CERTIFICATE_PAYLOAD_TYPE = 'application/vnd.tppverify.lot-certificate.v1+protobuf';

export type UnitStatus = 'valid' | 'missing' | 'invalid';
export type LotOutcome = 'certified' | 'rejected' | 'incomplete';

export interface UnitAttestation {
  serial: string;
  attestationSha256: string;
  status: UnitStatus;
  verdict: string;
  detail: string;
}

export interface LotCertificate {
  lotId: string;
  manifestSha256: string;
  declarationSha256: string;
  plan: string;
  planDescription: string;
  nonce: Uint8Array;
  lotSize: number;
  units: UnitAttestation[];
  outcome: LotOutcome;
  reasons: string[];
  issuedAt: string;
  ignoredSerials: string[];
}

export class CertificateFormatError extends TppverifyError {
  constructor(message: string) {
    super('input', message);
  }
}

export function encodeCertificate(certificate: LotCertificate): Uint8Array {
  return encodeCanonical(lotCertificateType(), certificate);
}

export function decodeCertificate(bytes: Uint8Array): LotCertificate {
  try {
    return decodeCanonical(lotCertificateType(), bytes, 'lot certificate') as unknown as LotCertificate;
  } catch (error) {
    throw new CertificateFormatError(`payload is not a lot certificate: ${(error as Error).message}`);
  }
}
