// Dense ops per clock per core that a CPU microarchitecture sustains, per
// format and per engine of the CPU backend (native/cpu/peak_kernels.cpp):
// the "100 %" a self-declared CPU run is checked against. The ISA bound the
// benchmarks' plausibility check uses (two vector FMAs per clock) is not
// this: Zen 4 executes a 512-bit FMA on two 256-bit halves, so its AVX-512
// FP64 rate is 16 ops/clk/core where the ISA bound says 32.
//
// Each rate = instructions per clock per core × ops per instruction of the
// backend's kernel (FP64 zmm FMA 16, ymm 8; FP32 zmm 32, ymm 16; FP16 zmm 64;
// BF16 VDPBF16PS zmm 64; INT8 VPDPBUSD zmm 128, ymm 64; AMX TDPBF16PS
// 16×16×32×2, TDPBUSD 16×16×64×2 per tile op).
import type { Format } from './formats.js';

/** The engines of the CPU backend, as its throughput cases name them. */
export type CpuEngine = 'avx512' | 'avx2' | 'avx-vnni' | 'amx';

export interface CpuMicroarchitecture {
  id: string;
  name: string;
  vendor: 'AuthenticAMD' | 'GenuineIntel';
  family: number;
  /** Inclusive CPUID model ranges. */
  models: readonly (readonly [number, number])[];
  /**
   * Model names (as the CPU reports them) this row does not decide: SKUs of
   * the same model number with fewer FMA units. Such a CPU has no rate table.
   */
  excludedModelNames?: RegExp;
  /** Where only some SKUs of the model number fit the row: the brand string must name one. */
  requiredModelName?: RegExp;
  /** 512-bit and 256-bit FMA (and dot-product) instructions issued per clock per core. */
  fmaPerClock: { zmm: number; ymm: number };
  opsPerClockPerCore: Partial<Record<Format, Partial<Record<CpuEngine, number>>>>;
  sources: string[];
  /** False where a rate rests on an assumption the sources do not state (named in `unverified`). */
  verified: boolean;
  unverified?: string;
}

// Instructions per clock per core of one AMX tile op (TMUL): one every 16 cycles.
const AMX_TILE_OPS_PER_CLOCK = 1 / 16;
// Ops per instruction of the backend's kernels (see the header).
const OPS = {
  fp64Zmm: 16,
  fp64Ymm: 8,
  fp32Zmm: 32,
  fp32Ymm: 16,
  fp16Zmm: 64,
  bf16Zmm: 64,
  int8Zmm: 128,
  int8Ymm: 64,
  bf16AmxTile: 16 * 16 * 32 * 2,
  int8AmxTile: 16 * 16 * 64 * 2,
} as const;

interface Widths {
  zmm: number;
  ymm: number;
  fp16: boolean;
  avxVnni: boolean;
  amx: boolean;
}

/** The table row's rates from the issue widths: one formula, so no row can carry a typo. */
function ratesFrom(w: Widths): CpuMicroarchitecture['opsPerClockPerCore'] {
  const rates: CpuMicroarchitecture['opsPerClockPerCore'] = {
    FP64: { avx512: w.zmm * OPS.fp64Zmm, avx2: w.ymm * OPS.fp64Ymm },
    FP32: { avx512: w.zmm * OPS.fp32Zmm, avx2: w.ymm * OPS.fp32Ymm },
    BF16: { avx512: w.zmm * OPS.bf16Zmm },
    INT8: { avx512: w.zmm * OPS.int8Zmm },
  };
  if (w.avxVnni) rates.INT8!['avx-vnni'] = w.ymm * OPS.int8Ymm;
  if (w.fp16) rates.FP16 = { avx512: w.zmm * OPS.fp16Zmm };
  if (w.amx) {
    rates.BF16!.amx = AMX_TILE_OPS_PER_CLOCK * OPS.bf16AmxTile;
    rates.INT8!.amx = AMX_TILE_OPS_PER_CLOCK * OPS.int8AmxTile;
  }
  return rates;
}

const LINUX_AMD = 'Linux arch/x86/kernel/cpu/amd.c, bsp_init_amd(): the family 19h/1Ah model ranges of Zen 3, 4, 5 and 6';
const LINUX_INTEL = 'Linux arch/x86/include/asm/intel-family.h: SKYLAKE_X 0x55, ICELAKE_X 0x6A, ICELAKE_D 0x6C, SAPPHIRERAPIDS_X 0x8F, EMERALDRAPIDS_X 0xCF, GRANITERAPIDS_X 0xAD, GRANITERAPIDS_D 0xAE';
const AMX_RATE = 'Intel AMX: 1,024 BF16 and 2,048 INT8 ops per cycle per core (one TMUL tile op every 16 cycles; Intel 64 and IA-32 Architectures Optimization Reference Manual, AMX chapter)';
const DOT_PRODUCTS =
  'VPDPBUSD and VDPBF16PS taken to issue on the FMA pipes at the FMA rate of their width (the same pipes execute them; not measured per instruction in a published table we read)';

export const CPU_MICROARCHITECTURES: readonly CpuMicroarchitecture[] = [
  {
    id: 'zen4',
    name: 'AMD Zen 4 (Genoa, Bergamo, Siena, Raphael, Phoenix)',
    vendor: 'AuthenticAMD',
    family: 0x19,
    models: [[0x10, 0x1f], [0x60, 0xaf]],
    // Two 256-bit FMA pipes; a 512-bit FMA takes both halves: one per clock.
    fmaPerClock: { zmm: 1, ymm: 2 },
    opsPerClockPerCore: ratesFrom({ zmm: 1, ymm: 2, fp16: false, avxVnni: false, amx: false }),
    sources: [
      LINUX_AMD,
      "A. Yee, Zen4's AVX512 Teardown (numberworld.org, 2022) and Zen5's AVX512 Teardown (numberworld.org/blogs/2024_8_7_zen5_avx512_teardown): Zen 4 double-pumps 512-bit instructions on its 256-bit units",
      'AMD Software Optimization Guide for AMD Family 19h Processors (pub. 56665): 4 FP pipes, 2 of them FMA, 256 bits wide',
    ],
    verified: false,
    unverified: DOT_PRODUCTS,
  },
  {
    id: 'zen5',
    name: 'AMD Zen 5 with the 512-bit datapath (Turin, Turin dense, Granite Ridge)',
    vendor: 'AuthenticAMD',
    family: 0x1a,
    models: [[0x00, 0x1f], [0x40, 0x4f]],
    fmaPerClock: { zmm: 2, ymm: 2 },
    opsPerClockPerCore: ratesFrom({ zmm: 2, ymm: 2, fp16: false, avxVnni: true, amx: false }),
    sources: [
      LINUX_AMD,
      "A. Yee, Zen5's AVX512 Teardown (numberworld.org/blogs/2024_8_7_zen5_avx512_teardown): desktop and server Zen 5 execute 512-bit instructions natively, 2 FMAs per clock; mobile Strix Point keeps 256-bit throughput",
      'AMD Software Optimization Guide for the AMD Zen5 Microarchitecture (pub. 58455)',
    ],
    verified: false,
    unverified: DOT_PRODUCTS,
  },
  {
    id: 'zen5-256',
    name: 'AMD Zen 5 with the 256-bit datapath (Strix Point)',
    vendor: 'AuthenticAMD',
    family: 0x1a,
    models: [[0x20, 0x2f]],
    fmaPerClock: { zmm: 1, ymm: 2 },
    opsPerClockPerCore: ratesFrom({ zmm: 1, ymm: 2, fp16: false, avxVnni: true, amx: false }),
    sources: [
      LINUX_AMD,
      "A. Yee, Zen5's AVX512 Teardown (numberworld.org/blogs/2024_8_7_zen5_avx512_teardown) and Chips and Cheese, AMD's Strix Point: Zen 5 Hits Mobile (2024-08-10): Strix Point's Zen 5 keeps 256-bit execution",
    ],
    verified: false,
    unverified: DOT_PRODUCTS,
  },
  {
    id: 'skylake-sp',
    name: 'Intel Skylake-SP / Cascade Lake-SP / Cooper Lake, Xeon Platinum and Gold 6xxx (two AVX-512 FMA units)',
    vendor: 'GenuineIntel',
    family: 6,
    models: [[0x55, 0x55]],
    // Gold 5xxx (except 5122 and 5222), Silver and Bronze have one 512-bit FMA unit: the model number
    // does not tell them apart, so the brand string must name a two-unit SKU.
    requiredModelName: /\bPlatinum\b|\bGold\s+(6\d{3}|5122|5222)/i,
    fmaPerClock: { zmm: 2, ymm: 2 },
    opsPerClockPerCore: ratesFrom({ zmm: 2, ymm: 2, fp16: false, avxVnni: false, amx: false }),
    sources: [LINUX_INTEL, 'Intel ARK, "# of AVX-512 FMA Units" per SKU: 2 on Platinum, Gold 6xxx, 5122 and 5222; 1 on the other Gold 5xxx, Silver and Bronze'],
    verified: false,
    unverified: `${DOT_PRODUCTS}; Cooper Lake's BF16 shares the model number`,
  },
  {
    id: 'ice-lake-sp',
    name: 'Intel Ice Lake-SP / Ice Lake-D (Sunny Cove, two AVX-512 FMA units)',
    vendor: 'GenuineIntel',
    family: 6,
    models: [[0x6a, 0x6a], [0x6c, 0x6c]],
    fmaPerClock: { zmm: 2, ymm: 2 },
    opsPerClockPerCore: ratesFrom({ zmm: 2, ymm: 2, fp16: false, avxVnni: false, amx: false }),
    sources: [LINUX_INTEL, 'Intel ARK, "# of AVX-512 FMA Units": 2 on 3rd-generation Xeon Scalable SKUs'],
    verified: false,
    unverified: DOT_PRODUCTS,
  },
  {
    id: 'sapphire-rapids',
    name: 'Intel Sapphire Rapids (Golden Cove: two AVX-512 FMA units, AMX)',
    vendor: 'GenuineIntel',
    family: 6,
    models: [[0x8f, 0x8f]],
    excludedModelNames: /\bBronze\b/i,
    fmaPerClock: { zmm: 2, ymm: 2 },
    opsPerClockPerCore: ratesFrom({ zmm: 2, ymm: 2, fp16: true, avxVnni: true, amx: true }),
    sources: [LINUX_INTEL, 'Intel ARK, "# of AVX-512 FMA Units": 2 on 4th-generation Xeon Scalable Gold and Platinum', AMX_RATE],
    verified: false,
    unverified: DOT_PRODUCTS,
  },
  {
    id: 'emerald-rapids',
    name: 'Intel Emerald Rapids (Raptor Cove: two AVX-512 FMA units, AMX)',
    vendor: 'GenuineIntel',
    family: 6,
    models: [[0xcf, 0xcf]],
    excludedModelNames: /\bBronze\b/i,
    fmaPerClock: { zmm: 2, ymm: 2 },
    opsPerClockPerCore: ratesFrom({ zmm: 2, ymm: 2, fp16: true, avxVnni: true, amx: true }),
    sources: [LINUX_INTEL, 'Intel ARK, "# of AVX-512 FMA Units": 2 on 5th-generation Xeon Scalable', AMX_RATE],
    verified: false,
    unverified: DOT_PRODUCTS,
  },
  {
    id: 'granite-rapids',
    name: 'Intel Granite Rapids (Redwood Cove: two AVX-512 FMA units, AMX)',
    vendor: 'GenuineIntel',
    family: 6,
    models: [[0xad, 0xae]],
    fmaPerClock: { zmm: 2, ymm: 2 },
    opsPerClockPerCore: ratesFrom({ zmm: 2, ymm: 2, fp16: true, avxVnni: true, amx: true }),
    sources: [LINUX_INTEL, 'Intel ARK, "# of AVX-512 FMA Units": 2 on Xeon 6 P-core (6900P/6700P) SKUs', AMX_RATE],
    verified: false,
    unverified: `${DOT_PRODUCTS}; AMX-FP16 is not measured by the backend`,
  },
];

export interface CpuIdentity {
  vendor: string;
  family: number;
  modelNumber: number;
  /** The brand string ("AMD EPYC 9654 96-Core Processor"); KVM guests may show a shorter one. */
  modelName: string;
}

export type CpuTableLookup = { found: true; row: CpuMicroarchitecture } | { found: false; reason: string };

const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;

/** The table row for a CPU, or why there is none ("no rate table for this CPU: …"). */
export function findCpuMicroarchitecture(cpu: CpuIdentity): CpuTableLookup {
  const identity = `${cpu.vendor} family ${cpu.family} (${hex(cpu.family)}) model ${cpu.modelNumber} (${hex(cpu.modelNumber)})`;
  const row = CPU_MICROARCHITECTURES.find(
    (r) => r.vendor === cpu.vendor && r.family === cpu.family && r.models.some(([low, high]) => cpu.modelNumber >= low && cpu.modelNumber <= high),
  );
  if (!row) return { found: false, reason: `no rate table for this CPU: ${identity} is not in the microarchitecture table` };
  if (row.excludedModelNames?.test(cpu.modelName) || (row.requiredModelName && !row.requiredModelName.test(cpu.modelName))) {
    return { found: false, reason: `no rate table for this CPU: ${identity} '${cpu.modelName}' is ${row.name.split(' (')[0]}, whose FMA unit count differs by SKU` };
  }
  return { found: true, row };
}

/** The table's rate for one backend case, or undefined where the table has none. */
export function tableRate(row: CpuMicroarchitecture, format: string, engine: string): number | undefined {
  return (row.opsPerClockPerCore as Record<string, Record<string, number> | undefined>)[format]?.[engine];
}
