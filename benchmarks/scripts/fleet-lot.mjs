// Fleet benchmark (benchmarks/README.md, "Fleet: lot run through Slurm"):
// wall time of `tppverify lot run --scheduler slurm` for 64 sampled units over
// 8 servers of a loopback cluster against 8 units on one server, CPU runs
// standing in for GPU runs. Runs the two alternately, --runs times each.
//   node benchmarks/scripts/fleet-lot.mjs [--runs 3] [--units-at-once 1]
// --units-at-once limits the units measured at once on one server (lot run's
// option): the stand-ins all share this host's cores, and 64 at once would
// only queue for them (and starve a shared machine).
// Needs root (mknod) and Debian's slurmctld, slurmd, slurm-client, munge.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { startLoopbackCluster, GPUS_PER_NODE } = await import(path.join(root, 'dist/harness/fleet/loopback-cluster.js'));
const { summarizeRates } = await import(path.join(root, 'dist/benchmarks/statistics.js'));
const cli = path.join(root, 'dist/harness/cli/main.js');
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 3;
const atOnceFlag = process.argv.indexOf('--units-at-once');
const UNITS_AT_ONCE = atOnceFlag > 0 ? Number(process.argv[atOnceFlag + 1]) : 1;
const SERVERS = 8;
const QUICK = ['--quick', '--array-mib', '1', '--seconds-per-trial', '0.01', '--no-strict'];
const NONCE = '00112233445566778899aabbccddeeff';

const work = mkdtempSync(path.join(tmpdir(), 'tppverify-fleet-bench-'));
const cluster = await startLoopbackCluster(SERVERS);
const stop = async () => cluster.stop([work]);
process.on('SIGINT', () => stop().then(() => process.exit(130)));
try {
  const declaration = path.join(work, 'declaration.json');
  copyFileSync(path.join(root, 'harness/declaration/examples/h200-sxm.json'), declaration);
  const declarationSha256 = createHash('sha256').update(readFileSync(declaration)).digest('hex');
  await execa('node', [cli, 'keygen', '--out', path.join(work, 'keys')]);
  const units = cluster.nodes.flatMap((host, h) => Array.from({ length: GPUS_PER_NODE }, (_, g) => ({ serial: `SN${h}${g}`, host })));
  const manifests = {
    'one server, 8 units': { file: path.join(work, 'one.json'), units: units.filter((u) => u.host === cluster.nodes[0]) },
    '8 servers, 64 units': { file: path.join(work, 'eight.json'), units },
  };
  for (const m of Object.values(manifests)) writeFileSync(m.file, JSON.stringify({ lotId: 'BENCH', exporter: 'Example', declarationSha256, units: m.units }));
  const times = Object.fromEntries(Object.keys(manifests).map((k) => [k, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [name, m] of Object.entries(manifests)) {
      const out = path.join(work, `out-${run}-${m.units.length}`);
      const started = process.hrtime.bigint();
      const result = await execa('node', [cli, 'lot', 'run', m.file, '--nonce', NONCE, '--sample', String(m.units.length), '--scheduler', 'slurm', '--declaration', declaration, '--key', path.join(work, 'keys/tppverify-private.pem'), '--out', out, '--json', '--units-at-once', String(UNITS_AT_ONCE), ...QUICK], { reject: false, env: { ...cluster.env, TPPVERIFY_TEST_STAND_IN: 'cpu' } });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const lot = JSON.parse(result.stdout || '{}');
      const attested = (lot.units ?? []).filter((u) => u.status === 'attested').length;
      if (result.exitCode !== 0 || attested !== m.units.length) throw new Error(`${name}: exit ${result.exitCode}, ${attested} of ${m.units.length} attested: ${String(result.stderr).split('\n').slice(-3).join(' | ')}`);
      times[name].push(seconds);
      console.error(`run ${run + 1}/${RUNS} ${name}: ${seconds.toFixed(1)} s (${lot.jobs.length} jobs)`);
    }
  }
  const summary = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, { seconds: v.map((s) => Number(s.toFixed(2))), ...summarizeRates(v, 'seconds') }]));
  console.log(JSON.stringify({ runs: RUNS, servers: SERVERS, unitsAtOnce: UNITS_AT_ONCE, cpus: (await import('node:os')).cpus().length, summary }, null, 2));
} finally {
  await stop();
}
