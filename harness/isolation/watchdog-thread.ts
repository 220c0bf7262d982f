// The watchdog thread of a measuring child (see watchdog.ts).
import { workerData } from 'node:worker_threads';

const { parentPid, pollMs } = workerData as { parentPid: number; pollMs: number };

function parentGone(): boolean {
  // Re-parented (to init or a subreaper): the parent that started us has exited.
  return process.ppid !== parentPid;
}

setInterval(() => {
  if (parentGone()) process.kill(process.pid, 'SIGKILL');
}, pollMs);
