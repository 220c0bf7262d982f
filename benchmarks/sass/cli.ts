// The SASS check: disassembles the built addon's cubins with cuobjdump and
// checks every throughput kernel's tensor instructions per loop trip against
// benchmarks/sass/expectations.ts.
//   node dist/benchmarks/sass/cli.js [--json] [--cuobjdump PATH] [ADDON]
// Exit 0: every kernel as expected, or only known defects; 1: a new violation;
// 2: usage; 3: no disassembler, or it could read none of the code.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonPath } from '../native-addon.js';
import { analyzeFunction, parseSass, type KernelCounts } from './sass.js';
import { checkAll, expectationFor, type Violation } from './expectations.js';

export const SASS_SCHEMA = 'tppverify.sass-check.v1';
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where benchmarks/scripts/fetch-cuobjdump.sh unpacks Debian's cuobjdump and nvdisasm. */
export const FETCHED_CUOBJDUMP = path.join(projectRoot, '.cache', 'cuobjdump', 'usr', 'bin', 'cuobjdump');
// A full sm_90a listing is a few MB; leave ample room.
const MAX_LISTING_BYTES = 512 * 1024 * 1024;

export interface SassReport {
  schema: typeof SASS_SCHEMA;
  disassembler: string;
  version: string;
  addon: string;
  /** Per architecture in the addon: "ok" or why its code could not be read. */
  archs: Record<string, string>;
  kernels: (KernelCounts & { expected: { opcodes: readonly string[]; perTrip: number } | null })[];
  violations: Violation[];
  notes: string[];
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function findCuobjdump(explicit?: string): string | undefined {
  const candidates = [explicit, process.env['CUOBJDUMP'], onPath('cuobjdump'), '/usr/local/cuda/bin/cuobjdump', FETCHED_CUOBJDUMP];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

function run(cuobjdump: string, args: string[]): string {
  // cuobjdump -sass runs nvdisasm, which sits beside it.
  const env = { ...process.env, PATH: `${path.dirname(cuobjdump)}:${process.env['PATH'] ?? ''}` };
  return execFileSync(cuobjdump, args, { encoding: 'utf8', env, maxBuffer: MAX_LISTING_BYTES, stdio: ['ignore', 'pipe', 'pipe'] });
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  const text = (e.stderr || e.message || String(error)).trim();
  return (text.split('\n').find((l) => l.trim()) ?? text).slice(0, 200);
}

export function checkAddon(cuobjdump: string, addon: string): SassReport {
  const version = run(cuobjdump, ['--version']).split('\n').find((l) => /release/i.test(l))?.trim() ?? 'unknown version';
  // "ELF file    3: tppverify.3.sm_90.cubin"
  const listed = [...new Set([...run(cuobjdump, ['-lelf', addon]).matchAll(/\.(sm_\d+)\.cubin/g)].map((m) => m[1]!))].sort();
  const archs: Record<string, string> = {};
  const kernels: KernelCounts[] = [];
  const decoded: string[] = [];
  for (const arch of listed) {
    let listing: string | undefined;
    let failure = '';
    // cuobjdump accepts sm_90 for the sm_90a code; sm_100a code needs its own name.
    for (const name of [arch, `${arch}a`]) {
      try {
        listing = run(cuobjdump, ['-sass', '-arch', name, addon]);
        break;
      } catch (error) {
        failure = firstLine(error);
      }
    }
    if (listing === undefined) {
      archs[arch] = `not disassembled: ${failure}`;
      continue;
    }
    const functions = parseSass(listing);
    for (const fn of functions) {
      kernels.push(analyzeFunction(fn));
      if (!decoded.includes(fn.arch)) decoded.push(fn.arch);
    }
    archs[arch] = functions.length ? 'ok' : 'no functions in the listing';
  }
  const notes = Object.entries(archs).filter(([, s]) => s !== 'ok').map(([a, s]) => `${a}: ${s}`);
  return {
    schema: SASS_SCHEMA,
    disassembler: cuobjdump,
    version,
    addon,
    archs,
    kernels: kernels.map((k) => {
      const e = expectationFor(k.arch, k.kernel);
      return { ...k, expected: e ? { opcodes: e.opcodes, perTrip: e.perTrip } : null };
    }),
    violations: checkAll(kernels, decoded),
    notes,
  };
}

export function renderReport(r: SassReport): string {
  const out = [`SASS check of ${r.addon} with ${r.disassembler} (${r.version})`];
  for (const k of r.kernels.filter((k) => k.tensorInstructions > 0 || (k.expected && k.expected.perTrip > 0))) {
    const loops = k.loops.map((l) => {
      const ops = Object.entries(l.tensor).map(([op, n]) => `${n} ${op}`).join(' + ') || Object.entries(l.fma).map(([op, n]) => `${n} ${op}`).join(' + ');
      const wg = l.warpgroupArrive || l.warpgroupDepbar ? `, ARRIVE ${l.warpgroupArrive}, DEPBAR ${l.warpgroupDepbar}` : '';
      return `${ops}${wg}${l.conversions ? `, F2FP ${l.conversions}` : ''}`;
    });
    const expected = k.expected ? (k.expected.perTrip ? `expected ${k.expected.perTrip} ${k.expected.opcodes.join('|')}` : 'expected none') : 'no expectation';
    out.push(`  ${k.arch.padEnd(7)} ${k.kernel.padEnd(26)} per trip: ${loops.join('; ') || 'no tensor loop'} (${expected})`);
  }
  for (const n of r.notes) out.push(`  note: ${n}`);
  const fresh = r.violations.filter((v) => !v.known);
  const known = r.violations.filter((v) => v.known);
  out.push(`${r.violations.length} violations: ${fresh.length} new, ${known.length} known defects`);
  for (const v of r.violations) out.push(`  ${v.known ? 'known' : 'NEW  '} ${v.arch} ${v.kernel} [${v.rule}] ${v.message}${v.known ? ` (${v.known})` : ''}`);
  return out.join('\n') + '\n';
}

function main(argv: string[]): number {
  const args = argv.slice(2);
  let json = false;
  let explicit: string | undefined;
  let addon: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--cuobjdump') explicit = args[++i];
    else if (a.startsWith('-')) {
      process.stderr.write(`sass-check: unknown option ${JSON.stringify(a).slice(0, 80)}\n`);
      return 2;
    } else addon = a;
  }
  addon ??= addonPath();
  if (!existsSync(addon)) {
    process.stderr.write(`sass-check: no addon at ${addon.slice(0, 200)}\n`);
    return 2;
  }
  const cuobjdump = findCuobjdump(explicit);
  if (!cuobjdump) {
    process.stderr.write('sass-check: no cuobjdump (PATH, /usr/local/cuda/bin, or .cache/cuobjdump from benchmarks/scripts/fetch-cuobjdump.sh)\n');
    return 3;
  }
  let report: SassReport;
  try {
    report = checkAddon(cuobjdump, addon);
  } catch (error) {
    process.stderr.write(`sass-check: ${firstLine(error)}\n`);
    return 3;
  }
  process.stdout.write(json ? JSON.stringify(report) + '\n' : renderReport(report));
  if (report.kernels.length === 0) return 3;
  return report.violations.some((v) => !v.known) ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv);
}
