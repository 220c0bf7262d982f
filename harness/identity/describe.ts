// How identity facts read to a person, one rule for verify and the report:
// each fact's assurance ("hardware-attested", "self-reported",
// "operator-observed") and every path that read it.
import type { Fact } from '../verdict/record.js';

/** Facts that carry an assurance mark: the device's identity, not its attributes. */
export function identityOf(facts: readonly Fact[]): Fact[] {
  return facts.filter((f) => f.assurance);
}

/** "nvml nvmlDeviceGetSerial, nvidia-smi -q -x serial" (with a differing value named). */
export function readingsText(fact: Fact): string {
  const readings = fact.readings?.length ? fact.readings : [{ source: fact.source, value: fact.value }];
  return readings.map((r) => (r.value === fact.value ? r.source : `${r.source} '${r.value}'`)).join(', ');
}

/** The rows verify prints and the report tabulates: field, value, assurance, readings. */
export function identityRows(facts: readonly Fact[]): [string, string, string, string][] {
  return identityOf(facts).map((f) => [f.name, f.value, f.assurance ?? '', readingsText(f)]);
}

export function renderIdentity(facts: readonly Fact[]): string {
  const rows = identityRows(facts);
  if (!rows.length) return '';
  const width = Math.max(...rows.map((r) => r[0].length));
  return `identity (per field):\n${rows.map(([name, value, assurance, readings]) => `  ${name.padEnd(width)}  ${value}  [${assurance}] ${readings}`).join('\n')}\n`;
}
