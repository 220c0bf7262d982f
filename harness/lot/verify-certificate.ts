// The checks of a lot certificate that need more than the certificate: with
// the unit attestations, each referenced document is present by digest and
// verifies through the one verification; with the manifest, the sample is
// recomputed. The certificate's own checks are in outcome.ts.
import path from 'node:path';
import type { LotCertificate } from '../../attestations/lot-certificate.js';
import { packageRoot } from '../provenance.js';
import { verifyDocumentBytes, type TrustedKeys } from '../verify/document.js';
import { readUnitAttestations } from './certificate.js';
import { readManifestFile } from './manifest.js';
import { drawSample, fixedCountPlan, PLANS } from './sampling.js';

export const PROTO_DIR = () => path.join(packageRoot(), 'proto', 'tppverify', 'v1');

export async function certificateContextProblems(
  certificate: LotCertificate,
  trust: TrustedKeys,
  attestationsDir?: string,
  manifestFile?: string,
): Promise<string[]> {
  const problems: string[] = [];
  if (attestationsDir) {
    // An unreadable entry is not looked at; a unit whose attestation it was shows below as missing.
    const byDigest = new Map<string, ReturnType<typeof verifyDocumentBytes>>();
    for (const { bytes } of (await readUnitAttestations(attestationsDir)).files) {
      const outcome = verifyDocumentBytes(bytes, trust);
      if (outcome.digest) byDigest.set(outcome.digest, outcome);
    }
    for (const unit of certificate.units.filter((u) => u.status === 'valid')) {
      const outcome = byDigest.get(unit.attestationSha256);
      if (!outcome) {
        problems.push(`unit ${unit.serial}: its attestation ${unit.attestationSha256.slice(0, 12)}… is not in ${attestationsDir}`);
        continue;
      }
      const statement = outcome.kind === 'attestation' ? outcome.statement : null;
      const serial = statement?.subject[0]?.identity.find((f) => f.name === 'serial')?.value;
      if (!outcome.valid || !statement) problems.push(`unit ${unit.serial}: its attestation does not verify: ${outcome.reasons.join('; ') || 'not a unit attestation'}`);
      else if (serial !== unit.serial) problems.push(`unit ${unit.serial}: its attestation is for serial ${serial ?? '(none)'}`);
      else if (statement.predicate.declaration.sha256 !== certificate.declarationSha256) problems.push(`unit ${unit.serial}: its attestation is for another declaration`);
      else if (statement.predicate.verdict.outcome !== unit.verdict) problems.push(`unit ${unit.serial}: verdict ${statement.predicate.verdict.outcome}, certificate says ${unit.verdict}`);
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
  return problems;
}
