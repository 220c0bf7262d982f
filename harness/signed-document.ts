// Reading a signed document file for a reader that needs it to decode (show,
// report): an unreadable, oversized or undecodable file is a usage error
// naming it. Whether it verifies is the one verification's answer.
import { UsageError } from './errors.js';
import { verifyDocumentFile, type DocumentVerification, type TrustedKeys } from './verify/document.js';

export type DecodedDocument = DocumentVerification & ({ kind: 'attestation'; statement: NonNullable<DocumentVerification['statement']> } | { kind: 'lot-certificate'; certificate: NonNullable<DocumentVerification['certificate']> });

export function readSignedDocument(file: string, trust: TrustedKeys): DecodedDocument {
  const outcome = verifyDocumentFile(file, trust);
  if (outcome.kind === 'attestation' && outcome.statement) return outcome as DecodedDocument;
  if (outcome.kind === 'lot-certificate' && outcome.certificate) return outcome as DecodedDocument;
  throw new UsageError(`${file}: ${outcome.contentProblems[outcome.contentProblems.length - 1] ?? 'not a signed document'}`);
}
