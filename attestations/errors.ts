// Explicit error classes of the attestation layer.

/** A key file that may not be used: wrong permissions, wrong type, unreadable. */
export class KeyError extends Error {
  override readonly name = 'KeyError';
}

/** An attestation file that cannot be read at all (missing, not a regular file). */
export class UnreadableAttestationError extends Error {
  override readonly name = 'UnreadableAttestationError';
}

/** An output path that cannot be written: not a folder, no permission, the same file as an input. */
export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
}
