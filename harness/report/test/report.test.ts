// The HTML report in headless Chromium: no console error, the verdict and the
// device serial on the page; and a PDF through the CLI.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureStatement, signedFixture } from '../../test/attestation-fixture.js';
import { ephemeralSigningKey } from '../../../attestations/keys.js';
import { findChromium, runChromium } from '../chromium.js';
import { renderReportHtml, signatureStatus } from '../html.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-report-'));
const chromium = await findChromium();

describe('report HTML', () => {
  it('one signature status for the banner and the exit code; no signature at all is a failure once keys are given', () => {
    const key = { keyid: 'ab'.repeat(32) };
    expect(signatureStatus({ checked: false, entries: [{ ...key, verified: null }] })).toBe('unchecked');
    expect(signatureStatus({ checked: true, entries: [{ ...key, verified: true }, { keyid: 'cd'.repeat(32), verified: false }] })).toBe('verified');
    expect(signatureStatus({ checked: true, entries: [{ ...key, verified: false }] })).toBe('failed');
    expect(signatureStatus({ checked: true, entries: [] })).toBe('failed');
    expect(renderReportHtml(fixtureStatement(), { checked: true, entries: [] })).toContain('NO SIGNATURE VERIFIES');
    expect(renderReportHtml(fixtureStatement(), { checked: false, entries: [] })).toContain('SIGNATURES NOT CHECKED');
  });

  it('is self-contained: no script, no external resource', () => {
    const html = renderReportHtml(fixtureStatement(), { checked: true, entries: [{ keyid: 'ab'.repeat(32), verified: true }] });
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/i);
    expect(html).toMatch(/<svg /);
    expect(html).toContain('These results relate only to the item tested.');
  });

  it('draws the SM clock over time from the recorded telemetry series', async () => {
    const { summarizeTelemetry } = await import('../../inventory/telemetry.js');
    const samples = Array.from({ length: 50 }, (_, i) => ({ smClockMhz: 1980 - i, memoryClockMhz: 2619, powerW: 690, temperatureC: 60, reasons: 0n }));
    const statement = fixtureStatement();
    statement.predicate.environment.facts.push({ name: 'telemetry.throughput', value: JSON.stringify(summarizeTelemetry('throughput', samples), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), source: 'nvidia-smi -lms 200' });
    const html = renderReportHtml(statement, { checked: false, entries: [] });
    expect(html).toContain('<h4>throughput phase</h4><figure><figcaption>SM clock over 9.8 s</figcaption>');
    expect(html).toMatch(/<polyline [^>]*points="(\d+\.\d,\d+\.\d ?){50}"/);
  });

  it('escapes text from the attestation', () => {
    const statement = fixtureStatement();
    statement.predicate.report.operator = '<img src=x onerror=alert(1)>';
    expect(renderReportHtml(statement, { checked: false, entries: [] })).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe.skipIf(!chromium)('report in headless Chromium', () => {
  it('renders with no console error and shows the verdict and the serial', async () => {
    const file = path.join(work, 'report.html');
    writeFileSync(file, renderReportHtml(fixtureStatement(), { checked: true, entries: [{ keyid: 'ab'.repeat(32), verified: true }] }));
    const run = await runChromium(['--enable-logging=stderr', '--v=0', '--dump-dom', pathToFileURL(file).href]);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String(run.stderr)).not.toMatch(/CONSOLE|Uncaught|Refused to/);
    expect(run.stdout).toMatch(/class="verdict ok">CONSISTENT: the item is as declared</);
    expect(run.stdout).toContain('1654922001234');
  });

  it('tppverify report writes the HTML page and a PDF', async () => {
    const attestation = path.join(work, 'unit.dsse.pb');
    writeFileSync(attestation, signedFixture(ephemeralSigningKey()));
    const html = path.join(work, 'cli.html');
    const pdf = path.join(work, 'cli.pdf');
    const run = await execa('node', [cli, 'report', attestation, '--html', html, '--pdf', pdf], { reject: false, timeout: 90_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('CONSISTENT');
    expect(existsSync(pdf)).toBe(true);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    // The page Chromium printed was a temporary elsewhere: nothing hidden is left beside the PDF.
    const pdfOnly = path.join(work, 'pdf-only');
    mkdirSync(pdfOnly);
    const alone = await execa('node', [cli, 'report', attestation, '--pdf', path.join(pdfOnly, 'r.pdf')], { reject: false, timeout: 90_000 });
    expect(alone.exitCode, alone.stderr).toBe(0);
    expect(readdirSync(pdfOnly)).toEqual(['r.pdf']);
  });
});

describe('report input', () => {
  it('exits 2 without an output, and for a file that is not an attestation', async () => {
    const none = await execa('node', [cli, 'report', path.join(work, 'x.dsse.pb')], { reject: false });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/give --html OUT and\/or --pdf OUT/);
    const junk = path.join(work, 'junk.dsse.pb');
    writeFileSync(junk, 'not an envelope');
    const bad = await execa('node', [cli, 'report', junk, '--html', path.join(work, 'j.html')], { reject: false });
    expect(bad.exitCode).toBe(2);
  });
});
