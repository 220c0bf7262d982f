// Where a command writes. Progress goes to stderr, and only to a terminal.
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when progress lines may be drawn (stderr is a TTY whose TERM is not "dumb", and output is not JSON). */
  progressEnabled: boolean;
}

/** Whether this process has written anything to stdout: a --json error object follows no result. */
let stdoutWritten = false;
export function wroteStdout(): boolean {
  return stdoutWritten;
}

export function processIo(json: boolean): CliIo {
  return {
    out: (text) => {
      stdoutWritten = true;
      return process.stdout.write(text);
    },
    err: (text) => process.stderr.write(text),
    progressEnabled: progressAllowed(json, process.stderr.isTTY === true, process.env['TERM']),
  };
}

/** Progress rewrites one line with escape codes: only on a real terminal that understands them, never under --json. */
export function progressAllowed(json: boolean, stderrIsTty: boolean, term: string | undefined): boolean {
  return !json && stderrIsTty && term !== 'dumb';
}
