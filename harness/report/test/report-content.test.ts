// What the ISO/IEC 17025 §7.8 report must carry, asserted on the rendered
// HTML (pure) and on the printed PDF (headless Chromium, pdftotext and
// pdftoppm from poppler-utils).
import { execa } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DECLARATION, fixtureStatement, signedFixture, syntheticMeasurements } from '../../test/attestation-fixture.js';
import { compareRuns } from '../../audit/compare.js';
import { ephemeralSigningKey } from '../../../attestations/keys.js';
import { sha256Hex, type Statement } from '../../../attestations/statement.js';
import { findChromium } from '../chromium.js';
import { chooseAxis } from '../charts.js';
import { renderCertificateHtml, renderReportHtml } from '../html.js';
import { compareItem } from '../item-match.js';
import { factLabel, factValue, hasFactLabel } from '../labels.js';
import { withUncertainty } from '../units.js';
import { parseDeclaration } from '../../declaration/declaration.js';
import { computeVerdict } from '../../verdict/verdict.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-report-content-'));
const chromium = await findChromium();
const poppler = await execa('pdftotext', ['-v'], { reject: false }).then((r) => r.exitCode === 0);
const unchecked = { checked: false, entries: [{ keyid: 'ab'.repeat(32), verified: null }] };

/** The page's text as a person reads it: tags dropped, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');
}

/** The fixture re-evaluated with other device facts (a CPU-like identity) and state problems. */
function statementWith(options: { identity?: Statement['subject'][0]['identity']; stateProblems?: string[]; quick?: boolean } = {}): Statement {
  const statement = fixtureStatement();
  const identity = options.identity ?? statement.subject[0]!.identity;
  statement.subject[0]!.identity = identity;
  const { results, verdict } = computeVerdict({
    declaration: parseDeclaration(Buffer.from(statement.predicate.declaration.json).toString('utf8')),
    measurements: statement.predicate.measurements,
    deviceFacts: identity,
    stateProblems: options.stateProblems ?? [],
  });
  statement.predicate.results = results;
  statement.predicate.verdict = verdict;
  statement.predicate.stateProblems = options.stateProblems ?? [];
  if (options.quick) {
    statement.predicate.method.level = 'quick';
    statement.predicate.method.quick = true;
    statement.predicate.method.deviations = ['quick level instead of standard: 10 trials of 0.02 s per throughput format instead of 10 of 0.1 s'];
  }
  return statement;
}

const GPU_FACTS = [
  { name: 'vendor', value: 'NVIDIA', source: 'cuda backend' },
  { name: 'model', value: 'NVIDIA H100 80GB HBM3', source: 'cuda backend' },
  { name: 'computeCapability', value: '9.0', source: 'cuda runtime' },
  { name: 'serial', value: '1654922001234', source: 'nvidia-smi --query-gpu serial' },
  { name: 'maxSmClockMhz', value: '1980', source: 'cuda runtime' },
  { name: 'peakDramBandwidthGbps', value: '3352.3', source: 'cuda runtime' },
  { name: 'totalMemoryBytes', value: '85520809984', source: 'cuda runtime' },
];

describe('the item as declared, and whether the measured device is it', () => {
  const declaration = parseDeclaration(JSON.stringify(DECLARATION));
  it('agrees when vendor, architecture (compute capability 9.0 is sm_90) and product token match', () => {
    const match = compareItem(declaration, GPU_FACTS);
    expect(match.status).toBe('same');
    expect(match.comparisons.map((c) => c.status)).toEqual(['same', 'same', 'same']);
  });
  it('differs for a CPU measured against an H100 declaration, and is unknown where the device reports nothing', () => {
    const cpu = compareItem(declaration, [
      { name: 'vendor', value: 'AuthenticAMD', source: 'cpu backend' },
      { name: 'model', value: 'AMD EPYC', source: 'cpu backend' },
    ]);
    expect(cpu.status).toBe('differs');
    expect(cpu.comparisons.find((c) => c.what === 'Architecture')?.status).toBe('unknown');
    expect(compareItem(declaration, []).status).toBe('unknown');
    expect(compareItem({ ...declaration, architecture: 'sm_100a' }, GPU_FACTS).comparisons[1]!.status).toBe('differs');
  });
  it('the page opens with the declared item: vendor, product, part number and declaration digest, before the lab', () => {
    const statement = statementWith({ identity: GPU_FACTS });
    const html = renderReportHtml(statement, unchecked);
    const text = visibleText(html);
    expect(text).toContain('Test report: NVIDIA H100 SXM5 80GB');
    const item = text.indexOf('Item as declared');
    expect(item).toBeGreaterThan(0);
    expect(item).toBeLessThan(text.indexOf('Laboratory and client'));
    for (const field of ['NVIDIA', 'H100 SXM5 80GB', 'P-1', statement.predicate.declaration.sha256]) expect(text.slice(item)).toContain(field);
    expect(text).toContain('The measured device is the declared item');
  });
});

describe('report content (ISO/IEC 17025 7.8)', () => {
  const statement = statementWith({ identity: GPU_FACTS });
  const envelopeSha256 = 'cd'.repeat(32);
  const html = renderReportHtml(statement, unchecked, { envelopeSha256 });
  const text = visibleText(html);

  it('lab identification and address, client, filing and every date', () => {
    for (const value of ['Test Lab', '1 Test Road, Testville, US', 'ex', 'F-1', '2026-11-25', '2026-11-26T10:00:00.000Z', '2026-11-26T10:01:00.000Z', '2026-11-26T10:01:01.000Z']) {
      expect(text).toContain(value);
    }
    expect(text).toMatch(/Item received 2026-11-25/);
  });

  it('identity facts with their source, labelled and in human units: no machine key, no raw byte count', () => {
    expect(text).toMatch(/Serial number 1654922001234 nvidia-smi --query-gpu serial/);
    expect(text).toContain('79.65 GiB');
    expect(text).toContain('1,980 MHz');
    expect(text).toContain('3.35 TB/s');
    for (const key of ['totalMemoryBytes', 'maxSmClockMhz', 'peakDramBandwidthGbps', 'computeCapability', '85520809984']) expect(text).not.toContain(key);
  });

  it('the method with its level and the decision rule in words with every parameter', () => {
    expect(text).toContain('Test level standard');
    expect(text).toContain('No deviation from the standard method');
    expect(text).toContain('Decision rule tppverify-decision-rule@3');
    expect(text).toContain('Above it by more than 2 % plus the expanded uncertainty U (k = 2) is under-declared');
    expect(text).toContain('Coverage factor k of the expanded uncertainty 2');
    expect(text).toContain('TPP below 21,000 and DRAM bandwidth below 6.50 TB/s, both strict');
  });

  it('results with expanded uncertainty (k = 2) for rates, TPP and bandwidth', () => {
    expect(text).toMatch(/measured spec, 1,830 MHz [\d,.]+ ± [\d,.]+ FP(8|16)/);
    expect(text).toMatch(/triad sim [\d.]+ ± [\d.]+ TB\/s 10/);
    expect(text).toMatch(/FP16 \(sim\) 989\.4 4,095\.9 [\d,.]+ ± [\d,.]+ [\d.]+ ± [\d.]+ % consistent/);
    expect(text).toContain('Type A, from the recorded trials');
  });

  it('no declared TPP bar at a clock the declaration never names (the fixture declares no maximum clock)', () => {
    expect(html).toContain('declared, spec 1,830 MHz');
    expect(html).not.toMatch(/declared, (maximum|observed)/);
    expect(html).toMatch(/measured, observed [\d,]+ MHz/);
  });

  it('charts have ticked axes, whiskers and a log scale where the values span orders of magnitude', () => {
    expect(chooseAxis([7, 15_831, 21_000]).log).toBe(true);
    expect(chooseAxis([3000, 3350, 6500]).log).toBe(false);
    expect(chooseAxis([7, 15_831]).ticks).toEqual([1, 10, 100, 1000, 10_000, 100_000]);
    expect(html.match(/class="whisker"/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
    expect(html).toMatch(/data-scale="linear"/);
  });

  it('the statement of conformity follows the verdict; the authorisation names the signatory, role, key id and the file digest', () => {
    expect(statement.predicate.verdict.outcome).toBe('consistent');
    expect(text).toContain('CONSISTENT: the item is as declared');
    expect(text).toMatch(/Authorised by A\. Signer, Technical manager/);
    expect(text).toContain(`Signing key id(s) ${'ab'.repeat(32)}`);
    expect(text).toContain(`Envelope file SHA-256 ${envelopeSha256}`);
    expect(text).toContain('These results relate only to the item tested.');
  });

  it('every page carries the report id and Page N of M; tables repeat their header; A4 by default, Letter as an option', () => {
    expect(html).toMatch(/@page\{size:A4/);
    expect(html).toContain('counter(page) " of " counter(pages)');
    const id = statement.predicate.report.reportId;
    expect(html).toContain(`@top-right{content:"Report ${id.replace(/-/g, '-')}`);
    expect(html).toContain('thead{display:table-header-group}');
    expect(renderReportHtml(statement, unchecked, { paper: 'letter' })).toMatch(/@page\{size:letter/);
  });
});

describe('conformity under other verdicts', () => {
  it('INCONCLUSIVE says no statement of conformity is made and never prints a bold "eligible"', () => {
    const statement = statementWith({ identity: GPU_FACTS, stateProblems: ['the throughput phase ran with clock slowdown reasons 0x8 active'], quick: true });
    expect(statement.predicate.verdict.outcome).toBe('inconclusive');
    const html = renderReportHtml(statement, unchecked);
    const text = visibleText(html);
    expect(text).toContain('INCONCLUSIVE: no statement of conformity is made');
    expect(text).toContain('On the declaration alone, which this report does not confirm');
    expect(html).not.toMatch(/<b>\s*(not )?eligible/i);
    expect(text).not.toMatch(/\bis as declared\b/);
    expect(text).toContain('quick level instead of standard');
    expect(text).toContain('Test level quick');
  });

  it('UNDER-DECLARED says the item performs above its declaration', () => {
    const measurements = syntheticMeasurements();
    const statement = fixtureStatement({ declarationJson: JSON.stringify({ ...DECLARATION, peakDenseTops: { FP16: 800, FP8: 1978.9 } }), measurements });
    expect(statement.predicate.verdict.outcome).toBe('under-declared');
    expect(visibleText(renderReportHtml(statement, unchecked))).toContain('UNDER-DECLARED: the item performs above its declaration');
  });
});

describe('labels', () => {
  it('every fact the CPU backend records reads as words, with bytes in binary units', () => {
    for (const name of ['cacheL1dInstances', 'cacheL2Bytes', 'memoryBytes', 'isaFeatures', 'hostCpuCores', 'lastLevelCacheBytes']) expect(hasFactLabel(name)).toBe(true);
    expect(factLabel('cacheL1dInstances')).toBe('L1 data cache instances');
    expect(factValue('memoryBytes', '25276510208')).toBe('23.54 GiB');
    expect(factValue('cacheL1dBytes', '49152')).toBe('48 KiB');
    expect(factLabel('someNewFact')).toBe('Some new fact');
  });
  it('every fact this host records — CPU backend attributes and host facts — has a label of its own', async () => {
    const { listBackends } = await import('../../devices.js');
    const { hostFacts } = await import('../../inventory/host.js');
    const cpu = listBackends().find((l) => l.backend === 'cpu')!.devices[0]!;
    const names = [...cpu.attributes.map((a) => a.key), ...(await hostFacts()).map((f) => f.name)];
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !hasFactLabel(name))).toEqual([]);
  });
  it('U carries two significant digits and the value its decimal place', () => {
    expect(withUncertainty(2.034, 1.46)).toBe('2.0 ± 1.5');
    expect(withUncertainty(24.6, 12.8)).toBe('25 ± 13');
    expect(withUncertainty(15831, undefined)).toBe('15,831');
  });
});

describe('audit and lot reports show their outcome and every comparison', () => {
  it('an audit attestation renders its outcome, the original digest and each compared metric', () => {
    const statement = fixtureStatement();
    const rerun = syntheticMeasurements();
    statement.predicate.audit = compareRuns('ef'.repeat(32), syntheticMeasurements(), rerun, 'same item: serial and uuid match');
    const text = visibleText(renderReportHtml(statement, unchecked));
    expect(text).toContain('Audit of an earlier attestation');
    expect(text).toContain('REPRODUCED');
    expect(text).toContain('ef'.repeat(32));
    for (const c of statement.predicate.audit.comparisons.filter((c) => c.claim !== 'identity')) {
      expect(c.claim).toMatch(/^(bandwidth|rate):/);
    }
    expect(text).toMatch(/triad bandwidth consistent/);
    expect(text).toMatch(/FP16 rate per clock consistent/);
    expect(text).toMatch(/Same item note same item: serial and uuid match/);
  });

  it('a lot certificate renders its outcome and every sampled unit', () => {
    const html = renderCertificateHtml(
      {
        lotId: 'LOT-7',
        manifestSha256: '01'.repeat(32),
        declarationSha256: '02'.repeat(32),
        plan: 'fixed-2',
        planDescription: 'a fixed sample of 2',
        nonce: Buffer.from('00112233445566778899', 'hex'),
        lotSize: 5,
        units: [
          { serial: 'S-1', attestationSha256: '03'.repeat(32), status: 'valid', verdict: 'consistent', detail: '' },
          { serial: 'S-2', attestationSha256: '', status: 'missing', verdict: '', detail: 'no attestation for this serial' },
        ],
        outcome: 'incomplete',
        reasons: ['S-2: no attestation'],
        issuedAt: '2026-11-26T10:00:00.000Z',
        ignoredSerials: [],
      },
      unchecked,
      { envelopeSha256: '04'.repeat(32) },
    );
    const text = visibleText(html);
    expect(text).toContain('INCOMPLETE');
    expect(text).toMatch(/S-1 valid consistent/);
    expect(text).toMatch(/S-2 missing — — no attestation for this serial/);
    expect(text).toContain('04'.repeat(32));
    expect(html).toContain('counter(pages)');
  });
});

describe.skipIf(!chromium || !poppler)('the printed report (headless Chromium, poppler-utils)', () => {
  it('tppverify report prints a PDF whose every page carries the report id and Page N of M, on A4 and on Letter', async () => {
    const key = ephemeralSigningKey();
    const statement = statementWith({ identity: GPU_FACTS });
    const bytes = signedFixture(key, statement);
    const attestation = path.join(work, 'unit.dsse.pb');
    writeFileSync(attestation, bytes);
    const pubkey = path.join(work, 'unit.pub.pem');
    writeFileSync(pubkey, key.publicKey.export({ type: 'spki', format: 'pem' }));
    for (const paper of ['a4', 'letter'] as const) {
      const pdf = path.join(work, `unit-${paper}.pdf`);
      const run = await execa('node', [cli, 'report', attestation, '--pdf', pdf, '--paper', paper, '--pubkey', pubkey], { reject: false, timeout: 90_000 });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(readdirSync(work).filter((f) => f.startsWith('.unit-'))).toEqual([]);
      const info = await execa('pdfinfo', [pdf]);
      const pages = Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1]);
      expect(pages).toBeGreaterThan(1);
      expect(info.stdout).toMatch(paper === 'a4' ? /59[45](\.\d+)? x 841(\.\d+)? pts \(A4\)/ : /612 x 792 pts \(letter\)/);
      for (let page = 1; page <= pages; page++) {
        const pageText = (await execa('pdftotext', ['-f', String(page), '-l', String(page), '-layout', pdf, '-'])).stdout;
        expect(pageText).toContain(`Page ${page} of ${pages}`);
        expect(pageText).toContain(statement.predicate.report.reportId);
      }
      const all = (await execa('pdftotext', ['-layout', pdf, '-'])).stdout;
      expect(all).toContain(sha256Hex(bytes).slice(0, 40));
      expect(all).not.toContain('totalMemoryBytes');
      const prefix = path.join(work, `page-${paper}`);
      await execa('pdftoppm', ['-r', '40', '-png', pdf, prefix]);
      expect(readdirSync(work).filter((f) => f.startsWith(`page-${paper}`) && f.endsWith('.png'))).toHaveLength(pages);
    }
  });

  it('a Chromium that is missing or fails exits 4 (not a device failure), and the HTML page is still written', async () => {
    const attestation = path.join(work, 'unit2.dsse.pb');
    writeFileSync(attestation, signedFixture());
    const html = path.join(work, 'unit2.html');
    const missing = await execa('node', [cli, 'report', attestation, '--html', html, '--pdf', path.join(work, 'unit2.pdf')], {
      reject: false,
      env: { TPPVERIFY_CHROMIUM: path.join(work, 'no-such-chromium') },
    });
    expect(missing.exitCode).toBe(4);
    expect(missing.stderr).toBe('tppverify: the file TPPVERIFY_CHROMIUM names does not exist');
    expect(readFileSync(html, 'utf8')).toContain('Test report');
    const failing = await execa('node', [cli, 'report', attestation, '--pdf', path.join(work, 'unit3.pdf')], { reject: false, env: { TPPVERIFY_CHROMIUM: '/bin/false' } });
    expect(failing.exitCode).toBe(4);
    expect(failing.stderr).toMatch(/Chromium could not print/);
  });
});
