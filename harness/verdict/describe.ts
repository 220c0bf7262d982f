// Renders findings as the sentences a person reads. Findings are data (see
// verdict.ts); the words live here, so verify never has to reproduce prose.
import { formatFixed as fmt } from '../format.js';
import { section232Reasons } from '../rules/evaluate.js';
import { US_SECTION_232_SEMICONDUCTORS } from '../rules/rule-sets.js';
import { DECISION_RULE, type Finding, type Section232Record } from './verdict.js';

const pct = (fraction: number) => `${fmt(fraction * 100, 1)} %`;

function value(f: Finding, name: string): number {
  return f.values.find((v) => v.name === name)?.value ?? Number.NaN;
}

function label(f: Finding, name: string): string | undefined {
  return f.labels.find((l) => l.name === name)?.value;
}

function describeUnits(f: Finding): string {
  if (f.values.length === 0) return 'no throughput measurement: units used unknown';
  const used = value(f, 'unitsUsed');
  const declared = value(f, 'declared');
  if (used === declared) return `${used} units used, as declared`;
  return `${used} units used, ${declared} declared${used < declared ? ': partitioned or disabled units' : ''}`;
}

function describeRate(f: Finding): string {
  const measured = value(f, 'measuredOpsPerClockPerUnit');
  if (Number.isNaN(measured)) {
    const reason = label(f, 'unavailableReason');
    return `not measured${reason ? `: ${reason}` : ' by this backend'}`;
  }
  const p = DECISION_RULE.parameters;
  const rated = value(f, 'ratedClockMhz');
  const declaredAt = Number.isNaN(rated) ? 'declared' : `declared at ${fmt(rated)} MHz`;
  const text = `${label(f, 'engine') ?? ''}: ${fmt(measured, 1)} ops/clk/unit measured vs ${fmt(value(f, 'declaredOpsPerClockPerUnit'), 1)} ${declaredAt} (${pct(value(f, 'ratio'))}, U = ${pct(value(f, 'expandedUncertainty'))} at k = ${p.coverageFactor})`;
  return f.status === 'not-confirmed' ? `${text}: below ${pct(p.notConfirmedBelow)}` : text;
}

function describeOmitted(f: Finding): string {
  const format = f.claim.slice('format:'.length);
  const raises = f.status === 'under-declared';
  return `executes ${format} (${label(f, 'engine') ?? ''}), which the declaration omits: TPP ${fmt(value(f, 'tpp'))} at the spec clock${raises ? `, above the declared ${fmt(value(f, 'declaredTpp'))}` : ''}`;
}

function describeClock(f: Finding): string {
  const clock = f.claim.slice('clock:'.length);
  const limit = fmt(value(f, 'tppLimit'));
  const headroom = `${clock} clock ${fmt(value(f, 'clockMhz'))} MHz is above the ${fmt(value(f, 'specClockMhz'))} MHz spec clock: measured TPP ${fmt(value(f, 'tpp'))} there`;
  if (value(f, 'crosses') !== 1) return headroom;
  return f.status === 'under-declared'
    ? `${headroom}, not below ${limit} while the declared TPP is`
    : `${headroom}: crosses ${limit}, which the declared TPP stays under`;
}

function describeDram(f: Finding): string {
  if (f.claim === 'dram:peak') {
    if (f.values.length === 0) return 'the device reports no memory interface: peak bandwidth not checked';
    const peak = value(f, 'peakGbps');
    const declared = value(f, 'declaredGbps');
    const diff = (peak - declared) / declared;
    return `memory interface peak ${fmt(peak, 1)} GB/s vs declared ${fmt(declared, 1)} GB/s (${diff >= 0 ? '+' : ''}${pct(diff)})`;
  }
  if (f.values.length === 0) return 'no bandwidth measurement';
  const achieved = value(f, 'achievedGbps');
  const declared = value(f, 'declaredGbps');
  if (label(f, 'basis') !== undefined) {
    return `achieved ${fmt(achieved, 1)} GB/s; the self-declared ${fmt(declared, 1)} GB/s is this measurement (the device reports no memory interface), so it confirms nothing`;
  }
  return `achieved ${fmt(achieved, 1)} GB/s = ${pct(achieved / declared)} of the declared ${fmt(declared, 1)} GB/s`;
}

function describeAudit(f: Finding): string {
  const note = label(f, 'note');
  if (note !== undefined) return note;
  const original = value(f, 'original');
  const rerun = value(f, 'rerun');
  if (Number.isNaN(rerun)) return `${original.toPrecision(5)} originally; not measured in the rerun`;
  return `${original.toPrecision(5)} originally, ${rerun.toPrecision(5)} now (${(((rerun - original) / original) * 100).toFixed(2)} %; allowed ±${(value(f, 'allowed') * 100).toFixed(2)} %)`;
}

function describeItem(f: Finding): string {
  const l = (name: string) => label(f, name) || '(not reported)';
  const device = `${l('deviceVendor')} ${l('deviceModel')} (${l('deviceArchitecture')})`;
  if (f.status === 'consistent') return `the device is the declared item: ${device}`;
  return `NOT THE DECLARED ITEM (${label(f, 'mismatches') ?? ''} differ): the declaration is for ${l('declaredVendor')} ${l('declaredProduct')} (${l('declaredArchitecture')}), the device measured is ${device}; no finding below says anything about the declaration`;
}

function describeIdentity(f: Finding): string {
  if (f.claim === 'identity:label-serial') {
    const device = label(f, 'deviceSerial');
    const seen = `label serial ${label(f, 'labelSerial') ?? ''} (seen by ${label(f, 'observer') ?? '?'} at ${label(f, 'observedAt') ?? '?'})`;
    if (device === undefined) return `${seen}: ${label(f, 'problem') ?? 'not compared'}`;
    return f.status === 'consistent' ? `${seen} = the device's serial (${label(f, 'deviceSerialAssurance')})` : `${seen} is NOT the device's serial ${device} (${label(f, 'deviceSerialAssurance')})`;
  }
  if (f.claim === 'identity:label-board-part-number') {
    const [seen, device] = [label(f, 'labelBoardPartNumber'), label(f, 'deviceBoardPartNumber')];
    return f.status === 'consistent' ? `label board part number ${seen} = the device's` : `label board part number ${seen} is NOT the device's ${device}`;
  }
  const parts = [`declared ${label(f, 'product') ?? ''}`];
  if (label(f, 'sku')) parts.push(`${f.status === 'consistent' ? 'matches' : 'compared with'} SKU data for ${label(f, 'sku')} (PCI device ${label(f, 'pciDeviceId')}, ${label(f, 'pciDeviceIdAssurance')}${label(f, 'chipSku') ? `; chip SKU ${label(f, 'chipSku')}` : ''})`);
  for (const key of ['problem', 'note']) if (label(f, key)) parts.push(label(f, key)!);
  return parts.join(': ');
}

function describeSustained(f: Finding): string {
  if (f.claim === 'sustained') {
    return `sustained phase: ${fmt(value(f, 'rounds'))} rounds alternating the formats, ${fmt(value(f, 'seconds'), 1)} s timed (at least ${fmt(value(f, 'requiredSeconds'), 1)} s asked)`;
  }
  const p = DECISION_RULE.parameters;
  const held = `${label(f, 'engine') ?? ''}: held ${fmt(value(f, 'sustainedTops'), 2)} TOPS over ${fmt(value(f, 'trials'))} trials (${fmt(value(f, 'seconds'), 1)} s) vs ${fmt(value(f, 'peakTops'), 2)} peak = ${pct(value(f, 'ratio'))}; per clock ${pct(value(f, 'perClockRatio'))}`;
  if (f.status === 'inconclusive') {
    return `${held}: ABOVE THE PEAK by more than ${pct(p.sustainedAbovePeakTolerance)} + U (${pct(value(f, 'expandedUncertainty'))} at k = ${p.coverageFactor}): the peak measurement was held down, so it is not the device's capability`;
  }
  return f.status === 'note' ? `${held}: below ${pct(p.sustainedFarBelowPeak)} of the peak under sustained alternating work` : held;
}

function describeSecondMethod(f: Finding): string {
  const bandwidth = f.claim === 'second-method:bandwidth';
  const [unit, digits] = bandwidth ? ['GB/s', 1] : ['ops/clk/unit', 1];
  const nativeValue = value(f, bandwidth ? 'nativeGbps' : 'nativeOpsPerClockPerUnit');
  const libraryValue = value(f, bandwidth ? 'libraryGbps' : 'libraryOpsPerClockPerUnit');
  const nativeName = label(f, bandwidth ? 'nativeKernel' : 'nativeEngine') ?? '';
  const libraryName = label(f, bandwidth ? 'libraryKernel' : 'libraryEngine') ?? '';
  const reason = label(f, 'unavailableReason');
  if (reason !== undefined) return `no second method: ${reason}; our ${nativeName} ${fmt(nativeValue, digits)} ${unit} stands on one method`;
  if (Number.isNaN(nativeValue)) return `library ${libraryName} ${fmt(libraryValue, digits)} ${unit}; ${label(f, 'basis') ?? 'no native figure'}`;
  const p = DECISION_RULE.parameters;
  const text = `library ${libraryName} ${fmt(libraryValue, digits)} ${unit} vs our ${nativeName} ${fmt(nativeValue, digits)} ${unit} (${pct(value(f, 'ratio'))}, U = ${pct(value(f, 'expandedUncertainty'))} at k = ${p.coverageFactor})`;
  if (f.status === 'inconclusive') return `${text}: the library is faster than our kernel by more than ${pct(p.secondMethodAbove)} + U, so our figure was held down`;
  if (f.status === 'note') return `${text}: the library is below ${pct(p.secondMethodBelow)} of our kernel`;
  return text;
}

export function describeFinding(f: Finding): string {
  if (f.rule === 'audit') return describeAudit(f);
  if (f.claim === 'item') return describeItem(f);
  if (f.claim === 'units') return describeUnits(f);
  if (f.claim.startsWith('rate:')) return describeRate(f);
  if (f.claim.startsWith('format:')) return describeOmitted(f);
  if (f.claim.startsWith('clock:')) return describeClock(f);
  if (f.claim.startsWith('dram:')) return describeDram(f);
  if (f.claim === 'state') return label(f, 'problem') ?? 'state problem';
  if (f.claim.startsWith('identity:')) return describeIdentity(f);
  if (f.claim === 'sustained' || f.claim.startsWith('sustained:')) return describeSustained(f);
  if (f.claim.startsWith('second-method:')) return describeSecondMethod(f);
  return f.labels.map((l) => l.value).join('; ');
}

/** "declared: COVERED, window 1 (TPP 15,832; 4,800 GB/s declared)" and the reasons behind it. */
export function describeSection232(which: 'declared' | 'measured', record: Section232Record | null): { headline: string; reasons: string[] } {
  if (!record) {
    return { headline: which === 'measured' ? 'measured: no throughput measurement, so no measured TPP' : 'declared: not recorded in this attestation (made before Section 232 was evaluated)', reasons: [] };
  }
  const headline = `${which}: ${record.covered ? `COVERED, window ${record.window}` : 'not covered'} (TPP ${fmt(record.tpp)}; total DRAM bandwidth ${fmt(record.dramBandwidthGbps)} GB/s, ${record.dramBandwidthBasis})`;
  return { headline, reasons: section232Reasons(US_SECTION_232_SEMICONDUCTORS, record.tpp, record.dramBandwidthGbps) };
}
