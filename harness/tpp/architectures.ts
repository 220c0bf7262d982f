// Dense ops per clock per compute unit, per architecture and format: the
// "100 %" a measured per-clock rate is compared against, and the basis of TPP
// at any clock. Source: shared reference measurement.md, derived from vendor
// peaks (rate = units × clock × ops/clk/unit); rows marked unverified are leads.
import type { Format } from './formats.js';

export interface ArchitectureRates {
  architecture: string;
  unitName: 'SM' | 'CU';
  opsPerClockPerUnit: Partial<Record<Format, number>>;
  source: string;
  verified: boolean;
}

export const ARCHITECTURE_RATES: readonly ArchitectureRates[] = [
  {
    architecture: 'sm_80',
    unitName: 'SM',
    opsPerClockPerUnit: { FP64: 64, FP64_TENSOR: 128, FP32: 128, TF32: 1024, FP16: 2048, BF16: 2048, INT8: 4096 },
    source: 'NVIDIA A100 datasheet peaks at 1,410 MHz, 108 SMs (FP64 9.7, FP64 tensor 19.5, FP32 19.5)',
    verified: true,
  },
  {
    architecture: 'sm_89',
    unitName: 'SM',
    opsPerClockPerUnit: { TF32: 512, FP16: 1024, BF16: 1024, FP8: 2048, INT8: 2048 },
    source: 'NVIDIA L40S datasheet peaks (unverified)',
    verified: false,
  },
  {
    architecture: 'sm_90',
    unitName: 'SM',
    opsPerClockPerUnit: { FP64: 128, FP64_TENSOR: 256, FP32: 256, TF32: 2048, FP16: 4096, BF16: 4096, FP8: 8192, INT8: 8192 },
    source: 'NVIDIA H100 SXM peaks: tensor formats at 1,830 MHz, FP64 (33.5), FP64 tensor (66.9) and FP32 (66.9) at 1,980 MHz, 132 SMs',
    verified: true,
  },
  {
    architecture: 'sm_100',
    unitName: 'SM',
    opsPerClockPerUnit: { TF32: 4096, FP16: 8192, BF16: 8192, FP8: 16384, INT8: 16384, FP4: 32768 },
    source: 'NVIDIA B200 peaks (unverified)',
    verified: false,
  },
  {
    architecture: 'gfx90a',
    unitName: 'CU',
    opsPerClockPerUnit: { FP64_TENSOR: 256, FP16: 1024, BF16: 1024, INT8: 1024 },
    source: 'AMD MI250X peaks at 1,700 MHz, 220 CUs',
    verified: true,
  },
  {
    architecture: 'gfx942',
    unitName: 'CU',
    opsPerClockPerUnit: { FP64: 128, FP64_TENSOR: 256, FP32: 256, TF32: 1024, FP16: 2048, BF16: 2048, FP8: 4096, INT8: 4096 },
    source: 'AMD MI300X peaks at 2,100 MHz, 304 CUs (FP64 vector 81.7, FP64 matrix 163.4, FP32 vector 163.4)',
    verified: true,
  },
];

/** "sm_90a" and "sm_90" share rates; so do feature variants like "gfx942:xnack-". */
export function findArchitecture(name: string): ArchitectureRates | undefined {
  const base = name.trim().toLowerCase().replace(/^(sm_\d+)[af]$/, '$1').replace(/:.*$/, '');
  return ARCHITECTURE_RATES.find((a) => a.architecture === base);
}
