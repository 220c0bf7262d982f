// The measuring child dies with its parent. Linux's PR_SET_PDEATHSIG is not
// reachable from Node, so a thread of the child's own watches the parent:
// when the parent is gone (kill -9 included), the child is re-parented and
// its parent pid changes, and the thread kills the whole child at once. A
// thread, not a timer: a hung kernel or a busy loop holds the main thread,
// and must not keep the child (and the device) alive.
import { Worker } from 'node:worker_threads';

/** How often the thread looks: a stale child holds a device for at most about this long. */
export const PARENT_POLL_MS = 250;

export function watchParent(parentPid: number = process.ppid): void {
  const worker = new Worker(new URL('./watchdog-thread.js', import.meta.url), { workerData: { parentPid, pollMs: PARENT_POLL_MS } });
  // The watchdog never keeps a finished child alive.
  worker.unref();
}
