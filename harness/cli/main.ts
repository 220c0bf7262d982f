#!/usr/bin/env node
// tppverify command line. Every command: exit 0 on success, 2 on a usage or
// input error, 3 on a measurement or device failure; errors are one line.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SETTINGS, SUITE_NAMES, type SuiteName } from '../../benchmarks/registry.js';
import { EXIT_OK, EXIT_USAGE, UsageError } from '../errors.js';
import { asTppverifyError, reportError } from './report-error.js';
import { boundedLine } from './escape.js';
import { checkBenchOptions, renderBench, runBench } from './commands/bench.js';
import { runDevices } from './commands/devices.js';
import { runTpp } from './commands/tpp.js';
import { runAudit } from './commands/audit.js';
import { DEFAULT_GPUS_PER_SERVER, DEFAULT_MAX_REQUEUES } from '../fleet/lot-run.js';
import { runLotCertify, runLotCommit, runLotDraw, runLotPlan, runLotRun, runLotRunServer } from './commands/lot.js';
import { runReport } from './commands/report.js';
import { runKeygen } from './commands/keygen.js';
import { runRun } from './commands/run.js';
import { runShow } from './commands/show.js';
import { runVerify } from './commands/verify.js';
import { runEvidenceVerify } from './commands/evidence.js';
import { fsReason } from '../../attestations/errors.js';
import { processIo, wroteStdout } from './io.js';
import { TEST_LEVELS } from '../../benchmarks/levels.js';
import { PAPER_SIZES, type PaperSize } from '../report/view.js';
import { isoDate, levelFromFlags, levelHelp, levelsHelpText, outcomeList } from './conventions.js';
import { addConventionHelp } from './help.js';
import { jsonError, wantsJson } from './json-error.js';
import { renderBenchCsv } from './bench-csv.js';
import { versionText } from './version.js';
import type { Outcome } from '../verdict/verdict.js';

/** Plain decimal notation only ("16", "0.02", "1e3"): Number() would also take "0x10" or "". */
const DECIMAL_NUMBER = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function positiveNumber(flag: string, limits: { min?: number; max?: number } = {}) {
  return (raw: string): number => {
    const value = Number(raw.trim());
    if (!DECIMAL_NUMBER.test(raw.trim()) || !Number.isFinite(value) || value <= 0) {
      throw new InvalidArgumentError(`${flag} must be a positive number, not '${raw}'`);
    }
    if (limits.min !== undefined && value < limits.min) throw new InvalidArgumentError(`${flag} must be at least ${limits.min}, not '${raw}'`);
    if (limits.max !== undefined && value > limits.max) throw new InvalidArgumentError(`${flag} must be at most ${limits.max}, not '${raw}'`);
    return value;
  };
}

/** Clocks in MHz: no GPU or CPU runs below 1 MHz or near 1,000,000 MHz; outside, a TPP from the clock is meaningless. */
const CLOCK_MHZ_LIMITS = { min: 1, max: 1e6 };
/** A second to a day: no phase needs longer (Node's timers overflow above 2^31 ms), and none starts in less. */
const PHASE_TIMEOUT_LIMITS = { min: 1, max: 86_400 };
/** 0.1 ms to a minute per trial: below, the clock readings around a trial outweigh it; above, ten trials per format make a run of hours. */
const SECONDS_PER_TRIAL_LIMITS = { min: 1e-4, max: 60 };
/** A millisecond to an hour of timed sustained work: beyond, the phase's time limit ends it first. */
const SUSTAINED_SECONDS_LIMITS = { min: 1e-3, max: 3600 };
/** One 4 KiB page to 1 TiB per array: outside, no device has the memory, or the size rounds to nothing (and 0 means "the sizing rule"). */
const ARRAY_MIB_LIMITS = { min: 4096 / 2 ** 20, max: 2 ** 20 };
/** More trials add nothing to a median but time. */
const MAX_TRIALS = 10_000;

function integerAtLeast(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidArgumentError(
        min === 1 ? `${flag} must be a positive integer, not '${raw}'` : `${flag} must be an integer of at least ${min}, not '${raw}'`,
      );
    }
    if (value > max) throw new InvalidArgumentError(`${flag} must be at most ${max}, not '${raw}'`);
    return value;
  };
}

function positiveInteger(flag: string) {
  return integerAtLeast(flag, 1);
}

interface BenchFlags {
  device?: string;
  suite: SuiteName;
  level?: string;
  quick?: boolean;
  json?: boolean;
  csv?: boolean;
  trials?: number;
  arrayMib?: number;
  secondsPerTrial?: number;
  sweep?: boolean;
  format: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Exit code a command chose (verify's 1 for an invalid attestation). */
let commandExitCode = EXIT_OK;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tppverify')
    .description("Measures an accelerator's DRAM bandwidth and peak throughput to verify its declared TPP")
    .option('-V, --version', 'print the version, commit, built backends and toolchains')
    .exitOverride()
    .showHelpAfterError(false)
    .showSuggestionAfterError(false)
    // One style for every error line: commander's own start "error:", ours "tppverify:".
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'tppverify: ')) });

  program
    .command('devices')
    .description('list every device the built backends see, with its attributes')
    .option('--json', 'print one JSON object')
    .action((flags: { json?: boolean }) => {
      runDevices({ json: flags.json === true }, processIo(flags.json === true));
    });

  program
    .command('bench')
    .description('measure DRAM bandwidth and peak throughput per format on one device')
    .option('--device <id>', 'cpu, cuda:N or hip:N (default: the best device present)')
    .addOption(new Option('--suite <name>', 'which measurements').choices(SUITE_NAMES).default('all'))
    .addOption(new Option('--level <name>', levelHelp()).choices(TEST_LEVELS))
    .option('--quick', 'alias of --level quick (bandwidth keeps its DRAM sizing)')
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--csv', 'print CSV: BabelStream --csv columns for bandwidth, then tppverify columns (throughput rows too)')
    .option('--trials <n>', 'timed trials per kernel (at least 10)', integerAtLeast('--trials', DEFAULT_SETTINGS.trials, MAX_TRIALS))
    .option('--array-mib <MiB>', 'bandwidth array size per array, overriding the sizing rule', positiveNumber('--array-mib', ARRAY_MIB_LIMITS))
    .option('--seconds-per-trial <s>', 'target length of a throughput trial', positiveNumber('--seconds-per-trial', SECONDS_PER_TRIAL_LIMITS))
    .option('--sweep', 'also every shape and occupancy variant (GPU: wgmma N = 64/128/256 × 1–3 warpgroups per SM)')
    .option('--format <name>', 'only this throughput format, e.g. FP8 (repeatable; default: every format)', collect, [])
    .action(async (flags: BenchFlags) => {
      const json = flags.json === true;
      const options = {
        suite: flags.suite,
        level: levelFromFlags(flags),
        json,
        ...(flags.device !== undefined ? { device: flags.device } : {}),
        ...(flags.trials !== undefined ? { trials: flags.trials } : {}),
        ...(flags.arrayMib !== undefined ? { arrayMib: flags.arrayMib } : {}),
        ...(flags.secondsPerTrial !== undefined ? { secondsPerTrial: flags.secondsPerTrial } : {}),
        ...(flags.sweep === true ? { sweep: true } : {}),
        ...(flags.format.length ? { formats: flags.format } : {}),
      };
      checkBenchOptions(options);
      if (json && flags.csv) throw new UsageError('give --json or --csv, not both');
      const io = processIo(json || flags.csv === true);
      const report = await runBench(options, io);
      io.out(json ? JSON.stringify(report) + '\n' : flags.csv ? renderBenchCsv(report) : renderBench(report));
    });

  program
    .command('tpp')
    .description('evaluate a declaration: TPP three ways, performance density, 3A090 class, 2026 case-by-case outcome')
    .argument('<file>', "declaration JSON (proto/tppverify/v1/declaration.proto, canonical JSON); '-' for standard input")
    .option('--json', 'print one JSON object')
    .option('--observed-clock-mhz <MHz>', 'also evaluate TPP at this observed clock', positiveNumber('--observed-clock-mhz', CLOCK_MHZ_LIMITS))
    .action(async (file: string, flags: { json?: boolean; observedClockMhz?: number }) => {
      const json = flags.json === true;
      await runTpp(
        file,
        { json, ...(flags.observedClockMhz !== undefined ? { observedClockMhz: flags.observedClockMhz } : {}) },
        processIo(json),
      );
    });

  program
    .command('keygen')
    .description('create an Ed25519 signing key pair; prints its key id')
    .requiredOption('--out <dir>', 'folder for tppverify-private.pem (mode 0600) and tppverify-public.pem')
    .option('--passphrase-env <VAR>', 'encrypt the private key with the passphrase in this environment variable')
    .action(async (flags: { out: string; passphraseEnv?: string }) => {
      await runKeygen(flags, processIo(false));
    });

  program
    .command('run')
    .description('measure a device, evaluate a declaration, and write a signed attestation')
    .option('--declaration <file>', "the exporter's declaration, '-' for standard input (default: self-declared from the device, marked as such)")
    .option('--device <id>', 'cpu, cuda:N, hip:N, uuid:UUID, serial:SERIAL, a comma-separated list of these, or all (every GPU, one attestation each; default: the best device present)')
    .option('--parallel', 'several devices: measure them all at once, one isolated child per device')
    .option('--key <file>', 'private signing key (default: an ephemeral key, marked demo)')
    .option('--passphrase-env <VAR>', 'environment variable holding the key passphrase')
    .option('--out <dir>', 'where the attestation files go', 'attestations-out')
    .option('--lab <file>', 'lab identity JSON: name, accreditation, location, operator, exporter, filingReference')
    .option('--operator <name>', 'operator (overrides the lab file)')
    .option('--exporter <name>', 'exporter (overrides the lab file)')
    .option('--filing-reference <ref>', 'licence filing reference (overrides the lab file)')
    .option('--nonce <hex>', "auditor's challenge nonce (default: random)")
    .option('--intake <file>', "the operator's intake record of the board (label serial, part number, marking, photos by SHA-256)")
    .option('--rim <file>', 'a reference integrity manifest to archive with SPDM evidence (repeatable)', collect, [])
    .option('--ocsp <file>', 'an OCSP response (DER) for the evidence chain, to archive with it (repeatable)', collect, [])
    .option('--tsa <url>', 'an RFC 3161 timestamp authority: its timestamp over the signature goes into the Sigstore bundle')
    .option('--strict', 'refuse to measure when a preflight check fails (default with --key)')
    .option('--no-strict', 'record failed preflight checks and make the verdict inconclusive instead')
    .option('--phase-timeout <s>', 'time limit of each measurement phase (default 600 s bandwidth, 900 s throughput, 900 s sustained)', positiveNumber('--phase-timeout', PHASE_TIMEOUT_LIMITS))
    .addOption(new Option('--level <name>', levelHelp()).choices(TEST_LEVELS))
    .option('--quick', 'alias of --level quick')
    .option('--received-on <date>', 'when the lab received the item (YYYY-MM-DD), for the report', isoDate('--received-on'))
    .option('--array-mib <MiB>', 'bandwidth array size (below the sizing rule the verdict is inconclusive)', positiveNumber('--array-mib', ARRAY_MIB_LIMITS))
    .option('--seconds-per-trial <s>', 'target length of a throughput trial', positiveNumber('--seconds-per-trial', SECONDS_PER_TRIAL_LIMITS))
    .option('--sustained-seconds <s>', "timed length of the sustained phase (default: the level's; recorded as a deviation)", positiveNumber('--sustained-seconds', SUSTAINED_SECONDS_LIMITS))
    .option('--fail-on <outcomes>', 'exit 5 after writing the attestation when its outcome is one of these (comma-separated: consistent, under-declared, over-declared, inconclusive)', outcomeList('--fail-on'))
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\n' + levelsHelpText())
    .action(async (flags: Record<string, string | number | boolean | string[] | undefined>) => {
      const json = flags['json'] === true;
      const text = (name: string) => (typeof flags[name] === 'string' ? { [name]: flags[name] as string } : {});
      const [rim, ocsp] = [flags['rim'], flags['ocsp']];
      commandExitCode = await runRun(
        {
          ...text('declaration'),
          ...text('device'),
          ...text('key'),
          ...text('passphraseEnv'),
          ...text('lab'),
          ...text('operator'),
          ...text('exporter'),
          ...text('filingReference'),
          ...text('nonce'),
          ...text('intake'),
          ...(Array.isArray(rim) && rim.length ? { rim } : {}),
          ...(Array.isArray(ocsp) && ocsp.length ? { ocsp } : {}),
          ...text('tsa'),
          ...text('receivedOn'),
          out: flags['out'] as string,
          level: levelFromFlags(flags),
          ...(typeof flags['arrayMib'] === 'number' ? { arrayMib: flags['arrayMib'] } : {}),
          ...(typeof flags['secondsPerTrial'] === 'number' ? { secondsPerTrial: flags['secondsPerTrial'] } : {}),
          ...(typeof flags['sustainedSeconds'] === 'number' ? { sustainedSeconds: flags['sustainedSeconds'] } : {}),
          ...(typeof flags['strict'] === 'boolean' ? { strict: flags['strict'] } : {}),
          ...(typeof flags['phaseTimeout'] === 'number' ? { phaseTimeoutSeconds: flags['phaseTimeout'] } : {}),
          ...(flags['parallel'] === true ? { parallel: true } : {}),
          ...(Array.isArray(flags['failOn']) ? { failOn: flags['failOn'] as Outcome[] } : {}),
          json,
        },
        processIo(json),
      );
    });

  program
    .command('verify')
    .description('check an attestation offline: signatures from trusted keys, payload, and recomputed results (exit 0 valid, 1 invalid, 2 unreadable)')
    .argument('<files...>', "'-' for standard input, or .dsse.pb, .dsse.json, .intoto.json or .sigstore.json files (several are checked in parallel; the forms of one attestation given together must agree)")
    .option('--pubkey <file>', 'a trusted public key (repeatable)', collect, [])
    .option('--trust <dir>', 'a folder of trusted public keys (*.pem)')
    .option('--threshold <n>', 'valid signatures from distinct trusted keys required', positiveInteger('--threshold'), 1)
    .option('--attestations <dir>', 'lot certificates: check each referenced unit attestation in this folder')
    .option('--manifest <file>', 'lot certificates: recompute the sample from this manifest')
    .option('--tsa-certs <file>', "Sigstore bundles: require RFC 3161 timestamps and check them against this PEM chain (the TSA's certificate first, the root last)")
    .option('--json', 'print one JSON object')
    .action(async (files: string[], flags: { pubkey: string[]; trust?: string; threshold: number; json?: boolean; attestations?: string; manifest?: string; tsaCerts?: string }) => {
      const json = flags.json === true;
      commandExitCode = await runVerify(
        files,
        {
          pubkey: flags.pubkey,
          threshold: flags.threshold,
          json,
          ...(flags.trust !== undefined ? { trust: flags.trust } : {}),
          ...(flags.attestations !== undefined ? { attestations: flags.attestations } : {}),
          ...(flags.manifest !== undefined ? { manifest: flags.manifest } : {}),
          ...(flags.tsaCerts !== undefined ? { tsaCerts: flags.tsaCerts } : {}),
        },
        processIo(json),
      );
    });

  program
    .command('show')
    .description('print a decoded attestation (signatures are not checked: use verify)')
    .argument('<file>', ".dsse.pb or .dsse.json; '-' for standard input")
    .option('--json', 'print one JSON object')
    .action(async (file: string, flags: { json?: boolean }) => {
      await runShow(file, { json: flags.json === true }, processIo(flags.json === true));
    });

  program
    .command('audit')
    .description('rerun the measurement on the attested item and write a new attestation linked to the original')
    .argument('<file>', "the original attestation (.dsse.pb or .dsse.json); '-' for standard input")
    .requiredOption('--device <id>', 'the device to rerun on: cpu, cuda:N or hip:N')
    .requiredOption('--key <file>', "the auditor's private signing key")
    .option('--passphrase-env <VAR>', 'environment variable holding the key passphrase')
    .option('--nonce <hex>', "the auditor's challenge nonce (default: random)")
    .option('--allow-nonce-reuse', "accept the original's own nonce (recorded in the audit: it then shows no freshness)")
    .option('--intake <file>', "the auditor's intake record of the board")
    .option('--out <dir>', 'where the new attestation goes', 'attestations-out')
    .option('--pubkey <file>', "a trusted key of the original's signer (repeatable)", collect, [])
    .option('--trust <dir>', "a folder of trusted keys for the original's signature")
    .option('--array-mib <MiB>', 'bandwidth array size (below the sizing rule the verdict is inconclusive)', positiveNumber('--array-mib', ARRAY_MIB_LIMITS))
    .option('--seconds-per-trial <s>', 'target length of a throughput trial', positiveNumber('--seconds-per-trial', SECONDS_PER_TRIAL_LIMITS))
    .option('--sustained-seconds <s>', "timed length of the sustained phase (default: the level's; recorded as a deviation)", positiveNumber('--sustained-seconds', SUSTAINED_SECONDS_LIMITS))
    .option('--no-strict', 'record failed preflight checks instead of refusing to measure')
    .option('--json', 'print one JSON object')
    .action(async (file: string, flags: Record<string, string | number | boolean | string[] | undefined>) => {
      const json = flags['json'] === true;
      const text = (name: string) => (typeof flags[name] === 'string' ? { [name]: flags[name] as string } : {});
      await runAudit(
        file,
        {
          device: flags['device'] as string,
          key: flags['key'] as string,
          out: flags['out'] as string,
          pubkey: flags['pubkey'] as string[],
          json,
          ...text('passphraseEnv'),
          ...text('nonce'),
          ...text('trust'),
          ...text('intake'),
          ...(typeof flags['arrayMib'] === 'number' ? { arrayMib: flags['arrayMib'] } : {}),
          ...(typeof flags['secondsPerTrial'] === 'number' ? { secondsPerTrial: flags['secondsPerTrial'] } : {}),
          ...(typeof flags['sustainedSeconds'] === 'number' ? { sustainedSeconds: flags['sustainedSeconds'] } : {}),
          ...(flags['strict'] === false ? { strict: false } : {}),
          ...(flags['allowNonceReuse'] === true ? { allowNonceReuse: true } : {}),
        },
        processIo(json),
      );
    });

  program
    .command('report')
    .description('render an attestation as a self-contained HTML page and/or a PDF (headless Chromium)')
    .argument('<file>', ".dsse.pb or .dsse.json; '-' for standard input")
    .option('--html <file>', "write the HTML page here ('-': standard output)")
    .option('--pdf <file>', "write a PDF here ('-': standard output; needs the Debian package chromium)")
    .option('--pubkey <file>', 'a trusted key, to show which signatures verify (repeatable)', collect, [])
    .option('--trust <dir>', 'a folder of trusted keys')
    .addOption(new Option('--paper <size>', 'paper size of the PDF and the print CSS').choices(PAPER_SIZES).default('a4'))
    .action(async (file: string, flags: { html?: string; pdf?: string; pubkey: string[]; trust?: string; paper: PaperSize }) => {
      commandExitCode = await runReport(
        file,
        {
          pubkey: flags.pubkey,
          paper: flags.paper,
          ...(flags.html !== undefined ? { html: flags.html } : {}),
          ...(flags.pdf !== undefined ? { pdf: flags.pdf } : {}),
          ...(flags.trust !== undefined ? { trust: flags.trust } : {}),
        },
        processIo(false),
      );
    });

  const lot = program.command('lot').description('shipment batches: reproducible samples and signed lot certificates');
  lot
    .command('plan')
    .description("draw the reproducible sample of a lot: a function of the manifest's digest and the lab's nonce")
    .argument('<manifest>', "lot manifest JSON (proto/tppverify/v1/lot.proto); '-' for standard input")
    .option('--draw <file>', "the draw from 'lot draw': a nonce no single party chose")
    .option('--nonce <hex>', 'a nonce one party gave instead (recorded as such)')
    .option('--sample <n>', 'a fixed number of units', positiveInteger('--sample'))
    .option('--plan <name>', 'a named plan (default: ansi-asq-z1.4-gil-ii)')
    .option('--json', 'print one JSON object')
    .action(async (file: string, flags: { nonce?: string; draw?: string; sample?: number; plan?: string; json?: boolean }) => {
      const json = flags.json === true;
      await runLotPlan(
        file,
        {
          json,
          ...(flags.nonce !== undefined ? { nonce: flags.nonce } : {}),
          ...(flags.draw !== undefined ? { draw: flags.draw } : {}),
          ...(flags.sample !== undefined ? { sample: flags.sample } : {}),
          ...(flags.plan !== undefined ? { plan: flags.plan } : {}),
        },
        processIo(json),
      );
    });

  lot
    .command('certify')
    .description('issue a signed lot certificate from the attestations of the sampled units')
    .argument('<manifest>', "lot manifest JSON; '-' for standard input")
    .requiredOption('--attestations <dir>', 'folder of unit attestations (*.dsse.pb)')
    .requiredOption('--key <file>', "the lab's private signing key")
    .option('--passphrase-env <VAR>', 'environment variable holding the key passphrase')
    .option('--draw <file>', "the draw from 'lot draw' used for the plan")
    .option('--nonce <hex>', 'the nonce used for the plan, where one party gave it')
    .option('--sample <n>', 'a fixed number of units', positiveInteger('--sample'))
    .option('--plan <name>', 'a named plan (default: ansi-asq-z1.4-gil-ii)')
    .option('--pubkey <file>', 'another trusted key for unit attestations (repeatable)', collect, [])
    .option('--trust <dir>', 'a folder of trusted keys for unit attestations')
    .option('--out <dir>', 'where the certificate goes', 'attestations-out')
    .option('--json', 'print one JSON object')
    .action(async (file: string, flags: Record<string, string | number | boolean | string[] | undefined>) => {
      const json = flags['json'] === true;
      const text = (name: string) => (typeof flags[name] === 'string' ? { [name]: flags[name] as string } : {});
      await runLotCertify(
        file,
        {
          json,
          attestations: flags['attestations'] as string,
          key: flags['key'] as string,
          out: flags['out'] as string,
          pubkey: flags['pubkey'] as string[],
          ...text('nonce'),
          ...text('draw'),
          ...text('plan'),
          ...text('trust'),
          ...text('passphraseEnv'),
          ...(typeof flags['sample'] === 'number' ? { sample: flags['sample'] } : {}),
        },
        processIo(json),
      );
    });

  program
    .command('evidence')
    .description("a GPU's hardware-signed SPDM evidence, offline")
    .command('verify')
    .description('check an SPDM attestation report and its certificate chain against a pinned root (exit 0 valid, 1 invalid, 2 unreadable)')
    .requiredOption('--report <file>', 'the attestation report (request ‖ response), hex or base64')
    .requiredOption('--certificates <file>', 'the PEM certificate chain, leaf first')
    .option('--nonce <hex>', 'the 32-byte nonce the request must carry')
    .option('--root <pem>', 'pin this root certificate instead of the NVIDIA Device Identity CA')
    .option('--rim <file>', 'a reference integrity manifest to check with it (repeatable)', collect, [])
    .option('--ocsp <file>', 'an OCSP response (DER) for a certificate of the chain (repeatable)', collect, [])
    .option('--at <time>', 'RFC 3339 UTC time the certificates must be valid at (the collection time; default now)')
    .option('--json', 'print one JSON object')
    .action((flags: { report: string; certificates: string; nonce?: string; root?: string; rim: string[]; ocsp: string[]; at?: string; json?: boolean }) => {
      commandExitCode = runEvidenceVerify({ ...flags, json: flags.json === true }, processIo(flags.json === true));
    });

  lot
    .command('commit')
    .description("one party's commitment to its share of the lot's nonce (publish it; reveal after every party has committed)")
    .argument('<manifest>', 'lot manifest JSON')
    .requiredOption('--party <name>', 'who contributes (a short name)')
    .requiredOption('--role <role>', 'lab, exporter, auditor or bis')
    .requiredOption('--out <dir>', 'folder for NAME.commitment.json (public) and NAME.reveal.json (secret, mode 0600)')
    .option('--json', 'print one JSON object')
    .action(async (file: string, flags: { party: string; role: string; out: string; json?: boolean }) => {
      const json = flags.json === true;
      await runLotCommit(file, { party: flags.party, role: flags.role, out: flags.out, json }, processIo(json));
    });

  lot
    .command('draw')
    .description("the lot's nonce from every party's revealed contribution (tppverify-lot-nonce@1)")
    .argument('<manifest>', 'lot manifest JSON')
    .requiredOption('--commitment <file>', 'a published commitment (repeatable)', collect, [])
    .requiredOption('--reveal <file>', 'a revealed contribution (repeatable)', collect, [])
    .requiredOption('--out <file>', 'the draw file to write')
    .option('--json', 'print one JSON object')
    .action(async (file: string, flags: { commitment: string[]; reveal: string[]; out: string; json?: boolean }) => {
      const json = flags.json === true;
      await runLotDraw(file, { commitment: flags.commitment, reveal: flags.reveal, out: flags.out, json }, processIo(json));
    });

  lot
    .command('run')
    .description('measure the sampled units where they sit: one exclusive job per server (Slurm), then the lot certificate; or print Kubernetes Jobs')
    .argument('<manifest>', 'lot manifest JSON, with each unit\'s host')
    .option('--draw <file>', "the draw from 'lot draw'")
    .option('--nonce <hex>', 'a nonce one party gave instead (recorded as such)')
    .option('--sample <n>', 'a fixed number of units', positiveInteger('--sample'))
    .option('--plan <name>', 'a named plan (default: ansi-asq-z1.4-gil-ii)')
    .requiredOption('--scheduler <name>', 'slurm, or kubernetes (with --print only)')
    .option('--partition <name>', 'Slurm partition')
    .option('--account <name>', 'Slurm account')
    .option('--declaration <file>', "the exporter's declaration the manifest names")
    .option('--key <file>', "the lab's private signing key")
    .option('--passphrase-env <VAR>', 'environment variable holding the key passphrase (passed to the jobs)')
    .option('--pubkey <file>', 'another trusted key for existing unit attestations (repeatable)', collect, [])
    .option('--out <dir>', 'the lot folder: attestations/, jobs/, status/ and the certificate', 'lot-run-out')
    .option('--gpus-per-server <n>', 'accelerators on each server; the job holds them all', positiveInteger('--gpus-per-server'), DEFAULT_GPUS_PER_SERVER)
    .option('--max-requeues <n>', 'requeues of one job (node failures) before it is cancelled', integerAtLeast('--max-requeues', 0), DEFAULT_MAX_REQUEUES)
    .option('--units-at-once <n>', "units measured at once on one server (default: all of that server's sampled units)", positiveInteger('--units-at-once'))
    .option('--quick', 'shorter throughput trials in every unit run')
    .option('--array-mib <MiB>', 'bandwidth array size of every unit run', positiveNumber('--array-mib'))
    .option('--seconds-per-trial <s>', 'throughput trial length of every unit run', positiveNumber('--seconds-per-trial', SECONDS_PER_TRIAL_LIMITS))
    .option('--sustained-seconds <s>', 'sustained phase length of every unit run', positiveNumber('--sustained-seconds', SUSTAINED_SECONDS_LIMITS))
    .option('--phase-timeout <s>', 'time limit of each measurement phase of every unit run', positiveNumber('--phase-timeout', PHASE_TIMEOUT_LIMITS))
    .option('--no-strict', 'every unit run records failed preflight checks (verdict inconclusive) instead of refusing to measure')
    .option('--print', 'kubernetes: print one Job per server (JSON List) instead of running')
    .option('--image <ref>', 'kubernetes: the container image holding tppverify')
    .option('--json', 'print one JSON object')
    .action(async (file: string, flags: Record<string, string | number | boolean | string[] | undefined>) => {
      const json = flags['json'] === true;
      const text = (name: string) => (typeof flags[name] === 'string' ? { [name]: flags[name] as string } : {});
      const num = (name: string) => (typeof flags[name] === 'number' ? { [name]: flags[name] as number } : {});
      await runLotRun(
        file,
        {
          json,
          scheduler: flags['scheduler'] as string,
          pubkey: flags['pubkey'] as string[],
          out: flags['out'] as string,
          gpusPerServer: flags['gpusPerServer'] as number,
          maxRequeues: flags['maxRequeues'] as number,
          quick: flags['quick'] === true,
          print: flags['print'] === true,
          ...(flags['strict'] === false ? { strict: false } : {}),
          ...text('draw'),
          ...text('nonce'),
          ...text('plan'),
          ...text('partition'),
          ...text('account'),
          ...text('declaration'),
          ...text('key'),
          ...text('passphraseEnv'),
          ...text('image'),
          ...num('sample'),
          ...num('unitsAtOnce'),
          ...num('arrayMib'),
          ...num('secondsPerTrial'),
          ...num('sustainedSeconds'),
          ...num('phaseTimeout'),
        },
        processIo(json),
      );
    });

  lot
    .command('run-server')
    .description("what each server's job runs (written by lot run; not for use by hand)")
    .requiredOption('--spec <file>', 'the job spec lot run wrote')
    .action(async (flags: { spec: string }) => {
      await runLotRunServer({ spec: flags.spec }, processIo(false));
    });

  // --version prints more than a version string: read only when asked for.
  program.on('option:version', () => {
    process.stdout.write(versionText());
    throw new CommanderError(EXIT_OK, 'tppverify.version', '');
  });
  addConventionHelp(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return commandExitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its one-line message (or the help text).
      const exitCode = error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      if (exitCode !== EXIT_OK && wantsJson(argv)) process.stdout.write(jsonError('usage', error.message.replace(/^error: /, ''), exitCode));
      return exitCode;
    }
    const coded = asTppverifyError(error);
    const exitCode = reportError(coded, (line) => process.stderr.write(line));
    // Under --json the error is also inside the JSON on stdout, as nvbandwidth and dcgmi report theirs
    // (unless the command already printed its one object, which then says what failed).
    if (wantsJson(argv) && !wroteStdout()) process.stdout.write(jsonError(coded.code, boundedLine(coded.message), exitCode));
    return exitCode;
  }
}

/** The one line an error prints (undefined when Commander already printed it) and the exit code it maps to. */
// A reader that stops early (`tppverify verify … | head -1`) closes the pipe:
// the rest of the output has nowhere to go, which is not an error of ours, and
// the exit code stays the command's own.
// Any other failure to write the output (a full disk) is said once and
// exits 2: the output did not arrive, whatever the command concluded.
const PIPE_CLOSED = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);
let outputLost = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (PIPE_CLOSED.has(error.code ?? '')) return;
    if (!outputLost && stream === process.stdout) process.stderr.write(`tppverify: cannot write the output: ${fsReason(error)}\n`);
    outputLost = true;
    process.exitCode = EXIT_USAGE;
  });
}

const exitCode = await main(process.argv);
process.exitCode = outputLost ? EXIT_USAGE : exitCode;
