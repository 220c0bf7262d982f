// Telemetry while a phase runs: a bounded nvidia-smi sampling loop (through
// execa), summarised per phase; a phase whose samples show a slowdown reason
// other than idle is flagged, and the verdict treats it as inconclusive.
import { execa } from 'execa';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { parseAmdMetric, type AmdMetric } from './amd-smi.js';
import { isPlaceholder } from './nvidia-smi.js';
import type { PowerEvidenceRecord } from '../../attestations/records.js';

/**
 * The power limit in force (enforced.power.limit: the lowest of every limit
 * set, the one the board obeys) and the board's default (power.default_limit),
 * sampled in every phase so a cap set after preflight is seen (issue 18).
 */
export const TELEMETRY_FIELDS = [
  'timestamp',
  'clocks.sm',
  'clocks.mem',
  'power.draw',
  'temperature.gpu',
  'clocks_event_reasons.active',
  'enforced.power.limit',
  'power.default_limit',
] as const;
/** Five samples a second: fine enough to see a slowdown, light on the host. */
export const TELEMETRY_INTERVAL_MS = 200;
/** At most an hour of samples are kept: the loop is bounded whatever happens. */
export const MAX_TELEMETRY_SAMPLES = 18_000;
/** stop() waits at most this long for the sampler to exit before killing it. */
const STOP_GRACE_MS = 2_000;
/** Bit 0 of the event-reason mask is "GPU idle"; every other bit slows the clock. */
const IDLE_REASON = 0x1n;

export interface TelemetrySample {
  smClockMhz: number | null;
  memoryClockMhz: number | null;
  powerW: number | null;
  temperatureC: number | null;
  reasons: bigint | null;
  enforcedPowerLimitW?: number | null;
  defaultPowerLimitW?: number | null;
}

/** The clock a device's telemetry reported in a phase, and whether it is a live reading to compare with a measured one. */
export interface ReportedClock {
  /** Where the readings come from, or why there are none ("not reported: ..."). */
  source: string;
  samples: number;
  mhz: { min: number; median: number; max: number } | null;
  comparable: boolean;
  notComparableReason: string;
}

/** What a sampler read for a phase's clock and power evidence (harness/inventory/phase-evidence.ts). */
export interface SampledEvidence {
  clock: ReportedClock;
  power: PowerEvidenceRecord;
  /** The CPU: the kernel's clocksource behind CLOCK_MONOTONIC (tsc, kvm-clock, ...), where readable. */
  hostClocksource?: string;
}

export interface PhaseTelemetry {
  phase: string;
  samples: number;
  smClockMhz: { min: number; median: number; max: number } | null;
  maxPowerW: number | null;
  maxTemperatureC: number | null;
  /** OR of every sample's event-reason mask, hex. */
  reasonsSeen: string;
  throttled: boolean;
  /** Milliseconds between consecutive points of `series`. */
  intervalMs: number;
  /** [SM clock MHz, power W, temperature °C] over time, at most MAX_SERIES_POINTS points. */
  series: [number | null, number | null, number | null][];
  /** The clock and power evidence read in the phase; attest records it apart from the telemetry fact. */
  evidence?: SampledEvidence;
}

/** The series kept per phase for the report's chart: enough to see a slowdown, small in the attestation. */
export const MAX_SERIES_POINTS = 240;

const number = (cell: string | undefined): number | null => (cell === undefined || isPlaceholder(cell) || Number.isNaN(Number(cell)) ? null : Number(cell));

/** One `--format=csv,noheader,nounits` line of TELEMETRY_FIELDS; null for a line that is not one. */
export function parseTelemetryLine(line: string): TelemetrySample | null {
  const cells = line.split(', ').map((c) => c.trim());
  if (cells.length !== TELEMETRY_FIELDS.length) return null;
  const reasons = cells[5] !== undefined && /^0x[0-9a-f]+$/i.test(cells[5]) ? BigInt(cells[5]) : null;
  return {
    smClockMhz: number(cells[1]),
    memoryClockMhz: number(cells[2]),
    powerW: number(cells[3]),
    temperatureC: number(cells[4]),
    reasons,
    enforcedPowerLimitW: number(cells[6]),
    defaultPowerLimitW: number(cells[7]),
  };
}

/** The least, middle (the upper of two) and greatest of the values read; null when none was. */
export function rangeOf(values: readonly (number | null | undefined)[]): { min: number; median: number; max: number } | null {
  const known = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  return known.length ? { min: known[0]!, median: known[Math.floor(known.length / 2)]!, max: known[known.length - 1]! } : null;
}

/**
 * nvidia-smi's clock and power-limit readings of a phase. The clock is taken
 * from the samples without the GPU-idle reason (bit 0): a phase includes set-up
 * and the plan's idle gaps, where the clock drops and no trial is timed.
 */
export function nvidiaEvidence(samples: readonly TelemetrySample[]): SampledEvidence {
  const known = samples.filter((s) => s.reasons !== null);
  const busy = known.length ? known.filter((s) => ((s.reasons ?? 0n) & IDLE_REASON) === 0n) : samples;
  const clocks = rangeOf(busy.map((s) => s.smClockMhz));
  const busyCount = busy.filter((s) => s.smClockMhz !== null).length;
  const clock: ReportedClock = clocks
    ? {
        source: known.length ? 'nvidia-smi clocks.sm, samples without the GPU-idle event reason' : 'nvidia-smi clocks.sm (event reasons not reported)',
        samples: busyCount,
        mhz: clocks,
        comparable: true,
        notComparableReason: '',
      }
    : { source: `not reported: no clocks.sm sample ${samples.length ? 'while the GPU was busy' : 'in this phase'}`, samples: 0, mhz: null, comparable: false, notComparableReason: 'no reported clock' };
  const enforced = rangeOf(samples.map((s) => s.enforcedPowerLimitW));
  const reference = rangeOf(samples.map((s) => s.defaultPowerLimitW));
  const paired = samples.filter((s) => typeof s.enforcedPowerLimitW === 'number' && typeof s.defaultPowerLimitW === 'number').length;
  const draw = rangeOf(samples.map((s) => s.powerW));
  const power: PowerEvidenceRecord =
    enforced && reference
      ? {
          source: 'nvidia-smi enforced.power.limit against power.default_limit',
          unreadable: '',
          samples: paired,
          enforcedMinW: enforced.min,
          enforcedMaxW: enforced.max,
          referenceMinW: reference.min,
          referenceMaxW: reference.max,
          referenceName: 'default',
          maxDrawW: draw?.max ?? 0,
        }
      : {
          ...NO_POWER,
          source: 'nvidia-smi enforced.power.limit against power.default_limit',
          unreadable: `not readable: nvidia-smi reported ${samples.length ? 'no enforced.power.limit or power.default_limit' : 'no sample'} in this phase`,
          maxDrawW: draw?.max ?? 0,
        };
  return { clock, power };
}

/** A power record with nothing read; callers set source and unreadable. */
export const NO_POWER: PowerEvidenceRecord = {
  source: '',
  unreadable: '',
  samples: 0,
  enforcedMinW: 0,
  enforcedMaxW: 0,
  referenceMinW: 0,
  referenceMaxW: 0,
  referenceName: '',
  maxDrawW: 0,
};

export function summarizeTelemetry(phase: string, samples: readonly TelemetrySample[], sampleIntervalMs = TELEMETRY_INTERVAL_MS): PhaseTelemetry {
  const stride = Math.max(1, Math.ceil(samples.length / MAX_SERIES_POINTS));
  const series = samples.filter((_, i) => i % stride === 0).map((s): [number | null, number | null, number | null] => [s.smClockMhz, s.powerW, s.temperatureC]);
  const max = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length ? Math.max(...known) : null;
  };
  const seen = samples.reduce((mask, s) => mask | (s.reasons ?? 0n), 0n);
  return {
    phase,
    samples: samples.length,
    smClockMhz: rangeOf(samples.map((s) => s.smClockMhz)),
    maxPowerW: max(samples.map((s) => s.powerW)),
    maxTemperatureC: max(samples.map((s) => s.temperatureC)),
    reasonsSeen: `0x${seen.toString(16).padStart(16, '0')}`,
    throttled: (seen & ~IDLE_REASON) !== 0n,
    intervalMs: sampleIntervalMs * stride,
    series,
  };
}

export interface TelemetryRecorder {
  stop(): Promise<PhaseTelemetry>;
}

/** The command's path if it can be run: a path as given, or a name found on PATH. */
function findCommand(command: string): string | undefined {
  const candidates = command.includes('/') ? [command] : (process.env['PATH'] ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, command));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Samples one GPU (by PCI bus id) until stop(); without nvidia-smi it records nothing and starts nothing. */
export function startTelemetry(phase: string, busId: string, command = 'nvidia-smi'): TelemetryRecorder {
  const executable = findCommand(command);
  if (!executable) return { stop: async () => ({ ...summarizeTelemetry(phase, []), evidence: nvidiaEvidence([]) }) };
  const controller = new AbortController();
  const samples: TelemetrySample[] = [];
  const child = execa(executable, [`--query-gpu=${TELEMETRY_FIELDS.join(',')}`, '--format=csv,noheader,nounits', `-lms`, String(TELEMETRY_INTERVAL_MS), '-i', busId], {
    reject: false,
    cancelSignal: controller.signal,
    stdin: 'ignore',
  });
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const sample = parseTelemetryLine(line);
      if (sample && samples.length < MAX_TELEMETRY_SAMPLES) samples.push(sample);
    }
  });
  return {
    async stop() {
      controller.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([child, new Promise((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
      clearTimeout(timer);
      child.kill('SIGKILL');
      return { ...summarizeTelemetry(phase, samples), evidence: nvidiaEvidence(samples) };
    },
  };
}

/** amd-smi's `-w` watch mode has printed nothing in some releases (ROCm/amdsmi #168): poll instead. */
export const AMD_TELEMETRY_INTERVAL_MS = 500;

export function summarizeAmdTelemetry(phase: string, samples: readonly AmdMetric[]): PhaseTelemetry {
  const statuses = [...new Set(samples.map((s) => s.throttleStatus).filter((t): t is string => t !== null))];
  const base = summarizeTelemetry(
    phase,
    samples.map((s) => ({ smClockMhz: s.gfxClockMhz, memoryClockMhz: null, powerW: s.socketPowerW, temperatureC: s.hotspotC, reasons: null })),
    AMD_TELEMETRY_INTERVAL_MS,
  );
  const clocks = rangeOf(samples.map((s) => s.gfxClockMhz));
  const draw = rangeOf(samples.map((s) => s.socketPowerW));
  const evidence: SampledEvidence = {
    clock: clocks
      ? { source: 'amd-smi metric gfx clock (every sample: amd-smi reports no idle state)', samples: samples.filter((s) => s.gfxClockMhz !== null).length, mhz: clocks, comparable: true, notComparableReason: '' }
      : { source: 'not reported: no amd-smi gfx clock sample in this phase', samples: 0, mhz: null, comparable: false, notComparableReason: 'no reported clock' },
    power: {
      ...NO_POWER,
      source: 'amd-smi metric',
      unreadable: 'not readable: amd-smi metric does not report the socket power cap (preflight reads it once, from amd-smi static)',
      maxDrawW: draw?.max ?? 0,
    },
  };
  return { ...base, reasonsSeen: statuses.join(' ') || 'not reported', throttled: statuses.some((t) => /^(throttled|true|1)$/i.test(t)), evidence };
}

/** Polls `amd-smi metric -g INDEX --json` until stop(); without amd-smi it records nothing. */
export function startAmdTelemetry(phase: string, gpuIndex: number, command = 'amd-smi'): TelemetryRecorder {
  const executable = findCommand(command);
  if (!executable) return { stop: async () => summarizeAmdTelemetry(phase, []) };
  const samples: AmdMetric[] = [];
  let running = true;
  const loop = (async () => {
    while (running && samples.length < MAX_TELEMETRY_SAMPLES) {
      const run = await execa(executable, ['metric', '-g', String(gpuIndex), '--json'], { reject: false, timeout: 5_000, stdin: 'ignore' });
      if (!run.failed) {
        try {
          samples.push(...parseAmdMetric(String(run.stdout)));
        } catch {
          // One unreadable poll is a missing sample, not a failed phase.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, AMD_TELEMETRY_INTERVAL_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return summarizeAmdTelemetry(phase, samples);
    },
  };
}
