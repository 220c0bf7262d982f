// Clock and power evidence per phase (issue 18): what the telemetry sampled
// in the phase (reported clock, power limit in force and its default, clock
// event reasons) beside what the phase itself measured (the cycle counter's
// clock, the device timer against the host's steady clock). Generic over phase
// names: any phase whose report carries throughput-shaped cases gives a
// measured clock. The state problems it implies are derived from the record
// alone (harness/verdict/state.ts), so verify re-derives them.
import type { ClockEvidenceRecord, PhaseEvidenceRecord, TimerEvidenceRecord } from '../../attestations/records.js';
import { NO_POWER, type PhaseTelemetry } from '../inventory/telemetry.js';
import { measuredClockMhz, type ClockedCase } from '../verdict/state.js';

interface TimedCase extends ClockedCase {
  trialHostSeconds?: number[];
  trialTimerSeconds?: number[];
}

/** The throughput-shaped cases of a phase's report: an array of cases, or an object holding one under `cases`. */
function casesOf(report: unknown): TimedCase[] {
  const list = Array.isArray(report) ? report : report && typeof report === 'object' && Array.isArray((report as { cases?: unknown }).cases) ? (report as { cases: unknown[] }).cases : [];
  return list.filter((c): c is TimedCase => !!c && typeof c === 'object' && Array.isArray((c as ClockedCase).trialClockMhz));
}

/**
 * Only trials this long enter the timer comparison: the host's reading adds a
 * launch and a synchronisation (tens of µs) the device timer does not see,
 * under 0.5 % of 10 ms, half the decision rule's hostTimerTolerance.
 */
export const MIN_TIMER_CHECK_SECONDS = 0.01;

function timerEvidence(phase: string, backend: string, cases: readonly TimedCase[], clocksource: string | undefined): TimerEvidenceRecord {
  if (backend === 'cpu') {
    // A TSC reading is no independent check: its rate is not reported, and CLOCK_MONOTONIC is usually the TSC itself.
    return {
      method: `same clock: the CPU's trials are timed by the host's steady clock (CLOCK_MONOTONIC${clocksource ? `, clocksource ${clocksource}` : ''}); there is no separate device timer to hold against it`,
      deviceTimerSeconds: 0,
      hostSeconds: 0,
      trials: 0,
      sameClock: true,
    };
  }
  let device = 0;
  let host = 0;
  let trials = 0;
  let paired = 0;
  for (const c of cases) {
    const hostSeconds = c.trialHostSeconds ?? [];
    const timerSeconds = c.trialTimerSeconds ?? [];
    if (hostSeconds.length !== timerSeconds.length) continue;
    hostSeconds.forEach((seconds, i) => {
      if (seconds < MIN_TIMER_CHECK_SECONDS) return;
      host += seconds;
      device += timerSeconds[i]!;
      trials += 1;
    });
    paired += hostSeconds.length;
  }
  if (!trials) {
    const why = paired
      ? `none of its ${paired} timed trials lasted ${MIN_TIMER_CHECK_SECONDS} s by the host clock (shorter, the launch is a large part of the host's reading)`
      : `it recorded no device-timer span beside a host clock reading${cases.length ? ' (an addon without the host clock reading?)' : ' (its kernels carry no timer stamps)'}`;
    return {
      method: `not measured: in the ${phase} phase ${why}`,
      deviceTimerSeconds: 0,
      hostSeconds: 0,
      trials: 0,
      sameClock: false,
    };
  }
  return {
    method: `the device timer (%globaltimer; s_memrealtime on AMD) from the first block start to the last block end, against the host steady clock around the synchronised launch, summed over the timed trials of at least ${MIN_TIMER_CHECK_SECONDS} s`,
    deviceTimerSeconds: device,
    hostSeconds: host,
    trials,
    sameClock: false,
  };
}

function clockEvidence(phase: string, telemetry: PhaseTelemetry | undefined, cases: readonly TimedCase[]): ClockEvidenceRecord {
  const reported = telemetry?.evidence?.clock;
  const measured = measuredClockMhz(cases);
  const methods = [...new Set(cases.filter((c) => c.available !== false && c.trialClockMhz.length).map((c) => c.clockMethod ?? '').filter(Boolean))];
  const notComparable = !reported ? 'no telemetry sampler for this device' : !reported.comparable ? reported.notComparableReason : measured === null ? 'no clock measured in this phase' : '';
  return {
    reportedSource: reported?.source ?? 'not reported: no telemetry sampler for this device',
    reportedSamples: reported?.samples ?? 0,
    reportedMinMhz: reported?.mhz?.min ?? 0,
    reportedMedianMhz: reported?.mhz?.median ?? 0,
    reportedMaxMhz: reported?.mhz?.max ?? 0,
    measuredMhz: measured ?? 0,
    measuredSource: measured === null ? `not measured: the ${phase} phase's kernels read no clock` : `median of the trial clocks (${methods.join('; ') || 'method not named'})`,
    comparable: notComparable === '',
    notComparableReason: notComparable,
  };
}

/** One phase's record, from its telemetry (absent: no sampler) and its report. */
export function phaseEvidenceOf(phase: string, backend: string, telemetry: PhaseTelemetry | undefined, report: unknown): PhaseEvidenceRecord {
  const cases = casesOf(report);
  return {
    phase,
    clock: clockEvidence(phase, telemetry, cases),
    power: telemetry?.evidence?.power ?? { ...NO_POWER, source: 'none', unreadable: 'not readable: no telemetry sampler for this device' },
    clockEventReasons: telemetry?.reasonsSeen ?? 'not reported',
    throttled: telemetry?.throttled ?? false,
    timer: timerEvidence(phase, backend, cases, telemetry?.evidence?.hostClocksource),
  };
}
