// A real Slurm cluster on loopback for the tests and the fleet benchmark:
// munged, slurmctld and N slurmd (Debian's build has MULTIPLE_SLURMD; four
// by default) as N 8-GPU servers whose
// GPUs are character devices made under the cluster's folder. Every daemon
// is started in the foreground so its PID is ours; stop() cancels every job,
// stops the daemons in reverse order by PID (TERM, then KILL after 10 s) and
// then any job-step process still holding files under the folder (they are
// re-parented to PID 1, so they are found by their files, never by name).
import { execa } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** gpu01, gpu02, …: the servers' node names. */
export function nodeNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `gpu${String(i + 1).padStart(2, '0')}`);
}
export const DEFAULT_NODES = 4;
export const GPUS_PER_NODE = 8;
/** Device numbers of /dev/nvidia0…7 (Linux devices.txt: major 195). */
const NVIDIA_MAJOR = 195;
const STOP_GRACE_MS = 10_000;
const READY_TIMEOUT_MS = 30_000;

export interface LoopbackCluster {
  dir: string;
  nodes: string[];
  /** Environment that points Slurm's commands at this cluster. */
  env: Record<string, string>;
  /** Also kills any process left holding files under `alsoUnder` (the lot folders the jobs ran in). */
  stop(alsoUnder?: string[]): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    // 0.0.0.0: slurmctld and slurmd listen on every address.
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, logs: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready within ${READY_TIMEOUT_MS / 1000} s; see the logs in ${logs}`);
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (!alive(child) || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => alive(child) && child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** PIDs of processes whose working folder or open files lie under dir (job steps left behind). */
export function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const holds = (link: string) => {
      try {
        const target = readlinkSync(link);
        return target === dir || target.startsWith(`${dir}/`);
      } catch {
        return false;
      }
    };
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      // Gone already, or not ours to read.
    }
    if (holds(`/proc/${entry}/cwd`) || fds.some((fd) => holds(`/proc/${entry}/fd/${fd}`))) found.push(Number(entry));
  }
  return found;
}

export async function startLoopbackCluster(nodeCount = DEFAULT_NODES): Promise<LoopbackCluster> {
  const NODES = nodeNames(nodeCount);
  const dir = mkdtempSync(path.join(tmpdir(), 'tppverify-slurm-'));
  const logs = path.join(dir, 'log');
  for (const sub of ['munge', 'state', 'log', 'dev', ...NODES.map((n) => `spool/${n}`)]) mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o755 });
  for (let i = 0; i < GPUS_PER_NODE; i++) await execa('mknod', [path.join(dir, 'dev', `nvidia${i}`), 'c', String(NVIDIA_MAJOR), String(i)]);
  const socket = path.join(dir, 'munge', 'munge.socket');
  const key = path.join(dir, 'munge', 'munge.key');
  await execa('mungekey', ['--create', '--force', '--keyfile', key]);
  const [ctldPort, ...nodePorts] = await Promise.all([freePort(), ...NODES.map(() => freePort())]);
  const conf = path.join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=tppverify-test',
      'SlurmctldHost=localhost(127.0.0.1)',
      `SlurmctldPort=${ctldPort}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool/%n`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd-%n.pid`,
      `SlurmctldLogFile=${logs}/slurmctld.log`,
      `SlurmdLogFile=${logs}/slurmd-%n.log`,
      // No cgroups here: track processes by parentage, no task confinement.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      // CR_Core, not CR_Core_Memory: with memory as a resource every job takes the node's memory and jobs serialise.
      'SelectTypeParameters=CR_Core',
      'GresTypes=gpu',
      // Lets a 2-core machine declare 8-GPU servers with more CPUs than it has.
      'SlurmdParameters=config_overrides',
      // A node set DOWN comes back when its slurmd registers again.
      'ReturnToService=2',
      'JobRequeue=1',
      'MpiDefault=none',
      ...NODES.map((node, i) => `NodeName=${node} NodeAddr=127.0.0.1 Port=${nodePorts[i]} CPUs=8 Gres=gpu:${GPUS_PER_NODE} State=UNKNOWN`),
      `PartitionName=lab Nodes=${NODES.join(',')} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'gres.conf'), `AutoDetect=off\n${NODES.map((node) => `NodeName=${node} Name=gpu File=${dir}/dev/nvidia[0-${GPUS_PER_NODE - 1}]\n`).join('')}`);
  const env = { SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const start = (name: string, command: string, args: string[]) => {
    const out = openSync(path.join(logs, `${name}.out`), 'a');
    const child = spawn(command, args, { stdio: ['ignore', out, out], env: { ...process.env, ...env } });
    child.on('error', () => undefined);
    daemons.push(child);
    return child;
  };
  const cluster: LoopbackCluster = {
    dir,
    nodes: NODES,
    env,
    async stop(alsoUnder: string[] = []) {
      const jobs = await execa('squeue', ['-h', '-o', '%i'], { reject: false, env, timeout: 10_000 });
      const ids = String(jobs.stdout).split('\n').map((s) => s.trim()).filter(Boolean);
      if (ids.length) await execa('scancel', ids, { reject: false, env, timeout: 10_000 });
      for (const daemon of [...daemons].reverse()) await stopProcess(daemon);
      for (const pid of [dir, ...alsoUnder].flatMap(processesUnder)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    },
  };
  try {
    const munged = start('munged', 'munged', ['-F', '--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${dir}/munge/munged.pid`, `--seed-file=${dir}/munge/seed`, `--log-file=${logs}/munged.log`]);
    await waitFor('munged', () => alive(munged) && existsSync(socket), logs);
    const ctld = start('slurmctld', 'slurmctld', ['-D', '-f', conf]);
    await waitFor('slurmctld', async () => alive(ctld) && (await execa('scontrol', ['ping'], { reject: false, env, timeout: 5_000 })).stdout.includes('UP'), logs);
    const nodes = NODES.map((node) => start(`slurmd-${node}`, 'slurmd', ['-D', '-N', node, '-f', conf]));
    await waitFor(
      `${NODES.length} slurmd`,
      async () => {
        if (!nodes.every(alive)) throw new Error(`a slurmd exited; see ${logs}`);
        const states = await execa('sinfo', ['-h', '-N', '-o', '%N %T'], { reject: false, env, timeout: 5_000 });
        return String(states.stdout).split('\n').filter((l) => / idle$/.test(l)).length === NODES.length;
      },
      logs,
    );
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** `scontrol show job` fields for one job (empty when slurmctld does not know it). */
export async function jobFields(env: Record<string, string>, id: string): Promise<Map<string, string>> {
  const run = await execa('scontrol', ['show', 'job', '-o', id], { reject: false, env, timeout: 10_000 });
  const fields = new Map<string, string>();
  for (const pair of String(run.stdout).trim().split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq > 0 && !fields.has(pair.slice(0, eq))) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return fields;
}
