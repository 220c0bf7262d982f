// Offline checks of a lot certificate: its outcome follows from its units;
// with the unit attestations, each referenced file is present by digest and
// verifies; with the manifest, the sample is recomputed.
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { sha256Hex } from '../../attestations/statement.js';
import { verifyAttestationBytes } from '../../attestations/verify.js';
import { packageRoot } from '../provenance.js';
import { decodeCertificate, lotOutcome, readUnitAttestations, type LotCertificate } from './certificate.js';
import { readManifestFile } from './manifest.js';
import { combineContributions, contributionProblems, drawSample, fixedCountPlan, NONCE_RULE, PLANS } from './sampling.js';

export const PROTO_DIR = () => path.join(packageRoot(), 'proto', 'tppverify', 'v1');

export interface CertificateCheck {
  certificate: LotCertificate | null;
  problems: string[];
}

export async function checkCertificate(
  payload: Uint8Array,
  trusted: ReadonlyMap<string, KeyObject>,
  attestationsDir?: string,
  manifestFile?: string,
): Promise<CertificateCheck> {
  let certificate: LotCertificate;
  try {
    certificate = decodeCertificate(payload, PROTO_DIR());
  } catch (error) {
    return { certificate: null, problems: [`payload is not a lot certificate: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  const expected = lotOutcome(certificate.units);
  if (expected.outcome !== certificate.outcome) problems.push(`the recorded outcome ${certificate.outcome} does not follow from its units (${expected.outcome})`);

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

  if (attestationsDir) {
    // An unreadable entry is not looked at; a unit whose attestation it was shows below as missing.
    const byDigest = new Map<string, Uint8Array>();
    for (const { bytes } of (await readUnitAttestations(attestationsDir)).files) byDigest.set(sha256Hex(bytes), bytes);
    for (const unit of certificate.units.filter((u) => u.status === 'valid')) {
      const bytes = byDigest.get(unit.attestationSha256);
      if (!bytes) {
        problems.push(`unit ${unit.serial}: its attestation ${unit.attestationSha256.slice(0, 12)}… is not in ${attestationsDir}`);
        continue;
      }
      const outcome = verifyAttestationBytes(bytes, trusted);
      const serial = outcome.statement?.subject[0]?.identity.find((f) => f.name === 'serial')?.value;
      if (!outcome.valid) problems.push(`unit ${unit.serial}: its attestation does not verify: ${outcome.reasons.join('; ')}`);
      else if (serial !== unit.serial) problems.push(`unit ${unit.serial}: its attestation is for serial ${serial ?? '(none)'}`);
      else if (outcome.statement?.predicate.declaration.sha256 !== certificate.declarationSha256) problems.push(`unit ${unit.serial}: its attestation is for another declaration`);
      else if (outcome.statement?.predicate.verdict.outcome !== unit.verdict) problems.push(`unit ${unit.serial}: verdict ${outcome.statement?.predicate.verdict.outcome}, certificate says ${unit.verdict}`);
    }
  }

  if (manifestFile) {
    const { manifest, sha256 } = await readManifestFile(manifestFile);
    if (sha256 !== certificate.manifestSha256) problems.push(`the manifest's SHA-256 ${sha256.slice(0, 12)}… is not the certificate's ${certificate.manifestSha256.slice(0, 12)}…`);
    const fixed = /^fixed-(\d+)$/.exec(certificate.plan);
    const plan = PLANS[certificate.plan] ?? (fixed ? fixedCountPlan(Number(fixed[1])) : undefined);
    if (!plan) problems.push(`unknown sampling plan ${certificate.plan}`);
    else {
      // The sample is recomputed from the nonce, which above was recomputed from the contributions.
      const sample = drawSample(manifest, sha256, Buffer.from(certificate.nonce), plan).sampled.map((u) => u.serial);
      const listed = certificate.units.map((u) => u.serial);
      if (sample.join('\n') !== listed.join('\n')) problems.push('the units listed are not the sample the manifest and nonce give');
    }
  }
  return { certificate, problems };
}
