// Runs a suite as a given sequence of cases: one addon call per bandwidth
// kernel or throughput format, in the order given, each after its idle gap.
// The sequence comes from the run plan (harness/plan/run-plan.ts), so the
// order the device sees changes with every nonce; the results are shaped and
// validated exactly as one call's would be.
import { setTimeout as sleep } from 'node:timers/promises';
import { shapeBandwidth, shapeThroughputCase, type BandwidthReport, type DeviceTarget, type InjectedFault, type ThroughputCaseReport } from './bench.js';
import type { NativeAddon, NativeBandwidthResult, NativeProgress, NativeThroughputCase } from './native-addon.js';
import type { RunSettings } from './registry.js';

/** One case of a sequence: a bandwidth kernel or a throughput format, and the idle time before it. */
export interface SequenceStep {
  name: string;
  idleGapMs: number;
}

export async function measureDramBandwidthInSequence(
  addon: NativeAddon,
  target: DeviceTarget,
  settings: RunSettings,
  steps: readonly SequenceStep[],
  onProgress: (event: NativeProgress) => void,
  fault?: InjectedFault,
): Promise<BandwidthReport> {
  let merged: NativeBandwidthResult | undefined;
  for (const step of steps) {
    await sleep(step.idleGapMs);
    const result = await addon.measureBandwidth(
      target.backend,
      target.index,
      {
        arrayBytes: settings.arrayBytes,
        trials: settings.trials,
        kernels: [step.name],
        ...(fault?.suite === 'bandwidth' ? { faultKernel: fault.name } : {}),
      },
      onProgress,
    );
    merged = merged ? { ...merged, kernels: [...merged.kernels, ...result.kernels] } : result;
  }
  if (!merged) throw new Error('a bandwidth sequence with no kernel');
  return shapeBandwidth(merged, settings.trials);
}

export async function measurePeakThroughputInSequence(
  addon: NativeAddon,
  target: DeviceTarget,
  settings: RunSettings,
  steps: readonly SequenceStep[],
  onProgress: (event: NativeProgress) => void,
  fault?: InjectedFault,
): Promise<ThroughputCaseReport[]> {
  const cases: NativeThroughputCase[] = [];
  for (const step of steps) {
    await sleep(step.idleGapMs);
    // A format the device does not offer comes back with no case: it simply did not run.
    const result = await addon.measureThroughput(
      target.backend,
      target.index,
      {
        secondsPerTrial: settings.secondsPerTrial,
        trials: settings.trials,
        sweep: settings.sweep === true,
        formats: [step.name],
        ...(fault?.suite === 'throughput' ? { faultCase: fault.name } : {}),
      },
      onProgress,
    );
    cases.push(...result.cases);
  }
  return cases.map((c) => shapeThroughputCase(c, settings.trials));
}
