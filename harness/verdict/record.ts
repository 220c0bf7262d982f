// The measurement record as it is attested: the types live in attestations/records.ts
// (the floor every reader shares); re-exported here for the harness's stages.
export type { Assurance, BandwidthKernelRecord, BandwidthRecord, Fact, FactReading, MeasurementRecord, ThroughputCaseRecord } from '../../attestations/records.js';
export { factValue, numericFact } from '../../attestations/records.js';
