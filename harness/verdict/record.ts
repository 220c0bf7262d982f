// The measurement record as it is attested: the types live in attestations/records.ts
// (the floor every reader shares); re-exported here for the harness's stages.
export type { Assurance, BandwidthKernelRecord, BandwidthRecord, Fact, FactReading, MeasurementRecord, ThroughputCaseRecord } from '../../attestations/records.js';
export { factValue, numericFact } from '../../attestations/records.js';

import type { ThroughputCaseRecord } from '../../attestations/records.js';

/** A throughput case's ops per clock per unit, trial by trial (the peak rate the verdict and the sustained step hold figures against). */
export function perClockTrials(c: ThroughputCaseRecord): number[] {
  return c.trialSeconds.map((seconds, i) => c.opsPerTrial / seconds / ((c.trialClockMhz[i] ?? Number.NaN) * 1e6) / c.units);
}
