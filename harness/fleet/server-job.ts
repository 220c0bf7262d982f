// What one server's job does (`tppverify lot run-server --spec FILE`, run by
// the scheduler, never by hand): measure each of that server's sampled units
// in its own `tppverify run` child, found by UUID or serial; move each
// attestation into the lot's one folder; write one status file per unit
// (attested, or failed with its reason). Units that already have a valid
// attestation are skipped, so a requeued job resumes where it was stopped.
import { execa } from 'execa';
import { mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStrictJsonFile } from '../../attestations/strict-json.js';
import { writeFileAtomic } from '../../attestations/atomic-write.js';
import { loadSigningKey } from '../../attestations/keys.js';
import { MeasurementError, UsageError } from '../errors.js';
import type { LotUnit } from '../lot/manifest.js';
import { attestedUnits } from './resume.js';

export const MAX_SPEC_BYTES = 16 * 1024 * 1024;
/** The CLI every unit's child runs: this build's own. */
export const CLI_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

export interface ServerJobSpec {
  lotId: string;
  host: string;
  declarationSha256: string;
  declaration: string;
  key: string;
  passphraseEnv?: string;
  /** The lab's public keys beside its own that count for resuming (as lot certify's --pubkey). */
  pubkeys: string[];
  units: LotUnit[];
  /** Options passed to every unit's `tppverify run` (--quick, --array-mib, …). */
  runArgs: string[];
  attestationsDir: string;
  statusDir: string;
  workDir: string;
  /** How many units measure at once: all of them (one child per GPU) unless limited. */
  concurrency: number;
}

export type UnitState = 'attested' | 'failed';

export interface UnitStatus {
  serial: string;
  host: string;
  state: UnitState;
  /** The attestation's file name in the lot's folder, when attested. */
  attestation: string;
  /** Why it failed, one line; empty when attested. */
  reason: string;
  jobId: string;
  at: string;
}

/** `uuid:…` where the manifest knows the UUID, else `serial:…`: never an index. */
export function unitSelector(unit: LotUnit): string {
  return unit.uuid ? `uuid:${unit.uuid}` : `serial:${unit.serial}`;
}

export function statusFile(statusDir: string, serial: string): string {
  return path.join(statusDir, `${serial.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export function readSpec(file: string): ServerJobSpec {
  const { value } = readStrictJsonFile(file, MAX_SPEC_BYTES, 'job spec', (where, detail) => new UsageError(`job spec ${file}: ${where ? `${where}: ` : ''}${detail}`));
  const spec = value as ServerJobSpec;
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.units) || typeof spec.attestationsDir !== 'string' || !Array.isArray(spec.runArgs)) {
    throw new UsageError(`job spec ${file}: not a tppverify server job spec`);
  }
  return spec;
}

function lastLine(text: string): string {
  return (text.trim().split(/\r?\n/).pop() ?? '').replace(/^tppverify: /, '').slice(0, 500);
}

async function measureUnit(spec: ServerJobSpec, unit: LotUnit, jobId: string): Promise<UnitStatus> {
  const restart = process.env['SLURM_RESTART_COUNT'] ?? '0';
  const out = path.join(spec.workDir, unit.serial.replace(/[^A-Za-z0-9._-]/g, '_'), `${jobId}-${restart}`);
  const base = { serial: unit.serial, host: spec.host, jobId };
  const args = [CLI_PATH, 'run', '--device', unitSelector(unit), '--declaration', spec.declaration, '--key', spec.key, ...(spec.passphraseEnv ? ['--passphrase-env', spec.passphraseEnv] : []), '--out', out, '--json', ...spec.runArgs];
  const child = await execa(process.execPath, args, { reject: false, stdin: 'ignore' });
  if (child.exitCode !== 0) {
    const why = lastLine(String(child.stderr)) || `tppverify run ended with ${child.signal ?? `exit ${child.exitCode}`} and no message`;
    return { ...base, state: 'failed', attestation: '', reason: `exit ${child.exitCode ?? child.signal}: ${why}`, at: new Date().toISOString() };
  }
  const written = (await readdir(out)).filter((n) => n.endsWith('.dsse.pb') || n.endsWith('.dsse.json'));
  // rename is atomic within one file system: the lot's folder never holds half a file.
  for (const name of written) await rename(path.join(out, name), path.join(spec.attestationsDir, name));
  const attestation = written.find((n) => n.endsWith('.dsse.pb')) ?? '';
  return { ...base, state: 'attested', attestation, reason: '', at: new Date().toISOString() };
}

/** Runs the spec's units; resolves to the statuses, and exits non-zero (through the caller) when any failed. */
export async function runServerJob(specFile: string, log: (line: string) => void): Promise<UnitStatus[]> {
  const spec = readSpec(specFile);
  const jobId = process.env['SLURM_JOB_ID'] ?? process.env['JOB_COMPLETION_INDEX'] ?? 'local';
  await mkdir(spec.attestationsDir, { recursive: true });
  await mkdir(spec.statusDir, { recursive: true });
  const key = await loadSigningKey(spec.key, spec.passphraseEnv ? process.env[spec.passphraseEnv] : undefined);
  const done = await attestedUnits(spec.units, spec.declarationSha256, spec.attestationsDir, key, spec.pubkeys);
  const todo = spec.units.filter((u) => !done.has(u.serial));
  log(`${spec.host}: ${spec.units.length} sampled units, ${done.size} already attested, measuring ${todo.length} (${Math.min(spec.concurrency, todo.length)} at once)`);
  const statuses: UnitStatus[] = [];
  const queue = [...todo];
  const worker = async () => {
    for (let unit = queue.shift(); unit; unit = queue.shift()) {
      const status = await measureUnit(spec, unit, jobId);
      await writeFileAtomic(statusFile(spec.statusDir, unit.serial), JSON.stringify(status) + '\n');
      log(`${spec.host}: ${unit.serial} ${status.state}${status.reason ? `: ${status.reason}` : ` (${status.attestation})`}`);
      statuses.push(status);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(spec.concurrency, todo.length)) }, worker));
  const failed = statuses.filter((s) => s.state === 'failed');
  if (failed.length) throw new MeasurementError(`${spec.host}: ${failed.length} of ${todo.length} units failed: ${failed.map((f) => `${f.serial} (${f.reason})`).join('; ')}`);
  return statuses;
}
