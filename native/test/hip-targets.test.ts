// native/hip/hip_targets.cmake: the AMD targets come from what the local hipcc
// compiles and the GPUs present, run here with stand-ins for hipcc and for
// amdgpu-arch / rocm_agent_enumerator.
import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'tppverify-hip-targets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let serial = 0;
/** A hipcc that compiles only for `known`, and a lister that prints `present` (one per line). */
function tools(known: string[], present: string[] | null) {
  const dir = path.join(scratch, String(serial++));
  mkdirSync(dir, { recursive: true });
  const hipcc = path.join(dir, 'hipcc');
  writeFileSync(
    hipcc,
    `#!/bin/sh\nfor a in "$@"; do case "$a" in --offload-arch=*) arch="\${a#--offload-arch=}";; esac; done\ncase " ${known.join(' ')} " in *" $arch "*) exit 0;; esac\necho "error: unsupported gpu architecture '$arch'" >&2\nexit 1\n`,
  );
  chmodSync(hipcc, 0o755);
  const listers: string[] = [];
  if (present) {
    const lister = path.join(dir, 'rocm_agent_enumerator');
    writeFileSync(lister, `#!/bin/sh\nprintf '%s\\n' gfx000 ${present.join(' ')}\n`);
    chmodSync(lister, 0o755);
    listers.push(lister);
  }
  return { hipcc, listers, dir };
}

async function choose(known: string[], present: string[] | null) {
  const { hipcc, listers, dir } = tools(known, present);
  return execa(
    'cmake',
    [`-DHIPCC=${hipcc}`, `-DAGENT_LISTERS=${listers.join(';')}`, `-DSCRATCH=${path.join(dir, 'probe')}`, '-P', path.join(root, 'native', 'hip', 'hip_targets.cmake')],
    { reject: false },
  );
}

/** CMake wraps and indents its messages. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ');

describe('HIP target choice', () => {
  it('takes every CDNA target the compiler knows: ROCm 5.2 knows gfx90a and gfx940', async () => {
    const run = await choose(['gfx90a', 'gfx940'], null);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/tppverify hip targets: gfx90a,gfx940$/m);
  });

  it('builds gfx942 and gfx950 wherever the compiler knows them', async () => {
    const run = await choose(['gfx90a', 'gfx940', 'gfx942', 'gfx950'], null);
    expect(run.stdout).toMatch(/tppverify hip targets: gfx90a,gfx940,gfx942,gfx950$/m);
  });

  it('adds a GPU present on the host that the compiler knows, and warns about one it does not', async () => {
    const known = await choose(['gfx90a', 'gfx942', 'gfx1100'], ['gfx1100']);
    expect(known.stdout).toMatch(/tppverify hip targets: gfx90a,gfx942,gfx1100$/m);
    const unknown = await choose(['gfx90a', 'gfx940'], ['gfx942']);
    expect(unknown.exitCode).toBe(0);
    expect(unknown.stdout).toMatch(/tppverify hip targets: gfx90a,gfx940$/m);
    expect(oneLine(unknown.stderr)).toMatch(/this host has a gfx942 GPU, but .*hipcc cannot compile for it/);
  });

  it('fails, naming the way out, when the compiler knows none of them', async () => {
    const run = await choose([], null);
    expect(run.exitCode).not.toBe(0);
    expect(oneLine(run.stderr)).toMatch(/compiles for none of gfx90a;gfx940;gfx942;gfx950: set TPPVERIFY_HIP_TARGETS or TPPVERIFY_HIP=OFF/);
  });
});
