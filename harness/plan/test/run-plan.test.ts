import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  deriveRunPlan,
  PLAN_DERIVATION,
  PLAN_MAX_EXTRA_TRIALS,
  PLAN_MAX_IDLE_GAP_MS,
  PLAN_MIN_TRIALS,
  planDepartures,
  planMismatch,
  type MeasuredSequence,
  type RunPlan,
} from '../run-plan.js';

const KERNELS = ['read', 'write', 'copy', 'scale', 'add', 'triad'];
const FORMATS = ['FP64', 'FP32', 'FP16', 'BF16', 'INT8'];

function nonce(hex: string): Buffer {
  return Buffer.from(hex.padStart(64, '0'), 'hex');
}

function planFor(n: Buffer): RunPlan {
  return deriveRunPlan({ nonce: n, bandwidthKernels: KERNELS, throughputFormats: FORMATS });
}

function sequenceOf(plan: RunPlan): MeasuredSequence {
  return {
    firstPhase: plan.phaseOrder[0],
    bandwidthKernels: plan.bandwidthKernels.map((name) => ({ name, trials: plan.bandwidthTrials })),
    throughputCases: plan.throughputFormats.map((format) => ({ format, available: true, trials: plan.throughputTrials })),
  };
}

describe('run plan from the nonce', () => {
  it('is the same for the same nonce and the same offer, whatever order the offer is listed in', () => {
    const a = planFor(nonce('01'));
    const b = deriveRunPlan({ nonce: nonce('01'), bandwidthKernels: [...KERNELS].reverse(), throughputFormats: [...FORMATS].reverse() });
    expect(b).toEqual(a);
    expect(a.derivation).toBe(PLAN_DERIVATION);
  });

  it('pins the derivation: a known nonce gives a known plan', () => {
    // If this changes, the derivation changed: bump PLAN_DERIVATION and docs/run-plan.md.
    const plan = planFor(nonce('00112233445566778899aabbccddeeff'));
    expect(plan).toMatchInlineSnapshot(`
      {
        "bandwidthIdleGapsMs": [
          70,
          190,
          0,
          80,
          80,
          150,
        ],
        "bandwidthKernels": [
          "read",
          "scale",
          "add",
          "write",
          "triad",
          "copy",
        ],
        "bandwidthTrials": 13,
        "derivation": "tppverify-run-plan@1",
        "phaseOrder": [
          "throughput",
          "bandwidth",
        ],
        "throughputFormats": [
          "FP32",
          "FP16",
          "INT8",
          "FP64",
          "BF16",
        ],
        "throughputIdleGapsMs": [
          70,
          40,
          40,
          160,
          140,
        ],
        "throughputTrials": 13,
      }
    `);
  });

  it('agrees with the independent Python reference in docs/ for many nonces and offers', () => {
    const reference = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/run-plan-reference.py');
    for (let i = 0; i < 20; i++) {
      const n = nonce((0x9e3779b9 * (i + 1)).toString(16));
      const kernels = KERNELS.slice(0, 1 + (i % KERNELS.length));
      const formats = FORMATS.slice(i % 3);
      const fromPython = JSON.parse(
        execFileSync('python3', [reference, n.toString('hex'), kernels.join(','), formats.join(',')], { encoding: 'utf8' }),
      ) as RunPlan;
      expect(deriveRunPlan({ nonce: n, bandwidthKernels: kernels, throughputFormats: formats })).toEqual(fromPython);
    }
  });

  it('differs between nonces, and covers every order and trial count over many nonces', () => {
    const firsts = new Set<string>();
    const kernelOrders = new Set<string>();
    const trials = new Set<number>();
    let maxGap = 0;
    for (let i = 0; i < 2000; i++) {
      const plan = planFor(nonce(i.toString(16)));
      firsts.add(plan.phaseOrder[0] as string);
      kernelOrders.add(plan.bandwidthKernels.join(','));
      trials.add(plan.bandwidthTrials).add(plan.throughputTrials);
      maxGap = Math.max(maxGap, ...plan.bandwidthIdleGapsMs, ...plan.throughputIdleGapsMs);
      expect([...plan.bandwidthKernels].sort()).toEqual([...KERNELS].sort());
      expect([...plan.throughputFormats].sort()).toEqual([...FORMATS].sort());
    }
    expect(firsts.size).toBe(2);
    // 720 orders of six kernels; 2,000 draws see nearly all of them.
    expect(kernelOrders.size).toBeGreaterThan(600);
    expect([...trials].sort((x, y) => x - y)).toEqual(
      Array.from({ length: PLAN_MAX_EXTRA_TRIALS + 1 }, (_, k) => PLAN_MIN_TRIALS + k),
    );
    expect(maxGap).toBe(PLAN_MAX_IDLE_GAP_MS);
    expect(planFor(nonce('02'))).not.toEqual(planFor(nonce('03')));
  });

  it('draws without bias: each kernel leads about a sixth of the time', () => {
    const counts = new Map<string, number>();
    const draws = 6000;
    for (let i = 0; i < draws; i++) {
      const lead = planFor(nonce((i + 1_000_000).toString(16))).bandwidthKernels[0] as string;
      counts.set(lead, (counts.get(lead) ?? 0) + 1);
    }
    // Binomial(6000, 1/6): sd ≈ 29; 5 sd either side.
    for (const k of KERNELS) expect(Math.abs((counts.get(k) ?? 0) - draws / 6)).toBeLessThan(145);
  });
});

describe('measurements against the plan', () => {
  const plan = planFor(nonce('abcdef'));

  it('accepts measurements that follow it', () => {
    expect(planDepartures(plan, sequenceOf(plan))).toEqual([]);
  });

  it('refuses kernels out of order, the wrong phase first, and trial counts the plan did not ask for', () => {
    const swapped = sequenceOf(plan);
    swapped.bandwidthKernels.reverse();
    expect(planDepartures(plan, swapped).join('\n')).toMatch(/bandwidth kernels ran as/);

    const phase = sequenceOf(plan);
    phase.firstPhase = plan.phaseOrder[1];
    expect(planDepartures(plan, phase).join('\n')).toMatch(/first/);

    const trials = sequenceOf(plan);
    (trials.throughputCases[0] as { trials: number }).trials = plan.throughputTrials + 1;
    expect(planDepartures(plan, trials).join('\n')).toMatch(/trials, the plan/);

    const formats = sequenceOf(plan);
    formats.throughputCases.reverse();
    expect(planDepartures(plan, formats).join('\n')).toMatch(/throughput formats ran as/);
  });

  it('takes several engines of one format as one step, and ignores trial counts of unavailable cases', () => {
    const seq = sequenceOf(plan);
    const first = seq.throughputCases[0] as MeasuredSequence['throughputCases'][number];
    seq.throughputCases.splice(1, 0, { format: first.format, available: false, trials: 0 });
    expect(planDepartures(plan, seq)).toEqual([]);
  });

  it('names the field of a recorded plan that the nonce does not give', () => {
    expect(planMismatch(plan, planFor(nonce('abcdef')))).toBeNull();
    expect(planMismatch({ ...plan, bandwidthTrials: plan.bandwidthTrials + 1 }, plan)).toMatch(/bandwidthTrials/);
    expect(planMismatch(planFor(nonce('abcdf0')), plan)).toMatch(/recorded run plan/);
  });
});
