// The report's view model: everything the page shows, as plain text and
// numbers, built from the decoded statement and what the reader checked
// (signatures, the file's digest). Sections (sections.ts) only lay it out,
// so a new section reads the view and adds one function.
import type { Statement } from '../../attestations/statement.js';
import type { PhaseEvidenceRecord } from '../../attestations/records.js';
import { methodOf } from '../../benchmarks/registry.js';
import { summarizeRates } from '../../benchmarks/statistics.js';
import { describeLevel, recordedLevel, type TestLevel } from '../../benchmarks/levels.js';
import { parseDeclaration, type Declaration } from '../declaration/declaration.js';
import { formatFixed as fmt } from '../format.js';
import { US_BIS_2026_00789 } from '../rules/rule-sets.js';
import { describeFinding } from '../verdict/describe.js';
import { measuredRates, type Finding, type Outcome } from '../verdict/verdict.js';
import { sustainedComparisons, sustainedTotalSeconds } from '../verdict/sustained.js';
import { compareItem, type ItemMatch } from './item-match.js';
import { claimLabel, factLabel, factValue, parameterLabel, policyLabel, preflightLabel, statusLabel } from './labels.js';
import { bandwidth as bandwidthText } from './units.js';

export type PaperSize = 'a4' | 'letter';
export const PAPER_SIZES: readonly PaperSize[] = ['a4', 'letter'];

export interface ReportSignature {
  /** The keyid written in the envelope (may be empty). */
  keyid: string;
  verified: boolean | null;
  /** The trusted key it verified with, as the one verification found. */
  verifiedBy?: string | null;
}

/** What the one verification said: the envelope's signatures, whether trusted keys checked them, and every content problem. */
export interface ReportSignatures {
  checked: boolean;
  entries: ReportSignature[];
  /** Problems of the content itself (recomputation, acceptance rules, canonical form): any one fails the page. */
  problems?: string[];
}

/** What the reader of the file knows beyond the statement. */
export interface ReportContext {
  signatures: ReportSignatures;
  /** Hex SHA-256 of the envelope file as read: ties the paper to the file. */
  envelopeSha256?: string;
  paper?: PaperSize;
}

export interface LabeledRow {
  label: string;
  value: string;
}

export interface FactRow extends LabeledRow {
  /** The recorded fact name, for sections that mark facts by kind; never shown. */
  name: string;
  source: string;
}

export interface RateRow {
  format: string;
  engine: string;
  declaredTops: number | undefined;
  declaredPerClock: number | undefined;
  measuredPerClock: number | undefined;
  /** Expanded uncertainty (k × relative standard deviation) as a share of the measured rate. */
  relativeExpanded: number | undefined;
  /** measured ÷ declared per-clock rate. */
  ratio: number | undefined;
  status: string;
  note: string;
}

export interface TppRow {
  source: 'declared' | 'measured';
  clock: string;
  clockMhz: number;
  tpp: number;
  /** Expanded uncertainty (k = coverage factor) in TPP units; undefined for declared figures. */
  expanded: number | undefined;
  format: string;
}

export interface BandwidthRow {
  kernel: string;
  engine: string;
  /** 'library': the second method (libc memcpy, the runtime's copy): shown, never the achieved figure. */
  method: 'native' | 'library';
  medianGbps: number;
  expandedGbps: number;
  trials: number;
}

/** One case (format and engine) of the sustained phase against its peak. */
export interface SustainedRow {
  format: string;
  engine: string;
  peakTops: number;
  sustainedTops: number;
  ratio: number;
  perClockRatio: number;
  trials: number;
  seconds: number;
  status: string;
}

export interface SustainedView {
  rounds: number;
  seconds: number;
  requiredSeconds: number;
  /** The formats in the order each round ran them. */
  order: string[];
  rows: SustainedRow[];
}

/** One quantity measured by our kernel and by the second method (step 8's finding). */
export interface SecondMethodRow {
  quantity: string;
  unit: 'GB/s' | 'ops/clock/unit';
  native: string;
  library: string;
  nativeValue: number | undefined;
  libraryValue: number | undefined;
  /** library ÷ native. */
  ratio: number | undefined;
  /** The guard band k × combined relative uncertainty, as a share. */
  relativeExpanded: number | undefined;
  status: string;
  note: string;
}

export interface Conformity {
  outcome: Outcome;
  /** ok, warn, bad: the colour of the outcome box. */
  tone: 'ok' | 'warn' | 'bad';
  headline: string;
  sentences: string[];
}

export interface AuditView {
  originalSha256: string;
  outcome: string;
  tolerance: number;
  comparisons: { what: string; status: string; detail: string }[];
}

export interface ReportView {
  reportId: string;
  issuedAt: string;
  demo: boolean;
  selfDeclared: boolean;
  scope: string;
  paper: PaperSize;
  envelopeSha256: string | undefined;
  item: {
    vendor: string;
    product: string;
    partNumber: string;
    eccn: string;
    declarationSha256: string;
    match: ItemMatch;
  };
  lab: { name: string; accreditation: string; location: string; address: string; operator: string };
  client: { exporter: string; filingReference: string };
  dates: { receivedOn: string; testStarted: string; testFinished: string; issued: string };
  identity: FactRow[];
  host: FactRow[];
  method: {
    level: TestLevel;
    levelText: string;
    deviations: string[];
    rows: LabeledRow[];
  };
  decisionRule: { id: string; steps: string[]; parameters: LabeledRow[]; limits: string };
  results: {
    coverageFactor: number;
    rates: RateRow[];
    tpp: TppRow[];
    bandwidth: BandwidthRow[];
    declaredDramGbps: number | undefined;
    peakDramGbps: number | undefined;
    achieved: BandwidthRow | undefined;
    secondMethod: SecondMethodRow[];
    byteConvention: string;
    uncertaintyMethod: string;
    /** The sustained phase beside the peak; undefined where none was recorded. */
    sustained: SustainedView | undefined;
  };
  findings: { what: string; status: string; text: string }[];
  conformity: Conformity;
  preflight: { check: string; result: string; detail: string }[];
  telemetry: { phase: string; source: string; json: string }[];
  /** Clock and power evidence per phase (issue 18), as rows a person reads. */
  evidence: { phase: string; rows: { label: string; value: string }[] }[];
  audit: AuditView | undefined;
  authorisation: { name: string; role: string; keyIds: string[] };
  signatures: ReportSignatures;
}

function parameter(statement: Statement, name: string, fallback: number): number {
  return statement.predicate.method.decisionParameters.find((p) => p.name === name)?.value ?? fallback;
}

/** The declaration as recorded; a record that no longer parses (an older schema) shows its fields as absent. */
function recordedDeclaration(statement: Statement): Declaration | undefined {
  try {
    return parseDeclaration(Buffer.from(statement.predicate.declaration.json).toString('utf8'));
  } catch {
    return undefined;
  }
}

const findingValue = (f: Finding, name: string) => f.values.find((v) => v.name === name)?.value;
const findingLabel = (f: Finding, name: string) => f.labels.find((l) => l.name === name)?.value;

function rateRows(statement: Statement, declaration: Declaration | undefined): RateRow[] {
  return statement.predicate.verdict.findings
    .filter((f) => f.claim.startsWith('rate:'))
    .map((f) => {
      const format = f.claim.slice('rate:'.length);
      const declaredTops = declaration?.peakDenseTops[format as keyof Declaration['peakDenseTops']];
      const measured = findingValue(f, 'measuredOpsPerClockPerUnit');
      return {
        format,
        engine: findingLabel(f, 'engine') ?? '',
        declaredTops,
        declaredPerClock: findingValue(f, 'declaredOpsPerClockPerUnit'),
        measuredPerClock: measured,
        relativeExpanded: findingValue(f, 'expandedUncertainty'),
        ratio: findingValue(f, 'ratio'),
        status: statusLabel(f.status),
        note: measured === undefined ? `not measured${findingLabel(f, 'unavailableReason') ? `: ${findingLabel(f, 'unavailableReason')}` : ''}` : '',
      };
    });
}

/**
 * TPP rows. Declared figures only at clocks the declaration names (spec, and
 * max when declared); measured figures at every clock with the expanded
 * uncertainty of the format that sets them.
 */
function tppRows(statement: Statement, declaration: Declaration | undefined, k: number): TppRow[] {
  const results = statement.predicate.results;
  const declaredClocks = new Set<number>([declaration?.specClockMhz, declaration?.maxClockMhz].filter((c): c is number => c !== undefined));
  const rows: TppRow[] = results.declaredAtClocks
    .filter((c) => (c.clock === 'spec' || c.clock === 'max') && declaredClocks.has(c.clockMhz))
    .map((c) => ({ source: 'declared', clock: c.clock, clockMhz: c.clockMhz, tpp: c.tpp, expanded: undefined, format: c.format }));
  const rates = measuredRates(statement.predicate.measurements);
  for (const c of results.measuredAtClocks) {
    const rate = rates.find((r) => r.format === c.format);
    rows.push({ source: 'measured', clock: c.clock, clockMhz: c.clockMhz, tpp: c.tpp, expanded: rate ? k * rate.relativeUncertainty * c.tpp : undefined, format: c.format });
  }
  return rows;
}

function bandwidthRows(statement: Statement, k: number): BandwidthRow[] {
  return (statement.predicate.measurements.bandwidth?.kernels ?? [])
    .filter((kernel) => kernel.trialSeconds.length > 0)
    .map((kernel) => {
      const bytes = kernel.bytesReadPerTrial + kernel.bytesWrittenPerTrial;
      const s = summarizeRates(kernel.trialSeconds.map((seconds) => bytes / seconds / 1e9));
      return { kernel: kernel.name, engine: kernel.engine, method: methodOf(kernel.method), medianGbps: s.median, expandedGbps: k * s.stddev, trials: s.trials };
    });
}

function secondMethodRows(statement: Statement): SecondMethodRow[] {
  return statement.predicate.verdict.findings
    .filter((f) => f.claim.startsWith('second-method:'))
    .map((f) => {
      const bandwidth = f.claim === 'second-method:bandwidth';
      const reason = findingLabel(f, 'unavailableReason');
      return {
        quantity: bandwidth ? 'DRAM bandwidth' : f.claim.slice('second-method:'.length),
        unit: bandwidth ? 'GB/s' : 'ops/clock/unit',
        native: findingLabel(f, bandwidth ? 'nativeKernel' : 'nativeEngine') ?? '',
        library: findingLabel(f, bandwidth ? 'libraryKernel' : 'libraryEngine') ?? '',
        nativeValue: findingValue(f, bandwidth ? 'nativeGbps' : 'nativeOpsPerClockPerUnit'),
        libraryValue: findingValue(f, bandwidth ? 'libraryGbps' : 'libraryOpsPerClockPerUnit'),
        ratio: findingValue(f, 'ratio'),
        relativeExpanded: findingValue(f, 'expandedUncertainty'),
        status: statusLabel(f.status),
        note: reason ? `no second method: ${reason}` : (findingLabel(f, 'basis') ?? ''),
      };
    });
}

function sustainedView(statement: Statement): SustainedView | undefined {
  const s = statement.predicate.measurements.sustained;
  if (!s) return undefined;
  const status = (label: string) => statement.predicate.verdict.findings.find((f) => f.claim === `sustained:${label}`)?.status ?? '';
  return {
    rounds: s.rounds,
    seconds: sustainedTotalSeconds(s),
    requiredSeconds: s.requiredSeconds,
    order: [...new Set(s.trials.filter((t) => t.round === 1).map((t) => t.format))],
    rows: sustainedComparisons(statement.predicate.measurements).map((c) => ({
      format: c.format,
      engine: c.engine,
      peakTops: c.peakTops,
      sustainedTops: c.sustainedTops,
      ratio: c.ratio,
      perClockRatio: c.perClockRatio,
      trials: c.trials,
      seconds: c.seconds,
      status: statusLabel(status(`${c.format}/${c.engine}`)),
    })),
  };
}

function decisionSteps(statement: Statement): string[] {
  const p = (name: string, fallback: number) => parameter(statement, name, fallback);
  const pct = (share: number) => `${fmt(share * 100, 0)} %`;
  const k = p('coverageFactor', 2);
  return [
    'Compute units: the units the kernels ran on are counted and compared with the declared count; more than declared is under-declared, fewer is inconclusive (partitioned or disabled units).',
    `Per-clock rate of each declared format: the measured operations per clock per unit against the declared rate ÷ (units × spec clock). Above it by more than ${pct(p('perClockTolerance', 0.02))} plus the expanded uncertainty U (k = ${k}) is under-declared; below ${pct(p('notConfirmedBelow', 0.9))} of it is not confirmed (the benchmark did not reach the declared rate, which is not a finding of accuracy).`,
    'Formats executed but not declared: under-declared when their TPP at the spec clock exceeds the declared TPP.',
    `Clocks: TPP from the measured per-clock rates at the spec, maximum and observed clocks; a clock above the spec clock at which TPP crosses ${fmt(US_BIS_2026_00789.tppBelow)} while the declared TPP stays under it is a finding.`,
    `DRAM bandwidth: the peak from the memory interface must lie within ±${pct(p('dramPeakTolerance', 0.02))} of the declared figure; achieved bandwidth above the declared peak by more than that is under-declared, below ${pct(p('dramNotConfirmedBelow', 0.8))} of it is not confirmed.`,
    `State: a failed preflight check, a peak phase that ran throttled (the sustained phase meets the limits a user's work meets: its telemetry is shown, not held against the peak), bandwidth arrays below the sizing rule, an enforced power limit below the default (or the RAPL maximum) in any phase, a measured clock outside the clocks the telemetry reported by more than ${pct(p('clockAgreementTolerance', 0.1))}, or a device timer off the host clock by more than ${pct(p('hostTimerTolerance', 0.01))} make the verdict inconclusive.`,
    `Second method: each figure is measured again by code that is not ours (the vendor's GEMM library loaded at run time; the C library's memcpy or the runtime's device-to-device copy). The library above our kernel by more than ${pct(p('secondMethodAbove', 0.1))} plus U (k = ${k}, over both spreads) means our figure was held down: inconclusive; below ${pct(p('secondMethodBelow', 0.5))} of it is a note. A missing library is named: inconclusive for a declared quantity. The primary figures come from our kernels only.`,
    `Sustained phase: every format again, one trial each per round in the run plan's order with the peak's work, rounds back to back for the level's duration; a sustained rate (absolute or per clock) above the peak by more than ${pct(p('sustainedAbovePeakTolerance', 0.1))} plus U (k = ${k}) makes the verdict inconclusive (the peak was held down); below ${pct(p('sustainedFarBelowPeak', 0.9))} of the peak is reported beside it.`,
    'Outcome: under-declared if any finding is; else over-declared if any is; else inconclusive if any claim is not confirmed or inconclusive; else consistent.',
  ];
}

/** Where the declared figures put the item under the 2026 rule, in words (never a bare "eligible"). */
function declaredPosition(statement: Statement): string {
  const r = statement.predicate.results;
  const tpp = fmt(r.declaredTpp);
  const limitTpp = fmt(US_BIS_2026_00789.tppBelow);
  const limitDram = bandwidthText(US_BIS_2026_00789.dramBandwidthGbpsBelow);
  return r.caseByCaseEligible
    ? `the declared TPP ${tpp} is below ${limitTpp} and the declared DRAM bandwidth below ${limitDram}, the limits for case-by-case review under ${US_BIS_2026_00789.id}`
    : `the declared figures (TPP ${tpp}) are not below both limits for case-by-case review under ${US_BIS_2026_00789.id} (TPP under ${limitTpp}, DRAM bandwidth under ${limitDram})`;
}

/** The statement of conformity: its words follow the verdict, never the other way round. */
export function conformityOf(statement: Statement): Conformity {
  const p = statement.predicate;
  const outcome = p.verdict.outcome;
  const position = declaredPosition(statement);
  const count = (status: string) => p.verdict.findings.filter((f) => f.status === status).length;
  const crossing = p.results.measuredAtClocks.filter((c) => c.tpp >= US_BIS_2026_00789.tppBelow);
  const crossingSentence = crossing.length
    ? [`Measured TPP reaches ${crossing.map((c) => `${fmt(c.tpp)} at the ${c.clock} clock`).join(' and ')}, not below ${fmt(US_BIS_2026_00789.tppBelow)}.`]
    : [];
  switch (outcome) {
    case 'consistent':
      return {
        outcome,
        tone: 'ok',
        headline: 'the item is as declared',
        sentences: [
          `The item's measured performance is consistent with its declaration under decision rule ${p.method.decisionRule}.`,
          `On these confirmed figures, ${position}.`,
          ...crossingSentence,
        ],
      };
    case 'inconclusive':
      return {
        outcome,
        tone: 'warn',
        headline: 'no statement of conformity is made',
        sentences: [
          `This test neither confirms nor contradicts the declaration: ${count('not-confirmed')} claim(s) not confirmed and ${count('inconclusive')} inconclusive under decision rule ${p.method.decisionRule}.`,
          `On the declaration alone, which this report does not confirm, ${position}.`,
          ...crossingSentence,
        ],
      };
    case 'under-declared':
      return {
        outcome,
        tone: 'bad',
        headline: 'the item performs above its declaration',
        sentences: [
          `${count('under-declared')} finding(s) show the item exceeding what is declared, under decision rule ${p.method.decisionRule}: the declared figures cannot support a determination.`,
          `The declaration states that ${position}; the measurements contradict it.`,
          ...crossingSentence,
        ],
      };
    case 'over-declared':
      return {
        outcome,
        tone: 'bad',
        headline: 'the declaration claims more than the item has',
        sentences: [
          `${count('over-declared')} finding(s) show the declaration above what the item delivers, under decision rule ${p.method.decisionRule}.`,
          `The declaration states that ${position}; the declared figures are not those of this item.`,
          ...crossingSentence,
        ],
      };
    default:
      // A document whose outcome is none of the four (a tampered payload) still renders, as failing.
      return {
        outcome: 'inconclusive',
        tone: 'bad',
        headline: 'no statement of conformity is made',
        sentences: [`The recorded outcome ${JSON.stringify(String(outcome)).slice(0, 40)} is not one of the decision rule's outcomes.`],
      };
  }
}

function auditView(statement: Statement): AuditView | undefined {
  const audit = statement.predicate.audit;
  if (!audit) return undefined;
  return {
    originalSha256: audit.originalSha256,
    outcome: audit.outcome,
    tolerance: audit.tolerance,
    comparisons: audit.comparisons.map((c) => ({ what: claimLabel(c.claim), status: statusLabel(c.status), detail: describeFinding(c) })),
  };
}

const factRow = (f: { name: string; value: string; source: string }): FactRow => ({ name: f.name, label: factLabel(f.name), value: factValue(f.name, f.value), source: f.source });

export function buildReportView(statement: Statement, context: ReportContext): ReportView {
  const p = statement.predicate;
  const declaration = recordedDeclaration(statement);
  const identity = statement.subject[0]?.identity ?? [];
  const k = parameter(statement, 'coverageFactor', 2);
  const level = recordedLevel(p.method);
  const environment = p.environment.facts;
  const bandwidth = bandwidthRows(statement, k);
  // The achieved figure is our kernels' (as achievedDramBandwidthGbps): the library's memcpy is the second method.
  const achieved = bandwidth.filter((row) => row.method === 'native').reduce<BandwidthRow | undefined>((best, row) => (!best || row.medianGbps > best.medianGbps ? row : best), undefined);
  const peakFinding = p.verdict.findings.find((f) => f.claim === 'dram:peak');
  const deviations = [...p.method.deviations];
  // Attestations made before deviations were recorded still state a quick run.
  if (!deviations.length && level !== 'standard' && !p.method.level) deviations.push(`${level} level instead of standard`);
  return {
    reportId: p.report.reportId,
    issuedAt: p.report.issuedAt,
    demo: p.report.demo,
    selfDeclared: p.report.selfDeclared,
    scope: p.report.statementScope,
    paper: context.paper ?? 'a4',
    envelopeSha256: context.envelopeSha256,
    item: {
      vendor: declaration?.vendor ?? '',
      product: declaration?.product ?? '',
      partNumber: declaration?.partNumber ?? '',
      eccn: declaration?.eccn ?? '',
      declarationSha256: p.declaration.sha256,
      match: declaration ? compareItem(declaration, identity) : { status: 'unknown', comparisons: [] },
    },
    lab: { name: p.report.labName, accreditation: p.report.labAccreditation, location: p.report.testLocation, address: p.report.labAddress, operator: p.report.operator },
    client: { exporter: p.report.exporter, filingReference: p.report.filingReference },
    dates: { receivedOn: p.report.itemReceivedOn, testStarted: p.measurements.startedAt, testFinished: p.measurements.finishedAt, issued: p.report.issuedAt },
    identity: identity.filter((f) => f.name !== 'deviceId').map(factRow),
    host: environment.filter((f) => !f.name.startsWith('preflight.') && !f.name.startsWith('telemetry.')).map(factRow),
    method: {
      level,
      levelText: describeLevel(level),
      deviations,
      rows: [
        { label: 'Harness', value: `tppverify ${p.method.harnessVersion}${p.method.gitCommit ? `, commit ${p.method.gitCommit}` : ''}` },
        { label: 'Rule sets', value: p.method.ruleSets.join(', ') || '—' },
        ...p.method.policies.map((x) => ({ label: policyLabel(x.name), value: x.value })),
        { label: 'Bandwidth byte convention', value: p.measurements.bandwidth?.byteConvention ?? 'no bandwidth measurement' },
        { label: 'Native addon SHA-256', value: p.provenance.addonSha256 || '—' },
        { label: 'Harness build SHA-256', value: p.provenance.harnessSha256 || '—' },
        { label: 'Lockfile SHA-256', value: p.provenance.lockfileSha256 || '—' },
        { label: 'Source tree', value: p.provenance.dirtyTree ? 'had uncommitted changes' : 'clean' },
        { label: 'Nonce', value: Buffer.from(p.nonce).toString('hex') },
      ],
    },
    decisionRule: {
      id: p.method.decisionRule,
      steps: decisionSteps(statement),
      parameters: p.method.decisionParameters.map((x) => ({
        label: parameterLabel(x.name),
        value: x.name === 'coverageFactor' ? fmt(x.value) : x.name.endsWith('W') ? `${fmt(x.value, 1)} W` : `${fmt(x.value * 100, 0)} %`,
      })),
      limits: `${US_BIS_2026_00789.id}@${US_BIS_2026_00789.version}: TPP below ${fmt(US_BIS_2026_00789.tppBelow)} and DRAM bandwidth below ${bandwidthText(US_BIS_2026_00789.dramBandwidthGbpsBelow)}, both strict (${US_BIS_2026_00789.citation})`,
    },
    results: {
      coverageFactor: k,
      rates: rateRows(statement, declaration),
      tpp: tppRows(statement, declaration, k),
      bandwidth,
      declaredDramGbps: declaration?.declaredDramBandwidthGbps,
      peakDramGbps: peakFinding ? findingValue(peakFinding, 'peakGbps') : undefined,
      achieved,
      secondMethod: secondMethodRows(statement),
      byteConvention: p.measurements.bandwidth?.byteConvention ?? '',
      sustained: sustainedView(statement),
      uncertaintyMethod: `Type A, from the recorded trials: the standard uncertainty of a figure is the sample standard deviation of its trials (n − 1); the expanded uncertainty U is k = ${fmt(k)} times it, the same U the decision rule uses as its guard band. A TPP figure carries the relative U of the per-clock rate of the format that sets it (the clock is a stated parameter, not a measured input); a bandwidth figure carries U of its kernel's GB/s trials. The uncertainty of the clock readings and of the timer is not included.`,
    },
    findings: p.verdict.findings.map((f) => ({ what: claimLabel(f.claim), status: statusLabel(f.status), text: describeFinding(f) })),
    conformity: conformityOf(statement),
    preflight: environment
      .filter((f) => f.name.startsWith('preflight.'))
      .map((f) => {
        const [result, ...detail] = f.value.split(': ');
        return { check: preflightLabel(f.name.slice('preflight.'.length)), result: result ?? '', detail: detail.join(': ') };
      }),
    telemetry: environment.filter((f) => f.name.startsWith('telemetry.')).map((f) => ({ phase: f.name.slice('telemetry.'.length), source: f.source, json: f.value })),
    evidence: (p.environment.phaseEvidence ?? []).map(evidenceRows),
    audit: auditView(statement),
    authorisation: { name: p.report.signatoryName, role: p.report.signatoryRole, keyIds: context.signatures.entries.map((s) => s.keyid) },
    signatures: context.signatures,
  };
}

const mhzText = (mhz: number) => `${fmt(mhz, 0)} MHz`;

/** One phase's clock and power evidence in words: each figure beside its source, and what was not read said so. */
export function evidenceRows(e: PhaseEvidenceRecord): { phase: string; rows: { label: string; value: string }[] } {
  const rows: { label: string; value: string }[] = [];
  const c = e.clock;
  if (c) {
    rows.push({
      label: 'Reported clock (min / median / max)',
      value: c.reportedSamples > 0 ? `${mhzText(c.reportedMinMhz)} / ${mhzText(c.reportedMedianMhz)} / ${mhzText(c.reportedMaxMhz)} over ${c.reportedSamples} samples (${c.reportedSource})` : c.reportedSource,
    });
    rows.push({ label: 'Measured clock', value: c.measuredMhz > 0 ? `${mhzText(c.measuredMhz)}, ${c.measuredSource}` : c.measuredSource });
    rows.push({
      label: 'Measured ÷ reported',
      value: c.comparable && c.reportedMedianMhz > 0 ? `${fmt(c.measuredMhz / c.reportedMedianMhz, 3)} against the median` : `not compared: ${c.notComparableReason}`,
    });
  }
  const w = e.power;
  if (w) {
    rows.push({
      label: 'Power limit enforced / reference',
      value: w.unreadable
        ? w.unreadable
        : `${fmt(w.enforcedMinW, 1)}${w.enforcedMaxW !== w.enforcedMinW ? `–${fmt(w.enforcedMaxW, 1)}` : ''} W against the ${w.referenceName} ${fmt(w.referenceMinW, 1)}${w.referenceMaxW !== w.referenceMinW ? `–${fmt(w.referenceMaxW, 1)}` : ''} W over ${w.samples} readings (${w.source})`,
    });
    if (w.maxDrawW > 0) rows.push({ label: 'Highest power drawn', value: `${fmt(w.maxDrawW, 0)} W` });
  }
  rows.push({ label: 'Clock event reasons', value: `${e.clockEventReasons || 'not reported'}${e.throttled ? ' (a slowdown)' : ''}` });
  const t = e.timer;
  if (t) {
    rows.push({
      label: 'Device timer ÷ host clock',
      value: t.sameClock || t.trials === 0 || t.hostSeconds <= 0 ? t.method : `${fmt(t.deviceTimerSeconds / t.hostSeconds, 4)} (${fmt(t.deviceTimerSeconds, 3)} s against ${fmt(t.hostSeconds, 3)} s over ${t.trials} trials; ${t.method})`,
    });
  }
  return { phase: e.phase, rows };
}
