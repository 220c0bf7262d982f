#!/usr/bin/env node
// One-call identity probe for a GPU host: which NVML identity calls work on
// this driver and their exact return codes (with Confidential Computing off
// the conf-compute evidence calls should answer NVML_ERROR_NOT_FOUND = 6),
// whether nvmlDeviceGetPdi exists (NVML 13, drivers R580+), the conf-compute
// state, and how nvidia-smi prints the PDI. Needs only the built addon
// (build/Release/tppverify.node), not the rest of tppverify.
//
//   node benchmarks/identity-probe.mjs [--addon FILE] [--library libnvidia-ml.so.1]
//
// Prints one JSON object; with $OUT set, also writes $OUT/identity-probe.json.
// Exit 0 when it could report (also when NVML is absent: it says so), 2 when
// the addon is missing or an option is wrong.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
function option(name) {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) fail(`${name} needs a value`);
  return value;
}
function fail(message) {
  process.stderr.write(`identity-probe: ${message}\n`);
  process.exit(2);
}
for (const a of args) if (a.startsWith('--') && !['--addon', '--library'].includes(a)) fail(`unknown option ${a}`);

const candidates = [option('--addon'), path.join(here, '..', 'build', 'Release', 'tppverify.node'), path.join(here, '..', '.gpu-host', 'app', 'build', 'Release', 'tppverify.node')].filter(Boolean);
const addonFile = candidates.find((f) => existsSync(f));
if (!addonFile) fail(`the addon is not built (looked in ${candidates.join(', ')}): run npm install`);
const addon = createRequire(import.meta.url)(path.resolve(addonFile));
if (typeof addon.nvmlIdentity !== 'function') fail(`${addonFile} has no nvmlIdentity: rebuild it (npm run build:native)`);
const library = option('--library') ?? 'libnvidia-ml.so.1';

/** nvidia-smi's own lines about the PDI (text and XML), to learn how the driver prints it. */
function nvidiaSmiPdiLines() {
  const run = (argv) => {
    try {
      return { lines: execFileSync('nvidia-smi', argv, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }).split('\n').filter((l) => /pdi/i.test(l)).map((l) => l.trim()) };
    } catch (error) {
      return { error: String(error.code === 'ENOENT' ? 'nvidia-smi not found' : (error.stdout || error.message)).split('\n')[0] };
    }
  };
  return { text: run(['-q']), xml: run(['-q', '-x']) };
}

// Without a nonce: identity only. With one: also the conf-compute evidence calls, to record their codes.
const identity = addon.nvmlIdentity({ library });
const withEvidence = identity.available ? addon.nvmlIdentity({ library, nonce: randomBytes(32) }) : identity;
const evidenceCalls = withEvidence.devices.map((d) => ({
  index: d.index,
  pciBusId: d.pciBusId,
  calls: d.calls.filter((c) => c.call.startsWith('nvmlDeviceGetConfCompute')),
  reportBytes: d.attestationReportHex ? d.attestationReportHex.length / 2 : 0,
  chainPemBytes: d.attestationChainPem ? d.attestationChainPem.length : 0,
}));
const result = {
  schema: 'tppverify.identity-probe.v1',
  library,
  addon: path.resolve(addonFile),
  nvml: {
    available: identity.available,
    reason: identity.reason,
    driverVersion: identity.driverVersion,
    nvmlVersion: identity.nvmlVersion,
    confCompute: identity.confCompute ?? null,
    systemCalls: identity.calls,
    pdiCallPresent: identity.devices.some((d) => d.calls.some((c) => c.call === 'nvmlDeviceGetPdi' && c.status !== -1)),
    devices: identity.devices,
    evidenceCalls,
  },
  nvidiaSmiPdi: identity.available ? nvidiaSmiPdiLines() : null,
};
const text = JSON.stringify(result, null, 2) + '\n';
process.stdout.write(text);
if (process.env.OUT) writeFileSync(path.join(process.env.OUT, 'identity-probe.json'), text);
process.stderr.write(identity.available ? `identity-probe: NVML ${identity.nvmlVersion}, driver ${identity.driverVersion}, ${identity.devices.length} device(s); PDI call ${result.nvml.pdiCallPresent ? 'present' : 'absent'}\n` : `identity-probe: NVML unavailable: ${identity.reason}\n`);
