// Writes that a crash cannot leave half-done: temp file in the same folder,
// fsync, rename over the target, fsync the folder. A reader sees the old file
// or the new one, never a part.
import { randomBytes } from 'node:crypto';
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { link, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fsReason, OutputPathError } from './errors.js';

export interface AtomicWriteOptions {
  /** File mode of the new file, e.g. 0o600 for private keys. */
  mode?: number;
  /** Refuse to replace an existing file. */
  exclusive?: boolean;
}

/** `.<name>.<pid>.<12 hex>.tmp`: the temporaries this module makes, with the pid of the process that made them. */
const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function temporaryName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporaries a killed writer left in `dir` (SIGKILL runs no
 * cleanup): those whose process no longer exists. Returns the names removed.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMPORARY.exec(name);
    if (!match || Number(match[1]) === process.pid || processAlive(Number(match[1]))) continue;
    await rm(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Writes `data` to a new temporary beside `file`, synced; returns its name. */
async function writeTemporary(file: string, data: Uint8Array | string, mode: number): Promise<string> {
  const temp = temporaryName(file);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  return temp;
}

async function syncFolder(dir: string): Promise<void> {
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/**
 * Writes several renderings of one document (`.dsse.pb`, `.dsse.json`,
 * `.intoto.json`, `.sigstore.json`) so that all appear or none does: each is
 * written and synced as a temporary first (a full disk fails here, with
 * nothing in place), then linked into place; if a link fails, those already
 * linked are removed. None replaces an existing file.
 */
export async function writeFilesAtomic(files: readonly { file: string; data: Uint8Array | string }[]): Promise<void> {
  if (files.length === 0) return;
  const dir = path.dirname(files[0]!.file);
  await removeStaleTemporaries(dir);
  const temporaries: string[] = [];
  const linked: string[] = [];
  try {
    for (const f of files) temporaries.push(await writeTemporary(f.file, f.data, 0o644));
    try {
      for (const [i, f] of files.entries()) {
        await link(temporaries[i]!, f.file);
        linked.push(f.file);
      }
    } catch (error) {
      for (const file of linked) await rm(file, { force: true });
      throw error;
    }
  } finally {
    for (const temp of temporaries) await rm(temp, { force: true });
  }
  await syncFolder(dir);
}

export async function writeFileAtomic(file: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  await removeStaleTemporaries(dir);
  const temp = await writeTemporary(file, data, options.mode ?? 0o644);
  try {
    if (options.exclusive) {
      // link() fails when the target exists, so an existing file is never replaced.
      await link(temp, file);
      await rm(temp, { force: true });
    } else {
      await rename(temp, file);
    }
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(dir);
}

/** Creates and removes a file in `dir`: permissions, read-only mounts and quotas show here, not after a measurement. */
async function proveWritable(dir: string): Promise<void> {
  const probe = path.join(dir, `.tppverify-probe.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await (await open(probe, 'wx')).close();
    await rm(probe, { force: true });
  } catch (error) {
    throw new OutputPathError(`cannot write in ${dir}: ${fsReason(error)}`);
  }
}

/**
 * Checks, before a long measurement, that `dir` can become the output folder:
 * it is a writable folder, or the nearest part of its path that exists is one
 * (the folder itself is created only when there is something to write).
 */
export async function checkOutputDir(dir: string): Promise<void> {
  if (dir.trim() === '') throw new OutputPathError('the output folder must not be an empty name');
  const refuse = (reason: string) => new OutputPathError(`cannot use ${dir} as the output folder: ${reason}`);
  // Walk up to the nearest part of the path that exists. lstat, not exists():
  // a dangling symbolic link exists (mkdir would fail on it), and only ENOENT
  // means "not there yet" — a name too long or a file in the path is an answer.
  let existing = path.resolve(dir);
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(existing) === existing) throw refuse(fsReason(error));
      existing = path.dirname(existing);
    }
  }
  const where = existing === path.resolve(dir) ? 'it' : existing;
  let info;
  try {
    info = await stat(existing);
  } catch (error) {
    throw refuse(`${where} is a symbolic link to nowhere (${fsReason(error)})`);
  }
  if (!info.isDirectory()) throw refuse(`${where} is not a folder`);
  await proveWritable(existing);
}

function samePath(a: string, b: string): boolean {
  const resolve = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return resolve(a) === resolve(b);
}

/**
 * Checks an output file before anything is written: its folder exists and is
 * writable, it is not a folder itself, and it is none of `inputs`, so an
 * output can never replace what was read.
 */
export async function checkOutputFile(file: string, inputs: readonly string[]): Promise<void> {
  for (const input of inputs) {
    if (samePath(file, input)) throw new OutputPathError(`refusing to write ${file}: it is the same file as ${input}, which this command reads or writes`);
  }
  try {
    if (statSync(file).isDirectory()) throw new OutputPathError(`cannot write ${file}: it is a folder`);
  } catch (error) {
    if (error instanceof OutputPathError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new OutputPathError(`cannot write ${file}: ${fsReason(error)}`);
  }
  const dir = path.dirname(file);
  try {
    if (!(await stat(dir)).isDirectory()) throw new OutputPathError(`cannot write ${file}: ${dir} is not a folder`);
  } catch (error) {
    if (error instanceof OutputPathError) throw error;
    throw new OutputPathError(`cannot write ${file}: ${fsReason(error)}`);
  }
  await proveWritable(dir);
}
