// Where a command writes. Progress goes to stderr, and only to a terminal.
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when progress lines may be drawn (stderr is a TTY whose TERM is not "dumb", and output is not JSON). */
  progressEnabled: boolean;
}

export function processIo(json: boolean): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    progressEnabled: progressAllowed(json, process.stderr.isTTY === true, process.env['TERM']),
  };
}

/** Progress rewrites one line with escape codes: only on a real terminal that understands them, never under --json. */
export function progressAllowed(json: boolean, stderrIsTty: boolean, term: string | undefined): boolean {
  return !json && stderrIsTty && term !== 'dumb';
}
