// `bench --csv`: one row per bandwidth kernel in BabelStream's --csv columns
// (function, num_times, n_elements, sizeof, max_mbytes_per_sec, min_runtime,
// max_runtime, avg_runtime; MBytes = 10^6 bytes, runtimes in seconds), then
// tppverify's own columns, which also carry the throughput rows.
import type { BenchReport } from './commands/bench.js';

export const CSV_COLUMNS = [
  // BabelStream's, in its order.
  'function',
  'num_times',
  'n_elements',
  'sizeof',
  'max_mbytes_per_sec',
  'min_runtime',
  'max_runtime',
  'avg_runtime',
  // tppverify's.
  'kind',
  'engine',
  'median_mbytes_per_sec',
  'median_tops',
  'max_tops',
  'ops_per_clock_per_unit',
  'clock_mhz',
  'device',
  'note',
] as const;

type Row = Partial<Record<(typeof CSV_COLUMNS)[number], string | number>>;

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const MEGA = 1e6;
const GIGA_TO_MEGA = 1e3;

function runtimes(seconds: number[]): Row {
  if (!seconds.length) return {};
  return { min_runtime: Math.min(...seconds), max_runtime: Math.max(...seconds), avg_runtime: seconds.reduce((a, b) => a + b, 0) / seconds.length };
}

export function renderBenchCsv(report: BenchReport): string {
  const rows: Row[] = [];
  const device = report.device.id;
  for (const k of report.bandwidth?.kernels ?? []) {
    rows.push({
      function: k.name,
      num_times: k.trials,
      n_elements: k.elements,
      sizeof: k.elements ? report.bandwidth!.arrayBytes / k.elements : undefined,
      max_mbytes_per_sec: (k.bytesPerTrial / Math.min(...k.trialSeconds)) / MEGA,
      ...runtimes(k.trialSeconds),
      kind: 'bandwidth',
      engine: k.engine,
      median_mbytes_per_sec: k.gbps.median * GIGA_TO_MEGA,
      device,
      ...(report.bandwidth!.belowSizingRule ? { note: 'arrays below the sizing rule: may be cache, not DRAM' } : {}),
    });
  }
  for (const c of report.throughput ?? []) {
    rows.push({
      function: c.format,
      kind: 'throughput',
      engine: c.engine,
      device,
      ...(c.available
        ? {
            num_times: c.trials,
            ...runtimes(c.trialSeconds),
            median_tops: c.tops?.median,
            max_tops: c.tops?.max,
            ops_per_clock_per_unit: c.opsPerClockPerUnit ?? undefined,
            clock_mhz: c.clockMhz ?? undefined,
          }
        : { note: `not measured: ${c.unavailableReason ?? ''}` }),
    });
  }
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(','))].join('\n') + '\n';
}
