// The report's view model: everything the page shows, as plain text and
// numbers, built from the decoded statement and what the reader checked
// (signatures, the file's digest). Sections (sections.ts) only lay it out,
// so a new section reads the view and adds one function.
import type { Statement } from '../../attestations/statement.js';
import { summarizeRates } from '../../benchmarks/statistics.js';
import { describeLevel, recordedLevel, type TestLevel } from '../../benchmarks/levels.js';
import { parseDeclaration, type Declaration } from '../declaration/declaration.js';
import { formatFixed as fmt } from '../format.js';
import { US_BIS_2026_00789 } from '../rules/rule-sets.js';
import { describeFinding } from '../verdict/describe.js';
import { measuredRates, type Finding, type Outcome } from '../verdict/verdict.js';
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
  medianGbps: number;
  expandedGbps: number;
  trials: number;
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
    byteConvention: string;
    uncertaintyMethod: string;
  };
  findings: { what: string; status: string; text: string }[];
  conformity: Conformity;
  preflight: { check: string; result: string; detail: string }[];
  telemetry: { phase: string; source: string; json: string }[];
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
      return { kernel: kernel.name, engine: kernel.engine, medianGbps: s.median, expandedGbps: k * s.stddev, trials: s.trials };
    });
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
    'State: a failed preflight check, a phase that ran throttled, or bandwidth arrays below the sizing rule make the verdict inconclusive.',
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
  const achieved = bandwidth.reduce<BandwidthRow | undefined>((best, row) => (!best || row.medianGbps > best.medianGbps ? row : best), undefined);
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
      parameters: p.method.decisionParameters.map((x) => ({ label: parameterLabel(x.name), value: x.name === 'coverageFactor' ? fmt(x.value) : `${fmt(x.value * 100, 0)} %` })),
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
      byteConvention: p.measurements.bandwidth?.byteConvention ?? '',
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
    audit: auditView(statement),
    authorisation: { name: p.report.signatoryName, role: p.report.signatoryRole, keyIds: context.signatures.entries.map((s) => s.keyid) },
    signatures: context.signatures,
  };
}
