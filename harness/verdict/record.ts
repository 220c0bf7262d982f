// The measurement record as it is attested: raw trials with units, mirroring
// proto/tppverify/v1/attestation.proto (Measurements, Fact). Pure data.

export interface FactReading {
  source: string;
  value: string;
}

/** How far a fact is vouched for (proto Fact.assurance). */
export type Assurance = 'hardware-attested' | 'self-reported' | 'operator-observed';

export interface Fact {
  name: string;
  value: string;
  source: string;
  /** Identity facts: every path's reading (the first is value/source). */
  readings?: FactReading[];
  /** Identity facts: '' (or absent) for facts that are not about identity. */
  assurance?: Assurance | '';
}

export interface BandwidthKernelRecord {
  name: string;
  engine: string;
  elements: number;
  bytesReadPerTrial: number;
  bytesWrittenPerTrial: number;
  warmupSeconds: number;
  trialSeconds: number[];
}

export interface BandwidthRecord {
  threads: number;
  arrayBytes: number;
  byteConvention: string;
  kernels: BandwidthKernelRecord[];
}

export interface ThroughputCaseRecord {
  format: string;
  engine: string;
  available: boolean;
  unavailableReason: string;
  opsPerInstruction: number;
  maxInstructionsPerClockPerUnit: number;
  opsPerTrial: number;
  threads: number;
  units: number;
  trialSeconds: number[];
  trialClockMhz: number[];
  clockMethod: string;
}

export interface MeasurementRecord {
  deviceId: string;
  startedAt: string;
  finishedAt: string;
  bandwidth: BandwidthRecord | null;
  throughput: ThroughputCaseRecord[];
}

export function factValue(facts: readonly Fact[], name: string): string | undefined {
  return facts.find((f) => f.name === name)?.value;
}

export function numericFact(facts: readonly Fact[], name: string): number | undefined {
  const raw = factValue(facts, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
