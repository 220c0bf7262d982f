// Where a command writes. Progress goes to stderr, and only to a terminal.
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when progress lines may be drawn (stderr is a TTY and output is not JSON). */
  progressEnabled: boolean;
}

export function processIo(json: boolean): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    progressEnabled: !json && process.stderr.isTTY === true,
  };
}
