// `tppverify bench`: DRAM bandwidth and peak throughput of one device, as a
// table or as exactly one JSON object.
import type { BandwidthReport, ThroughputCaseReport } from '../../../benchmarks/bench.js';
import type { NativeDevice } from '../../../benchmarks/native-addon.js';
import { describeLevel, levelSettings, type TestLevel } from '../../../benchmarks/levels.js';
import type { RunSettings, SuiteName } from '../../../benchmarks/registry.js';
import { UsageError } from '../../errors.js';
import { measureDevice, pickDevice } from '../../measure.js';
import { harnessVersion } from '../../version.js';
import type { CliIo } from '../io.js';
import { progressLine } from '../progress.js';
import { formatNumber, renderTable } from '../table.js';

export interface BenchOptions {
  device?: string;
  suite: SuiteName;
  level: TestLevel;
  json: boolean;
  trials?: number;
  arrayMib?: number;
  secondsPerTrial?: number;
  sweep?: boolean;
  formats?: string[];
}

export interface BenchReport {
  schema: 'tppverify.bench.v1';
  tool: { name: 'tppverify'; version: string };
  startedAt: string;
  finishedAt: string;
  device: Pick<NativeDevice, 'id' | 'vendor' | 'model' | 'unitName' | 'computeUnits' | 'attributes'>;
  suite: SuiteName;
  /** level === 'quick', kept for readers of tppverify.bench.v1 before levels. */
  quick: boolean;
  level: TestLevel;
  settings: RunSettings;
  bandwidth: BandwidthReport | null;
  throughput: ThroughputCaseReport[] | null;
}

export function settingsFrom(options: BenchOptions): RunSettings {
  const base = levelSettings(options.level);
  return {
    trials: options.trials ?? base.trials,
    arrayBytes: options.arrayMib !== undefined ? Math.round(options.arrayMib * 2 ** 20) : base.arrayBytes,
    secondsPerTrial: options.secondsPerTrial ?? base.secondsPerTrial,
    sweep: options.sweep === true,
    ...(options.formats?.length ? { formats: options.formats } : {}),
  };
}

export async function runBench(options: BenchOptions, io: CliIo): Promise<BenchReport> {
  const settings = settingsFrom(options);
  const entry = pickDevice(options.device, (text) => io.err(`tppverify: ${text}\n`));
  const progress = progressLine(io);
  try {
    const result = await measureDevice(entry, options.suite, settings, progress.update);
    const missing = (options.formats ?? []).filter((f) => result.throughput && !result.throughput.some((c) => c.format === f));
    if (missing.length) {
      throw new UsageError(`${entry.device.id} has no throughput case for ${missing.join(', ')}: formats are named as in bench's output (FP64, FP16, BF16, INT8, ...)`);
    }
    const { id, vendor, model, unitName, computeUnits, attributes } = entry.device;
    return {
      schema: 'tppverify.bench.v1',
      tool: { name: 'tppverify', version: harnessVersion() },
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
      device: { id, vendor, model, unitName, computeUnits, attributes },
      suite: options.suite,
      quick: options.level === 'quick',
      level: options.level,
      settings,
      bandwidth: result.bandwidth,
      throughput: result.throughput,
    };
  } finally {
    progress.done();
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toLocaleString('en-US', { maximumFractionDigits: 2 })} GiB`;
}

export function renderBench(report: BenchReport): string {
  const d = report.device;
  const parts = [`Device  ${d.id}  ${d.vendor} ${d.model}  (${d.computeUnits} ${d.unitName}s)\n`];
  const bw = report.bandwidth;
  if (bw) {
    parts.push(
      `\nDRAM bandwidth: arrays of ${gib(bw.arrayBytes)}, ${bw.threads} threads; ${bw.byteConvention}\n`,
    );
    if (bw.belowSizingRule) {
      parts.push('WARNING: arrays are smaller than the sizing rule: these figures may come from cache, not DRAM\n');
    }
    parts.push(
      renderTable(
        ['kernel', 'engine', 'median GB/s', 'best', 'min', 'max', 'spread %', 'trials', 'verified'],
        bw.kernels.map((k) => [
          k.name,
          k.engine,
          formatNumber(k.gbps.median),
          formatNumber(k.gbps.best),
          formatNumber(k.gbps.min),
          formatNumber(k.gbps.max),
          formatNumber(k.gbps.spreadPercent),
          k.trials,
          'yes',
        ]),
      ),
    );
  }
  const tp = report.throughput;
  if (tp) {
    parts.push(`\nPeak throughput: every thread at once; clock measured on each thread around every trial\n`);
    parts.push(
      renderTable(
        ['format', 'engine', 'median TOPS', 'best', 'spread %', `ops/clk/${d.unitName}`, 'clock MHz', 'trials', 'verified'],
        tp.map((c) =>
          c.available
            ? [
                c.format,
                c.engine,
                formatNumber(c.tops?.median, 3),
                formatNumber(c.tops?.best, 3),
                formatNumber(c.tops?.spreadPercent),
                formatNumber(c.opsPerClockPerUnit),
                formatNumber(c.clockMhz, 0),
                c.trials,
                'yes',
              ]
            : [c.format, c.engine, 'unavailable', '', '', '', '', '', c.unavailableReason ?? ''],
        ),
      ),
    );
  }
  if (report.level !== 'standard') parts.push(`\n(level ${describeLevel(report.level)})\n`);
  return parts.join('');
}

export function checkBenchOptions(options: BenchOptions): void {
  if (options.formats?.some((f) => f.trim() === '')) throw new UsageError('--format needs a format name, e.g. FP16');
  if (options.formats?.length && options.suite === 'bandwidth') throw new UsageError('--format applies to the throughput suite, not --suite bandwidth');
}
