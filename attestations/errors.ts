// The one error type of tppverify: a message (one line, for the user) and a
// code saying what kind of failure it is. The CLI maps codes to exit statuses
// through one table (harness/errors.ts), in this process and across the
// measuring child's pipe alike; the named classes below only fix the code.

/**
 * usage: a command line the program cannot act on; input: an input file or
 * value refused (declaration, lab file, manifest, key, attestation);
 * output: an output path that cannot be written; device: the device is absent
 * or unusable; measurement: a measurement failed or its result was refused;
 * setup: the installation is incomplete (the addon not built); internal: a
 * fault of tppverify itself; renderer: headless Chromium is missing or failed
 * to print (report); fail-on: run wrote its attestation, and its outcome is one
 * --fail-on names.
 */
export const ERROR_CODES = ['usage', 'input', 'output', 'device', 'measurement', 'setup', 'internal', 'renderer', 'fail-on'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export class TppverifyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The kernel or format a measurement failure names, where there is one. */
    readonly kernel?: string,
  ) {
    super(message);
    // The named class that made it ("KeyError"), for messages and debugging; the code decides.
    this.name = new.target.name;
  }
}

/** A key file that may not be used: wrong permissions, wrong type, unreadable. */
export class KeyError extends TppverifyError {
  constructor(message: string) {
    super('input', message);
  }
}

/** An attestation file that cannot be read at all (missing, not a regular file). */
export class UnreadableAttestationError extends TppverifyError {
  constructor(message: string) {
    super('input', message);
  }
}

/** An output path that cannot be written: not a folder, no permission, the same file as an input. */
export class OutputPathError extends TppverifyError {
  constructor(message: string) {
    super('output', message);
  }
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
