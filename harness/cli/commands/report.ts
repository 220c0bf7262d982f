// `tppverify report FILE [--html OUT] [--pdf OUT]`: a self-contained HTML page
// (and a PDF through headless Chromium) of an attestation.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkOutputFile, writeFileAtomic } from '../../../attestations/atomic-write.js';
import { verifySignatures } from '../../../attestations/dsse.js';
import { loadTrustedKeys } from '../../../attestations/keys.js';
import { readSignedDocument } from '../../signed-document.js';
import { EXIT_INVALID, EXIT_OK, RendererError, UsageError } from '../../errors.js';
import { runChromium } from '../../report/chromium.js';
import { renderCertificateHtml, renderReportHtml, signatureStatus, type ReportSignatures } from '../../report/html.js';
import type { PaperSize } from '../../report/view.js';
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
  paper: PaperSize;
}

/** Writes the page(s); exit code 1 when trusted keys were given and no signature verifies (the page then says so at the top). */
export async function runReport(file: string, options: ReportOptions, io: CliIo): Promise<number> {
  if (!options.html && !options.pdf) throw new UsageError('give --html OUT and/or --pdf OUT');
  // Everything read — the attestation and every trusted key — is off limits as an output.
  const inputs = [file, ...options.pubkey, ...(options.trust ? trustFolderKeys(options.trust) : [])];
  if (options.html) await checkOutputFile(options.html, inputs);
  if (options.pdf) await checkOutputFile(options.pdf, [...inputs, ...(options.html ? [options.html] : [])]);
  const document = await readSignedDocument(file);
  const { envelope } = document;
  let signatures: ReportSignatures = { checked: false, entries: envelope.signatures.map((s) => ({ keyid: s.keyid, verified: null })) };
  if (options.pubkey.length || options.trust) {
    const check = verifySignatures(envelope, await loadTrustedKeys(options.pubkey, options.trust), 1);
    signatures = { checked: true, entries: envelope.signatures.map((s) => ({ keyid: s.keyid, verified: check.keyids.includes(s.keyid) })) };
  }
  const page = { paper: options.paper, ...(document.sha256 ? { envelopeSha256: document.sha256 } : {}) };
  const html =
    document.kind === 'attestation' ? renderReportHtml(document.statement, signatures, page) : renderCertificateHtml(document.certificate, signatures, page);
  const htmlFile = options.html ?? path.join(path.dirname(options.pdf!), `.${path.basename(options.pdf!)}.html`);
  await writeFileAtomic(htmlFile, html);
  if (options.html) io.out(`wrote ${options.html}\n`);
  if (options.pdf) {
    try {
      const run = await runChromium([`--print-to-pdf=${path.resolve(options.pdf)}`, '--no-pdf-header-footer', pathToFileURL(path.resolve(htmlFile)).href]);
      if (run.failed || !existsSync(options.pdf)) throw new RendererError(`Chromium could not print ${options.pdf}: ${String(run.stderr).trim().split('\n').pop() ?? ''}`);
    } finally {
      // The page Chromium printed from is a temporary file unless --html asked for it.
      if (!options.html) rmSync(htmlFile, { force: true });
    }
    io.out(`wrote ${options.pdf}\n`);
  }
  if (signatureStatus(signatures) === 'failed') {
    io.err(`tppverify: ${file}: no signature verifies with the trusted keys given; the page says so at the top\n`);
    return EXIT_INVALID;
  }
  return EXIT_OK;
}
