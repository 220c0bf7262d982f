// A declaration derived from the device itself, for runs without an
// exporter's declaration (npm start). It is marked self-declared in the
// report and proves nothing about an exporter's claims.
import type { NativeDevice } from '../../benchmarks/native-addon.js';
import type { BandwidthReport, ThroughputCaseReport } from '../../benchmarks/bench.js';
import { findArchitecture } from '../tpp/architectures.js';
import { isFormat, type Format } from '../tpp/formats.js';
import { ratesAtClock } from '../tpp/tpp.js';
import type { Declaration } from './declaration.js';

/**
 * GPUs: the architecture's per-clock rates × units × the reported maximum
 * clock, and the memory interface's peak. CPUs report no rates: each format's
 * rate is the ISA's upper bound (instructions per clock × ops per instruction)
 * at the clock measured in this run, and the bandwidth is the best achieved.
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
  const measured = throughput.filter((c) => c.available && c.clockMhz !== null);
  const clockMhz = measured.length ? Math.max(...measured.map((c) => c.clockMhz!)) : 1;
  const perClock: Partial<Record<Format, number>> = {};
  for (const c of measured) {
    if (!isFormat(c.format)) continue;
    perClock[c.format] = Math.max(perClock[c.format] ?? 0, c.maxOpsPerClockPerUnit);
  }
  return {
    ...base,
    architecture,
    specClockMhz: clockMhz,
    declaredDramBandwidthGbps: peakGbps ?? (achievedGbps > 0 ? achievedGbps : 1),
    peakDenseTops: ratesAtClock(perClock, device.computeUnits, clockMhz),
    sources: [
      {
        title:
          'self-declared: rates are the ISA upper bound per core at the clock measured in this run; DRAM bandwidth is the best achieved (the CPU reports no memory interface)',
        url: '',
        covers: 'everything',
      },
    ],
  };
}
