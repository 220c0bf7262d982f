// The files of the commit-reveal draw (the rule itself is in sampling.ts):
// a party's public commitment, its secret reveal, and the draw that joins
// them into the lot's nonce. All read strictly (attestations/strict-json.ts).
import { randomBytes } from 'node:crypto';
import { readStrictJsonFile, textProblem } from '../../attestations/strict-json.js';
import { UsageError } from '../errors.js';
import {
  combineContributions,
  commitmentOf,
  contributionProblems,
  NONCE_RULE,
  PARTY_ROLES,
  type NonceContribution,
  type PartyRole,
} from './sampling.js';

/** Commitments, reveals and draws are small; anything bigger is not one. */
export const MAX_DRAW_FILE_BYTES = 1024 * 1024;
const CONTRIBUTION_BYTES = 32;
/** Short, printable, and safe as part of a file name. */
const PARTY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const HEX_64 = /^[0-9a-f]{64}$/;

export interface Commitment {
  rule: string;
  lotId: string;
  manifestSha256: string;
  party: string;
  role: PartyRole;
  committedAt: string;
  commitment: string;
}

export interface Reveal {
  rule: string;
  manifestSha256: string;
  party: string;
  role: PartyRole;
  committedAt: string;
  contribution: string;
}

export interface Draw {
  rule: string;
  lotId: string;
  manifestSha256: string;
  /** Hex nonce: combineContributions of the contributions, recomputed on every read. */
  nonce: string;
  contributions: NonceContribution[];
}

export class DrawFileError extends UsageError {}

type Fields = Record<string, unknown>;

function fields(file: string, value: unknown, names: readonly string[]): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DrawFileError(`${file}: expected a JSON object`);
  for (const key of Object.keys(value)) if (!names.includes(key)) throw new DrawFileError(`${file}: ${key}: unknown field`);
  for (const key of names) if (!(key in value)) throw new DrawFileError(`${file}: ${key}: required field is missing`);
  return value as Fields;
}

function text(file: string, where: string, value: unknown, pattern?: RegExp, expected?: string): string {
  if (typeof value !== 'string') throw new DrawFileError(`${file}: ${where}: expected a string`);
  const problem = textProblem(value);
  if (problem) throw new DrawFileError(`${file}: ${where}: ${problem}`);
  if (pattern && !pattern.test(value)) throw new DrawFileError(`${file}: ${where}: expected ${expected}`);
  return value;
}

function role(file: string, where: string, value: unknown): PartyRole {
  const r = text(file, where, value);
  if (!(PARTY_ROLES as readonly string[]).includes(r)) throw new DrawFileError(`${file}: ${where}: expected one of ${PARTY_ROLES.join(', ')}`);
  return r as PartyRole;
}

function rule(file: string, value: unknown): string {
  const r = text(file, 'rule', value);
  if (r !== NONCE_RULE) throw new DrawFileError(`${file}: rule: expected ${NONCE_RULE}`);
  return r;
}

function readJson(file: string, what: string): unknown {
  return readStrictJsonFile(file, MAX_DRAW_FILE_BYTES, what, (where, detail) => new DrawFileError(`${file}: ${where ? `${where}: ` : ''}${detail}`)).value;
}

export function parseParty(party: string): string {
  if (!PARTY_PATTERN.test(party)) throw new UsageError(`--party must be 1 to 64 letters, digits, dots, hyphens or underscores, not '${party.slice(0, 64)}'`);
  return party;
}

export function parseRole(value: string): PartyRole {
  if (!(PARTY_ROLES as readonly string[]).includes(value)) throw new UsageError(`--role must be one of ${PARTY_ROLES.join(', ')}, not '${value.slice(0, 32)}'`);
  return value as PartyRole;
}

/** A party's fresh secret contribution and the commitment it publishes first. */
export function makeCommitment(lotId: string, manifestSha256: string, party: string, partyRole: PartyRole, now = new Date()): { commitment: Commitment; reveal: Reveal } {
  const committedAt = now.toISOString();
  const contribution = randomBytes(CONTRIBUTION_BYTES).toString('hex');
  const commitment = commitmentOf(manifestSha256, { party, role: partyRole, committedAt, contribution });
  return {
    commitment: { rule: NONCE_RULE, lotId, manifestSha256, party, role: partyRole, committedAt, commitment },
    reveal: { rule: NONCE_RULE, manifestSha256, party, role: partyRole, committedAt, contribution },
  };
}

export function readCommitment(file: string): Commitment {
  const f = fields(file, readJson(file, 'commitment'), ['rule', 'lotId', 'manifestSha256', 'party', 'role', 'committedAt', 'commitment']);
  return {
    rule: rule(file, f['rule']),
    lotId: text(file, 'lotId', f['lotId']),
    manifestSha256: text(file, 'manifestSha256', f['manifestSha256'], HEX_64, '64 lowercase hex digits'),
    party: text(file, 'party', f['party'], PARTY_PATTERN, 'a party name'),
    role: role(file, 'role', f['role']),
    committedAt: text(file, 'committedAt', f['committedAt'], ISO_UTC, 'an ISO 8601 UTC time'),
    commitment: text(file, 'commitment', f['commitment'], HEX_64, '64 lowercase hex digits'),
  };
}

export function readReveal(file: string): Reveal {
  const f = fields(file, readJson(file, 'reveal'), ['rule', 'manifestSha256', 'party', 'role', 'committedAt', 'contribution']);
  return {
    rule: rule(file, f['rule']),
    manifestSha256: text(file, 'manifestSha256', f['manifestSha256'], HEX_64, '64 lowercase hex digits'),
    party: text(file, 'party', f['party'], PARTY_PATTERN, 'a party name'),
    role: role(file, 'role', f['role']),
    committedAt: text(file, 'committedAt', f['committedAt'], ISO_UTC, 'an ISO 8601 UTC time'),
    contribution: text(file, 'contribution', f['contribution'], /^(?:[0-9a-f]{2})+$/, 'lowercase hex'),
  };
}

/**
 * Joins every commitment with its reveal. Refused: a commitment for another
 * manifest, a reveal without a commitment or a commitment without a reveal
 * (every committed party must reveal), and anything contributionProblems finds.
 */
export function makeDraw(lotId: string, manifestSha256: string, commitments: readonly Commitment[], reveals: readonly Reveal[]): Draw {
  for (const c of [...commitments, ...reveals]) {
    if (c.manifestSha256 !== manifestSha256) throw new DrawFileError(`party ${c.party} committed to manifest ${c.manifestSha256.slice(0, 12)}…, not this one (${manifestSha256.slice(0, 12)}…)`);
  }
  const contributions: NonceContribution[] = commitments.map((c) => {
    const reveal = reveals.find((r) => r.party === c.party);
    if (!reveal) throw new DrawFileError(`party ${c.party} committed but has not revealed: the draw needs every reveal`);
    if (reveal.role !== c.role || reveal.committedAt !== c.committedAt) throw new DrawFileError(`party ${c.party}: the reveal's role or time differs from its commitment`);
    return { party: c.party, role: c.role, committedAt: c.committedAt, commitment: c.commitment, contribution: reveal.contribution };
  });
  for (const r of reveals) if (!commitments.some((c) => c.party === r.party)) throw new DrawFileError(`party ${r.party} revealed without a published commitment`);
  const problems = contributionProblems(manifestSha256, contributions);
  if (problems.length) throw new DrawFileError(`the draw is refused: ${problems.join('; ')}`);
  return { rule: NONCE_RULE, lotId, manifestSha256, nonce: combineContributions(manifestSha256, contributions).toString('hex'), contributions };
}

/** A draw file, checked again in full: every commitment, the role rule, and the nonce recomputed. */
export function readDraw(file: string, manifestSha256: string): Draw {
  const f = fields(file, readJson(file, 'draw'), ['rule', 'lotId', 'manifestSha256', 'nonce', 'contributions']);
  rule(file, f['rule']);
  const list = f['contributions'];
  if (!Array.isArray(list)) throw new DrawFileError(`${file}: contributions: expected an array`);
  const contributions = list.map((raw, i) => {
    const where = `contributions[${i}]`;
    const c = fields(`${file}: ${where}`, raw, ['party', 'role', 'committedAt', 'commitment', 'contribution']);
    return {
      party: text(file, `${where}.party`, c['party'], PARTY_PATTERN, 'a party name'),
      role: role(file, `${where}.role`, c['role']),
      committedAt: text(file, `${where}.committedAt`, c['committedAt'], ISO_UTC, 'an ISO 8601 UTC time'),
      commitment: text(file, `${where}.commitment`, c['commitment'], HEX_64, '64 lowercase hex digits'),
      contribution: text(file, `${where}.contribution`, c['contribution'], /^(?:[0-9a-f]{2})+$/, 'lowercase hex'),
    };
  });
  let draw: Draw;
  try {
    draw = makeDraw(
    text(file, 'lotId', f['lotId']),
    text(file, 'manifestSha256', f['manifestSha256'], HEX_64, '64 lowercase hex digits'),
    contributions.map((c) => ({ rule: NONCE_RULE, lotId: '', manifestSha256: f['manifestSha256'] as string, party: c.party, role: c.role, committedAt: c.committedAt, commitment: c.commitment })),
    contributions.map((c) => ({ rule: NONCE_RULE, manifestSha256: f['manifestSha256'] as string, party: c.party, role: c.role, committedAt: c.committedAt, contribution: c.contribution })),
    );
  } catch (error) {
    if (error instanceof DrawFileError && !error.message.startsWith(file)) throw new DrawFileError(`${file}: ${error.message}`);
    throw error;
  }
  if (draw.manifestSha256 !== manifestSha256) throw new DrawFileError(`${file}: the draw is for manifest ${draw.manifestSha256.slice(0, 12)}…, not this one (${manifestSha256.slice(0, 12)}…)`);
  if (text(file, 'nonce', f['nonce']) !== draw.nonce) throw new DrawFileError(`${file}: nonce: not the one its contributions give (${draw.nonce})`);
  return draw;
}
