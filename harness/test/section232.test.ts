// The Section 232 Annex (Proclamation 11002) as a second rule set: every
// window bound is strict, the published chips land where their datasheets
// put them, `tpp --json` reports it, and an attestation carries it for the
// declared and the measured figures, recomputed by verify.
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DECLARATION_JSON, fixtureStatement, signedFixture } from '../../attestations/test/fixture.js';
import { decodeStatement, encodeStatement, PAYLOAD_TYPE } from '../../attestations/statement.js';
import { encodeEnvelope, signEnvelope } from '../../attestations/dsse.js';
import { ephemeralSigningKey } from '../../attestations/keys.js';
import { recomputationProblems, verifyAttestationBytes } from '../../attestations/verify.js';
import { decideSection232, evaluateSection232 } from '../rules/evaluate.js';
import { RULE_SETS, US_SECTION_232_SEMICONDUCTORS as ANNEX } from '../rules/rule-sets.js';
import { describeSection232 } from '../verdict/describe.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const examples = path.join(root, 'harness', 'declaration', 'examples');

describe('the Annex windows as data', () => {
  it('keeps the two windows, the duty, the citation and the version as data', () => {
    expect(ANNEX).toMatchObject({ id: 'us-section232-p11002-annex', version: '2026-01-14', dutyPercent: 25, heading: '9903.79.01' });
    expect(ANNEX.windows).toEqual([
      { number: 1, tpp: { above: 14000, below: 17500 }, dramBandwidthGbps: { above: 4500, below: 5000 } },
      { number: 2, tpp: { above: 20800, below: 21100 }, dramBandwidthGbps: { above: 5800, below: 6200 } },
    ]);
    expect(ANNEX.citation).toMatch(/Proclamation 11002.*FR Doc 2026-01052/);
    expect(ANNEX.textSource).toMatch(/CSMS message 67400472/);
    expect(RULE_SETS.map((r) => r.id)).toContain(ANNEX.id);
  });

  it.each([
    // Window 1: every bound strict.
    [14000, 4800, null],
    [14000.01, 4800, 1],
    [17500, 4800, null],
    [17499.99, 4800, 1],
    [15832, 4500, null],
    [15832, 4500.01, 1],
    [15832, 5000, null],
    [15832, 4999.99, 1],
    // Window 2.
    [20800, 6000, null],
    [20800.01, 6000, 2],
    [21100, 6000, null],
    [21099.99, 6000, 2],
    [20919, 5800, null],
    [20919, 5800.01, 2],
    [20919, 6200, null],
    [20919, 6199.99, 2],
    // TPP of one window, bandwidth of the other: covered by neither.
    [15832, 6000, null],
    [20919, 4800, null],
  ])('TPP %d with %d GB/s: window %s', (tpp, gbps, window) => {
    expect(decideSection232(ANNEX, tpp, gbps)).toEqual({ ruleSet: ANNEX.id, covered: window !== null, window });
  });

  it('gives a reason per window, naming the bound that fails, and the bandwidth reading', () => {
    const outcome = evaluateSection232(ANNEX, 17500, 4800);
    expect(outcome.covered).toBe(false);
    expect(outcome.reasons[0]).toBe('window (1) does not hold: TPP 17,500 is not below 17,500; total DRAM bandwidth 4,800 GB/s is above 4,500 and below 5,000 GB/s (both bounds strict)');
    expect(outcome.reasons[1]).toMatch(/^window \(2\) does not hold: TPP 17,500 is not above 20,800/);
    expect(outcome.reasons.join('\n')).toMatch(/in no window of the Annex/);
    expect(outcome.reasons.join('\n')).toMatch(/total DRAM bandwidth read as the peak of the memory interface/);
    expect(evaluateSection232(ANNEX, 15832, 4800).reasons.join('\n')).toMatch(/covered: a 25 % duty under heading 9903\.79\.01/);
  });
});

describe('tpp --json reports section232 for every declaration', () => {
  it.each([
    ['h200-sxm', true, 1],
    ['h100-sxm', false, null],
    ['mi325x', true, 2],
    ['b200', false, null],
  ])('%s: covered %s, window %s', async (name, covered, window) => {
    const run = await execa('node', [cli, 'tpp', path.join(examples, `${name}.json`), '--json'], { reject: false, timeout: 60_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { section232: { ruleSet: string; covered: boolean; window: number | null; reasons: string[] } };
    expect(Object.keys(report.section232).sort()).toEqual(['covered', 'reasons', 'ruleSet', 'window']);
    expect(report.section232).toMatchObject({ ruleSet: ANNEX.id, covered, window });
    expect(report.section232.reasons.length).toBe(ANNEX.windows.length + 2);
    const text = await execa('node', [cli, 'tpp', path.join(examples, `${name}.json`)], { reject: false, timeout: 60_000 });
    expect(text.stdout).toMatch(covered ? new RegExp(`Section 232 duty .*: COVERED \\(window ${window}\\)`) : /Section 232 duty .*: not covered/);
  });
});

describe('attestations carry section232 for the declared and the measured figures', () => {
  it('records both; the measured side uses the measured TPP and the device memory-interface peak', () => {
    // H100-like declaration (3,350 GB/s) and device: TPP 15,832 but bandwidth outside window 1.
    const { results } = fixtureStatement().predicate;
    expect(results.declaredSection232).toMatchObject({ ruleSet: ANNEX.id, covered: false, window: 0, dramBandwidthGbps: 3350, dramBandwidthBasis: 'declared' });
    expect(results.declaredSection232.tpp).toBeCloseTo(results.declaredTpp, 9);
    expect(results.measuredSection232).toMatchObject({ covered: false, window: 0, dramBandwidthGbps: 3352.3, dramBandwidthBasis: 'device memory interface' });
    expect(results.measuredSection232!.tpp).toBeCloseTo(results.measuredAtClocks.find((c) => c.clock === 'spec')!.tpp, 9);
  });

  it('an H200 declaration is covered by window 1 on both sides, and the record survives encoding', () => {
    const h200 = DECLARATION_JSON.replace('"declaredDramBandwidthGbps":3350', '"declaredDramBandwidthGbps":4800');
    const statement = fixtureStatement({ declarationJson: h200 });
    expect(statement.predicate.results.declaredSection232).toMatchObject({ covered: true, window: 1 });
    // The fixture's device reports 3,352.3 GB/s: the measured side follows the device, not the declaration.
    expect(statement.predicate.results.measuredSection232).toMatchObject({ covered: false, window: 0 });
    const decoded = decodeStatement(encodeStatement(statement));
    expect(decoded.predicate.results).toEqual(statement.predicate.results);
    expect(decoded.predicate.results.declaredSection232).toMatchObject({ covered: true, window: 1, dramBandwidthGbps: 4800 });
    expect(recomputationProblems(decoded)).toEqual([]);
    const lines = describeSection232('declared', decoded.predicate.results.declaredSection232);
    expect(lines.headline).toBe('declared: COVERED, window 1 (TPP 15,831; total DRAM bandwidth 4,800 GB/s, declared)');
  });

  it('verify refuses a signed attestation whose section232 was changed before signing', () => {
    const key = ephemeralSigningKey();
    const statement = fixtureStatement();
    statement.predicate.results.declaredSection232 = { ...statement.predicate.results.declaredSection232, covered: true, window: 1 };
    const bytes = encodeEnvelope(signEnvelope(encodeStatement(statement), PAYLOAD_TYPE, [key]));
    const trusted = new Map([[key.keyId, key.publicKey]]);
    const outcome = verifyAttestationBytes(bytes, trusted);
    expect(outcome.valid).toBe(false);
    expect(outcome.reasons.join('\n')).toMatch(/recorded results differ/);
    // The unchanged fixture verifies.
    expect(verifyAttestationBytes(signedFixture(key), trusted).valid).toBe(true);
  });
});

describe('describeSection232 without a record', () => {
  it('says why: no measurement, or an attestation made before the Annex was evaluated', () => {
    expect(describeSection232('measured', null).headline).toBe('measured: no throughput measurement, so no measured TPP');
    expect(describeSection232('declared', null).headline).toMatch(/^declared: not recorded in this attestation/);
  });
});
