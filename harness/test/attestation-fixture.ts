// A small, complete attestation built without the addon: a synthetic
// measurement record of an H100-like device, evaluated by the real verdict.
import { randomUUID } from 'node:crypto';
import { computeVerdict, DECISION_RULE } from '../verdict/verdict.js';
import type { Fact, MeasurementRecord } from '../verdict/record.js';
import type { SustainedPhaseRecord, SustainedTrialRecord } from '../../attestations/records.js';
import { parseDeclaration } from '../declaration/declaration.js';
import { planRecordFor, RunPlan } from '../plan/run-plan.js';
import { codeVariantsOf } from '../../benchmarks/registry.js';
import { sustainedCasesOf } from '../../benchmarks/sustained.js';
import { measuredClockMhz } from '../verdict/state.js';
import type { PhaseEvidenceRecord } from '../../attestations/records.js';
import { encodeEnvelope, signEnvelope } from '../../attestations/dsse.js';
import { ephemeralSigningKey, type SigningKey } from '../../attestations/keys.js';
import { encodeStatement, PAYLOAD_TYPE, PREDICATE_TYPE, sha256Hex, STATEMENT_SCOPE, STATEMENT_TYPE, type Statement } from '../../attestations/statement.js';

/** A valid H100-like declaration with only the required fields. */
export const DECLARATION = {
  vendor: 'NVIDIA',
  product: 'H100 SXM5 80GB',
  partNumber: 'P-1',
  eccn: '3A090.a',
  architecture: 'sm_90',
  computeUnits: 132,
  specClockMhz: 1830,
  declaredDramBandwidthGbps: 3350,
  peakDenseTops: { FP16: 989.4, FP8: 1978.9 },
};
export const DECLARATION_JSON = JSON.stringify(DECLARATION);

const TRIALS = 10;

/**
 * A sustained phase over the given peak cases (format order as given: the
 * fixture nonce's throughput order), each trial running the peak's work at
 * `share` of its first peak trial's rate, rounds until the standard level's 60 s.
 */
export function syntheticSustained(throughput: MeasurementRecord['throughput'], share = 0.97, requiredSeconds = 60): SustainedPhaseRecord {
  const trials: SustainedTrialRecord[] = [];
  let total = 0;
  let round = 0;
  while (total < requiredSeconds) {
    round++;
    for (const c of sustainedCasesOf(throughput)) {
      // A little spread from trial to trial, as a real phase has.
      const seconds = (c.trialSeconds[0] as number) / share * (1 + (round % 5) * 0.001);
      trials.push({ format: c.format, engine: c.engine, round, seconds, clockMhz: c.trialClockMhz[0] as number, units: c.units, opsPerTrial: c.opsPerTrial });
      total += seconds;
    }
  }
  return { secondsPerTrial: 0.1, requiredSeconds, rounds: round, startedAt: '2026-11-26T10:01:00.000Z', finishedAt: '2026-11-26T10:02:00.000Z', trials };
}

/**
 * FP16 at 4,096 and FP8 at 8,192 ops/clk/SM on 132 SMs at 1,800 MHz; triad at
 * 3,000 GB/s. The second method (cuBLASLt, cudaMemcpyAsync) at 97 % of each:
 * within step 8's bounds. 2.5 s trials: a 60 s sustained phase of few trials.
 */
export function syntheticMeasurements(): MeasurementRecord {
  const clockMhz = 1800;
  const units = 132;
  const trialSeconds = (opsPerClock: number, opsPerTrial: number) =>
    Array.from({ length: TRIALS }, (_, i) => (opsPerTrial / (opsPerClock * units * clockMhz * 1e6)) * (1 + i * 0.001));
  const fp16Ops = 4096 * units * clockMhz * 1e6 * 2.5;
  const fp8Ops = 8192 * units * clockMhz * 1e6 * 2.5;
  const arrayBytes = 2 ** 30;
  const bandwidthKernel = (name: string, method: 'native' | 'library', arraysRead: number, gbps: number) => ({
    name,
    engine: method === 'library' ? 'cudaMemcpyAsync-d2d' : 'sim',
    method,
    elements: arrayBytes / 8,
    bytesReadPerTrial: arraysRead * arrayBytes,
    bytesWrittenPerTrial: arrayBytes,
    warmupSeconds: 0.0011,
    trialSeconds: Array.from({ length: TRIALS }, (_, i) => ((arraysRead + 1) * arrayBytes) / (gbps * 1e9) * (1 + i * 0.001)),
    variant: 0,
  });
  const kernels = [bandwidthKernel('triad', 'native', 2, 3000), bandwidthKernel('memcpy', 'library', 1, 2910)];
  const kernelOrder = new RunPlan(FIXTURE_NONCE).order('bandwidth', kernels.map((k) => k.name));
  const library = { engine: 'cublaslt', method: 'library' as const, libraryLacksFormat: false, clockMethod: 'sim' };
  const record: MeasurementRecord = {
    deviceId: 'cuda:0',
    startedAt: '2026-11-26T10:00:00.000Z',
    finishedAt: '2026-11-26T10:01:00.000Z',
    bandwidth: {
      threads: 0,
      arrayBytes,
      byteConvention: 'read + written',
      // A GPU's rule: max(L2 × 4, 1 GiB); 1 GiB arrays meet it, and are the
      // plan's size (the fixture nonce draws a factor of 100 %).
      sizing: [
        { name: 'lastLevelCacheBytes', value: 50 * 2 ** 20 },
        { name: 'lastLevelCacheMultiple', value: 4 },
        { name: 'minimumArrayBytes', value: 2 ** 30 },
        { name: 'requestedArrayBytes', value: 0 },
        { name: 'arraySizeFactorPercent', value: 100 },
      ],
      // The plan's stream scalar for FIXTURE_NONCE (docs/run-plan.md).
      streamScalar: FIXTURE_STREAM_SCALAR,
      threadsPerBlock: FIXTURE_THREADS_PER_BLOCK,
      runtimeCompilation: 'not used: NVRTC is not installed (sim); the compiled-in kernels ran (copyKernel, triadKernel<4>)',
      kernels: kernelOrder.map((name) => kernels.find((k) => k.name === name)!),
    },
    throughput: [
      { format: 'FP16', engine: 'sim', method: 'native', libraryLacksFormat: false, available: true, unavailableReason: '', opsPerInstruction: 524288, maxInstructionsPerClockPerUnit: 1 / 64, opsPerTrial: fp16Ops, threads: 0, units, trialSeconds: trialSeconds(4096, fp16Ops), trialClockMhz: Array(TRIALS).fill(clockMhz), clockMethod: 'sim', variant: plannedThroughputVariant('FP16'), operandSeed: 0 },
      { format: 'FP16', ...library, available: true, unavailableReason: '', opsPerInstruction: 2 * 8192 ** 3, maxInstructionsPerClockPerUnit: 1 / 2 ** 28, opsPerTrial: fp16Ops, threads: 0, units, trialSeconds: trialSeconds(4096 * 0.97, fp16Ops), trialClockMhz: Array(TRIALS).fill(clockMhz), variant: 0, operandSeed: 0 },
      { format: 'FP8', engine: 'sim', method: 'native', libraryLacksFormat: false, available: true, unavailableReason: '', opsPerInstruction: 1048576, maxInstructionsPerClockPerUnit: 1 / 64, opsPerTrial: fp8Ops, threads: 0, units, trialSeconds: trialSeconds(8192, fp8Ops), trialClockMhz: Array(TRIALS).fill(clockMhz), clockMethod: 'sim', variant: plannedThroughputVariant('FP8'), operandSeed: 0 },
      { format: 'FP8', ...library, available: true, unavailableReason: '', opsPerInstruction: 2 * 8192 ** 3, maxInstructionsPerClockPerUnit: 1 / 2 ** 27, opsPerTrial: fp8Ops, threads: 0, units, trialSeconds: trialSeconds(8192 * 0.97, fp8Ops), trialClockMhz: Array(TRIALS).fill(clockMhz), variant: 0, operandSeed: 0 },
    ],
  };
  return { ...record, sustained: syntheticSustained(record.throughput) };
}

export const DEVICE_FACTS: Fact[] = [
  { name: 'deviceId', value: 'cuda:0', source: 'sim' },
  { name: 'vendor', value: 'NVIDIA', source: 'sim' },
  { name: 'model', value: 'NVIDIA H100 80GB HBM3', source: 'sim' },
  { name: 'computeCapability', value: '9.0', source: 'sim' },
  { name: 'serial', value: '1654922001234', source: 'sim' },
  { name: 'uuid', value: 'GPU-00000000-0000-0000-0000-000000000000', source: 'sim' },
  { name: 'maxSmClockMhz', value: '1980', source: 'sim' },
  { name: 'peakDramBandwidthGbps', value: '3352.3', source: 'sim' },
];

/**
 * The fixture's nonce: one whose run plan (docs/run-plan.md, tppverify-run-plan@2)
 * asks 10 timed trials per suite, runs FP16 before FP8 and sizes the arrays at
 * 100 % of the rule and runs triad in code variant 0 (of CUDA's 3), as the
 * synthetic record does (found by searching nonces; harness/plan/test/run-plan.test.ts
 * pins the derivation). Its stream scalar is 4.75 and its block size 512; CUDA's
 * throughput formats have three code variants each: FP16 draws 0, FP8 1
 * (plannedThroughputVariant); the library cases keep 0.
 */
export function plannedThroughputVariant(format: string): number {
  return new RunPlan(FIXTURE_NONCE).variant('throughput', format, codeVariantsOf('cuda', 'throughput', format));
}
/** Clock and power evidence for a phase that ran at its default power limit with telemetry agreeing (issue 18). */
export function fixtureEvidence(phase: string, measuredMhz: number): PhaseEvidenceRecord {
  return {
    phase,
    clock: {
      reportedSource: 'nvidia-smi clocks.sm, samples without the GPU-idle event reason',
      reportedSamples: measuredMhz > 0 ? 20 : 0,
      reportedMinMhz: measuredMhz > 0 ? measuredMhz - 45 : 0,
      reportedMedianMhz: measuredMhz,
      reportedMaxMhz: measuredMhz > 0 ? measuredMhz + 30 : 0,
      measuredMhz,
      measuredSource: measuredMhz > 0 ? 'median of the trial clocks (sim)' : `not measured: the ${phase} phase's kernels read no clock`,
      comparable: measuredMhz > 0,
      notComparableReason: measuredMhz > 0 ? '' : 'no clock measured in this phase',
    },
    power: { source: 'nvidia-smi enforced.power.limit against power.default_limit', unreadable: '', samples: 20, enforcedMinW: 700, enforcedMaxW: 700, referenceMinW: 700, referenceMaxW: 700, referenceName: 'default', maxDrawW: 690 },
    clockEventReasons: '0x0000000000000000',
    throttled: false,
    timer: { method: 'sim', deviceTimerSeconds: measuredMhz > 0 ? 0.999 : 0, hostSeconds: measuredMhz > 0 ? 1 : 0, trials: measuredMhz > 0 ? 10 : 0, sameClock: false },
  };
}

export const FIXTURE_NONCE = Buffer.from('00112233445566778899aabbccdd08c3', 'hex');
export const FIXTURE_STREAM_SCALAR = 4.75;
export const FIXTURE_THREADS_PER_BLOCK = 512;

export function fixtureStatement(overrides: { declarationJson?: string; measurements?: MeasurementRecord } = {}): Statement {
  const declarationJson = Buffer.from(overrides.declarationJson ?? DECLARATION_JSON);
  const measurements = overrides.measurements ?? syntheticMeasurements();
  const { results, verdict } = computeVerdict({
    declaration: parseDeclaration(declarationJson.toString('utf8')),
    measurements,
    deviceFacts: DEVICE_FACTS,
    stateProblems: [],
  });
  return {
    type: STATEMENT_TYPE,
    subject: [{ name: 'cuda:0', identity: DEVICE_FACTS }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      report: { reportId: randomUUID(), issuedAt: '2026-11-26T10:01:01.000Z', labName: 'Test Lab', labAccreditation: '', testLocation: 'US', operator: 'op', exporter: 'ex', filingReference: 'F-1', demo: false, selfDeclared: false, statementScope: STATEMENT_SCOPE, labAddress: '1 Test Road, Testville, US', signatoryName: 'A. Signer', signatoryRole: 'Technical manager', itemReceivedOn: '2026-11-25' },
      declaration: { json: declarationJson, sha256: sha256Hex(declarationJson) },
      method: {
        harnessVersion: 'test',
        gitCommit: '',
        ruleSets: [],
        decisionRule: `${DECISION_RULE.id}@${DECISION_RULE.version}`,
        decisionParameters: Object.entries(DECISION_RULE.parameters).map(([name, value]) => ({ name, value })),
        policies: [],
        quick: false,
        level: 'standard',
        deviations: [],
      },
      measurements,
      results,
      verdict,
      environment: {
        facts: [],
        phaseEvidence: [
          ...(measurements.bandwidth ? [fixtureEvidence('bandwidth', 0)] : []),
          ...(measurements.throughput.length ? [fixtureEvidence('throughput', measuredClockMhz(measurements.throughput) ?? 0)] : []),
          ...(measurements.sustained ? [fixtureEvidence('sustained', 0)] : []),
        ],
      },
      provenance: { addonSha256: '', harnessSha256: '', lockfileSha256: '', dirtyTree: false, interpreterPath: '', interpreterSha256: '', interpreterVersion: '' },
      nonce: FIXTURE_NONCE,
      audit: null,
      stateProblems: [],
      plan: planRecordFor(FIXTURE_NONCE, measurements),
    },
  };
}

export function signedFixture(key: SigningKey = ephemeralSigningKey(), statement: Statement = fixtureStatement()): Uint8Array {
  return encodeEnvelope(signEnvelope(encodeStatement(statement), PAYLOAD_TYPE, [key]));
}
