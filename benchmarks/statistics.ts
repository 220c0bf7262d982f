// Summary statistics over per-trial values. Every reported figure carries its
// median, spread and run count, and the raw trials it came from.

export interface TrialSummary {
  /** Number of timed trials (warm-up excluded). */
  trials: number;
  median: number;
  /** The most favourable trial: the maximum for rates. */
  best: number;
  min: number;
  max: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single trial. */
  stddev: number;
  /** (max − min) / median, in percent. */
  spreadPercent: number;
  /** Every trial in measurement order. */
  values: number[];
}

export class EmptySampleError extends Error {
  constructor(what: string) {
    super(`${what}: no trials to summarise`);
    this.name = 'EmptySampleError';
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new EmptySampleError('median');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  // Both indices exist: length > 0 and mid < length.
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Summarises rates (higher is better), e.g. GB/s or TOPS per trial. */
export function summarizeRates(values: readonly number[], what = 'rates'): TrialSummary {
  if (values.length === 0) throw new EmptySampleError(what);
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError(`${what}: non-finite trial value ${value}`);
  }
  const n = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  const variance = n > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1) : 0;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const mid = median(values);
  return {
    trials: n,
    median: mid,
    best: max,
    min,
    max,
    mean,
    stddev: Math.sqrt(variance),
    spreadPercent: mid === 0 ? 0 : ((max - min) / mid) * 100,
    values: [...values],
  };
}
