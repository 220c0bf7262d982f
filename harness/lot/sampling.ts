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
  /** NONCE_RULE when the nonce was combined from contributions; empty when one party gave it. */
  nonceRule: string;
  contributions: NonceContribution[];
  lotSize: number;
  sampled: LotUnit[];
}

/**
 * Every unit's rank is SHA-256(manifest digest ‖ nonce ‖ serial); the sample
 * is the units with the lowest ranks, in rank order.
 */
export function drawSample(
  manifest: LotManifest,
  manifestSha256: string,
  nonce: Buffer,
  plan: SamplePlan,
  contributions: readonly NonceContribution[] = [],
): LotSample {
  const rank = (unit: LotUnit) =>
    createHash('sha256').update(Buffer.from(manifestSha256, 'hex')).update(nonce).update(unit.serial, 'utf8').digest('hex');
  const ranked = manifest.units.map((unit) => ({ unit, rank: rank(unit) })).sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return {
    plan: plan.name,
    planDescription: plan.description,
    manifestSha256,
    nonceHex: nonce.toString('hex'),
    nonceRule: contributions.length ? NONCE_RULE : '',
    contributions: [...contributions],
    lotSize: manifest.units.length,
    sampled: ranked.slice(0, plan.sampleSize(manifest.units.length)).map((r) => r.unit),
  };
}

// ---------------------------------------------------------------------------
// The nonce no single party chose: commit-reveal over contributions.
//
// 1. The manifest exists and its SHA-256 is known to every party.
// 2. Each party (the lab and at least one of exporter, auditor, BIS) draws a
//    secret contribution and publishes only its commitment, which binds the
//    manifest digest, the party, its role and the time it committed.
// 3. Once every commitment is published, each party reveals its contribution.
//    A reveal that does not match its commitment is refused, so nobody can
//    change a contribution after seeing the others'.
// 4. nonce = SHA-256 over a domain-separated, length-prefixed list of every
//    (party, role, contribution), in party-name order. Any one honest party's
//    secret contribution makes the nonce unpredictable to all the others
//    until it is revealed, and by then every contribution is fixed.
// A party that refuses to reveal stalls the draw (visibly); it cannot pick
// among samples, because the draw cannot be made without every reveal.
// ---------------------------------------------------------------------------

/** The name of the rule above, recorded in plans and certificates. */
export const NONCE_RULE = 'tppverify-lot-nonce@1';
const COMMITMENT_DOMAIN = 'tppverify-lot-commitment@1';
export { PARTY_ROLES, type NonceContribution, type PartyRole } from '../../attestations/lot-certificate.js';
import type { NonceContribution } from '../../attestations/lot-certificate.js';
/** 16 bytes at least, so a commitment cannot be opened by trying contributions; 64 at most. */
export const MIN_CONTRIBUTION_BYTES = 16;
export const MAX_CONTRIBUTION_BYTES = 64;


/** u32 big-endian length, then the bytes: no two lists encode alike. */
function lengthPrefixed(parts: readonly (Buffer | string)[]): Buffer {
  return Buffer.concat(
    parts.flatMap((part) => {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return [length, bytes];
    }),
  );
}

export function commitmentOf(manifestSha256: string, c: Omit<NonceContribution, 'commitment'>): string {
  const fields = [COMMITMENT_DOMAIN, Buffer.from(manifestSha256, 'hex'), c.party, c.role, c.committedAt, Buffer.from(c.contribution, 'hex')];
  return createHash('sha256').update(lengthPrefixed(fields)).digest('hex');
}

/** Every reason these contributions do not make a nonce under NONCE_RULE (empty: they do). */
export function contributionProblems(manifestSha256: string, contributions: readonly NonceContribution[]): string[] {
  const problems: string[] = [];
  const parties = new Set<string>();
  for (const c of contributions) {
    if (parties.has(c.party)) problems.push(`party ${c.party} contributes twice`);
    parties.add(c.party);
    const bytes = c.contribution.length / 2;
    if (!/^(?:[0-9a-f]{2})+$/.test(c.contribution) || bytes < MIN_CONTRIBUTION_BYTES || bytes > MAX_CONTRIBUTION_BYTES) {
      problems.push(`party ${c.party}: a contribution is ${MIN_CONTRIBUTION_BYTES} to ${MAX_CONTRIBUTION_BYTES} bytes of lowercase hex`);
    } else if (commitmentOf(manifestSha256, c) !== c.commitment) {
      problems.push(`party ${c.party}: the revealed contribution does not match its commitment`);
    }
  }
  if (!contributions.some((c) => c.role === 'lab')) problems.push('no contribution from the lab');
  if (!contributions.some((c) => c.role !== 'lab')) problems.push('no contribution from a party other than the lab (exporter, auditor or BIS): the lab alone would choose the sample');
  return problems;
}

/** The nonce of NONCE_RULE: SHA-256 of the domain, the manifest digest and every (party, role, contribution) in party order. */
export function combineContributions(manifestSha256: string, contributions: readonly NonceContribution[]): Buffer {
  const ordered = [...contributions].sort((a, b) => Buffer.compare(Buffer.from(a.party, 'utf8'), Buffer.from(b.party, 'utf8')));
  const count = Buffer.alloc(4);
  count.writeUInt32BE(ordered.length);
  const fields: (Buffer | string)[] = [NONCE_RULE, Buffer.from(manifestSha256, 'hex'), count];
  for (const c of ordered) fields.push(c.party, c.role, Buffer.from(c.contribution, 'hex'));
  return createHash('sha256').update(lengthPrefixed(fields)).digest();
}
