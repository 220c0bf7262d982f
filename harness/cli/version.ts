// `tppverify --version`: what a lab records about the tool it ran — the
// version, the commit, the backends compiled in and the toolchains that
// compiled them (build/tppverify-build.json, written by CMake).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { addonPath } from '../../benchmarks/native-addon.js';
import { packageRoot } from '../provenance.js';
import { harnessVersion } from '../version.js';

interface BuildInfo {
  backends?: Record<string, boolean>;
  toolchains?: Record<string, string>;
}

/** git answers in milliseconds; a hung one must not hang --version. */
const GIT_TIMEOUT_MS = 5_000;

function gitOutput(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: packageRoot(), timeout: GIT_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function readBuildInfo(): BuildInfo | undefined {
  const file = path.join(path.dirname(path.dirname(addonPath())), 'tppverify-build.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BuildInfo;
  } catch {
    return undefined;
  }
}

export function versionText(): string {
  // Only tppverify's own checkout counts: an installed copy inside another repository is not that repository's commit.
  const top = gitOutput(['rev-parse', '--show-toplevel']);
  const own = top !== undefined && realpathSync(top) === realpathSync(packageRoot());
  const commit = own ? gitOutput(['rev-parse', 'HEAD']) : undefined;
  const dirty = commit === undefined ? undefined : gitOutput(['status', '--porcelain', '--untracked-files=no']);
  const build = readBuildInfo();
  const t = build?.toolchains ?? {};
  const backends = build?.backends ? Object.entries(build.backends).filter(([, built]) => built).map(([name]) => name) : [];
  const toolchains = build
    ? [
        t['cxx'] ? `C++ ${t['cxx']}` : '',
        build.backends?.['cuda'] && t['cuda'] ? `CUDA ${t['cuda']} (sm ${t['cudaArchitectures'] ?? '?'})` : '',
        build.backends?.['hip'] && t['hip'] ? `${t['hip']} (${t['hipTargets'] ?? '?'})` : '',
        t['cmake'] ? `CMake ${t['cmake']}` : '',
      ].filter(Boolean)
    : [];
  return [
    `tppverify ${harnessVersion()}`,
    `commit    ${commit ?? 'unknown (not a git checkout)'}${dirty ? ' (uncommitted changes)' : ''}`,
    `node      ${process.version}`,
    `backends  ${build ? backends.join(', ') : 'unknown: no build/tppverify-build.json (run npm install)'}`,
    `toolchain ${toolchains.length ? toolchains.join('; ') : 'unknown'}`,
  ].join('\n') + '\n';
}
