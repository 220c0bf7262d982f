import { describe, expect, it } from 'vitest';
import { formatFixed } from '../format.js';

describe('formatFixed', () => {
  it.each([
    [15831.2, 0, '15,831'],
    [1234567.891, 2, '1,234,567.89'],
    [999.5, 0, '1,000'],
    [-2500, 0, '-2,500'],
    [-0.0001, 1, '0.0'],
    [0.5, 1, '0.5'],
    [21000, 0, '21,000'],
  ])('%d with %d digits is %s, as en-US grouping gives', (value, digits, expected) => {
    expect(formatFixed(value, digits)).toBe(expected);
    if (value > -0.001 || value < -0.01) {
      expect(formatFixed(value, digits)).toBe(value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).replace('-0.0', '0.0'));
    }
  });
});
