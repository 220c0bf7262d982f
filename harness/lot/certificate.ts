// Lot certificates: every sampled unit needs a valid attestation for the
// lot's declaration, matched by serial (and UUID when both are known).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import protobuf from 'protobufjs';
import { sha256Hex } from '../../attestations/statement.js';
import { fsReason } from '../../attestations/errors.js';
import { readAttestationFile, verifyAttestationBytes } from '../../attestations/verify.js';
import { UsageError } from '../errors.js';
import type { LotManifest, LotUnit } from './manifest.js';
import type { LotSample, NonceContribution } from './sampling.js';

export const CERTIFICATE_PAYLOAD_TYPE = 'application/vnd.tppverify.lot-certificate.v1+protobuf';

export type UnitStatus = 'valid' | 'missing' | 'invalid';
export type LotOutcome = 'certified' | 'rejected' | 'incomplete';

export interface UnitAttestation {
  serial: string;
  attestationSha256: string;
  status: UnitStatus;
  verdict: string;
  detail: string;
}

export interface LotCertificate {
  lotId: string;
  manifestSha256: string;
  declarationSha256: string;
  plan: string;
  planDescription: string;
  nonce: Uint8Array;
  lotSize: number;
  units: UnitAttestation[];
  outcome: LotOutcome;
  reasons: string[];
  issuedAt: string;
  ignoredSerials: string[];
  /** NONCE_RULE when the nonce was combined from contributions, else empty. */
  nonceRule: string;
  nonceContributions: NonceContribution[];
}

interface FoundAttestation {
  file: string;
  sha256: string;
  serial: string;
  uuid: string;
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

/** Every *.dsse.pb in a folder of unit attestations, in name order. */
export async function readUnitAttestations(dir: string): Promise<UnitAttestationFiles> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new UsageError(`cannot read the attestations folder ${dir}: ${fsReason(error)}`);
  }
  const out: UnitAttestationFiles = { files: [], skipped: [] };
  for (const name of names.filter((n) => n.endsWith('.dsse.pb')).sort()) {
    const file = path.join(dir, name);
    try {
      const content = await readAttestationFile(file);
      if ('bytes' in content) out.files.push({ file, bytes: content.bytes });
      else out.skipped.push({ file, reason: `${content.tooLargeBytes} bytes: too large to be an attestation` });
    } catch (error) {
      out.skipped.push({ file, reason: (error as Error).message });
    }
  }
  return out;
}

function scanAttestations(files: UnitAttestationFiles['files'], trusted: ReadonlyMap<string, KeyObject>): FoundAttestation[] {
  const found: FoundAttestation[] = [];
  for (const { file, bytes } of files) {
    const outcome = verifyAttestationBytes(bytes, trusted);
    const statement = outcome.statement;
    const fact = (key: string) => statement?.subject[0]?.identity.find((f) => f.name === key)?.value ?? '';
    found.push({
      file,
      sha256: sha256Hex(bytes),
      serial: fact('serial'),
      uuid: fact('uuid'),
      declarationSha256: statement?.predicate.declaration.sha256 ?? '',
      valid: outcome.valid,
      verdict: statement?.predicate.verdict.outcome ?? '',
      reasons: outcome.reasons,
    });
  }
  return found;
}

/** The outcome the unit statuses imply: what verify recomputes. */
export function lotOutcome(units: readonly UnitAttestation[]): { outcome: LotOutcome; reasons: string[] } {
  const reasons: string[] = [];
  for (const u of units) {
    if (u.status !== 'valid') reasons.push(`unit ${u.serial}: ${u.status}${u.detail ? ` (${u.detail})` : ''}`);
    else if (u.verdict !== 'consistent') reasons.push(`unit ${u.serial}: verdict ${u.verdict}`);
  }
  const rejected = units.some((u) => u.status === 'valid' && (u.verdict === 'under-declared' || u.verdict === 'over-declared'));
  const incomplete = units.some((u) => u.status !== 'valid' || u.verdict === 'inconclusive');
  return { outcome: rejected ? 'rejected' : incomplete ? 'incomplete' : 'certified', reasons };
}

function matches(unit: LotUnit, a: FoundAttestation): boolean {
  return a.serial === unit.serial && (!unit.uuid || !a.uuid || unit.uuid === a.uuid);
}

export async function certifyLot(
  manifest: LotManifest,
  sample: LotSample,
  attestations: UnitAttestationFiles,
  trusted: ReadonlyMap<string, KeyObject>,
  /** Why a unit has no attestation, where the caller knows (lot run: the unit's failed run). */
  failures: ReadonlyMap<string, string> = new Map(),
): Promise<LotCertificate> {
  const found = scanAttestations(attestations.files, trusted);
  const units: UnitAttestation[] = sample.sampled.map((unit) => {
    const candidates = found.filter((a) => matches(unit, a));
    const usable = candidates.find((a) => a.valid && a.declarationSha256 === manifest.declarationSha256);
    if (usable) return { serial: unit.serial, attestationSha256: usable.sha256, status: 'valid', verdict: usable.verdict, detail: path.basename(usable.file) };
    const other = candidates[0];
    const failure = failures.get(unit.serial);
    if (!other) return { serial: unit.serial, attestationSha256: '', status: 'missing', verdict: '', detail: `no attestation for this serial${failure ? `: ${failure}` : ''}` };
    const detail = !other.valid
      ? `${path.basename(other.file)} does not verify: ${other.reasons.join('; ')}`
      : `${path.basename(other.file)} attests declaration ${other.declarationSha256.slice(0, 12)}…, not the lot's ${manifest.declarationSha256.slice(0, 12)}…`;
    return { serial: unit.serial, attestationSha256: other.sha256, status: 'invalid', verdict: '', detail };
  });
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

let certificateType: protobuf.Type | undefined;

function certificateSchema(protoDir: string): protobuf.Type {
  certificateType ??= protobuf.loadSync(path.join(protoDir, 'lot.proto')).lookupType('tppverify.v1.LotCertificate');
  return certificateType;
}

export function encodeCertificate(certificate: LotCertificate, protoDir: string): Uint8Array {
  const type = certificateSchema(protoDir);
  return type.encode(type.fromObject(certificate as unknown as Record<string, unknown>)).finish();
}

export function decodeCertificate(bytes: Uint8Array, protoDir: string): LotCertificate {
  const type = certificateSchema(protoDir);
  return type.toObject(type.decode(bytes), { longs: Number, defaults: true, arrays: true }) as unknown as LotCertificate;
}
