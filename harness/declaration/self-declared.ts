// A declaration derived from the device itself, for runs without an
// exporter's declaration (npm start). It is marked self-declared in the
// report and proves nothing about an exporter's claims.
import type { NativeDevice } from '../../benchmarks/native-addon.js';
import type { BandwidthReport, ThroughputCaseReport } from '../../benchmarks/bench.js';
import { isLibraryMethod } from '../../benchmarks/registry.js';
import { findArchitecture } from '../tpp/architectures.js';
import { findCpuMicroarchitecture, tableRate, type CpuTableLookup } from '../tpp/cpu-rates.js';
import { isFormat, type Format } from '../tpp/formats.js';
import { ratesAtClock } from '../tpp/tpp.js';
import type { Declaration } from './declaration.js';

/**
 * GPUs: the architecture's per-clock rates × units × the reported maximum
 * clock, and the memory interface's peak. CPUs report no rates: each format's
 * rate is the microarchitecture table's (harness/tpp/cpu-rates.ts) at the
 * clock measured in this run, the ISA's upper bound where the CPU is not in
 * the table (and says so), and the bandwidth is the best achieved.
 */
export function selfDeclaration(
  device: NativeDevice,
  throughput: readonly ThroughputCaseReport[],
  bandwidth: BandwidthReport | null,
): Declaration {
  const base = {
    vendor: device.vendor || 'unknown',
    product: device.model || 'unknown',
    partNumber: 'self-declared',
    eccn: 'unclassified',
    computeUnits: device.computeUnits,
  };
  const architecture = device.architecture ?? 'unknown';
  const table = findArchitecture(architecture);
  const maxClock = device.maxClockMhz ?? undefined;
  const peakGbps = device.peakDramBandwidthGbps ?? undefined;
  const achievedGbps = Math.max(0, ...(bandwidth?.kernels.map((k) => k.gbps.median) ?? []));
  if (table && maxClock) {
    return {
      ...base,
      architecture,
      specClockMhz: maxClock,
      declaredDramBandwidthGbps: peakGbps ?? achievedGbps,
      peakDenseTops: ratesAtClock(table.opsPerClockPerUnit, device.computeUnits, maxClock),
      sources: [{ title: `self-declared from the device's reported attributes and the ${architecture} rate table`, url: '', covers: 'everything' }],
    };
  }
  // Our kernels only: the library's cases are the second method, compared by the verdict, never a declared rate.
  const measured = throughput.filter((c) => c.available && c.clockMhz !== null && !isLibraryMethod(c));
  const clockMhz = measured.length ? Math.max(...measured.map((c) => c.clockMhz!)) : 1;
  const cpu = cpuRateTable(device);
  const perClock: Partial<Record<Format, number>> = {};
  const fromIsaBound: string[] = [];
  for (const c of measured) {
    if (!isFormat(c.format)) continue;
    // The microarchitecture's sustained rate for this engine; the ISA bound only where the table has none.
    const rate = cpu.found ? tableRate(cpu.row, c.format, c.engine) : undefined;
    if (rate === undefined) fromIsaBound.push(`${c.format}/${c.engine}`);
    perClock[c.format] = Math.max(perClock[c.format] ?? 0, rate ?? c.maxOpsPerClockPerUnit);
  }
  const rates = cpu.found
    ? `rates are the ${cpu.row.name} table's ops/clk/core (${cpu.row.sources.join('; ')}${cpu.row.unverified ? `; unverified: ${cpu.row.unverified}` : ''})${fromIsaBound.length ? `, the ISA upper bound for ${fromIsaBound.join(', ')} which it lacks` : ''}`
    : `${cpu.reason}: rates are the ISA upper bound per core (instructions per clock × ops per instruction), which this CPU may not reach`;
  return {
    ...base,
    architecture: cpu.found ? cpu.row.id : architecture,
    specClockMhz: clockMhz,
    declaredDramBandwidthGbps: peakGbps ?? (achievedGbps > 0 ? achievedGbps : 1),
    peakDenseTops: ratesAtClock(perClock, device.computeUnits, clockMhz),
    sources: [
      {
        title: `self-declared: ${rates}, at the clock measured in this run; DRAM bandwidth is ${peakGbps ? 'the peak the device reports' : 'the best achieved in this run (the CPU reports no memory interface), so it confirms nothing'}`,
        url: '',
        covers: 'everything',
      },
    ],
  };
}

/** The CPU's row in the microarchitecture table, from the identity its backend reports. */
function cpuRateTable(device: NativeDevice): CpuTableLookup {
  // Model 0 is a real model number (Turin's family 1Ah starts there): not numberAttribute's "absent".
  const cpuid = (key: string) => {
    const value = device.attributes.find((a) => a.key === key)?.value;
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
  };
  const family = cpuid('family');
  const modelNumber = cpuid('modelNumber');
  if (family === undefined || modelNumber === undefined) return { found: false, reason: 'no rate table for this CPU: the backend reports no CPUID family and model' };
  return findCpuMicroarchitecture({ vendor: device.vendor, family, modelNumber, modelName: device.model });
}
