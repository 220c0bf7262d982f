// CPU rates per microarchitecture: the table, the self-declaration built from
// it, the verdict against kernels that reach it, and `run` on this host.
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ThroughputCaseReport } from '../../benchmarks/bench.js';
import type { NativeDevice } from '../../benchmarks/native-addon.js';
import { selfDeclaration } from '../declaration/self-declared.js';
import { CPU_MICROARCHITECTURES, findCpuMicroarchitecture, tableRate } from '../tpp/cpu-rates.js';
import { describeFinding } from '../verdict/describe.js';
import type { MeasurementRecord, ThroughputCaseRecord } from '../verdict/record.js';
import { computeVerdict } from '../verdict/verdict.js';

const lookup = (vendor: string, family: number, modelNumber: number, modelName = '') => findCpuMicroarchitecture({ vendor, family, modelNumber, modelName });
const rowId = (vendor: string, family: number, modelNumber: number, modelName = '') => {
  const found = lookup(vendor, family, modelNumber, modelName);
  return found.found ? found.row.id : null;
};

describe('the microarchitecture table', () => {
  it.each([
    ['AuthenticAMD', 25, 17, 'AMD EPYC 9654 96-Core Processor', 'zen4'],
    ['AuthenticAMD', 25, 0xa0, 'AMD EPYC 9754 128-Core Processor', 'zen4'],
    ['AuthenticAMD', 25, 0x61, 'AMD Ryzen 9 7950X 16-Core Processor', 'zen4'],
    ['AuthenticAMD', 26, 2, 'AMD EPYC', 'zen5'],
    ['AuthenticAMD', 26, 0x44, 'AMD Ryzen 9 9950X 16-Core Processor', 'zen5'],
    ['AuthenticAMD', 26, 0x24, 'AMD Ryzen AI 9 HX 370', 'zen5-256'],
    ['GenuineIntel', 6, 143, 'Intel(R) Xeon(R) Platinum 8480+', 'sapphire-rapids'],
    ['GenuineIntel', 6, 207, 'INTEL(R) XEON(R) PLATINUM 8592+', 'emerald-rapids'],
    ['GenuineIntel', 6, 173, 'Intel(R) Xeon(R) 6980P', 'granite-rapids'],
    ['GenuineIntel', 6, 106, 'Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz', 'ice-lake-sp'],
    ['GenuineIntel', 6, 85, 'Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz', 'skylake-sp'],
    ['GenuineIntel', 6, 85, 'Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz', 'skylake-sp'],
  ])('%s family %d model %d (%s) is %s', (vendor, family, model, name, id) => {
    expect(rowId(vendor, family, model, name)).toBe(id);
  });

  it('says "no rate table for this CPU" where it cannot decide, and why', () => {
    const zen3 = lookup('AuthenticAMD', 25, 1, 'AMD EPYC 7763 64-Core Processor');
    expect(zen3).toEqual({ found: false, reason: 'no rate table for this CPU: AuthenticAMD family 25 (0x19) model 1 (0x01) is not in the microarchitecture table' });
    const silver = lookup('GenuineIntel', 6, 85, 'Intel(R) Xeon(R) Silver 4114 CPU @ 2.20GHz');
    expect(silver.found).toBe(false);
    expect(!silver.found && silver.reason).toMatch(/^no rate table for this CPU: .*Silver 4114.*FMA unit count differs by SKU/);
    // A guest that hides the SKU cannot be told apart either.
    expect(rowId('GenuineIntel', 6, 85, 'Intel Xeon Processor (Cascadelake)')).toBeNull();
    expect(rowId('GenuineIntel', 6, 85, 'Intel(R) Xeon(R) Gold 5118 CPU @ 2.30GHz')).toBeNull();
    expect(rowId('GenuineIntel', 6, 143, 'Intel(R) Xeon(R) Bronze 3408U')).toBeNull();
    expect(rowId('AuthenticAMD', 6, 143, 'spoofed')).toBeNull();
  });

  it('gives Zen 4 16 FP64 ops/clk/core at 512 and 256 bits: two 256-bit FMA pipes, 512-bit FMAs on both halves', () => {
    const zen4 = CPU_MICROARCHITECTURES.find((r) => r.id === 'zen4')!;
    expect(zen4.opsPerClockPerCore.FP64).toEqual({ avx512: 16, avx2: 16 });
    expect(zen4.opsPerClockPerCore.FP32).toEqual({ avx512: 32, avx2: 32 });
    expect(zen4.opsPerClockPerCore.FP16).toBeUndefined();
  });

  it('gives full-width Zen 5 32 and Strix Point 16', () => {
    expect(tableRate(CPU_MICROARCHITECTURES.find((r) => r.id === 'zen5')!, 'FP64', 'avx512')).toBe(32);
    expect(tableRate(CPU_MICROARCHITECTURES.find((r) => r.id === 'zen5-256')!, 'FP64', 'avx512')).toBe(16);
  });

  it('gives Sapphire/Emerald/Granite Rapids two FMA ports, AVX512-FP16 and AMX at 1,024 BF16 and 2,048 INT8 ops/clk/core', () => {
    for (const id of ['sapphire-rapids', 'emerald-rapids', 'granite-rapids']) {
      const row = CPU_MICROARCHITECTURES.find((r) => r.id === id)!;
      expect(row.fmaPerClock, id).toEqual({ zmm: 2, ymm: 2 });
      expect(row.opsPerClockPerCore, id).toEqual({
        FP64: { avx512: 32, avx2: 16 },
        FP32: { avx512: 64, avx2: 32 },
        FP16: { avx512: 128 },
        BF16: { avx512: 128, amx: 1024 },
        INT8: { avx512: 256, 'avx-vnni': 128, amx: 2048 },
      });
    }
  });

  it('cites sources for every row and marks the rows resting on an assumption', () => {
    for (const row of CPU_MICROARCHITECTURES) {
      expect(row.sources.length, row.id).toBeGreaterThan(0);
      if (!row.verified) expect(row.unverified, row.id).toBeTruthy();
    }
    // No two rows claim the same model.
    const claims = new Set<string>();
    for (const row of CPU_MICROARCHITECTURES)
      for (const [low, high] of row.models)
        for (let m = low; m <= high; m++) {
          const key = `${row.vendor}/${row.family}/${m}`;
          expect(claims.has(key), key).toBe(false);
          claims.add(key);
        }
  });
});

/** A CPU device as the backend lists it. */
function cpuDevice(family: number, modelNumber: number, model: string, cores = 8): NativeDevice {
  return {
    id: 'cpu',
    vendor: family === 6 ? 'GenuineIntel' : 'AuthenticAMD',
    model,
    unitName: 'core',
    computeUnits: cores,
    measuresBandwidth: true,
    measuresThroughput: true,
    notMeasurableReason: '',
    architecture: 'x86-64',
    maxClockMhz: null,
    memoryBusWidthBits: null,
    memoryDataRateMtps: null,
    peakDramBandwidthGbps: null,
    attributes: [
      { key: 'family', value: family, source: 'cpuid' },
      { key: 'modelNumber', value: modelNumber, source: 'cpuid' },
    ],
  };
}

const CLOCK_MHZ = 3000;
const TRIALS = 10;

interface KernelCase {
  format: string;
  engine: string;
  opsPerInstruction: number;
  /** What the kernel reaches, ops per clock per core. */
  reaches: number;
}

/** The backend's report and its attested record for kernels that reach the given rates. */
function kernels(cases: KernelCase[], cores: number): { reports: ThroughputCaseReport[]; record: MeasurementRecord } {
  const records: ThroughputCaseRecord[] = cases.map((c) => {
    const opsPerTrial = c.reaches * cores * CLOCK_MHZ * 1e6 * 0.01;
    return {
      format: c.format,
      engine: c.engine,
      available: true,
      unavailableReason: '',
      opsPerInstruction: c.opsPerInstruction,
      maxInstructionsPerClockPerUnit: 2,
      opsPerTrial,
      threads: cores,
      units: cores,
      trialSeconds: Array.from({ length: TRIALS }, (_, i) => 0.01 * (1 + (i - TRIALS / 2) * 0.0002)),
      trialClockMhz: Array(TRIALS).fill(CLOCK_MHZ),
      clockMethod: 'synthetic',
    };
  });
  const reports = cases.map((c) => ({ format: c.format, engine: c.engine, available: true, clockMhz: CLOCK_MHZ, maxOpsPerClockPerUnit: c.opsPerInstruction * 2 }) as ThroughputCaseReport);
  const record: MeasurementRecord = { deviceId: 'cpu', startedAt: '2026-12-01T10:00:00.000Z', finishedAt: '2026-12-01T10:00:10.000Z', bandwidth: null, throughput: records };
  return { reports, record };
}

describe('the self-declaration of a CPU in the table', () => {
  // Zen 4: the backend's AVX-512 kernels reach 16, 32, 64 and 128 ops/clk/core, half the ISA bound.
  const zen4Kernels: KernelCase[] = [
    { format: 'FP64', engine: 'avx512', opsPerInstruction: 16, reaches: 16 },
    { format: 'FP32', engine: 'avx512', opsPerInstruction: 32, reaches: 32 },
    { format: 'BF16', engine: 'avx512', opsPerInstruction: 64, reaches: 64 },
    { format: 'INT8', engine: 'avx512', opsPerInstruction: 128, reaches: 128 },
  ];

  it('declares the table rate, names the row and its sources, and checks out consistent where the kernels reach it', () => {
    const { reports, record } = kernels(zen4Kernels, 8);
    const declaration = selfDeclaration(cpuDevice(25, 17, 'AMD EPYC 9654 96-Core Processor'), reports, null);
    expect(declaration.architecture).toBe('zen4');
    expect(declaration.peakDenseTops.FP64).toBeCloseTo((16 * 8 * CLOCK_MHZ * 1e6) / 1e12, 12);
    expect(declaration.sources[0]!.title).toMatch(/^self-declared: rates are the AMD Zen 4 .* table's ops\/clk\/core \(Linux arch\/x86/);
    const { verdict } = computeVerdict({ declaration, measurements: record, deviceFacts: [], stateProblems: [], selfDeclared: true });
    const rates = verdict.findings.filter((f) => f.claim.startsWith('rate:'));
    expect(rates).toHaveLength(4);
    for (const f of rates) expect(f.status, describeFinding(f)).toBe('consistent');
  });

  it('a library case (the second method) never enters the self-declared rates', () => {
    const { reports } = kernels(zen4Kernels, 8);
    const device = cpuDevice(25, 17, 'AMD EPYC 9654 96-Core Processor');
    const library = { format: 'FP64', engine: 'openblas', method: 'library', available: true, clockMhz: CLOCK_MHZ, maxOpsPerClockPerUnit: 1000 } as ThroughputCaseReport;
    const withLibrary = selfDeclaration(device, [...reports, library], null);
    expect(withLibrary.peakDenseTops).toEqual(selfDeclaration(device, reports, null).peakDenseTops);
    expect(withLibrary.sources[0]!.title).not.toMatch(/openblas/);
  });

  it('the old ISA-bound self-declaration put the same kernels at 50 %', () => {
    const { reports, record } = kernels(zen4Kernels, 8);
    // Family 25 model 1 is Zen 3: not in the table, so the ISA bound stands in, and says so.
    const declaration = selfDeclaration(cpuDevice(25, 1, 'AMD EPYC 7763 64-Core Processor'), reports, null);
    expect(declaration.architecture).toBe('x86-64');
    expect(declaration.sources[0]!.title).toMatch(/^self-declared: no rate table for this CPU: AuthenticAMD family 25 \(0x19\) model 1 .*: rates are the ISA upper bound/);
    const { verdict } = computeVerdict({ declaration, measurements: record, deviceFacts: [], stateProblems: [], selfDeclared: true });
    for (const f of verdict.findings.filter((x) => x.claim.startsWith('rate:'))) {
      expect(f.values.find((v) => v.name === 'ratio')!.value).toBeCloseTo(0.5, 3);
      expect(f.status).toBe('not-confirmed');
    }
  });

  it('takes the best available engine per format: AMX on Emerald Rapids', () => {
    const { reports } = kernels(
      [
        { format: 'BF16', engine: 'avx512', opsPerInstruction: 64, reaches: 128 },
        { format: 'BF16', engine: 'amx', opsPerInstruction: 16384, reaches: 1000 },
        { format: 'FP16', engine: 'avx512', opsPerInstruction: 64, reaches: 128 },
      ],
      2,
    );
    const declaration = selfDeclaration(cpuDevice(6, 207, 'INTEL(R) XEON(R) PLATINUM 8592+', 2), reports, null);
    expect(declaration.architecture).toBe('emerald-rapids');
    expect(declaration.peakDenseTops.BF16).toBeCloseTo((1024 * 2 * CLOCK_MHZ * 1e6) / 1e12, 12);
    expect(declaration.peakDenseTops.FP16).toBeCloseTo((128 * 2 * CLOCK_MHZ * 1e6) / 1e12, 12);
  });

  it('a kernel that outruns the table rate is under-declared: the table does not hide a counting bug or a wrong row', () => {
    const { reports, record } = kernels([{ format: 'FP64', engine: 'avx512', opsPerInstruction: 16, reaches: 32 }], 8);
    const declaration = selfDeclaration(cpuDevice(25, 17, 'AMD EPYC 9654 96-Core Processor'), reports, null);
    const { verdict } = computeVerdict({ declaration, measurements: record, deviceFacts: [], stateProblems: [], selfDeclared: true });
    expect(verdict.findings.find((f) => f.claim === 'rate:FP64')!.status).toBe('under-declared');
  });
});

describe('run on this host (self-declared)', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
  const tppverify = (args: string[]) => execa('node', [cli, ...args], { reject: false, timeout: 180_000 });

  it('declares from the table row this CPU has (or says it has none), and the bandwidth note says it confirms nothing', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'tppverify-cpu-rates-'));
    const keys = path.join(work, 'keys');
    expect((await tppverify(['keygen', '--out', keys])).exitCode).toBe(0);
    const devices = JSON.parse((await tppverify(['devices', '--json'])).stdout) as { backends: { devices: NativeDevice[] }[] };
    const host = devices.backends[0]!.devices[0]!;
    const attribute = (key: string) => host.attributes.find((a) => a.key === key)!.value as number;
    const expected = findCpuMicroarchitecture({ vendor: host.vendor, family: attribute('family'), modelNumber: attribute('modelNumber'), modelName: host.model });

    const run = await tppverify(['run', '--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05', '--key', path.join(keys, 'tppverify-private.pem'), '--out', path.join(work, 'out'), '--no-strict', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const file = JSON.parse(run.stdout).attestation as string;
    const show = JSON.parse((await tppverify(['show', file, '--json'])).stdout);
    const predicate = show.statement.predicate;
    const json = typeof predicate.declaration.json === 'string' ? predicate.declaration.json : '';
    const text = /^\s*\{/.test(json) ? json : Buffer.from(json, 'base64').toString('utf8');
    const declaration = JSON.parse(text) as { architecture: string; sources: { title: string }[] };
    if (expected.found) {
      expect(declaration.architecture).toBe(expected.row.id);
      expect(declaration.sources[0]!.title).toContain(`rates are the ${expected.row.name} table's ops/clk/core`);
    } else {
      expect(declaration.sources[0]!.title).toContain(expected.reason);
    }
    const achieved = (predicate.verdict.findings as { claim: string; status: string }[]).find((f) => f.claim === 'dram:achieved')!;
    expect(achieved.status).toBe('note');
    // verify recomputes the verdict, the self-declared bandwidth note included.
    const verify = await tppverify(['verify', file, '--pubkey', path.join(keys, 'tppverify-public.pem')]);
    expect(verify.exitCode, verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/^VALID: /);
    const policies = predicate.method.policies as { name: string }[];
    expect(policies.map((p) => p.name)).toContain('totalDramBandwidth');
  }, 240_000);
});

describe('tpp on a self-declared CPU declaration', () => {
  it('says the rates come from the CPU table and are checked by the verdict, not "not in the rate table"', async () => {
    const { evaluateDeclaration } = await import('../tpp/evaluation.js');
    const { reports } = kernels([{ format: 'FP64', engine: 'avx512', opsPerInstruction: 16, reaches: 16 }], 8);
    const declaration = selfDeclaration(cpuDevice(25, 17, 'AMD EPYC 9654 96-Core Processor'), reports, null);
    const check = evaluateDeclaration(declaration).checks.find((c) => c.id === 'rates-vs-architecture')!;
    expect(check.status).toBe('not-checked');
    expect(check.detail).toMatch(/^'zen4' is a CPU microarchitecture \(AMD Zen 4/);
  });
});
