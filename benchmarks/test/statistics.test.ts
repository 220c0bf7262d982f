import { describe, expect, it } from 'vitest';
import { EmptySampleError, median, summarizeRates } from '../statistics.js';

describe('median', () => {
  it('takes the middle of an odd sample and the mean of the middle pair of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses an empty sample', () => {
    expect(() => median([])).toThrow(EmptySampleError);
  });
});

describe('summarizeRates', () => {
  it('reports median, best (the maximum), min, max, spread, stddev and every trial', () => {
    const s = summarizeRates([10, 12, 11, 9, 13]);
    expect(s).toMatchObject({ trials: 5, median: 11, best: 13, min: 9, max: 13, mean: 11 });
    expect(s.spreadPercent).toBeCloseTo((4 / 11) * 100, 10);
    expect(s.stddev).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(s.values).toEqual([10, 12, 11, 9, 13]);
  });

  it('gives zero spread and stddev for one trial', () => {
    expect(summarizeRates([7])).toMatchObject({ trials: 1, stddev: 0, spreadPercent: 0 });
  });

  it('rejects non-finite trials, naming the figure', () => {
    expect(() => summarizeRates([1, Number.POSITIVE_INFINITY], 'triad GB/s')).toThrow(/triad GB\/s: non-finite/);
    expect(() => summarizeRates([Number.NaN], 'x')).toThrow(RangeError);
  });
});
