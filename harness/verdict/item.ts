// Is the device measured the item the declaration is for? The declared
// vendor, architecture and product against the device's own facts. A
// measurement of another kind of device says nothing about the declaration:
// such a run is never consistent, its report says so first, and an audit
// refuses it.
import type { Fact } from '../../attestations/records.js';
import { factValue, numericFact } from '../../attestations/records.js';
import { findCpuMicroarchitecture } from '../tpp/cpu-rates.js';
import type { Declaration } from '../declaration/declaration.js';

/** CPUID vendor strings and long company names, as the short names declarations use. */
const VENDOR_ALIASES: Readonly<Record<string, string>> = {
  authenticamd: 'amd',
  advancedmicrodevices: 'amd',
  genuineintel: 'intel',
  nvidiacorporation: 'nvidia',
};

/** Lower case, letters and digits only, company suffixes dropped, aliases resolved. */
export function vendorKey(vendor: string): string {
  const key = vendor.toLowerCase().replace(/[^a-z0-9]/g, '').replace(/(corporation|corp|incorporated|inc|ltd)$/, '');
  return VENDOR_ALIASES[key] ?? key;
}

/**
 * The device's architecture as declarations name it: the backend's typed
 * `architecture` (sm_90, gfx942, x86-64); from compute capability 9.0 or the
 * gfx target where a record predates it; x86-64 for a CPU.
 */
export function deviceArchitecture(facts: readonly Fact[]): string | undefined {
  const typed = factValue(facts, 'architecture');
  if (typed) return typed;
  const capability = factValue(facts, 'computeCapability');
  if (capability && /^\d+\.\d+$/.test(capability)) return `sm_${capability.replace('.', '')}`;
  const gfx = factValue(facts, 'gfxTarget');
  if (gfx) return gfx.split(':')[0];
  if (factValue(facts, 'deviceId') === 'cpu' || factValue(facts, 'unitName') === 'core') return 'x86-64';
  return undefined;
}

/**
 * A CPU's row in the microarchitecture table (zen5, sapphire-rapids, …), which
 * a CPU declaration names as its architecture; undefined for other devices.
 */
function cpuMicroarchitecture(facts: readonly Fact[]): string | undefined {
  const family = numericFact(facts, 'family');
  const modelNumber = Number(factValue(facts, 'modelNumber'));
  if (family === undefined || !Number.isInteger(modelNumber)) return undefined;
  const lookup = findCpuMicroarchitecture({
    vendor: factValue(facts, 'vendor') ?? '',
    family,
    modelNumber,
    modelName: factValue(facts, 'model') ?? '',
  });
  return lookup.found ? lookup.row.id : undefined;
}

/** Model identifiers in a product name: tokens with a letter and a digit (H200, MI325X, B200, A100). */
function modelTokens(text: string): string[] {
  // Memory sizes (80GB, 141GB) are shared by different products: not identifiers.
  return text.toUpperCase().split(/[^A-Z0-9]+/).filter((t) => /[A-Z]/.test(t) && /\d/.test(t) && !/^\d+[GT]B$/.test(t));
}

export interface ItemComparison {
  declaredVendor: string;
  deviceVendor: string;
  declaredArchitecture: string;
  deviceArchitecture: string;
  declaredProduct: string;
  deviceModel: string;
  /** What differs, or cannot be shown to agree: "vendor", "architecture", "product". */
  mismatches: string[];
}

export function compareItem(declaration: Declaration, facts: readonly Fact[]): ItemComparison {
  const deviceVendor = factValue(facts, 'vendor') ?? '';
  const deviceModel = factValue(facts, 'model') ?? '';
  const architecture = deviceArchitecture(facts) ?? '';
  const mismatches: string[] = [];
  const vendorA = vendorKey(declaration.vendor);
  const vendorB = vendorKey(deviceVendor);
  if (!vendorB || !(vendorA === vendorB || vendorA.startsWith(vendorB) || vendorB.startsWith(vendorA))) mismatches.push('vendor');
  if (!architecture || (architecture !== declaration.architecture && cpuMicroarchitecture(facts) !== declaration.architecture)) {
    mismatches.push('architecture');
  }
  // Product: an identical name, or a model identifier the declaration names that the device's model also carries.
  const declaredTokens = modelTokens(declaration.product);
  const deviceTokens = new Set(modelTokens(deviceModel));
  const sameName = declaration.product.trim().toLowerCase() === deviceModel.trim().toLowerCase();
  if (!sameName && (declaredTokens.length === 0 || !declaredTokens.some((t) => deviceTokens.has(t)))) mismatches.push('product');
  return {
    declaredVendor: declaration.vendor,
    deviceVendor,
    declaredArchitecture: declaration.architecture,
    deviceArchitecture: architecture,
    declaredProduct: declaration.product,
    deviceModel,
    mismatches,
  };
}

/** One sentence per mismatch; empty when the device is the declared item. */
export function itemProblems(declaration: Declaration, facts: readonly Fact[]): string[] {
  const c = compareItem(declaration, facts);
  const say: Record<string, string> = {
    vendor: `declared vendor ${c.declaredVendor}, the device's is ${c.deviceVendor || '(not reported)'}`,
    architecture: `declared architecture ${c.declaredArchitecture}, the device's is ${c.deviceArchitecture || '(not reported)'}`,
    product: `declared product ${c.declaredProduct}, the device is ${c.deviceModel || '(no model reported)'}`,
  };
  return c.mismatches.map((m) => say[m]!);
}
