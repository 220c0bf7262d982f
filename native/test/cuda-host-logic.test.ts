// The CUDA backend's host-side logic, without a GPU.
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../benchmarks/native-addon.js';

const logic = loadAddon().hostLogic;
const GIB = 2 ** 30;
const MIB = 2 ** 20;

describe('CUDA array sizing', () => {
  it('takes 4 GiB per array where memory allows (one pass lasts long against its launch), the rule max(8 × L2, 1 GiB) below that', () => {
    // H100: 50 MiB L2 → 400 MiB, so the 1 GiB floor is the rule; 4 GiB fit in 79 GiB.
    expect(logic.cudaSizeArrays(50 * MIB, 79 * GIB, 0)).toMatchObject({ ruleBytes: GIB, elements: (4 * GIB) / 8, belowRule: false });
    // A part with a 1 GiB last-level cache → an 8 GiB rule, above the preferred 4 GiB.
    expect(logic.cudaSizeArrays(1024 * MIB, 180 * GIB, 0)).toMatchObject({ ruleBytes: 8 * GIB, elements: (8 * GIB) / 8 });
    // 6 GiB free: 1.6 GiB per array, above the 1 GiB rule, so the rule is met.
    expect(logic.cudaSizeArrays(50 * MIB, 6 * GIB, 0)).toMatchObject({ belowRule: false });
    expect(logic.cudaSizeArrays(50 * MIB, 6 * GIB, 0).elements * 8).toBeLessThan(2 * GIB);
  });

  it('caps three arrays at 80 % of free memory and says the rule was not met', () => {
    const s = logic.cudaSizeArrays(50 * MIB, 3 * GIB, 0);
    expect(s.capBytes).toBe(Math.floor((0.8 * 3 * GIB) / 3));
    expect(s.elements * 8).toBeLessThanOrEqual(s.capBytes);
    expect(s.elements % 2).toBe(0);
    expect(s.belowRule).toBe(true);
  });

  it('refuses a requested size that does not fit', () => {
    expect(() => logic.cudaSizeArrays(50 * MIB, 3 * GIB, 2 * GIB)).toThrow(/three arrays of 2147483648 bytes do not fit/);
  });
});

describe('CUDA clock and SMs from block records', () => {
  it('divides summed cycles by summed nanoseconds and counts distinct SMs', () => {
    const stamps = [0, 1, 2, 3].map((sm) => ({
      clockStart: 1000,
      clockEnd: 1000 + 1_755_000 * 10, // 10 ms at 1,755 MHz
      timerStartNs: 5_000,
      timerEndNs: 5_000 + 10_000_000,
      smidStart: sm % 2,
      smidEnd: sm % 2,
    }));
    const reading = logic.cudaReadClock(stamps);
    expect(reading.mhz).toBeCloseTo(1755, 6);
    expect(reading.sms).toBe(2);
    // Issue 18: the timer's span, first start to last end, is what is held against the host clock.
    expect(reading.spanSeconds).toBeCloseTo(0.01, 12);
  });

  it('counts a block that migrated between SMs on both, but leaves its cycles (two counters) out of the clock', () => {
    const reading = logic.cudaReadClock([
      // Resumed on SM 9, whose counter is behind SM 7's: the end reads below the start.
      { clockStart: 5_000, clockEnd: 100, timerStartNs: 0, timerEndNs: 100, smidStart: 7, smidEnd: 9 },
      { clockStart: 0, clockEnd: 150, timerStartNs: 0, timerEndNs: 100, smidStart: 3, smidEnd: 3 },
    ]);
    expect(reading.sms).toBe(3);
    expect(reading.mhz).toBe(1500);
    expect(() => logic.cudaReadClock([{ clockStart: 0, clockEnd: 100, timerStartNs: 0, timerEndNs: 100, smidStart: 7, smidEnd: 9 }])).toThrow(
      /every block moved/,
    );
  });

  it('checks the in-kernel timer against the event timer: a wrong assumed rate is refused, not turned into a clock', () => {
    const block = { clockStart: 0, clockEnd: 17_550_000, timerStartNs: 0, timerEndNs: 10_000_000, smidStart: 0, smidEnd: 0 };
    expect(logic.cudaReadClock([block], 0.0102).mhz).toBeCloseTo(1755, 6);
    // A timer four times slower than assumed (25 vs 100 MHz) shows as blocks spanning a quarter of the kernel.
    expect(() => logic.cudaReadClock([block], 0.04)).toThrow(/in-kernel timer disagrees with the event timer/);
    expect(() => logic.cudaReadClock([block], 0.009)).toThrow(/in-kernel timer disagrees/);
    // Blocks that ran in two waves: each spans half the kernel, together all of it.
    const second = { ...block, timerStartNs: 10_000_000, timerEndNs: 20_000_000, smidStart: 1, smidEnd: 1 };
    expect(logic.cudaReadClock([block, second], 0.0205).sms).toBe(2);
  });

  it('refuses stamps that run backwards', () => {
    expect(() => logic.cudaReadClock([{ clockStart: 10, clockEnd: 5, timerStartNs: 0, timerEndNs: 1, smidStart: 0, smidEnd: 0 }])).toThrow(
      /ran backwards/,
    );
  });
});

describe('CUDA trial length', () => {
  it('scales the calibration run to the target and clamps to the exact-accumulator limit', () => {
    expect(logic.cudaIterationsFor(0.001, 1024, 0.05, 1024, 1 << 22)).toBe(51200);
    expect(logic.cudaIterationsFor(1e-6, 1024, 10, 1024, 1 << 22)).toBe(1 << 22);
    expect(logic.cudaIterationsFor(1, 1024, 0.001, 1024, 1 << 22)).toBe(1024);
    // Whole periods only: 51,507 iterations' worth rounds down to 804 periods of 64.
    expect(logic.cudaIterationsFor(0.001, 1024, 0.0503, 1024, 1 << 22, 64)).toBe(51456);
    expect(logic.cudaIterationsFor(1, 1024, 0.001, 16, 1 << 22, 64)).toBe(64);
  });
});

describe('GPU bandwidth trial length', () => {
  it('repeats a launch until a trial lasts at least 20 ms', () => {
    expect(logic.gpuLaunchesPerTrial(0.001)).toBe(20);
    expect(logic.gpuLaunchesPerTrial(0.003)).toBe(7);
    expect(logic.gpuLaunchesPerTrial(0.5)).toBe(1);
  });

  it('treats a zero warm-up time as 1 µs rather than dividing by zero', () => {
    expect(logic.gpuLaunchesPerTrial(0)).toBe(20000);
  });
});
