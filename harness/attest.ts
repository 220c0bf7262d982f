// The whole job: inventory → measure → compute → verdict → attest. Writes
// `<out>/<device>-<UTC timestamp>.dsse.pb`, its `.dsse.json` rendering, the
// in-toto `.intoto.json` envelope and its `.sigstore.json` bundle.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BandwidthReport, ThroughputCaseReport } from '../benchmarks/bench.js';
import { FAULT_ENV, faultFromEnvironment } from '../benchmarks/bench.js';
import { addonPath, type NativeProgress } from '../benchmarks/native-addon.js';
import { levelDeviation, levelSettings, sustainedDeviation, sustainedSeconds, type TestLevel } from '../benchmarks/levels.js';
import { writeFilesAtomic } from '../attestations/atomic-write.js';
import { FORM_SUFFIXES, signStatementForms } from '../attestations/signed-forms.js';
import { ephemeralSigningKey, type SigningKey } from '../attestations/keys.js';
import {
  PREDICATE_TYPE,
  sha256Hex,
  STATEMENT_SCOPE,
  STATEMENT_TYPE,
  type AuditLinkRecord,
  type MethodRecord,
  type Statement,
} from '../attestations/statement.js';
import { summarize, type AttestationSummary } from './verify/verify.js';
import { normalizeIdentifier, IDENTIFIER_FACTS } from './identity.js';
import { stateProblemsOf } from './verdict/state.js';
import { TimestampError } from '../attestations/rfc3161.js';
import { declarationToJson, parseDeclaration, type Declaration } from './declaration/declaration.js';
import { selfDeclaration } from './declaration/self-declared.js';
import { formatDeviceId, type DeviceEntry } from './devices.js';
import { DeviceUnavailableError, UsageError } from './errors.js';
import { lockDevice } from './device-lock.js';
import { identityAfterMeasuring, identityBeforeMeasuring, type RunIdentity, type RunIdentityInputs } from './identity/run-identity.js';
import { planSha256 } from '../attestations/spdm/identity-evidence.js';
import { withIdentity } from './identity/readings.js';
import { intakeFacts, type IntakeFile } from './identity/intake.js';
import { inventoryFor, type DeviceInventory } from './inventory/device-inventory.js';
import { hostFacts } from './inventory/host.js';
import { startAmdTelemetry, startTelemetry, TELEMETRY_INTERVAL_MS, type TelemetryRecorder } from './inventory/telemetry.js';
import { startCpuTelemetry } from './inventory/cpu-telemetry.js';
import { EMPTY_LAB, type LabInfo } from './lab.js';
import { measureIsolated, type PhaseTimeouts } from './isolation/isolated.js';
import { planRecordFor } from './plan/run-plan.js';
import type { Measured } from './measure.js';
import { readProvenance } from './provenance.js';
import { RULE_SETS } from './rules/rule-sets.js';
import { RECORDED_POLICIES } from './tpp/policies.js';
import type { Fact, MeasurementRecord } from './verdict/record.js';
import { computeVerdict, DECISION_RULE } from './verdict/verdict.js';
import { harnessVersion } from './version.js';

/** A nonce is 8 to 64 bytes of hex. */
const NONCE_PATTERN = /^(?:[0-9a-fA-F]{2}){8,64}$/;
const RANDOM_NONCE_BYTES = 32;

export function parseNonce(hex: string | undefined): Buffer {
  if (hex === undefined) return randomBytes(RANDOM_NONCE_BYTES);
  if (!NONCE_PATTERN.test(hex)) throw new UsageError(`--nonce must be 16 to 128 hex digits (an even count), not '${hex}'`);
  return Buffer.from(hex, 'hex');
}

export interface AttestRequest extends RunIdentityInputs {
  entry: DeviceEntry;
  /** The exporter's declaration bytes; absent: self-declared from the device. */
  declarationBytes?: Buffer;
  /** The declaration bytes were themselves derived from a device (an audit of a self-declared original). */
  selfDeclared?: boolean;
  key?: SigningKey;
  lab?: LabInfo;
  nonce: Buffer;
  /** The named test level (benchmarks/levels.ts); standard is the method. */
  level: TestLevel;
  /** When the lab received the item (YYYY-MM-DD), when known. */
  itemReceivedOn?: string;
  /** Overrides of the run settings (bandwidth array size, throughput trial length). */
  arrayBytes?: number;
  secondsPerTrial?: number;
  /** Overrides the level's sustained phase length (timed seconds): a recorded deviation. */
  sustainedSeconds?: number;
  outDir: string;
  /** Refuse to measure when a preflight check fails (the default when signing with a lab key). */
  strict: boolean;
  /** Per-phase time limits of the isolated measurement (default PHASE_TIMEOUT_SECONDS). */
  phaseTimeouts?: PhaseTimeouts;
  /** The operator's intake record (what a person saw on the board), signed in and compared by the verdict. */
  intake?: IntakeFile;
  /** An RFC 3161 timestamp authority for the bundle (--tsa). */
  tsaUrl?: string;
  /** Problems known before measuring (a test stand-in's) that the verdict must see. */
  stateProblems?: string[];
  audit?: (statement: Omit<Statement, 'predicate'> & { predicate: Omit<Statement['predicate'], 'audit'> }) => AuditLinkRecord;
  onProgress: (event: NativeProgress) => void;
}

export interface AttestResult {
  pbFile: string;
  jsonFile: string;
  intotoFile: string;
  bundleFile: string;
  keyId: string;
  /** A demo run's ephemeral public key, written beside the attestation so it can be verified. */
  publicKeyFile?: string;
  summary: AttestationSummary;
  statement: Statement;
}

export function identityFacts(entry: DeviceEntry): Fact[] {
  const d = entry.device;
  const facts: Fact[] = [
    { name: 'deviceId', value: formatDeviceId(entry.target), source: 'tppverify' },
    { name: 'vendor', value: d.vendor, source: `${entry.target.backend} backend` },
    { name: 'model', value: d.model, source: `${entry.target.backend} backend` },
    { name: 'computeUnits', value: String(d.computeUnits), source: `${entry.target.backend} backend` },
    { name: 'unitName', value: d.unitName, source: `${entry.target.backend} backend` },
  ];
  for (const a of d.attributes) {
    const value = Array.isArray(a.value) ? a.value.join(' ') : String(a.value);
    // Identifiers get one spelling (NFC, trimmed); what the device reported is kept beside it when that differs.
    if ((IDENTIFIER_FACTS as readonly string[]).includes(a.key) && normalizeIdentifier(value) !== value) {
      facts.push({ name: a.key, value: normalizeIdentifier(value), source: `${a.source}, normalized (NFC, trimmed)` });
      facts.push({ name: `${a.key}AsReported`, value: JSON.stringify(value), source: a.source });
      continue;
    }
    facts.push({ name: a.key, value, source: a.source });
  }
  return facts;
}


export function measurementRecord(measured: Measured): MeasurementRecord {
  const bandwidth: BandwidthReport | null = measured.bandwidth;
  const throughput: ThroughputCaseReport[] = measured.throughput ?? [];
  return {
    deviceId: formatDeviceId(measured.entry.target),
    startedAt: measured.startedAt,
    finishedAt: measured.finishedAt,
    bandwidth: bandwidth && {
      threads: bandwidth.threads,
      arrayBytes: bandwidth.arrayBytes,
      byteConvention: bandwidth.byteConvention,
      sizing: Object.entries(bandwidth.sizing).map(([name, value]) => ({ name, value })),
      streamScalar: bandwidth.streamScalar,
      threadsPerBlock: bandwidth.threadsPerBlock,
      runtimeCompilation: bandwidth.runtimeCompilation,
      kernels: bandwidth.kernels.map((k) => ({
        name: k.name,
        engine: k.engine,
        method: k.method,
        elements: k.elements,
        bytesReadPerTrial: k.bytesReadPerTrial,
        bytesWrittenPerTrial: k.bytesWrittenPerTrial,
        warmupSeconds: k.warmupSeconds,
        trialSeconds: k.trialSeconds,
        variant: k.variant,
      })),
    },
    throughput: throughput.map((c) => ({
      format: c.format,
      engine: c.engine,
      method: c.method,
      libraryLacksFormat: c.libraryLacksFormat,
      available: c.available,
      unavailableReason: c.unavailableReason ?? '',
      opsPerInstruction: c.opsPerInstruction,
      maxInstructionsPerClockPerUnit: c.maxInstructionsPerClockPerUnit,
      opsPerTrial: c.opsPerTrial,
      threads: c.threads,
      units: c.units,
      trialSeconds: c.trialSeconds,
      trialClockMhz: c.trialClockMhz,
      clockMethod: c.clockMethod,
      variant: c.variant,
      operandSeed: c.operandSeed,
    })),
    sustained: measured.sustained ?? null,
  };
}

function fileStem(entry: DeviceEntry, issuedAt: string, facts: readonly Fact[]): string {
  // Milliseconds keep two runs in the same second apart; exclusive writes refuse a clash anyway.
  // The serial, where known, names the unit: a lot's attestations share one folder.
  const serial = facts.find((f) => f.name === 'serial')?.value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return `${formatDeviceId(entry.target).replace(':', '-')}${serial ? `-${serial}` : ''}-${issuedAt.replace(/[-:]/g, '')}`;
}

/** The sampler for this device during each phase: nvidia-smi or amd-smi, found through the inventory; the CPU's sysfs (issue 18: the same path on every CI run). */
function telemetryFor(entry: DeviceEntry, inventory: DeviceInventory): ((phase: string) => TelemetryRecorder) | undefined {
  const fact = (name: string) => inventory.facts.find((f) => f.name === name)?.value;
  const busId = fact('pciBusId');
  const amdIndex = fact('amdSmiGpu');
  if (entry.target.backend === 'cuda' && busId) return (phase) => startTelemetry(phase, busId);
  if (entry.target.backend === 'hip' && amdIndex !== undefined) return (phase) => startAmdTelemetry(phase, Number(amdIndex));
  if (entry.target.backend === 'cpu') return (phase) => startCpuTelemetry(phase);
  return undefined;
}

function telemetrySource(backend: string): string {
  if (backend === 'hip') return 'amd-smi metric (polled)';
  if (backend === 'cpu') return `cpufreq or /proc/cpuinfo, every ${TELEMETRY_INTERVAL_MS} ms`;
  return `nvidia-smi -lms ${TELEMETRY_INTERVAL_MS}`;
}

/** Inventory, identity (and SPDM evidence) and preflight before anything is measured; strict mode refuses on a failed check, disagreeing identity readings or evidence that does not verify. */
async function preflight(request: AttestRequest, dirtyTree: boolean, plan: string): Promise<DeviceInventory & RunIdentity> {
  const inventory = await inventoryFor(request.entry, dirtyTree, request.identitySources);
  const identity = identityBeforeMeasuring(request, inventory, plan);
  const fault = faultFromEnvironment();
  if (fault?.suite === 'preflight') {
    if (!inventory.checks.some((c) => c.id === fault.name)) {
      throw new UsageError(`${FAULT_ENV}: no preflight check '${fault.name}' (checks: ${inventory.checks.map((c) => c.id).join(', ')})`);
    }
    inventory.checks = inventory.checks.map((c) => (c.id === fault.name ? { ...c, status: 'fail', detail: `${c.detail} (test-injected failure)` } : c));
  }
  const failed = inventory.checks.filter((c) => c.status === 'fail');
  if (request.strict && failed.length) {
    throw new DeviceUnavailableError(
      `preflight failed, refusing to measure (strict): ${failed.map((c) => `${c.id}: ${c.detail}`).join('; ')}; --no-strict records the failures and makes the verdict inconclusive`,
    );
  }
  return { ...inventory, ...identity };
}

function runMethod(request: AttestRequest, gitCommit: string, levelDefaults: { arrayBytes: number; secondsPerTrial: number }): MethodRecord {
  return {
    harnessVersion: harnessVersion(),
    gitCommit,
    ruleSets: RULE_SETS.map((r) => `${r.id}@${r.version}`),
    decisionRule: `${DECISION_RULE.id}@${DECISION_RULE.version}`,
    decisionParameters: Object.entries(DECISION_RULE.parameters).map(([name, value]) => ({ name, value })),
    policies: RECORDED_POLICIES.map((policy) => ({ ...policy })),
    quick: request.level === 'quick',
    level: request.level,
    deviations: methodDeviations(request, levelDefaults),
  };
}

/**
 * Every departure from the standard method this run makes, in words, for the
 * attestation and the report. Known before measuring: the method is what the
 * SPDM evidence nonces commit to. Failed preflight checks are state problems.
 */
function methodDeviations(request: AttestRequest, levelDefaults: { arrayBytes: number; secondsPerTrial: number }): string[] {
  const deviations: string[] = [];
  const level = levelDeviation(request.level);
  if (level) deviations.push(level);
  if (request.arrayBytes !== undefined) deviations.push(`bandwidth arrays of ${request.arrayBytes} bytes set by --array-mib instead of the sizing rule`);
  if (request.secondsPerTrial !== undefined) {
    deviations.push(`throughput trials of ${request.secondsPerTrial} s set by --seconds-per-trial instead of the level's ${levelDefaults.secondsPerTrial} s`);
  }
  const sustained = request.sustainedSeconds === undefined ? undefined : sustainedDeviation(request.level, request.sustainedSeconds);
  if (sustained) deviations.push(sustained);
  return deviations;
}

/**
 * What the run lock names: the unit itself where the backend reports its UUID
 * or serial (one GPU is one unit however it is numbered in this process),
 * else the device id.
 */
function lockName(entry: DeviceEntry): string {
  const unit = entry.device.attributes.find((a) => a.key === 'uuid') ?? entry.device.attributes.find((a) => a.key === 'serial');
  return unit && String(unit.value) ? `${entry.target.backend}-${String(unit.value)}` : formatDeviceId(entry.target);
}

export async function attest(request: AttestRequest): Promise<AttestResult> {
  const lock = lockDevice(lockName(request.entry));
  try {
    return await attestLocked(request);
  } finally {
    lock.release();
  }
}

async function attestLocked(request: AttestRequest): Promise<AttestResult> {
  const provenance = await readProvenance(addonPath());
  const defaults = levelSettings(request.level);
  const method = runMethod(request, provenance.gitCommit, defaults);
  const inventory = await preflight(request, provenance.dirtyTree, planSha256(method));
  const settings = {
    trials: defaults.trials,
    arrayBytes: request.arrayBytes ?? defaults.arrayBytes,
    secondsPerTrial: request.secondsPerTrial ?? defaults.secondsPerTrial,
    // The run plan (harness/plan/run-plan.ts): order, trial counts and idle gaps from the nonce.
    planNonceHex: request.nonce.toString('hex'),
    // The sustained phase after the peak phases (benchmarks/sustained.ts), as long as the level asks.
    sustainedSeconds: request.sustainedSeconds ?? sustainedSeconds(request.level),
  };
  const { measured, telemetry, evidence } = await measureIsolated(request.entry, settings, request.onProgress, request.phaseTimeouts, telemetryFor(request.entry, inventory));

  const selfDeclared = request.declarationBytes === undefined || request.selfDeclared === true;
  const declarationBytes =
    request.declarationBytes ??
    Buffer.from(declarationToJson(selfDeclaration(request.entry.device, measured.throughput ?? [], measured.bandwidth)), 'utf8');
  const declaration: Declaration = parseDeclaration(declarationBytes.toString('utf8'));
  const measurements = measurementRecord(measured);
  const deviceFacts = [
    ...withIdentity([...identityFacts(request.entry), ...inventory.facts], inventory.identity.facts),
    ...(request.intake ? intakeFacts(request.intake.intake) : []),
  ];
  const intake = request.intake ? { json: request.intake.bytes, sha256: request.intake.sha256 } : null;
  // First the derivation verify repeats from the recorded preflight facts, telemetry and bandwidth
  // record; then problems only this run could see (a stand-in device, disagreeing identity readings,
  // evidence that fails). verify requires the derived ones, first and in order; more can only make
  // the verdict inconclusive.
  const stateProblems = [
    ...stateProblemsOf({ preflight: inventory.checks, telemetry, bandwidth: measurements.bandwidth, evidence }),
    ...(request.stateProblems ?? []),
    ...inventory.identity.stateProblems,
    ...identityAfterMeasuring(request, inventory, measurements),
  ];
  const { results, verdict } = computeVerdict({ declaration, measurements, deviceFacts, stateProblems, selfDeclared, intake });

  const key = request.key ?? ephemeralSigningKey();
  const demo = request.key === undefined;
  const lab = request.lab ?? EMPTY_LAB;
  const issuedAt = new Date().toISOString();
  const statementBase = {
    type: STATEMENT_TYPE,
    subject: [{ name: formatDeviceId(request.entry.target), identity: deviceFacts }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      report: {
        reportId: randomUUID(),
        issuedAt,
        labName: lab.name,
        labAccreditation: lab.accreditation,
        testLocation: lab.location,
        operator: lab.operator,
        exporter: lab.exporter,
        filingReference: lab.filingReference,
        demo,
        selfDeclared,
        statementScope: STATEMENT_SCOPE + (demo ? ' Demo, not a lab signature: signed with an ephemeral key.' : ''),
        labAddress: lab.address,
        signatoryName: lab.signatoryName,
        signatoryRole: lab.signatoryRole,
        itemReceivedOn: request.itemReceivedOn ?? '',
      },
      declaration: { json: declarationBytes, sha256: sha256Hex(declarationBytes) },
      method,
      measurements,
      results,
      verdict,
      environment: {
        facts: [
          ...(await hostFacts()),
          ...inventory.checks.map((c) => ({ name: `preflight.${c.id}`, value: `${c.status}: ${c.detail}`, source: 'tppverify preflight' })),
          // The clock and power evidence is recorded apart (phaseEvidence), not inside the summary.
          ...telemetry.map(({ evidence: _evidence, ...t }) => ({ name: `telemetry.${t.phase}`, value: JSON.stringify(t), source: telemetrySource(request.entry.target.backend) })),
        ],
        phaseEvidence: evidence,
      },
      provenance: {
        addonSha256: provenance.addonSha256,
        harnessSha256: provenance.harnessSha256,
        lockfileSha256: provenance.lockfileSha256,
        dirtyTree: provenance.dirtyTree,
        interpreterPath: provenance.interpreterPath,
        interpreterSha256: provenance.interpreterSha256,
        interpreterVersion: provenance.interpreterVersion,
      },
      nonce: request.nonce,
      stateProblems,
      identityEvidence: inventory.evidence,
      intake,
      // What the run followed (the order and trial counts come from the nonce): verify recomputes it.
      plan: planRecordFor(request.nonce, measurements),
    },
  };
  const statement: Statement = {
    ...statementBase,
    predicate: { ...statementBase.predicate, audit: request.audit ? request.audit(statementBase) : null },
  };
  // Every form is made (and the timestamp fetched) before the first file is written.
  let forms;
  try {
    forms = await signStatementForms(statement, [key], request.tsaUrl);
  } catch (error) {
    if (error instanceof TimestampError) throw new UsageError(`${error.message}; no attestation written`);
    throw error;
  }

  await mkdir(request.outDir, { recursive: true });
  const stem = path.join(request.outDir, fileStem(request.entry, issuedAt, deviceFacts));
  const pbFile = `${stem}${FORM_SUFFIXES.protobuf}`;
  const jsonFile = `${stem}${FORM_SUFFIXES.dsseJson}`;
  const intotoFile = `${stem}${FORM_SUFFIXES.intotoJson}`;
  const bundleFile = `${stem}${FORM_SUFFIXES.bundleJson}`;
  // The ephemeral private key dies with this process; its public half lets anyone check the demo files.
  const publicKeyFile = demo ? `${stem}.pub.pem` : undefined;
  await writeFilesAtomic([
    { file: pbFile, data: forms.protobuf },
    { file: jsonFile, data: forms.dsseJson },
    { file: intotoFile, data: forms.intotoJson },
    { file: bundleFile, data: forms.bundleJson },
    ...(publicKeyFile ? [{ file: publicKeyFile, data: key.publicKey.export({ type: 'spki', format: 'pem' }) as string }] : []),
  ]);
  return { pbFile, jsonFile, intotoFile, bundleFile, keyId: key.keyId, ...(publicKeyFile ? { publicKeyFile } : {}), summary: summarize(statement), statement };
}
