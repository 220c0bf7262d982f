// The records an attestation carries, mirroring proto/tppverify/v1/attestation.proto:
// identity facts, raw measurements (every trial, units in the names), and the
// computed results and verdict as data. Pure types: the layer every reader shares.

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

export interface NamedNumber {
  name: string;
  value: number;
}

/** How a figure was measured: our kernel, or the second method (code that is not ours); absent or '' reads as 'native'. */
export type MeasurementMethodRecord = 'native' | 'library' | '';

export interface BandwidthKernelRecord {
  name: string;
  engine: string;
  /** 'library': the second method (libc memcpy, cudaMemcpyAsync, hipMemcpyAsync); absent or 'native': our kernel. */
  method?: MeasurementMethodRecord;
  elements: number;
  bytesReadPerTrial: number;
  bytesWrittenPerTrial: number;
  warmupSeconds: number;
  trialSeconds: number[];
  /** The code variant that ran (run plan; 0 where the backend has one). */
  variant: number;
}

export interface BandwidthRecord {
  threads: number;
  arrayBytes: number;
  byteConvention: string;
  kernels: BandwidthKernelRecord[];
  /** The backend's sizing rule inputs (lastLevelCacheBytes, lastLevelCacheMultiple, minimumArrayBytes) and the plan's arraySizeFactorPercent. */
  sizing: NamedNumber[];
  /** s of scale and triad, as the kernels ran (run plan). */
  streamScalar: number;
  /** The GPU stream kernels' block size as run (run plan); 0 on the CPU. */
  threadsPerBlock: number;
  /** Run-time compilation (NVRTC) and its version, or why not ("not applicable (CPU backend)"). */
  runtimeCompilation: string;
}

export interface ThroughputCaseRecord {
  format: string;
  engine: string;
  /** 'library': the vendor's GEMM loaded at run time (OpenBLAS, cuBLASLt); absent or 'native': our kernel. */
  method?: MeasurementMethodRecord;
  /** A library case: the library has no GEMM in this format by design (a gap step 8 notes, not a failure to load). */
  libraryLacksFormat?: boolean;
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
  /** The code variant that ran (run plan; 0 where the backend has one). */
  variant: number;
  /** The operand seed the kernel took (run plan; 0 where it takes none). */
  operandSeed: number;
}

/** proto ClockEvidence: the clock telemetry reported in a phase against the clock the phase measured. */
export interface ClockEvidenceRecord {
  reportedSource: string;
  reportedSamples: number;
  reportedMinMhz: number;
  reportedMedianMhz: number;
  reportedMaxMhz: number;
  /** 0: not measured. */
  measuredMhz: number;
  measuredSource: string;
  comparable: boolean;
  notComparableReason: string;
}

/** proto PowerEvidence: the power limit in force in a phase against the default (or the constraint's maximum). */
export interface PowerEvidenceRecord {
  source: string;
  /** '' when read; else why not. */
  unreadable: string;
  samples: number;
  enforcedMinW: number;
  enforcedMaxW: number;
  referenceMinW: number;
  referenceMaxW: number;
  referenceName: string;
  maxDrawW: number;
}

/** proto TimerEvidence: the device timer against the host's steady clock over the same trials. */
export interface TimerEvidenceRecord {
  method: string;
  deviceTimerSeconds: number;
  hostSeconds: number;
  trials: number;
  sameClock: boolean;
}

/** proto PhaseEvidence: clock and power evidence for one measurement phase (issue 18). */
export interface PhaseEvidenceRecord {
  phase: string;
  clock: ClockEvidenceRecord | null;
  power: PowerEvidenceRecord | null;
  clockEventReasons: string;
  throttled: boolean;
  timer: TimerEvidenceRecord | null;
}

/** One timed trial of the sustained phase, in run order (proto SustainedTrial). */
export interface SustainedTrialRecord {
  format: string;
  engine: string;
  /** 1 for the first round. */
  round: number;
  seconds: number;
  clockMhz: number;
  units: number;
  /** The peak case's work per trial, in ops. */
  opsPerTrial: number;
}

/**
 * The sustained phase (proto SustainedPhase): every throughput case again, one
 * trial each per round in the plan's format order, rounds back to back, until
 * the timed seconds reach requiredSeconds.
 */
export interface SustainedPhaseRecord {
  /** The trial length the peak phase calibrated its work to. */
  secondsPerTrial: number;
  /** The timed seconds the phase had to reach: the level's (benchmarks/levels.ts sustainedSeconds) or a recorded deviation's. */
  requiredSeconds: number;
  rounds: number;
  startedAt: string;
  finishedAt: string;
  trials: SustainedTrialRecord[];
}

export interface MeasurementRecord {
  deviceId: string;
  startedAt: string;
  finishedAt: string;
  bandwidth: BandwidthRecord | null;
  throughput: ThroughputCaseRecord[];
  /** The sustained phase; absent (null) where none ran. */
  sustained?: SustainedPhaseRecord | null;
}

export type FindingStatus = 'consistent' | 'under-declared' | 'over-declared' | 'not-confirmed' | 'inconclusive' | 'note';
export type Outcome = 'consistent' | 'under-declared' | 'over-declared' | 'inconclusive';

/**
 * One checked claim, as data: the text a person reads is rendered from it
 * (harness/verdict/describe.ts), so verify compares numbers, statuses and labels, not prose.
 */
export interface Finding {
  claim: string;
  rule: string;
  status: FindingStatus;
  values: NamedNumber[];
  /** Text that is data, not prose: an engine name, a backend's reason. */
  labels: { name: string; value: string }[];
}

export interface TppAtClockRecord {
  clock: string;
  clockMhz: number;
  tpp: number;
  format: string;
  caseByCaseEligible: boolean;
  tppMargin: number;
}

/** Where one item sits against the Section 232 Annex windows, and the two figures it was decided on. */
export interface Section232Record {
  ruleSet: string;
  covered: boolean;
  /** The Annex window number; 0 outside every window (as the proto's uint32 carries it). */
  window: number;
  tpp: number;
  dramBandwidthGbps: number;
  /** Where the bandwidth figure comes from: 'declared' or 'device memory interface'. */
  dramBandwidthBasis: string;
}

export interface ResultsRecord {
  declaredTpp: number;
  declaredTppFormat: string;
  declaredAtClocks: TppAtClockRecord[];
  measuredAtClocks: TppAtClockRecord[];
  performanceDensity: number | null;
  eccn3a090: string;
  caseByCaseEligible: boolean;
  tppMargin: number;
  dramBandwidthMarginGbps: number;
  achievedDramBandwidthGbps: number;
  /** The declared TPP and total DRAM bandwidth against the Section 232 windows. */
  declaredSection232: Section232Record;
  /**
   * The measured TPP (per-clock rates at the rated clocks) and the peak of the
   * memory interface the device reports (the declared figure where it reports
   * none) against the same windows; null without a throughput measurement.
   */
  measuredSection232: Section232Record | null;
}

export interface VerdictRecord {
  outcome: Outcome;
  findings: Finding[];
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

/** One case of the run plan, in run order (proto RunPlanStep). */
export interface RunPlanStepRecord {
  suite: string;
  name: string;
  idleGapMs: number;
  /** The code variant drawn below variantCount, the backend's compiled variants (@2). */
  variant: number;
  variantCount: number;
}

/** The run plan the nonce gives, as recorded (proto RunPlan; harness/plan/run-plan.ts derives it). */
export interface RunPlanRecord {
  derivation: string;
  phaseOrder: string[];
  bandwidthTrials: number;
  throughputTrials: number;
  steps: RunPlanStepRecord[];
  /** The backend whose variant counts the plan used ("cpu", "cuda", "hip"). */
  backend: string;
  /** Bandwidth arrays: this % of the backend's sizing rule, rounded up to MiB. */
  arraySizeFactorPercent: number;
  /** s of scale and triad. */
  streamScalar: number;
  /** The GPU stream kernels' block size; 0 where the backend has none to choose. */
  threadsPerBlock: number;
  /** The name of run-time compiled kernels ("tppv_" + 8 hex); "" where the backend compiles none. */
  kernelName: string;
  /** Added to the throughput accumulators' start values; 0 where the backend takes none. */
  operandSeed: number;
}
