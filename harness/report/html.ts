// A self-contained HTML rendering of an attestation: no network, no script,
// charts as inline SVG, print CSS with page numbers and the report id on
// every page. Pure: statement in, HTML text out. The content is a view model
// (view.ts) laid out by one function per section (sections.ts).
import type { Statement } from '../../attestations/statement.js';
import type { LotCertificate } from '../lot/certificate.js';
import { escapeHtml as escape } from './escape.js';
import { pageStyle } from './page.js';
import { REPORT_SECTIONS, table } from './sections.js';
import { buildReportView, type PaperSize, type ReportContext, type ReportSignatures } from './view.js';

export type { ReportSignature, ReportSignatures } from './view.js';

export type SignatureStatus = 'unchecked' | 'verified' | 'failed';

/** One answer for the banner and the exit code: an envelope with no signature that verifies has failed. */
export function signatureStatus(signatures: ReportSignatures): SignatureStatus {
  if (!signatures.checked) return 'unchecked';
  return signatures.entries.some((s) => s.verified === true) ? 'verified' : 'failed';
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

/** The report's options beyond the statement: the file's digest and the paper size. */
export type ReportOptions = Omit<ReportContext, 'signatures'>;

export function renderReportHtml(statement: Statement, signatures: ReportSignatures, options: ReportOptions = {}): string {
  const view = buildReportView(statement, { ...options, signatures });
  const title = view.item.product ? `${view.item.vendor} ${view.item.product}` : statement.subject[0]?.name ?? '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tppverify test report ${escape(view.reportId)}</title>
${pageStyle(view.paper, `Report ${view.reportId}`)}</head><body>
<header><h1>Test report: ${escape(title)}</h1>
<p class="subtitle">Verification of declared performance (TPP and DRAM bandwidth) of the item as declared by the client.</p>
${signatureBanner(signatures)}
<p>Report <b>${escape(view.reportId)}</b>, issued ${escape(view.issuedAt)}${view.demo ? ' — <span class="demo">DEMO: signed with an ephemeral key, not a lab signature</span>' : ''}</p>
<p class="verdict ${view.conformity.tone}">${escape(view.conformity.outcome.toUpperCase())}: ${escape(view.conformity.headline)}</p>
</header>
${REPORT_SECTIONS.map((s) => s.render(view)).join('\n')}
${signaturesSection(signatures)}
</body></html>
`;
}

export function renderCertificateHtml(certificate: LotCertificate, signatures: ReportSignatures, options: { paper?: PaperSize; envelopeSha256?: string } = {}): string {
  const c = certificate;
  const outcomeClass = c.outcome === 'certified' ? 'ok' : c.outcome === 'incomplete' ? 'warn' : 'bad';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tppverify lot certificate ${escape(c.lotId)}</title>
${pageStyle(options.paper ?? 'a4', `Lot certificate ${c.lotId}`)}</head><body>
<h1>Lot certificate: ${escape(c.lotId)}</h1>
${signatureBanner(signatures)}
<p>Issued ${escape(c.issuedAt)}. ${c.units.length} of ${c.lotSize} units sampled: ${escape(c.planDescription)} (plan ${escape(c.plan)}), nonce ${escape(Buffer.from(c.nonce).toString('hex'))}, manifest SHA-256 ${escape(c.manifestSha256)}, declaration SHA-256 ${escape(c.declarationSha256)}.</p>
<p><i>These results relate only to the items tested.</i></p>
<h2>Outcome</h2>
<p class="verdict ${outcomeClass}">${escape(c.outcome.toUpperCase())}</p>
${c.reasons.length ? `<ul>${c.reasons.map((r) => `<li>${escape(r)}</li>`).join('')}</ul>` : '<p>Every sampled unit has a valid attestation consistent with the lot\'s declaration.</p>'}
<h2>Sampled units</h2>
${table(['serial', 'status', 'verdict', 'attestation SHA-256', 'detail'], c.units.map((u) => [u.serial, u.status, u.verdict || '—', u.attestationSha256 || '—', u.detail]))}
${c.ignoredSerials.length ? `<p>Attestations of units outside the sample, not used: ${escape(c.ignoredSerials.join(', '))}</p>` : ''}
<p>Envelope file SHA-256: ${escape(options.envelopeSha256 ?? 'not computed')}</p>
${signaturesSection(signatures)}
</body></html>
`;
}
