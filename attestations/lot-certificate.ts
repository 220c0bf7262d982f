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

/** The parties whose contributions a lot nonce may combine (harness/lot/sampling.ts). */
export const PARTY_ROLES = ['lab', 'exporter', 'auditor', 'bis'] as const;
export type PartyRole = (typeof PARTY_ROLES)[number];

/** One party's part of a lot nonce, as the certificate records it. */
export interface NonceContribution {
  party: string;
  role: PartyRole;
  /** ISO 8601 UTC time the party committed, as the party stated it (bound by the commitment). */
  committedAt: string;
  /** Hex SHA-256 commitment, published before any contribution was revealed. */
  commitment: string;
  /** Hex contribution, revealed after every commitment was published. */
  contribution: string;
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
  /** The nonce rule when the nonce was combined from contributions, else empty. */
  nonceRule: string;
  nonceContributions: NonceContribution[];
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
