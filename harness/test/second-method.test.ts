// Step 8 of the decision rule: the second method (code that is not ours: a
// vendor GEMM library, libc memcpy, the runtime's copy) against our kernels,
// with the named bounds of DECISION_RULE; and verify recomputing it.
import { describe, expect, it } from 'vitest';
import { ephemeralSigningKey } from '../../attestations/keys.js';
import { parseDeclaration } from '../declaration/declaration.js';
import { describeFinding } from '../verdict/describe.js';
import type { MeasurementRecord } from '../verdict/record.js';
import { achievedDramBandwidthGbps, computeVerdict, DECISION_RULE, measuredRates, RULE_STEP, secondMethodStatus, type Finding } from '../verdict/verdict.js';
import { verifyDocumentBytes } from '../verify/document.js';
import { renderReportHtml } from '../report/html.js';
import { buildReportView } from '../report/view.js';
import { DECLARATION_JSON, DEVICE_FACTS, fixtureStatement, signedFixture, syntheticMeasurements } from './attestation-fixture.js';

const declaration = parseDeclaration(DECLARATION_JSON);
const p = DECISION_RULE.parameters;

function verdictOf(measurements: MeasurementRecord) {
  return computeVerdict({ declaration, measurements, deviceFacts: DEVICE_FACTS, stateProblems: [] });
}

function finding(findings: Finding[], claim: string): Finding {
  const f = findings.find((x) => x.claim === claim);
  if (!f) throw new Error(`no ${claim} among ${findings.map((x) => x.claim).join(', ')}`);
  return f;
}

const valueOf = (f: Finding, name: string) => f.values.find((v) => v.name === name)?.value;
const labelOf = (f: Finding, name: string) => f.labels.find((l) => l.name === name)?.value;

/** The fixture with the FP16 library case's trials scaled to `ratio` × the native per-clock rate. */
function withFp16LibraryAt(ratio: number, spread = 0.001): MeasurementRecord {
  const m = syntheticMeasurements();
  const native = m.throughput.find((c) => c.format === 'FP16' && c.method !== 'library')!;
  const library = m.throughput.find((c) => c.format === 'FP16' && c.method === 'library')!;
  library.trialSeconds = native.trialSeconds.map((s, i) => (s / ratio) * (1 + (i % 2 ? spread : -spread)));
  return m;
}

describe('step 8: the second method', () => {
  it('is one finding per compared quantity, with both figures and their ratio: the fixture is consistent at 97 %', () => {
    const { verdict } = verdictOf(syntheticMeasurements());
    const second = verdict.findings.filter((f) => f.rule === RULE_STEP.secondMethod);
    expect(second.map((f) => f.claim)).toEqual(['second-method:bandwidth', 'second-method:FP16', 'second-method:FP8']);
    for (const f of second) {
      expect(f.status, f.claim).toBe('consistent');
      expect(valueOf(f, 'ratio')!, f.claim).toBeCloseTo(0.97, 3);
    }
    const bandwidth = finding(second, 'second-method:bandwidth');
    expect(valueOf(bandwidth, 'nativeGbps')).toBe(achievedDramBandwidthGbps(syntheticMeasurements()));
    expect(valueOf(bandwidth, 'nativeGbps')!).toBeGreaterThan(2950);
    expect(labelOf(bandwidth, 'libraryKernel')).toBe('memcpy');
    expect(labelOf(finding(second, 'second-method:FP16'), 'libraryEngine')).toBe('cublaslt');
    expect(describeFinding(finding(second, 'second-method:FP16'))).toMatch(/^library cublaslt 3,955\.3 ops\/clk\/unit vs our sim 4,077\.7 ops\/clk\/unit \(97\.0 %, U = [\d.]+ % at k = 2\)$/);
    expect(verdict.outcome).toBe('consistent');
  });

  it('keeps the primary figures on our kernels: a faster library counts toward neither the per-clock rate nor the achieved bandwidth', () => {
    const m = withFp16LibraryAt(1.5);
    const memcpy = m.bandwidth!.kernels.find((k) => k.name === 'memcpy')!;
    memcpy.trialSeconds = memcpy.trialSeconds.map((s) => s / 2);
    expect(measuredRates(m).find((r) => r.format === 'FP16')!.engine).toBe('sim');
    expect(measuredRates(m, 'library').find((r) => r.format === 'FP16')!.engine).toBe('cublaslt');
    const triadOnly = achievedDramBandwidthGbps(syntheticMeasurements());
    expect(achievedDramBandwidthGbps(m)).toBe(triadOnly);
    const { verdict, results } = verdictOf(m);
    expect(results.achievedDramBandwidthGbps).toBe(triadOnly);
    expect(valueOf(finding(verdict.findings, 'rate:FP16'), 'measuredOpsPerClockPerUnit')).toBe(measuredRates(syntheticMeasurements()).find((r) => r.format === 'FP16')!.opsPerClockPerUnit);
  });

  it(`a library faster than our kernel by more than secondMethodAbove (${p.secondMethodAbove}) + U holds our figure down: inconclusive`, () => {
    const { verdict } = verdictOf(withFp16LibraryAt(1.2));
    const f = finding(verdict.findings, 'second-method:FP16');
    expect(f.status).toBe('inconclusive');
    expect(valueOf(f, 'ratio')!).toBeCloseTo(1.2, 3);
    expect(describeFinding(f)).toMatch(/faster than our kernel by more than 10\.0 % \+ U, so our figure was held down/);
    expect(verdict.outcome).toBe('inconclusive');
  });

  it('within the bound (5 % faster, or a noisy 20 % whose guard band covers it) is consistent', () => {
    expect(finding(verdictOf(withFp16LibraryAt(1.05)).verdict.findings, 'second-method:FP16').status).toBe('consistent');
    // ±15 % alternating trials: the k = 2 guard band over the combined spread reaches past 1.2.
    const noisy = finding(verdictOf(withFp16LibraryAt(1.2, 0.15)).verdict.findings, 'second-method:FP16');
    expect(valueOf(noisy, 'expandedUncertainty')!).toBeGreaterThan(0.2);
    expect(noisy.status).toBe('consistent');
  });

  it(`a library below secondMethodBelow (${p.secondMethodBelow}) of our kernel is a note, not a problem`, () => {
    const { verdict } = verdictOf(withFp16LibraryAt(0.4));
    expect(finding(verdict.findings, 'second-method:FP16').status).toBe('note');
    expect(verdict.outcome).toBe('consistent');
  });

  it('the bounds are exactly those DECISION_RULE names', () => {
    expect(secondMethodStatus(1 + p.secondMethodAbove - 1e-9, 0, 0).status).toBe('consistent');
    expect(secondMethodStatus(1 + p.secondMethodAbove + 1e-9, 0, 0).status).toBe('inconclusive');
    expect(secondMethodStatus(p.secondMethodBelow - 1e-9, 0, 0).status).toBe('note');
    expect(secondMethodStatus(1.3, 0.06, 0.08)).toEqual({ status: 'consistent', guard: p.coverageFactor * 0.1 });
  });

  it('a library that could not be loaded is named with its reason: inconclusive for a declared format', () => {
    const m = syntheticMeasurements();
    const library = m.throughput.find((c) => c.format === 'FP16' && c.method === 'library')!;
    Object.assign(library, { available: false, unavailableReason: 'dlopen libcublasLt.so.13: cannot open shared object file', trialSeconds: [], trialClockMhz: [], opsPerTrial: 0 });
    const { verdict } = verdictOf(m);
    const f = finding(verdict.findings, 'second-method:FP16');
    expect(f.status).toBe('inconclusive');
    expect(labelOf(f, 'unavailableReason')).toBe('cublaslt: dlopen libcublasLt.so.13: cannot open shared object file');
    expect(describeFinding(f)).toMatch(/^no second method: cublaslt: dlopen libcublasLt\.so\.13/);
    expect(verdict.outcome).toBe('inconclusive');
  });

  it('a library with no GEMM in the format by design (libraryLacksFormat) is a named gap: a note, even for a declared format', () => {
    const m = syntheticMeasurements();
    const library = m.throughput.find((c) => c.format === 'FP16' && c.method === 'library')!;
    Object.assign(library, { available: false, libraryLacksFormat: true, unavailableReason: "OpenBLAS's CBLAS interface has no FP16 GEMM", trialSeconds: [], trialClockMhz: [], opsPerTrial: 0 });
    const f = finding(verdictOf(m).verdict.findings, 'second-method:FP16');
    expect(f.status).toBe('note');
    expect(labelOf(f, 'unavailableReason')).toBe("cublaslt: OpenBLAS's CBLAS interface has no FP16 GEMM");
    // The same case failing to load (the flag unset) is inconclusive.
    library.libraryLacksFormat = false;
    expect(finding(verdictOf(m).verdict.findings, 'second-method:FP16').status).toBe('inconclusive');
  });

  it('no library case at all is named too; for a format the declaration omits it is a note', () => {
    const m = syntheticMeasurements();
    m.throughput = m.throughput.filter((c) => c.method !== 'library');
    const undeclared = parseDeclaration(JSON.stringify({ ...JSON.parse(DECLARATION_JSON), peakDenseTops: { FP16: 989.4 } }));
    const { verdict } = computeVerdict({ declaration: undeclared, measurements: m, deviceFacts: DEVICE_FACTS, stateProblems: [] });
    expect(finding(verdict.findings, 'second-method:FP16')).toMatchObject({ status: 'inconclusive' });
    expect(labelOf(finding(verdict.findings, 'second-method:FP16'), 'unavailableReason')).toBe('no library case was recorded for FP16');
    expect(finding(verdict.findings, 'second-method:FP8').status).toBe('note');
  });

  it('a bandwidth measurement without memcpy is named: inconclusive', () => {
    const m = syntheticMeasurements();
    m.bandwidth!.kernels = m.bandwidth!.kernels.filter((k) => k.name !== 'memcpy');
    const f = finding(verdictOf(m).verdict.findings, 'second-method:bandwidth');
    expect(f.status).toBe('inconclusive');
    expect(labelOf(f, 'unavailableReason')).toMatch(/no library bandwidth kernel \(memcpy\)/);
  });
});

describe('verify recomputes step 8', () => {
  const key = ephemeralSigningKey();
  const trusted = new Map([[key.keyId, key.publicKey]]);

  it('refuses a re-signed attestation whose library figure was changed (the recorded verdict no longer follows)', () => {
    const statement = fixtureStatement();
    expect(verifyDocumentBytes(signedFixture(key, statement), { keys: trusted, threshold: 1 }).valid).toBe(true);
    // A faster library figure, re-signed with the lab's key: the recorded consistent finding is now wrong.
    const library = statement.predicate.measurements.throughput.find((c) => c.format === 'FP16' && c.method === 'library')!;
    library.trialSeconds = library.trialSeconds.map((s) => s / 1.5);
    const outcome = verifyDocumentBytes(signedFixture(key, statement), { keys: trusted, threshold: 1 });
    expect(outcome.valid).toBe(false);
    expect(outcome.reasons).toContain('the recorded verdict differs from the one recomputed from the recorded declaration and measurements');
  });

  it('refuses even a 1 % change of a library figure whose status stays the same: verify compares the recorded values', () => {
    const statement = fixtureStatement();
    const memcpy = statement.predicate.measurements.bandwidth!.kernels.find((k) => k.name === 'memcpy')!;
    memcpy.trialSeconds = memcpy.trialSeconds.map((s) => s / 1.01);
    expect(verdictOf(statement.predicate.measurements).verdict.findings.find((f) => f.claim === 'second-method:bandwidth')!.status).toBe('consistent');
    expect(verifyDocumentBytes(signedFixture(key, statement), { keys: trusted, threshold: 1 }).reasons).toContain(
      'the recorded verdict differs from the one recomputed from the recorded declaration and measurements',
    );
  });

  it('refuses a library case relabelled as our kernel (the primary figure would change)', () => {
    const statement = fixtureStatement();
    const memcpy = statement.predicate.measurements.bandwidth!.kernels.find((k) => k.name === 'memcpy')!;
    memcpy.method = 'native';
    expect(verifyDocumentBytes(signedFixture(key, statement), { keys: trusted, threshold: 1 }).valid).toBe(false);
  });
});

describe('the report shows the comparison', () => {
  const signatures = { checked: false, entries: [{ keyid: 'ab'.repeat(32), verified: null }] };

  it('one row per compared quantity with both figures, the ratio and the status; the achieved figure stays our kernel\'s', () => {
    const statement = fixtureStatement();
    const view = buildReportView(statement, { signatures });
    expect(view.results.secondMethod.map((r) => `${r.quantity}: ${r.native} / ${r.library} ${r.status}`)).toEqual([
      'DRAM bandwidth: triad / memcpy consistent',
      'FP16: sim / cublaslt consistent',
      'FP8: sim / cublaslt consistent',
    ]);
    expect(view.results.achieved?.kernel).toBe('triad');
    const html = renderReportHtml(statement, signatures);
    expect(html).toContain('<h3>Second method</h3>');
    expect(html).toMatch(/cudaMemcpyAsync-d2d \(second method\)/);
    expect(html).toMatch(/Second method: each figure is measured again by code that is not ours/);
  });

  it('a missing library shows its reason in the table', () => {
    const m = syntheticMeasurements();
    m.throughput = m.throughput.filter((c) => !(c.format === 'FP8' && c.method === 'library'));
    const view = buildReportView(fixtureStatement({ measurements: m }), { signatures });
    expect(view.results.secondMethod.find((r) => r.quantity === 'FP8')).toMatchObject({ status: 'inconclusive', note: 'no second method: no library case was recorded for FP8' });
  });
});
