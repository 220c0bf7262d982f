// The report's sections, in the order ISO/IEC 17025 §7.8 reads them: one
// small function each, from the view model to HTML. To add a section, write
// one function and put it in REPORT_SECTIONS.
import { formatFixed as fmt } from '../format.js';
import { US_BIS_2026_00789 } from '../rules/rule-sets.js';
import { barChart, lineChart, type Bar } from './charts.js';
import { escapeHtml as escape } from './escape.js';
import { bandwidth, bandwidthWithUncertainty, megahertz, percent, significant, withUncertainty } from './units.js';
import type { ReportView } from './view.js';

export interface ReportSection {
  id: string;
  render(view: ReportView): string;
}

/** A table that breaks between rows and repeats its header on every page. */
export function table(header: string[], rows: string[][], className = ''): string {
  return `<table${className ? ` class="${className}"` : ''}><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Label/value pairs as a two-column table. */
function pairs(rows: { label: string; value: string }[]): string {
  return `<table class="pairs"><tbody>${rows.map((r) => `<tr><th scope="row">${escape(r.label)}</th><td>${escape(r.value || '—')}</td></tr>`).join('')}</tbody></table>`;
}

const section = (id: string, title: string, body: string) => `<section id="${id}"><h2>${escape(title)}</h2>${body}</section>`;
const orDash = (v: number | undefined, digits: number, suffix = '') => (v === undefined || !Number.isFinite(v) ? '—' : fmt(v, digits) + suffix);
const clockName = (clock: string) => ({ spec: 'spec', max: 'maximum', observed: 'observed' })[clock] ?? clock;

function itemSection(v: ReportView): string {
  const match = v.item.match;
  const verdict =
    match.status === 'same'
      ? 'The measured device is the declared item: vendor, architecture and product agree.'
      : match.status === 'differs'
        ? 'The measured device is NOT the declared item: see the facts that differ below.'
        : 'Whether the measured device is the declared item could not be established: the device does not report every fact compared.';
  return section(
    'item',
    'Item as declared',
    pairs([
      { label: 'Vendor', value: v.item.vendor },
      { label: 'Product', value: v.item.product },
      { label: 'Part number', value: v.item.partNumber },
      { label: 'ECCN declared', value: v.item.eccn },
      { label: 'Declaration SHA-256', value: v.item.declarationSha256 },
    ]) +
      `<p class="match ${match.status}">${escape(verdict)}</p>` +
      table(['compared', 'declared', 'measured device', 'agrees'], match.comparisons.map((c) => [c.what, c.declared, c.measured || 'not reported', c.status === 'same' ? 'yes' : c.status === 'differs' ? 'NO' : 'unknown'])) +
      (v.selfDeclared ? '<p class="warn-text">Self-declared: the declaration was derived from the device itself, not given by an exporter.</p>' : ''),
  );
}

function labSection(v: ReportView): string {
  return section(
    'lab',
    'Laboratory and client',
    pairs([
      { label: 'Laboratory', value: v.lab.name },
      { label: 'Accreditation', value: v.lab.accreditation },
      { label: 'Address', value: v.lab.address },
      { label: 'Test location', value: v.lab.location },
      { label: 'Operator', value: v.lab.operator },
      { label: 'Client (exporter)', value: v.client.exporter },
      { label: 'Filing this report supports', value: v.client.filingReference },
    ]),
  );
}

function datesSection(v: ReportView): string {
  return section(
    'dates',
    'Dates',
    pairs([
      { label: 'Item received', value: v.dates.receivedOn || 'not recorded' },
      { label: 'Test started', value: v.dates.testStarted },
      { label: 'Test finished', value: v.dates.testFinished },
      { label: 'Report issued', value: v.dates.issued },
    ]),
  );
}

function identitySection(v: ReportView): string {
  return section('identity', 'Identity of the item tested', table(['fact', 'value', 'where it was read'], v.identity.map((f) => [f.label, f.value, f.source])));
}

function methodSection(v: ReportView): string {
  const deviations = v.method.deviations.length
    ? `<p><b>Deviations from the standard method:</b></p><ul class="deviations">${v.method.deviations.map((d) => `<li>${escape(d)}</li>`).join('')}</ul>`
    : '<p>No deviation from the standard method.</p>';
  return section('method', 'Method', `<p>Test level ${escape(v.method.levelText)}.</p>${deviations}${pairs(v.method.rows)}`);
}

function decisionRuleSection(v: ReportView): string {
  return section(
    'decision-rule',
    `Decision rule ${v.decisionRule.id}`,
    `<ol>${v.decisionRule.steps.map((s) => `<li>${escape(s)}</li>`).join('')}</ol>${table(['parameter', 'value'], v.decisionRule.parameters.map((p) => [p.label, p.value]))}<p>Limits: ${escape(v.decisionRule.limits)}.</p>`,
  );
}

function ratesBlock(v: ReportView): string {
  const k = fmt(v.results.coverageFactor);
  const rows = v.results.rates.map((r) => [
    r.engine ? `${r.format} (${r.engine})` : r.format,
    orDash(r.declaredTops, 1),
    orDash(r.declaredPerClock, 1),
    r.measuredPerClock === undefined ? r.note : withUncertainty(r.measuredPerClock, (r.relativeExpanded ?? 0) * r.measuredPerClock),
    r.ratio === undefined ? '—' : `${withUncertainty(r.ratio * 100, (r.relativeExpanded ?? 0) * r.ratio * 100)} %`,
    r.status,
  ]);
  const measured = v.results.rates.filter((r) => r.ratio !== undefined);
  const chart = measured.length
    ? barChart({
        title: `Measured per-clock rate as a share of the declared one, with U (k = ${k})`,
        bars: measured.map((r) => ({ label: r.format, value: (r.ratio ?? 0) * 100, expanded: (r.relativeExpanded ?? 0) * (r.ratio ?? 0) * 100, kind: 'measured' })),
        lines: [{ value: 100, label: 'declared (100 %)' }],
        axisLabel: 'measured ÷ declared (%)',
      })
    : '';
  return `<h3>Rates per format</h3>${table(['format (engine)', 'declared dense TFLOPS/TOPS', 'declared ops/clock/unit', `measured ops/clock/unit ± U (k = ${k})`, 'measured ÷ declared', 'status'], rows, 'nowrap-last')}${chart}`;
}

function tppBlock(v: ReportView): string {
  const k = fmt(v.results.coverageFactor);
  const rows = v.results.tpp.map((t) => [t.source, `${clockName(t.clock)}, ${megahertz(t.clockMhz)}`, t.expanded === undefined ? significant(t.tpp) : withUncertainty(t.tpp, t.expanded), t.format]);
  const limit = US_BIS_2026_00789.tppBelow;
  const bars: Bar[] = v.results.tpp.map((t) => ({
    label: `${t.source}, ${clockName(t.clock)} ${megahertz(t.clockMhz)}`,
    value: t.tpp,
    ...(t.expanded !== undefined ? { expanded: t.expanded } : {}),
    kind: t.tpp >= limit ? 'over-limit' : t.source === 'declared' ? 'declared' : 'measured',
  }));
  return `<h3>Total processing performance (TPP)</h3>${table(['figure', 'clock', `TPP (± U, k = ${k})`, 'format that sets it'], rows)}${
    bars.length ? barChart({ title: `TPP at each clock against the ${fmt(limit)} limit; declared figures only at the clocks the declaration names`, bars, lines: [{ value: limit, label: `${fmt(limit)} limit` }], axisLabel: 'TPP' }) : ''
  }`;
}

function bandwidthBlock(v: ReportView): string {
  const k = fmt(v.results.coverageFactor);
  const r = v.results;
  const rows = r.bandwidth.map((b) => [b.kernel, b.method === 'library' ? `${b.engine} (second method)` : b.engine, bandwidthWithUncertainty(b.medianGbps, b.expandedGbps), String(b.trials)]);
  const lines = [
    ...(r.declaredDramGbps !== undefined ? [{ value: r.declaredDramGbps, label: `declared ${bandwidth(r.declaredDramGbps)}` }] : []),
    { value: US_BIS_2026_00789.dramBandwidthGbpsBelow, label: `${bandwidth(US_BIS_2026_00789.dramBandwidthGbpsBelow)} limit` },
  ];
  const summary = pairs([
    { label: 'Declared DRAM bandwidth', value: r.declaredDramGbps === undefined ? '' : bandwidth(r.declaredDramGbps) },
    { label: 'Peak from the memory interface', value: r.peakDramGbps === undefined ? 'not reported by the device' : bandwidth(r.peakDramGbps) },
    { label: `Achieved (best kernel median ± U, k = ${k})`, value: r.achieved ? `${bandwidthWithUncertainty(r.achieved.medianGbps, r.achieved.expandedGbps)} (${r.achieved.kernel})` : 'not measured' },
    { label: 'Bytes counted', value: r.byteConvention },
  ]);
  const chart = r.bandwidth.length
    ? barChart({
        title: 'Median achieved bandwidth per kernel with U, against the declared peak and the limit',
        bars: r.bandwidth.map((b) => ({ label: b.kernel, value: b.medianGbps, expanded: b.expandedGbps, kind: 'measured' })),
        lines,
        axisLabel: 'GB/s',
      })
    : '';
  return `<h3>DRAM bandwidth</h3>${summary}${rows.length ? table(['kernel', 'engine', `median ± U (k = ${k})`, 'trials'], rows) : ''}${chart}`;
}

function sustainedBlock(v: ReportView): string {
  const s = v.results.sustained;
  if (!s) return '<h3>Sustained phase</h3><p>No sustained phase recorded.</p>';
  const summary = pairs([
    { label: 'Rounds', value: `${fmt(s.rounds)}, each ${s.order.join(' → ')} (the run plan's throughput order), back to back` },
    { label: 'Timed seconds', value: `${fmt(s.seconds, 1)} s (at least ${fmt(s.requiredSeconds, 1)} s asked)` },
  ]);
  const rows = s.rows.map((r) => [
    `${r.format} (${r.engine})`,
    fmt(r.peakTops, 3),
    fmt(r.sustainedTops, 3),
    `${fmt(r.ratio * 100, 1)} %`,
    `${fmt(r.perClockRatio * 100, 1)} %`,
    `${fmt(r.trials)} (${fmt(r.seconds, 1)} s)`,
    r.status,
  ]);
  const chart = s.rows.length
    ? barChart({
        title: 'Rate held in the sustained phase as a share of the peak (median of trials)',
        bars: s.rows.map((r) => ({ label: r.format, value: r.ratio * 100, kind: 'measured' })),
        lines: [{ value: 100, label: 'peak (100 %)' }],
        axisLabel: 'sustained ÷ peak (%)',
      })
    : '';
  return `<h3>Sustained phase: the rate held under alternating work, beside the peak</h3>${summary}${table(['format (engine)', 'peak TFLOPS/TOPS', 'sustained TFLOPS/TOPS', 'sustained ÷ peak', 'per clock', 'trials', 'status'], rows, 'nowrap-last')}${chart}`;
}

/** Step 8: each quantity by our kernel and by code that is not ours, side by side. */
function secondMethodBlock(v: ReportView): string {
  const rows = v.results.secondMethod.map((s) => [
    s.quantity,
    s.nativeValue === undefined ? '—' : `${significant(s.nativeValue)} ${s.unit} (${s.native})`,
    s.libraryValue === undefined ? s.note : `${significant(s.libraryValue)} ${s.unit} (${s.library})`,
    s.ratio === undefined ? '—' : `${percent(s.ratio)} (U ${percent(s.relativeExpanded ?? 0)})`,
    s.status,
  ]);
  if (!rows.length) return '';
  return `<h3>Second method</h3>${table(['quantity', 'our kernel', 'second method (library)', 'library ÷ ours', 'status'], rows, 'nowrap-last')}`;
}

function resultsSection(v: ReportView): string {
  return section('results', 'Results', `${ratesBlock(v)}${tppBlock(v)}${bandwidthBlock(v)}${secondMethodBlock(v)}${sustainedBlock(v)}<p class="small"><b>Measurement uncertainty.</b> ${escape(v.results.uncertaintyMethod)}</p>`);
}

function findingsSection(v: ReportView): string {
  return section('findings', 'Findings of the decision rule', table(['claim', 'status', 'finding'], v.findings.map((f) => [f.what, f.status, f.text]), 'nowrap-2'));
}

function conformitySection(v: ReportView): string {
  const c = v.conformity;
  return section(
    'conformity',
    'Statement of conformity',
    `<p class="verdict ${c.tone}">${escape(c.outcome.toUpperCase())}: ${escape(c.headline)}</p>${c.sentences.map((s) => `<p>${escape(s)}</p>`).join('')}<p><i>${escape(v.scope)}</i></p>`,
  );
}

function conditionsSection(v: ReportView): string {
  const preflight = v.preflight.length ? table(['check', 'result', 'detail'], v.preflight.map((p) => [p.check, p.result, p.detail]), 'nowrap-2') : '<p>No preflight check recorded.</p>';
  const telemetry = v.telemetry.length ? v.telemetry.map(telemetryBlock).join('') : '<p>No telemetry for this device.</p>';
  const host = v.host.length ? table(['fact', 'value', 'source'], v.host.map((f) => [f.label, f.value, f.source])) : '<p>No host facts recorded.</p>';
  const evidence = v.evidence.length
    ? v.evidence.map((e) => `<h4>${escape(e.phase)} phase</h4>${pairs(e.rows)}`).join('')
    : '<p>No clock and power evidence recorded (an attestation made before it was kept).</p>';
  return section(
    'conditions',
    'Conditions of the test',
    `<h3>Preflight checks</h3>${preflight}<h3>Telemetry during the measurement</h3>${telemetry}<h3>Clock and power evidence per phase</h3>${evidence}<h3>Host</h3>${host}`,
  );
}

interface PhaseTelemetryJson {
  samples?: number;
  intervalMs?: number;
  smClockMhz?: { min: number; median: number; max: number } | null;
  maxPowerW?: number | null;
  maxTemperatureC?: number | null;
  reasonsSeen?: string;
  throttled?: boolean;
  series?: [number | null, number | null, number | null][];
}

function telemetryBlock(t: ReportView['telemetry'][number]): string {
  let parsed: PhaseTelemetryJson;
  try {
    parsed = JSON.parse(t.json) as PhaseTelemetryJson;
  } catch {
    return `<p>${escape(t.phase)}: telemetry record unreadable.</p>`;
  }
  const interval = parsed.intervalMs ?? 0;
  const points = (parsed.series ?? []).map((p, i) => ({ seconds: (i * interval) / 1000, value: p[0] })).filter((p): p is { seconds: number; value: number } => p.value !== null);
  const span = points.length ? points[points.length - 1]!.seconds : 0;
  const clock = parsed.smClockMhz;
  // The CPU's sampler reads core clocks (harness/inventory/cpu-telemetry.ts), not an SM clock.
  const unitClock = t.source.startsWith('cpufreq') ? 'Core clock' : 'SM clock';
  const summary = pairs([
    { label: 'Samples', value: `${parsed.samples ?? 0} (${t.source})` },
    { label: `${unitClock} (min / median / max)`, value: clock ? `${megahertz(clock.min)} / ${megahertz(clock.median)} / ${megahertz(clock.max)}` : 'not reported' },
    { label: 'Highest power', value: parsed.maxPowerW == null ? 'not reported' : `${fmt(parsed.maxPowerW, 0)} W` },
    { label: 'Highest temperature', value: parsed.maxTemperatureC == null ? 'not reported' : `${fmt(parsed.maxTemperatureC, 0)} °C` },
    { label: 'Clock slowdown', value: parsed.throttled ? `yes (reasons ${parsed.reasonsSeen ?? ''})` : parsed.reasonsSeen === 'not reported' ? 'not reported' : 'none' },
  ]);
  return `<h4>${escape(t.phase)} phase</h4>${lineChart(`${unitClock} over ${fmt(span, 1)} s`, points, `${unitClock} (MHz)`)}${summary}`;
}

function auditSection(v: ReportView): string {
  const a = v.audit;
  if (!a) return '';
  return section(
    'audit',
    'Audit of an earlier attestation',
    `<p class="verdict ${a.outcome === 'reproduced' ? 'ok' : a.outcome === 'inconclusive' ? 'warn' : 'bad'}">${escape(a.outcome.toUpperCase())}</p>${pairs([
      { label: 'Original envelope SHA-256', value: a.originalSha256 },
      { label: 'Tolerance', value: `±${percent(a.tolerance, 0)}, or the runs' expanded uncertainty where larger` },
    ])}${table(['compared', 'status', 'original and rerun'], a.comparisons.map((c) => [c.what, c.status, c.detail]))}`,
  );
}

function authorisationSection(v: ReportView): string {
  const signer = v.authorisation.name ? `${v.authorisation.name}${v.authorisation.role ? `, ${v.authorisation.role}` : ''}` : 'not named in the lab file';
  return section(
    'authorisation',
    'Authorisation',
    pairs([
      { label: 'Authorised by', value: v.demo ? `${signer} (demo: signed with an ephemeral key, not a lab signature)` : signer },
      { label: 'Signing key id(s)', value: v.authorisation.keyIds.join(', ') },
      { label: 'Envelope file SHA-256', value: v.envelopeSha256 ?? 'not computed' },
      { label: 'Report id', value: v.reportId },
    ]) + '<p class="small">The envelope file SHA-256 ties this page to the signed file: <code>sha256sum</code> of the file must print it, and <code>tppverify verify</code> checks the file.</p>',
  );
}

export const REPORT_SECTIONS: readonly ReportSection[] = [
  { id: 'item', render: itemSection },
  { id: 'lab', render: labSection },
  { id: 'dates', render: datesSection },
  { id: 'identity', render: identitySection },
  { id: 'method', render: methodSection },
  { id: 'decision-rule', render: decisionRuleSection },
  { id: 'results', render: resultsSection },
  { id: 'findings', render: findingsSection },
  { id: 'conformity', render: conformitySection },
  { id: 'audit', render: auditSection },
  { id: 'conditions', render: conditionsSection },
  { id: 'authorisation', render: authorisationSection },
];
