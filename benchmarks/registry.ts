// The registry of benchmark cases: what each measures, its formula, and the
// defaults every run uses. The byte and op models travel with the native
// results (bytesReadPerTrial, opsPerInstruction), next to the kernels that
// define them; this registry describes and checks them.

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
