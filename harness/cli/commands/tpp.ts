// `tppverify tpp FILE`: TPP three ways, performance density, 3A090 class and
// the 2026 case-by-case outcome for a declaration. Exit 0 whatever the outcome.
import { readDeclarationFile, type Declaration } from '../../declaration/declaration.js';
import { evaluateDeclaration, type Evaluation } from '../../tpp/evaluation.js';
import type { CliIo } from '../io.js';
import { formatNumber, renderTable } from '../table.js';

export interface TppOptions {
  json: boolean;
  observedClockMhz?: number;
}

export interface TppReport extends Evaluation {
  schema: 'tppverify.tpp.v1';
  declaration: Pick<Declaration, 'vendor' | 'product' | 'partNumber' | 'architecture' | 'computeUnits' | 'specClockMhz' | 'ratedClockMhz'>;
}

export async function runTpp(file: string, options: TppOptions, io: CliIo): Promise<void> {
  const { declaration } = await readDeclarationFile(file);
  const evaluation = evaluateDeclaration(
    declaration,
    options.observedClockMhz !== undefined ? { observedClockMhz: options.observedClockMhz } : {},
  );
  const { vendor, product, partNumber, architecture, computeUnits, specClockMhz, ratedClockMhz } = declaration;
  const report: TppReport = {
    schema: 'tppverify.tpp.v1',
    declaration: { vendor, product, partNumber, architecture, computeUnits, specClockMhz, ...(ratedClockMhz ? { ratedClockMhz } : {}) },
    ...evaluation,
  };
  io.out(options.json ? JSON.stringify(report) + '\n' : renderTpp(report));
}

export function renderTpp(r: TppReport): string {
  const d = r.declaration;
  const out: string[] = [];
  const rated = Object.entries(d.ratedClockMhz ?? {}).map(([format, mhz]) => `${format} at ${formatNumber(mhz, 0)} MHz`);
  out.push(`${d.vendor} ${d.product} (${d.partNumber}), ${d.architecture}, ${d.computeUnits} units at ${formatNumber(d.specClockMhz, 0)} MHz${rated.length ? ` (rated: ${rated.join(', ')})` : ''}\n\n`);
  out.push(`TPP ${formatNumber(r.tpp, 0)} from the declared ${r.tppFormat} rate\n`);
  out.push(
    renderTable(
      ['format', 'TPP'],
      Object.entries(r.tppByFormat).map(([format, tpp]) => [format, formatNumber(tpp, 0)]),
    ),
  );
  out.push('\nTPP at each clock (per-clock rates: ' + r.perClockRatesSource + ')\n');
  out.push(
    renderTable(
      ['clock', 'MHz', 'TPP', 'format', 'case-by-case'],
      r.atClocks.map((c) => [c.clock, formatNumber(c.clockMhz, 0), formatNumber(c.tpp, 0), c.format, c.caseByCase.eligible ? 'eligible' : 'not eligible']),
    ),
  );
  out.push(`\nPerformance density: ${r.performanceDensity === null ? 'unknown (no die area declared)' : formatNumber(r.performanceDensity, 2)}\n`);
  out.push(`ECCN 3A090: ${r.classification.statement}\n`);
  if (r.classification.containingSystemNote) out.push(`  ${r.classification.containingSystemNote}\n`);
  for (const row of r.classification.rows) out.push(`  ${row.id.padEnd(10)} ${row.status.padEnd(25)} ${row.reason}\n`);
  out.push(`\nCase-by-case review (91 FR 1684): ${r.caseByCase2026.eligible ? 'eligible' : 'NOT eligible'}\n`);
  for (const reason of r.caseByCase2026.reasons) out.push(`  - ${reason}\n`);
  out.push(`\nSection 232 duty (Proclamation 11002 Annex): ${r.section232.covered ? `COVERED (window ${r.section232.window})` : 'not covered'}\n`);
  for (const reason of r.section232.reasons) out.push(`  - ${reason}\n`);
  out.push('\nChecks\n');
  for (const check of r.checks) out.push(`  ${check.id.padEnd(22)} ${check.status.padEnd(11)} ${check.detail}\n`);
  out.push('\nPolicies\n');
  for (const [name, text] of Object.entries(r.policies)) out.push(`  ${name}: ${text}\n`);
  return out.join('');
}
