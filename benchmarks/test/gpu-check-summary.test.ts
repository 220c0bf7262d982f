// The device check's summary against the issue-12 targets, on raw outputs
// shaped like an H200 run's (no GPU here: the figures are made up, the shapes
// are the CLI's and the peer's).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findArchitecture } from '../../harness/tpp/architectures.js';
import { buildSummary, MAX_SUMMARY_CHARS, renderSummary, summarizeTelemetry } from '../../harness/gpu-check/summary.js';
import { WGMMA_FORMATS } from '../../harness/gpu-check/targets.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const h200 = {
  id: 'cuda:0',
  vendor: 'NVIDIA',
  model: 'NVIDIA H200',
  attributes: [
    { key: 'computeCapability', value: '9.0', source: 'cudaGetDeviceProperties' },
    { key: 'peakDramBandwidthGbps', value: 4800, source: 'memory clock × bus width' },
  ],
};

const rate = (median: number) => ({ median, best: median * 1.01, min: median * 0.99, max: median * 1.01, spreadPercent: 2, trials: 10 });
const kernel = (name: string, gbps: number) => ({ name, gbps: rate(gbps), trials: 10 });
const tensorCase = (format: string, engine: string, perClock: number, tops: number) => ({
  format, engine, available: true, verified: true, unavailableReason: null, opsPerClockPerUnit: perClock,
  maxOpsPerClockPerUnit: 8192, tops: rate(tops), clockMhz: 1755, units: 132, trials: 10,
});

function workDir(files: Record<string, string>): string {
  dir = mkdtempSync(path.join(tmpdir(), 'gpu-check-summary-'));
  const defaults = {
    'check.tsv': 'device\tcuda:0\nbudget_s\t480\nreserve_s\t20\nquick\t0\nstarted\t0\n',
    'elapsed.tsv': 'elapsed_s\t301\n',
    'steps.tsv': 'step\tstatus\trc\tseconds\tnote\nbench\tok\t0\t80\t\n',
    'devices.out': JSON.stringify({ backends: [{ backend: 'cuda', built: true, devices: [h200], reason: '' }] }),
  };
  for (const [name, text] of Object.entries({ ...defaults, ...files })) writeFileSync(path.join(dir, name), text);
  return dir;
}

const peer = JSON.stringify({
  schema: 'tppverify.torch-peer.v1', torch: '2.11.0', deviceName: 'NVIDIA H200',
  cases: [
    { name: 'bf16-matmul', unit: 'TFLOP/s', available: true, verified: true, median: 700, spreadPercent: 1, runs: 20 },
    { name: 'd2d-copy', unit: 'GB/s', available: true, verified: true, median: 3900, spreadPercent: 1, runs: 20 },
    { name: 'fp8-scaled-matmul', available: true, verified: false, error: 'result check failed: every element of C equals 8192' },
  ],
});

describe('device check summary', () => {
  it('keeps the issue targets tied to the one architecture table', () => {
    const sm90 = findArchitecture('sm_90a')?.opsPerClockPerUnit;
    expect(WGMMA_FORMATS.map((f) => sm90?.[f])).toEqual([2048, 4096, 4096, 8192, 8192]);
    expect(sm90?.FP64_TENSOR).toBe(256);
  });

  it('gives PASS, FAIL and not measured per target from an H200-shaped run', () => {
    const summary = buildSummary(workDir({
      'bench.out': JSON.stringify({
        device: h200,
        bandwidth: { kernels: [kernel('read', 4550), kernel('copy', 4000)] },
        throughput: [
          tensorCase('BF16', 'wgmma.n256.wg2', 4000, 900),
          tensorCase('FP8', 'wgmma.n256.wg2', 7000, 1600),
          tensorCase('FP64_TENSOR', 'mma.sync.m8n8k4', 250, 58),
          { format: 'FP8', engine: 'mma.sync', available: false, verified: false, unavailableReason: 'emulated on sm_90', trials: 0, units: 0 },
        ],
      }),
      'peer.out': peer,
    }));
    const status = Object.fromEntries(summary.targets.map((t) => [t.id, t.status]));
    expect(status).toEqual({
      'dram-read': 'PASS', // 4,550 / 4,800 = 94.8 %
      'copy-vs-peer': 'FAIL', // 4,000 / 3,900 = 1.026 < 1.05
      'wgmma-TF32': 'not measured',
      'wgmma-FP16': 'not measured',
      'wgmma-BF16': 'PASS', // 4,000 / 4,096 = 97.7 %
      'wgmma-FP8': 'FAIL', // 7,000 / 8,192 = 85.4 %
      'wgmma-INT8': 'not measured',
      'fp64-tensor': 'PASS', // 250 / 256 = 97.7 %
      'bf16-vs-peer': 'PASS', // 900 / 700 = 1.29
    });
    expect(summary.targets.find((t) => t.id === 'wgmma-FP8')?.detail).toBe('wgmma.n256.wg2: 7,000 of 8,192 ops/clk/SM = 85.4 %');
    expect(summary.bandwidth.find((k) => k.name === 'read')?.percentOfPeak).toBeCloseTo(94.79, 2);
    expect(summary.throughput.find((t) => t.format === 'BF16')?.percentOfArchitecture).toBeCloseTo(97.66, 2);
    const text = renderSummary(summary);
    expect(text).toMatch(/PASS +H200 DRAM read ≥ 94 % of 4,800 GB\/s: read 4,550 GB\/s = 94\.8 %/);
    expect(text).toMatch(/fp8-scaled-matmul +FAILED: result check failed/);
    // A peer case that failed its check gives no figure to compare with.
    expect(summary.peer?.cases.find((c) => c.name === 'fp8-scaled-matmul')?.median).toBeNull();
  });

  it('reads the per-format reruns when the full bench failed, and says what is missing', () => {
    const summary = buildSummary(workDir({
      'steps.tsv': 'step\tstatus\trc\tseconds\tnote\nbench\tfailed\t3\t40\tverification failed\nbench-BF16\tok\t0\t9\t\npeer\tskipped\t-\t0\tdeadline: 3s left\n',
      'bench.err': 'first line\ntppverify: FP8/wgmma.n256.wg2: result verification failed: 4 accumulator elements differ\n',
      'bench-BF16.out': JSON.stringify({ device: h200, throughput: [tensorCase('BF16', 'wgmma.n256.wg2', 4050, 910)] }),
    }));
    expect(summary.throughput.map((t) => t.source)).toEqual(['bench-BF16']);
    const byId = new Map(summary.targets.map((t) => [t.id, t]));
    expect(byId.get('wgmma-BF16')?.status).toBe('PASS');
    expect(byId.get('dram-read')).toMatchObject({ status: 'not measured', detail: 'no verified read kernel' });
    expect(byId.get('bf16-vs-peer')).toMatchObject({ status: 'not measured', detail: 'no PyTorch bf16-matmul TFLOP/s' });
    expect(summary.errors).toEqual([{ step: 'bench', lines: ['first line', 'tppverify: FP8/wgmma.n256.wg2: result verification failed: 4 accumulator elements differ'] }]);
    expect(renderSummary(summary)).toMatch(/skipped \(the deadline\): peer/);
  });

  it('stays within what the device tool shows when every step fails at length', () => {
    const names = Array.from({ length: 60 }, (_, i) => `bench-${i}`);
    const files: Record<string, string> = {
      'steps.tsv': `step\tstatus\trc\tseconds\tnote\n${names.map((n) => `${n}\tfailed\t3\t9\t${'x'.repeat(150)}`).join('\n')}\n`,
    };
    for (const n of names) files[`${n}.err`] = Array.from({ length: 5 }, (_, i) => `${n} line ${i} ${'y'.repeat(300)}`).join('\n');
    const text = renderSummary(buildSummary(workDir(files)));
    expect(text.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
    // The targets come before the errors and survive the shortening.
    expect(text).toMatch(/^targets:$/m);
    expect(text).toMatch(/more failed steps: their stderr is in the archive/);
  });

  it('survives partial and malformed outputs (a step killed mid-write)', () => {
    const summary = buildSummary(workDir({ 'bench.out': '{"device": {"id": "cuda:0", "thro', 'peer.out': 'not json', 'devices.out': '' }));
    expect(summary.throughput).toEqual([]);
    expect(summary.peer).toBeNull();
    expect(summary.model).toBe('');
    expect(summary.targets.every((t) => t.status === 'not measured' || t.status === 'not applicable')).toBe(true);
    expect(renderSummary(summary)).toMatch(/^targets:$/m);
  });

  it('reads nvidia-smi telemetry with units in the header and counts active throttle reasons', () => {
    const csv = [
      'timestamp, index, clocks.current.sm [MHz], power.draw [W], power.limit [W], temperature.gpu, clocks_event_reasons.active, clocks_event_reasons.sw_power_cap, clocks_event_reasons.hw_slowdown',
      '2026/12/01 17:00:00.000, 0, 1980, 350.10, 700.00, 40, 0x0000000000000000, Not Active, Not Active',
      '2026/12/01 17:00:01.000, 0, 1755, 690.50, 700.00, 61, 0x0000000000000004, Active, Not Active',
      '2026/12/01 17:00:02.000, 0, 1740, 699.90, 700.00, 63, 0x0000000000000004, Active, Not Active',
      '2026/12/01 17:00:03.000, 0, [N/A]',
    ].join('\n');
    expect(summarizeTelemetry(csv)).toEqual({
      samples: 3,
      smClockMhz: { min: 1740, median: 1755, max: 1980 },
      powerW: { min: 350.1, median: 690.5, max: 699.9 },
      powerLimitW: 700,
      temperatureMaxC: 63,
      reasonsActive: { sw_power_cap: 2 },
    });
    expect(summarizeTelemetry('')).toBeNull();
  });
});
