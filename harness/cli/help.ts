// The part of every command's --help that pipelines and labs read: its exit
// codes, the environment it reads and an example. One table, so a command
// without an entry fails its test rather than shipping without them.
import type { Command } from 'commander';
import { FAULT_ENV } from '../../benchmarks/bench.js';
import { EXIT_FAIL_ON, EXIT_INTERNAL, EXIT_INVALID, EXIT_MEASUREMENT, EXIT_OK, EXIT_RENDERER, EXIT_USAGE } from '../errors.js';
import { CHROMIUM_ENV } from '../report/chromium.js';

interface CommandHelp {
  exitCodes: [number, string][];
  environment: [string, string][];
  examples: string[];
}

const USAGE: [number, string] = [EXIT_USAGE, 'usage or input error (one line on stderr; with --json see "Errors under --json" in the README)'];
const INTERNAL: [number, string] = [EXIT_INTERNAL, 'internal fault of tppverify (or the native addon is not built)'];
const MEASUREMENT: [number, string] = [EXIT_MEASUREMENT, 'measurement or device failure (a kernel failed its own check, a phase crashed or timed out, strict preflight refused)'];
const TERM_ENV: [string, string] = ['TERM', 'progress lines are drawn only on a terminal whose TERM is not "dumb"'];
const DEVICE_ENV: [string, string] = ['CUDA_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES', 'honoured by the CUDA and HIP runtimes: which GPUs are visible'];
const TOOLS_ENV: [string, string] = ['PATH', 'where nvidia-smi and amd-smi are found for the inventory, preflight and telemetry'];
const TEST_ENV: [string, string] = [FAULT_ENV, 'test only: makes one kernel fail its check (e.g. bandwidth:triad)'];
const PASSPHRASE_ENV: [string, string] = ['the variable --passphrase-env names', 'the private key passphrase (never given on the command line)'];

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  devices: {
    exitCodes: [[EXIT_OK, 'listed (also when no GPU is present)'], USAGE, INTERNAL],
    environment: [DEVICE_ENV],
    examples: ['tppverify devices --json'],
  },
  bench: {
    exitCodes: [[EXIT_OK, 'measured'], USAGE, MEASUREMENT, INTERNAL],
    environment: [TERM_ENV, DEVICE_ENV, TEST_ENV],
    examples: ['tppverify bench --device cuda:0 --level quick', 'tppverify bench --suite bandwidth --csv > bandwidth.csv'],
  },
  tpp: {
    exitCodes: [[EXIT_OK, 'evaluated, whatever the outcome'], USAGE, INTERNAL],
    environment: [],
    examples: ['tppverify tpp harness/declaration/examples/h200-sxm.json', 'cat declaration.json | tppverify tpp - --json'],
  },
  keygen: {
    exitCodes: [[EXIT_OK, 'key pair written'], USAGE, INTERNAL],
    environment: [PASSPHRASE_ENV],
    examples: ['tppverify keygen --out lab-keys', 'read -rs LAB_KEY_PASSPHRASE; export LAB_KEY_PASSPHRASE; tppverify keygen --out lab-keys --passphrase-env LAB_KEY_PASSPHRASE'],
  },
  run: {
    exitCodes: [
      [EXIT_OK, 'attestation written (whatever the verdict, unless --fail-on names it)'],
      USAGE,
      MEASUREMENT,
      [EXIT_FAIL_ON, 'attestation written, and its outcome is one that --fail-on names'],
      INTERNAL,
    ],
    environment: [PASSPHRASE_ENV, TERM_ENV, TOOLS_ENV, DEVICE_ENV, TEST_ENV],
    examples: [
      'tppverify run --declaration h200.json --key lab-keys/tppverify-private.pem --lab lab.json --received-on 2026-11-30',
      'tppverify run --declaration - --level quick --fail-on under-declared,inconclusive < h200.json',
    ],
  },
  verify: {
    exitCodes: [[EXIT_OK, 'every file valid'], [EXIT_INVALID, 'a file does not verify (signature, payload or recomputation)'], [EXIT_USAGE, 'a file or key is unreadable, or a usage error'], INTERNAL],
    environment: [],
    examples: ['tppverify verify attestations-out/*.dsse.pb --trust lab-keys', 'cat unit.dsse.pb | tppverify verify - --pubkey lab-public.pem'],
  },
  show: {
    exitCodes: [[EXIT_OK, 'decoded (signatures are not checked)'], USAGE, INTERNAL],
    environment: [],
    examples: ['tppverify show unit.dsse.pb --json'],
  },
  audit: {
    exitCodes: [[EXIT_OK, 'rerun attested (reproduced, not-reproduced or inconclusive: see the outcome)'], USAGE, MEASUREMENT, INTERNAL],
    environment: [PASSPHRASE_ENV, TERM_ENV, TOOLS_ENV, DEVICE_ENV],
    examples: ['tppverify audit original.dsse.pb --device cuda:0 --key auditor.pem --pubkey lab-public.pem --nonce 0011223344556677'],
  },
  report: {
    exitCodes: [
      [EXIT_OK, 'written'],
      [EXIT_INVALID, 'trusted keys were given and no signature verifies (the page is still written, with a banner)'],
      USAGE,
      [EXIT_RENDERER, 'headless Chromium is missing or could not print the PDF (the HTML page, when asked for, is written)'],
      INTERNAL,
    ],
    environment: [[CHROMIUM_ENV, 'the Chromium binary to print with (default: /usr/bin/chromium, chromium-browser or google-chrome)']],
    examples: ['tppverify report unit.dsse.pb --pubkey lab-public.pem --pdf unit.pdf --paper letter', 'tppverify report unit.dsse.pb --html - > unit.html'],
  },
  lot: {
    exitCodes: [[EXIT_OK, 'see plan and certify'], USAGE],
    environment: [],
    examples: ['tppverify lot plan manifest.json --nonce 0011223344556677'],
  },
  'lot plan': {
    exitCodes: [[EXIT_OK, 'sample drawn'], USAGE, INTERNAL],
    environment: [],
    examples: ['tppverify lot plan manifest.json --nonce 0011223344556677 --json', 'tppverify lot plan - --nonce 0011223344556677 < manifest.json'],
  },
  'lot certify': {
    exitCodes: [[EXIT_OK, 'certificate written (certified, rejected or incomplete: see the outcome)'], USAGE, INTERNAL],
    environment: [PASSPHRASE_ENV],
    examples: ['tppverify lot certify manifest.json --attestations units/ --key lab.pem --draw lot.draw.json'],
  },
  'lot commit': {
    exitCodes: [[EXIT_OK, 'commitment and secret contribution written'], USAGE, INTERNAL],
    environment: [],
    examples: ['tppverify lot commit manifest.json --party acme-lab --role lab --out parties/'],
  },
  'lot draw': {
    exitCodes: [[EXIT_OK, "the lot's nonce drawn from every revealed contribution"], USAGE, INTERNAL],
    environment: [],
    examples: ['tppverify lot draw manifest.json --commitment lab.commitment.json --commitment bis.commitment.json --reveal lab.reveal.json --reveal bis.reveal.json --out lot.draw.json'],
  },
  'lot run': {
    exitCodes: [[EXIT_OK, 'every sampled unit attested and the certificate written'], USAGE, [EXIT_MEASUREMENT, 'a sampled unit has no attestation (each named with its reason)'], INTERNAL],
    environment: [PASSPHRASE_ENV, ['PATH', 'where sbatch, squeue, scontrol and scancel are found']],
    examples: ['tppverify lot run manifest.json --draw lot.draw.json --scheduler slurm --key lab.pem --declaration h200.json', 'tppverify lot run manifest.json --draw lot.draw.json --scheduler kubernetes --print --image registry/tppverify:1'],
  },
  'lot run-server': {
    exitCodes: [[EXIT_OK, "every unit of this server's job attested"], USAGE, MEASUREMENT, INTERNAL],
    environment: [PASSPHRASE_ENV],
    examples: ['tppverify lot run-server --spec lot-run-out/jobs/server-1.json   (written into each Slurm job by lot run; not for use by hand)'],
  },
  evidence: {
    exitCodes: [[EXIT_OK, 'see evidence verify'], USAGE],
    environment: [],
    examples: ['tppverify evidence verify --report report.hex --certificates chain.pem'],
  },
  'evidence verify': {
    exitCodes: [[EXIT_OK, 'the evidence verifies to the pinned root'], [EXIT_INVALID, 'the evidence does not verify (chain, signature, nonce or FWID)'], USAGE, INTERNAL],
    environment: [],
    examples: ['tppverify evidence verify --report report.hex --certificates chain.pem --nonce 00…ff --json'],
  },
};

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function conventionHelpText(name: string): string {
  const help = COMMAND_HELP[name];
  if (!help) return '';
  const lines = ['', 'Exit codes:', ...[...help.exitCodes].sort((a, b) => a[0] - b[0]).map(([code, meaning]) => `  ${code}  ${meaning}`)];
  lines.push('', 'Environment:', ...(help.environment.length ? help.environment.map(([name, meaning]) => `  ${name}: ${meaning}`) : ['  none read']));
  lines.push('', help.examples.length > 1 ? 'Examples:' : 'Example:', ...help.examples.map((e) => `  $ ${e}`));
  return lines.join('\n');
}

/** Appends exit codes, environment and examples to every command's --help, and marks required options as such. */
export function addConventionHelp(program: Command): void {
  const visit = (command: Command) => {
    for (const sub of command.commands) {
      for (const option of sub.options) if (option.mandatory && !option.description.endsWith('(required)')) option.description += ' (required)';
      sub.addHelpText('after', conventionHelpText(commandPath(sub)));
      visit(sub);
    }
  };
  visit(program);
}

export { commandPath };
