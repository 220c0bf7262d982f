// Telemetry for the CPU backend (issue 18): the same per-phase recorder the
// GPUs have, so every CI run exercises the clock and power evidence path. The
// clock of the cores this process may run on is read from cpufreq
// (scaling_cur_freq) or, without it, /proc/cpuinfo "cpu MHz"; the RAPL power
// limits from the powercap class. Whatever is not there is named, not guessed.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PowerEvidenceRecord } from '../../attestations/records.js';
import { NO_POWER, rangeOf, summarizeTelemetry, TELEMETRY_INTERVAL_MS, type ReportedClock, type SampledEvidence, type TelemetryRecorder, type TelemetrySample } from './telemetry.js';

/** The sysfs and procfs roots read; tests point them at a recorded tree. */
export interface CpuTelemetryRoots {
  sys: string;
  proc: string;
}
export const LIVE_ROOTS: CpuTelemetryRoots = { sys: '/sys', proc: '/proc' };
/** At most an hour of samples at TELEMETRY_INTERVAL_MS. */
const MAX_CPU_SAMPLES = 18_000;

const readText = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** "0-3,8,10-11" (Cpus_allowed_list, cpufreq's related lists) → [0,1,2,3,8,10,11]. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    for (let cpu = first; cpu <= last && cpus.length < 65_536; ++cpu) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on (the backend's threads run on them): Cpus_allowed_list, else every online CPU. */
export function cpusUsed(roots: CpuTelemetryRoots = LIVE_ROOTS): number[] {
  const status = readText(path.join(roots.proc, 'self', 'status'));
  const allowed = status && /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  if (allowed) return parseCpuList(allowed);
  const online = readText(path.join(roots.sys, 'devices', 'system', 'cpu', 'online'));
  return online ? parseCpuList(online) : [];
}

const median = (values: number[]): number | null => rangeOf(values)?.median ?? null;

export interface CpuClockSource {
  /** One reading: the median over the used cores, in MHz; null when none could be read. */
  read(): number | null;
  source: string;
  comparable: boolean;
  notComparableReason: string;
}

/** cpufreq where the kernel has it; /proc/cpuinfo otherwise; or a source that reads nothing, saying why. */
export function cpuClockSource(roots: CpuTelemetryRoots = LIVE_ROOTS, cpus: readonly number[] = cpusUsed(roots)): CpuClockSource {
  const cpufreq = (cpu: number) => path.join(roots.sys, 'devices', 'system', 'cpu', `cpu${cpu}`, 'cpufreq', 'scaling_cur_freq');
  const readCpufreq = () => median(cpus.map((cpu) => Number(readText(cpufreq(cpu))) / 1000).filter((mhz) => Number.isFinite(mhz) && mhz > 0));
  if (cpus.length && readCpufreq() !== null) {
    return { read: readCpufreq, source: `cpufreq scaling_cur_freq, median over ${cpus.length} cores used`, comparable: true, notComparableReason: '' };
  }
  const cpuinfo = path.join(roots.proc, 'cpuinfo');
  const readCpuinfo = (): { mhz: number | null; hypervisor: boolean } => {
    const text = readText(cpuinfo) ?? '';
    const used = new Set(cpus);
    const values: number[] = [];
    let hypervisor = false;
    for (const block of text.split(/\n\s*\n/)) {
      const processor = /^processor\s*:\s*(\d+)/m.exec(block)?.[1];
      const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(block)?.[1];
      if (/^flags\s*:.*\bhypervisor\b/m.test(block)) hypervisor = true;
      if (processor !== undefined && mhz !== undefined && (used.size === 0 || used.has(Number(processor)))) values.push(Number(mhz));
    }
    return { mhz: median(values), hypervisor };
  };
  const first = readCpuinfo();
  if (first.mhz !== null) {
    // Under a hypervisor "cpu MHz" is the rate the hypervisor states (the TSC's), not the running clock.
    return {
      read: () => readCpuinfo().mhz,
      source: `/proc/cpuinfo "cpu MHz", median over the cores used (no cpufreq)`,
      comparable: !first.hypervisor,
      notComparableReason: first.hypervisor ? 'under a hypervisor /proc/cpuinfo "cpu MHz" is the rate the hypervisor states, not a reading of the running clock' : '',
    };
  }
  return { read: () => null, source: 'not reported: neither cpufreq scaling_cur_freq nor /proc/cpuinfo "cpu MHz" is readable', comparable: false, notComparableReason: 'no reported clock' };
}

interface RaplReading {
  zone: string;
  constraint: string;
  limitW: number;
  maxW: number;
}

/**
 * Every RAPL constraint with both a limit and a maximum (powercap sysfs:
 * constraint_N_power_limit_uw, constraint_N_max_power_uw), or why none could
 * be read. A maximum of 0 means the firmware states none: not comparable.
 */
export function readRapl(roots: CpuTelemetryRoots = LIVE_ROOTS): RaplReading[] | string {
  const base = path.join(roots.sys, 'class', 'powercap');
  let zones: string[];
  try {
    zones = readdirSync(base).filter((z) => /^(intel|amd)-rapl:\d+(:\d+)?$/.test(z)).sort();
  } catch (error) {
    return `not readable: ${base}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'} (no RAPL driver, or a virtual machine)`;
  }
  if (!zones.length) return `not readable: ${base} has no RAPL zone`;
  const readings: RaplReading[] = [];
  let denied = '';
  for (const zone of zones) {
    const dir = path.join(base, zone);
    const name = readText(path.join(dir, 'name'))?.trim() ?? zone;
    for (let n = 0; n < 8; ++n) {
      const limit = readText(path.join(dir, `constraint_${n}_power_limit_uw`));
      if (limit === null) {
        if (n === 0) denied ||= `${path.join(dir, 'constraint_0_power_limit_uw')} unreadable`;
        break;
      }
      const max = Number(readText(path.join(dir, `constraint_${n}_max_power_uw`)) ?? 0);
      const constraint = readText(path.join(dir, `constraint_${n}_name`))?.trim() ?? `constraint ${n}`;
      if (Number.isFinite(max) && max > 0 && Number.isFinite(Number(limit))) {
        readings.push({ zone: `${zone} (${name})`, constraint, limitW: Number(limit) / 1e6, maxW: max / 1e6 });
      }
    }
  }
  if (!readings.length) return `not readable: ${denied || 'no RAPL constraint states both a limit and a maximum'}`;
  return readings;
}

/** The RAPL constraint with the least headroom (limit − maximum), over the readings taken in the phase. */
export function raplEvidence(readings: readonly (RaplReading[] | string)[]): PowerEvidenceRecord {
  const read = readings.filter((r): r is RaplReading[] => typeof r !== 'string');
  if (!read.length) {
    const why = readings.find((r): r is string => typeof r === 'string') ?? 'not readable: not sampled';
    return { ...NO_POWER, source: 'RAPL (sysfs powercap)', unreadable: why };
  }
  const all = read.flat();
  const tightest = all.reduce((a, b) => (b.limitW - b.maxW < a.limitW - a.maxW ? b : a));
  const same = all.filter((r) => r.zone === tightest.zone && r.constraint === tightest.constraint);
  return {
    source: `RAPL ${tightest.zone} ${tightest.constraint}: constraint power_limit_uw against max_power_uw (sysfs powercap)`,
    unreadable: '',
    samples: same.length,
    enforcedMinW: Math.min(...same.map((r) => r.limitW)),
    enforcedMaxW: Math.max(...same.map((r) => r.limitW)),
    referenceMinW: Math.min(...same.map((r) => r.maxW)),
    referenceMaxW: Math.max(...same.map((r) => r.maxW)),
    referenceName: 'maximum',
    // energy_uj, the only draw RAPL offers, is root-only on current kernels.
    maxDrawW: 0,
  };
}

/** Samples the used cores' clock every TELEMETRY_INTERVAL_MS and RAPL at the start and end of the phase, until stop(). */
export function startCpuTelemetry(phase: string, roots: CpuTelemetryRoots = LIVE_ROOTS, intervalMs = TELEMETRY_INTERVAL_MS): TelemetryRecorder {
  const clock = cpuClockSource(roots);
  const samples: TelemetrySample[] = [];
  const sample = () => {
    if (samples.length < MAX_CPU_SAMPLES) samples.push({ smClockMhz: clock.read(), memoryClockMhz: null, powerW: null, temperatureC: null, reasons: null });
  };
  const rapl = [readRapl(roots)];
  sample();
  const timer = setInterval(sample, intervalMs);
  // The sampler must never hold the harness open.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      sample();
      rapl.push(readRapl(roots));
      const summary = summarizeTelemetry(phase, samples, intervalMs);
      const known = samples.filter((s) => s.smClockMhz !== null).length;
      const reported: ReportedClock = {
        source: clock.source,
        samples: known,
        mhz: summary.smClockMhz,
        comparable: clock.comparable && known > 0,
        notComparableReason: clock.comparable && known === 0 ? 'no reported clock' : clock.notComparableReason,
      };
      const clocksource = readText(path.join(roots.sys, 'devices', 'system', 'clocksource', 'clocksource0', 'current_clocksource'))?.trim();
      const evidence: SampledEvidence = { clock: reported, power: raplEvidence(rapl), ...(clocksource ? { hostClocksource: clocksource } : {}) };
      // The CPU reports no slowdown reasons: recorded as such, never as "none".
      return { ...summary, reasonsSeen: 'not reported', throttled: false, evidence };
    },
  };
}
