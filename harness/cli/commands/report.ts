// `tppverify report FILE [--html OUT] [--pdf OUT]`: a self-contained HTML page
// (and a PDF through headless Chromium) of an attestation.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** --html - and --pdf - write standard output. */
const STDOUT = '-';

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
  if (options.html === STDOUT && options.pdf === STDOUT) throw new UsageError('--html - and --pdf - cannot both write standard output');
  const htmlFile = options.html !== undefined && options.html !== STDOUT ? options.html : undefined;
  const pdfFile = options.pdf !== undefined && options.pdf !== STDOUT ? options.pdf : undefined;
  // Everything read — the attestation and every trusted key — is off limits as an output.
  const inputs = [file, ...options.pubkey, ...(options.trust ? trustFolderKeys(options.trust) : [])];
  if (htmlFile) await checkOutputFile(htmlFile, inputs);
  if (pdfFile) await checkOutputFile(pdfFile, [...inputs, ...(htmlFile ? [htmlFile] : [])]);
  // With a document on standard output, the "wrote" lines go to stderr.
  const say = options.html === STDOUT || options.pdf === STDOUT ? io.err : io.out;
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
  if (options.html === STDOUT) io.out(html);
  if (htmlFile) {
    await writeFileAtomic(htmlFile, html);
    say(`wrote ${htmlFile}\n`);
  }
  if (options.pdf) {
    // Chromium prints from a file to a file: the --html page or a scratch copy, and --pdf or a scratch PDF for standard output.
    const scratch = mkdtempSync(path.join(tmpdir(), 'tppverify-report-'));
    try {
      const source = htmlFile ?? path.join(scratch, 'report.html');
      if (!htmlFile) writeFileSync(source, html);
      const target = pdfFile ?? path.join(scratch, 'report.pdf');
      const run = await runChromium([`--print-to-pdf=${path.resolve(target)}`, '--no-pdf-header-footer', pathToFileURL(path.resolve(source)).href]);
      const name = pdfFile ?? 'the PDF';
      if (run.failed || !existsSync(target)) throw new RendererError(`Chromium could not print ${name}: ${String(run.stderr).trim().split('\n').pop() ?? ''}`);
      if (pdfFile) say(`wrote ${pdfFile}\n`);
      else process.stdout.write(readFileSync(target));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  if (signatureStatus(signatures) === 'failed') {
    io.err(`tppverify: ${file}: no signature verifies with the trusted keys given; the page says so at the top\n`);
    return EXIT_INVALID;
  }
  return EXIT_OK;
}
