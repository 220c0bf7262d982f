// Which sampled units already have a valid attestation in the lot's folder:
// decided by the same code lot certify uses, so a rerun skips exactly the
// units a certificate would accept.
import type { KeyObject } from 'node:crypto';
import type { SigningKey } from '../../attestations/keys.js';
import { loadTrustedKeys } from '../../attestations/keys.js';
import { certifyLot, readUnitAttestations } from '../lot/certificate.js';
import type { LotUnit } from '../lot/manifest.js';

export async function trustedFor(key: SigningKey, pubkeys: readonly string[]): Promise<Map<string, KeyObject>> {
  const trusted = await loadTrustedKeys([...pubkeys], undefined);
  trusted.set(key.keyId, key.publicKey);
  return trusted;
}

/** serial → the attestation's file name, for every unit whose attestation is valid and for the lot's declaration. */
export async function attestedUnits(units: readonly LotUnit[], declarationSha256: string, dir: string, key: SigningKey, pubkeys: readonly string[]): Promise<Map<string, string>> {
  const files = await readUnitAttestations(dir);
  const manifest = { lotId: '', exporter: '', filingReference: '', declarationSha256, units: [...units] };
  const sample = { plan: '', planDescription: '', manifestSha256: '', nonceHex: '', nonceRule: '', contributions: [], lotSize: units.length, sampled: [...units] };
  const checked = await certifyLot(manifest, sample, files, { keys: await trustedFor(key, pubkeys), threshold: 1 });
  // A valid unit's detail names the files of its one document (both renderings): the protobuf one is the record.
  const recordFile = (detail: string) => detail.split(', ').find((name) => name.endsWith('.dsse.pb')) ?? detail.split(', ')[0] ?? '';
  return new Map(checked.units.filter((u) => u.status === 'valid').map((u) => [u.serial, recordFile(u.detail)]));
}
