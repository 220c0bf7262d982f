// Offline check of archived OCSP responses (RFC 6960) for the certificates of
// an evidence chain: the response's signature by the issuing CA or by a
// responder it delegated (id-kp-OCSPSigning), the certificate it is about
// (issuer name and key hashes, serial), its status, and its validity window
// (thisUpdate ≤ time ≤ nextUpdate) at the collection time. Nothing is fetched:
// revocation can only be known as of the responses the lab archived.
import { createHash, verify, X509Certificate } from 'node:crypto';
import { children, DerError, expectTag, oidText, readWhole, TAG, type DerNode } from './der.js';

const OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
/** Signature and hash algorithms an OCSP responder may use, to Node's digest names. */
const SIGNATURE_DIGEST: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
const HASH: Record<string, string> = { '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };
const CONTEXT_0 = 0xa0;
const GOOD = 0x80;
const REVOKED = 0xa1;

export interface OcspCheck {
  valid: boolean;
  problems: string[];
  /** The chain positions (1 = leaf) of the certificates this response vouches for. */
  covers: number[];
}

function generalizedTime(node: DerNode | undefined): Date {
  const text = expectTag(node, TAG.GENERALIZED_TIME, 'a GeneralizedTime').content.toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text);
  if (!m) throw new DerError(`GeneralizedTime '${text}' is not UTC`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/** The subject Name (DER) and public key bits of a certificate, for the CertID hashes. */
function nameAndKey(certificate: X509Certificate): { subject: Buffer; keyBits: Buffer } {
  const [tbs] = children(readWhole(certificate.raw));
  const fields = children(tbs!);
  const offset = fields[0]!.tag === CONTEXT_0 ? 1 : 0;
  const subject = fields[offset + 4]!.encoded;
  const spki = children(fields[offset + 5]!);
  const bits = expectTag(spki[1], TAG.BIT_STRING, 'subjectPublicKey').content.subarray(1);
  return { subject: Buffer.from(subject), keyBits: Buffer.from(bits) };
}

function certificateOrThrow(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new DerError('a responder certificate is not a valid X.509 certificate');
  }
}

function hexSerial(node: DerNode): string {
  return expectTag(node, TAG.INTEGER, 'serialNumber').content.toString('hex').replace(/^(00)+(?=.)/, '').toLowerCase();
}

export function verifyOcspResponse(der: Buffer, chain: readonly X509Certificate[], at: Date): OcspCheck {
  const problems: string[] = [];
  const covers: number[] = [];
  try {
    const [status, bytesWrapper] = children(expectTag(readWhole(der), TAG.SEQUENCE, 'OCSPResponse'));
    const code = expectTag(status, TAG.ENUMERATED, 'responseStatus').content[0];
    if (code !== 0) return { valid: false, problems: [`the OCSP response status is ${code}, not successful (0)`], covers };
    const [responseBytes] = children(expectTag(bytesWrapper, CONTEXT_0, 'responseBytes'));
    const [type, octets] = children(expectTag(responseBytes, TAG.SEQUENCE, 'ResponseBytes'));
    if (oidText(expectTag(type, TAG.OID, 'responseType')) !== OCSP_BASIC) return { valid: false, problems: ['the OCSP response is not a basic response'], covers };
    const basic = children(expectTag(readWhole(expectTag(octets, TAG.OCTET_STRING, 'response').content), TAG.SEQUENCE, 'BasicOCSPResponse'));
    const [tbs, algorithm, signature, certsWrapper] = basic;
    const digest = SIGNATURE_DIGEST[oidText(expectTag(children(expectTag(algorithm, TAG.SEQUENCE, 'signatureAlgorithm'))[0], TAG.OID, 'algorithm'))];
    if (!digest) return { valid: false, problems: ['the OCSP response is signed with an algorithm this verifier does not accept'], covers };
    const signatureBits = expectTag(signature, TAG.BIT_STRING, 'signature').content;
    if (signatureBits[0] !== 0) throw new DerError('the signature BIT STRING has unused bits');
    const signatureBytes = signatureBits.subarray(1);
    const responderCandidates = certsWrapper && certsWrapper.tag === CONTEXT_0 ? children(children(certsWrapper)[0]!).map((c) => certificateOrThrow(c.encoded)) : [];

    const fields = children(expectTag(tbs, TAG.SEQUENCE, 'tbsResponseData'));
    let i = fields[0]!.tag === CONTEXT_0 ? 1 : 0;
    i++; // responderID: the signature check below decides who signed
    i++; // producedAt
    const responses = children(expectTag(fields[i], TAG.SEQUENCE, 'responses'));
    let issuer: X509Certificate | undefined;
    for (const single of responses) {
      const [certId, certStatus, thisUpdateNode, ...rest] = children(expectTag(single, TAG.SEQUENCE, 'SingleResponse'));
      const [hashAlgorithm, nameHash, keyHash, serial] = children(expectTag(certId, TAG.SEQUENCE, 'certID'));
      expectTag(nameHash, TAG.OCTET_STRING, 'issuerNameHash');
      expectTag(keyHash, TAG.OCTET_STRING, 'issuerKeyHash');
      const hash = HASH[oidText(expectTag(children(hashAlgorithm!)[0], TAG.OID, 'hashAlgorithm'))];
      if (!hash) {
        problems.push('a CertID uses an unknown hash');
        continue;
      }
      const position = chain.findIndex((c, k) => {
        const next = chain[k + 1] ?? (c.checkIssued(c) ? c : undefined);
        if (!next || c.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '') !== hexSerial(serial!)) return false;
        const { subject, keyBits } = nameAndKey(next);
        return createHash(hash).update(subject).digest().equals(nameHash!.content) && createHash(hash).update(keyBits).digest().equals(keyHash!.content);
      });
      if (position === -1) {
        problems.push(`the OCSP response is about serial ${hexSerial(serial!)}, which is not a certificate of this chain`);
        continue;
      }
      const certificateIssuer = chain[position + 1] ?? chain[position]!;
      if (issuer && issuer !== certificateIssuer) problems.push('one OCSP response speaks for certificates of different issuers');
      issuer = certificateIssuer;
      covers.push(position + 1);
      if (certStatus!.tag === REVOKED) problems.push(`certificate ${position + 1} is REVOKED according to its OCSP response`);
      else if (certStatus!.tag !== GOOD) problems.push(`certificate ${position + 1}'s OCSP status is unknown`);
      const thisUpdate = generalizedTime(thisUpdateNode);
      const nextWrapper = rest.find((n) => n.tag === CONTEXT_0);
      const nextUpdate = nextWrapper ? generalizedTime(children(nextWrapper)[0]) : undefined;
      if (!nextUpdate) problems.push(`certificate ${position + 1}'s OCSP response has no nextUpdate: it cannot vouch for a later time`);
      else if (at < thisUpdate || at > nextUpdate) problems.push(`certificate ${position + 1}'s OCSP response is valid ${thisUpdate.toISOString()} – ${nextUpdate.toISOString()}, not at ${at.toISOString()}`);
    }
    if (!issuer) return { valid: false, problems: problems.length ? problems : ['the OCSP response has no single response'], covers };
    // Signed by the issuing CA itself, or by a responder certificate that CA issued for OCSP signing.
    const delegated = responderCandidates.find((r) => r.checkIssued(issuer!) && r.verify(issuer!.publicKey) && (r.keyUsage ?? []).includes(OCSP_SIGNING));
    const signer = [issuer, ...(delegated ? [delegated] : [])].find((k) => verify(digest, tbs!.encoded, k.publicKey, signatureBytes));
    if (!signer) problems.push("the OCSP response's signature is neither the issuing CA's nor a delegated responder's");
    else if (signer === delegated && !(at >= new Date(delegated.validFrom) && at <= new Date(delegated.validTo))) problems.push('the OCSP responder certificate is not valid at that time');
  } catch (error) {
    if (error instanceof DerError) return { valid: false, problems: [`the OCSP response is not readable DER: ${error.message}`], covers };
    throw error;
  }
  return { valid: problems.length === 0, problems, covers };
}
