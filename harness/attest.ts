// The whole job: inventory → measure → compute → verdict → attest. Writes
// `<out>/<device>-<UTC timestamp>.dsse.pb` and its `.dsse.json` rendering.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BandwidthReport, ThroughputCaseReport } from '../benchmarks/bench.js';
import { faultFromEnvironment } from '../benchmarks/bench.js';
import { addonPath, type NativeProgress } from '../benchmarks/native-addon.js';
import { DEFAULT_SETTINGS, MIN_TRIALS, QUICK_SETTINGS } from '../benchmarks/registry.js';
import { writeFileAtomic } from '../attestations/atomic-write.js';
import { encodeEnvelope, envelopeToJson, signEnvelope } from '../attestations/dsse.js';
import { ephemeralSigningKey, type SigningKey } from '../attestations/keys.js';
import {
  encodeStatement,
  PAYLOAD_TYPE,
  PREDICATE_TYPE,
  sha256Hex,
  STATEMENT_SCOPE,
  STATEMENT_TYPE,
  type AuditLinkRecord,
  type Statement,
} from '../attestations/statement.js';
import { summarize, type AttestationSummary } from '../attestations/verify.js';
import { declarationToJson, parseDeclaration, type Declaration } from './declaration/declaration.js';
import { selfDeclaration } from './declaration/self-declared.js';
import { formatDeviceId, type DeviceEntry } from './devices.js';
import { DeviceUnavailableError, UsageError } from './errors.js';
import { inventoryFor, type DeviceInventory } from './inventory/device-inventory.js';
import { hostFacts } from './inventory/host.js';
import { stateProblemsFrom } from './inventory/preflight.js';
import { startAmdTelemetry, startTelemetry, TELEMETRY_INTERVAL_MS, type TelemetryRecorder } from './inventory/telemetry.js';
import { EMPTY_LAB, type LabInfo } from './lab.js';
import { measureIsolated, type PhaseTimeouts } from './isolation/isolated.js';
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

export interface AttestRequest {
  entry: DeviceEntry;
  /** The exporter's declaration bytes; absent: self-declared from the device. */
  declarationBytes?: Buffer;
  key?: SigningKey;
  lab?: LabInfo;
  nonce: Buffer;
  quick: boolean;
  /** Overrides of the run settings (bandwidth array size, throughput trial length). */
  arrayBytes?: number;
  secondsPerTrial?: number;
  outDir: string;
  /** Refuse to measure when a preflight check fails (the default when signing with a lab key). */
  strict: boolean;
  /** Per-phase time limits of the isolated measurement (default PHASE_TIMEOUT_SECONDS). */
  phaseTimeouts?: PhaseTimeouts;
  audit?: (statement: Omit<Statement, 'predicate'> & { predicate: Omit<Statement['predicate'], 'audit'> }) => AuditLinkRecord;
  onProgress: (event: NativeProgress) => void;
}

export interface AttestResult {
  pbFile: string;
  jsonFile: string;
  keyId: string;
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
    facts.push({ name: a.key, value: Array.isArray(a.value) ? a.value.join(' ') : String(a.value), source: a.source });
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
      kernels: bandwidth.kernels.map((k) => ({
        name: k.name,
        engine: k.engine,
        elements: k.elements,
        bytesReadPerTrial: k.bytesReadPerTrial,
        bytesWrittenPerTrial: k.bytesWrittenPerTrial,
        warmupSeconds: k.warmupSeconds,
        trialSeconds: k.trialSeconds,
      })),
    },
    throughput: throughput.map((c) => ({
      format: c.format,
      engine: c.engine,
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
    })),
  };
}

function fileStem(entry: DeviceEntry, issuedAt: string): string {
  // Milliseconds keep two runs in the same second apart; exclusive writes refuse a clash anyway.
  return `${formatDeviceId(entry.target).replace(':', '-')}-${issuedAt.replace(/[-:]/g, '')}`;
}

/** The sampler for this device during each phase: nvidia-smi or amd-smi, found through the inventory. */
function telemetryFor(entry: DeviceEntry, inventory: DeviceInventory): ((phase: string) => TelemetryRecorder) | undefined {
  const fact = (name: string) => inventory.facts.find((f) => f.name === name)?.value;
  const busId = fact('pciBusId');
  const amdIndex = fact('amdSmiGpu');
  if (entry.target.backend === 'cuda' && busId) return (phase) => startTelemetry(phase, busId);
  if (entry.target.backend === 'hip' && amdIndex !== undefined) return (phase) => startAmdTelemetry(phase, Number(amdIndex));
  return undefined;
}

/** Inventory and preflight before anything is measured; strict mode refuses on a failed check. */
async function preflight(request: AttestRequest, dirtyTree: boolean): Promise<DeviceInventory> {
  const inventory = await inventoryFor(request.entry, dirtyTree);
  const fault = faultFromEnvironment();
  if (fault?.suite === 'preflight') {
    inventory.checks = inventory.checks.map((c) => (c.id === fault.name ? { ...c, status: 'fail', detail: `${c.detail} (test-injected failure)` } : c));
  }
  const failed = inventory.checks.filter((c) => c.status === 'fail');
  if (request.strict && failed.length) {
    throw new DeviceUnavailableError(
      `preflight failed, refusing to measure (strict): ${failed.map((c) => `${c.id}: ${c.detail}`).join('; ')}; --no-strict records the failures and makes the verdict inconclusive`,
    );
  }
  return inventory;
}

export async function attest(request: AttestRequest): Promise<AttestResult> {
  const provenance = await readProvenance(addonPath());
  const inventory = await preflight(request, provenance.dirtyTree);
  const defaults = request.quick ? QUICK_SETTINGS : DEFAULT_SETTINGS;
  const settings = {
    trials: MIN_TRIALS,
    arrayBytes: request.arrayBytes ?? defaults.arrayBytes,
    secondsPerTrial: request.secondsPerTrial ?? defaults.secondsPerTrial,
    // The run plan (harness/plan/run-plan.ts): order, trial counts and idle gaps from the nonce.
    planNonceHex: request.nonce.toString('hex'),
  };
  const { measured, telemetry } = await measureIsolated(request.entry, settings, request.onProgress, request.phaseTimeouts, telemetryFor(request.entry, inventory));

  const selfDeclared = request.declarationBytes === undefined;
  const declarationBytes =
    request.declarationBytes ??
    Buffer.from(declarationToJson(selfDeclaration(request.entry.device, measured.throughput ?? [], measured.bandwidth)), 'utf8');
  const declaration: Declaration = parseDeclaration(declarationBytes.toString('utf8'));
  const measurements = measurementRecord(measured);
  const deviceFacts = [...identityFacts(request.entry), ...inventory.facts];
  const stateProblems: string[] = stateProblemsFrom(inventory.checks);
  for (const phase of telemetry) {
    if (phase.throttled) stateProblems.push(`the ${phase.phase} phase ran with clock slowdown reasons ${phase.reasonsSeen} active`);
  }
  if (measured.bandwidth?.belowSizingRule) {
    stateProblems.push(
      `bandwidth arrays of ${measured.bandwidth.arrayBytes} bytes are below the sizing rule: the figures may come from cache, not DRAM`,
    );
  }
  const { results, verdict } = computeVerdict({ declaration, measurements, deviceFacts, stateProblems, selfDeclared });

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
      },
      declaration: { json: declarationBytes, sha256: sha256Hex(declarationBytes) },
      method: {
        harnessVersion: harnessVersion(),
        gitCommit: provenance.gitCommit,
        ruleSets: RULE_SETS.map((r) => `${r.id}@${r.version}`),
        decisionRule: `${DECISION_RULE.id}@${DECISION_RULE.version}`,
        decisionParameters: Object.entries(DECISION_RULE.parameters).map(([name, value]) => ({ name, value })),
        policies: RECORDED_POLICIES.map((policy) => ({ ...policy })),
        quick: request.quick,
      },
      measurements,
      results,
      verdict,
      environment: {
        facts: [
          ...(await hostFacts()),
          ...inventory.checks.map((c) => ({ name: `preflight.${c.id}`, value: `${c.status}: ${c.detail}`, source: 'tppverify preflight' })),
          ...telemetry.map((t) => ({ name: `telemetry.${t.phase}`, value: JSON.stringify(t), source: request.entry.target.backend === 'hip' ? 'amd-smi metric (polled)' : `nvidia-smi -lms ${TELEMETRY_INTERVAL_MS}` })),
        ],
      },
      provenance: {
        addonSha256: provenance.addonSha256,
        harnessSha256: provenance.harnessSha256,
        lockfileSha256: provenance.lockfileSha256,
        dirtyTree: provenance.dirtyTree,
      },
      nonce: request.nonce,
      stateProblems,
    },
  };
  const statement: Statement = {
    ...statementBase,
    predicate: { ...statementBase.predicate, audit: request.audit ? request.audit(statementBase) : null },
  };
  const payload = encodeStatement(statement);
  const envelope = signEnvelope(payload, PAYLOAD_TYPE, [key]);

  await mkdir(request.outDir, { recursive: true });
  const stem = path.join(request.outDir, fileStem(request.entry, issuedAt));
  const pbFile = `${stem}.dsse.pb`;
  const jsonFile = `${stem}.dsse.json`;
  await writeFileAtomic(pbFile, encodeEnvelope(envelope), { exclusive: true });
  await writeFileAtomic(jsonFile, envelopeToJson(envelope) + '\n', { exclusive: true });
  return { pbFile, jsonFile, keyId: key.keyId, summary: summarize(statement), statement };
}
