// The reading of "total DRAM bandwidth" is a named policy: recorded in every
// attestation's method (run takes RECORDED_POLICIES) and shown in the report.
import { describe, expect, it } from 'vitest';
import { fixtureStatement } from '../../attestations/test/fixture.js';
import { decodeStatement, encodeStatement } from '../../attestations/statement.js';
import { renderReportHtml } from '../report/html.js';
import { TOTAL_DRAM_BANDWIDTH_POLICY } from '../rules/rule-sets.js';
import { evaluateDeclaration } from '../tpp/evaluation.js';
import { RECORDED_POLICIES } from '../tpp/policies.js';
import { parseDeclaration } from '../declaration/declaration.js';
import { DECLARATION_JSON } from '../../attestations/test/fixture.js';

describe('the total DRAM bandwidth policy', () => {
  it('is named, versioned and says the measured figure is only a plausibility check', () => {
    expect(TOTAL_DRAM_BANDWIDTH_POLICY.id).toBe('total-dram-bandwidth-peak-interface@1');
    expect(TOTAL_DRAM_BANDWIDTH_POLICY.reading).toMatch(/peak of the memory interface summed over all stacks/);
    expect(TOTAL_DRAM_BANDWIDTH_POLICY.reading).toMatch(/plausibility check/);
    expect(TOTAL_DRAM_BANDWIDTH_POLICY.reading).toMatch(/was not retrieved/);
  });

  it('is among the policies every run records, and survives encoding', () => {
    const policy = RECORDED_POLICIES.find((p) => p.name === 'totalDramBandwidth');
    expect(policy?.value).toMatch(/^total-dram-bandwidth-peak-interface@1: /);
    const statement = fixtureStatement();
    statement.predicate.method.policies = RECORDED_POLICIES.map((p) => ({ ...p }));
    const decoded = decodeStatement(encodeStatement(statement));
    expect(decoded.predicate.method.policies).toEqual(RECORDED_POLICIES);
  });

  it('is in tpp reports too', () => {
    expect(evaluateDeclaration(parseDeclaration(DECLARATION_JSON)).policies.dramBandwidthReading).toBe(TOTAL_DRAM_BANDWIDTH_POLICY.reading);
  });

  it('is shown in the report beside the bandwidth chart, with both Section 232 outcomes', () => {
    const statement = fixtureStatement();
    statement.predicate.method.policies = RECORDED_POLICIES.map((p) => ({ ...p }));
    const html = renderReportHtml(statement, { checked: false, entries: [] });
    expect(html).toContain('Total DRAM bandwidth reading: total-dram-bandwidth-peak-interface@1: total DRAM bandwidth is the peak');
    expect(html).toMatch(/<li>declared: not covered \(TPP 15,831; total DRAM bandwidth 3,350 GB\/s, declared\)/);
    expect(html).toMatch(/<li>measured: not covered \(TPP 15,760; total DRAM bandwidth 3,352 GB\/s, device memory interface\)/);
  });

  it('says so in the report when an attestation does not record it', () => {
    const html = renderReportHtml(fixtureStatement(), { checked: false, entries: [] });
    expect(html).toContain('Total DRAM bandwidth reading: not recorded in this attestation');
  });
});
