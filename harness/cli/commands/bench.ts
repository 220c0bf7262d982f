// `tppverify bench`: DRAM bandwidth and peak throughput of one device, as a
// table or as exactly one JSON object.
import {
  faultFromEnvironment,
  measureDramBandwidth,
  measurePeakThroughput,
  type BandwidthReport,
  type ThroughputCaseReport,
} from '../../../benchmarks/bench.js';
import { isNativeMeasurementError, loadAddon, type NativeDevice } from '../../../benchmarks/native-addon.js';
import {
  DEFAULT_SETTINGS,
  QUICK_SETTINGS,
  includesBandwidth,
  includesThroughput,
  type RunSettings,
  type SuiteName,
} from '../../../benchmarks/registry.js';
import { ResultValidationError } from '../../../benchmarks/validate.js';
import { chooseDefaultDevice, formatDeviceId, listBackends, resolveDevice, type DeviceEntry } from '../../devices.js';
import { DeviceUnavailableError, MeasurementError, UsageError } from '../../errors.js';
import { harnessVersion } from '../../version.js';
import type { CliIo } from '../io.js';
import { progressLine } from '../progress.js';
import { formatNumber, renderTable } from '../table.js';

export interface BenchOptions {
  device?: string;
  suite: SuiteName;
  quick: boolean;
  json: boolean;
  trials?: number;
  arrayMib?: number;
  secondsPerTrial?: number;
}

export interface BenchReport {
  schema: 'tppverify.bench.v1';
  tool: { name: 'tppverify'; version: string };
  startedAt: string;
  finishedAt: string;
  device: Pick<NativeDevice, 'id' | 'vendor' | 'model' | 'unitName' | 'computeUnits' | 'attributes'>;
  suite: SuiteName;
  quick: boolean;
  settings: RunSettings;
  bandwidth: BandwidthReport | null;
  throughput: ThroughputCaseReport[] | null;
}

export function settingsFrom(options: BenchOptions): RunSettings {
  const base = options.quick ? QUICK_SETTINGS : DEFAULT_SETTINGS;
  return {
    trials: options.trials ?? base.trials,
    arrayBytes: options.arrayMib !== undefined ? Math.round(options.arrayMib * 2 ** 20) : base.arrayBytes,
    secondsPerTrial: options.secondsPerTrial ?? base.secondsPerTrial,
  };
}

function pickDevice(options: BenchOptions, io: CliIo): DeviceEntry {
  const listings = listBackends();
  if (options.device !== undefined) return resolveDevice(options.device, listings);
  const choice = chooseDefaultDevice(listings);
  for (const note of choice.passedOver) io.err(`tppverify: passing over ${note}\n`);
  return choice.entry;
}

/** Native and validation failures become MeasurementError/DeviceUnavailableError (exit 3). */
async function measured<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ResultValidationError) throw new MeasurementError(error.message, error.kernel);
    if (isNativeMeasurementError(error)) {
      if (error.code === 'VERIFICATION_FAILED') throw new MeasurementError(error.message, error.kernel);
      throw new DeviceUnavailableError(error.message);
    }
    throw error;
  }
}

export async function runBench(options: BenchOptions, io: CliIo): Promise<BenchReport> {
  const settings = settingsFrom(options);
  const entry = pickDevice(options, io);
  const deviceId = formatDeviceId(entry.target);
  const needs = [
    includesBandwidth(options.suite) && !entry.device.measuresBandwidth,
    includesThroughput(options.suite) && !entry.device.measuresThroughput,
  ];
  if (needs.some(Boolean)) throw new DeviceUnavailableError(`${deviceId}: ${entry.device.notMeasurableReason}`);

  const addon = loadAddon();
  const fault = faultFromEnvironment();
  const progress = progressLine(io);
  const startedAt = new Date().toISOString();
  try {
    const bandwidth = includesBandwidth(options.suite)
      ? await measured(() => measureDramBandwidth(addon, entry.target, settings, progress.update, fault))
      : null;
    const throughput = includesThroughput(options.suite)
      ? await measured(() => measurePeakThroughput(addon, entry.target, settings, progress.update, fault))
      : null;
    const { id, vendor, model, unitName, computeUnits, attributes } = entry.device;
    return {
      schema: 'tppverify.bench.v1',
      tool: { name: 'tppverify', version: harnessVersion() },
      startedAt,
      finishedAt: new Date().toISOString(),
      device: { id, vendor, model, unitName, computeUnits, attributes },
      suite: options.suite,
      quick: options.quick,
      settings,
      bandwidth,
      throughput,
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
  if (report.quick) parts.push('\n(quick run: shorter throughput trials)\n');
  return parts.join('');
}

export function checkBenchOptions(options: BenchOptions): void {
  if (options.trials !== undefined && (!Number.isInteger(options.trials) || options.trials < DEFAULT_SETTINGS.trials)) {
    throw new UsageError(`--trials must be an integer of at least ${DEFAULT_SETTINGS.trials}, not ${options.trials}`);
  }
}
