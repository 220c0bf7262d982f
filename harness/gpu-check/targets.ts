// The quality bars of the first GPU runs (issue 12, "Targets"; recorded in
// benchmarks/README.md): what the device check compares its figures with.
// Benchmarks, never timed tests: a FAIL here is a finding about a kernel.
//
// This module sits above the pipeline (it reads the outputs of a whole
// device check); nothing in harness/ imports it. The architectural per-clock
// rates come from the one table the verdict uses, harness/tpp/architectures.ts.
import { findArchitecture } from '../tpp/architectures.js';
import { isFormat } from '../tpp/formats.js';

/** H200 SXM DRAM bandwidth from NVIDIA's datasheet: 4.8 TB/s (HBM3e). */
export const H200_DATASHEET_DRAM_GBPS = 4800;
/** Read kernel median ≥ 94 % of the datasheet bandwidth. */
export const DRAM_READ_FRACTION = 0.94;
/** Our copy kernel ≥ 1.05 × PyTorch's device-to-device copy, same call, same byte convention. */
export const COPY_OVER_PEER = 1.05;
/** wgmma per clock per SM ≥ 97 % of the architectural rate (sm_90: 2,048 / 4,096 / 4,096 / 8,192 / 8,192). */
export const WGMMA_FRACTION = 0.97;
export const WGMMA_FORMATS = ['TF32', 'FP16', 'BF16', 'FP8', 'INT8'] as const;
/** FP64 tensor (DMMA) ≥ 95 % of the architectural rate (sm_90: 256). */
export const FP64_TENSOR_FRACTION = 0.95;
/** Our best BF16 TFLOP/s ≥ 1.15 × PyTorch's bf16 8192³ matmul, same call. */
export const BF16_OVER_PEER = 1.15;

export type TargetStatus = 'PASS' | 'FAIL' | 'not measured' | 'not applicable';

export interface TargetResult {
  id: string;
  description: string;
  status: TargetStatus;
  /** The figures behind the status, or why there are none. */
  detail: string;
}

/** The figures the targets read, gathered by the summary from the raw outputs. */
export interface TargetInputs {
  backend: string;
  model: string;
  /** e.g. "sm_90"; null when the device did not say. */
  architecture: string | null;
  /** Median GB/s per bandwidth kernel name. */
  bandwidthGbps: Map<string, number>;
  /** Available, verified throughput cases: format, engine, medians. */
  throughput: { format: string; engine: string; tops: number; opsPerClockPerUnit: number }[];
  /** Verified peer medians by case name (GB/s or TFLOP/s). */
  peer: Map<string, number>;
}

const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function ratioTarget(
  id: string,
  description: string,
  ours: number | undefined,
  oursLabel: string,
  reference: number | undefined,
  referenceLabel: string,
  factor: number,
): TargetResult {
  if (ours === undefined) return { id, description, status: 'not measured', detail: `no ${oursLabel}` };
  if (reference === undefined) return { id, description, status: 'not measured', detail: `no ${referenceLabel}` };
  const ratio = ours / reference;
  return {
    id,
    description,
    status: ratio >= factor ? 'PASS' : 'FAIL',
    detail: `${oursLabel} ${fmt(ours, 1)} ÷ ${referenceLabel} ${fmt(reference, 1)} = ${ratio.toFixed(3)} (needs ≥ ${factor})`,
  };
}

function bestCase(inputs: TargetInputs, format: string, engine: (name: string) => boolean) {
  const cases = inputs.throughput.filter((c) => c.format === format && engine(c.engine));
  return cases.reduce<(typeof cases)[number] | undefined>((best, c) => (!best || c.opsPerClockPerUnit > best.opsPerClockPerUnit ? c : best), undefined);
}

function perClockTarget(inputs: TargetInputs, id: string, format: string, engineName: string, engine: (name: string) => boolean, fraction: number): TargetResult {
  const rates = inputs.architecture ? findArchitecture(inputs.architecture) : undefined;
  const rate = rates && isFormat(format) ? rates.opsPerClockPerUnit[format] : undefined;
  const description = `${format} ${engineName} per clock per SM ≥ ${fraction * 100} % of the sm_90 rate`;
  if (!inputs.architecture?.startsWith('sm_90')) {
    return { id, description, status: 'not applicable', detail: `the target is for sm_90 (Hopper); this device is ${inputs.architecture ?? inputs.backend}` };
  }
  if (rate === undefined) return { id, description, status: 'not measured', detail: `no architectural ${format} rate for ${inputs.architecture}` };
  const best = bestCase(inputs, format, engine);
  if (!best) return { id, description, status: 'not measured', detail: `no verified ${format} ${engineName} case` };
  const percent = (best.opsPerClockPerUnit / rate) * 100;
  return {
    id,
    description,
    status: best.opsPerClockPerUnit >= fraction * rate ? 'PASS' : 'FAIL',
    detail: `${best.engine}: ${fmt(best.opsPerClockPerUnit)} of ${fmt(rate)} ops/clk/SM = ${percent.toFixed(1)} %`,
  };
}

export function evaluateTargets(inputs: TargetInputs): TargetResult[] {
  const results: TargetResult[] = [];
  const cuda = inputs.backend === 'cuda';
  const notCuda = (id: string, description: string): TargetResult => ({
    id,
    description,
    status: 'not applicable',
    detail: `the target is for NVIDIA GPUs; this device is ${inputs.backend}`,
  });

  const readDescription = `H200 DRAM read ≥ ${DRAM_READ_FRACTION * 100} % of ${fmt(H200_DATASHEET_DRAM_GBPS)} GB/s`;
  const read = inputs.bandwidthGbps.get('read');
  if (!/H200/i.test(inputs.model)) {
    results.push({ id: 'dram-read', description: readDescription, status: 'not applicable', detail: `the target is for the H200; this device is ${inputs.model || inputs.backend}` });
  } else if (read === undefined) {
    results.push({ id: 'dram-read', description: readDescription, status: 'not measured', detail: 'no verified read kernel' });
  } else {
    const fraction = read / H200_DATASHEET_DRAM_GBPS;
    results.push({
      id: 'dram-read',
      description: readDescription,
      status: fraction >= DRAM_READ_FRACTION ? 'PASS' : 'FAIL',
      detail: `read ${fmt(read)} GB/s = ${(fraction * 100).toFixed(1)} %`,
    });
  }

  const copyDescription = `copy ≥ ${COPY_OVER_PEER} × PyTorch's device-to-device copy`;
  results.push(
    cuda
      ? ratioTarget('copy-vs-peer', copyDescription, inputs.bandwidthGbps.get('copy'), 'copy GB/s', inputs.peer.get('d2d-copy'), 'PyTorch d2d-copy GB/s', COPY_OVER_PEER)
      : notCuda('copy-vs-peer', copyDescription),
  );

  for (const format of WGMMA_FORMATS) {
    results.push(perClockTarget(inputs, `wgmma-${format}`, format, 'wgmma', (e) => e.startsWith('wgmma'), WGMMA_FRACTION));
  }
  results.push(perClockTarget(inputs, 'fp64-tensor', 'FP64_TENSOR', 'DMMA', (e) => e.startsWith('mma.sync'), FP64_TENSOR_FRACTION));

  const bf16Description = `BF16 TFLOP/s ≥ ${BF16_OVER_PEER} × PyTorch's bf16 8192³ matmul`;
  const bf16 = inputs.throughput.filter((c) => c.format === 'BF16').reduce<number | undefined>((best, c) => Math.max(best ?? 0, c.tops), undefined);
  results.push(
    cuda
      ? ratioTarget('bf16-vs-peer', bf16Description, bf16, 'BF16 TFLOP/s', inputs.peer.get('bf16-matmul'), 'PyTorch bf16-matmul TFLOP/s', BF16_OVER_PEER)
      : notCuda('bf16-vs-peer', bf16Description),
  );
  return results;
}
