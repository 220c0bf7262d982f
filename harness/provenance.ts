// Where the running harness came from: digests of the addon binary, the built
// JavaScript and the lockfile, the git commit and whether the tree is dirty.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export interface Provenance {
  addonSha256: string;
  harnessSha256: string;
  lockfileSha256: string;
  gitCommit: string;
  dirtyTree: boolean;
  /** process.execPath: the interpreter this harness and its measuring children run under. */
  interpreterPath: string;
  interpreterSha256: string;
  interpreterVersion: string;
}

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'proto'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

function fileSha256(file: string): string {
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : '';
}

function jsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...jsFiles(full));
    else if (entry.endsWith('.js')) out.push(full);
  }
  return out;
}

/** SHA-256 over each built file's relative path and bytes, in path order. */
function harnessSha256(root: string): string {
  const dist = path.join(root, 'dist');
  const hash = createHash('sha256');
  for (const file of jsFiles(dist)) {
    hash.update(path.relative(dist, file));
    hash.update('\0');
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

/**
 * The system's git where it is installed, before any found on PATH: a
 * planted `git` earlier on PATH could report a dirty tree as clean.
 */
const SYSTEM_GIT = ['/usr/bin/git', '/bin/git', '/usr/local/bin/git'];

function gitBinary(): string {
  return SYSTEM_GIT.find((candidate) => existsSync(candidate)) ?? 'git';
}

async function git(root: string, args: string[]): Promise<string | undefined> {
  const result = await execa(gitBinary(), args, { cwd: root, reject: false, timeout: 10_000 });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

export async function readProvenance(addonFile: string | undefined): Promise<Provenance> {
  const root = packageRoot();
  const commit = await git(root, ['rev-parse', 'HEAD']);
  const status = commit === undefined ? undefined : await git(root, ['status', '--porcelain', '--untracked-files=no']);
  return {
    addonSha256: addonFile ? fileSha256(addonFile) : '',
    harnessSha256: harnessSha256(root),
    lockfileSha256: fileSha256(path.join(root, 'package-lock.json')),
    gitCommit: commit ?? '',
    // Without git the tree cannot be shown clean: count it as dirty.
    dirtyTree: status === undefined || status.length > 0,
    // The interpreter times every trial: a planted one could change them all, so its binary is recorded.
    interpreterPath: process.execPath,
    interpreterSha256: fileSha256(process.execPath),
    interpreterVersion: process.version,
  };
}
