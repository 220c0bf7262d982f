// Reading a signed document file for a reader that needs it to decode (show,
// report): an unreadable, oversized or undecodable file is a usage error
// naming it. Whether it verifies is the one verification's answer.
import { UsageError } from './errors.js';
import { readAttestationFile } from '../attestations/document-file.js';
import { sha256Hex } from '../attestations/statement.js';
import { verifyDocumentContent, type DocumentVerification, type TrustedKeys } from './verify/document.js';

export type DecodedDocument = DocumentVerification & { /** Hex SHA-256 of the file's bytes: what the printed report ties to. */ sha256: string } & (
    | { kind: 'attestation'; statement: NonNullable<DocumentVerification['statement']> }
    | { kind: 'lot-certificate'; certificate: NonNullable<DocumentVerification['certificate']> }
  );

export function readSignedDocument(file: string, trust: TrustedKeys): DecodedDocument {
  // Read once: the same bytes are verified and give the digest the paper report prints.
  const content = readAttestationFile(file);
  const outcome = verifyDocumentContent(content, trust);
  const sha256 = 'bytes' in content ? sha256Hex(content.bytes) : '';
  if (outcome.kind === 'attestation' && outcome.statement) return { ...outcome, sha256 } as DecodedDocument;
  if (outcome.kind === 'lot-certificate' && outcome.certificate) return { ...outcome, sha256 } as DecodedDocument;
  throw new UsageError(`${file}: ${outcome.contentProblems[outcome.contentProblems.length - 1] ?? 'not a signed document'}`);
}
