// Identity findings of the verdict (rule step 7): the label serial the
// operator saw against the device's serial, and the declared product's SKU
// data against the device's PCI ids and chip SKU. Pure: verify recomputes
// them from the recorded intake bytes, declaration and facts. A mismatch is
// never consistent.
import type { Declaration } from '../declaration/declaration.js';
import type { Fact } from '../verdict/record.js';
import { parseIntakeBytes } from './intake.js';
import { skuFor } from './sku-table.js';

export interface IdentityFinding {
  claim: string;
  status: 'consistent' | 'inconclusive' | 'note';
  labels: Record<string, string>;
}

const hex = (v: string) => {
  const t = v.trim().toLowerCase().replace(/^0x/, '');
  return /^[0-9a-f]+$/.test(t) ? `0x${t.replace(/^0+(?=.)/, '')}` : v.trim().toLowerCase();
};

function fact(facts: readonly Fact[], name: string): Fact | undefined {
  return facts.find((f) => f.name === name);
}

export function identityFindings(inputs: { declaration: Declaration; deviceFacts: readonly Fact[]; intake: { json: Uint8Array } | null }): IdentityFinding[] {
  const out: IdentityFinding[] = [];
  const { declaration: d, deviceFacts } = inputs;
  if (inputs.intake) {
    const intake = parseIntakeBytes(inputs.intake.json);
    const serial = fact(deviceFacts, 'serial');
    const labels = { labelSerial: intake.labelSerial, observer: intake.observer, observedAt: intake.observedAt };
    if (!serial) out.push({ claim: 'identity:label-serial', status: 'inconclusive', labels: { ...labels, problem: 'the device reports no serial to compare the label with' } });
    else {
      const same = serial.value.trim().toLowerCase() === intake.labelSerial.trim().toLowerCase();
      out.push({ claim: 'identity:label-serial', status: same ? 'consistent' : 'inconclusive', labels: { ...labels, deviceSerial: serial.value, deviceSerialAssurance: serial.assurance || 'self-reported' } });
    }
    const board = fact(deviceFacts, 'boardPartNumber');
    if (intake.boardPartNumber && board) {
      const same = board.value.trim().toLowerCase() === intake.boardPartNumber.trim().toLowerCase();
      out.push({ claim: 'identity:label-board-part-number', status: same ? 'consistent' : 'inconclusive', labels: { labelBoardPartNumber: intake.boardPartNumber, deviceBoardPartNumber: board.value } });
    }
  }
  // The SKU is compared only where the device reports its PCI ids (a GPU's identity readings).
  const deviceId = fact(deviceFacts, 'pciDeviceId');
  if (deviceId?.assurance) {
    const sku = skuFor(d.vendor, d.product);
    if (!sku) out.push({ claim: 'identity:sku', status: 'note', labels: { product: d.product, problem: 'no SKU data for this product: its PCI ids are not compared' } });
    else {
      const problems: string[] = [];
      const notes: string[] = [];
      const vendorId = fact(deviceFacts, 'pciVendorId');
      if (vendorId && hex(vendorId.value) !== sku.pciVendorId) problems.push(`PCI vendor ${vendorId.value}, ${sku.product} is ${sku.pciVendorId}`);
      if (!sku.pciDeviceIds.includes(hex(deviceId.value))) problems.push(`PCI device ${deviceId.value}, ${sku.product} is ${sku.pciDeviceIds.join(' or ')}`);
      const chip = fact(deviceFacts, 'chipSku');
      if (chip && sku.chipSku && chip.value.trim() !== sku.chipSku) problems.push(`chip SKU ${chip.value} (${chip.assurance || 'self-reported'}), ${sku.product} is ${sku.chipSku}`);
      const subsystem = fact(deviceFacts, 'pciSubsystemId');
      if (subsystem && sku.pciSubsystemIds.length && !sku.pciSubsystemIds.includes(hex(subsystem.value))) {
        notes.push(`subsystem ${subsystem.value}, the reference board's is ${sku.pciSubsystemIds.join(' or ')} (an OEM board may differ)`);
      }
      const labels: Record<string, string> = { product: d.product, sku: sku.product, pciDeviceId: deviceId.value, pciDeviceIdAssurance: deviceId.assurance };
      if (chip) labels['chipSku'] = `${chip.value} (${chip.assurance || 'self-reported'})`;
      if (problems.length) labels['problem'] = problems.join('; ');
      if (notes.length) labels['note'] = notes.join('; ');
      out.push({ claim: 'identity:sku', status: problems.length ? 'inconclusive' : 'consistent', labels });
    }
  }
  return out;
}
