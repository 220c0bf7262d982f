import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  PLAN_DERIVATION,
  PLAN_MAX_EXTRA_TRIALS,
  PLAN_MAX_IDLE_GAP_MS,
  PLAN_MIN_TRIALS,
  planDepartures,
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

/** What a run that follows the plan records. */
function followed(n: Buffer): { recorded: RecordedPlan; measured: MeasuredSequence } {
  const plan = new RunPlan(n);
  return {
    recorded: recordPlan(plan, KERNELS, FORMATS),
    measured: {
      bandwidthKernels: plan.order('bandwidth', KERNELS).map((name) => ({ name, trials: plan.trials('bandwidth') })),
      throughputCases: plan.order('throughput', FORMATS).map((format) => ({ format, available: true, trials: plan.trials('throughput') })),
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
      const fromPython = JSON.parse(
        execFileSync('python3', [reference, n.toString('hex'), kernels.join(','), formats.join(',')], { encoding: 'utf8' }),
      ) as RecordedPlan;
      expect(recordPlan(new RunPlan(n), kernels, formats)).toEqual(fromPython);
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
    expect(recordPlan(new RunPlan(nonce('02')), KERNELS, FORMATS)).not.toEqual(recordPlan(new RunPlan(nonce('03')), KERNELS, FORMATS));
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
  });

  it('takes several engines of one format as one step, and ignores trial counts of unavailable cases', () => {
    const { recorded, measured } = followed(n);
    const first = measured.throughputCases[0] as MeasuredSequence['throughputCases'][number];
    measured.throughputCases.splice(1, 0, { format: first.format, available: false, trials: 0 });
    expect(planDepartures(n, recorded, measured)).toEqual([]);
  });
});
