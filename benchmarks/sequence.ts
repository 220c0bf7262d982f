// Runs a suite as a given sequence of cases: one addon call per bandwidth
// kernel or throughput format, in the order given, each after its idle gap.
// The sequence comes from the run plan (harness/plan/run-plan.ts), so the
// order the device sees changes with every nonce; each call is bench.ts's
// own, so the results are shaped and validated exactly as one call's are.
import { setTimeout as sleep } from 'node:timers/promises';
import { measureDramBandwidth, measurePeakThroughput, type BandwidthReport, type DeviceTarget, type InjectedFault, type ThroughputCaseReport } from './bench.js';
import type { NativeAddon, NativeProgress } from './native-addon.js';
import type { RunSettings } from './registry.js';

/** One case of a sequence: a bandwidth kernel or a throughput format, and the idle time before it. */
export interface SequenceStep {
  name: string;
  idleGapMs: number;
  /** The code variant the plan drew for this kernel or format. */
  variant: number;
}

export async function measureDramBandwidthInSequence(
  addon: NativeAddon,
  target: DeviceTarget,
  settings: RunSettings,
  steps: readonly SequenceStep[],
  onProgress: (event: NativeProgress) => void,
  fault?: InjectedFault,
): Promise<BandwidthReport> {
  let merged: BandwidthReport | undefined;
  for (const step of steps) {
    await sleep(step.idleGapMs);
    const report = await measureDramBandwidth(addon, target, { ...settings, kernels: [step.name], variant: step.variant }, onProgress, fault);
    // Every call records how its kernels were compiled; distinct records are all kept.
    const compilation = merged && merged.runtimeCompilation !== report.runtimeCompilation
      ? [...new Set([...merged.runtimeCompilation.split(' | '), report.runtimeCompilation])].join(' | ')
      : report.runtimeCompilation;
    merged = merged ? { ...merged, runtimeCompilation: compilation, kernels: [...merged.kernels, ...report.kernels] } : report;
  }
  if (!merged) throw new Error('a bandwidth sequence with no kernel');
  return merged;
}

export async function measurePeakThroughputInSequence(
  addon: NativeAddon,
  target: DeviceTarget,
  settings: RunSettings,
  steps: readonly SequenceStep[],
  onProgress: (event: NativeProgress) => void,
  fault?: InjectedFault,
): Promise<ThroughputCaseReport[]> {
  const cases: ThroughputCaseReport[] = [];
  for (const step of steps) {
    await sleep(step.idleGapMs);
    // A format the device does not offer comes back with no case: it simply did not run.
    cases.push(...(await measurePeakThroughput(addon, target, { ...settings, formats: [step.name], variant: step.variant }, onProgress, fault)));
  }
  return cases;
}
