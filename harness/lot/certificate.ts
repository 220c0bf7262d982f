// Lot certificates: every sampled unit needs a valid attestation for the
// lot's declaration, matched by serial (and UUID when both are known). The
// outcome depends on the attestations' content only, never on file names or
// the order a folder lists them in.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fsReason } from '../../attestations/errors.js';
import { readAttestationFile } from '../../attestations/document-file.js';
import type { LotCertificate, UnitAttestation } from '../../attestations/lot-certificate.js';
import { UsageError } from '../errors.js';
import { verifyDocumentBytes, type TrustedKeys } from '../verify/document.js';
import type { LotManifest, LotUnit } from './manifest.js';
import { lotOutcome } from './outcome.js';
import type { LotSample } from './sampling.js';

export { CERTIFICATE_PAYLOAD_TYPE, decodeCertificate, encodeCertificate } from '../../attestations/lot-certificate.js';
export type { LotCertificate, LotOutcome, UnitAttestation, UnitStatus } from '../../attestations/lot-certificate.js';
export { lotOutcome } from './outcome.js';

interface FoundAttestation {
  file: string;
  sha256: string;
  serial: string;
  uuid: string;
  pdi: string;
  declarationSha256: string;
  valid: boolean;
  verdict: string;
  reasons: string[];
}

export interface UnitAttestationFiles {
  files: { file: string; bytes: Uint8Array }[];
  /** Entries that could not be read (a dangling link, a folder, no permission): one bad entry does not stop the lot. */
  skipped: { file: string; reason: string }[];
}

/** Every *.dsse.pb and *.dsse.json in a folder of unit attestations. */
export async function readUnitAttestations(dir: string): Promise<UnitAttestationFiles> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new UsageError(`cannot read the attestations folder ${dir}: ${fsReason(error)}`);
  }
  const out: UnitAttestationFiles = { files: [], skipped: [] };
  for (const name of names.filter((n) => n.endsWith('.dsse.pb') || n.endsWith('.dsse.json')).sort()) {
    const file = path.join(dir, name);
    try {
      const content = readAttestationFile(file);
      if ('bytes' in content) out.files.push({ file, bytes: content.bytes });
      else out.skipped.push({ file, reason: `${content.tooLargeBytes} bytes: too large to be an attestation` });
    } catch (error) {
      out.skipped.push({ file, reason: (error as Error).message });
    }
  }
  return out;
}

/** Each file through the one verification; the two renderings of one document count once (same digest). */
export function scanAttestations(files: UnitAttestationFiles['files'], trust: TrustedKeys): FoundAttestation[] {
  const found: FoundAttestation[] = [];
  for (const { file, bytes } of files) {
    const outcome = verifyDocumentBytes(bytes, trust);
    const statement = outcome.kind === 'attestation' ? outcome.statement : null;
    const fact = (key: string) => statement?.subject[0]?.identity.find((f) => f.name === key)?.value ?? '';
    found.push({
      file,
      sha256: outcome.digest ?? '',
      serial: fact('serial'),
      uuid: fact('uuid'),
      pdi: fact('pdi'),
      declarationSha256: statement?.predicate.declaration.sha256 ?? '',
      valid: outcome.valid && statement !== null,
      verdict: statement?.predicate.verdict.outcome ?? '',
      reasons: outcome.kind === 'lot-certificate' ? ['a lot certificate, not a unit attestation'] : outcome.reasons,
    });
  }
  return found;
}

const PDI_TEXT = /^0x[0-9a-f]{1,16}$/i;

export function samePdi(a: string, b: string): boolean {
  return PDI_TEXT.test(a) && PDI_TEXT.test(b) && BigInt(a) === BigInt(b);
}

/** By PDI where both know it (and the serial still the unit's), else by serial and UUID. */
function matches(unit: LotUnit, a: FoundAttestation): boolean {
  if (unit.pdi && a.pdi) return samePdi(unit.pdi, a.pdi) && a.serial === unit.serial;
  return a.serial === unit.serial && (!unit.uuid || !a.uuid || unit.uuid === a.uuid);
}

const names = (list: readonly FoundAttestation[]) => [...new Set(list.map((a) => path.basename(a.file)))].sort().join(', ');

/** One sampled unit's entry: the one document found for it, or why there is none to use. */
function unitEntry(unit: LotUnit, candidates: readonly FoundAttestation[], declarationSha256: string, failure: string | undefined): UnitAttestation {
  const distinct = [...new Set(candidates.map((a) => a.sha256 || a.file))];
  if (candidates.length === 0) return { serial: unit.serial, attestationSha256: '', status: 'missing', verdict: '', detail: `no attestation for this serial${failure ? `: ${failure}` : ''}` };
  if (distinct.length > 1) {
    // Which one counts must not depend on file names: none does, and every file is named.
    return { serial: unit.serial, attestationSha256: '', status: 'invalid', verdict: '', detail: `${distinct.length} different attestations name this serial: ${names(candidates)}` };
  }
  const a = candidates[0]!;
  if (!a.valid) return { serial: unit.serial, attestationSha256: a.sha256, status: 'invalid', verdict: '', detail: `${names(candidates)} does not verify: ${a.reasons.join('; ')}` };
  if (a.declarationSha256 !== declarationSha256) {
    return { serial: unit.serial, attestationSha256: a.sha256, status: 'invalid', verdict: '', detail: `${names(candidates)} attests declaration ${a.declarationSha256.slice(0, 12)}…, not the lot's ${declarationSha256.slice(0, 12)}…` };
  }
  return { serial: unit.serial, attestationSha256: a.sha256, status: 'valid', verdict: a.verdict, detail: names(candidates) };
}

export async function certifyLot(
  manifest: LotManifest,
  sample: LotSample,
  attestations: UnitAttestationFiles,
  trust: TrustedKeys,
  /** Why a unit has no attestation, where the caller knows (lot run: the unit's failed run). */
  failures: ReadonlyMap<string, string> = new Map(),
): Promise<LotCertificate> {
  const found = scanAttestations(attestations.files, trust);
  const units = sample.sampled.map((unit) => unitEntry(unit, found.filter((a) => matches(unit, a)), manifest.declarationSha256, failures.get(unit.serial)));
  const sampled = new Set(sample.sampled.map((u) => u.serial));
  const ignoredSerials = [...new Set(found.filter((a) => a.serial && !sampled.has(a.serial)).map((a) => a.serial))].sort();
  const { outcome, reasons } = lotOutcome(units);
  return {
    lotId: manifest.lotId,
    manifestSha256: sample.manifestSha256,
    declarationSha256: manifest.declarationSha256,
    plan: sample.plan,
    planDescription: sample.planDescription,
    nonce: Buffer.from(sample.nonceHex, 'hex'),
    lotSize: sample.lotSize,
    units,
    outcome,
    reasons,
    issuedAt: new Date().toISOString(),
    ignoredSerials,
    nonceRule: sample.nonceRule,
    nonceContributions: sample.contributions,
  };
}
