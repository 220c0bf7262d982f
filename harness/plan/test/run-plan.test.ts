import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  PLAN_DERIVATION,
  PLAN_MAX_EXTRA_TRIALS,
  PLAN_MAX_IDLE_GAP_MS,
  PLAN_MIN_TRIALS,
  PLAN_ARRAY_FACTOR_MIN_PERCENT,
  PLAN_ARRAY_FACTOR_STEP_PERCENT,
  PLAN_ARRAY_FACTOR_STEPS,
  PLAN_STREAM_SCALAR_MIN,
  PLAN_STREAM_SCALAR_STEP,
  PLAN_STREAM_SCALAR_STEPS,
  planDepartures,
  plannedArrayBytes,
  planStepOf,
  recordPlan,
  RunPlan,
  type MeasuredSequence,
  type RecordedPlan,
} from '../run-plan.js';

const KERNELS = ['read', 'write', 'copy', 'scale', 'add', 'triad'];
const FORMATS = ['FP64', 'FP32', 'FP16', 'BF16', 'INT8'];

function nonce(hex: string): Buffer {
  return Buffer.from(hex.padStart(64, '0'), 'hex');
}

/** A CPU's sizing rule as the backend records it: max(4 × 32 MiB, 256 MiB) = 256 MiB. */
const SIZING = [
  { name: 'lastLevelCacheBytes', value: 32 * 2 ** 20 },
  { name: 'lastLevelCacheMultiple', value: 4 },
  { name: 'minimumArrayBytes', value: 256 * 2 ** 20 },
  { name: 'requestedArrayBytes', value: 0 },
];

/** What a run on the CPU that follows the plan records. */
function followed(n: Buffer): { recorded: RecordedPlan; measured: MeasuredSequence } {
  const plan = new RunPlan(n);
  const recorded = recordPlan(plan, 'cpu', KERNELS, FORMATS);
  const variant = (suite: 'bandwidth' | 'throughput', name: string) => planStepOf(recorded, suite, name)?.variant ?? -1;
  return {
    recorded,
    measured: {
      backend: 'cpu',
      bandwidthKernels: plan.order('bandwidth', KERNELS).map((name) => ({ name, trials: plan.trials('bandwidth'), variant: variant('bandwidth', name) })),
      throughputCases: plan
        .order('throughput', FORMATS)
        .map((format) => ({
          format,
          engine: 'avx512',
          available: true,
          trials: plan.trials('throughput'),
          variant: variant('throughput', format),
          // FP16 takes no operand seed (native/cpu/peak_kernels.h takesOperandSeed).
          operandSeed: format === 'FP16' ? 0 : plan.operandSeed('cpu'),
          library: false,
        })),
      bandwidth: {
        // 2 threads: the CPU rounds up to 8 doubles per thread, which whole MiB already are.
        arrayBytes: plannedArrayBytes(256 * 2 ** 20, plan.arraySizeFactorPercent()),
        threads: 2,
        streamScalar: plan.streamScalar(),
        threadsPerBlock: 0,
        runtimeCompilation: 'not applicable (CPU backend)',
        sizing: [...SIZING, { name: 'arraySizeFactorPercent', value: plan.arraySizeFactorPercent() }],
      },
    },
  };
}

describe('run plan from the nonce', () => {
  it('orders any set by the nonce alone: a subset keeps the order of the whole', () => {
    const plan = new RunPlan(nonce('01'));
    const all = plan.order('bandwidth', KERNELS);
    expect(plan.order('bandwidth', [...KERNELS].reverse())).toEqual(all);
    const subset = ['triad', 'read', 'copy'];
    expect(plan.order('bandwidth', subset)).toEqual(all.filter((k) => subset.includes(k)));
    expect(plan.derivation).toBe(PLAN_DERIVATION);
  });

  it('agrees with the independent Python reference in docs/ for many nonces and offers', () => {
    const reference = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/run-plan-reference.py');
    for (let i = 0; i < 20; i++) {
      const n = nonce((0x9e3779b9 * (i + 1)).toString(16));
      const kernels = KERNELS.slice(0, 1 + (i % KERNELS.length));
      const formats = FORMATS.slice(i % 3);
      const backend = ['cpu', 'cuda', 'hip'][i % 3] as string;
      const fromPython = JSON.parse(
        execFileSync('python3', [reference, n.toString('hex'), backend, kernels.join(','), formats.join(',')], { encoding: 'utf8' }),
      ) as RecordedPlan;
      expect(recordPlan(new RunPlan(n), backend, kernels, formats)).toEqual(fromPython);
    }
  });

  it('differs between nonces, and covers every order, trial count and gap over many nonces', () => {
    const firsts = new Set<string>();
    const kernelOrders = new Set<string>();
    const trials = new Set<number>();
    let maxGap = 0;
    for (let i = 0; i < 2000; i++) {
      const plan = new RunPlan(nonce(i.toString(16)));
      firsts.add(plan.phaseOrder()[0] as string);
      kernelOrders.add(plan.order('bandwidth', KERNELS).join(','));
      trials.add(plan.trials('bandwidth')).add(plan.trials('throughput'));
      for (const k of KERNELS) maxGap = Math.max(maxGap, plan.idleGapMs('bandwidth', k));
    }
    expect(firsts.size).toBe(2);
    // 720 orders of six kernels; 2,000 draws see nearly all of them.
    expect(kernelOrders.size).toBeGreaterThan(600);
    expect([...trials].sort((x, y) => x - y)).toEqual(
      Array.from({ length: PLAN_MAX_EXTRA_TRIALS + 1 }, (_, k) => PLAN_MIN_TRIALS + k),
    );
    expect(maxGap).toBe(PLAN_MAX_IDLE_GAP_MS);
    expect(recordPlan(new RunPlan(nonce('02')), 'cpu', KERNELS, FORMATS)).not.toEqual(recordPlan(new RunPlan(nonce('03')), 'cpu', KERNELS, FORMATS));
  });

  it('draws every code variant, array size factor and stream scalar within their bounds over many nonces', () => {
    const variants = new Set<number>();
    const factors = new Set<number>();
    const scalars = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const plan = new RunPlan(nonce((i + 5000).toString(16)));
      for (const k of KERNELS) variants.add(plan.variant('bandwidth', k, 3));
      factors.add(plan.arraySizeFactorPercent());
      scalars.add(plan.streamScalar());
    }
    expect([...variants].sort()).toEqual([0, 1, 2]);
    expect([...factors].sort((x, y) => x - y)).toEqual(
      Array.from({ length: PLAN_ARRAY_FACTOR_STEPS + 1 }, (_, k) => PLAN_ARRAY_FACTOR_MIN_PERCENT + k * PLAN_ARRAY_FACTOR_STEP_PERCENT),
    );
    expect([...scalars].sort((x, y) => x - y)).toEqual(
      Array.from({ length: PLAN_STREAM_SCALAR_STEPS + 1 }, (_, k) => PLAN_STREAM_SCALAR_MIN + k * PLAN_STREAM_SCALAR_STEP),
    );
    // Exactness (native/core/stream_patterns.h): every scalar is a multiple of 1/4 in [2, 8].
    for (const s of scalars) expect(s * 4 === Math.floor(s * 4) && s >= 2 && s <= 8).toBe(true);
  });

  it('two nonces give different code variants, array sizes or stream scalars; a backend with one variant always draws 0', () => {
    const a = recordPlan(new RunPlan(nonce('0a')), 'cpu', KERNELS, FORMATS);
    const b = recordPlan(new RunPlan(nonce('0b')), 'cpu', KERNELS, FORMATS);
    const shape = (p: RecordedPlan) => JSON.stringify([p.steps.map((s) => `${s.name}:${s.variant}`).sort(), p.arraySizeFactorPercent, p.streamScalar]);
    expect(shape(a)).not.toEqual(shape(b));
    expect(a.steps.every((s) => s.variantCount === 3 && s.variant >= 0 && s.variant < 3)).toBe(true);
    // HIP's throughput formats have one compiled variant: always 0.
    const hip = recordPlan(new RunPlan(nonce('0a')), 'hip', ['read', 'write', 'copy', 'triad'], FORMATS);
    expect(hip.steps.filter((s) => s.suite === 'throughput').every((s) => s.variantCount === 1 && s.variant === 0)).toBe(true);
    expect(hip.steps.filter((s) => s.suite === 'bandwidth').every((s) => s.variantCount === 3)).toBe(true);
    expect(hip.threadsPerBlock).toBe(0);
    expect(a.threadsPerBlock).toBe(0);
    // CUDA: three stream variants, three per throughput format, and a block size from 256/512/1024.
    const cuda = recordPlan(new RunPlan(nonce('0a')), 'cuda', ['read', 'write', 'copy', 'triad'], FORMATS);
    expect(cuda.steps.filter((s) => s.suite === 'bandwidth').every((s) => s.variantCount === 3)).toBe(true);
    // FP64 and FP32 on CUDA-core FMA chains, the tensor formats on mma.sync / wgmma / tcgen05: three variants each.
    for (const s of cuda.steps.filter((x) => x.suite === 'throughput')) expect(s.variantCount, s.name).toBe(3);
    const drawn = new Set(Array.from({ length: 40 }, (_, i) => recordPlan(new RunPlan(nonce((i + 11).toString(16))), 'cuda', [], ['FP16']).steps[0]?.variant));
    expect(drawn).toEqual(new Set([0, 1, 2]));
    expect(cuda.kernelName).toMatch(/^tppv_[0-9a-f]{8}$/);
    expect(a.kernelName).toBe('');
    expect(recordPlan(new RunPlan(nonce('0b')), 'cuda', ['copy'], []).kernelName).not.toBe(cuda.kernelName);
    const blockSizes = new Set(Array.from({ length: 200 }, (_, i) => new RunPlan(nonce((i + 77).toString(16))).threadsPerBlock('cuda')));
    expect([...blockSizes].sort((x, y) => x - y)).toEqual([256, 512, 1024]);
  });

  it('rounds the planned array bytes up to whole MiB, never below the rule', () => {
    expect(plannedArrayBytes(2 ** 30, 100)).toBe(2 ** 30);
    expect(plannedArrayBytes(2 ** 30, 105)).toBe(1076 * 2 ** 20); // 1075.2 MiB rounded up
    expect(plannedArrayBytes(1000, 150)).toBe(2 ** 20);
  });

  it('draws without bias: each kernel leads about a sixth of the time', () => {
    const counts = new Map<string, number>();
    const draws = 6000;
    for (let i = 0; i < draws; i++) {
      const lead = new RunPlan(nonce((i + 1_000_000).toString(16))).order('bandwidth', KERNELS)[0] as string;
      counts.set(lead, (counts.get(lead) ?? 0) + 1);
    }
    // Binomial(6000, 1/6): sd ≈ 29; 5 sd either side.
    for (const k of KERNELS) expect(Math.abs((counts.get(k) ?? 0) - draws / 6)).toBeLessThan(145);
  });
});

describe('measurements against the plan', () => {
  const n = nonce('abcdef');

  it('accepts a run that follows it', () => {
    const { recorded, measured } = followed(n);
    expect(planDepartures(n, recorded, measured)).toEqual([]);
  });

  it('refuses the same record under another nonce', () => {
    const { recorded, measured } = followed(n);
    expect(planDepartures(nonce('abcdf0'), recorded, measured).join('\n')).toMatch(/not what the nonce gives|the nonce orders/);
  });

  it('refuses kernels or formats out of order, and trial counts the plan did not ask for', () => {
    const swapped = followed(n);
    swapped.measured.bandwidthKernels.reverse();
    expect(planDepartures(n, swapped.recorded, swapped.measured).join('\n')).toMatch(/bandwidth kernels ran as/);

    const formats = followed(n);
    formats.measured.throughputCases.reverse();
    expect(planDepartures(n, formats.recorded, formats.measured).join('\n')).toMatch(/throughput formats ran as/);

    const trials = followed(n);
    (trials.measured.throughputCases[0] as { trials: number }).trials += 1;
    expect(planDepartures(n, trials.recorded, trials.measured).join('\n')).toMatch(/timed trials; the plan asks/);

    const split = followed(n);
    split.measured.throughputCases.push({ ...(split.measured.throughputCases[0] as MeasuredSequence['throughputCases'][number]) });
    expect(planDepartures(n, split.recorded, split.measured).join('\n')).toMatch(/two separate places/);
  });

  it('refuses a recorded plan that is not the nonce’s, naming the field', () => {
    const { recorded, measured } = followed(n);
    expect(planDepartures(n, { ...recorded, bandwidthTrials: recorded.bandwidthTrials + 1 }, measured).join('\n')).toMatch(/bandwidthTrials/);
    expect(planDepartures(n, { ...recorded, phaseOrder: [...recorded.phaseOrder].reverse() }, measured).join('\n')).toMatch(/phaseOrder/);
    expect(planDepartures(n, { ...recorded, derivation: 'other@1' }, measured).join('\n')).toMatch(/derivation/);
    expect(planDepartures(n, { ...recorded, derivation: 'tppverify-run-plan@1' }, measured).join('\n')).toMatch(
      /'tppverify-run-plan@1' \(an earlier derivation, no longer verified\) is not tppverify-run-plan@2/,
    );
    expect(planDepartures(n, { ...recorded, backend: 'cuda' }, measured).join('\n')).toMatch(/backend/);
    expect(planDepartures(n, { ...recorded, streamScalar: recorded.streamScalar + 0.25 }, measured).join('\n')).toMatch(/streamScalar/);
  });

  it('refuses a kernel or format that ran another code variant than the plan drew', () => {
    const kernel = followed(n);
    const k = kernel.measured.bandwidthKernels[0] as MeasuredSequence['bandwidthKernels'][number];
    k.variant = (k.variant + 1) % 3;
    expect(planDepartures(n, kernel.recorded, kernel.measured).join('\n')).toMatch(new RegExp(`bandwidth kernel ${k.name} ran code variant ${k.variant}; the plan asks`));
    const format = followed(n);
    const c = format.measured.throughputCases[0] as MeasuredSequence['throughputCases'][number];
    c.variant = (c.variant + 2) % 3;
    expect(planDepartures(n, format.recorded, format.measured).join('\n')).toMatch(new RegExp(`throughput case ${c.format}/${c.engine} ran code variant`));
    // The recorded plan's own variants must be the nonce's too.
    const step = followed(n);
    const s0 = step.recorded.steps[0] as RecordedPlan['steps'][number];
    s0.variant = (s0.variant + 1) % 3;
    expect(planDepartures(n, step.recorded, step.measured).join('\n')).toMatch(/steps is not what the nonce gives/);
  });

  it('refuses a throughput case run with another operand seed than the plan\'s', () => {
    const { recorded, measured } = followed(n);
    const c = measured.throughputCases.find((x) => x.format === 'FP64') as MeasuredSequence['throughputCases'][number];
    c.operandSeed = (c.operandSeed + 1) % 1024;
    expect(planDepartures(n, recorded, measured).join('\n')).toMatch(/throughput case FP64\/avx512 ran with operand seed \d+; the plan asks \d+/);
    const fp16 = followed(n);
    (fp16.measured.throughputCases.find((x) => x.format === 'FP16') as { operandSeed: number }).operandSeed = 5;
    expect(planDepartures(n, fp16.recorded, fp16.measured).join('\n')).toMatch(/FP16\/avx512 ran with operand seed 5; the plan asks 0/);
    expect(recordPlan(new RunPlan(n), 'cuda', [], FORMATS).operandSeed).toBe(0);
  });

  it('refuses arrays of another size and another stream scalar; an explicit size from the user is not held to the factor', () => {
    const size = followed(n);
    const bw = size.measured.bandwidth as NonNullable<MeasuredSequence['bandwidth']>;
    bw.arrayBytes += 2 ** 20;
    expect(planDepartures(n, size.recorded, size.measured).join('\n')).toMatch(/bandwidth arrays of \d+ bytes are not the plan's/);
    bw.sizing = bw.sizing.map((s) => (s.name === 'requestedArrayBytes' ? { ...s, value: bw.arrayBytes } : s));
    expect(planDepartures(n, size.recorded, size.measured)).toEqual([]);

    const factor = followed(n);
    const fb = factor.measured.bandwidth as NonNullable<MeasuredSequence['bandwidth']>;
    fb.sizing = fb.sizing.map((s) => (s.name === 'arraySizeFactorPercent' ? { ...s, value: s.value === 100 ? 105 : 100 } : s));
    expect(planDepartures(n, factor.recorded, factor.measured).join('\n')).toMatch(/% of the rule; the plan asks/);

    const scalar = followed(n);
    (scalar.measured.bandwidth as NonNullable<MeasuredSequence['bandwidth']>).streamScalar = 3;
    const expected = new RunPlan(n).streamScalar();
    if (expected !== 3) expect(planDepartures(n, scalar.recorded, scalar.measured).join('\n')).toMatch(/stream scalar 3; the plan asks/);
  });

  it('takes several engines of one format as one step, and ignores trial counts of unavailable cases', () => {
    const { recorded, measured } = followed(n);
    const first = measured.throughputCases[0] as MeasuredSequence['throughputCases'][number];
    measured.throughputCases.splice(1, 0, { format: first.format, engine: 'amx', available: false, trials: 0, variant: 0, operandSeed: 0, library: false });
    expect(planDepartures(n, recorded, measured)).toEqual([]);
  });
});
