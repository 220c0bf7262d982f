// The Slurm driver: sbatch, scontrol and scancel through execa, with time
// limits. One exclusive job per server (`-w HOST --exclusive --gres=gpu:N`):
// Slurm cannot allocate one named GPU, so the job holds the whole server and
// measures that server's sampled units, found by UUID or serial.
import { execa } from 'execa';
import { DeviceUnavailableError } from '../errors.js';
import type { JobStatus, Scheduler, ServerJobRequest } from './scheduler.js';

/** slurmctld answers in milliseconds; a hung controller must not hang the lot. */
const SLURM_COMMAND_TIMEOUT_MS = 30_000;
/** Slurm's job states after which nothing changes (squeue(1), JOB STATE CODES). */
const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED', 'SPECIAL_EXIT', 'REVOKED']);
const JOB_ID = /^\d+$/;

export interface SlurmOptions {
  partition?: string;
  account?: string;
}

function firstLine(run: { stderr?: unknown; stdout?: unknown; shortMessage?: string; timedOut?: boolean }): string {
  if (run.timedOut) return `timed out after ${SLURM_COMMAND_TIMEOUT_MS} ms`;
  const text = String(run.stderr || run.stdout || run.shortMessage || 'failed').trim();
  return (text.split(/\r?\n/)[0] ?? text).slice(0, 300);
}

async function slurm(command: string, args: string[]): Promise<string> {
  const run = await execa(command, args, { reject: false, timeout: SLURM_COMMAND_TIMEOUT_MS, stdin: 'ignore' });
  if (run.failed) throw new DeviceUnavailableError(`${command} ${args[0] ?? ''}: ${firstLine(run)}`);
  return String(run.stdout);
}

/** `scontrol show job -o ID`: one line of Key=Value pairs (values without spaces, except the last keys', which we do not read). */
export function parseScontrolJob(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const pair of line.trim().split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq > 0 && !fields.has(pair.slice(0, eq))) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return fields;
}

export class SlurmScheduler implements Scheduler {
  readonly name = 'slurm';

  constructor(private readonly options: SlurmOptions = {}) {}

  async submit(job: ServerJobRequest): Promise<string> {
    const args = [
      '--parsable',
      `--job-name=${job.name}`,
      `--nodelist=${job.host}`,
      '--nodes=1',
      '--exclusive',
      `--gres=gpu:${job.gpus}`,
      // A node failure requeues the job (JobRequeue); the lot run releases it and bounds the count.
      '--requeue',
      `--output=${job.logFile}`,
      `--chdir=${job.workDir}`,
      ...(this.options.partition ? [`--partition=${this.options.partition}`] : []),
      ...(this.options.account ? [`--account=${this.options.account}`] : []),
      job.script,
    ];
    const id = (await slurm('sbatch', args)).trim().split(';')[0] ?? '';
    if (!JOB_ID.test(id)) throw new DeviceUnavailableError(`sbatch for ${job.host} answered '${id.slice(0, 80)}', not a job id`);
    return id;
  }

  async status(id: string): Promise<JobStatus> {
    const run = await execa('scontrol', ['show', 'job', '-o', id], { reject: false, timeout: SLURM_COMMAND_TIMEOUT_MS, stdin: 'ignore' });
    if (run.failed) {
      // A finished job is purged from slurmctld's memory after MinJobAge (300 s by default).
      if (/Invalid job id/i.test(firstLine(run))) return { id, state: 'UNKNOWN', reason: 'no longer known to slurmctld', restarts: 0, exitCode: '', final: true, heldAfterRequeue: false, unknown: true };
      throw new DeviceUnavailableError(`scontrol show job ${id}: ${firstLine(run)}`);
    }
    const fields = parseScontrolJob(String(run.stdout));
    const state = fields.get('JobState') ?? 'UNKNOWN';
    const restarts = Number(fields.get('Restarts') ?? '0');
    const reason = fields.get('Reason') ?? '';
    return {
      id,
      state,
      reason,
      restarts: Number.isFinite(restarts) ? restarts : 0,
      exitCode: fields.get('ExitCode') ?? '',
      final: FINAL_STATES.has(state),
      heldAfterRequeue: state === 'PENDING' && reason === 'BeginTime' && restarts > 0,
      unknown: false,
    };
  }

  async release(id: string): Promise<void> {
    await slurm('scontrol', ['update', `jobid=${id}`, 'StartTime=now']);
  }

  async cancel(id: string): Promise<void> {
    await slurm('scancel', [id]);
  }
}
