// The registry of benchmark cases: what each measures, its formula, and the
// defaults every run uses. The byte and op models travel with the native
// results (bytesReadPerTrial, opsPerInstruction), next to the kernels that
// define them; this registry describes and checks them.

/** 'native': our own kernel; 'library': the second method, code that is not ours (libc memcpy, OpenBLAS, cuBLASLt). */
export type MeasurementMethod = 'native' | 'library';
export function methodOf(raw: string | undefined): MeasurementMethod {
  return raw === 'library' ? 'library' : 'native';
}

/** The second method: never a primary figure, one code path (no plan variant or seed). */
export function isLibraryMethod(record: { method?: string }): boolean {
  return methodOf(record.method) === 'library';
}

export type SuiteName = 'bandwidth' | 'throughput' | 'all';
export const SUITE_NAMES: readonly SuiteName[] = ['bandwidth', 'throughput', 'all'];

export interface BandwidthCase {
  name: string;
  formula: string;
  /** Arrays read and written per element; must agree with the native byte model. */
  arraysRead: number;
  arraysWritten: number;
  /**
   * 'native': our kernel, the primary figure; 'library': the second method, code
   * that is not ours (the C library's memcpy on the CPU, the runtime's
   * device-to-device copy on a GPU), compared with the primary figure by the
   * verdict's step 8 and never counted in it.
   */
  method: 'native' | 'library';
}

export const BANDWIDTH_CASES: readonly BandwidthCase[] = [
  { name: 'read', formula: 'sum += a[i]', arraysRead: 1, arraysWritten: 0, method: 'native' },
  { name: 'write', formula: 'c[i] = v', arraysRead: 0, arraysWritten: 1, method: 'native' },
  { name: 'copy', formula: 'c[i] = a[i]', arraysRead: 1, arraysWritten: 1, method: 'native' },
  { name: 'scale', formula: 'c[i] = s * a[i]', arraysRead: 1, arraysWritten: 1, method: 'native' },
  { name: 'add', formula: 'c[i] = a[i] + b[i]', arraysRead: 2, arraysWritten: 1, method: 'native' },
  { name: 'triad', formula: 'c[i] = a[i] + s * b[i]', arraysRead: 2, arraysWritten: 1, method: 'native' },
  { name: 'memcpy', formula: 'memcpy(c, a) (libc; cudaMemcpyAsync / hipMemcpyAsync device to device)', arraysRead: 1, arraysWritten: 1, method: 'library' },
];

/** The kernels each backend has: the CPU all seven, the GPU backends five (native/core/stream_patterns.h kGpuKernels). */
export function bandwidthKernelsOf(backend: string): string[] {
  const gpu = ['read', 'write', 'copy', 'triad', 'memcpy'];
  return backend === 'cpu' ? BANDWIDTH_CASES.map((c) => c.name) : gpu;
}

/**
 * How many code variants each backend compiles per bandwidth kernel and per
 * throughput format (the run plan draws one below it, docs/run-plan.md). They
 * must equal the native constants, which every result also reports
 * (variantCount): CPU kStreamVariants (native/cpu/stream_kernels.h: 2, 4 or 8
 * vectors per loop trip) and kPeakVariants (native/cpu/peak_kernels.h: chain
 * counts, AMX instruction order); CUDA kCudaStreamVariants
 * (native/cuda/bandwidth.cuh: the stream kernels' unroll, a template
 * parameter) and, for every throughput format, kFmaVariants (native/cuda/tensor.cu:
 * 8, 12 or 16 FMA chains for FP64 and FP32 on the CUDA cores) = kMmaVariants
 * (tensor.cu: 8, 4 or 6 mma.sync accumulators per warp) = kWgmmaVariants
 * (wgmma.cu: 4, 2 or 8 wgmmas per trip) = kTcgen05Variants (tcgen05.cu: 4, 2
 * or 8 MMAs per trip and accumulator); HIP kHipStreamVariants
 * (native/hip/hip_bandwidth.cpp, the same unrolls). HIP's MFMA kernels have
 * one compiled variant so far. The GPU variants are unproven until run on a GPU.
 */
/** Bandwidth kernels that are the second method (code that is not ours). */
export const LIBRARY_BANDWIDTH_KERNELS: readonly string[] = ['memcpy'];

export const CODE_VARIANTS: Readonly<Record<string, { bandwidth: number; throughput: number; throughputByFormat?: Readonly<Record<string, number>> }>> = {
  cpu: { bandwidth: 3, throughput: 3 },
  cuda: { bandwidth: 3, throughput: 3 },
  hip: { bandwidth: 3, throughput: 1 },
};

/** The code variants a backend has for a suite's kernel or format; 1 for a backend it does not know. */
export function codeVariantsOf(backend: string, suite: 'bandwidth' | 'throughput', name = ''): number {
  // The second method's memcpy is the C library's or the runtime's code: one path, not ours to vary.
  if (!Object.hasOwn(CODE_VARIANTS, backend) || (suite === 'bandwidth' && LIBRARY_BANDWIDTH_KERNELS.includes(name))) return 1;
  const entry = CODE_VARIANTS[backend] as (typeof CODE_VARIANTS)[string];
  if (suite === 'throughput' && entry.throughputByFormat && Object.hasOwn(entry.throughputByFormat, name)) {
    return entry.throughputByFormat[name] as number;
  }
  return entry[suite];
}

/**
 * The block sizes a backend's stream kernels take, for the run plan to draw
 * from (native/cuda/bandwidth.cuh kCudaThreadsPerBlockChoices); none: the
 * backend has no grid shape to choose (the CPU) or one fixed size (HIP, 256).
 */
export const THREADS_PER_BLOCK_CHOICES: Readonly<Record<string, readonly number[]>> = {
  cuda: [256, 512, 1024],
};

/**
 * The backends that compile stream kernels at run time (CUDA: copy and triad
 * through NVRTC where the host has it, native/cuda/nvrtc_stream.cu), under a
 * name the run plan draws.
 */
export const RUNTIME_COMPILATION_BACKENDS: readonly string[] = ['cuda'];

/**
 * The throughput operand seed (run plan: added to every accumulator's start
 * value) and the cases that take it: on the CPU every kernel but FP16 (its
 * block spans its whole 11-bit significand) and AMX (tiles start at zero),
 * native/cpu/peak_kernels.h takesOperandSeed; bounds 0 … kMaxOperandSeed.
 */
export const MAX_OPERAND_SEED = 1023;
export function takesOperandSeed(backend: string, format: string, engine: string): boolean {
  return backend === 'cpu' && format !== 'FP16' && engine !== 'amx';
}

export function threadsPerBlockChoicesOf(backend: string): readonly number[] {
  return Object.hasOwn(THREADS_PER_BLOCK_CHOICES, backend) ? (THREADS_PER_BLOCK_CHOICES[backend] as readonly number[]) : [];
}

export interface ThroughputFormat {
  format: string;
  description: string;
}

export const THROUGHPUT_FORMATS: readonly ThroughputFormat[] = [
  { format: 'FP64', description: 'double-precision multiply-add' },
  { format: 'FP32', description: 'single-precision multiply-add' },
  { format: 'FP16', description: 'half-precision multiply-add' },
  { format: 'BF16', description: 'bfloat16 products accumulated in FP32' },
  { format: 'INT8', description: '8-bit integer products accumulated in INT32' },
];

export interface RunSettings {
  trials: number;
  /** Also run every shape/occupancy variant (GPU wgmma: N = 64/128/256 × 1–3 warpgroups per SM). */
  sweep?: boolean;
  /** 0: the backend's sizing rule (CPU: max(4 × last-level cache, 256 MiB) per array). */
  arrayBytes: number;
  secondsPerTrial: number;
  /** Only these throughput formats (default: every format the device has). */
  formats?: string[];
  /** Only these bandwidth kernels (default: every kernel the backend has). */
  kernels?: string[];
  /**
   * The run plan's nonce (hex): cases run one at a time in the plan's order,
   * with its trial counts and idle gaps (harness/plan/run-plan.ts). Absent: one
   * call per suite in the backend's own order (bench).
   */
  planNonceHex?: string;
  /**
   * Timed seconds of the sustained phase run after the peak phases
   * (benchmarks/sustained.ts; levels.ts sustainedSeconds); absent or 0: none.
   */
  sustainedSeconds?: number;
  /** From the run plan: the code variant of the kernels or formats of this call (0 without a plan). */
  variant?: number;
  /** From the run plan: s of scale and triad (absent: the backend's own, 3). */
  streamScalar?: number;
  /** From the run plan: the arrays are the sizing rule's bytes × this / 100 (absent: 100); ignored with arrayBytes. */
  arraySizeFactorPercent?: number;
  /** From the run plan: the GPU stream kernels' block size (absent: the backend's default). */
  threadsPerBlock?: number;
  /** From the run plan: the name run-time compiled kernels take ("tppv_" + 8 hex; CUDA). */
  kernelName?: string;
  /** From the run plan: added to the throughput accumulators' start values where the backend can (CPU). */
  operandSeed?: number;
}

/** The fewest timed trials a reported figure may rest on. */
export const MIN_TRIALS = 10;

export const DEFAULT_SETTINGS: RunSettings = { trials: MIN_TRIALS, arrayBytes: 0, secondsPerTrial: 0.1 };
/** --quick shortens throughput trials only: smaller arrays would measure cache, not DRAM. */
export const QUICK_SETTINGS: RunSettings = { trials: MIN_TRIALS, arrayBytes: 0, secondsPerTrial: 0.02 };

export function includesBandwidth(suite: SuiteName): boolean {
  return suite === 'bandwidth' || suite === 'all';
}

export function includesThroughput(suite: SuiteName): boolean {
  return suite === 'throughput' || suite === 'all';
}
