// A self-contained HTML rendering of an attestation: no network, no script,
// charts as inline SVG, print CSS. Pure: statement in, HTML text out.
import type { Statement } from '../../attestations/statement.js';
import type { LotCertificate } from '../lot/certificate.js';
import { formatFixed as fmt } from '../format.js';
import { classificationStatement, containingSystemNote } from '../rules/evaluate.js';
import { ECCN_3A090, US_BIS_2026_00789, US_SECTION_232_SEMICONDUCTORS } from '../rules/rule-sets.js';
import { describeFinding, describeSection232 } from '../verdict/describe.js';
import type { Section232Record } from '../verdict/verdict.js';
import { summarizeRates } from '../../benchmarks/statistics.js';

export interface ReportSignature {
  keyid: string;
  verified: boolean | null;
}

/** The envelope's signatures, and whether trusted keys were given to check them. */
export interface ReportSignatures {
  checked: boolean;
  entries: ReportSignature[];
}

export type SignatureStatus = 'unchecked' | 'verified' | 'failed';

/** One answer for the banner and the exit code: an envelope with no signature that verifies has failed. */
function section232Html(declared: Section232Record | null, measured: Section232Record | null): string {
  const items = [describeSection232('declared', declared), describeSection232('measured', measured)];
  return `<p>Section 232 duty (${escape(US_SECTION_232_SEMICONDUCTORS.citation)}):</p><ul>${items.map((i) => `<li>${escape(i.headline)}${i.reasons.length ? `<ul>${i.reasons.map((r) => `<li>${escape(r)}</li>`).join('')}</ul>` : ''}</li>`).join('')}</ul>`;
}

export function signatureStatus(signatures: ReportSignatures): SignatureStatus {
  if (!signatures.checked) return 'unchecked';
  return signatures.entries.some((s) => s.verified === true) ? 'verified' : 'failed';
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function table(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Horizontal bars with a threshold line: value labels inside the SVG, sized in viewBox units. */
function barChart(title: string, bars: { label: string; value: number }[], threshold: { value: number; label: string }, unit: string): string {
  const width = 640;
  const rowHeight = 26;
  const left = 230;
  const height = bars.length * rowHeight + 40;
  const max = Math.max(threshold.value, ...bars.map((b) => b.value)) * 1.1 || 1;
  const x = (v: number) => left + ((width - left - 20) * v) / max;
  const rows = bars
    .map((b, i) => {
      const y = 10 + i * rowHeight;
      const over = b.value >= threshold.value;
      return `<text x="${left - 8}" y="${y + 16}" text-anchor="end" font-size="12">${escape(b.label)}</text><rect x="${left}" y="${y + 4}" width="${Math.max(1, x(b.value) - left)}" height="16" fill="${over ? '#b3261e' : '#2f6f9f'}"/><text x="${x(b.value) + 4}" y="${y + 16}" font-size="11">${escape(fmt(b.value))} ${escape(unit)}</text>`;
    })
    .join('');
  const tx = x(threshold.value);
  return `<figure><figcaption>${escape(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escape(title)}">${rows}<line x1="${tx}" x2="${tx}" y1="4" y2="${height - 24}" stroke="#000" stroke-dasharray="4 3"/><text x="${tx}" y="${height - 8}" text-anchor="middle" font-size="11">${escape(threshold.label)}</text></svg></figure>`;
}

const STYLE = `<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#111}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.verdict{font-size:1.3rem;font-weight:700;padding:.4rem .8rem;display:inline-block;border-radius:4px}
.ok{background:#dff3e0}.warn{background:#fff3cd}.bad{background:#f8d7da}.demo{color:#b3261e;font-weight:700}
figure{margin:.6rem 0}figcaption{font-weight:600;margin-bottom:.2rem}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}table,figure{break-inside:avoid}}
</style>`;

/** SM clock over time for one phase, from the telemetry series recorded in the attestation. */
function telemetryChart(phase: string, json: string): string {
  let t: { intervalMs?: number; series?: [number | null, number | null, number | null][] };
  try {
    t = JSON.parse(json) as typeof t;
  } catch {
    return '';
  }
  const points = (t.series ?? []).map((p, i) => ({ x: i * (t.intervalMs ?? 0), y: p[0] })).filter((p): p is { x: number; y: number } => p.y !== null);
  if (points.length < 2) return '';
  const width = 640, height = 160, left = 50, bottom = 24;
  const maxX = points[points.length - 1]!.x || 1;
  const maxY = Math.max(...points.map((p) => p.y)) * 1.05;
  const px = (x: number) => left + ((width - left - 10) * x) / maxX;
  const py = (y: number) => height - bottom - ((height - bottom - 10) * y) / maxY;
  const line = points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
  return `<figure><figcaption>${escape(phase)}: SM clock over ${escape(fmt(maxX / 1000, 1))} s</figcaption><svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="SM clock over time, ${escape(phase)}"><polyline fill="none" stroke="#2f6f9f" stroke-width="1.5" points="${line}"/><line x1="${left}" x2="${left}" y1="10" y2="${height - bottom}" stroke="#888"/><line x1="${left}" x2="${width - 10}" y1="${height - bottom}" y2="${height - bottom}" stroke="#888"/><text x="${left - 6}" y="${py(maxY / 1.05) + 4}" text-anchor="end" font-size="11">${escape(fmt(maxY / 1.05))}</text><text x="${left - 6}" y="${height - bottom}" text-anchor="end" font-size="11">0 MHz</text><text x="${width - 10}" y="${height - 6}" text-anchor="end" font-size="11">${escape(fmt(maxX / 1000, 1))} s</text></svg></figure>`;
}

/** A banner at the top whenever the signatures were not shown to verify: the page must not pass for evidence. */
function signatureBanner(signatures: ReportSignatures): string {
  switch (signatureStatus(signatures)) {
    case 'verified':
      return '';
    case 'unchecked':
      return '<p class="verdict warn">SIGNATURES NOT CHECKED: no trusted key was given when this page was made; check the file with tppverify verify</p>';
    case 'failed':
      return '<p class="verdict bad">NO SIGNATURE VERIFIES with the trusted keys given: the content below may have been altered; do not rely on it</p>';
  }
}

function signaturesSection(signatures: ReportSignatures): string {
  return `<h2>Signatures</h2>
${table(['key id', 'verified'], signatures.entries.map((s) => [s.keyid, s.verified === null ? 'not checked (no trusted key given)' : s.verified ? 'yes' : 'NO']))}`;
}

export function renderReportHtml(statement: Statement, signatures: ReportSignatures): string {
  const p = statement.predicate;
  const subject = statement.subject[0];
  const fact = (name: string) => subject?.identity.find((f) => f.name === name)?.value ?? '';
  const tppBars = [
    ...p.results.declaredAtClocks.map((c) => ({ label: `declared, ${c.clock} ${fmt(c.clockMhz)} MHz`, value: c.tpp })),
    ...p.results.measuredAtClocks.map((c) => ({ label: `measured, ${c.clock} ${fmt(c.clockMhz)} MHz`, value: c.tpp })),
  ];
  const bandwidthBars = (p.measurements.bandwidth?.kernels ?? []).map((k) => {
    const bytes = k.bytesReadPerTrial + k.bytesWrittenPerTrial;
    return { label: k.name, value: summarizeRates(k.trialSeconds.map((s) => bytes / s / 1e9)).median };
  });
  const declaredPeakGbps = p.verdict.findings.find((f) => f.claim === 'dram:achieved')?.values.find((v) => v.name === 'declaredGbps')?.value ?? 0;
  const rates = p.verdict.findings.filter((f) => f.claim.startsWith('rate:'));
  const value = (f: (typeof rates)[number], name: string) => f.values.find((v) => v.name === name)?.value;
  // A figure that was not measured shows as a dash, never as "NaN".
  const figure = (v: number | undefined, digits: number, scale = 1, suffix = '') => (v === undefined || !Number.isFinite(v) ? '—' : fmt(v * scale, digits) + suffix);
  const preflight = p.environment.facts.filter((f) => f.name.startsWith('preflight.'));
  const telemetry = p.environment.facts.filter((f) => f.name.startsWith('telemetry.'));
  const verdictClass = p.verdict.outcome === 'consistent' ? 'ok' : p.verdict.outcome === 'inconclusive' ? 'warn' : 'bad';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tppverify report ${escape(p.report.reportId)}</title>
${STYLE}</head><body>
<h1>Verification of declared performance — ${escape(fact('model') || subject?.name || '')}</h1>
${signatureBanner(signatures)}
<p>Report <b>${escape(p.report.reportId)}</b>, issued ${escape(p.report.issuedAt)}${p.report.demo ? ' — <span class="demo">DEMO: signed with an ephemeral key, not a lab signature</span>' : ''}${p.report.selfDeclared ? ' — self-declared (no exporter declaration)' : ''}</p>
<p>Lab: ${escape(p.report.labName || '—')} ${escape(p.report.labAccreditation)}; location ${escape(p.report.testLocation || '—')}; operator ${escape(p.report.operator || '—')}; exporter ${escape(p.report.exporter || '—')}; filing ${escape(p.report.filingReference || '—')}. Measured ${escape(p.measurements.startedAt)} – ${escape(p.measurements.finishedAt)}.</p>
<p><i>${escape(p.report.statementScope)}</i></p>
<h2>Verdict</h2>
<p class="verdict ${verdictClass}">${escape(p.verdict.outcome.toUpperCase())}</p>
${table(['status', 'claim', 'finding'], p.verdict.findings.map((f) => [f.status, f.claim, describeFinding(f)]))}
<p>Declared TPP ${escape(fmt(p.results.declaredTpp))} (${escape(p.results.declaredTppFormat)}); ECCN ${escape(classificationStatement(ECCN_3A090, p.results.declaredTpp, p.results.performanceDensity))}${containingSystemNote(ECCN_3A090, p.results.declaredTpp, p.results.performanceDensity) ? ` (${escape(containingSystemNote(ECCN_3A090, p.results.declaredTpp, p.results.performanceDensity)!)})` : ''}; 2026 case-by-case review: <b>${p.results.caseByCaseEligible ? 'eligible' : 'not eligible'}</b> (TPP margin ${escape(fmt(p.results.tppMargin))}, DRAM bandwidth margin ${escape(fmt(p.results.dramBandwidthMarginGbps))} GB/s). Decision rule ${escape(p.method.decisionRule)}.</p>
${section232Html(p.results.declaredSection232 ?? null, p.results.measuredSection232 ?? null)}
<h2>Device</h2>
${table(['field', 'value', 'source'], (subject?.identity ?? []).map((f) => [f.name, f.value, f.source]))}
<h2>Declared and measured rates</h2>
${table(['format', 'declared ops/clk/unit', 'measured ops/clk/unit', 'measured ÷ declared', 'expanded uncertainty (k = 2)', 'status'], rates.map((f) => [f.claim.slice(5), figure(value(f, 'declaredOpsPerClockPerUnit'), 1), figure(value(f, 'measuredOpsPerClockPerUnit'), 1), figure(value(f, 'ratio'), 1, 100, ' %'), figure(value(f, 'expandedUncertainty'), 1, 100, ' %'), f.status]))}
<h2>TPP at each clock</h2>
${barChart('TPP against the 21,000 limit', tppBars, { value: US_BIS_2026_00789.tppBelow, label: `${fmt(US_BIS_2026_00789.tppBelow)} (limit)` }, '')}
<h2>DRAM bandwidth</h2>
${barChart(`Median achieved bandwidth per kernel (declared peak ${fmt(declaredPeakGbps)} GB/s) against the 6,500 GB/s limit`, [...bandwidthBars, { label: 'declared peak', value: declaredPeakGbps }], { value: US_BIS_2026_00789.dramBandwidthGbpsBelow, label: `${fmt(US_BIS_2026_00789.dramBandwidthGbpsBelow)} GB/s (limit)` }, 'GB/s')}
<p>${escape(p.measurements.bandwidth?.byteConvention ?? 'no bandwidth measurement')}</p>
<p>Total DRAM bandwidth reading: ${escape(p.method.policies.find((x) => x.name === 'totalDramBandwidth')?.value ?? 'not recorded in this attestation')}</p>
<h2>Preflight</h2>
${preflight.length ? table(['check', 'result'], preflight.map((f) => [f.name.slice('preflight.'.length), f.value])) : '<p>none recorded</p>'}
<h2>Telemetry</h2>
${telemetry.length ? telemetry.map((f) => telemetryChart(f.name.slice('telemetry.'.length), f.value)).join('') + table(['phase', 'summary', 'source'], telemetry.map((f) => [f.name.slice('telemetry.'.length), f.value.replace(/,"series":\[.*\]/, ''), f.source])) : '<p>no telemetry for this device</p>'}
<h2>Method and provenance</h2>
${table(['item', 'value'], [
    ['harness', `${p.method.harnessVersion} ${p.method.gitCommit}`],
    ['rule sets', p.method.ruleSets.join(', ')],
    ...p.method.policies.map((x) => [x.name, x.value]),
    ['addon SHA-256', p.provenance.addonSha256],
    ['harness SHA-256', p.provenance.harnessSha256],
    ['dirty tree', String(p.provenance.dirtyTree)],
    ['nonce', Buffer.from(p.nonce).toString('hex')],
  ])}
${signaturesSection(signatures)}
</body></html>
`;
}

export function renderCertificateHtml(certificate: LotCertificate, signatures: ReportSignatures): string {
  const c = certificate;
  const outcomeClass = c.outcome === 'certified' ? 'ok' : c.outcome === 'incomplete' ? 'warn' : 'bad';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tppverify lot certificate ${escape(c.lotId)}</title>
${STYLE}</head><body>
<h1>Lot certificate — ${escape(c.lotId)}</h1>
${signatureBanner(signatures)}
<p>Issued ${escape(c.issuedAt)}. ${c.units.length} of ${c.lotSize} units sampled: ${escape(c.planDescription)} (plan ${escape(c.plan)}), nonce ${escape(Buffer.from(c.nonce).toString('hex'))}, manifest SHA-256 ${escape(c.manifestSha256)}, declaration SHA-256 ${escape(c.declarationSha256)}.</p>
<p><i>These results relate only to the items tested.</i></p>
<h2>Outcome</h2>
<p class="verdict ${outcomeClass}">${escape(c.outcome.toUpperCase())}</p>
${c.reasons.length ? `<ul>${c.reasons.map((r) => `<li>${escape(r)}</li>`).join('')}</ul>` : ''}
<h2>Sampled units</h2>
${table(['serial', 'status', 'verdict', 'attestation SHA-256', 'detail'], c.units.map((u) => [u.serial, u.status, u.verdict || '—', u.attestationSha256 || '—', u.detail]))}
${c.ignoredSerials.length ? `<p>Attestations of units outside the sample, not used: ${escape(c.ignoredSerials.join(', '))}</p>` : ''}
${signaturesSection(signatures)}
</body></html>
`;
}
