// Reproducible sampling of a lot: which units are tested is a deterministic
// function of the manifest's digest and the lab's nonce, so an auditor can
// recompute the sample; the sample size comes from a named, recorded plan.
import { createHash } from 'node:crypto';
import type { LotManifest, LotUnit } from './manifest.js';

export interface SamplePlan {
  name: string;
  description: string;
  sampleSize(lotSize: number): number;
}

/**
 * ANSI/ASQ Z1.4-2003 (R2018), Table I (general inspection level II) and
 * Table II-A (single sampling, normal inspection): lot size → code letter →
 * sample size. A sample as large as the lot means every unit is tested.
 */
const Z14_LEVEL_II: readonly [maxLotSize: number, letter: string, sample: number][] = [
  [8, 'A', 2], [15, 'B', 3], [25, 'C', 5], [50, 'D', 8], [90, 'E', 13], [150, 'F', 20], [280, 'G', 32], [500, 'H', 50],
  [1200, 'J', 80], [3200, 'K', 125], [10000, 'L', 200], [35000, 'M', 315], [150000, 'N', 500], [500000, 'P', 800],
  [Number.POSITIVE_INFINITY, 'Q', 1250],
];

export const Z14_GENERAL_LEVEL_II: SamplePlan = {
  name: 'ansi-asq-z1.4-gil-ii',
  description: 'ANSI/ASQ Z1.4 general inspection level II, single sampling, normal inspection (Tables I and II-A)',
  sampleSize(lotSize) {
    const row = Z14_LEVEL_II.find(([max]) => lotSize <= max)!;
    return Math.min(lotSize, row[2]);
  },
};

export function fixedCountPlan(count: number): SamplePlan {
  return { name: `fixed-${count}`, description: `a fixed count of ${count} units (every unit when the lot is smaller)`, sampleSize: (lotSize) => Math.min(lotSize, count) };
}

export const PLANS: Readonly<Record<string, SamplePlan>> = { [Z14_GENERAL_LEVEL_II.name]: Z14_GENERAL_LEVEL_II };

export interface LotSample {
  plan: string;
  planDescription: string;
  manifestSha256: string;
  nonceHex: string;
  lotSize: number;
  sampled: LotUnit[];
}

/**
 * Every unit's rank is SHA-256(manifest digest ‖ nonce ‖ serial); the sample
 * is the units with the lowest ranks, in rank order.
 */
export function drawSample(manifest: LotManifest, manifestSha256: string, nonce: Buffer, plan: SamplePlan): LotSample {
  const rank = (unit: LotUnit) =>
    createHash('sha256').update(Buffer.from(manifestSha256, 'hex')).update(nonce).update(unit.serial, 'utf8').digest('hex');
  const ranked = manifest.units.map((unit) => ({ unit, rank: rank(unit) })).sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return {
    plan: plan.name,
    planDescription: plan.description,
    manifestSha256,
    nonceHex: nonce.toString('hex'),
    lotSize: manifest.units.length,
    sampled: ranked.slice(0, plan.sampleSize(manifest.units.length)).map((r) => r.unit),
  };
}
