// The one place an error becomes what the user sees: one bounded, escaped
// line on stderr, and the exit status its code maps to (EXIT_STATUS).
import { fsReason, isFsError } from '../../attestations/errors.js';
import { EXIT_STATUS, TppverifyError } from '../errors.js';
import { boundedLine } from './escape.js';

/** Any thrown value as a TppverifyError: file-system errors of a path the user gave are input errors, anything else internal. */
export function asTppverifyError(error: unknown): TppverifyError {
  if (error instanceof TppverifyError) return error;
  if (isFsError(error)) return new TppverifyError('input', `${error.path ?? error.syscall ?? 'a file'}: ${fsReason(error)}`);
  return new TppverifyError('internal', `internal error: ${error instanceof Error ? error.message : String(error)}`);
}

export function reportError(error: unknown, write: (line: string) => void): number {
  const coded = asTppverifyError(error);
  write(`tppverify: ${boundedLine(coded.message)}\n`);
  return EXIT_STATUS[coded.code];
}
