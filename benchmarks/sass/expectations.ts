// What ptxas must emit for each throughput kernel, as data: per architecture,
// the tensor opcode and how many of them one trip of the kernel's innermost
// loop holds. The counts follow from the sources (native/cuda/tensor.cu,
// wgmma.cu); change them together with the kernels.
import { FMA_MNEMONICS, type KernelCounts, type LoopCounts } from './sass.js';

export interface KernelExpectation {
  /** Short kernel name as sass.ts prints it, e.g. "mmaKernel<F16>". */
  kernel: string;
  archs: readonly string[];
  /**
   * Accepted spellings of the one tensor opcode in the loop (cuobjdump writes
   * DMMA.884 for sm_80/89 and DMMA.8x8x4 for sm_90a); DFMA or FFMA for a
   * CUDA-core chain. Empty: the kernel must hold no tensor instruction at all
   * on these architectures (a trap stub).
   */
  opcodes: readonly string[];
  /** Tensor instructions per trip of the innermost loop. */
  perTrip: number;
  /** wgmma only: at most this many WARPGROUP.ARRIVE (the trip's own fence) and WARPGROUP.DEPBAR per trip. */
  maxArrivePerTrip?: number;
  maxDepbarPerTrip?: number;
  why: string;
}

const MMA_ARCHS = ['sm_80', 'sm_89', 'sm_90a'] as const;
// tensor.cu kMmaAccumulatorsOfVariant: 8, 4 or 6 accumulators per warp (the
// run plan's code variants, mmaKernel<Op, chains>) × `#pragma unroll 2` of the period loop.
const MMA_CHAINS = [8, 4, 6] as const;
const MMA_UNROLL = 2;
// wgmma.cu kWgmmaPerTripOfVariant: 4, 2 or 8 wgmmas into one accumulator per trip (wgmmaKernel<Op, perTrip>).
const WGMMA_PER_TRIP = [4, 2, 8] as const;
// tcgen05.cu kMmaPerTripOfVariant (tcgen05Kernel<kind, Acc, perTrip>; sm_100a is not disassembled here, only the stubs).
const TCGEN05_PER_TRIP = [4, 2, 8] as const;
// tensor.cu kFmaChainsOfVariant: 8, 12 or 16 FMA chains (the run plan's code variants) × an unroll of 16 per trip.
const FMA_CHAINS = [8, 12, 16] as const;
const FMA_UNROLL = 16;
// One fence per trip is the kernel's own (wgmma.fence); a second is ptxas's (C7519).
const WGMMA_MAX_ARRIVE = 1;
// A wait (WARPGROUP.DEPBAR) inside the loop drains the tensor pipe every trip: none belongs there.
const WGMMA_MAX_DEPBAR = 0;

const stub = (kernel: string, archs: readonly string[], why: string): KernelExpectation => ({ kernel, archs, opcodes: [], perTrip: 0, why });
// One expectation per code variant: mmaKernel<op, chains>, chains × the unroll per trip.
const mma = (op: string, opcodes: string[], why: string, archs: readonly string[] = MMA_ARCHS): KernelExpectation[] =>
  MMA_CHAINS.map((chains) => ({ kernel: `mmaKernel<${op}, ${chains}>`, archs, opcodes, perTrip: chains * MMA_UNROLL, why: `${why}, ${chains} accumulators per warp` }));
const mmaStub = (op: string, archs: readonly string[], why: string): KernelExpectation[] =>
  MMA_CHAINS.map((chains) => stub(`mmaKernel<${op}, ${chains}>`, archs, why));

const WGMMA_SHAPES = [64, 128, 256] as const;
const WGMMA_FORMATS = [
  { op: 'F16', opcode: (n: number) => `HGMMA.64x${n}x16.F32` },
  { op: 'BF16', opcode: (n: number) => `HGMMA.64x${n}x16.F32.BF16` },
  { op: 'TF32', opcode: (n: number) => `HGMMA.64x${n}x8.F32.TF32` },
  { op: 'E4M3', opcode: (n: number) => `QGMMA.64x${n}x32.F32.E4M3.E4M3` },
  { op: 'S8', opcode: (n: number) => `IGMMA.64x${n}x32.S8.S8` },
] as const;

export const EXPECTATIONS: readonly KernelExpectation[] = [
  ...mma('F16', ['HMMA.16816.F32'], 'm16n8k16 f16 → f32, one HMMA per mma.sync'),
  ...mma('BF16', ['HMMA.16816.F32.BF16'], 'm16n8k16 bf16 → f32'),
  ...mma('TF32', ['HMMA.1688.F32.TF32'], 'm16n8k8 tf32 → f32'),
  ...mma('INT8', ['IMMA.16832.S8.S8'], 'm16n8k32 s8 → s32'),
  ...mma('F64K4', ['DMMA.884', 'DMMA.8x8x4'], 'm8n8k4 f64'),
  ...mma('F64K16', ['DMMA.16x8x16'], 'm16n8k16 f64 (sm_90 only)', ['sm_90a']),
  ...mmaStub('F64K16', ['sm_80', 'sm_89'], 'm16n8k16 f64 needs sm_90'),
  ...mma('FP8', ['QMMA.16832.F32.E4M3.E4M3'], 'e4m3 mma.sync runs natively on sm_89', ['sm_89']),
  ...mmaStub('FP8', ['sm_80'], 'e4m3 mma.sync needs sm_89'),
  // ptxas emulates e4m3 mma.sync on sm_90a (F2FP + HMMA): FP8's tensor path there is wgmma (issue 12 §2).
  ...mmaStub('FP8', ['sm_90a'], 'e4m3 mma.sync on sm_90 is emulated, not a tensor-core rate'),
  ...WGMMA_SHAPES.flatMap((n) =>
    WGMMA_FORMATS.flatMap(({ op, opcode }) =>
      WGMMA_PER_TRIP.flatMap((perTrip) => [
        {
          kernel: `wgmmaKernel<${op}N${n}, ${perTrip}>`,
          archs: ['sm_90a'],
          opcodes: [opcode(n)],
          perTrip,
          maxArrivePerTrip: WGMMA_MAX_ARRIVE,
          maxDepbarPerTrip: WGMMA_MAX_DEPBAR,
          why: `wgmma m64n${n}, ${perTrip} per trip`,
        },
        stub(`wgmmaKernel<${op}N${n}, ${perTrip}>`, ['sm_80', 'sm_89'], 'wgmma exists on sm_90a only'),
      ]),
    ),
  ),
  // tensor.cu fmaChainKernel<T, chains>: independent chains × an unroll of 16 per trip, on the CUDA cores, per code variant.
  ...FMA_CHAINS.flatMap((chains) => [
    { kernel: `fmaChainKernel<float, ${chains}>`, archs: MMA_ARCHS, opcodes: ['FFMA'], perTrip: chains * FMA_UNROLL, why: `FP32 FFMA, ${chains} chains (CUDA cores)` },
    { kernel: `fmaChainKernel<double, ${chains}>`, archs: MMA_ARCHS, opcodes: ['DFMA'], perTrip: chains * FMA_UNROLL, why: `FP64 DFMA, ${chains} chains (CUDA cores)` },
  ]),
  ...[0, 1, 2, 3].flatMap((kind) =>
    TCGEN05_PER_TRIP.map((perTrip) => stub(`tcgen05Kernel<MmaKind=${kind}, ${perTrip}>`, ['sm_80', 'sm_89', 'sm_90a'], 'tcgen05 exists on sm_100a only')),
  ),
];

export type Rule =
  | 'unexpected-tensor' // tensor instructions where the kernel should be a stub
  | 'no-loop' // no loop holds the expected tensor instructions
  | 'opcode' // a tensor opcode other than the expected one
  | 'per-trip' // more or fewer per trip than the source issues (merged or dropped work)
  | 'emulated' // F2FP conversions inside the tensor loop
  | 'arrive' // more WARPGROUP.ARRIVE per trip than the kernel's own fence
  | 'depbar' // WARPGROUP.DEPBAR inside the loop
  | 'no-expectation' // a kernel with tensor instructions this table does not describe
  | 'missing'; // an expected kernel absent from a disassembled architecture

export interface Violation {
  arch: string;
  kernel: string;
  rule: Rule;
  message: string;
  /** Set when the violation is one of KNOWN_DEFECTS. */
  known?: string;
}

/**
 * Defects of today's kernels that issue 12 §2 names and another change fixes.
 * The test asserts the violations equal this list exactly: when a fix lands,
 * its entries must go (the test says which), and nothing new may appear.
 */
export const KNOWN_DEFECTS: readonly { arch: string; kernel: RegExp; rule: Rule; issue: string }[] = [];

export function expectationFor(arch: string, kernel: string): KernelExpectation | undefined {
  return EXPECTATIONS.find((e) => e.kernel === kernel && e.archs.includes(arch));
}

export function checkKernel(counts: KernelCounts, expectation: KernelExpectation | undefined): Violation[] {
  const v = (rule: Rule, message: string): Violation => ({ arch: counts.arch, kernel: counts.kernel, rule, message });
  if (!expectation) {
    return counts.tensorInstructions > 0
      ? [v('no-expectation', `${counts.tensorInstructions} tensor instructions, but benchmarks/sass/expectations.ts does not describe this kernel`)]
      : [];
  }
  if (expectation.opcodes.length === 0) {
    if (counts.tensorInstructions === 0) return [];
    const found = counts.loops.map((l) => Object.entries(l.tensor).map(([op, n]) => `${n} ${op}`).join(' + ')).join('; ');
    const emulated = counts.loops.some((l) => l.conversions > 0) ? ', with F2FP conversions (emulated)' : '';
    return [v('unexpected-tensor', `${counts.tensorInstructions} tensor instructions (${found || 'outside loops'} per trip${emulated}) where none belong: ${expectation.why}`)];
  }
  const out: Violation[] = [];
  // FP64/FP32 chains on the CUDA cores are checked the same way, on their DFMA/FFMA.
  const fmaKernel = expectation.opcodes.every((op) => FMA_MNEMONICS.has(op.split('.')[0] ?? ''));
  const counted = (l: LoopCounts) => (fmaKernel ? l.fma : l.tensor);
  const total = (l: LoopCounts) => Object.values(counted(l)).reduce((a, b) => a + b, 0);
  const loops = counts.loops.filter((l) => total(l) > 0);
  if (loops.length === 0) return [v('no-loop', `no loop holds ${expectation.opcodes.join(' or ')} (${counts.tensorInstructions} tensor instructions in all)`)];
  for (const loop of loops) {
    const where = `loop 0x${loop.start.toString(16)}–0x${loop.end.toString(16)}`;
    for (const [opcode, n] of Object.entries(counted(loop))) {
      if (!expectation.opcodes.includes(opcode)) out.push(v('opcode', `${where}: ${n} × ${opcode}, expected ${expectation.opcodes.join(' or ')}`));
    }
    if (total(loop) !== expectation.perTrip) {
      out.push(v('per-trip', `${where}: ${total(loop)} ${fmaKernel ? 'FMA' : 'tensor'} instructions per trip, the source issues ${expectation.perTrip} (${total(loop) < expectation.perTrip ? 'ptxas merged or dropped work' : 'more than counted'})`));
    }
    if (loop.conversions > 0) out.push(v('emulated', `${where}: ${loop.conversions} F2FP conversions per trip: ptxas emulates the format`));
    if (expectation.maxArrivePerTrip !== undefined && loop.warpgroupArrive > expectation.maxArrivePerTrip) {
      out.push(v('arrive', `${where}: ${loop.warpgroupArrive} WARPGROUP.ARRIVE per trip (at most ${expectation.maxArrivePerTrip}: ptxas injected fences, C7519)`));
    }
    if (expectation.maxDepbarPerTrip !== undefined && loop.warpgroupDepbar > expectation.maxDepbarPerTrip) {
      out.push(v('depbar', `${where}: ${loop.warpgroupDepbar} WARPGROUP.DEPBAR per trip: the loop waits for its wgmmas, draining the tensor pipe every ${loop.tensorTotal}`));
    }
  }
  return out;
}

/** Every violation over the disassembled architectures, known defects labelled. */
export function checkAll(kernels: readonly KernelCounts[], archs: readonly string[]): Violation[] {
  const out = kernels.flatMap((k) => checkKernel(k, expectationFor(k.arch, k.kernel)));
  for (const arch of archs) {
    for (const e of EXPECTATIONS.filter((x) => x.archs.includes(arch))) {
      if (!kernels.some((k) => k.arch === arch && k.kernel === e.kernel)) {
        out.push({ arch, kernel: e.kernel, rule: 'missing', message: `${e.kernel} is not in the ${arch} code` });
      }
    }
  }
  for (const violation of out) {
    const known = KNOWN_DEFECTS.find((d) => d.arch === violation.arch && d.rule === violation.rule && d.kernel.test(violation.kernel));
    if (known) violation.known = known.issue;
  }
  return out;
}
