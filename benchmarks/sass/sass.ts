// Reads `cuobjdump -sass` listings and counts, per kernel, the tensor
// instructions in each trip of its innermost loop: what ptxas really emits
// for a throughput kernel. A compiler that proves two MMAs identical merges
// them, and a drain inside the loop (WARPGROUP.DEPBAR) serializes wgmma; both
// are invisible in the source and in a result check, visible here.

/** Tensor (matrix) instructions, by SASS mnemonic. */
export const TENSOR_MNEMONICS = new Set([
  'HMMA', 'IMMA', 'DMMA', 'QMMA', 'BMMA', 'OMMA', // warp-level mma.sync
  'HGMMA', 'IGMMA', 'QGMMA', 'BGMMA', // warpgroup wgmma (sm_90a)
  'UTCHMMA', 'UTCIMMA', 'UTCQMMA', 'UTCOMMA', 'UTCMMA', // tcgen05 (sm_100a)
]);
/** CUDA-core multiply-adds, counted for FP64/FP32 chains. */
export const FMA_MNEMONICS = new Set(['DFMA', 'FFMA']);

export interface SassInstruction {
  address: number;
  /** e.g. "@P0", "@!UP1", or "" */
  predicate: string;
  /** The mnemonic with its modifiers, e.g. "HMMA.16816.F32.BF16". */
  opcode: string;
  /** The part before the first dot, e.g. "HMMA". */
  mnemonic: string;
  operands: string;
  /** Branch target address, for BRA. */
  target?: number;
}

export interface SassFunction {
  /** As cuobjdump names the cubin's architecture, e.g. "sm_90a". */
  arch: string;
  mangled: string;
  /** Short readable name, e.g. "mmaKernel<F16>" or "wgmmaKernel<BF16N256>". */
  kernel: string;
  instructions: SassInstruction[];
}

const INSTRUCTION = /^\s*\/\*([0-9a-f]{4,})\*\/\s+(@!?U?P(?:T|\d+)\s+)?([A-Z][A-Z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*([^;]*);/;

/** Reads a length-prefixed Itanium identifier at `at`: [identifier, next index]. */
function identifierAt(text: string, at: number): [string, number] | undefined {
  const digits = /^\d+/.exec(text.slice(at));
  if (!digits) return undefined;
  const start = at + digits[0].length;
  const length = Number(digits[0]);
  if (start + length > text.length) return undefined;
  return [text.slice(start, start + length), start + length];
}

/** Itanium C++ ABI codes of the builtin types a kernel template takes. */
const BUILTIN_TYPES: Readonly<Record<string, string>> = { f: 'float', d: 'double', i: 'int', j: 'unsigned', h: 'unsigned char', a: 'signed char' };

/**
 * A short name for a mangled kernel: the last component of its nested name,
 * plus the last identifier (and enum value) of its template arguments and
 * its int arguments (a code variant's count: mmaKernel<F16, 8>). Enough
 * to tell today's kernels apart without a demangler on the GPU host.
 */
export function shortKernelName(mangled: string): string {
  if (!mangled.startsWith('_Z')) return mangled;
  let at = mangled.startsWith('_ZN') ? 3 : 2;
  let name = '';
  for (;;) {
    const next = identifierAt(mangled, at);
    if (!next) break;
    [name, at] = next;
  }
  if (mangled[at] !== 'I') return name || mangled;
  const args = mangled.slice(at + 1);
  // A builtin type as the only template argument (Itanium ABI codes): fmaChainKernel<float>.
  const builtin = BUILTIN_TYPES[args.match(/^([a-z])E/)?.[1] ?? ''];
  if (builtin) return `${name}<${builtin}>`;
  // A builtin type and an int literal: fmaChainKernel<float, 12> (IfLi12E).
  const typeAndInt = /^([a-z])Li(\d+)E/.exec(args);
  const typed = BUILTIN_TYPES[typeAndInt?.[1] ?? ''];
  if (typeAndInt && typed) return `${name}<${typed}, ${typeAndInt[2]}>`;
  const identifiers: string[] = [];
  // An enum literal (MmaKind=3) and int literals (a code variant's count: mmaKernel<F16, 8>).
  let literal: string | undefined;
  const ints: string[] = [];
  let i = 0;
  // Identifiers inside a nested name N…E, from `from`; returns the index after its E.
  const nested = (from: number): number => {
    let j = from;
    while (j < args.length && args[j] !== 'E') {
      if (/[ST]/.test(args[j]!) && /^[ST][0-9A-Z]*_/.test(args.slice(j))) {
        j = args.indexOf('_', j) + 1;
      } else if (/\d/.test(args[j]!)) {
        const next = identifierAt(args, j);
        if (!next) return args.length;
        identifiers.push(next[0]);
        j = next[1];
      } else {
        j++;
      }
    }
    return j + 1;
  };
  // The template arguments end at the first E at this depth; the function's parameter types follow.
  while (i < args.length && args[i] !== 'E') {
    const c = args[i]!;
    if (/[ST]/.test(c) && /^[ST][0-9A-Z]*_/.test(args.slice(i))) {
      i = args.indexOf('_', i) + 1;
    } else if (c === 'N') {
      i = nested(i + 1);
    } else if (c === 'L') {
      // A literal: L <type> <value> E, the type a builtin letter or a (nested) name.
      i++;
      const builtinType = args[i] === 'i' || args[i] === 'j';
      if (args[i] === 'N') i = nested(i + 1);
      else if (/\d/.test(args[i] ?? '')) i = identifierAt(args, i)?.[1] ?? args.length;
      else i++;
      const value = /^n?\d+/.exec(args.slice(i));
      if (value) {
        if (builtinType) ints.push(value[0].replace('n', '-'));
        else literal = value[0].replace('n', '-');
        i += value[0].length;
      }
      i++;
    } else if (/\d/.test(c)) {
      const next = identifierAt(args, i);
      if (!next) break;
      identifiers.push(next[0]);
      i = next[1];
    } else {
      i++;
    }
  }
  const last = identifiers[identifiers.length - 1] ?? '?';
  return `${name}<${last}${literal !== undefined ? `=${literal}` : ''}${ints.map((n) => `, ${n}`).join('')}>`;
}

/** Every function of every cubin in a `cuobjdump -sass` listing. */
export function parseSass(listing: string): SassFunction[] {
  const functions: SassFunction[] = [];
  let arch = 'unknown';
  let current: SassFunction | undefined;
  for (const line of listing.split('\n')) {
    const archLine = /^arch = (sm_\w+)/.exec(line.trim());
    if (archLine) {
      arch = archLine[1]!;
      current = undefined;
      continue;
    }
    const fn = /Function : (\S+)/.exec(line);
    if (fn) {
      current = { arch, mangled: fn[1]!, kernel: shortKernelName(fn[1]!), instructions: [] };
      functions.push(current);
      continue;
    }
    if (!current) continue;
    const m = INSTRUCTION.exec(line);
    if (!m) continue;
    const opcode = m[3]!;
    const mnemonic = opcode.split('.')[0]!;
    const instruction: SassInstruction = {
      address: parseInt(m[1]!, 16),
      predicate: (m[2] ?? '').trim(),
      opcode,
      mnemonic,
      operands: m[4]!.trim(),
    };
    if (mnemonic === 'BRA') {
      const target = /0x([0-9a-f]+)/.exec(instruction.operands);
      if (target) instruction.target = parseInt(target[1]!, 16);
    }
    current.instructions.push(instruction);
  }
  return functions;
}

export interface LoopCounts {
  /** First and last address of the loop body (the backward branch's target and the branch). */
  start: number;
  end: number;
  /** Tensor instructions per trip, by full opcode. */
  tensor: Record<string, number>;
  tensorTotal: number;
  /** CUDA-core FMAs per trip, by full opcode. */
  fma: Record<string, number>;
  /** WARPGROUP.ARRIVE per trip: wgmma.fence, or one ptxas injected (C7519). */
  warpgroupArrive: number;
  /** WARPGROUP.DEPBAR per trip: a wait for wgmma groups, which drains the tensor pipe. */
  warpgroupDepbar: number;
  /** F2FP conversions per trip: ptxas emulating a format the unit lacks. */
  conversions: number;
}

export interface KernelCounts {
  arch: string;
  kernel: string;
  mangled: string;
  tensorInstructions: number;
  traps: number;
  /** The innermost loops that hold tensor (or, for FMA kernels, FMA) instructions. */
  loops: LoopCounts[];
}

function countLoop(body: SassInstruction[], start: number, end: number): LoopCounts {
  const counts: LoopCounts = { start, end, tensor: {}, tensorTotal: 0, fma: {}, warpgroupArrive: 0, warpgroupDepbar: 0, conversions: 0 };
  for (const i of body) {
    if (TENSOR_MNEMONICS.has(i.mnemonic)) {
      counts.tensor[i.opcode] = (counts.tensor[i.opcode] ?? 0) + 1;
      counts.tensorTotal++;
    } else if (FMA_MNEMONICS.has(i.mnemonic)) {
      counts.fma[i.opcode] = (counts.fma[i.opcode] ?? 0) + 1;
    } else if (i.opcode === 'WARPGROUP.ARRIVE') {
      counts.warpgroupArrive++;
    } else if (i.opcode.startsWith('WARPGROUP.DEPBAR')) {
      counts.warpgroupDepbar++;
    } else if (i.mnemonic === 'F2FP') {
      counts.conversions++;
    }
  }
  return counts;
}

/** Innermost loops (backward branches) holding tensor instructions, else FMA ones. */
export function analyzeFunction(fn: SassFunction): KernelCounts {
  const ranges = new Map<string, { start: number; end: number }>();
  for (const i of fn.instructions) {
    // A branch to itself is the idle loop after EXIT, not a loop of the kernel.
    if (i.target !== undefined && i.target < i.address) ranges.set(`${i.target}-${i.address}`, { start: i.target, end: i.address });
  }
  const loops = [...ranges.values()].map((r) => countLoop(fn.instructions.filter((i) => i.address >= r.start && i.address <= r.end), r.start, r.end));
  const pick = (holds: (l: LoopCounts) => boolean) => {
    const holding = loops.filter(holds);
    return holding.filter((outer) => !holding.some((inner) => inner !== outer && inner.start >= outer.start && inner.end <= outer.end));
  };
  let innermost = pick((l) => l.tensorTotal > 0);
  if (innermost.length === 0) innermost = pick((l) => Object.keys(l.fma).length > 0);
  return {
    arch: fn.arch,
    kernel: fn.kernel,
    mangled: fn.mangled,
    tensorInstructions: fn.instructions.filter((i) => TENSOR_MNEMONICS.has(i.mnemonic)).length,
    traps: fn.instructions.filter((i) => i.opcode.startsWith('BPT.TRAP')).length,
    loops: innermost.sort((a, b) => a.start - b.start),
  };
}
