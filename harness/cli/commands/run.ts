// `tppverify run`: measure, evaluate, decide and write a signed attestation.
import type { TestLevel } from '../../../benchmarks/levels.js';
import path from 'node:path';
import { readDeclarationFile } from '../../declaration/declaration.js';
import { attest, parseNonce, type AttestResult } from '../../attest.js';
import { formatDeviceId, listBackends, parseDeviceId, type DeviceEntry } from '../../devices.js';
import { DeviceUnavailableError, EXIT_FAIL_ON, EXIT_OK, MeasurementError, TppverifyError, UsageError } from '../../errors.js';
import type { Outcome } from '../../verdict/verdict.js';
import { checkOutputDir } from '../../../attestations/atomic-write.js';
import { loadSigningKey } from '../../../attestations/keys.js';
import { EMPTY_LAB, labFieldFromOption, readLabFile, type LabInfo } from '../../lab.js';
import { pickDevice } from '../../measure.js';
import { passphraseFrom } from '../passphrase.js';
import type { CliIo } from '../io.js';
import { progressLine } from '../progress.js';
import { boundedLine } from '../escape.js';
import { renderSummary } from './verify.js';
import { readIntakeFile } from '../../identity/intake.js';
import { readOcspResponse, readReferenceManifest } from './evidence.js';
import { parseTsaUrl, TimestampError } from '../../../attestations/rfc3161.js';

/** The --json output's schema (schemas/run.v1.schema.json). */
export const RUN_SCHEMA = 'tppverify.run.v1';

function tsaUrlFromOption(text: string): string {
  try {
    return parseTsaUrl(text);
  } catch (error) {
    if (error instanceof TimestampError) throw new UsageError(error.message);
    throw error;
  }
}
import { findUnit, parseUnitSelector } from '../../fleet/find-unit.js';

export interface RunOptions {
  declaration?: string;
  device?: string;
  key?: string;
  passphraseEnv?: string;
  out: string;
  lab?: string;
  operator?: string;
  exporter?: string;
  filingReference?: string;
  nonce?: string;
  /** An RFC 3161 timestamp authority's URL. */
  tsa?: string;
  level: TestLevel;
  /** When the lab received the item, YYYY-MM-DD. */
  receivedOn?: string;
  json: boolean;
  arrayMib?: number;
  secondsPerTrial?: number;
  /** The sustained phase's timed seconds instead of the level's (a recorded deviation). */
  sustainedSeconds?: number;
  /** undefined: strict when signing with a lab key. */
  strict?: boolean;
  /** Time limit of each isolated measurement phase, in seconds. */
  phaseTimeoutSeconds?: number;
  /** The operator's intake record of the board (one board: not with --device all). */
  intake?: string;
  /** Reference integrity manifests and OCSP responses to archive with SPDM evidence. */
  rim?: string[];
  ocsp?: string[];
  /** Several devices: measure them all at once, one isolated child per device, instead of one after another. */
  parallel?: boolean;
  /** Outcomes that make the command exit EXIT_FAIL_ON once the attestation is written. */
  failOn?: Outcome[];
}

interface RunTarget {
  entry: DeviceEntry;
  stateProblems: string[];
}

/** Returns the exit code: EXIT_FAIL_ON when an attested outcome is one --fail-on names, else EXIT_OK. */
export async function runRun(options: RunOptions, io: CliIo): Promise<number> {
  // Every input is read and checked before the first measurement.
  if (options.passphraseEnv !== undefined && options.key === undefined) throw new UsageError('--passphrase-env needs --key: it unlocks that key');
  const declaration = options.declaration ? await readDeclarationFile(options.declaration) : undefined;
  const key = options.key ? await loadSigningKey(options.key, passphraseFrom(options.passphraseEnv)) : undefined;
  const lab: LabInfo = { ...(options.lab ? await readLabFile(options.lab) : EMPTY_LAB) };
  if (options.operator !== undefined) lab.operator = labFieldFromOption('--operator', options.operator);
  if (options.exporter !== undefined) lab.exporter = labFieldFromOption('--exporter', options.exporter);
  if (options.filingReference !== undefined) lab.filingReference = labFieldFromOption('--filing-reference', options.filingReference);
  const nonce = parseNonce(options.nonce);
  if (options.intake !== undefined && options.device === 'all') throw new UsageError('--intake describes one board: give --device cuda:N or hip:N, not all');
  const intake = options.intake !== undefined ? readIntakeFile(options.intake) : undefined;
  const referenceManifests = (options.rim ?? []).map(readReferenceManifest);
  const ocspResponses = (options.ocsp ?? []).map(readOcspResponse);
  const tsaUrl = options.tsa === undefined ? undefined : tsaUrlFromOption(options.tsa);
  await checkOutputDir(options.out);
  const targets = await runTargets(options.device, io);
  // Progress lines of several devices at once would overwrite each other: parallel runs report as each finishes.
  const parallel = options.parallel === true && targets.length > 1;
  const failures: string[] = [];
  const outcomes: Outcome[] = [];
  const runOne = async ({ entry, stateProblems }: RunTarget) => {
    const progress = parallel ? { update: () => {}, done: () => {} } : progressLine(io);
    try {
      const result = await attest({
        entry,
        ...(stateProblems.length ? { stateProblems } : {}),
        ...(declaration ? { declarationBytes: declaration.bytes } : {}),
        ...(key ? { key } : {}),
        lab,
        nonce,
        ...(tsaUrl ? { tsaUrl } : {}),
        level: options.level,
        ...(options.receivedOn !== undefined ? { itemReceivedOn: options.receivedOn } : {}),
        ...(options.arrayMib !== undefined ? { arrayBytes: Math.round(options.arrayMib * 2 ** 20) } : {}),
        ...(options.secondsPerTrial !== undefined ? { secondsPerTrial: options.secondsPerTrial } : {}),
        ...(options.sustainedSeconds !== undefined ? { sustainedSeconds: options.sustainedSeconds } : {}),
        ...(options.phaseTimeoutSeconds !== undefined
          ? { phaseTimeouts: { bandwidth: options.phaseTimeoutSeconds, throughput: options.phaseTimeoutSeconds, sustained: options.phaseTimeoutSeconds } }
          : {}),
        outDir: options.out,
        ...(intake ? { intake } : {}),
        ...(referenceManifests.length ? { referenceManifests } : {}),
        ...(ocspResponses.length ? { ocspResponses } : {}),
        strict: options.strict ?? key !== undefined,
        onProgress: progress.update,
      });
      progress.done();
      report(result, options, io);
      outcomes.push(result.statement.predicate.verdict.outcome);
    } catch (error) {
      progress.done();
      // One device's failure does not stop the others; the run still fails at the end.
      if (targets.length === 1 || !(error instanceof TppverifyError)) throw error;
      failures.push(`${targetName(entry)}: ${error.message}`);
      io.err(`tppverify: ${boundedLine(`${targetName(entry)}: ${error.message}`)}\n`);
    }
  };
  if (parallel) {
    // Every device's run settles before the first internal fault (if any) is rethrown.
    const settled = await Promise.allSettled(targets.map(runOne));
    const fault = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (fault) throw fault.reason;
  } else {
    for (const target of targets) await runOne(target);
  }
  if (failures.length) throw new MeasurementError(`${failures.length} of ${targets.length} devices failed: ${failures.join('; ')}`);
  const matched = outcomes.filter((o) => options.failOn?.includes(o));
  if (matched.length) {
    io.err(`tppverify: outcome ${[...new Set(matched)].join(', ')}: --fail-on ${options.failOn!.join(',')} (exit ${EXIT_FAIL_ON}; the attestation is written)\n`);
    return EXIT_FAIL_ON;
  }
  return EXIT_OK;
}

/** The device id, and for a unit found by UUID or serial that selector too (stand-ins share one device id). */
function targetName(entry: DeviceEntry): string {
  const unit = entry.device.attributes.find((a) => a.key === 'serial' || a.key === 'uuid');
  return unit && unit.source.startsWith('test stand-in') ? `${formatDeviceId(entry.target)} (${unit.key} ${String(unit.value)})` : formatDeviceId(entry.target);
}

/**
 * --device: one id (cpu, cuda:N, hip:N), `all` (every GPU), a unit found by
 * `uuid:…` or `serial:…`, or several of these separated by commas. A device
 * named twice would be measured twice at once: refused.
 */
async function runTargets(device: string | undefined, io: CliIo): Promise<RunTarget[]> {
  if (device === undefined) return [{ entry: pickDevice(undefined, (text) => io.err(`tppverify: ${text}\n`)), stateProblems: [] }];
  if (device === 'all') return everyGpu().map((entry) => ({ entry, stateProblems: [] }));
  const ids = device.split(',').map((id) => id.trim());
  if (ids.some((id) => id === '')) throw new UsageError(`--device '${device.slice(0, 80)}': an empty id in the list`);
  const targets: RunTarget[] = [];
  for (const id of ids) {
    const selector = parseUnitSelector(id);
    targets.push(selector ? await findUnit(selector) : { entry: pickDevice(id, (text) => io.err(`tppverify: ${text}\n`)), stateProblems: [] });
  }
  const seen = new Set<string>();
  for (const t of targets) {
    const name = targetName(t.entry);
    if (seen.has(name)) throw new UsageError(`--device names ${name} twice: one device is measured once per run`);
    seen.add(name);
  }
  return targets;
}

/** --device all: every GPU this build can measure, in backend then index order. */
function everyGpu(): DeviceEntry[] {
  const entries = listBackends()
    .filter((l) => l.backend !== 'cpu')
    .flatMap((l) => l.devices.filter((d) => d.measuresBandwidth && d.measuresThroughput))
    .map((device) => ({ target: parseDeviceId(device.id), device }));
  if (!entries.length) throw new DeviceUnavailableError('--device all: no GPU this build can measure is present');
  return entries;
}

function report(result: AttestResult, options: RunOptions, io: CliIo): void {
  const next = nextCommands(result);
  if (options.json) {
    io.out(
      JSON.stringify({
        schema: RUN_SCHEMA,
        attestation: result.pbFile,
        json: result.jsonFile,
        intoto: result.intotoFile,
        bundle: result.bundleFile,
        keyid: result.keyId,
        ...(result.publicKeyFile ? { publicKey: result.publicKeyFile, verifyCommand: next.verify, reportCommand: next.report } : {}),
        summary: result.summary,
        findings: result.statement.predicate.verdict.findings,
      }) + '\n',
    );
    return;
  }
  io.out(renderSummary(result.summary, result.statement.predicate.verdict.findings));
  io.out(`\nwrote ${result.pbFile}\n      ${result.jsonFile}\n      ${result.intotoFile}\n      ${result.bundleFile}\n`);
  if (!result.publicKeyFile) {
    io.out(`signed by key ${result.keyId}\n`);
    return;
  }
  io.out(`      ${result.publicKeyFile} (the ephemeral public key)\nsigned by key ${result.keyId} (ephemeral: demo, not a lab signature)\n`);
  io.out(`\ncheck it:   ${next.verify}\nread it:    ${next.report}\n`);
}

/** A word the shell passes through unchanged: quoted unless it is plainly safe. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The verify and report commands that work on a demo attestation, run from the current folder by the same node and script. */
export function nextCommands(result: AttestResult): { verify: string; report: string } {
  const absolute = path.resolve(process.argv[1] ?? 'tppverify');
  const relative = path.relative(process.cwd(), absolute);
  // From the checkout (npm start) the short relative path; from elsewhere the absolute one.
  const script = relative && !relative.startsWith('..') ? relative : absolute;
  const cli = ['node', script].map(shellWord).join(' ');
  const key = shellWord(result.publicKeyFile ?? '');
  const html = shellWord(result.pbFile.replace(/\.dsse\.pb$/, '.html'));
  return {
    verify: `${cli} verify ${shellWord(result.pbFile)} --pubkey ${key}`,
    report: `${cli} report ${shellWord(result.pbFile)} --pubkey ${key} --html ${html}`,
  };
}
