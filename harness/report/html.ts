// A self-contained HTML rendering of an attestation: no network, no script,
// charts as inline SVG, print CSS with page numbers and the report id on
// every page. Pure: statement in, HTML text out. The content is a view model
// (view.ts) laid out by one function per section (sections.ts).
import type { Finding } from '../../attestations/records.js';
import type { IdentityEvidenceRecord, Statement } from '../../attestations/statement.js';
import { identityRows } from '../identity/describe.js';
import type { LotCertificate } from '../lot/certificate.js';
import { classificationStatement, containingSystemNote } from '../rules/evaluate.js';
import { ECCN_3A090, US_SECTION_232_SEMICONDUCTORS } from '../rules/rule-sets.js';
import { describeFinding, describeSection232 } from '../verdict/describe.js';
import { escapeHtml as escape } from './escape.js';
import { pageStyle } from './page.js';
import { REPORT_SECTIONS, table } from './sections.js';
import { buildReportView, type PaperSize, type ReportContext, type ReportSignatures } from './view.js';

export type { ReportSignature, ReportSignatures } from './view.js';

export type SignatureStatus = 'unchecked' | 'verified' | 'failed';

/** One answer for the banner and the exit code: content that does not verify, or no signature that verifies, has failed. */
export function signatureStatus(signatures: ReportSignatures): SignatureStatus {
  if (signatures.problems?.length) return 'failed';
  if (!signatures.checked) return 'unchecked';
  return signatures.entries.some((s) => s.verified === true) ? 'verified' : 'failed';
}

/** A banner at the top whenever the document was not shown to verify: the page must not pass for evidence. */
function signatureBanner(signatures: ReportSignatures): string {
  switch (signatureStatus(signatures)) {
    case 'verified':
      return '';
    case 'unchecked':
      return '<p class="verdict warn">SIGNATURES NOT CHECKED: no trusted key was given when this page was made; check the file with tppverify verify</p>';
    case 'failed': {
      const problems = signatures.problems ?? [];
      const head = problems.length
        ? '<p class="verdict bad">DOES NOT VERIFY: the content below is not what the harness would have attested; do not rely on it</p>'
        : '<p class="verdict bad">NO SIGNATURE VERIFIES with the trusted keys given: the content below may have been altered; do not rely on it</p>';
      return head + (problems.length ? `<ul class="problems">${problems.map((p) => `<li>${escape(p)}</li>`).join('')}</ul>` : '');
    }
  }
}

function signaturesSection(signatures: ReportSignatures): string {
  return `<h2>Signatures</h2>
${table(['key id (as written)', 'verified'], signatures.entries.map((s) => [s.keyid || '(none)', s.verified === null ? 'not checked (no trusted key given)' : s.verified ? (s.verifiedBy && s.verifiedBy !== s.keyid ? `yes, by trusted key ${s.verifiedBy}` : 'yes') : 'NO']))}`;
}

/** The wrong item is said first: nothing below is evidence about the declaration. */
function itemBanner(findings: readonly Finding[]): string {
  const item = findings.find((f) => f.claim === 'item');
  if (!item || item.status === 'consistent') return '';
  return `<p class="verdict bad">NOT THE DECLARED ITEM: ${escape(describeFinding(item))}</p>`;
}

/**
 * The rule's words for the class (with the 4A090 note for the server that
 * holds the chip), the recorded reading of total DRAM bandwidth, and where
 * the declared and the measured item sit against the Section 232 Annex windows.
 */
function classificationSection(statement: Statement): string {
  const r = statement.predicate.results;
  const note = containingSystemNote(ECCN_3A090, r.declaredTpp, r.performanceDensity);
  const reading = statement.predicate.method.policies.find((x) => x.name === 'totalDramBandwidth')?.value ?? 'not recorded in this attestation';
  const items = [describeSection232('declared', r.declaredSection232 ?? null), describeSection232('measured', r.measuredSection232 ?? null)];
  return `<section id="classification"><h2>Classification and duties</h2>
<p>ECCN ${escape(classificationStatement(ECCN_3A090, r.declaredTpp, r.performanceDensity))}${note ? ` (${escape(note)})` : ''}</p>
<p>Total DRAM bandwidth reading: ${escape(reading)}</p>
<p>Section 232 duty (${escape(US_SECTION_232_SEMICONDUCTORS.citation)}):</p><ul>${items
    .map((i) => `<li>${escape(i.headline)}${i.reasons.length ? `<ul>${i.reasons.map((x) => `<li>${escape(x)}</li>`).join('')}</ul>` : ''}</li>`)
    .join('')}</ul></section>`;
}

/** Each identity field with how far it is vouched for (hardware-attested, self-reported, operator-observed) and what read it. */
function identityAssuranceSection(statement: Statement): string {
  const rows = identityRows(statement.subject[0]?.identity ?? []);
  if (!rows.length) return '';
  return `<section id="identity-assurance"><h2>Identity assurance</h2><h3>Identity, per field</h3>
${table(['field', 'value', 'assurance', 'read by'], rows)}
${identityEvidenceText(statement.predicate.identityEvidence ?? null)}</section>`;
}

/** What the hardware evidence was, in one paragraph. */
function identityEvidenceText(evidence: IdentityEvidenceRecord | null): string {
  if (!evidence) return '<p>No hardware evidence recorded: every identity field is self-reported.</p>';
  if (!evidence.spdm.length) return `<p>No SPDM evidence: ${escape(evidence.unavailableReason || 'none given')}. Every identity field above is self-reported.</p>`;
  return `<p>SPDM evidence kept raw and re-checked offline: ${evidence.spdm.map((e) => `${escape(e.phase)} measuring at ${escape(e.collectedAt)}`).join('; ')}.</p>`;
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
${itemBanner(statement.predicate.verdict.findings)}
<p>Report <b>${escape(view.reportId)}</b>, issued ${escape(view.issuedAt)}${view.demo ? ' — <span class="demo">DEMO: signed with an ephemeral key, not a lab signature</span>' : ''}</p>
<p class="verdict ${view.conformity.tone}">${escape(view.conformity.outcome.toUpperCase())}: ${escape(view.conformity.headline)}</p>
</header>
${REPORT_SECTIONS.map((s) => s.render(view)).join('\n')}
${classificationSection(statement)}
${identityAssuranceSection(statement)}
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
