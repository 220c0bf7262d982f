// A lot's outcome from its sampled units: the rule lot certify writes and
// every reader of a certificate re-derives.
import type { LotCertificate, LotOutcome, UnitAttestation } from '../../attestations/lot-certificate.js';
import { identifierProblem } from '../identity.js';
import { combineContributions, contributionProblems, NONCE_RULE } from './sampling.js';

export function lotOutcome(units: readonly UnitAttestation[]): { outcome: LotOutcome; reasons: string[] } {
  const reasons: string[] = [];
  // No unit tested certifies nothing.
  if (units.length === 0) reasons.push('no unit was sampled');
  for (const u of units) {
    if (u.status !== 'valid') reasons.push(`unit ${u.serial}: ${u.status}${u.detail ? ` (${u.detail})` : ''}`);
    else if (u.verdict !== 'consistent') reasons.push(`unit ${u.serial}: verdict ${u.verdict}`);
  }
  const rejected = units.some((u) => u.status === 'valid' && (u.verdict === 'under-declared' || u.verdict === 'over-declared'));
  const incomplete = units.length === 0 || units.some((u) => u.status !== 'valid' || u.verdict !== 'consistent');
  return { outcome: rejected ? 'rejected' : incomplete ? 'incomplete' : 'certified', reasons };
}

/** What a decoded certificate must satisfy by itself (without the unit files or the manifest). */
export function certificateProblems(certificate: LotCertificate): string[] {
  const problems: string[] = [];
  const expected = lotOutcome(certificate.units);
  if (expected.outcome !== certificate.outcome) problems.push(`the recorded outcome ${certificate.outcome} does not follow from its units (${expected.outcome})`);
  if (certificate.units.length > certificate.lotSize) problems.push(`${certificate.units.length} units listed for a lot of ${certificate.lotSize}`);
  const serials = new Set<string>();
  for (const unit of certificate.units) {
    const problem = identifierProblem(unit.serial);
    if (problem) problems.push(`unit serial ${problem}`);
    if (serials.has(unit.serial)) problems.push(`unit ${unit.serial} is listed twice`);
    serials.add(unit.serial);
    if (unit.status === 'valid' && !/^[0-9a-f]{64}$/.test(unit.attestationSha256)) problems.push(`unit ${unit.serial}: a valid unit needs its attestation's SHA-256`);
  }
  // The nonce no single party chose: every commitment opens, and the nonce is their combination.
  if (certificate.nonceRule || certificate.nonceContributions.length) {
    if (certificate.nonceRule !== NONCE_RULE) problems.push(`unknown nonce rule ${certificate.nonceRule || '(none)'} for its contributions`);
    else {
      problems.push(...contributionProblems(certificate.manifestSha256, certificate.nonceContributions).map((p) => `nonce: ${p}`));
      if (!combineContributions(certificate.manifestSha256, certificate.nonceContributions).equals(Buffer.from(certificate.nonce))) {
        problems.push('nonce: not the combination of its recorded contributions');
      }
    }
  }
  return problems;
}
