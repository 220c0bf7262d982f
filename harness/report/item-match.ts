// Is the measured device the item the declaration describes? Compares the
// declared vendor, architecture and product with the device's own facts.
// Pure: a reader recomputes it from the attestation alone.
import type { Declaration } from '../declaration/declaration.js';
import type { Fact } from '../verdict/record.js';

export type MatchStatus = 'same' | 'differs' | 'unknown';

export interface ItemComparison {
  /** What is compared, in words: "Vendor". */
  what: string;
  declared: string;
  measured: string;
  status: MatchStatus;
}

export interface ItemMatch {
  /** same: every compared fact agrees; differs: any disagrees; unknown: the device did not report enough. */
  status: MatchStatus;
  comparisons: ItemComparison[];
}

/** Vendor names as CPUID, the CUDA runtime and amd-smi print them, reduced to one name per company. */
const VENDOR_ALIASES: readonly [RegExp, string][] = [
  [/^(authenticamd|advanced micro devices.*|amd.*)$/, 'amd'],
  [/^(genuineintel|intel.*)$/, 'intel'],
  [/^nvidia.*$/, 'nvidia'],
];

function vendorKey(vendor: string): string {
  const lower = vendor.trim().toLowerCase();
  return VENDOR_ALIASES.find(([pattern]) => pattern.test(lower))?.[1] ?? lower;
}

/** "sm_90a" and CUDA compute capability "9.0" are both sm_90; "gfx942" stays itself. */
function architectureKey(architecture: string): string {
  const lower = architecture.trim().toLowerCase();
  const capability = /^(\d+)\.(\d+)$/.exec(lower);
  if (capability) return `sm_${capability[1]}${capability[2]}`;
  return lower.replace(/^(sm_\d+)[a-z]$/, '$1');
}

/** The product's model token: the first word with a digit ("H200" in "H200 SXM 141GB", "MI325X"). */
function modelToken(product: string): string | undefined {
  return product
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .find((word) => /\d/.test(word) && /[a-z]/.test(word));
}

function fact(facts: readonly Fact[], name: string): string {
  return facts.find((f) => f.name === name)?.value.trim() ?? '';
}

export function compareItem(declaration: Declaration, facts: readonly Fact[]): ItemMatch {
  const comparisons: ItemComparison[] = [];
  const vendor = fact(facts, 'vendor');
  comparisons.push({
    what: 'Vendor',
    declared: declaration.vendor,
    measured: vendor,
    status: vendor === '' ? 'unknown' : vendorKey(vendor) === vendorKey(declaration.vendor) ? 'same' : 'differs',
  });
  const architecture = fact(facts, 'computeCapability') || fact(facts, 'gfxTarget');
  comparisons.push({
    what: 'Architecture',
    declared: declaration.architecture,
    measured: architecture ? (fact(facts, 'computeCapability') ? `${architectureKey(architecture)} (compute capability ${architecture})` : architecture) : '',
    status: architecture === '' ? 'unknown' : architectureKey(architecture) === architectureKey(declaration.architecture) ? 'same' : 'differs',
  });
  const model = fact(facts, 'model');
  const token = modelToken(declaration.product);
  comparisons.push({
    what: 'Product',
    declared: declaration.product,
    measured: model,
    status: model === '' || token === undefined ? 'unknown' : model.toLowerCase().split(/[^a-z0-9]+/).includes(token) ? 'same' : 'differs',
  });
  const status: MatchStatus = comparisons.some((c) => c.status === 'differs') ? 'differs' : comparisons.some((c) => c.status === 'unknown') ? 'unknown' : 'same';
  return { status, comparisons };
}
