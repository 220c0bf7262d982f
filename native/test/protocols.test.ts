// The bandwidth and throughput protocols (native/core/protocols.h), driven
// through every branch by the fake device of native/test/fake_device.cpp:
// the same protocol code the CUDA and HIP backends run on a GPU.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../../benchmarks/native-addon.js';

const fakeDevice = path.join(path.dirname(addonPath()), 'tppverify-fake-device');

interface Failure {
  ok: false;
  code: 'VERIFICATION_FAILED' | 'DEVICE_ERROR' | 'REQUEST_REFUSED';
  kernel?: string;
  message: string;
}
interface BandwidthRun {
  ok: true;
  kernels: { name: string; engine: string; method: string; warmupSeconds: number; trialSeconds: number[]; passesPerCall: number[] }[];
  hostChecks: number;
}
interface ThroughputRun {
  ok: true;
  units: number;
  opsPerTrial: number;
  trialSeconds: number[];
  trialClockMhz: number[];
  trialHostSeconds: number[];
  trialTimerSeconds: number[];
  workPerCall: number[];
}

function drive<T>(protocol: 'bandwidth' | 'throughput', scenario: string): T | Failure {
  return JSON.parse(execFileSync(fakeDevice, [protocol, scenario], { encoding: 'utf8' })) as T | Failure;
}

function failure(protocol: 'bandwidth' | 'throughput', scenario: string): Failure {
  const result = drive<BandwidthRun | ThroughputRun>(protocol, scenario);
  if (result.ok) throw new Error(`${protocol} ${scenario} passed: ${JSON.stringify(result).slice(0, 200)}`);
  return result;
}

describe('bandwidth protocol', () => {
  it('discards the warm-up, sizes the passes from it (20 ms trials), checks every kernel, and the host copy after the last trial', () => {
    const run = drive<BandwidthRun>('bandwidth', 'ok');
    if (!run.ok) throw new Error(run.message);
    expect(run.kernels.map((k) => k.name)).toEqual(['read', 'write', 'copy', 'triad', 'memcpy']);
    // The second method (the runtime's copy) names its own engine and method; our kernels the device's.
    expect(run.kernels.map((k) => `${k.engine}/${k.method}`)).toEqual([...Array<string>(4).fill('fake/native'), 'runtime-memcpy/library']);
    for (const k of run.kernels) {
      expect(k.trialSeconds).toHaveLength(10);
      // 2 ms per pass: one pass for the warm-up, then 10 per trial; seconds are per pass.
      expect(k.passesPerCall).toEqual([1, ...Array<number>(10).fill(10)]);
      expect(k.trialSeconds.every((s) => s === 0.002)).toBe(true);
    }
    expect(run.hostChecks).toBe(5);
  });

  it('reruns a trial that came out too short with more passes, without recording it', () => {
    const run = drive<BandwidthRun>('bandwidth', 'slow-warmup');
    if (!run.ok) throw new Error(run.message);
    const read = run.kernels[0]!;
    expect(read.warmupSeconds).toBe(0.03);
    // The 30 ms warm-up asked for one pass; that 2 ms trial was rerun with 10.
    expect(read.passesPerCall).toEqual([1, 1, ...Array<number>(10).fill(10)]);
    expect(read.trialSeconds).toHaveLength(10);
  });

  it('fails a trial whose output holds a wrong value, naming the kernel and the trial', () => {
    const f = failure('bandwidth', 'wrong-value');
    expect(f.code).toBe('VERIFICATION_FAILED');
    expect(f.kernel).toBe('read');
    expect(f.message).toMatch(/read: result verification failed: sum .*, expected .*\(trial 3\)/);
  });

  it('fails when only the host copy after the last trial shows the error', () => {
    const f = failure('bandwidth', 'wrong-on-host');
    expect(f.code).toBe('VERIFICATION_FAILED');
    expect(f.message).toMatch(/write: .*1 of 4096 elements wrong on the host \(trial 10\)/);
  });

  it('the test-only fault hook fails the named kernel at its last trial', () => {
    const f = failure('bandwidth', 'fault-hook');
    expect(f.kernel).toBe('copy');
    expect(f.message).toMatch(/copy: result verification failed: 1 of 4096 elements wrong \(checked on the device\) \(trial 10\)/);
  });

  it('the fault hook reaches the second method: a wrong memcpy fails, it never scores', () => {
    const f = failure('bandwidth', 'fault-hook-memcpy');
    expect(f.code).toBe('VERIFICATION_FAILED');
    expect(f.kernel).toBe('memcpy');
    expect(f.message).toMatch(/memcpy: result verification failed: 1 of 4096 elements wrong \(checked on the device\) \(trial 10\)/);
  });

  it('refuses a timer that runs backwards', () => {
    const f = failure('bandwidth', 'timer-backwards');
    expect(f.code).toBe('DEVICE_ERROR');
    expect(f.message).toMatch(/^read trial 2: the device's timer gave -0\.001000 s \(it ran backwards or stood still\)/);
  });

  it('refuses trials that stay too short to time after three reruns', () => {
    const f = failure('bandwidth', 'too-short');
    expect(f.code).toBe('DEVICE_ERROR');
    expect(f.message).toMatch(/^read trial 1: 20000 passes took 0\.000001 s, under the 0\.005000 s a trial must last to be timed \(after 3 reruns/);
  });

  it('ends the run on a device error mid-trial, naming the trial', () => {
    const f = failure('bandwidth', 'device-error');
    expect(f.code).toBe('DEVICE_ERROR');
    expect(f.message).toBe('read trial 4: fake: the device fell off the bus');
  });

  it('refuses an unknown kernel name before measuring', () => {
    const f = failure('bandwidth', 'unknown-kernel');
    expect(f.code).toBe('REQUEST_REFUSED');
    expect(f.message).toMatch(/unknown bandwidth kernel 'scale' for the fake backend \(read, write, copy, triad, memcpy\)/);
  });

  it('refuses a code variant the device lacks before measuring (run plan @2)', () => {
    const f = failure('bandwidth', 'variant-out-of-range');
    expect(f.code).toBe('REQUEST_REFUSED');
    expect(f.message).toMatch(/read: code variant 1 requested; this backend has variants 0 to 0/);
  });
});

describe('throughput protocol', () => {
  it('runs the first launch, calibrates, discards the warm-up and reads clock and units from the block stamps', () => {
    const run = drive<ThroughputRun>('throughput', 'ok');
    if (!run.ok) throw new Error(run.message);
    // One period (64), the calibration (1,024), then 50 ms at 1 µs per iteration in whole periods: 49,984.
    expect(run.workPerCall).toEqual([64, 1024, ...Array<number>(11).fill(49984)]);
    expect(run.trialSeconds).toHaveLength(10);
    expect(run.trialClockMhz.every((mhz) => Math.abs(mhz - 1500) < 1e-6)).toBe(true);
    expect(run.units).toBe(4);
    // Issue 18: per timed trial, the host clock around it beside the blocks' timer span (98 % of the event time).
    expect(run.trialHostSeconds).toHaveLength(10);
    expect(run.trialTimerSeconds).toHaveLength(10);
    run.trialTimerSeconds.forEach((span, i) => expect(span).toBeCloseTo(run.trialSeconds[i]! * 0.98, 6));
    run.trialHostSeconds.forEach((host, i) => expect(host).toBeCloseTo(run.trialSeconds[i]! + 20e-6, 9));
  });

  it('reruns a warm-up that a slow calibration made too short, with the work worked out again', () => {
    const run = drive<ThroughputRun>('throughput', 'slow-calibration');
    if (!run.ok) throw new Error(run.message);
    expect(run.workPerCall).toEqual([64, 1024, 4992, ...Array<number>(11).fill(49984)]);
    expect(run.trialSeconds).toHaveLength(10);
  });

  it('runs work fixed by the caller with no calibration and no warm-up, and does not refuse a trial shorter than the target', () => {
    const run = drive<ThroughputRun & { workPerTrial: number }>('throughput', 'fixed-work');
    if (!run.ok) throw new Error(run.message);
    // The first launch (loads the code), then the ten timed trials of the fixed work: no calibration, no warm-up.
    expect(run.workPerCall).toEqual([64, ...Array<number>(10).fill(4992)]);
    expect(run.workPerTrial).toBe(4992);
    expect(run.trialSeconds).toHaveLength(10);
    const ok = drive<ThroughputRun & { workPerTrial: number }>('throughput', 'ok');
    if (!ok.ok) throw new Error(ok.message);
    expect(ok.workPerTrial).toBe(49984);
  });

  it('refuses fixed work outside the shape (not a whole number of periods)', () => {
    const f = failure('throughput', 'fixed-work-off-multiple');
    expect(f.code).toBe('REQUEST_REFUSED');
    expect(f.message).toMatch(/fixed work of 4993 per trial .* not a multiple of 64/);
  });

  it.each([
    ['wrong-value', 'VERIFICATION_FAILED', /FAKE\/fake\.mma: result verification failed: 3 accumulator elements differ from their exact expected value \(trial 5\)/],
    ['fault-hook', 'VERIFICATION_FAILED', /1 accumulator elements differ .*\(trial 10\)/],
    ['timer-backwards', 'DEVICE_ERROR', /^FAKE\/fake\.mma trial 2: a block's clock or timer ran backwards/],
    ['uneven', 'DEVICE_ERROR', /^FAKE\/fake\.mma trial 3: uneven block placement: unit 0 ran 3 blocks where every unit must run 2/],
    ['waves', 'DEVICE_ERROR', /^FAKE\/fake\.mma trial 3: the 2 blocks of unit 1 ran one after another, not at once/],
    ['too-short', 'DEVICE_ERROR', /^FAKE\/fake\.mma trial 4: lasted 0\.004998 s, under 0\.012500 s .*too short to time/],
    ['device-error', 'DEVICE_ERROR', /^FAKE\/fake\.mma trial 6: fake: an illegal instruction trapped$/],
    ['implausible', 'VERIFICATION_FAILED', /a median of 1960\.0+ ops per clock per unit over 10 trials is above the hardware bound of 1024/],
    ['timer-disagrees', 'DEVICE_ERROR', /in-kernel timer disagrees with the event timer/],
    ['variant-out-of-range', 'REQUEST_REFUSED', /^FAKE\/fake\.mma: code variant 1 requested; this backend has variants 0 to 0/],
    ['clock-above-maximum', 'DEVICE_ERROR', /measured unit clock of 1500\.0+ MHz disagrees with the device's reported maximum of 1200\.0+ MHz/],
  ])('%s: fails with %s', (scenario, code, message) => {
    const f = failure('throughput', scenario);
    expect(f.code).toBe(code);
    expect(f.message).toMatch(message);
  });
});
