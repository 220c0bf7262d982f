// Checks a native result before it becomes a report: enough trials, finite
// positive timings, the byte model the registry expects, and no rate above
// what the hardware can physically issue.
import type { NativeBandwidthResult, NativeThroughputCase } from './native-addon.js';
import { BANDWIDTH_CASES, methodOf, MIN_TRIALS } from './registry.js';
import { median } from './statistics.js';
import { TppverifyError } from '../attestations/errors.js';

/**
 * Slack on the per-clock bound, applied to the median over trials. The clock
 * is read just before and after each trial, not during it, and on a shared
 * host it hops between 2.6 and 3.0 GHz from one millisecond to the next (seen
 * here: one 3 ms trial read 14 % over the bound). The bound exists to catch
 * counting errors and elided work, which come in factors of 2 or more.
 */
export const PLAUSIBILITY_TOLERANCE = 0.25;

export class ResultValidationError extends TppverifyError {
  constructor(
    override readonly kernel: string,
    detail: string,
  ) {
    super('measurement', `${kernel}: result rejected: ${detail}`, kernel);
  }
}

function checkTrials(kernel: string, seconds: readonly number[], minTrials: number): void {
  if (seconds.length < minTrials) {
    throw new ResultValidationError(kernel, `${seconds.length} timed trials, at least ${minTrials} required`);
  }
  seconds.forEach((value, i) => {
    if (!Number.isFinite(value) || value <= 0) {
      throw new ResultValidationError(kernel, `trial ${i + 1} took ${value} s`);
    }
  });
}

export function validateBandwidthResult(result: NativeBandwidthResult, minTrials = MIN_TRIALS): void {
  for (const kernel of result.kernels) {
    const model = BANDWIDTH_CASES.find((c) => c.name === kernel.name);
    if (!model) throw new ResultValidationError(kernel.name, 'not in the benchmark registry');
    if (methodOf(kernel.method) !== model.method) {
      throw new ResultValidationError(kernel.name, `recorded as method '${kernel.method}', the registry's is '${model.method}'`);
    }
    if (
      kernel.bytesReadPerTrial !== model.arraysRead * result.arrayBytes ||
      kernel.bytesWrittenPerTrial !== model.arraysWritten * result.arrayBytes
    ) {
      throw new ResultValidationError(
        kernel.name,
        `byte model ${kernel.bytesReadPerTrial} read + ${kernel.bytesWrittenPerTrial} written per trial disagrees with ` +
          `${model.arraysRead} read and ${model.arraysWritten} written arrays of ${result.arrayBytes} bytes`,
      );
    }
    checkTrials(kernel.name, kernel.trialSeconds, minTrials);
  }
}

/** ops per clock per unit for one trial. */
export function opsPerClockPerUnit(c: NativeThroughputCase, trial: number): number {
  const seconds = c.trialSeconds[trial];
  const mhz = c.trialClockMhz[trial];
  if (seconds === undefined || mhz === undefined || mhz <= 0 || c.units <= 0) return Number.NaN;
  return c.opsPerTrial / seconds / (mhz * 1e6) / c.units;
}

export function validateThroughputCase(c: NativeThroughputCase, minTrials = MIN_TRIALS): void {
  validateThroughputTrials(c, minTrials, true);
}

/**
 * The trial checks of validateThroughputCase; the per-clock bound only with
 * `rateBound`. A sustained-phase call is one trial, and one clock reading on a
 * busy host can be far off: benchmarks/sustained.ts applies the bound to the
 * median over all of a case's sustained trials instead.
 */
export function validateThroughputTrials(c: NativeThroughputCase, minTrials: number, rateBound: boolean): void {
  if (!c.available) return;
  const label = `${c.format}/${c.engine}`;
  checkTrials(label, c.trialSeconds, minTrials);
  if (c.trialClockMhz.length !== c.trialSeconds.length) {
    throw new ResultValidationError(label, 'one clock reading per trial expected');
  }
  if (!(c.opsPerTrial > 0)) throw new ResultValidationError(label, `op count ${c.opsPerTrial} per trial`);
  const rates = c.trialSeconds.map((_, trial) => {
    const rate = opsPerClockPerUnit(c, trial);
    if (!Number.isFinite(rate)) throw new ResultValidationError(label, `no valid clock reading for trial ${trial + 1}`);
    return rate;
  });
  const hardwareBound = c.opsPerInstruction * c.maxInstructionsPerClockPerUnit;
  const typical = median(rates);
  if (rateBound && typical > hardwareBound * (1 + PLAUSIBILITY_TOLERANCE)) {
    throw new ResultValidationError(
      label,
      `a median of ${typical.toFixed(1)} ops per clock per unit over ${rates.length} trials is above the hardware ` +
        `bound of ${hardwareBound.toFixed(1)}: a counting bug or work the compiler removed, not a result`,
    );
  }
}
