// Explicit error classes of the attestation layer.

/** A key file that may not be used: wrong permissions, wrong type, unreadable. */
export class KeyError extends Error {
  override readonly name = 'KeyError';
}

/** An attestation file that cannot be read at all (missing, not a regular file). */
export class UnreadableAttestationError extends Error {
  override readonly name = 'UnreadableAttestationError';
}
