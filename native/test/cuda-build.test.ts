// The built addon carries GPU code for every architecture the README claims.
// CUDA cubins are ELF files (e_machine 190) embedded in the addon's fatbinary;
// bits 8–15 of e_flags hold the SM version.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonPath, loadAddon } from '../../benchmarks/native-addon.js';

const EM_CUDA = 190;
const CLAIMED_SM_VERSIONS = [80, 89, 90, 100];

interface Cubin {
  sm: number;
  bytes: Buffer;
}

/** Sizes of the ELF sections whose names contain `part` (ELF64 section headers, little endian). */
function sectionSizes(elf: Buffer, part: string): number[] {
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const header = (i: number) => shoff + i * shentsize;
  const names = Number(elf.readBigUInt64LE(header(shstrndx) + 0x18));
  const sizes: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const nameAt = names + elf.readUInt32LE(header(i));
    const name = elf.toString('latin1', nameAt, elf.indexOf(0, nameAt));
    if (name.startsWith('.text.') && name.includes(part)) sizes.push(Number(elf.readBigUInt64LE(header(i) + 0x20)));
  }
  return sizes;
}

function embeddedCubins(binary: Buffer): Cubin[] {
  const found: Cubin[] = [];
  for (let at = binary.indexOf('\x7fELF'); at >= 0; at = binary.indexOf('\x7fELF', at + 1)) {
    if (binary[at + 4] !== 2 || binary.readUInt16LE(at + 18) !== EM_CUDA) continue;
    const flags = binary.readUInt32LE(at + 48);
    // Section headers end the ELF image: e_shoff + e_shnum × e_shentsize.
    const end = Number(binary.readBigUInt64LE(at + 40)) + binary.readUInt16LE(at + 60) * binary.readUInt16LE(at + 58);
    found.push({ sm: (flags >> 8) & 0xff, bytes: binary.subarray(at, at + end) });
  }
  return found;
}

const cudaBuilt = loadAddon().listBackends().find((b) => b.backend === 'cuda')?.built === true;

describe.skipIf(!cudaBuilt)('CUDA code in the addon', () => {
  const cubins = embeddedCubins(readFileSync(addonPath()));

  it.each(CLAIMED_SM_VERSIONS)('holds a cubin for sm_%i', (sm) => {
    expect(cubins.map((c) => c.sm)).toContain(sm);
  });

  it('carries real wgmma kernels in the sm_90a code, and only a trap elsewhere', () => {
    const largest = (sm: number) => Math.max(0, ...cubins.filter((c) => c.sm === sm).flatMap((c) => sectionSizes(c.bytes, 'wgmmaKernel')));
    // 45 wgmma kernels (five formats × three shapes × three code variants), each a loop with its checks: kilobytes of code.
    expect(largest(90)).toBeGreaterThan(2048);
    for (const sm of [80, 89, 100]) expect(largest(sm), `sm_${sm}`).toBeLessThan(largest(90) / 4);
  });

  it('carries real tcgen05 kernels in the sm_100a code, and only a trap elsewhere', () => {
    const largest = (sm: number) => Math.max(0, ...cubins.filter((c) => c.sm === sm).flatMap((c) => sectionSizes(c.bytes, 'tcgen05Kernel')));
    // Twelve kernels (f16, tf32, f8f6f4, i8 × three code variants): TMEM allocation, the issue loop, the barrier wait and the TMEM read-back.
    expect(largest(100)).toBeGreaterThan(2048);
    for (const sm of [80, 89, 90]) expect(largest(sm), `sm_${sm}`).toBeLessThan(largest(100) / 4);
  });

  it('carries the mma.sync and bandwidth kernels for every claimed architecture', () => {
    for (const sm of CLAIMED_SM_VERSIONS) {
      const code = cubins.filter((c) => c.sm === sm);
      expect(code.some((c) => c.bytes.includes('mmaKernel')), `sm_${sm}`).toBe(true);
      expect(code.some((c) => c.bytes.includes('triadKernel')), `sm_${sm}`).toBe(true);
    }
  });

  const gateCompile = (fixture: string, gate: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'tppverify-gate-'));
    try {
      return execFileSync(
        gate ? 'native/cuda/tools/ptxas-gate.sh' : 'nvcc',
        [...(gate ? ['nvcc'] : []), '-std=c++17', '-gencode', 'arch=compute_90a,code=sm_90a', '-Xptxas=-v', '-Xptxas=-Werror',
          '-c', `native/test/fixtures/${fixture}`, '-o', join(dir, 'out.o')],
        { encoding: 'utf8', stdio: 'pipe' },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('fails a compile whose wgmma loop ptxas serializes (C7515), which ptxas itself only reports as info', () => {
    // ptxas alone exits 0 on it: the gate is what stops the build.
    expect(() => gateCompile('serialized-wgmma.cu', false)).not.toThrow();
    expect(() => gateCompile('serialized-wgmma.cu', true)).toThrow(/serialized wgmma instructions \(C751\d(\/C751\d)*\) in native\/test\/fixtures\/serialized-wgmma\.cu/);
  }, 60_000);

  it('fails a compile into which ptxas injects warpgroup.arrive (C7519), also only an info to ptxas', () => {
    expect(() => gateCompile('injected-arrive-wgmma.cu', false)).not.toThrow();
    expect(() => gateCompile('injected-arrive-wgmma.cu', true)).toThrow(/injected warpgroup\.arrive \(C7519\) in native\/test\/fixtures\/injected-arrive-wgmma\.cu/);
  }, 60_000);

  it('carries no emulated FP8 mma.sync in the sm_90a code (a trap there), the real one in sm_89', () => {
    // mmaKernel<FP8>: the mangled name holds "INS1_3FP8E" (F16: "INS1_3F16E").
    const fp8 = (sm: number) => Math.max(0, ...cubins.filter((c) => c.sm === sm).flatMap((c) => sectionSizes(c.bytes, 'mmaKernelINS1_3FP8E')));
    const fp16 = (sm: number) => Math.max(0, ...cubins.filter((c) => c.sm === sm).flatMap((c) => sectionSizes(c.bytes, 'mmaKernelINS1_3F16E')));
    expect(fp16(90)).toBeGreaterThan(1024);
    expect(fp8(89)).toBeGreaterThan(1024);
    expect(fp8(90), `sm_90a ${fp8(90)} bytes, sm_89 ${fp8(89)}`).toBeLessThan(fp8(89) / 2);
  });

  it('carries every tensor kernel in its three code variants (the run plan draws one per format)', () => {
    const sections = (sm: number, part: string) => cubins.filter((c) => c.sm === sm).flatMap((c) => sectionSizes(c.bytes, part));
    for (const sm of CLAIMED_SM_VERSIONS) {
      // mmaKernel<F16, 8, 4 or 6 accumulators per warp>: "…INS1_3F16ELi8EEE".
      for (const chains of [8, 4, 6]) expect(sections(sm, `mmaKernelINS1_3F16ELi${chains}E`), `sm_${sm} F16 ${chains}`).toHaveLength(1);
      expect(sections(sm, '9mmaKernel'), `sm_${sm}`).toHaveLength(7 * 3);
    }
    // wgmma: five formats × three shapes × 4, 2 or 8 per trip; tcgen05: four kinds × 4, 2 or 8 per trip.
    expect(sections(90, 'wgmmaKernel')).toHaveLength(45);
    for (const perTrip of [4, 2, 8]) expect(sections(90, `wgmmaKernelINS0_5wgmma8BF16N256ELi${perTrip}E`), `BF16N256 ${perTrip}`).toHaveLength(1);
    expect(sections(100, 'tcgen05Kernel')).toHaveLength(12);
  });

  it('carries the FP64 and FP32 CUDA-core chains, in their three code variants, for every claimed architecture', () => {
    for (const sm of CLAIMED_SM_VERSIONS) {
      const sizes = cubins.filter((c) => c.sm === sm).flatMap((c) => sectionSizes(c.bytes, 'fmaChainKernel'));
      expect(sizes.length, `sm_${sm}`).toBe(6);
      expect(Math.min(...sizes), `sm_${sm}`).toBeGreaterThan(1024);
    }
  });
});
