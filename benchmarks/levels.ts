// Named test levels, as `dcgmi diag -r` has them: how long the measurement
// runs, stated from the settings themselves (never a separate number that
// could drift). `standard` is the method; any other level is a deviation the
// attestation records and the report states.
import { DEFAULT_SETTINGS, MIN_TRIALS, QUICK_SETTINGS, type RunSettings } from './registry.js';

export type TestLevel = 'quick' | 'standard' | 'long';
export const TEST_LEVELS: readonly TestLevel[] = ['quick', 'standard', 'long'];
export const STANDARD_LEVEL: TestLevel = 'standard';

/** Long: three times the trials (a tighter spread estimate) of five times the length (clock and thermal steady state). */
const LONG_TRIALS = 3 * MIN_TRIALS;
const LONG_SECONDS_PER_TRIAL = 5 * DEFAULT_SETTINGS.secondsPerTrial;

const SETTINGS: Record<TestLevel, RunSettings> = {
  quick: QUICK_SETTINGS,
  standard: DEFAULT_SETTINGS,
  long: { trials: LONG_TRIALS, arrayBytes: DEFAULT_SETTINGS.arrayBytes, secondsPerTrial: LONG_SECONDS_PER_TRIAL },
};

/**
 * The sustained phase (issue 18): after the peak phases, every throughput
 * format again, one trial each per round in the plan's order, round after
 * round without idle gaps, as a training step alternates its GEMMs, until
 * this many timed trial seconds have passed (rounded up to whole rounds).
 * Standard: 60 s, the "≥ 60 s" issue 18 asks, long enough for a GPU to meet
 * its power and thermal limits (boost decays within tens of seconds under full
 * load). Long: 300 s, thermal steady state. Quick: 2 s, a smoke test of the
 * machinery only, so tests stay fast. --sustained-seconds overrides it and the
 * attestation records that deviation.
 */
const SUSTAINED_SECONDS: Record<TestLevel, number> = { quick: 2, standard: 60, long: 300 };
/** The shortest sustained phase the standard method allows (issue 18). */
export const STANDARD_SUSTAINED_MIN_SECONDS = 60;

const PURPOSE: Record<TestLevel, string> = {
  quick: 'a smoke test: too short for a filing',
  standard: 'the method',
  long: 'for a disputed or borderline result, and for audits',
};

export function levelSettings(level: TestLevel): RunSettings {
  return SETTINGS[level];
}

export function isTestLevel(value: string): value is TestLevel {
  return (TEST_LEVELS as readonly string[]).includes(value);
}

/** Timed throughput seconds per format and engine at a level (warm-up excluded). */
export function throughputSecondsPerFormat(level: TestLevel): number {
  const s = SETTINGS[level];
  return s.trials * s.secondsPerTrial;
}

/** Timed seconds the sustained phase must reach at a level. */
export function sustainedSeconds(level: TestLevel): number {
  return SUSTAINED_SECONDS[level];
}

/**
 * The deviation a sustained phase of other than the level's length is, in
 * the exact words the attestation records (verify rebuilds them); undefined
 * at the level's own length.
 */
export function sustainedDeviation(level: TestLevel, seconds: number): string | undefined {
  if (seconds === SUSTAINED_SECONDS[level]) return undefined;
  return `a sustained phase of ${seconds} s set by --sustained-seconds instead of the level's ${SUSTAINED_SECONDS[level]} s`;
}

/** The level an attestation recorded; older ones have only the quick flag. */
export function recordedLevel(method: { level: string; quick: boolean }): TestLevel {
  if (isTestLevel(method.level)) return method.level;
  return method.quick ? 'quick' : STANDARD_LEVEL;
}

/** One line a person reads: what the level does and how long it measures. */
export function describeLevel(level: TestLevel): string {
  const s = SETTINGS[level];
  const seconds = throughputSecondsPerFormat(level);
  return `${level}: ${s.trials} timed trials of ${s.secondsPerTrial} s per throughput format and engine (${Number(seconds.toFixed(2))} s each), ${s.trials} bandwidth trials per kernel over DRAM-sized arrays, then a sustained phase of at least ${sustainedSeconds(level)} s alternating the formats; ${PURPOSE[level]}`;
}

/** The departure from the standard method a level is, in words; empty for standard. */
export function levelDeviation(level: TestLevel): string | undefined {
  if (level === STANDARD_LEVEL) return undefined;
  const s = SETTINGS[level];
  const d = DEFAULT_SETTINGS;
  return `${level} level instead of standard: ${s.trials} trials of ${s.secondsPerTrial} s per throughput format instead of ${d.trials} of ${d.secondsPerTrial} s, and a sustained phase of ${sustainedSeconds(level)} s instead of ${sustainedSeconds(STANDARD_LEVEL)} s`;
}
