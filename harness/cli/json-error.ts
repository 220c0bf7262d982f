// Errors under --json: besides the one line on stderr, stdout carries one JSON
// object saying what failed, so a pipeline that parses stdout always gets
// JSON (nvbandwidth and dcgmi report errors inside their JSON the same way).
// Schema tppverify.error.v1: { schema, error: { kind, exitCode, message } }.
import { EXIT_FAIL_ON, EXIT_INTERNAL, EXIT_MEASUREMENT, EXIT_RENDERER, EXIT_USAGE } from '../errors.js';

export const ERROR_SCHEMA = 'tppverify.error.v1';

/** The kind of failure an exit code stands for, as the README's exit-code table names it. */
const KIND_BY_EXIT_CODE: ReadonlyMap<number, string> = new Map([
  [EXIT_INTERNAL, 'internal'],
  [EXIT_USAGE, 'usage'],
  [EXIT_MEASUREMENT, 'measurement'],
  [EXIT_RENDERER, 'renderer'],
  [EXIT_FAIL_ON, 'fail-on'],
]);

/** --json anywhere among the arguments before a "--". */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

export function jsonError(message: string, exitCode: number): string {
  return JSON.stringify({ schema: ERROR_SCHEMA, error: { kind: KIND_BY_EXIT_CODE.get(exitCode) ?? 'error', exitCode, message } }) + '\n';
}
