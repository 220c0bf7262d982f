// Parsers and preflight against fixtures shaped as nvidia-smi prints them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InventoryParseError, NVIDIA_QUERY_FIELDS, parseQueryCsv, parseQueryXml } from '../nvidia-smi.js';
import { nvidiaPreflight } from '../preflight.js';
import { stateProblemsOf } from '../../verdict/state.js';
import { phaseEvidenceOf } from '../../isolation/phase-evidence.js';

const fixture = (name: string) => readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');
const statusOf = (checks: { id: string; status: string }[], id: string) => checks.find((c) => c.id === id)?.status;

describe('nvidia-smi --query-gpu CSV', () => {
  it('reads every field of an idle H100, placeholders as missing', () => {
    const [row] = parseQueryCsv(fixture('h100-idle.csv'));
    expect(row).toMatchObject({
      name: 'NVIDIA H100 80GB HBM3',
      serial: '1654922001234',
      uuid: 'GPU-5b2c1a4e-1111-2222-3333-444455556666',
      'pci.device_id': '0x233010DE',
      'clocks.max.sm': '1980',
      'clocks.applications.graphics': null,
      'retired_pages.pending': null,
      driver_version: '590.48.01',
    });
    expect(Object.keys(row!)).toEqual([...NVIDIA_QUERY_FIELDS]);
  });

  it('refuses a line with the wrong number of fields, naming the line', () => {
    expect(() => parseQueryCsv(fixture('malformed.csv'))).toThrow(InventoryParseError);
    expect(() => parseQueryCsv(fixture('malformed.csv'))).toThrow(/line 1: 5 fields, expected 34/);
  });

  it('reports nvidia-smi saying it found no device', () => {
    expect(() => parseQueryCsv(fixture('no-devices.csv'))).toThrow(/nvidia-smi: No devices were found/);
  });
});

describe('nvidia-smi -q -x', () => {
  it('reads the board part number and the running processes', () => {
    const report = parseQueryXml(fixture('h100.xml'));
    expect(report).toMatchObject({ driverVersion: '590.48.01', cudaVersion: '13.1' });
    expect(report.gpus[0]).toMatchObject({
      busId: '00000000:00:09.0',
      boardPartNumber: '692-2G520-0200-000',
      migMode: 'Disabled',
      processes: [{ pid: '11345', name: './gpu_burn' }],
    });
  });

  it('reads the 510 layout: no board part number, MIG on, N/A as missing', () => {
    const gpu = parseQueryXml(fixture('a100-mig-510.xml')).gpus[0]!;
    expect(gpu).toMatchObject({ boardPartNumber: null, gpuPartNumber: '692-2G506-0200-003', migMode: 'Enabled', serial: null, processes: [] });
  });

  it('refuses text that is not nvidia-smi XML', () => {
    expect(() => parseQueryXml('<other/>')).toThrow(/no <nvidia_smi_log> root/);
    expect(() => parseQueryXml('<nvidia_smi_log><gpu>')).toThrow(InventoryParseError);
  });
});

describe('preflight', () => {
  const clean = parseQueryXml(fixture('h100.xml')).gpus[0]!;
  const idle = { ...clean, processes: [] };

  it('passes an idle H100 with no other process and a clean tree', () => {
    const checks = nvidiaPreflight(parseQueryCsv(fixture('h100-idle.csv'))[0]!, idle, false);
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(stateProblemsOf({ preflight: checks, telemetry: [], bandwidth: null })).toEqual([]);
  });

  it('fails MIG on', () => {
    const checks = nvidiaPreflight(parseQueryCsv(fixture('h100-mig.csv'))[0]!, idle, false);
    expect(statusOf(checks, 'mig-off')).toBe('fail');
  });

  it('fails a lowered power limit, an application clock cap, a hot start and an active slowdown', () => {
    const checks = nvidiaPreflight(parseQueryCsv(fixture('h200-throttled.csv'))[0]!, idle, false);
    expect(statusOf(checks, 'power-limit-default')).toBe('fail');
    expect(statusOf(checks, 'no-clock-cap')).toBe('fail');
    expect(statusOf(checks, 'temperature')).toBe('fail');
    expect(statusOf(checks, 'no-slowdown')).toBe('fail');
    expect(stateProblemsOf({ preflight: checks, telemetry: [], bandwidth: null }).join('\n')).toMatch(/power limit 500 W differs from the default 700 W/);
  });

  it('fails uncorrected ECC errors and a pending row remap', () => {
    const checks = nvidiaPreflight(parseQueryCsv(fixture('h100-ecc-errors.csv'))[0]!, idle, false);
    expect(checks.find((c) => c.id === 'memory-health')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/3 uncorrected ECC errors.*row remapping is pending/) });
  });

  it('fails another compute process and a dirty tree', () => {
    const checks = nvidiaPreflight(parseQueryCsv(fixture('h100-idle.csv'))[0]!, clean, true);
    expect(checks.find((c) => c.id === 'no-other-process')?.detail).toMatch(/11345 \.\/gpu_burn/);
    expect(statusOf(checks, 'tree-clean')).toBe('fail');
  });
});

describe('collecting from nvidia-smi', () => {
  it('says why when nvidia-smi is missing, rather than failing the run', async () => {
    const { collectNvidiaInventory } = await import('../collect.js');
    const result = await collectNvidiaInventory('/nonexistent/nvidia-smi');
    expect('unavailable' in result && result.unavailable).toMatch(/^\/nonexistent\/nvidia-smi: /);
  });

  it('matches nvidia-smi bus ids to CUDA PCI numbers', async () => {
    const { samePciAddress } = await import('../collect.js');
    expect(samePciAddress('00000000:18:00.0', 0, 0x18, 0)).toBe(true);
    expect(samePciAddress('00000000:1B:00.0', 0, 0x1b, 0)).toBe(true);
    expect(samePciAddress('00000000:18:00.0', 0, 0x19, 0)).toBe(false);
    expect(samePciAddress('garbage', 0, 0, 0)).toBe(false);
  });
});

describe('telemetry', () => {
  it('summarises samples and flags a slowdown other than idle', async () => {
    const { parseTelemetryLine, summarizeTelemetry } = await import('../telemetry.js');
    const lines = [
      '2026/11/26 10:00:00.000, 1980, 2619, 650.12, 55, 0x0000000000000000, 700.00, 700.00',
      '2026/11/26 10:00:00.200, 1755, 2619, 699.80, 61, 0x0000000000000004, 700.00, 700.00',
      '2026/11/26 10:00:00.400, 1830, 2619, 690.00, 62, 0x0000000000000000, 700.00, 700.00',
      'garbage',
      // The six-field line of the query before issue 18 is not one of these.
      '2026/11/26 10:00:00.400, 1830, 2619, 690.00, 62, 0x0000000000000000',
    ];
    const samples = lines.map(parseTelemetryLine).filter((s) => s !== null);
    expect(samples).toHaveLength(3);
    const summary = summarizeTelemetry('throughput', samples);
    expect(summary).toMatchObject({ samples: 3, smClockMhz: { min: 1755, median: 1830, max: 1980 }, maxPowerW: 699.8, maxTemperatureC: 62, reasonsSeen: '0x0000000000000004', throttled: true });
  });

  it('does not flag an idle-only mask', async () => {
    const { parseTelemetryLine, summarizeTelemetry } = await import('../telemetry.js');
    const sample = parseTelemetryLine('2026/11/26 10:00:00.000, 345, 2619, 69.85, 41, 0x0000000000000001, 700.00, 700.00')!;
    expect(summarizeTelemetry('bandwidth', [sample]).throttled).toBe(false);
  });

  it('records nothing, without failing, when nvidia-smi is missing', async () => {
    const { startTelemetry } = await import('../telemetry.js');
    const recorder = startTelemetry('bandwidth', '00000000:18:00.0', '/nonexistent/nvidia-smi');
    const summary = await recorder.stop();
    expect(summary).toMatchObject({ samples: 0, throttled: false, smClockMhz: null });
    expect(summary.evidence?.power.unreadable).toMatch(/^not readable: nvidia-smi reported no sample/);
    expect(summary.evidence?.clock).toMatchObject({ comparable: false, source: 'not reported: no clocks.sm sample in this phase' });
  });

  it('reads enforced.power.limit and power.default_limit, placeholders as missing', async () => {
    const { parseTelemetryLine, TELEMETRY_FIELDS } = await import('../telemetry.js');
    expect(TELEMETRY_FIELDS.slice(-2)).toEqual(['enforced.power.limit', 'power.default_limit']);
    expect(parseTelemetryLine('2026/11/26 10:00:00.000, 1980, 2619, 650.12, 55, 0x0000000000000000, 450.00, 700.00')).toMatchObject({ enforcedPowerLimitW: 450, defaultPowerLimitW: 700 });
    expect(parseTelemetryLine('2026/11/26 10:00:00.000, 1980, 2619, 650.12, 55, 0x0000000000000000, [N/A], [N/A]')).toMatchObject({ enforcedPowerLimitW: null, defaultPowerLimitW: null });
  });

  it('takes the reported clock from busy samples only, and the lowest enforced limit of the phase', async () => {
    const { nvidiaEvidence, parseTelemetryLine } = await import('../telemetry.js');
    const samples = [
      // Idle (reason bit 0) between cases: not a clock any trial ran at.
      '2026/11/26 10:00:00.000, 345, 2619, 69.85, 41, 0x0000000000000001, 700.00, 700.00',
      '2026/11/26 10:00:00.200, 1980, 2619, 650.12, 55, 0x0000000000000000, 700.00, 700.00',
      '2026/11/26 10:00:00.400, 1830, 2619, 690.00, 62, 0x0000000000000000, 650.00, 700.00',
      '2026/11/26 10:00:00.600, 1905, 2619, 690.00, 62, 0x0000000000000000, [N/A], 700.00',
    ].map((l) => parseTelemetryLine(l)!);
    const evidence = nvidiaEvidence(samples);
    expect(evidence.clock).toMatchObject({ samples: 3, mhz: { min: 1830, median: 1905, max: 1980 }, comparable: true });
    expect(evidence.power).toMatchObject({ samples: 3, enforcedMinW: 650, enforcedMaxW: 700, referenceMinW: 700, maxDrawW: 690 });
    const unreadable = nvidiaEvidence([parseTelemetryLine('2026/11/26 10:00:00.000, 1980, 2619, 650.12, 55, 0x0, [N/A], [N/A]')!]);
    expect(unreadable.power.unreadable).toMatch(/^not readable: nvidia-smi reported no enforced\.power\.limit or power\.default_limit in this phase/);
  });
});

describe('telemetry from a running sampler', () => {
  it('collects streamed samples until stopped', async () => {
    const { mkdtempSync, writeFileSync, chmodSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { startTelemetry } = await import('../telemetry.js');
    // A stand-in for `nvidia-smi -lms`: one sample line every 50 ms, forever.
    const fake = path.join(mkdtempSync(path.join(tmpdir(), 'tppverify-smi-')), 'nvidia-smi');
    writeFileSync(fake, '#!/bin/sh\nwhile true; do echo "2026/11/26 10:00:00.000, 1755, 2619, 690.00, 60, 0x0000000000000000, 500.00, 700.00"; sleep 0.05; done\n');
    chmodSync(fake, 0o755);
    const recorder = startTelemetry('throughput', '00000000:18:00.0', fake);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const summary = await recorder.stop();
    expect(summary.samples).toBeGreaterThan(3);
    expect(summary).toMatchObject({ smClockMhz: { median: 1755 }, throttled: false });
    // The power limits sampled in the phase: a cap set after preflight is in the evidence.
    expect(summary.evidence?.power).toMatchObject({ enforcedMinW: 500, referenceMinW: 700, referenceName: 'default', unreadable: '' });
    expect(stateProblemsOf({ preflight: [], telemetry: [], bandwidth: null, evidence: [phaseEvidenceOf('throughput', 'cuda', summary, [])] })).toEqual([
      expect.stringMatching(/^the throughput phase ran with an enforced power limit of 500 W, below the default 700 W/),
    ]);
  });
});

describe('host inventory', () => {
  it('records the host from systeminformation, every fact with its source and no empty values', async () => {
    const { hostFacts } = await import('../host.js');
    const facts = await hostFacts();
    const names = facts.map((f) => f.name);
    for (const name of ['hostOs', 'hostKernel', 'hostMemoryBytes', 'node']) expect(names).toContain(name);
    expect(facts.every((f) => f.value.trim() !== '' && f.source.length > 0)).toBe(true);
    expect(Number(facts.find((f) => f.name === 'hostMemoryBytes')?.value)).toBeGreaterThan(0);
  });
});
