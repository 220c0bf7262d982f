// Every shipped example declaration, pinned: its TPP, the 3A090 class in the
// rule's words, the 2026 case-by-case eligibility and the Section 232 window,
// each from published datasheet figures cited in the file.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { declarationFromJson } from '../declaration/declaration.js';
import { evaluateDeclaration } from '../tpp/evaluation.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'declaration', 'examples');

interface Pin {
  file: string;
  tpp: number;
  eccn: string;
  statement: RegExp;
  eligible: boolean;
  section232Window: number | null;
}

const PINS: Pin[] = [
  { file: 'a100-sxm', tpp: 4992, eccn: '3A090.a.1', statement: /^3A090\.a\.1: TPP 4,992 is at least 4,800$/, eligible: true, section232Window: null },
  { file: 'h100-sxm', tpp: 15832, eccn: '3A090.a.1', statement: /^3A090\.a\.1: TPP 15,831 is at least 4,800$/, eligible: true, section232Window: null },
  { file: 'h200-sxm', tpp: 15832, eccn: '3A090.a.1', statement: /^3A090\.a\.1: /, eligible: true, section232Window: 1 },
  { file: 'h800-sxm', tpp: 15832, eccn: '3A090.a.1', statement: /^3A090\.a\.1: /, eligible: true, section232Window: null },
  { file: 'h20', tpp: 2368, eccn: 'none', statement: /^not 3A090\.a or \.b: TPP 2,368 is below 2,400 and PD 2\.91 is below 3\.2$/, eligible: true, section232Window: null },
  { file: 'l40s', tpp: 5864, eccn: '3A090.a.1', statement: /^3A090\.a\.1: TPP 5,864 is at least 4,800$/, eligible: true, section232Window: null },
  { file: 'mi300x', tpp: 20919, eccn: '3A090.a.1', statement: /^3A090\.a\.1: /, eligible: true, section232Window: null },
  { file: 'mi325x', tpp: 20919, eccn: '3A090.a.1', statement: /^3A090\.a\.1: /, eligible: true, section232Window: 2 },
  { file: 'b200', tpp: 36000, eccn: '3A090.a.1', statement: /^3A090\.a\.1: TPP 36,000 is at least 4,800$/, eligible: false, section232Window: null },
];

describe('shipped example declarations, pinned', () => {
  it('pins every example in the folder', () => {
    const files = readdirSync(examples).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    expect(files).toEqual(PINS.map((p) => p.file).sort());
  });

  it.each(PINS)('$file: TPP $tpp, $eccn, case-by-case eligible $eligible, Section 232 window $section232Window', (pin) => {
    const declaration = declarationFromJson(JSON.parse(readFileSync(path.join(examples, `${pin.file}.json`), 'utf8')));
    const evaluation = evaluateDeclaration(declaration);
    expect(Math.abs(evaluation.tpp - pin.tpp) / pin.tpp).toBeLessThan(0.0005);
    expect(evaluation.checks.find((c) => c.id === 'declared-tpp')?.status).toBe('ok');
    expect(evaluation.eccn3a090).toBe(pin.eccn);
    expect(evaluation.classification.statement).toMatch(pin.statement);
    expect(evaluation.caseByCase2026.eligible).toBe(pin.eligible);
    expect(evaluation.section232.window).toBe(pin.section232Window);
    expect(evaluation.section232.covered).toBe(pin.section232Window !== null);
    // Sources: at least one web page, and every unverified figure says so.
    expect(declaration.sources.some((s) => s.url.startsWith('https://'))).toBe(true);
    expect(declaration.partNumber).toMatch(/^EXAMPLE-/);
  });

  it('the sm_80, sm_89, sm_90 and gfx942 datasheets match their architecture rows at the rated clocks', () => {
    for (const file of ['a100-sxm', 'h100-sxm', 'h200-sxm', 'l40s', 'mi300x', 'mi325x']) {
      const evaluation = evaluateDeclaration(declarationFromJson(JSON.parse(readFileSync(path.join(examples, `${file}.json`), 'utf8'))));
      expect(evaluation.checks.find((c) => c.id === 'rates-vs-architecture')?.status, file).toBe('ok');
    }
  });

  it('the capped parts show their caps against the architecture row: H800 FP64, H20 tensor rates', () => {
    const h800 = evaluateDeclaration(declarationFromJson(JSON.parse(readFileSync(path.join(examples, 'h800-sxm.json'), 'utf8'))));
    expect(h800.checks.find((c) => c.id === 'rates-vs-architecture')?.detail).toMatch(/FP64 declared 1\.0 vs 33\.\d at 1,980 MHz/);
    const h20 = evaluateDeclaration(declarationFromJson(JSON.parse(readFileSync(path.join(examples, 'h20.json'), 'utf8'))));
    expect(h20.checks.find((c) => c.id === 'rates-vs-architecture')?.detail).toMatch(/FP8 declared 296\.0 vs 1,265\.2 at 1,980 MHz \(-76\.60 %; implies 463 MHz\)/);
    expect(h20.checks.find((c) => c.id === 'omitted-formats')?.status).toBe('ok');
  });
});
