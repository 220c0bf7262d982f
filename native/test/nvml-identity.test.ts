// The NVML reader (native/nvml) through the real addon and the identity
// probe: on this machine NVML is absent and both say so; against a stand-in
// libnvidia-ml (fixtures/nvml-stub.cpp, compiled here) every call is recorded
// with its exact return code, the missing PDI symbol included.
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNvmlIdentity } from '../../harness/identity/nvml.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const probe = path.join(root, 'benchmarks', 'identity-probe.mjs');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-nvml-'));
const stub = path.join(work, 'libnvidia-ml-stub.so');
const stubWithPdi = path.join(work, 'libnvidia-ml-stub-pdi.so');

beforeAll(async () => {
  const source = path.join(root, 'native', 'test', 'fixtures', 'nvml-stub.cpp');
  await execa('g++', ['-shared', '-fPIC', '-o', stub, source]);
  await execa('g++', ['-shared', '-fPIC', '-DSTUB_WITH_PDI', '-o', stubWithPdi, source]);
});

interface Probe {
  nvml: {
    available: boolean;
    reason: string;
    pdiCallPresent: boolean;
    confCompute: { ccFeature: number } | null;
    systemCalls: { call: string; status: number; error: string }[];
    devices: { serial: string; pdi?: string; pciDeviceId: string; calls: { call: string; status: number; error: string }[] }[];
    evidenceCalls: { calls: { call: string; status: number; error: string }[] }[];
  };
}

describe('identity probe', () => {
  it('says cleanly that NVML is absent on a host without the driver (exit 0, one line)', async () => {
    const run = await execa('node', [probe, '--library', path.join(work, 'no-such-libnvidia-ml.so.1')], { reject: false });
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as Probe;
    expect(result.nvml.available).toBe(false);
    expect(result.nvml.reason).toMatch(/^cannot load .*no-such-libnvidia-ml\.so\.1/);
    expect(run.stderr.trim()).toMatch(/^identity-probe: NVML unavailable: cannot load/);
  });

  it('records every call and its exact code: conf-compute evidence Not Found (6) with CC off, the PDI symbol absent (-1)', async () => {
    const run = await execa('node', [probe, '--library', stub], { reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    const { nvml } = JSON.parse(run.stdout) as Probe;
    expect(nvml.available).toBe(true);
    expect(nvml.confCompute).toMatchObject({ ccFeature: 0 });
    expect(nvml.systemCalls).toContainEqual({ call: 'nvmlSystemGetConfComputeSettings', status: 3, error: 'Not Supported' });
    const device = nvml.devices[0]!;
    expect(device).toMatchObject({ serial: '1654922001234', pciDeviceId: '0x233510de' });
    expect(device.calls).toContainEqual({ call: 'nvmlDeviceGetPdi', status: -1, error: 'symbol not in this libnvidia-ml' });
    expect(nvml.pdiCallPresent).toBe(false);
    expect(nvml.evidenceCalls[0]!.calls).toEqual([
      { call: 'nvmlDeviceGetConfComputeGpuCertificate', status: 6, error: 'Not Found' },
      { call: 'nvmlDeviceGetConfComputeGpuAttestationReport', status: 6, error: 'Not Found' },
    ]);
  });

  it('reads the PDI where the driver has nvmlDeviceGetPdi (the stub checks the struct version it is given)', async () => {
    const { nvml } = JSON.parse((await execa('node', [probe, '--library', stubWithPdi])).stdout) as Probe;
    expect(nvml.pdiCallPresent).toBe(true);
    expect(nvml.devices[0]!.pdi).toBe('0x2e7aa130caa058dd');
  });

  it('a wrong option exits 2 with one line', async () => {
    const run = await execa('node', [probe, '--colour'], { reject: false });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toBe('identity-probe: unknown option --colour');
  });
});

describe('readNvmlIdentity (what run reads first)', () => {
  it('no driver: not available, with the reason; never a throw', () => {
    const identity = readNvmlIdentity({ library: path.join(work, 'absent.so') });
    expect(identity.available).toBe(false);
    expect(identity.devices).toEqual([]);
  });

  it('a nonce of the wrong size is refused by the addon', () => {
    expect(() => readNvmlIdentity({ library: stub, nonce: Buffer.alloc(8) })).toThrow(/32 bytes/);
  });
});
