// amd-smi parsers and AMD preflight against fixtures shaped as amd-smi prints them.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { amdGpuRecords, parseAmdMetric, parseAmdProcesses, parseAmdStatic } from '../amd-smi.js';
import { InventoryParseError } from '../nvidia-smi.js';
import { amdPreflight } from '../preflight.js';
import { startAmdTelemetry, summarizeAmdTelemetry } from '../telemetry.js';

const fixture = (name: string) => readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');
const statusOf = (checks: { id: string; status: string }[], id: string) => checks.find((c) => c.id === id)?.status;

describe('amd-smi JSON', () => {
  it('reads static in the list form with plain numbers', () => {
    const [gpu] = parseAmdStatic(fixture('mi300x-static.json'));
    expect(gpu).toMatchObject({
      gpu: 0,
      bdf: '0000:0c:00.0',
      productName: 'AMD Instinct MI300X OAM',
      serial: '692251001124',
      computeUnits: 304,
      computePartition: 'SPX',
      memoryPartition: 'NPS1',
      socketPowerCapW: 750,
      maxPowerW: 750,
    });
  });

  it('reads the {"gpu_data": [...]} wrapper with {value, unit} numbers and N/A as missing', () => {
    const [gpu] = parseAmdStatic(fixture('mi325x-static-wrapped.json'));
    expect(gpu).toMatchObject({ computeUnits: 304, socketPowerCapW: 800, maxPowerW: 1000, serial: null, computePartition: 'CPX' });
  });

  it('reads metric and process output, "No running processes detected" as none', () => {
    expect(parseAmdMetric(fixture('mi300x-metric-throttled.json'))[0]).toMatchObject({ gfxClockMhz: 1700, socketPowerW: 748, hotspotC: 71, throttleStatus: 'THROTTLED', uncorrectableEccErrors: 2 });
    const processes = parseAmdProcesses(fixture('mi300x-process.json'));
    expect(processes.get(0)).toEqual(['48213']);
    expect(processes.get(1)).toEqual([]);
  });

  it('refuses output that is not amd-smi JSON', () => {
    expect(() => amdGpuRecords('WARNING: No JSON data to report')).toThrow(InventoryParseError);
    expect(() => amdGpuRecords('{"cards": []}')).toThrow(/expected a list of GPUs/);
  });
});

describe('AMD preflight', () => {
  it('passes an idle, unpartitioned MI300X at its power maximum', () => {
    const checks = amdPreflight(parseAmdStatic(fixture('mi300x-static.json'))[0]!, parseAmdMetric(fixture('mi300x-metric-idle.json'))[0], [], false);
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('fails a partitioned part with a lowered power cap', () => {
    const checks = amdPreflight(parseAmdStatic(fixture('mi325x-static-wrapped.json'))[0]!, undefined, [], false);
    expect(statusOf(checks, 'partition-off')).toBe('fail');
    expect(checks.find((c) => c.id === 'power-limit-default')?.detail).toMatch(/800 W is below the board maximum 1000 W/);
  });

  it('fails ECC errors, a hot start, throttling and another process', () => {
    const checks = amdPreflight(parseAmdStatic(fixture('mi300x-static.json'))[0]!, parseAmdMetric(fixture('mi300x-metric-throttled.json'))[0], ['48213'], false);
    for (const id of ['memory-health', 'temperature', 'no-slowdown', 'no-other-process']) expect(statusOf(checks, id), id).toBe('fail');
  });
});

describe('AMD telemetry', () => {
  it('flags a throttled sample', () => {
    const summary = summarizeAmdTelemetry('throughput', parseAmdMetric(fixture('mi300x-metric-throttled.json')));
    expect(summary).toMatchObject({ samples: 1, throttled: true, reasonsSeen: 'THROTTLED', maxPowerW: 748 });
    // Issue 18: the gfx clock is the reported clock; the polled metric carries no power cap, and says so.
    expect(summary.evidence?.clock).toMatchObject({ samples: 1, comparable: true });
    expect(summary.evidence?.power).toMatchObject({ maxDrawW: 748, samples: 0, unreadable: expect.stringMatching(/^not readable: amd-smi metric does not report the socket power cap/) });
  });

  it('polls amd-smi until stopped', async () => {
    const fake = path.join(mkdtempSync(path.join(tmpdir(), 'tppverify-amd-')), 'amd-smi');
    writeFileSync(fake, `#!/bin/sh\ncat <<'JSON'\n${fixture('mi300x-metric-idle.json').trim()}\nJSON\n`);
    chmodSync(fake, 0o755);
    const recorder = startAmdTelemetry('bandwidth', 0, fake);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const summary = await recorder.stop();
    expect(summary.samples).toBeGreaterThan(1);
    expect(summary).toMatchObject({ throttled: false, reasonsSeen: 'UNTHROTTLED', smClockMhz: { median: 132 } });
  });
});
