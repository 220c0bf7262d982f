// The declared item against the device measured (issue 13 §3): an H200
// declaration measured on a CPU is never consistent, says so first, and an
// audit refuses it (attest-cli.test.ts).
import { execa } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDeclaration } from '../declaration/declaration.js';
import { compareItem, vendorKey } from '../verdict/item.js';
import { computeVerdict } from '../verdict/verdict.js';
import { DECLARATION_JSON, DEVICE_FACTS, syntheticMeasurements } from './attestation-fixture.js';
import { decodeEnvelope } from '../../attestations/dsse.js';
import { decodeStatement } from '../../attestations/statement.js';
import { renderSummary } from '../cli/commands/verify.js';
import { summarize } from '../verify/verify.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const h200 = path.join(root, 'harness', 'declaration', 'examples', 'h200-sxm.json');
const declaration = parseDeclaration(DECLARATION_JSON);
const facts = (changes: Record<string, string>) => DEVICE_FACTS.map((f) => (f.name in changes ? { ...f, value: changes[f.name]! } : f));

describe('compareItem', () => {
  it('accepts the declared item', () => {
    expect(compareItem(declaration, DEVICE_FACTS).mismatches).toEqual([]);
    expect(vendorKey('AuthenticAMD')).toBe('amd');
    expect(vendorKey('NVIDIA Corporation')).toBe('nvidia');
  });

  it('names what differs: another GPU, another vendor, a CPU', () => {
    expect(compareItem(declaration, facts({ model: 'NVIDIA A100-SXM4-80GB', computeCapability: '8.0' })).mismatches).toEqual(['architecture', 'product']);
    expect(compareItem(declaration, facts({ model: 'NVIDIA H200', computeCapability: '9.0' })).mismatches).toEqual(['product']);
    const cpu = [
      { name: 'deviceId', value: 'cpu', source: 't' },
      { name: 'vendor', value: 'AuthenticAMD', source: 't' },
      { name: 'model', value: 'AMD EPYC', source: 't' },
      { name: 'unitName', value: 'core', source: 't' },
    ];
    expect(compareItem(declaration, cpu).mismatches).toEqual(['vendor', 'architecture', 'product']);
  });

  it('makes the verdict inconclusive, with the item finding first, whatever the figures say', () => {
    const { verdict } = computeVerdict({ declaration, measurements: syntheticMeasurements(), deviceFacts: facts({ model: 'NVIDIA H200', computeCapability: '9.0' }), stateProblems: [] });
    expect(verdict.findings[0]).toMatchObject({ claim: 'item', status: 'inconclusive' });
    expect(verdict.outcome).toBe('inconclusive');
  });
});

describe('an H200 declaration measured on this CPU', () => {
  it('is never consistent, and the run, verify and the report say so first', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'tppverify-item-'));
    const run = await execa(process.execPath, [cli, 'run', '--declaration', h200, '--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05', '--out', work, '--no-strict', '--json'], { reject: false, timeout: 120_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { attestation: string; summary: { outcome: string }; findings: { claim: string; status: string }[] };
    expect(result.summary.outcome).toBe('inconclusive');
    expect(result.findings[0]).toMatchObject({ claim: 'item', status: 'inconclusive' });
    const statement = decodeStatement(decodeEnvelope(readFileSync(result.attestation)).payload);
    expect(renderSummary(summarize(statement), statement.predicate.verdict.findings).split('\n')[0]).toMatch(/^NOT THE DECLARED ITEM \(vendor,architecture,product differ\)/);
    const html = path.join(work, 'r.html');
    const report = await execa(process.execPath, [cli, 'report', result.attestation, '--html', html], { reject: false, timeout: 60_000 });
    expect(report.exitCode, report.stderr).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page.indexOf('NOT THE DECLARED ITEM')).toBeGreaterThan(0);
    expect(page.indexOf('NOT THE DECLARED ITEM')).toBeLessThan(page.indexOf('<section'));
    expect(page).toMatch(/the declaration is for NVIDIA H200 SXM 141GB \(sm_90\), the device measured is AuthenticAMD|GenuineIntel/);
  });
});
