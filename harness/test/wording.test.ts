// Classes worded as the rule words them: the class with the conditions that
// decide it, "not 3A090.a or .b" with the fewest failed conditions that rule
// every row out, and 4A090 noted for the server that holds the chip.
import { describe, expect, it } from 'vitest';
import { fixtureStatement } from '../../attestations/test/fixture.js';
import { summarize } from '../../attestations/verify.js';
import { renderSummary } from '../cli/commands/verify.js';
import { renderReportHtml } from '../report/html.js';
import { classificationOf, classificationStatement, classify, containingSystemNote } from '../rules/evaluate.js';
import { ECCN_3A090 } from '../rules/rule-sets.js';

describe('the 3A090 class in the rule\'s words', () => {
  it('words a chip outside 3A090 as the issue asks', () => {
    expect(classificationStatement(ECCN_3A090, 2368, 2.91)).toBe('not 3A090.a or .b: TPP 2,368 is below 2,400 and PD 2.91 is below 3.2');
  });

  it.each([
    [15832, 19.45, '3A090.a.1: TPP 15,832 is at least 4,800', '4A090.a'],
    [5000, null, '3A090.a.1: TPP 5,000 is at least 4,800', '4A090.a'],
    [4799, 6, '3A090.a.2: TPP 4,799 is at least 1,600, and PD 6.00 is at least 5.92', '4A090.a'],
    [3000, 2, '3A090.b.1: TPP 3,000 is at least 2,400 and below 4,800, and PD 2.00 is at least 1.6 and below 5.92', '4A090.b'],
    [2399, 3.2, '3A090.b.2: TPP 2,399 is at least 1,600, and PD 3.20 is at least 3.2 and below 5.92', '4A090.b'],
    [2399, 3.19, 'not 3A090.a or .b: TPP 2,399 is below 2,400 and PD 3.19 is below 3.2', null],
    [2500, 1.5, 'not 3A090.a or .b: TPP 2,500 is below 4,800 and PD 1.50 is below 1.6', null],
    [1599, 10, 'not 3A090.a or .b: TPP 1,599 is below 1,600', null],
    [17, null, 'not 3A090.a or .b: TPP 17 is below 1,600', null],
  ])('TPP %d, PD %s: %s', (tpp, pd, statement, system) => {
    expect(classificationStatement(ECCN_3A090, tpp, pd)).toBe(statement);
    const outcome = classify(ECCN_3A090, tpp, pd);
    expect(outcome.statement).toBe(statement);
    expect(outcome.containingSystem).toBe(system);
    if (system) expect(outcome.containingSystemNote).toMatch(new RegExp(`^a computer, server or assembly that holds the chip is ${system.replace('.', '\\.')} \\(15 CFR part 774, Supplement No\\. 1, ECCN 4A090`));
    else expect(outcome.containingSystemNote).toBeNull();
  });

  it('says which rows wait for the performance density when no die area is declared', () => {
    expect(classificationStatement(ECCN_3A090, 3000, null)).toBe(
      '3A090.a or .b undetermined: TPP 3,000 leaves 3A090.a.2, 3A090.b.1, 3A090.b.2 to the performance density, which is unknown without a die area',
    );
    expect(containingSystemNote(ECCN_3A090, 3000, null)).toBeNull();
  });

  it('never words a class the engine did not decide: over a grid, the statement starts with the class or "not"', () => {
    for (let tpp = 1000; tpp <= 6000; tpp += 37) {
      for (const pd of [null, 0.5, 1.6, 2.5, 3.2, 4, 5.92, 7]) {
        const classification = classificationOf(ECCN_3A090, tpp, pd);
        const statement = classificationStatement(ECCN_3A090, tpp, pd);
        if (classification === 'none') expect(statement, `${tpp}/${pd}`).toMatch(/^not 3A090\.a or \.b: /);
        else if (classification === 'undetermined') expect(statement).toMatch(/undetermined/);
        else expect(statement.startsWith(`${classification}: `), `${tpp}/${pd}: ${statement}`).toBe(true);
      }
    }
  });
});

describe('run, verify and the report use those words', () => {
  it('the summary line no longer says "ECCN none" or a bare class', () => {
    const statement = fixtureStatement();
    const line = renderSummary(summarize(statement), statement.predicate.verdict.findings).split('\n')[3]!;
    expect(line).toMatch(/; 3A090\.a\.1: TPP 15,831 is at least 4,800; 2026 case-by-case eligible$/);
    expect(line).not.toMatch(/ECCN none/);
  });

  it('the report gives the class in words and notes 4A090 for the server', () => {
    const html = renderReportHtml(fixtureStatement(), { checked: false, entries: [] });
    expect(html).toContain('ECCN 3A090.a.1: TPP 15,831 is at least 4,800 (a computer, server or assembly that holds the chip is 4A090.a');
  });
});
