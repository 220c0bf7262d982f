// One attested run per device at a time: two runs measuring one device at
// once slow each other down and both would be attested. A lock file per
// device holds the pid of the run using it; a lock whose process is gone
// (a run killed with SIGKILL) is stale and taken over.
import { mkdirSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeviceUnavailableError } from './errors.js';

/** Where the locks live; TPPVERIFY_LOCK_DIR moves them (the test suite gives each run its own). */
export function lockDir(): string {
  return process.env['TPPVERIFY_LOCK_DIR'] || path.join(tmpdir(), 'tppverify-device-locks');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DeviceLock {
  release(): void;
}

export function lockDevice(deviceId: string): DeviceLock {
  const dir = lockDir();
  mkdirSync(dir, { recursive: true });
  // Shared by every user of the host, like /tmp: anyone may add a lock, only its owner remove it.
  try {
    chmodSync(dir, 0o1777);
  } catch {
    // Not ours to change: someone else made it, with their mode.
  }
  const file = path.join(dir, `${deviceId.replace(/[^A-Za-z0-9]/g, '-')}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      return {
        release: () => {
          try {
            if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
          } catch {
            // Already gone.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(file, 'utf8').trim());
    if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) {
      throw new DeviceUnavailableError(`${deviceId} is being measured by another tppverify run (pid ${holder}): one run per device at a time`);
    }
    // Stale: its run was killed.
    rmSync(file, { force: true });
  }
  throw new DeviceUnavailableError(`${deviceId}: could not take the device lock in ${dir}`);
}
