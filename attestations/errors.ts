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

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a component of the path is not a folder',
  EEXIST: 'it exists and is not a folder',
  EISDIR: 'it is a folder',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
};

/** A file-system error's code in words, for one-line messages ("permission denied"). */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code && FS_REASONS[code]) ?? (error instanceof Error ? error.message : String(error));
}

/** True for the errors of file-system calls (they carry an errno code such as EACCES). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && Object.hasOwn(FS_REASONS, code);
}
