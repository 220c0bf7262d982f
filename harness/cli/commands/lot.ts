// `tppverify lot plan MANIFEST --nonce HEX [--sample N | --plan NAME]`
import { parseNonce } from '../../attest.js';
import { UsageError } from '../../errors.js';
import { readManifestFile } from '../../lot/manifest.js';
import { drawSample, fixedCountPlan, PLANS, Z14_GENERAL_LEVEL_II, type SamplePlan } from '../../lot/sampling.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { checkOutputDir, writeFilesAtomic } from '../../../attestations/atomic-write.js';
import { encodeEnvelope, envelopeToJson, signEnvelope } from '../../../attestations/dsse.js';
import { loadSigningKey, loadTrustedKeys } from '../../../attestations/keys.js';
import { CERTIFICATE_PAYLOAD_TYPE, certifyLot, encodeCertificate, readUnitAttestations } from '../../lot/certificate.js';
import { passphraseFrom } from '../passphrase.js';
import { INTOTO_PAYLOAD_TYPE } from '../../../attestations/intoto-json.js';
import { encodeLotVsa } from '../../../attestations/slsa-vsa.js';
import { DECISION_RULE } from '../../verdict/verdict.js';
import { harnessVersion } from '../../version.js';
import type { CliIo } from '../io.js';
import { boundedLine, terminalText } from '../escape.js';

const MAX_LOT_ID_IN_FILE_NAME = 80;

export interface LotPlanOptions {
  nonce?: string;
  sample?: number;
  plan?: string;
  json: boolean;
}

function choosePlan(options: LotPlanOptions): SamplePlan {
  if (options.sample !== undefined && options.plan !== undefined) throw new UsageError('give --sample or --plan, not both');
  if (options.sample !== undefined) return fixedCountPlan(options.sample);
  if (options.plan === undefined) return Z14_GENERAL_LEVEL_II;
  const plan = PLANS[options.plan];
  if (!plan) throw new UsageError(`unknown plan '${options.plan}' (known: ${Object.keys(PLANS).join(', ')})`);
  return plan;
}

export async function runLotPlan(file: string, options: LotPlanOptions, io: CliIo): Promise<void> {
  if (options.nonce === undefined) throw new UsageError("lot plan needs the lab's --nonce: the sample must be reproducible");
  const nonce = parseNonce(options.nonce);
  const plan = choosePlan(options);
  const { manifest, sha256 } = await readManifestFile(file);
  const sample = drawSample(manifest, sha256, nonce, plan);
  if (options.json) {
    io.out(JSON.stringify({ schema: 'tppverify.lot-plan.v1', lotId: manifest.lotId, ...sample }) + '\n');
    return;
  }
  io.out(`lot ${manifest.lotId}: ${sample.sampled.length} of ${sample.lotSize} units (${plan.description})\n`);
  io.out(`manifest SHA-256 ${sha256}, nonce ${sample.nonceHex}\n`);
  for (const unit of sample.sampled) io.out(`  ${unit.serial}${unit.uuid ? `  ${unit.uuid}` : ''}\n`);
}

export interface LotCertifyOptions extends LotPlanOptions {
  attestations: string;
  key: string;
  passphraseEnv?: string;
  pubkey: string[];
  trust?: string;
  out: string;
}

/** `tppverify lot certify MANIFEST --attestations DIR --key FILE --nonce HEX`: a signed lot certificate. */
export async function runLotCertify(file: string, options: LotCertifyOptions, io: CliIo): Promise<void> {
  if (options.nonce === undefined) throw new UsageError("lot certify needs the lab's --nonce: the sample must be the one planned");
  const nonce = parseNonce(options.nonce);
  const plan = choosePlan(options);
  const key = await loadSigningKey(options.key, passphraseFrom(options.passphraseEnv));
  const trusted = await loadTrustedKeys(options.pubkey, options.trust);
  trusted.set(key.keyId, key.publicKey);
  const { manifest, sha256 } = await readManifestFile(file);
  const sample = drawSample(manifest, sha256, nonce, plan);
  await checkOutputDir(options.out);
  const attestations = await readUnitAttestations(options.attestations);
  for (const { file, reason } of attestations.skipped) io.err(`tppverify: ${boundedLine(`skipped ${file}: ${reason}`)}\n`);
  const certificate = await certifyLot(manifest, sample, attestations, { keys: trusted, threshold: 1 });
  const envelope = signEnvelope(encodeCertificate(certificate), CERTIFICATE_PAYLOAD_TYPE, [key]);
  await mkdir(options.out, { recursive: true });
  // The lot id in the name is shortened: with the temp-file prefix and suffix a name must stay under 255 bytes.
  const lotName = manifest.lotId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_LOT_ID_IN_FILE_NAME);
  const stem = path.join(options.out, `lot-${lotName}-${certificate.issuedAt.replace(/[-:]/g, '')}`);
  // The same certificate as a SLSA verification summary, signed by the same key; all three files or none.
  const vsa = encodeLotVsa({ ...certificate, nonceHex: sample.nonceHex, unitDecisionRule: `${DECISION_RULE.id}@${DECISION_RULE.version}`, harnessVersion: harnessVersion() });
  await writeFilesAtomic([
    { file: `${stem}.dsse.pb`, data: encodeEnvelope(envelope) },
    { file: `${stem}.dsse.json`, data: envelopeToJson(envelope) + '\n' },
    { file: `${stem}.vsa.intoto.json`, data: envelopeToJson(signEnvelope(vsa, INTOTO_PAYLOAD_TYPE, [key])) + '\n' },
  ]);
  if (options.json) {
    io.out(JSON.stringify({ schema: 'tppverify.lot-certify.v1', certificate: `${stem}.dsse.pb`, vsa: `${stem}.vsa.intoto.json`, keyid: key.keyId, ...certificate, nonce: sample.nonceHex }) + '\n');
    return;
  }
  const t = terminalText;
  io.out(`lot ${t(manifest.lotId)}: ${certificate.outcome.toUpperCase()} (${certificate.units.length} of ${certificate.lotSize} units sampled, ${plan.description})\n`);
  for (const unit of certificate.units) io.out(`  ${t(unit.serial)}  ${unit.status}${unit.verdict ? ` ${t(unit.verdict)}` : ''}  ${t(unit.detail)}\n`);
  for (const reason of certificate.reasons) io.out(`  - ${t(reason)}\n`);
  if (certificate.ignoredSerials.length) io.out(`attestations of units outside the sample, not used: ${t(certificate.ignoredSerials.join(', '))}\n`);
  io.out(`wrote ${t(stem)}.dsse.pb\n      ${t(stem)}.dsse.json\n      ${t(stem)}.vsa.intoto.json\nsigned by key ${key.keyId}\n`);
}
