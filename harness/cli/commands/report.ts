// `tppverify report FILE [--html OUT] [--pdf OUT]`: a self-contained HTML page
// (and a PDF through headless Chromium) of an attestation. What the page says
// about verification is the one verification's answer, as verify gives it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkOutputFile, writeFileAtomic } from '../../../attestations/atomic-write.js';
import { loadTrustedKeys } from '../../../attestations/keys.js';
import { readSignedDocument } from '../../signed-document.js';
import { EXIT_INVALID, EXIT_OK, RendererError, UsageError } from '../../errors.js';
import { runChromium } from '../../report/chromium.js';
import { renderCertificateHtml, renderReportHtml, signatureStatus, type ReportSignatures } from '../../report/html.js';
import type { PaperSize } from '../../report/view.js';
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

/** --html - and --pdf - write standard output. */
const STDOUT = '-';

export interface ReportOptions {
  html?: string;
  pdf?: string;
  pubkey: string[];
  trust?: string;
  paper: PaperSize;
}

/** Writes the page(s); exit code 1 when the document does not verify (the page then says so at the top). */
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
  const keys = options.pubkey.length || options.trust ? await loadTrustedKeys(options.pubkey, options.trust) : undefined;
  const document = readSignedDocument(file, keys ? { keys, threshold: 1 } : NO_TRUSTED_KEYS);
  const signatures: ReportSignatures = {
    checked: document.signatures.checked,
    entries: document.signatures.entries.map((s) => ({ keyid: s.keyid, verified: document.signatures.checked ? s.verifiedBy !== null : null, verifiedBy: s.verifiedBy })),
    problems: document.contentProblems,
  };
  const page = { paper: options.paper, ...(document.sha256 ? { envelopeSha256: document.sha256 } : {}) };
  const html =
    document.kind === 'attestation' ? renderReportHtml(document.statement, signatures, page) : renderCertificateHtml(document.certificate, signatures, page);
  if (options.html === STDOUT) io.out(html);
  if (htmlFile) {
    await writeFileAtomic(htmlFile, html);
    say(`wrote ${boundedLine(htmlFile)}\n`);
  }
  if (options.pdf) {
    // Chromium prints from a file to a file, in a private temporary folder (never beside the PDF), removed whatever happens.
    const scratch = await mkdtemp(path.join(tmpdir(), 'tppverify-report-'));
    try {
      const source = htmlFile ? path.resolve(htmlFile) : path.join(scratch, 'report.html');
      if (!htmlFile) await writeFile(source, html);
      const target = pdfFile ?? path.join(scratch, 'report.pdf');
      const run = await runChromium([`--print-to-pdf=${path.resolve(target)}`, '--no-pdf-header-footer', pathToFileURL(source).href]);
      if (run.failed || !existsSync(target)) {
        throw new RendererError(`Chromium could not print ${pdfFile ?? 'the PDF'}: ${String(run.stderr).trim().split('\n').pop() ?? ''}`);
      }
      if (pdfFile) say(`wrote ${boundedLine(pdfFile)}\n`);
      else process.stdout.write(readFileSync(target));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  if (signatureStatus(signatures) === 'failed') {
    io.err(`tppverify: ${boundedLine(`${file}: does not verify: ${document.reasons.join('; ')}; the page says so at the top`)}\n`);
    return EXIT_INVALID;
  }
  return EXIT_OK;
}
