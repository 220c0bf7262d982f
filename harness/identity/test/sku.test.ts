// Declared SKU against the device: each declared product's PCI ids and chip
// SKU as data with sources, compared with the device's identity facts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDeclaration } from '../../declaration/declaration.js';
import { describeFinding } from '../../verdict/describe.js';
import type { Fact } from '../../verdict/record.js';
import { identityFindings } from '../findings.js';
import { SKU_TABLE, skuFor } from '../sku-table.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'declaration', 'examples');
const declaration = (file: string) => parseDeclaration(readFileSync(path.join(examples, file), 'utf8'));
const idFact = (name: string, value: string, assurance: Fact['assurance'] = 'self-reported'): Fact => ({ name, value, source: 't', readings: [{ source: 't', value }], assurance });

describe('the SKU table', () => {
  it('names a source for every product and finds each example declaration by vendor and product', () => {
    for (const sku of SKU_TABLE) {
      expect(sku.sources.length, sku.product).toBeGreaterThan(0);
      expect(sku.pciDeviceIds.every((id) => /^0x[0-9a-f]{4}$/.test(id)), sku.product).toBe(true);
    }
    expect(skuFor('NVIDIA', declaration('h100-sxm.json').product)?.product).toBe('H100 SXM5 80GB');
    expect(skuFor('NVIDIA', declaration('h200-sxm.json').product)?.product).toBe('H200 SXM 141GB');
    expect(skuFor('AMD', declaration('mi325x.json').product)?.product).toBe('Instinct MI325X');
    expect(skuFor('AMD', 'Instinct MI300X OAM')?.pciDeviceIds).toEqual(['0x74a1']);
    expect(skuFor('NVIDIA', declaration('b200.json').product)).toBeUndefined();
  });
});

describe('declared SKU against the device', () => {
  const h200 = declaration('h200-sxm.json');
  const h200Device = [idFact('pciVendorId', '0x10de'), idFact('pciDeviceId', '0x2335'), idFact('pciSubsystemId', '0x18bf')];

  it('an H200 declared and an H200 measured: consistent', () => {
    const [finding] = identityFindings({ declaration: h200, deviceFacts: h200Device, intake: null });
    expect(finding).toMatchObject({ claim: 'identity:sku', status: 'consistent' });
  });

  it('an H200 declared on an H100 board (device 0x2330): a finding, not consistent', () => {
    const h100Device = [idFact('pciVendorId', '0x10de'), idFact('pciDeviceId', '0x2330'), idFact('pciSubsystemId', '0x16c1')];
    const [finding] = identityFindings({ declaration: h200, deviceFacts: h100Device, intake: null });
    expect(finding!.status).toBe('inconclusive');
    expect(describeFinding({ ...finding!, rule: '7-identity', values: [], labels: Object.entries(finding!.labels).map(([name, value]) => ({ name, value })) })).toMatch(
      /PCI device 0x2330, H200 SXM 141GB is 0x2335/,
    );
  });

  it('a hardware-attested chip SKU that is not the declared product is a finding', () => {
    const [finding] = identityFindings({ declaration: h200, deviceFacts: [...h200Device, idFact('chipSku', '885', 'hardware-attested')], intake: null });
    expect(finding!.status).toBe('inconclusive');
    expect(finding!.labels['problem']).toMatch(/chip SKU 885 \(hardware-attested\), H200 SXM 141GB is 895/);
  });

  it("another subsystem (an OEM board) is a note on a consistent finding", () => {
    const [finding] = identityFindings({ declaration: h200, deviceFacts: [idFact('pciVendorId', '0x10de'), idFact('pciDeviceId', '0x2335'), idFact('pciSubsystemId', '0x1234')], intake: null });
    expect(finding!.status).toBe('consistent');
    expect(finding!.labels['note']).toMatch(/subsystem 0x1234/);
  });

  it('a device without identity readings (the CPU) gets no SKU finding; a product without SKU data gets a note', () => {
    expect(identityFindings({ declaration: h200, deviceFacts: [{ name: 'model', value: 'x', source: 'cpuid' }], intake: null })).toEqual([]);
    const [note] = identityFindings({ declaration: declaration('b200.json'), deviceFacts: h200Device, intake: null });
    expect(note).toMatchObject({ claim: 'identity:sku', status: 'note' });
  });
});
