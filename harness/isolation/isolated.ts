// Each measurement phase of a device runs in its own child process with a
// time limit: a kernel that crashes or hangs ends that phase with a clear
// error (exit 3), never a passing attestation, and never takes the harness down.
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BandwidthReport, ThroughputCaseReport } from '../../benchmarks/bench.js';
import { addonPath, type NativeProgress } from '../../benchmarks/native-addon.js';
import { sustainedCasesOf, sustainedRequestFor, type SustainedReport, type SustainedRequest } from '../../benchmarks/sustained.js';
import type { RunSettings } from '../../benchmarks/registry.js';
import { formatDeviceId, type DeviceEntry } from '../devices.js';
import { isErrorCode, MeasurementError, TppverifyError } from '../errors.js';
import type { Measured } from '../measure.js';
import { RunPlan, type PhaseName } from '../plan/run-plan.js';
import type { PhaseTelemetry, TelemetryRecorder } from '../inventory/telemetry.js';
import type { PhaseEvidenceRecord } from '../../attestations/records.js';
import { phaseEvidenceOf } from './phase-evidence.js';
import type { PhaseReply, PhaseRequest } from './worker.js';

/**
 * Per-phase limits: generous for a full GPU run, short enough that a hang is
 * found. Sustained: the long level's 300 s of timed trials, plus its last
 * round and the per-call overhead, three times over.
 */
export const PHASE_TIMEOUT_SECONDS = { bandwidth: 600, throughput: 900, sustained: 900 } as const;

const workerPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');

export interface PhaseTimeouts {
  bandwidth: number;
  throughput: number;
  /** Default PHASE_TIMEOUT_SECONDS.sustained. */
  sustained?: number;
}

async function runPhase(
  entry: DeviceEntry,
  phase: PhaseRequest['phase'],
  settings: RunSettings,
  timeoutSeconds: number,
  onProgress: (event: NativeProgress) => void,
  sustained?: SustainedRequest,
): Promise<{ report: unknown; startedAt: string; finishedAt: string }> {
  const device = formatDeviceId(entry.target);
  const request: PhaseRequest & { parentPid: number } = { device, phase, settings, ...(sustained ? { sustained } : {}), parentPid: process.pid };
  // This very interpreter, never a `node` found on PATH: a planted one would time every trial.
  const child = execa(process.execPath, [workerPath, JSON.stringify(request)], {
    reject: false,
    timeout: timeoutSeconds * 1000,
    killSignal: 'SIGKILL',
    stdin: 'ignore',
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.startsWith('progress ')) continue;
      try {
        onProgress(JSON.parse(line.slice('progress '.length)) as NativeProgress);
      } catch {
        // A torn progress line is only a missed progress update.
      }
    }
  });
  const result = await child;
  if (result.timedOut) {
    throw new MeasurementError(`${device}: the ${phase} phase did not finish within ${timeoutSeconds} s and was stopped`, phase);
  }
  if (result.signal) {
    throw new MeasurementError(`${device}: the ${phase} phase crashed (${result.signal}); no result from it is used`, phase);
  }
  const last = String(result.stdout).trim().split('\n').pop() ?? '';
  let reply: PhaseReply;
  try {
    reply = JSON.parse(last) as PhaseReply;
  } catch {
    throw new MeasurementError(`${device}: the ${phase} phase ended (exit ${result.exitCode}) without a result`, phase);
  }
  if (!reply.ok) {
    // The child's error keeps its code across the pipe; an unknown code is a fault of ours.
    const { code, message, kernel } = reply.error;
    throw new TppverifyError(isErrorCode(code) ? code : 'internal', String(message), kernel);
  }
  return reply;
}

export interface IsolatedMeasurement {
  measured: Measured;
  /** One summary per phase when a telemetry source was given. */
  telemetry: PhaseTelemetry[];
  /** Clock and power evidence, one per phase in the order run (issue 18), with or without a telemetry source. */
  evidence: PhaseEvidenceRecord[];
}

/** measureDevice, with every phase in its own child process and, where the device has a sampler (nvidia-smi, amd-smi, the CPU's sysfs), telemetry around it. */
export async function measureIsolated(
  entry: DeviceEntry,
  settings: RunSettings,
  onProgress: (event: NativeProgress) => void,
  timeouts: PhaseTimeouts = PHASE_TIMEOUT_SECONDS,
  startRecorder?: (phase: string) => TelemetryRecorder,
): Promise<IsolatedMeasurement> {
  const telemetry: PhaseTelemetry[] = [];
  const evidence: PhaseEvidenceRecord[] = [];
  const phase = async (name: PhaseRequest['phase'], sustained?: SustainedRequest) => {
    const recorder = startRecorder?.(name);
    let summary: PhaseTelemetry | undefined;
    let reply: Awaited<ReturnType<typeof runPhase>>;
    try {
      reply = await runPhase(entry, name, settings, (name === 'sustained' ? timeouts.sustained : timeouts[name]) ?? PHASE_TIMEOUT_SECONDS[name], onProgress, sustained);
    } finally {
      if (recorder) telemetry.push((summary = await recorder.stop()));
    }
    evidence.push(phaseEvidenceOf(name, entry.target.backend, summary, reply.report));
    return reply;
  };
  // The run plan decides which phase runs first.
  const plan = settings.planNonceHex === undefined ? undefined : new RunPlan(Buffer.from(settings.planNonceHex, 'hex'));
  const order: PhaseName[] = plan ? plan.phaseOrder() : ['bandwidth', 'throughput'];
  const reports = new Map<PhaseName, Awaited<ReturnType<typeof phase>>>();
  for (const name of order) reports.set(name, await phase(name));
  const bandwidth = reports.get('bandwidth') as Awaited<ReturnType<typeof phase>>;
  const throughput = reports.get('throughput') as Awaited<ReturnType<typeof phase>>;
  const peak = (throughput.report as ThroughputCaseReport[] | null) ?? [];
  // Then the sustained phase, after both: the peak cases again in the plan's throughput order, with the peak's work.
  let sustained: Awaited<ReturnType<typeof phase>> | undefined;
  if ((settings.sustainedSeconds ?? 0) > 0 && sustainedCasesOf(peak).length > 0) {
    const formats = [...new Set(sustainedCasesOf(peak).map((c) => c.format))];
    const formatOrder = plan ? plan.order('throughput', formats) : formats;
    sustained = await phase('sustained', sustainedRequestFor(peak, formatOrder, settings.sustainedSeconds as number));
  }
  const phases = [bandwidth, throughput, ...(sustained ? [sustained] : [])];
  return {
    measured: {
      entry,
      startedAt: phases.map((p) => p.startedAt).sort()[0] as string,
      finishedAt: phases.map((p) => p.finishedAt).sort().pop() as string,
      bandwidth: bandwidth.report as BandwidthReport | null,
      throughput: throughput.report as ThroughputCaseReport[] | null,
      sustained: sustained ? (sustained.report as SustainedReport) : null,
      addonFile: addonPath(),
    },
    telemetry,
    evidence,
  };
}
