// Errors under --json: besides the one line on stderr, stdout carries one JSON
// object saying what failed, so a pipeline that parses stdout always gets
// JSON (nvbandwidth and dcgmi report errors inside their JSON the same way).
// Schema tppverify.error.v1: { schema, error: { kind, exitCode, message } }.
export const ERROR_SCHEMA = 'tppverify.error.v1';

/** --json anywhere among the arguments before a "--". */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** `kind` is the error's code (attestations/errors.ts ERROR_CODES); `exitCode` the status it maps to. */
export function jsonError(kind: string, message: string, exitCode: number): string {
  return JSON.stringify({ schema: ERROR_SCHEMA, error: { kind, exitCode, message } }) + '\n';
}
