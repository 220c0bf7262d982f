// One rewritten status line on stderr while a measurement runs.
import type { NativeProgress } from '../../benchmarks/native-addon.js';
import type { CliIo } from './io.js';

export interface ProgressLine {
  update(event: NativeProgress): void;
  done(): void;
}

export function progressLine(io: CliIo): ProgressLine {
  if (!io.progressEnabled) return { update: () => {}, done: () => {} };
  const started = Date.now();
  let drawn = false;
  return {
    update(event) {
      const trial = event.trial === 0 ? 'warm-up' : `trial ${event.trial}/${event.trials}`;
      const elapsed = ((Date.now() - started) / 1000).toFixed(1);
      io.err(`\r\x1b[2K[${event.phase}] ${event.kernel} ${trial}  ${elapsed} s`);
      drawn = true;
    },
    done() {
      if (drawn) io.err('\r\x1b[2K');
      drawn = false;
    },
  };
}
