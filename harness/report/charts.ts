// Inline SVG charts for the report: axes with ticks, a log scale where the
// values span orders of magnitude, uncertainty whiskers, reference lines.
// Pure: numbers in, SVG text out.
import { formatFixed as fmt } from '../format.js';
import { escapeHtml as escape } from './escape.js';
import { significant, withUncertainty } from './units.js';

export interface Bar {
  label: string;
  value: number;
  /** Expanded uncertainty, drawn as a whisker value ± U. */
  expanded?: number;
  kind: 'declared' | 'measured' | 'over-limit';
}

export interface ReferenceLine {
  value: number;
  label: string;
}

export interface BarChartSpec {
  title: string;
  bars: Bar[];
  lines: ReferenceLine[];
  /** Axis title, e.g. "TPP" or "GB/s". */
  axisLabel: string;
}

/** Tick labels: whole numbers grouped ("10,000"), fractions as short decimals ("0.1"). */
export function tickText(value: number): string {
  return value >= 1 ? fmt(value, Number.isInteger(value) ? 0 : 1) : String(Number(value.toPrecision(2)));
}

/** Values spanning more than this factor use a log axis: a linear one would hide the small bars. */
export const LOG_SCALE_SPAN = 100;

const WIDTH = 680;
const LABEL_WIDTH = 215;
const VALUE_ROOM = 120;
const ROW_HEIGHT = 22;
const LINE_LABEL_HEIGHT = 13;
const AXIS_HEIGHT = 38;
const FILL: Record<Bar['kind'], string> = { declared: '#9aa5b1', measured: '#2f6f9f', 'over-limit': '#b3261e' };

interface Axis {
  log: boolean;
  min: number;
  max: number;
  ticks: number[];
}

/** 1, 2 or 5 × 10^n: the tick step a reader counts in. */
function niceStep(span: number, wanted: number): number {
  const raw = span / wanted;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const multiple = [1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10;
  return multiple * magnitude;
}

export function chooseAxis(values: number[]): Axis {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  const top = Math.max(...positive, 1);
  const bottom = Math.min(...positive, top);
  if (top / bottom > LOG_SCALE_SPAN) {
    const min = 10 ** Math.floor(Math.log10(bottom));
    const max = 10 ** Math.ceil(Math.log10(top * 1.05));
    const ticks: number[] = [];
    for (let t = min; t <= max * 1.0001; t *= 10) ticks.push(t);
    return { log: true, min, max, ticks };
  }
  const { max, ticks } = chooseLinear(top);
  return { log: false, min: 0, max, ticks };
}

function position(axis: Axis, value: number, left: number, right: number): number {
  const clamped = Math.min(Math.max(value, axis.min), axis.max);
  const share = axis.log ? (Math.log10(Math.max(clamped, axis.min)) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min)) : (clamped - axis.min) / (axis.max - axis.min);
  return left + share * (right - left);
}

/** Horizontal bars with whiskers and dashed reference lines (limits, declared figures). */
export function barChart(spec: BarChartSpec): string {
  const values = [...spec.bars.flatMap((b) => [b.value, b.value + (b.expanded ?? 0)]), ...spec.lines.map((l) => l.value)];
  const axis = chooseAxis(values);
  const left = LABEL_WIDTH;
  const right = WIDTH - VALUE_ROOM;
  const top = spec.lines.length * LINE_LABEL_HEIGHT + 6;
  const plotBottom = top + spec.bars.length * ROW_HEIGHT;
  const height = plotBottom + AXIS_HEIGHT;
  const x = (v: number) => position(axis, v, left, right).toFixed(1);
  const parts: string[] = [];
  for (const tick of axis.ticks) {
    parts.push(`<line x1="${x(tick)}" x2="${x(tick)}" y1="${top}" y2="${plotBottom + 4}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(tick)}" y="${plotBottom + 16}" text-anchor="middle" font-size="10">${escape(tickText(tick))}</text>`);
  }
  spec.bars.forEach((bar, i) => {
    const y = top + i * ROW_HEIGHT;
    const start = position(axis, axis.min, left, right);
    const end = position(axis, bar.value, left, right);
    parts.push(`<text x="${left - 6}" y="${y + 15}" text-anchor="end" font-size="11">${escape(bar.label)}</text>`);
    parts.push(`<rect x="${start.toFixed(1)}" y="${y + 4}" width="${Math.max(1, end - start).toFixed(1)}" height="14" fill="${FILL[bar.kind]}"/>`);
    let textX = end;
    if (bar.expanded !== undefined && Number.isFinite(bar.expanded) && bar.expanded > 0) {
      const lo = position(axis, bar.value - bar.expanded, left, right);
      const hi = position(axis, bar.value + bar.expanded, left, right);
      const mid = y + 11;
      parts.push(
        `<g class="whisker" stroke="#111" stroke-width="1.2"><line x1="${lo.toFixed(1)}" x2="${hi.toFixed(1)}" y1="${mid}" y2="${mid}"/><line x1="${lo.toFixed(1)}" x2="${lo.toFixed(1)}" y1="${mid - 4}" y2="${mid + 4}"/><line x1="${hi.toFixed(1)}" x2="${hi.toFixed(1)}" y1="${mid - 4}" y2="${mid + 4}"/></g>`,
      );
      textX = Math.max(end, hi);
    }
    const text = bar.expanded !== undefined ? withUncertainty(bar.value, bar.expanded) : significant(bar.value);
    parts.push(`<text x="${(textX + 5).toFixed(1)}" y="${y + 15}" font-size="10">${escape(text)}</text>`);
  });
  spec.lines.forEach((line, i) => {
    const lx = x(line.value);
    const ly = 10 + i * LINE_LABEL_HEIGHT;
    parts.push(`<line class="reference" x1="${lx}" x2="${lx}" y1="${ly + 2}" y2="${plotBottom}" stroke="#000" stroke-dasharray="5 3"/>`);
    const anchor = Number(lx) > right - 60 ? 'end' : Number(lx) < left + 60 ? 'start' : 'middle';
    parts.push(`<text x="${lx}" y="${ly}" text-anchor="${anchor}" font-size="10">${escape(line.label)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${right}" y1="${plotBottom + 4}" y2="${plotBottom + 4}" stroke="#444"/>`);
  parts.push(`<text x="${((left + right) / 2).toFixed(0)}" y="${plotBottom + 32}" text-anchor="middle" font-size="11">${escape(spec.axisLabel)}${axis.log ? ' (log scale)' : ''}</text>`);
  return `<figure><figcaption>${escape(spec.title)}</figcaption><svg viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${escape(spec.title)}" data-scale="${axis.log ? 'log' : 'linear'}">${parts.join('')}</svg></figure>`;
}

export interface SeriesPoint {
  seconds: number;
  value: number;
}

/** A line over time with both axes ticked (telemetry: SM clock in MHz against seconds). */
export function lineChart(title: string, points: SeriesPoint[], unit: string): string {
  if (points.length < 2) return '';
  const width = WIDTH;
  const height = 170;
  const left = 60;
  const right = width - 15;
  const top = 10;
  const bottom = height - 34;
  const xAxis = chooseLinear(points[points.length - 1]!.seconds);
  const yAxis = chooseLinear(Math.max(...points.map((p) => p.value)));
  const px = (s: number) => (left + (s / xAxis.max) * (right - left)).toFixed(1);
  const py = (v: number) => (bottom - (v / yAxis.max) * (bottom - top)).toFixed(1);
  const parts: string[] = [];
  for (const t of yAxis.ticks) {
    parts.push(`<line x1="${left}" x2="${right}" y1="${py(t)}" y2="${py(t)}" stroke="#e3e3e3"/><text x="${left - 5}" y="${(Number(py(t)) + 3).toFixed(1)}" text-anchor="end" font-size="10">${escape(fmt(t))}</text>`);
  }
  for (const t of xAxis.ticks) {
    parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${bottom}" y2="${bottom + 4}" stroke="#444"/><text x="${px(t)}" y="${bottom + 15}" text-anchor="middle" font-size="10">${escape(fmt(t, t < 10 && !Number.isInteger(t) ? 1 : 0))}</text>`);
  }
  parts.push(`<polyline fill="none" stroke="#2f6f9f" stroke-width="1.5" points="${points.map((p) => `${px(p.seconds)},${py(p.value)}`).join(' ')}"/>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#444"/><line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#444"/>`);
  parts.push(`<text x="${((left + right) / 2).toFixed(0)}" y="${height - 4}" text-anchor="middle" font-size="11">time (s)</text>`);
  parts.push(`<text x="12" y="${((top + bottom) / 2).toFixed(0)}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${((top + bottom) / 2).toFixed(0)})">${escape(unit)}</text>`);
  return `<figure><figcaption>${escape(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escape(title)}">${parts.join('')}</svg></figure>`;
}

function chooseLinear(top: number): { max: number; ticks: number[] } {
  const step = niceStep(Math.max(top, 1e-9) * 1.05, 5);
  const max = Math.ceil((Math.max(top, 1e-9) * 1.05) / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { max, ticks };
}
