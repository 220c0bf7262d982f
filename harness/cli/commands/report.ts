// `tppverify report FILE [--html OUT] [--pdf OUT]`: a self-contained HTML page
// (and a PDF through headless Chromium) of an attestation. What the page says
// about verification is the one verification's answer, as verify gives it.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkOutputFile, writeFileAtomic } from '../../../attestations/atomic-write.js';
import { loadTrustedKeys } from '../../../attestations/keys.js';
import { readSignedDocument } from '../../signed-document.js';
import { DeviceUnavailableError, EXIT_INVALID, EXIT_OK, UsageError } from '../../errors.js';
import { runChromium } from '../../report/chromium.js';
import { renderCertificateHtml, renderReportHtml, signatureStatus, type ReportSignatures } from '../../report/html.js';
import { NO_TRUSTED_KEYS } from '../../verify/document.js';
import { boundedLine } from '../escape.js';
import type { CliIo } from '../io.js';

/** The key files a trust folder holds (a folder that cannot be listed is reported when the keys are loaded). */
function trustFolderKeys(dir: string): string[] {
  try {
    return readdirSync(dir).map((name) => path.join(dir, name));
  } catch {
    return [];
  }
}

export interface ReportOptions {
  html?: string;
  pdf?: string;
  pubkey: string[];
  trust?: string;
}

/** Writes the page(s); exit code 1 when the document does not verify (the page then says so at the top). */
export async function runReport(file: string, options: ReportOptions, io: CliIo): Promise<number> {
  if (!options.html && !options.pdf) throw new UsageError('give --html OUT and/or --pdf OUT');
  // Everything read — the attestation and every trusted key — is off limits as an output.
  const inputs = [file, ...options.pubkey, ...(options.trust ? trustFolderKeys(options.trust) : [])];
  if (options.html) await checkOutputFile(options.html, inputs);
  if (options.pdf) await checkOutputFile(options.pdf, [...inputs, ...(options.html ? [options.html] : [])]);
  const keys = options.pubkey.length || options.trust ? await loadTrustedKeys(options.pubkey, options.trust) : undefined;
  const document = readSignedDocument(file, keys ? { keys, threshold: 1 } : NO_TRUSTED_KEYS);
  const signatures: ReportSignatures = {
    checked: document.signatures.checked,
    entries: document.signatures.entries.map((s) => ({ keyid: s.keyid, verified: document.signatures.checked ? s.verifiedBy !== null : null, verifiedBy: s.verifiedBy })),
    problems: document.contentProblems,
  };
  const html = document.kind === 'attestation' ? renderReportHtml(document.statement, signatures) : renderCertificateHtml(document.certificate, signatures);
  if (options.html) {
    await writeFileAtomic(options.html, html);
    io.out(`wrote ${boundedLine(options.html)}\n`);
  }
  if (options.pdf) {
    // The page Chromium prints lives in a private temporary folder (never beside the PDF), removed whatever happens.
    const scratch = await mkdtemp(path.join(tmpdir(), 'tppverify-report-'));
    try {
      const htmlFile = options.html ? path.resolve(options.html) : path.join(scratch, 'report.html');
      if (!options.html) await writeFileAtomic(htmlFile, html);
      const run = await runChromium([`--print-to-pdf=${path.resolve(options.pdf)}`, '--no-pdf-header-footer', pathToFileURL(htmlFile).href]);
      if (run.failed || !existsSync(options.pdf)) throw new DeviceUnavailableError(`Chromium could not print ${options.pdf}: ${String(run.stderr).trim().split('\n').pop() ?? ''}`);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    io.out(`wrote ${boundedLine(options.pdf)}\n`);
  }
  if (signatureStatus(signatures) === 'failed') {
    io.err(`tppverify: ${boundedLine(`${file}: does not verify: ${document.reasons.join('; ')}; the page says so at the top`)}\n`);
    return EXIT_INVALID;
  }
  return EXIT_OK;
}
