// Two readings of every identity fact, from fixture outputs of each path
// (NVML as the addon returns it, nvidia-smi as a stand-in command printing
// its real output shapes, the CUDA runtime's attributes, a sysfs tree): facts
// keep every source; a serial that two paths read differently refuses a
// strict run before anything is measured or written.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { NativeDevice } from '../../../benchmarks/native-addon.js';
import { attest } from '../../attest.js';
import type { DeviceEntry } from '../../devices.js';
import { EXIT_MEASUREMENT, EXIT_STATUS, TppverifyError } from '../../errors.js';
import { inventoryFor } from '../../inventory/device-inventory.js';
import { identityStage } from '../check.js';
import type { NvmlIdentity } from '../nvml.js';
import { crossCheck } from '../readings.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const nvmlFixture = JSON.parse(readFileSync(path.join(fixtures, 'nvml-h100.json'), 'utf8')) as NvmlIdentity;

const device: NativeDevice = {
  id: 'cuda:0',
  vendor: 'NVIDIA',
  model: 'NVIDIA H100 80GB HBM3',
  unitName: 'SM',
  computeUnits: 132,
  measuresBandwidth: true,
  measuresThroughput: true,
  notMeasurableReason: '',
  attributes: [
    { key: 'uuid', value: 'GPU-5b2c1a4e-1111-2222-3333-444455556666', source: 'cuda runtime' },
    { key: 'pciDomain', value: 0, source: 'cuda runtime' },
    { key: 'pciBus', value: 0, source: 'cuda runtime' },
    { key: 'pciDevice', value: 9, source: 'cuda runtime' },
  ],
};
const entry: DeviceEntry = { target: { backend: 'cuda', index: 0 }, device };

/** A host folder with a stand-in nvidia-smi printing the fixture outputs, and a sysfs tree for 0000:00:09.0. */
function fakeHost(xmlFixture: string): { nvidiaSmi: string; sysRoot: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tppverify-identity-'));
  const nvidiaSmi = path.join(dir, 'nvidia-smi');
  writeFileSync(
    nvidiaSmi,
    `#!/bin/sh\ncase "$1" in --query-gpu=*) cat '${path.join(fixtures, 'h100-query.csv')}' ;; -q) cat '${path.join(fixtures, xmlFixture)}' ;; *) exit 2 ;; esac\n`,
  );
  chmodSync(nvidiaSmi, 0o755);
  const pci = path.join(dir, 'sys', 'bus', 'pci', 'devices', '0000:00:09.0');
  mkdirSync(pci, { recursive: true });
  for (const [file, value] of [['vendor', '0x10de'], ['device', '0x2330'], ['subsystem_vendor', '0x10de'], ['subsystem_device', '0x16c1']]) writeFileSync(path.join(pci, file!), `${value}\n`);
  const config = Buffer.alloc(64);
  config.writeUInt16LE(0x10de, 0x00);
  config.writeUInt16LE(0x2330, 0x02);
  config.writeUInt16LE(0x10de, 0x2c);
  config.writeUInt16LE(0x16c1, 0x2e);
  writeFileSync(path.join(pci, 'config'), config);
  return { nvidiaSmi, sysRoot: path.join(dir, 'sys') };
}

describe('identity readings', () => {
  it('every fact keeps every path that read it, and agreeing readings are self-reported facts', async () => {
    const host = fakeHost('h100-q.xml');
    const inventory = await inventoryFor(entry, false, { nvml: () => nvmlFixture, ...host });
    const { facts, disagreements } = crossCheck(inventory.identityReadings);
    expect(disagreements).toEqual([]);
    const fact = (name: string) => facts.find((f) => f.name === name)!;
    expect(fact('serial').value).toBe('1654922001234');
    expect(fact('serial').source).toBe('nvml nvmlDeviceGetSerial');
    expect(fact('serial').readings!.map((r) => r.source)).toEqual(['nvml nvmlDeviceGetSerial', 'nvidia-smi --query-gpu serial', 'nvidia-smi -q -x serial']);
    expect(fact('uuid').readings!.map((r) => r.source)).toContain('cuda runtime uuid');
    expect(fact('pciDeviceId').readings!.map((r) => r.source)).toEqual([
      'nvml nvmlDeviceGetPciInfo_v3',
      'nvidia-smi --query-gpu pci.device_id',
      'nvidia-smi -q -x pci_device_id',
      'sysfs device',
      'sysfs config space 0x02',
    ]);
    expect(fact('pciSubsystemId').readings!.length).toBe(4);
    expect(fact('pdi').value).toBe('0x2e7aa130caa058dd');
    for (const f of facts) expect(f.assurance, f.name).toBe('self-reported');
  });

  it('readings written differently but meaning the same agree (case, 0x, GPU-, PCI domain width)', () => {
    const check = crossCheck([
      { fact: 'uuid', source: 'a', value: 'GPU-5B2C1A4E-1111-2222-3333-444455556666' },
      { fact: 'uuid', source: 'b', value: '5b2c1a4e-1111-2222-3333-444455556666' },
      { fact: 'pciBusId', source: 'a', value: '00000000:00:09.0' },
      { fact: 'pciBusId', source: 'b', value: '0000:00:09.0' },
      { fact: 'pciDeviceId', source: 'a', value: '0x2330' },
      { fact: 'pciDeviceId', source: 'b', value: '2330' },
    ]);
    expect(check.disagreements).toEqual([]);
  });

  it('a sysfs config space that disagrees with the sysfs attribute file is found', () => {
    const check = crossCheck([
      { fact: 'pciDeviceId', source: 'sysfs device', value: '0x2330' },
      { fact: 'pciDeviceId', source: 'sysfs config space 0x02', value: '0x2335' },
    ]);
    expect(check.disagreements.map((d) => d.fact)).toEqual(['pciDeviceId']);
  });

  it('disagreeing serial readings refuse a strict run (exit 3) and are a state problem otherwise', async () => {
    const host = fakeHost('h100-q-other-serial.xml');
    const inventory = await inventoryFor(entry, false, { nvml: () => nvmlFixture, ...host });
    let refused: unknown;
    try {
      identityStage(inventory.identityReadings, true);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(Error);
    expect(EXIT_STATUS[(refused as TppverifyError).code]).toBe(EXIT_MEASUREMENT);
    expect((refused as Error).message).toMatch(/identity readings disagree on serial: nvml nvmlDeviceGetSerial '1654922001234' vs .*nvidia-smi -q -x serial '1654922009999'/);
    const lenient = identityStage(inventory.identityReadings, false);
    expect(lenient.stateProblems).toHaveLength(1);
    expect(lenient.stateProblems[0]).toMatch(/^identity readings disagree on serial/);
  });

  it('a strict run on that device stops before measuring and writes nothing', async () => {
    const host = fakeHost('h100-q-other-serial.xml');
    const outDir = mkdtempSync(path.join(tmpdir(), 'tppverify-identity-out-'));
    await expect(
      attest({ entry, nonce: Buffer.alloc(16), level: 'quick', outDir, strict: true, identitySources: { nvml: () => nvmlFixture, ...host }, onProgress: () => {} }),
    ).rejects.toMatchObject({ code: 'device', message: expect.stringMatching(/refusing to measure \(strict\).*serial/) });
    expect(readdirSync(outDir)).toEqual([]);
  });
});

describe('AMD identity readings: amd-smi against sysfs and KFD', () => {
  const amdFixtures = path.resolve(fixtures, '..', '..', '..', 'inventory', 'test', 'fixtures');
  const mi300x: DeviceEntry = {
    target: { backend: 'hip', index: 0 },
    device: { ...device, id: 'hip:0', vendor: 'AMD', model: 'AMD Instinct MI300X', attributes: [
      { key: 'pciDomain', value: 0, source: 'hip runtime' }, { key: 'pciBus', value: 0x0c, source: 'hip runtime' }, { key: 'pciDevice', value: 0, source: 'hip runtime' },
    ] },
  };

  /** amd-smi printing the MI300X fixtures; sysfs ids and a KFD node for 0000:0c:00.0 with the given unique_id. */
  function fakeAmdHost(uniqueId: bigint): { amdSmi: string; sysRoot: string } {
    const dir = mkdtempSync(path.join(tmpdir(), 'tppverify-identity-amd-'));
    const amdSmi = path.join(dir, 'amd-smi');
    writeFileSync(amdSmi, `#!/bin/sh\ncase "$1" in static) cat '${path.join(amdFixtures, 'mi300x-static.json')}' ;; metric) cat '${path.join(amdFixtures, 'mi300x-metric-idle.json')}' ;; process) cat '${path.join(amdFixtures, 'mi300x-process.json')}' ;; *) exit 2 ;; esac\n`);
    chmodSync(amdSmi, 0o755);
    const pci = path.join(dir, 'sys', 'bus', 'pci', 'devices', '0000:0c:00.0');
    mkdirSync(pci, { recursive: true });
    for (const [file, value] of [['vendor', '0x1002'], ['device', '0x74a1'], ['subsystem_vendor', '0x1002'], ['subsystem_device', '0x74a1']]) writeFileSync(path.join(pci, file!), `${value}\n`);
    const node = path.join(dir, 'sys', 'class', 'kfd', 'kfd', 'topology', 'nodes', '1');
    mkdirSync(node, { recursive: true });
    // location_id = bus << 8 | device << 3 | function.
    writeFileSync(path.join(node, 'properties'), `cpu_cores_count 0\nvendor_id 4098\ndevice_id 29857\nlocation_id ${0x0c << 8}\ndomain 0\nunique_id ${uniqueId}\n`);
    return { amdSmi, sysRoot: path.join(dir, 'sys') };
  }

  it('the ASIC serial from amd-smi and from KFD agree, the ids from amd-smi, sysfs and KFD too; every field self-reported', async () => {
    const inventory = await inventoryFor(mi300x, false, fakeAmdHost(0xa1b2c3d4e5f60718n));
    const { facts, disagreements } = crossCheck(inventory.identityReadings);
    expect(disagreements).toEqual([]);
    const fact = (name: string) => facts.find((f) => f.name === name)!;
    expect(fact('asicSerial').readings!.map((r) => r.source)).toEqual(['amd-smi static asic.asic_serial', 'kfd topology node 1 unique_id']);
    expect(fact('pciDeviceId').readings!.map((r) => r.source)).toEqual(['amd-smi static asic.device_id', 'sysfs device', 'kfd topology node 1 device_id']);
    expect(fact('serial').value).toBe('692251001124');
    for (const f of facts) expect(f.assurance).toBe('self-reported');
  });

  it('a KFD unique_id that is not amd-smi\'s ASIC serial refuses a strict run', async () => {
    const inventory = await inventoryFor(mi300x, false, fakeAmdHost(0x1234n));
    expect(() => identityStage(inventory.identityReadings, true)).toThrow(/identity readings disagree on asicSerial: amd-smi static asic.asic_serial '0xA1B2C3D4E5F60718' vs kfd topology node 1 unique_id '0x1234'/);
  });
});
