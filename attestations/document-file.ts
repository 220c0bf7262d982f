// Reading a signed document file (an attestation or a lot certificate, either
// rendering): a regular file, size-bounded before it is read.
import { readFileWithin } from './bounded-read.js';
import { UnreadableAttestationError } from './errors.js';

/** Larger files are refused before they are read whole. */
export const MAX_ATTESTATION_BYTES = 16 * 1024 * 1024;

export type AttestationFileContent = { bytes: Buffer } | { tooLargeBytes: number };

/** Reads the file whole, unless it is over the limit: then only its size is known. */
export function readAttestationFile(file: string): AttestationFileContent {
  const read = readFileWithin(file, MAX_ATTESTATION_BYTES, { toError: (message) => new UnreadableAttestationError(message), stdin: true });
  return 'bytes' in read ? { bytes: read.bytes } : read;
}
