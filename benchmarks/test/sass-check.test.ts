// The SASS check: the listing parser and loop counter on small listings, then
// the real built addon through cuobjdump 12.4 (Debian trixie's, fetched into
// .cache/ by benchmarks/scripts/fetch-cuobjdump.sh, which .ci/run calls).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonPath, loadAddon } from '../native-addon.js';
import { analyzeFunction, parseSass, shortKernelName } from '../sass/sass.js';
import { checkAll, checkKernel, EXPECTATIONS, expectationFor, KNOWN_DEFECTS } from '../sass/expectations.js';
import { checkAddon, findCuobjdump, type SassReport } from '../sass/cli.js';

const root = path.resolve(import.meta.dirname, '..', '..');

/** A cuobjdump-shaped listing of one function. */
function listing(arch: string, mangled: string, body: string[]): string {
  const lines = body.map((text, i) => `        /*${(i * 16).toString(16).padStart(4, '0')}*/                   ${text} ;   /* 0x000000000000 */`);
  return `Fatbin elf code:\n================\narch = ${arch}\n\n\tcode for ${arch.replace(/a$/, '')}\n\t\tFunction : ${mangled}\n${lines.join('\n')}\n`;
}

// Code variant 0 of each: wgmmaKernel<BF16N256, 4 per trip>, mmaKernel<F16, 8 accumulators>.
const WGMMA_BF16_N256 = '_ZN9tppverify4cuda40_GLOBAL__N__417d3335_8_wgmma_cu_7990389411wgmmaKernelINS0_5wgmma8BF16N256ELi4EEEvjmPNS0_11BlockRecordEi';
const MMA_F16 = '_ZN9tppverify4cuda41_GLOBAL__N__8d3234df_9_tensor_cu_9a12cdd59mmaKernelINS1_3F16ELi8EEEvmPNS0_11BlockRecordEi';

describe('SASS listing parser', () => {
  it('names kernels from their mangled names', () => {
    expect(shortKernelName(WGMMA_BF16_N256)).toBe('wgmmaKernel<BF16N256, 4>');
    expect(shortKernelName(MMA_F16)).toBe('mmaKernel<F16, 8>');
    // Without the variant's count (the names before code variants) the short name has none.
    expect(shortKernelName('_ZN9tppverify4cuda41_GLOBAL__N__8d3234df_9_tensor_cu_9a12cdd59mmaKernelINS1_3F16EjEEvT0_S4_mPNS0_11BlockRecordEi')).toBe('mmaKernel<F16>');
    expect(shortKernelName('_ZN9tppverify4cuda43_GLOBAL__N__867aff4c_10_tcgen05_cu_718308bf13tcgen05KernelILNS1_7MmaKindE3EiLi8EEEvjjiimPNS0_11BlockRecordEiT0_'))
      .toBe('tcgen05Kernel<MmaKind=3, 8>');
    expect(shortKernelName('_ZN9tppverify4cuda45_GLOBAL__N__d9afc48e_12_bandwidth_cu_4983771e10readKernelEPK7double2mPd')).toBe('readKernel');
    expect(shortKernelName('_ZN9tppverify4cuda41_GLOBAL__N__0cae06e9_9_tensor_cu_9a12cdd514fmaChainKernelIdEEvmPNS0_11BlockRecordEi')).toBe('fmaChainKernel<double>');
    expect(shortKernelName('_ZN9tppverify4cuda41_GLOBAL__N__0cae06e9_9_tensor_cu_9a12cdd514fmaChainKernelIfLi12EEEvmPNS0_11BlockRecordEi')).toBe('fmaChainKernel<float, 12>');
  });

  it('counts the innermost loop only, ignores the idle branch after EXIT, and flags a drain inside the wgmma loop', () => {
    const text = listing('sm_90a', WGMMA_BF16_N256, [
      'WARPGROUP.ARRIVE', // 0x00: the period's fence, outside the trip loop
      'HGMMA.64x256x16.F32.BF16 R24, gdesc[UR8], R24, UP0', // 0x10: trip loop starts here
      'HGMMA.64x256x16.F32.BF16 R24, gdesc[UR8], R24',
      'HGMMA.64x256x16.F32.BF16 R24, gdesc[UR8], R24',
      'HGMMA.64x256x16.F32.BF16 R24, gdesc[UR8], R24, gsb0',
      'WARPGROUP.DEPBAR.LE gsb0, 0x0',
      '@P0 BRA 0x10', // 0x60: back to the trip loop
      'FSETP.NEU.AND P1, PT, R25, 1024, PT',
      '@P1 BRA 0x0', // 0x80: the outer period loop
      'EXIT',
      'BRA 0xa0', // 0xa0: the idle branch to itself
    ]);
    const [fn] = parseSass(text);
    expect(fn?.arch).toBe('sm_90a');
    const counts = analyzeFunction(fn!);
    expect(counts.loops).toHaveLength(1);
    expect(counts.loops[0]).toMatchObject({ start: 0x10, end: 0x60, tensorTotal: 4, warpgroupArrive: 0, warpgroupDepbar: 1 });
    const violations = checkKernel(counts, expectationFor('sm_90a', 'wgmmaKernel<BF16N256, 4>'));
    expect(violations.map((v) => v.rule)).toEqual(['depbar']);
  });

  it('catches merged accumulators (fewer MMAs per trip than the source issues) and emulation', () => {
    const text = listing('sm_90a', MMA_F16, [
      'F2FP.F16.E4M3.UNPACK_B R16, UR10',
      'HMMA.16816.F32 R12, R12, R16, RZ',
      'HMMA.16816.F32 R12, R16, R26, R12',
      '@P0 BRA 0x0',
    ]);
    const counts = analyzeFunction(parseSass(text)[0]!);
    const rules = checkKernel(counts, expectationFor('sm_90a', 'mmaKernel<F16, 8>')).map((v) => v.rule);
    expect(rules).toEqual(['per-trip', 'emulated']);
  });

  it('passes a loop with what the source issues, and reports an expected kernel that is missing', () => {
    const text = listing('sm_80', MMA_F16, [...Array.from({ length: 16 }, () => 'HMMA.16816.F32 R4, R36, R42, R4'), '@P0 BRA 0x0']);
    const counts = parseSass(text).map(analyzeFunction);
    const violations = checkAll(counts, ['sm_80']);
    expect(violations.filter((v) => v.kernel === 'mmaKernel<F16, 8>')).toEqual([]);
    expect(violations.some((v) => v.kernel === 'mmaKernel<BF16, 8>' && v.rule === 'missing')).toBe(true);
    // Another code variant is another kernel, with its own count: 16 HMMAs per trip are not the 4-accumulator variant's 8.
    const four = parseSass(text.replace('ELi8EEE', 'ELi4EEE')).map(analyzeFunction);
    expect(four[0]?.kernel).toBe('mmaKernel<F16, 4>');
    expect(checkAll(four, ['sm_80']).filter((v) => v.kernel === 'mmaKernel<F16, 4>').map((v) => v.rule)).toEqual(['per-trip']);
  });
});

const cudaBuilt = loadAddon().listBackends().find((b) => b.backend === 'cuda')?.built === true;

/** Debian's cuobjdump, fetched when missing; a failure to get it fails the test with the reason. */
function disassembler(): string {
  const found = findCuobjdump();
  if (found) return found;
  try {
    return execFileSync('bash', [path.join(root, 'benchmarks', 'scripts', 'fetch-cuobjdump.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }).trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`the SASS check needs cuobjdump and could not fetch it (benchmarks/scripts/fetch-cuobjdump.sh): ${stderr.trim()}`);
  }
}

describe.skipIf(!cudaBuilt)('SASS of the built addon', () => {
  let report: SassReport;
  const get = () => (report ??= checkAddon(disassembler(), addonPath()));
  const loopOf = (arch: string, kernel: string) => get().kernels.find((k) => k.arch === arch && k.kernel === kernel)?.loops;

  it('disassembles the sm_80, sm_89 and sm_90a code', () => {
    const r = get();
    for (const arch of ['sm_80', 'sm_89', 'sm_90']) expect(r.archs[arch], arch).toBe('ok');
    // Every expectation for those architectures found its kernel.
    expect(r.violations.filter((v) => v.rule === 'missing')).toEqual([]);
    expect(r.kernels.filter((k) => k.expected !== null).length).toBe(EXPECTATIONS.reduce((n, e) => n + e.archs.filter((a) => a !== 'sm_100a').length, 0));
  }, 180_000);

  it('finds every mma.sync loop issuing what its source issues on sm_80/89/90a, in each code variant', () => {
    // Code variants: 8, 4 or 6 accumulators per warp × an unroll of 2 per trip.
    for (const chains of [8, 4, 6]) {
      for (const arch of ['sm_80', 'sm_89', 'sm_90a']) {
        for (const [op, opcode] of [['F16', 'HMMA.16816.F32'], ['BF16', 'HMMA.16816.F32.BF16'], ['TF32', 'HMMA.1688.F32.TF32'], ['INT8', 'IMMA.16832.S8.S8']] as const) {
          const kernel = `mmaKernel<${op}, ${chains}>`;
          expect(loopOf(arch, kernel)?.map((l) => l.tensor), `${arch} ${kernel}`).toEqual([{ [opcode]: 2 * chains }]);
        }
      }
      expect(loopOf('sm_89', `mmaKernel<FP8, ${chains}>`)?.map((l) => l.tensor)).toEqual([{ 'QMMA.16832.F32.E4M3.E4M3': 2 * chains }]);
      expect(loopOf('sm_90a', `mmaKernel<F64K16, ${chains}>`)?.map((l) => l.tensor)).toEqual([{ 'DMMA.16x8x16': 2 * chains }]);
    }
  }, 180_000);

  it('finds each code variant\'s wgmmas per trip (4, 2 or 8) in every wgmma kernel', () => {
    const wgmma = get().kernels.filter((k) => k.arch === 'sm_90a' && k.kernel.startsWith('wgmmaKernel<'));
    // Five formats × three shapes × three code variants.
    expect(wgmma).toHaveLength(45);
    for (const k of wgmma) expect(k.loops.map((l) => l.tensorTotal), k.kernel).toEqual([Number(/, (\d+)>$/.exec(k.kernel)?.[1])]);
  }, 180_000);

  it('shows exactly the known defects of issue 12 §2, and nothing else', () => {
    const r = get();
    const fresh = r.violations.filter((v) => !v.known);
    expect(fresh.map((v) => `${v.arch} ${v.kernel} [${v.rule}] ${v.message}`)).toEqual([]);
    // A known defect that no longer shows is fixed: remove it from KNOWN_DEFECTS.
    for (const defect of KNOWN_DEFECTS) {
      expect(r.violations.some((v) => v.known === defect.issue && v.arch === defect.arch), `fixed, remove from KNOWN_DEFECTS: ${defect.issue}`).toBe(true);
    }
  }, 180_000);
});
