// Human units for the report: binary sizes in KiB … TiB, bandwidth in GB/s or
// TB/s (decimal, as the byte convention counts them), clocks in MHz.
import { formatFixed as fmt } from '../format.js';

const BINARY_UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
const KIBI = 1024;

/** 25276510208 → "23.54 GiB"; whole numbers of a unit print without decimals ("48 KiB"). */
export function binaryBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= KIBI && unit < BINARY_UNITS.length - 1) {
    value /= KIBI;
    unit++;
  }
  return `${fmt(value, Number.isInteger(value) ? 0 : 2)} ${BINARY_UNITS[unit]}`;
}

/** GB/s below 1,000 GB/s, TB/s from there: "61.2 GB/s", "4.80 TB/s". */
export function bandwidth(gbps: number): string {
  if (!Number.isFinite(gbps)) return '—';
  return gbps >= 1000 ? `${fmt(gbps / 1000, 2)} TB/s` : `${fmt(gbps, 1)} GB/s`;
}

export function megahertz(mhz: number): string {
  return Number.isFinite(mhz) ? `${fmt(mhz, 0)} MHz` : '—';
}

export function percent(fraction: number, digits = 1): string {
  return Number.isFinite(fraction) ? `${fmt(fraction * 100, digits)} %` : '—';
}

/** At most this many decimals, whatever the size of U. */
const MAX_DECIMALS = 4;

/** Decimals that give a number three significant digits (no decimals from 100 up). */
export function significantDecimals(value: number): number {
  if (!Number.isFinite(value) || value === 0) return 0;
  return Math.min(MAX_DECIMALS, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value)))));
}

/** A number to three significant digits, grouped: 15831 → "15,831", 2.034 → "2.03". */
export function significant(value: number): string {
  return Number.isFinite(value) ? fmt(value, significantDecimals(value)) : '—';
}

/**
 * A figure with its expanded uncertainty, GUM style: U to two significant
 * digits and the value rounded to the same decimal place ("2.0 ± 1.5",
 * "25 ± 13").
 */
export function withUncertainty(value: number, expanded: number | undefined): string {
  if (!Number.isFinite(value)) return '—';
  if (expanded === undefined || !Number.isFinite(expanded) || expanded <= 0) return significant(value);
  const decimals = Math.min(MAX_DECIMALS, Math.max(0, 1 - Math.floor(Math.log10(expanded))));
  return `${fmt(value, decimals)} ± ${fmt(expanded, decimals)}`;
}

/** Bandwidth with U in the unit the median picks: "4.75 ± 0.02 TB/s". */
export function bandwidthWithUncertainty(gbps: number, expandedGbps: number): string {
  if (!Number.isFinite(gbps)) return '—';
  const tera = gbps >= 1000;
  const scale = tera ? 1000 : 1;
  return `${withUncertainty(gbps / scale, expandedGbps / scale)} ${tera ? 'TB/s' : 'GB/s'}`;
}
