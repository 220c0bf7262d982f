// Instruction counts per loop trip in the SASS of the built addon, where a
// disassembler is present (cuobjdump: the CUDA toolkit's, or the one named by
// TPPVERIFY_CUOBJDUMP; CUDA 13's nvcc here ships none, see
// ../shared/reference/toolchain.md for a copy from Debian's packages). What
// it proves: every tensor and FMA chain really is issued, no compiler merged
// chains, and the wgmma loop never waits inside a period.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addonPath, loadAddon } from '../../benchmarks/native-addon.js';

const EM_CUDA = 190;

/**
 * cuobjdump: the one TPPVERIFY_CUOBJDUMP names, the CUDA toolkit's, or Debian's
 * 12.4 fetched into .cache/ by benchmarks/scripts/fetch-cuobjdump.sh (which
 * .ci/run calls, so CI always has one and this test never skips there).
 */
function findCuobjdump(): string | undefined {
  const named = process.env['TPPVERIFY_CUOBJDUMP'];
  if (named) return named;
  const found = spawnSync('sh', ['-c', 'command -v cuobjdump'], { encoding: 'utf8' });
  if (found.status === 0) return found.stdout.trim();
  const script = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../benchmarks/scripts/fetch-cuobjdump.sh');
  const fetched = spawnSync('bash', [script], { encoding: 'utf8', timeout: 300_000 });
  return fetched.status === 0 ? fetched.stdout.trim() : undefined;
}

/** Every cubin in the addon, cut at the end of its last section or header table. */
function cubins(binary: Buffer): { sm: number; bytes: Buffer }[] {
  const out: { sm: number; bytes: Buffer }[] = [];
  for (let at = binary.indexOf('\x7fELF'); at >= 0; at = binary.indexOf('\x7fELF', at + 1)) {
    if (binary[at + 4] !== 2 || binary.readUInt16LE(at + 18) !== EM_CUDA) continue;
    const phoff = Number(binary.readBigUInt64LE(at + 32));
    const shoff = Number(binary.readBigUInt64LE(at + 40));
    const [phent, phnum, shent, shnum] = [54, 56, 58, 60].map((o) => binary.readUInt16LE(at + o)) as [number, number, number, number];
    let end = Math.max(shoff + shnum * shent, phoff + phnum * phent);
    for (let s = 0; s < shnum; s++) {
      const h = at + shoff + s * shent;
      const SHT_NOBITS = 8;
      if (binary.readUInt32LE(h + 4) === SHT_NOBITS) continue;
      end = Math.max(end, Number(binary.readBigUInt64LE(h + 24)) + Number(binary.readBigUInt64LE(h + 32)));
    }
    out.push({ sm: (binary.readUInt32LE(at + 48) >> 8) & 0xff, bytes: binary.subarray(at, at + end) });
  }
  return out;
}

interface Loop {
  /** Instruction mnemonics (first word, predicate dropped) from the branch target to the backward branch. */
  ops: string[];
  /** Destination registers of the matrix and FMA instructions in it. */
  destinations: string[];
  nested: boolean;
}

const COUNTED = /^(HMMA|IMMA|QMMA|DMMA|HGMMA|QGMMA|IGMMA|DFMA|FFMA)/;

/** function name → its loops (each backward branch closes one). */
function loops(sass: string): Map<string, Loop[]> {
  const out = new Map<string, Loop[]>();
  for (const chunk of sass.split(/\n\s*Function : /).slice(1)) {
    const name = chunk.slice(0, chunk.indexOf('\n')).trim();
    const code = [...chunk.matchAll(/\/\*([0-9a-f]{4,})\*\/\s+(?:@!?U?P\w+\s+)?([^;]*);/g)].map((m) => ({ addr: parseInt(m[1]!, 16), text: m[2]!.trim() }));
    const spans: [number, number][] = [];
    for (const { addr, text } of code) {
      const target = /^BRA\s+(?:\S+\s+)?0x([0-9a-f]+)/.exec(text);
      if (target && parseInt(target[1]!, 16) < addr) spans.push([parseInt(target[1]!, 16), addr]);
    }
    out.set(
      name,
      spans.map(([from, to]) => {
        const body = code.filter((c) => c.addr >= from && c.addr <= to);
        return {
          ops: body.map((c) => c.text.split(/\s+/)[0]!),
          destinations: body.filter((c) => COUNTED.test(c.text)).map((c) => c.text.split(/\s+/)[1]!.replace(/,$/, '')),
          nested: spans.some(([f, t]) => f >= from && t <= to && (f !== from || t !== to)),
        };
      }),
    );
  }
  return out;
}

const count = (ops: string[], pattern: RegExp) => ops.filter((op) => pattern.test(op)).length;
/** The innermost loops that issue the instructions `pattern` matches. */
const innermost = (fn: Loop[], pattern: RegExp) => fn.filter((l) => !l.nested && count(l.ops, pattern) > 0);

const cuobjdump = findCuobjdump();
const cudaBuilt = loadAddon().listBackends().find((b) => b.backend === 'cuda')?.built === true;
const scratch = mkdtempSync(path.join(tmpdir(), 'tppverify-sass-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!cudaBuilt || !cuobjdump)('SASS of the CUDA kernels (needs cuobjdump)', () => {
  const bySm = new Map<number, Map<string, Loop[]>>();
  beforeAll(() => {
    // cuobjdump 12.4 (Debian's) does not know sm_100; the checks below cover sm_80, sm_89 and sm_90a.
    cubins(readFileSync(addonPath())).forEach((cubin, i) => {
      if (![80, 89, 90].includes(cubin.sm)) return;
      const file = path.join(scratch, `${i}.cubin`);
      writeFileSync(file, cubin.bytes);
      const sass = execFileSync(cuobjdump!, ['-sass', file], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
      const merged = bySm.get(cubin.sm) ?? new Map<string, Loop[]>();
      for (const [name, l] of loops(sass)) merged.set(name, l);
      bySm.set(cubin.sm, merged);
    });
  });
  const kernels = (sm: number, part: string) => [...(bySm.get(sm) ?? new Map<string, Loop[]>()).entries()].filter(([name]) => name.includes(part));

  // A code variant's count from the mangled name: wgmmaKernel<Op, 4> is "…ELi4EEE", mmaKernel<F16, 6> "…ELi6EEE".
  const variantCount = (name: string) => Number(/Li(\d+)E/.exec(name)?.[1] ?? NaN);

  it('wgmma: each trip of the inner loop is one warpgroup.arrive and the variant\'s wgmmas, with no wait; one wait per period', () => {
    const found = kernels(90, 'wgmmaKernel');
    // Five formats × three shapes × three code variants (4, 2 or 8 wgmmas per trip).
    expect(found).toHaveLength(45);
    expect(new Set(found.map(([name]) => variantCount(name)))).toEqual(new Set([4, 2, 8]));
    for (const [name, fn] of found) {
      const trips = innermost(fn, /^(HGMMA|QGMMA|IGMMA)/);
      expect(trips, name).toHaveLength(1);
      const trip = trips[0]!.ops;
      expect(count(trip, /^(HGMMA|QGMMA|IGMMA)/), name).toBe(variantCount(name));
      expect(count(trip, /^WARPGROUP\.ARRIVE/), name).toBe(1);
      expect(count(trip, /DEPBAR/), name).toBe(0);
      const period = fn.find((l) => l.nested && count(l.ops, /^(HGMMA|QGMMA|IGMMA)/) > 0)!;
      expect(count(period.ops, /^WARPGROUP\.DEPBAR/), name).toBe(1);
    }
  });

  it.each([80, 89, 90])('sm_%i mma.sync and FMA chains: at least the variant\'s distinct accumulators per loop, a whole number of iterations', (sm) => {
    const checked = [
      ...kernels(sm, '9mmaKernel').filter(([name]) => !name.includes('3FP8E') || sm === 89).filter(([name]) => !name.includes('F64K16') || sm === 90),
      ...kernels(sm, 'fmaChainKernel'),
    ];
    // sm_80: five mma.sync kernels (no FP8, no m16n8k16 FP64) × three code variants (8, 4 or 6 accumulators)
    // and six FMA chains (FP64, FP32 × three code variants: 8, 12 or 16 chains); sm_89 adds FP8, sm_90 the m16n8k16 FP64.
    expect(checked).toHaveLength(sm === 80 ? 21 : 24);
    for (const [name, fn] of checked) {
      const chains = variantCount(name);
      expect(name.includes('fmaChainKernel') ? [8, 12, 16] : [8, 4, 6], name).toContain(chains);
      const loopsWithWork = innermost(fn, COUNTED);
      expect(loopsWithWork.length, name).toBeGreaterThan(0);
      for (const loop of loopsWithWork) {
        const issued = count(loop.ops, COUNTED);
        expect(issued % chains, `${name}: ${issued}`).toBe(0);
        // The variant's chains at least (renaming across an unrolled loop may add registers); merged chains would show fewer.
        expect(new Set(loop.destinations).size, name).toBeGreaterThanOrEqual(chains);
      }
    }
  });

  it('sm_90a holds no FP8 mma.sync (a trap), so no emulation is measured', () => {
    const [fp8] = kernels(90, 'mmaKernelINS1_3FP8E');
    expect(fp8).toBeDefined();
    for (const loop of fp8![1]) expect(count(loop.ops, /MMA/)).toBe(0);
  });
});
