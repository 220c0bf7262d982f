// The sustained phase's runner: through the real CPU addon (work fixed from
// the peak, one trial per call), and over a scripted addon (rounds, order,
// stopping at the duration, refusing a trial that was calibrated afresh).
import { describe, expect, it } from 'vitest';
import { shapeThroughputCase } from '../bench.js';
import { loadAddon, type NativeAddon, type NativeThroughputCase, type NativeThroughputRequest } from '../native-addon.js';
import { measureSustained, sustainedRequestFor, validateSustained } from '../sustained.js';
import { DEFAULT_SETTINGS } from '../registry.js';
import type { ThroughputCaseRecord } from '../../attestations/records.js';

const noProgress = () => {};

describe('the CPU addon with fixed work', () => {
  const addon = loadAddon();

  it('runs exactly the peak trial\'s work, one timed trial, no calibration', async () => {
    const peak = await addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.002, trials: 10, formats: ['FP64'] }, noProgress);
    const c = peak.cases.find((x) => x.available)!;
    expect(c.workPerTrial).toBeGreaterThan(0);
    // Ten times the peak's work: a trial calibrated afresh would report its own work, not this.
    const fixed = await addon.measureThroughput('cpu', 0, { secondsPerTrial: 0.002, trials: 1, formats: ['FP64'], fixedWork: { [`FP64/${c.engine}`]: c.workPerTrial! * 10 } }, noProgress);
    const f = fixed.cases.find((x) => x.available)!;
    expect(f.workPerTrial).toBe(c.workPerTrial! * 10);
    expect(f.opsPerTrial).toBeCloseTo(c.opsPerTrial * 10, 6);
    expect(f.trialSeconds).toHaveLength(1);
  });

  it('refuses fixed work that is not a positive integer', () => {
    // The addon checks its arguments before starting the measurement: a synchronous TypeError.
    expect(() => addon.measureThroughput('cpu', 0, { trials: 1, formats: ['FP64'], fixedWork: { 'FP64/avx512': 1.5 } }, noProgress)).toThrow(/must be a positive integer/);
  });
});

/** A scripted device: two formats, FP16 with two engines; a trial of work w lasts w ms. */
function scriptedAddon(calls: NativeThroughputRequest[], wrongWork = false): NativeAddon {
  const engines: Record<string, string[]> = { FP16: ['a', 'b'], FP32: ['a'] };
  return {
    async measureThroughput(_backend: string, _index: number, request: NativeThroughputRequest) {
      calls.push(request);
      const format = request.formats![0]!;
      const cases: NativeThroughputCase[] = engines[format]!.map((engine) => {
        const work = (request.fixedWork?.[`${format}/${engine}`] ?? 7) + (wrongWork ? 1 : 0);
        return { format, engine, available: true, unavailableReason: '', opsPerInstruction: 2, maxInstructionsPerClockPerUnit: 4, opsPerTrial: work * 1e3, workPerTrial: work, threads: 1, units: 1, trialSeconds: [work / 1e3], trialClockMhz: [1], clockMethod: 'sim' };
      });
      return { deviceId: 'sim', cases };
    },
  } as unknown as NativeAddon;
}

const peakCase = (format: string, engine: string, work: number) =>
  shapeThroughputCase(
    { format, engine, available: true, unavailableReason: '', opsPerInstruction: 2, maxInstructionsPerClockPerUnit: 4, opsPerTrial: work * 1e3, workPerTrial: work, threads: 1, units: 1, trialSeconds: Array(10).fill(work / 1e3), trialClockMhz: Array(10).fill(1), clockMethod: 'sim' },
    10,
  );

describe('measureSustained', () => {
  const peak = [peakCase('FP16', 'a', 2), peakCase('FP16', 'b', 3), peakCase('FP32', 'a', 5)];

  it('rotates the formats in the given order, one trial per case per round, until the duration, whole rounds only', async () => {
    const calls: NativeThroughputRequest[] = [];
    // A round lasts 2 + 3 + 5 = 10 ms; 25 ms needs three rounds.
    const report = await measureSustained(scriptedAddon(calls), { backend: 'cpu', index: 0 }, DEFAULT_SETTINGS, sustainedRequestFor(peak, ['FP32', 'FP16'], 0.025), noProgress);
    expect(report.rounds).toBe(3);
    expect(report.requiredSeconds).toBe(0.025);
    expect(report.trials.map((t) => `${t.round}:${t.format}/${t.engine}`)).toEqual(
      [1, 2, 3].flatMap((r) => [`${r}:FP32/a`, `${r}:FP16/a`, `${r}:FP16/b`]),
    );
    expect(calls.every((c) => c.trials === 1)).toBe(true);
    expect(calls[1]!.fixedWork).toEqual({ 'FP16/a': 2, 'FP16/b': 3 });
    const records = peak.map((c) => ({ ...c, unavailableReason: '' })) as unknown as ThroughputCaseRecord[];
    expect(() => validateSustained(report, records)).not.toThrow();
    // Another work than the peak's in the record is refused.
    const changed = { ...report, trials: report.trials.map((t, i) => (i === 0 ? { ...t, opsPerTrial: t.opsPerTrial * 2 } : t)) };
    expect(() => validateSustained(changed, records)).toThrow(/not the peak trials'/);
  });

  it('refuses a trial that did not run the peak phase\'s work', async () => {
    await expect(measureSustained(scriptedAddon([], true), { backend: 'cpu', index: 0 }, DEFAULT_SETTINGS, sustainedRequestFor(peak, ['FP16', 'FP32'], 0.01), noProgress)).rejects.toThrow(
      /ran 3 work, not the peak phase's 2/,
    );
  });
});
