// TPP and the quantities around it: pure functions of rates, clocks and areas.
import { BIT_LENGTH, FORMATS, type Format, type RatesTops } from './formats.js';

export interface TppResult {
  /** max over formats of dense rate (TOPS) × bit length. */
  tpp: number;
  /** The format that sets it (the first in FORMATS order on a tie). */
  format: Format;
  byFormat: Partial<Record<Format, number>>;
}

export class NoRatesError extends Error {
  constructor() {
    super('no dense rate to compute TPP from');
    this.name = 'NoRatesError';
  }
}

export function tppFromRates(rates: RatesTops): TppResult {
  const byFormat: Partial<Record<Format, number>> = {};
  let best: { tpp: number; format: Format } | undefined;
  for (const format of FORMATS) {
    const rate = rates[format];
    if (rate === undefined) continue;
    const tpp = rate * BIT_LENGTH[format];
    byFormat[format] = tpp;
    if (!best || tpp > best.tpp) best = { tpp, format };
  }
  if (!best) throw new NoRatesError();
  return { ...best, byFormat };
}

/** Dense rates in TOPS from ops per clock per unit × units × clock. */
export function ratesAtClock(
  opsPerClockPerUnit: Partial<Record<Format, number>>,
  units: number,
  clockMhz: number,
): RatesTops {
  const rates: RatesTops = {};
  for (const format of FORMATS) {
    const perClock = opsPerClockPerUnit[format];
    if (perClock !== undefined) rates[format] = (perClock * units * clockMhz * 1e6) / 1e12;
  }
  return rates;
}

/** Ops per clock per unit implied by dense rates at a clock: the inverse of ratesAtClock. */
export function perClockFromRates(rates: RatesTops, units: number, clockMhz: number): Partial<Record<Format, number>> {
  const perClock: Partial<Record<Format, number>> = {};
  for (const format of FORMATS) {
    const rate = rates[format];
    if (rate !== undefined) perClock[format] = (rate * 1e12) / (units * clockMhz * 1e6);
  }
  return perClock;
}

/** TPP per mm² of applicable die area (3A090 Technical Note 3); null when the area is unknown. */
export function performanceDensity(tpp: number, dieAreaMm2: number | undefined): number | null {
  return dieAreaMm2 !== undefined && dieAreaMm2 > 0 ? tpp / dieAreaMm2 : null;
}

/** Peak DRAM bandwidth in GB/s from bus width (bits) × data rate (MT/s per pin). */
export function peakDramBandwidthGbps(busWidthBits: number, dataRateMtps: number): number {
  return ((busWidthBits / 8) * dataRateMtps * 1e6) / 1e9;
}

/** Signed relative difference of `actual` from `reference`. */
export function relativeDifference(actual: number, reference: number): number {
  return (actual - reference) / reference;
}
