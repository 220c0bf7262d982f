// The HIP backend's shared object carries AMD GPU code objects for its
// targets (ELF e_machine 224; e_flags & 0xff is the gfx target, 0x3f = gfx90a).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonPath, loadAddon } from '../../benchmarks/native-addon.js';

const EM_AMDGPU = 224;
const EF_AMDGPU_MACH_GFX90A = 0x3f;
const EF_AMDGPU_MACH_GFX940 = 0x40;
const hipLibrary = path.join(path.dirname(addonPath()), 'libtppverify_hip.so');
const hipBuilt = loadAddon().listBackends().find((b) => b.backend === 'hip')?.built === true;

function codeObjects(binary: Buffer): { mach: number; bytes: Buffer }[] {
  const found: { mach: number; bytes: Buffer }[] = [];
  for (let at = binary.indexOf('\x7fELF'); at >= 0; at = binary.indexOf('\x7fELF', at + 1)) {
    if (binary[at + 4] !== 2 || binary.readUInt16LE(at + 18) !== EM_AMDGPU) continue;
    const end = Number(binary.readBigUInt64LE(at + 40)) + binary.readUInt16LE(at + 60) * binary.readUInt16LE(at + 58);
    found.push({ mach: binary.readUInt32LE(at + 48) & 0xff, bytes: binary.subarray(at, at + end) });
  }
  return found;
}

describe.skipIf(!hipBuilt)('HIP code in libtppverify_hip.so', () => {
  it('holds a gfx90a code object with the bandwidth and MFMA kernels', () => {
    expect(existsSync(hipLibrary)).toBe(true);
    const gfx90a = codeObjects(readFileSync(hipLibrary)).filter((o) => o.mach === EF_AMDGPU_MACH_GFX90A);
    expect(gfx90a.length).toBeGreaterThan(0);
    expect(gfx90a.some((o) => o.bytes.includes('streamKernel'))).toBe(true);
    expect(gfx90a.some((o) => o.bytes.includes('mfmaKernel'))).toBe(true);
  });

  it('holds a gfx940 (CDNA3) code object as well, by default', () => {
    const machs = codeObjects(readFileSync(hipLibrary)).map((o) => o.mach);
    expect(machs).toContain(EF_AMDGPU_MACH_GFX940);
  });
});
