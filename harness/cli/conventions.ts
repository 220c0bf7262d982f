// The conventions every command shares: test levels with --quick as an
// alias, dates, and the options pipelines use.
import { InvalidArgumentError } from 'commander';
import { describeLevel, STANDARD_LEVEL, TEST_LEVELS, type TestLevel } from '../../benchmarks/levels.js';
import { UsageError } from '../errors.js';
import type { Outcome } from '../verdict/verdict.js';

/** --level NAME, or --quick (its alias): giving both with different levels is refused, not resolved silently. */
export function levelFromFlags(flags: { level?: unknown; quick?: unknown }): TestLevel {
  const level = typeof flags.level === 'string' ? (flags.level as TestLevel) : undefined;
  if (flags.quick === true) {
    if (level !== undefined && level !== 'quick') throw new UsageError(`--quick is --level quick: it cannot be given with --level ${level}`);
    return 'quick';
  }
  return level ?? STANDARD_LEVEL;
}

/** The --level option's help: every level with what it measures. */
export function levelHelp(): string {
  return `test level (default ${STANDARD_LEVEL}): ${TEST_LEVELS.join(', ')}`;
}

export function levelsHelpText(): string {
  return ['Levels:', ...TEST_LEVELS.map((level) => `  ${describeLevel(level)}`)].join('\n');
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date, YYYY-MM-DD, that exists (2026-02-30 is refused). */
export function isoDate(flag: string) {
  return (raw: string): string => {
    const match = ISO_DATE.exec(raw);
    const date = match ? new Date(`${raw}T00:00:00Z`) : undefined;
    if (!match || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== raw) {
      throw new InvalidArgumentError(`${flag} must be a date as YYYY-MM-DD, not '${raw}'`);
    }
    return raw;
  };
}

export const OUTCOMES: readonly Outcome[] = ['consistent', 'under-declared', 'over-declared', 'inconclusive'];

/** --fail-on OUTCOMES: a comma-separated list of verdict outcomes, each one known. */
export function outcomeList(flag: string) {
  return (raw: string): Outcome[] => {
    const names = raw.split(',').map((s) => s.trim());
    const unknown = names.filter((n) => !(OUTCOMES as readonly string[]).includes(n));
    if (!names.length || unknown.length) {
      throw new InvalidArgumentError(`${flag} takes outcomes separated by commas (${OUTCOMES.join(', ')}), not '${raw}'`);
    }
    return [...new Set(names as Outcome[])];
  };
}
