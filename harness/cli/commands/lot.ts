// `tppverify lot plan MANIFEST --nonce HEX [--sample N | --plan NAME]`
import { parseNonce } from '../../attest.js';
import { UsageError } from '../../errors.js';
import { readManifestFile } from '../../lot/manifest.js';
import { drawSample, fixedCountPlan, PLANS, Z14_GENERAL_LEVEL_II, type LotSample, type NonceContribution, type SamplePlan } from '../../lot/sampling.js';
import { makeCommitment, makeDraw, parseParty, parseRole, readCommitment, readDraw, readReveal } from '../../lot/draw.js';
import type { LotManifest } from '../../lot/manifest.js';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkOutputDir, checkOutputFile, writeFileAtomic, writeFilesAtomic } from '../../../attestations/atomic-write.js';
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
import { MeasurementError } from '../../errors.js';
import { checkDeclaration, groupByServer, lotFolders, runLotOnScheduler } from '../../fleet/lot-run.js';
import { SlurmScheduler } from '../../fleet/slurm.js';
import { runServerJob } from '../../fleet/server-job.js';
import { kubernetesManifests } from '../../fleet/kubernetes.js';

const MAX_LOT_ID_IN_FILE_NAME = 80;

export interface LotPlanOptions {
  nonce?: string;
  /** A draw file (`lot draw`): the nonce combined from every party's contribution. */
  draw?: string;
  sample?: number;
  plan?: string;
  json: boolean;
}

/**
 * The nonce and where it came from: a draw no single party chose (--draw),
 * or a nonce one party gave (--nonce, kept for lots drawn before the rule;
 * the certificate then records no contributions).
 */
export function sampleNonce(options: LotPlanOptions, manifestSha256: string, command: string): { nonce: Buffer; contributions: NonceContribution[] } {
  if (options.nonce !== undefined && options.draw !== undefined) throw new UsageError('give --draw or --nonce, not both');
  if (options.draw !== undefined) {
    const draw = readDraw(options.draw, manifestSha256);
    return { nonce: Buffer.from(draw.nonce, 'hex'), contributions: draw.contributions };
  }
  if (options.nonce === undefined) throw new UsageError(`${command} needs --draw (from 'lot draw') or --nonce: the sample must be reproducible`);
  return { nonce: parseNonce(options.nonce), contributions: [] };
}

/** The plan's sample, from the manifest and the nonce's source. */
export function sampleOf(manifest: LotManifest, manifestSha256: string, options: LotPlanOptions, command: string): LotSample {
  const plan = choosePlan(options);
  const { nonce, contributions } = sampleNonce(options, manifestSha256, command);
  return drawSample(manifest, manifestSha256, nonce, plan, contributions);
}

export function choosePlan(options: LotPlanOptions): SamplePlan {
  if (options.sample !== undefined && options.plan !== undefined) throw new UsageError('give --sample or --plan, not both');
  if (options.sample !== undefined) return fixedCountPlan(options.sample);
  if (options.plan === undefined) return Z14_GENERAL_LEVEL_II;
  const plan = PLANS[options.plan];
  if (!plan) throw new UsageError(`unknown plan '${options.plan}' (known: ${Object.keys(PLANS).join(', ')})`);
  return plan;
}

export async function runLotPlan(file: string, options: LotPlanOptions, io: CliIo): Promise<void> {
  const plan = choosePlan(options);
  if (options.nonce === undefined && options.draw === undefined) throw new UsageError('lot plan needs --draw (from \'lot draw\') or --nonce: the sample must be reproducible');
  const { manifest, sha256 } = await readManifestFile(file);
  const sample = sampleOf(manifest, sha256, options, 'lot plan');
  if (options.json) {
    io.out(JSON.stringify({ schema: 'tppverify.lot-plan.v1', lotId: manifest.lotId, ...sample }) + '\n');
    return;
  }
  io.out(`lot ${manifest.lotId}: ${sample.sampled.length} of ${sample.lotSize} units (${plan.description})\n`);
  io.out(`manifest SHA-256 ${sha256}, nonce ${sample.nonceHex}\n`);
  io.out(nonceSourceLine(sample));
  for (const unit of sample.sampled) io.out(`  ${unit.serial}${unit.uuid ? `  ${unit.uuid}` : ''}${unit.host ? `  on ${unit.host}${unit.pciBusId ? ` ${unit.pciBusId}` : ''}` : ''}\n`);
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
  if (options.nonce === undefined && options.draw === undefined) throw new UsageError("lot certify needs --draw (from 'lot draw') or --nonce: the sample must be the one planned");
  const plan = choosePlan(options);
  const key = await loadSigningKey(options.key, passphraseFrom(options.passphraseEnv));
  const trusted = await loadTrustedKeys(options.pubkey, options.trust);
  trusted.set(key.keyId, key.publicKey);
  const { manifest, sha256 } = await readManifestFile(file);
  const sample = sampleOf(manifest, sha256, options, 'lot certify');
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

function nonceSourceLine(sample: LotSample): string {
  if (!sample.contributions.length) return 'nonce given by one party (--nonce), not drawn from contributions\n';
  return `nonce drawn by ${sample.nonceRule} from ${sample.contributions.map((c) => `${c.party} (${c.role})`).join(', ')}\n`;
}

export interface LotCommitOptions {
  party: string;
  role: string;
  out: string;
  json: boolean;
}

/**
 * `tppverify lot commit MANIFEST --party NAME --role ROLE --out DIR`: one
 * party's secret contribution (DIR/NAME.reveal.json, mode 0600, kept until
 * every commitment is published) and its public commitment
 * (DIR/NAME.commitment.json), which binds the manifest's digest and the time.
 */
export async function runLotCommit(file: string, options: LotCommitOptions, io: CliIo): Promise<void> {
  const party = parseParty(options.party);
  const role = parseRole(options.role);
  const { manifest, sha256 } = await readManifestFile(file);
  await checkOutputDir(options.out);
  await mkdir(options.out, { recursive: true });
  const { commitment, reveal } = makeCommitment(manifest.lotId, sha256, party, role);
  const commitmentFile = path.join(options.out, `${party}.commitment.json`);
  const revealFile = path.join(options.out, `${party}.reveal.json`);
  // Exclusive: a second commitment by the same party would be a second chance to steer.
  for (const existing of [commitmentFile, revealFile]) {
    if (await stat(existing).then(() => true, () => false)) throw new UsageError(`${existing} exists: ${party} has committed to this lot already`);
  }
  await writeFileAtomic(revealFile, JSON.stringify(reveal, null, 2) + '\n', { exclusive: true, mode: 0o600 });
  await writeFileAtomic(commitmentFile, JSON.stringify(commitment, null, 2) + '\n', { exclusive: true });
  if (options.json) {
    io.out(JSON.stringify({ commitmentFile, revealFile, ...commitment }) + '\n');
    return;
  }
  io.out(`${party} (${role}) committed to lot ${manifest.lotId} (manifest SHA-256 ${sha256}) at ${commitment.committedAt}\n`);
  io.out(`publish ${commitmentFile}\nkeep ${revealFile} secret until every party's commitment is published\n`);
}

export interface LotDrawOptions {
  commitment: string[];
  reveal: string[];
  out: string;
  json: boolean;
}

/** `tppverify lot draw MANIFEST --commitment F... --reveal F... --out DRAW`: the nonce from every party's contribution. */
export async function runLotDraw(file: string, options: LotDrawOptions, io: CliIo): Promise<void> {
  const { manifest, sha256 } = await readManifestFile(file);
  const commitments = options.commitment.map(readCommitment);
  const reveals = options.reveal.map(readReveal);
  const draw = makeDraw(manifest.lotId, sha256, commitments, reveals);
  await checkOutputFile(options.out, [file, ...options.commitment, ...options.reveal]);
  // The draw is a function of its inputs: writing it again writes the same bytes.
  await writeFileAtomic(options.out, JSON.stringify(draw, null, 2) + '\n');
  if (options.json) {
    io.out(JSON.stringify({ draw: options.out, ...draw }) + '\n');
    return;
  }
  io.out(`lot ${manifest.lotId}: nonce ${draw.nonce} (${draw.rule})\n`);
  for (const c of draw.contributions) io.out(`  ${c.party} (${c.role}) committed ${c.committedAt}: ${c.commitment}\n`);
  io.out(`wrote ${options.out}\n`);
}

export interface LotRunOptions extends LotPlanOptions {
  scheduler: string;
  partition?: string;
  account?: string;
  declaration?: string;
  key?: string;
  passphraseEnv?: string;
  pubkey: string[];
  out: string;
  gpusPerServer: number;
  maxRequeues: number;
  unitsAtOnce?: number;
  quick: boolean;
  arrayMib?: number;
  secondsPerTrial?: number;
  sustainedSeconds?: number;
  phaseTimeout?: number;
  /** false: every unit run records failed preflight checks instead of refusing (run --no-strict). */
  strict?: boolean;
  print: boolean;
  image?: string;
}

/** The `tppverify run` options every unit's run gets. */
function unitRunArgs(options: LotRunOptions): string[] {
  return [
    ...(options.quick ? ['--quick'] : []),
    ...(options.arrayMib !== undefined ? ['--array-mib', String(options.arrayMib)] : []),
    ...(options.secondsPerTrial !== undefined ? ['--seconds-per-trial', String(options.secondsPerTrial)] : []),
    ...(options.sustainedSeconds !== undefined ? ['--sustained-seconds', String(options.sustainedSeconds)] : []),
    ...(options.phaseTimeout !== undefined ? ['--phase-timeout', String(options.phaseTimeout)] : []),
    ...(options.strict === false ? ['--no-strict'] : []),
  ];
}

/**
 * `tppverify lot run MANIFEST (--draw FILE | --nonce HEX) --scheduler slurm|kubernetes …`:
 * the sampled units measured on their servers, then the lot certificate.
 */
export async function runLotRun(file: string, options: LotRunOptions, io: CliIo): Promise<void> {
  if (options.nonce === undefined && options.draw === undefined) throw new UsageError("lot run needs --draw (from 'lot draw') or --nonce: the sample must be reproducible");
  if (options.scheduler !== 'slurm' && options.scheduler !== 'kubernetes') throw new UsageError(`--scheduler must be slurm or kubernetes, not '${options.scheduler.slice(0, 40)}'`);
  const { manifest, sha256 } = await readManifestFile(file);
  const sample = sampleOf(manifest, sha256, options, 'lot run');
  const servers = groupByServer(sample.sampled);
  if (options.scheduler === 'kubernetes') {
    if (!options.print) throw new UsageError('--scheduler kubernetes only prints its Job manifests (--print): this harness has never run them on a cluster');
    if (!options.image) throw new UsageError('--scheduler kubernetes --print needs --image: the container image holding tppverify');
    io.out(kubernetesManifests(manifest, sample, servers, { image: options.image, gpusPerServer: options.gpusPerServer, runArgs: unitRunArgs(options) }));
    return;
  }
  if (options.print) throw new UsageError('--print applies to --scheduler kubernetes');
  if (!options.declaration) throw new UsageError("lot run needs --declaration: the exporter's declaration the manifest names");
  if (!options.key) throw new UsageError("lot run needs --key: the lab's signing key, for every unit's attestation and the certificate");
  await checkDeclaration(options.declaration, manifest);
  const key = await loadSigningKey(options.key, passphraseFrom(options.passphraseEnv));
  const trusted = await loadTrustedKeys(options.pubkey, undefined);
  trusted.set(key.keyId, key.publicKey);
  await checkOutputDir(options.out);
  const log = (line: string) => io.err(`tppverify: ${line}\n`);
  const result = await runLotOnScheduler(
    {
      manifest,
      sample,
      declarationFile: options.declaration,
      key,
      keyFile: options.key,
      ...(options.passphraseEnv ? { passphraseEnv: options.passphraseEnv } : {}),
      pubkeys: options.pubkey,
      outDir: options.out,
      runArgs: unitRunArgs(options),
      gpusPerServer: options.gpusPerServer,
      maxRequeues: options.maxRequeues,
      ...(options.unitsAtOnce !== undefined ? { concurrency: options.unitsAtOnce } : {}),
    },
    new SlurmScheduler({ ...(options.partition ? { partition: options.partition } : {}), ...(options.account ? { account: options.account } : {}) }),
    log,
  );
  const failures = new Map(result.units.filter((u) => u.status === 'failed').map((u) => [u.serial, u.reason]));
  const attestations = await readUnitAttestations(lotFolders(options.out).attestations);
  const certificate = await certifyLot(manifest, sample, attestations, { keys: trusted, threshold: 1 }, failures);
  const envelope = signEnvelope(encodeCertificate(certificate), CERTIFICATE_PAYLOAD_TYPE, [key]);
  const lotName = manifest.lotId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_LOT_ID_IN_FILE_NAME);
  const stem = path.join(options.out, `lot-${lotName}-${certificate.issuedAt.replace(/[-:]/g, '')}`);
  await writeFilesAtomic([
    { file: `${stem}.dsse.pb`, data: encodeEnvelope(envelope) },
    { file: `${stem}.dsse.json`, data: envelopeToJson(envelope) + '\n' },
  ]);
  if (options.json) {
    io.out(JSON.stringify({ schema: 'tppverify.lot-run.v1', lotId: manifest.lotId, scheduler: 'slurm', jobs: result.jobs, units: result.units, certificate: `${stem}.dsse.pb`, outcome: certificate.outcome, reasons: certificate.reasons }) + '\n');
  } else {
    io.out(`lot ${manifest.lotId}: ${sample.sampled.length} sampled units on ${servers.length} servers, ${result.jobs.length} jobs\n`);
    for (const job of result.jobs) io.out(`  job ${job.jobId} on ${job.host}: ${job.state}${job.exitCode ? ` ${job.exitCode}` : ''}${job.restarts ? `, requeued ${job.restarts}×` : ''}${job.note ? `, ${job.note}` : ''}\n`);
    for (const unit of result.units) io.out(`  ${unit.serial} on ${unit.host}: ${unit.status}${unit.reason ? `: ${unit.reason}` : ''}\n`);
    io.out(`certificate ${stem}.dsse.pb: ${certificate.outcome.toUpperCase()}\n`);
  }
  const failed = result.units.filter((u) => u.status === 'failed');
  if (failed.length) throw new MeasurementError(`${failed.length} of ${result.units.length} sampled units have no attestation: ${failed.map((u) => u.serial).join(', ')}; rerun lot run to measure only those`);
}

/** `tppverify lot run-server --spec FILE`: what each server's job runs (written by lot run; not for use by hand). */
export async function runLotRunServer(options: { spec: string }, io: CliIo): Promise<void> {
  await runServerJob(options.spec, (line) => io.err(`tppverify: ${line}\n`));
}
