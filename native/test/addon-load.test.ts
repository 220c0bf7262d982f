// What a host needs to load the addon: libgomp travels beside it, libstdc++
// and libgcc are linked in, and native/tools/check-addon-load.sh names
// whatever the loader still cannot find.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { addonPath } from '../../benchmarks/native-addon.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = path.join(root, 'native', 'tools', 'check-addon-load.sh');
const scratch = mkdtempSync(path.join(tmpdir(), 'tppverify-load-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('addon load-time needs', () => {
  const addonDir = path.dirname(addonPath());
  const ldd = execFileSync('ldd', [addonPath()], { encoding: 'utf8' });

  it('finds libgomp beside itself and needs no shared libstdc++ or libgcc', () => {
    expect(ldd).toMatch(new RegExp(`libgomp\\.so\\.1 => ${addonDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/libgomp\\.so\\.1`));
    expect(ldd).not.toMatch(/libstdc\+\+\.so/);
    expect(ldd).not.toMatch(/libgcc_s\.so/);
  });

  it('check-addon-load.sh passes on this build', () => {
    const run = spawnSync('bash', [script, addonDir], { encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/tppverify\.node: every library and symbol version it needs is present/);
  });

  it('check-addon-load.sh names a library the loader cannot find, and fails', () => {
    // A stand-in addon linked against a library that is then removed.
    const dir = path.join(scratch, 'missing');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(path.join(dir, 'absent.c'), 'int tppverify_absent(void) { return 1; }\n');
    writeFileSync(path.join(dir, 'addon.c'), 'int tppverify_absent(void);\nint tppverify_entry(void) { return tppverify_absent(); }\n');
    execFileSync('cc', ['-shared', '-fPIC', '-o', path.join(dir, 'libtppverify-absent.so'), path.join(dir, 'absent.c')]);
    execFileSync('cc', ['-shared', '-fPIC', '-o', path.join(dir, 'tppverify.node'), path.join(dir, 'addon.c'), `-L${dir}`, '-ltppverify-absent']);
    rmSync(path.join(dir, 'libtppverify-absent.so'));
    const run = spawnSync('bash', [script, dir], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/tppverify\.node is missing: libtppverify-absent\.so => not found/);
  });

  it('check-addon-load.sh refuses a folder with no addon', () => {
    const run = spawnSync('bash', [script, path.join(scratch, 'nothing-here')], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no addon at/);
  });
});
