// `tppverify lot run`: the sampled units of a lot measured where they sit.
// One exclusive job per server holding sampled units; every job followed to
// a final state (a requeue after a node failure is released at once, up to a
// bound); every sampled unit ends attested or failed with its reason, never
// dropped; a rerun skips units that already have a valid attestation.
import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../attestations/atomic-write.js';
import { sha256Hex } from '../../attestations/statement.js';
import type { SigningKey } from '../../attestations/keys.js';
import { UsageError } from '../errors.js';
import type { LotManifest, LotUnit } from '../lot/manifest.js';
import type { LotSample } from '../lot/sampling.js';
import type { Scheduler } from './scheduler.js';
import { CLI_PATH, statusFile, type ServerJobSpec, type UnitStatus } from './server-job.js';
import { attestedUnits } from './resume.js';

/** Slurm releases a requeued job only after its hold; polling once a second finds states quickly without load. */
export const POLL_INTERVAL_MS = 1000;
export const DEFAULT_MAX_REQUEUES = 2;
/** Consecutive failed status reads of one job (one a poll: about 30 s of a controller restarting) before the lot run gives up. */
const MAX_STATUS_FAILURES = 30;
/** An 8-GPU server: the job holds every accelerator on it. */
export const DEFAULT_GPUS_PER_SERVER = 8;

export interface ServerWork {
  host: string;
  units: LotUnit[];
}

/** The sampled units to measure, grouped by server in host order; every one must say where it sits. */
export function groupByServer(units: readonly LotUnit[]): ServerWork[] {
  const unplaced = units.filter((u) => !u.host);
  if (unplaced.length) throw new UsageError(`the manifest does not say which host ${unplaced.length === 1 ? 'this sampled unit sits in' : 'these sampled units sit in'}: ${unplaced.slice(0, 10).map((u) => u.serial).join(', ')}${unplaced.length > 10 ? ', …' : ''}`);
  const byHost = new Map<string, LotUnit[]>();
  for (const unit of units) byHost.set(unit.host, [...(byHost.get(unit.host) ?? []), unit]);
  return [...byHost.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([host, list]) => ({ host, units: list }));
}

export interface LotRunRequest {
  manifest: LotManifest;
  sample: LotSample;
  declarationFile: string;
  key: SigningKey;
  keyFile: string;
  passphraseEnv?: string;
  pubkeys: string[];
  outDir: string;
  runArgs: string[];
  gpusPerServer: number;
  maxRequeues: number;
  /** Units measured at once on one server (default: all of its sampled units). */
  concurrency?: number;
}

export interface JobOutcome {
  host: string;
  jobId: string;
  state: string;
  exitCode: string;
  restarts: number;
  /** Why the lot run stopped following it early (the requeue bound), if it did. */
  note: string;
  units: string[];
}

export interface UnitOutcome {
  serial: string;
  host: string;
  /** attested: measured now; resumed: a valid attestation was already there; failed: with reason. */
  status: 'attested' | 'resumed' | 'failed';
  attestation: string;
  reason: string;
}

export interface LotRunResult {
  jobs: JobOutcome[];
  units: UnitOutcome[];
}

export interface LotFolders {
  attestations: string;
  jobs: string;
  status: string;
  work: string;
}

export function lotFolders(outDir: string): LotFolders {
  return { attestations: path.join(outDir, 'attestations'), jobs: path.join(outDir, 'jobs'), status: path.join(outDir, 'status'), work: path.join(outDir, 'work') };
}

function quoteShell(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
}

/** The declaration given must be the one the manifest names: an attestation for another would not count. */
export async function checkDeclaration(file: string, manifest: LotManifest): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read the declaration ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const digest = sha256Hex(bytes);
  if (digest !== manifest.declarationSha256) throw new UsageError(`the declaration ${file} has SHA-256 ${digest.slice(0, 12)}…, not the lot's ${manifest.declarationSha256.slice(0, 12)}…: its attestations would not count`);
}

async function readStatus(folders: LotFolders, serial: string): Promise<UnitStatus | undefined> {
  try {
    return JSON.parse(await readFile(statusFile(folders.status, serial), 'utf8')) as UnitStatus;
  } catch {
    return undefined;
  }
}

/** The job spec every server's job reads, written where the job can read it (a shared file system). */
export async function writeServerSpec(request: LotRunRequest, folders: LotFolders, work: ServerWork): Promise<string> {
  const spec: ServerJobSpec = {
    lotId: request.manifest.lotId,
    host: work.host,
    declarationSha256: request.manifest.declarationSha256,
    declaration: path.resolve(request.declarationFile),
    key: path.resolve(request.keyFile),
    ...(request.passphraseEnv ? { passphraseEnv: request.passphraseEnv } : {}),
    pubkeys: request.pubkeys.map((p) => path.resolve(p)),
    units: work.units,
    runArgs: request.runArgs,
    attestationsDir: path.resolve(folders.attestations),
    statusDir: path.resolve(folders.status),
    workDir: path.resolve(folders.work),
    concurrency: request.concurrency ?? work.units.length,
  };
  const file = path.resolve(folders.jobs, `${safeName(work.host)}.spec.json`);
  await writeFileAtomic(file, JSON.stringify(spec, null, 2) + '\n');
  return file;
}

async function writeJobScript(folders: LotFolders, work: ServerWork, specFile: string, lotId: string): Promise<string> {
  const script = path.resolve(folders.jobs, `${safeName(work.host)}.sh`);
  const text = [
    '#!/bin/sh',
    `# tppverify lot ${safeName(lotId)}: the sampled units on ${work.host}, one child per unit`,
    `exec ${quoteShell(process.execPath)} ${quoteShell(CLI_PATH)} lot run-server --spec ${quoteShell(specFile)}`,
    '',
  ].join('\n');
  await writeFileAtomic(script, text, { mode: 0o755 });
  return script;
}

/**
 * Submits one job per server that still has units to measure, follows every
 * job to its final state, and reports every sampled unit.
 */
export async function runLotOnScheduler(request: LotRunRequest, scheduler: Scheduler, log: (line: string) => void): Promise<LotRunResult> {
  const folders = lotFolders(request.outDir);
  for (const dir of Object.values(folders)) await mkdir(dir, { recursive: true });
  const sampled = request.sample.sampled;
  const servers = groupByServer(sampled);
  const before = await attestedUnits(sampled, request.manifest.declarationSha256, folders.attestations, request.key, request.pubkeys);
  if (before.size) log(`${before.size} of ${sampled.length} sampled units already have a valid attestation: not measured again`);
  const pending = servers.map((s) => ({ ...s, units: s.units.filter((u) => !before.has(u.serial)) })).filter((s) => s.units.length);

  const jobs: JobOutcome[] = [];
  const active = new Map<string, { outcome: JobOutcome; releasedAfter: number; statusFailures: number }>();
  try {
    for (const work of pending) {
      const spec = await writeServerSpec(request, folders, work);
      const script = await writeJobScript(folders, work, spec, request.manifest.lotId);
      const jobId = await scheduler.submit({
        host: work.host,
        gpus: request.gpusPerServer,
        name: `tppverify-${safeName(request.manifest.lotId)}-${safeName(work.host)}`,
        script,
        logFile: path.resolve(folders.jobs, `${safeName(work.host)}-%j.log`),
        workDir: path.resolve(request.outDir),
      });
      const outcome: JobOutcome = { host: work.host, jobId, state: 'PENDING', exitCode: '', restarts: 0, note: '', units: work.units.map((u) => u.serial) };
      jobs.push(outcome);
      active.set(jobId, { outcome, releasedAfter: 0, statusFailures: 0 });
      log(`job ${jobId} on ${work.host}: ${work.units.length} units`);
    }
    while (active.size) {
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      for (const [id, tracked] of active) {
        let status;
        try {
          status = await scheduler.status(id);
          tracked.statusFailures = 0;
        } catch (error) {
          // A controller that is restarting answers again shortly; one that does not ends the lot run (below, its jobs cancelled).
          if (++tracked.statusFailures >= MAX_STATUS_FAILURES) throw error;
          continue;
        }
        const { outcome } = tracked;
        if (status.restarts > outcome.restarts) log(`job ${id} on ${outcome.host} was requeued (restart ${status.restarts})`);
        outcome.state = status.state;
        outcome.exitCode = status.exitCode;
        outcome.restarts = Math.max(outcome.restarts, status.restarts);
        if (status.final) {
          active.delete(id);
          log(`job ${id} on ${outcome.host}: ${status.state}${status.exitCode ? ` ${status.exitCode}` : ''}`);
        } else if (status.restarts > request.maxRequeues) {
          await scheduler.cancel(id);
          outcome.note = `requeued ${status.restarts} times, more than --max-requeues ${request.maxRequeues}: cancelled`;
          log(`job ${id} on ${outcome.host}: ${outcome.note}`);
        } else if (status.heldAfterRequeue && tracked.releasedAfter < status.restarts) {
          await scheduler.release(id);
          tracked.releasedAfter = status.restarts;
        }
      }
    }
  } catch (error) {
    // The lot run is ending without following its jobs: leave none running unseen.
    for (const id of active.keys()) await scheduler.cancel(id).catch(() => undefined);
    throw error;
  }

  const after = await attestedUnits(sampled, request.manifest.declarationSha256, folders.attestations, request.key, request.pubkeys);
  const units: UnitOutcome[] = [];
  for (const unit of sampled) {
    const base = { serial: unit.serial, host: unit.host };
    const attestation = after.get(unit.serial);
    if (before.has(unit.serial)) units.push({ ...base, status: 'resumed', attestation: before.get(unit.serial)!, reason: '' });
    else if (attestation) units.push({ ...base, status: 'attested', attestation, reason: '' });
    else {
      const job = jobs.find((j) => j.units.includes(unit.serial));
      const status = await readStatus(folders, unit.serial);
      const reason = status?.state === 'failed' && status.jobId === job?.jobId
        ? status.reason
        : job
          ? `job ${job.jobId} on ${job.host} ended ${job.state}${job.exitCode ? ` (${job.exitCode})` : ''}${job.note ? `, ${job.note}` : ''} without an attestation for this unit; see ${path.join(folders.jobs, `${safeName(job.host)}-${job.jobId}.log`)}`
          : 'no job was submitted for this unit';
      units.push({ ...base, status: 'failed', attestation: '', reason });
    }
  }
  return { jobs, units };
}
