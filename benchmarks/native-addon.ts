// Typed access to the native addon (build/Release/tppverify.node). The shapes
// here mirror native/core/backend.h; the addon converts those structs 1:1.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { TppverifyError } from '../attestations/errors.js';

export type BackendName = 'cpu' | 'cuda' | 'hip';
export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'cuda', 'hip'];

export type AttributeValue = string | number | boolean | string[];

export interface NativeAttribute {
  key: string;
  value: AttributeValue;
  source: string;
}

export interface NativeDevice {
  id: string;
  vendor: string;
  model: string;
  unitName: string;
  computeUnits: number;
  measuresBandwidth: boolean;
  measuresThroughput: boolean;
  notMeasurableReason: string;
  /** Typed and named the same on every backend (native/core/backend.h); null where the device does not report it. */
  /** "sm_90", "gfx942", "x86-64". */
  architecture: string | null;
  /** The compute unit's (SM, CU, core) maximum clock. */
  maxClockMhz: number | null;
  memoryBusWidthBits: number | null;
  /** Transfers per second per pin, in millions. */
  memoryDataRateMtps: number | null;
  /** Bus width ÷ 8 × data rate: the one peak-DRAM formula. */
  peakDramBandwidthGbps: number | null;
  /** The typed attributes first, each with its source, then every other attribute the backend reads. */
  attributes: NativeAttribute[];
}

export interface NativeBackendListing {
  backend: BackendName;
  built: boolean;
  devices: NativeDevice[];
  /** Why the backend is missing or sees no device; empty otherwise. */
  reason: string;
}

export interface NativeProgress {
  phase: string;
  kernel: string;
  /** 0 is the discarded warm-up. */
  trial: number;
  trials: number;
}

export interface NativeBandwidthRequest {
  arrayBytes?: number;
  trials?: number;
  kernels?: string[];
  /** Test-only: corrupt this kernel's output before it is verified. */
  faultKernel?: string;
  /** Run plan: the code variant of every kernel of this call (below the backend's count). */
  variant?: number;
  /** Run plan: s of scale and triad (2 to 8 in steps of 1/4; absent: 3). */
  streamScalar?: number;
  /** Run plan: arrays = the sizing rule × this / 100, rounded up to MiB (100 to 150; ignored with arrayBytes). */
  arraySizeFactorPercent?: number;
  /** Run plan: the GPU stream kernels' block size (CUDA: 256, 512 or 1024; absent: the default). */
  threadsPerBlock?: number;
  /** Run plan: the name of the kernels CUDA compiles at run time with NVRTC ("tppv_" + 8 hex). */
  kernelName?: string;
}

export interface NativeBandwidthKernel {
  name: string;
  engine: string;
  /** 'native': our kernel; 'library': the second method (libc memcpy, the runtime's device-to-device copy). */
  method: string;
  elements: number;
  bytesReadPerTrial: number;
  bytesWrittenPerTrial: number;
  warmupSeconds: number;
  trialSeconds: number[];
  /** The code variant that ran, and how many this backend has. */
  variant: number;
  variantCount: number;
}

export interface NativeBandwidthResult {
  deviceId: string;
  threads: number;
  arrayBytes: number;
  byteConvention: string;
  sizing: NativeAttribute[];
  streamScalar: number;
  /** The GPU stream kernels' block size as run; 0 on the CPU. */
  threadsPerBlock: number;
  /** NVRTC and its version, or why not ("not applicable (CPU backend)"). */
  runtimeCompilation: string;
  kernels: NativeBandwidthKernel[];
}

export interface NativeThroughputRequest {
  secondsPerTrial?: number;
  trials?: number;
  formats?: string[];
  /** Also every shape and occupancy variant the backend has (the GPU wgmma sweep). */
  sweep?: boolean;
  /** Test-only: "FORMAT/engine" whose accumulators are corrupted before the check. */
  faultCase?: string;
  /** The sustained phase: "FORMAT/engine" → work per trial (a peak case's workPerTrial); no calibration, no warm-up. */
  fixedWork?: Record<string, number>;
  /** Run plan: the code variant of the formats of this call (below the backend's count). */
  variant?: number;
  /** Run plan: added to the accumulators' start values (CPU; 0 … 1023). */
  operandSeed?: number;
}

export interface NativeThroughputCase {
  format: string;
  engine: string;
  /** 'native': our kernel; 'library': the vendor's GEMM loaded at run time (OpenBLAS, cuBLASLt). */
  method: string;
  /** A library case: the library has no GEMM in this format by design. */
  libraryLacksFormat?: boolean;
  available: boolean;
  unavailableReason: string;
  opsPerInstruction: number;
  maxInstructionsPerClockPerUnit: number;
  opsPerTrial: number;
  /** The backend's unit of work per trial (GPU loop iterations, CPU blocks); absent from records. */
  workPerTrial?: number;
  threads: number;
  units: number;
  trialSeconds: number[];
  trialClockMhz: number[];
  clockMethod: string;
  /** GPUs: the host's steady clock around each synchronised timed trial, and the device timer's span over its blocks (issue 18); absent or empty on the CPU. */
  trialHostSeconds?: number[];
  trialTimerSeconds?: number[];
  /** The code variant that ran, and how many this backend has. */
  variant: number;
  variantCount: number;
  /** The operand seed this case's kernel took (0 where it takes none). */
  operandSeed: number;
}

export interface NativeThroughputResult {
  deviceId: string;
  cases: NativeThroughputCase[];
}

export interface NativeClockResult {
  deviceId: string;
  method: string;
  mhzPerThread: number[];
}

export type NativeErrorCode = 'VERIFICATION_FAILED' | 'REQUEST_REFUSED' | 'DEVICE_ERROR' | 'INTERNAL_ERROR';

/** The Error a rejected native measurement carries. */
export interface NativeMeasurementError extends Error {
  code: NativeErrorCode;
  kernel?: string;
}

export function isNativeMeasurementError(error: unknown): error is NativeMeasurementError {
  return (
    error instanceof Error &&
    typeof (error as Partial<NativeMeasurementError>).code === 'string' &&
    ['VERIFICATION_FAILED', 'REQUEST_REFUSED', 'DEVICE_ERROR', 'INTERNAL_ERROR'].includes((error as NativeMeasurementError).code)
  );
}

/** The CUDA backend's host-side decisions, callable without a GPU (tests). */
export interface NativeHostLogic {
  cudaSizeArrays(l2Bytes: number, freeBytes: number, requestedBytes: number): {
    elements: number;
    ruleBytes: number;
    capBytes: number;
    belowRule: boolean;
  };
  cudaReadClock(
    stamps: { clockStart: number; clockEnd: number; timerStartNs: number; timerEndNs: number; smidStart: number; smidEnd: number }[],
    eventSeconds?: number,
  ): { mhz: number; sms: number; spanSeconds: number };
  gpuLaunchesPerTrial(warmupSeconds: number): number;
  cudaIterationsFor(calibrationSeconds: number, calibrationIterations: number, targetSeconds: number, minimum: number, maximum: number, multiple?: number): number;
}

export interface NativeAddon {
  hostLogic: NativeHostLogic;
  listBackends(): NativeBackendListing[];
  measureBandwidth(
    backend: BackendName,
    index: number,
    request: NativeBandwidthRequest,
    onProgress: (event: NativeProgress) => void,
  ): Promise<NativeBandwidthResult>;
  measureThroughput(
    backend: BackendName,
    index: number,
    request: NativeThroughputRequest,
    onProgress: (event: NativeProgress) => void,
  ): Promise<NativeThroughputResult>;
  probeClock(backend: BackendName, index: number): Promise<NativeClockResult>;
}

export class AddonNotBuiltError extends TppverifyError {
  constructor(readonly addonPath: string) {
    super('setup', `the native addon is missing at ${addonPath}: run 'npm install' (or 'npm run build:native')`);
  }
}

/** build/Release/tppverify.node, found from this file in the source tree or in dist/. */
export function addonPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    const candidate = path.join(dir, 'build', 'Release', 'tppverify.node');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'build', 'Release', 'tppverify.node');
}

let loaded: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  if (loaded) return loaded;
  const file = addonPath();
  if (!existsSync(file)) throw new AddonNotBuiltError(file);
  const require = createRequire(import.meta.url);
  loaded = require(file) as NativeAddon;
  return loaded;
}
