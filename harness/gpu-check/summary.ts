// The device check's summary: reads the raw outputs gathered so far (the
// folder benchmarks/gpu-check.sh archives), writes summary.json beside them
// and prints the text the device tool shows last. Runs after every step, so
// it must cope with any output missing, partial or malformed.
//   node dist/harness/gpu-check/summary.js WORK_FOLDER
import { existsSync, readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findArchitecture } from '../tpp/architectures.js';
import { isFormat } from '../tpp/formats.js';
import { evaluateTargets, type TargetInputs, type TargetResult } from './targets.js';

export const SUMMARY_SCHEMA = 'tppverify.gpu-check-summary.v1';
/** Lines of each failed step's stderr the summary keeps. */
const ERROR_LINES = 3;
/** The device tool shows the last 12,000 characters of a command's output: the summary, printed last, stays under. */
export const MAX_SUMMARY_CHARS = 11_000;
const MAX_LINE_CHARS = 200;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: Json | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const arr = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const bounded = (line: string) => (line.length <= MAX_LINE_CHARS ? line : `${line.slice(0, MAX_LINE_CHARS - 1)}…`);
const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function readText(dir: string, name: string): string | undefined {
  const file = path.join(dir, name);
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** The step's stdout as one JSON object, or undefined (missing, empty, partial). */
function readJson(dir: string, name: string): JsonObject | undefined {
  const text = readText(dir, name);
  if (!text?.trim()) return undefined;
  try {
    const value = JSON.parse(text) as Json;
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function readTsv(text: string | undefined): string[][] {
  return (text ?? '').split('\n').filter((l) => l.trim()).map((l) => l.split('\t'));
}

export interface StepRow {
  step: string;
  status: string;
  rc: string;
  seconds: number;
  note: string;
}

export interface ThroughputRow {
  source: string;
  format: string;
  engine: string;
  available: boolean;
  reason: string | null;
  topsMedian: number | null;
  opsPerClockPerUnit: number | null;
  /** 100 % = the architecture's dense rate for the format (harness/tpp/architectures.ts). */
  percentOfArchitecture: number | null;
  architectureRate: number | null;
  /** 100 % = the backend's own per-clock bound (the counting-bug check). */
  percentOfBound: number | null;
  clockMhz: number | null;
  units: number;
  spreadPercent: number | null;
  trials: number;
}

export interface BandwidthRow {
  source: string;
  name: string;
  medianGbps: number;
  bestGbps: number;
  spreadPercent: number;
  trials: number;
  percentOfPeak: number | null;
}

export interface PeerRow {
  name: string;
  available: boolean;
  verified: boolean;
  unit: string;
  median: number | null;
  spreadPercent: number | null;
  runs: number;
  note: string;
}

export interface CheckSummary {
  schema: typeof SUMMARY_SCHEMA;
  device: string;
  model: string;
  backend: string;
  architecture: string | null;
  budgetSeconds: number | null;
  elapsedSeconds: number | null;
  quick: boolean;
  steps: StepRow[];
  libraries: { ok: boolean; missing: string[]; optionalMissing: string[] } | null;
  peakDramGbps: number | null;
  bandwidth: BandwidthRow[];
  throughput: ThroughputRow[];
  /** Best verified sweep variant per format. */
  sweepBest: ThroughputRow[];
  peer: { torch: string | null; deviceName: string | null; error: string | null; cases: PeerRow[] } | null;
  telemetry: {
    samples: number;
    smClockMhz: { min: number; median: number; max: number } | null;
    powerW: { min: number; median: number; max: number } | null;
    powerLimitW: number | null;
    temperatureMaxC: number | null;
    /** Clock event (throttle) reasons seen Active, with the number of samples. */
    reasonsActive: Record<string, number>;
  } | null;
  /** New violations one per line; known defects (expectations.ts KNOWN_DEFECTS) counted per defect. */
  sass: { source: string; disassembler: string | null; kernels: number; violations: string[]; known: Record<string, number>; note: string }[];
  identityProbe: string | null;
  targets: TargetResult[];
  errors: { step: string; lines: string[] }[];
}

function attribute(device: JsonObject | undefined, key: string): Json | undefined {
  if (!device) return undefined;
  // Typed fields first (issue 12 §1 types them), then the attribute list.
  if (device[key] !== undefined) return device[key];
  for (const a of arr(device['attributes'])) if (isObject(a) && a['key'] === key) return a['value'];
  return undefined;
}

/** "9.0" → "sm_90"; an architecture attribute wins when the backend reports one. */
function architectureOf(device: JsonObject | undefined): string | null {
  const named = str(attribute(device, 'architecture')) ?? str(attribute(device, 'gfxTarget'));
  if (named) return named;
  const cc = str(attribute(device, 'computeCapability'));
  const match = cc?.match(/^(\d+)\.(\d+)$/);
  return match ? `sm_${match[1]}${match[2]}` : null;
}

function throughputRows(source: string, report: JsonObject, architecture: string | null): ThroughputRow[] {
  const rates = architecture ? findArchitecture(architecture) : undefined;
  return arr(report['throughput']).filter(isObject).map((c) => {
    const format = str(c['format']) ?? '?';
    const perClock = num(c['opsPerClockPerUnit']) ?? null;
    const rate = rates && isFormat(format) ? (rates.opsPerClockPerUnit[format] ?? null) : null;
    const bound = num(c['maxOpsPerClockPerUnit']);
    const tops = isObject(c['tops']) ? c['tops'] : undefined;
    const available = c['available'] === true && c['verified'] === true;
    return {
      source,
      format,
      engine: str(c['engine']) ?? '?',
      available,
      reason: str(c['unavailableReason']) ?? null,
      topsMedian: num(tops?.['median']) ?? null,
      opsPerClockPerUnit: perClock,
      percentOfArchitecture: perClock !== null && rate ? (perClock / rate) * 100 : null,
      architectureRate: rate,
      percentOfBound: perClock !== null && bound ? (perClock / bound) * 100 : null,
      clockMhz: num(c['clockMhz']) ?? null,
      units: num(c['units']) ?? 0,
      spreadPercent: num(tops?.['spreadPercent']) ?? null,
      trials: num(c['trials']) ?? 0,
    };
  });
}

function bandwidthRows(source: string, report: JsonObject, peak: number | null): BandwidthRow[] {
  const bandwidth = isObject(report['bandwidth']) ? report['bandwidth'] : undefined;
  return arr(bandwidth?.['kernels']).filter(isObject).flatMap((k) => {
    const gbps = isObject(k['gbps']) ? k['gbps'] : undefined;
    const median = num(gbps?.['median']);
    if (median === undefined) return [];
    return [{
      source,
      name: str(k['name']) ?? '?',
      medianGbps: median,
      bestGbps: num(gbps?.['best']) ?? median,
      spreadPercent: num(gbps?.['spreadPercent']) ?? 0,
      trials: num(k['trials']) ?? 0,
      percentOfPeak: peak ? (median / peak) * 100 : null,
    }];
  });
}

function stats(values: number[]) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
}

/** nvidia-smi --query-gpu CSV with a header; names compared without units and with the long forms folded. */
export function summarizeTelemetry(csv: string | undefined): CheckSummary['telemetry'] {
  const lines = (csv ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) return null;
  const normalize = (name: string) =>
    name.replace(/\s*\[.*?\]\s*/g, '').trim().toLowerCase()
      .replace('clocks.current.sm', 'clocks.sm').replace('clocks.current.memory', 'clocks.mem')
      .replace('clocks_event_reasons.', 'clocks_throttle_reasons.');
  const header = lines[0]!.split(',').map(normalize);
  const column = (name: string) => header.indexOf(name);
  const rows = lines.slice(1).map((l) => l.split(',').map((v) => v.trim())).filter((r) => r.length === header.length);
  const numbers = (name: string) => {
    const at = column(name);
    return at < 0 ? [] : rows.map((r) => Number(r[at])).filter((v) => Number.isFinite(v) && !Number.isNaN(v));
  };
  const reasonsActive: Record<string, number> = {};
  header.forEach((name, at) => {
    if (!name.startsWith('clocks_throttle_reasons.') || name.endsWith('.active') || name.endsWith('.supported')) return;
    const count = rows.filter((r) => r[at] === 'Active').length;
    if (count > 0) reasonsActive[name.slice('clocks_throttle_reasons.'.length)] = count;
  });
  const temperatures = numbers('temperature.gpu');
  const limits = numbers('power.limit');
  return {
    samples: rows.length,
    smClockMhz: stats(numbers('clocks.sm')),
    powerW: stats(numbers('power.draw')),
    powerLimitW: limits.length ? Math.max(...limits) : null,
    temperatureMaxC: temperatures.length ? Math.max(...temperatures) : null,
    reasonsActive,
  };
}

function peerSummary(report: JsonObject | undefined): CheckSummary['peer'] {
  if (!report) return null;
  return {
    torch: str(report['torch']) ?? null,
    deviceName: str(report['deviceName']) ?? null,
    error: str(report['error']) ?? null,
    cases: arr(report['cases']).filter(isObject).map((c) => ({
      name: str(c['name']) ?? '?',
      available: c['available'] === true,
      verified: c['verified'] === true,
      unit: str(c['unit']) ?? '',
      median: num(c['median']) ?? null,
      spreadPercent: num(c['spreadPercent']) ?? null,
      runs: num(c['runs']) ?? 0,
      note: str(c['error']) ?? str(c['reason']) ?? str(c['what']) ?? '',
    })),
  };
}

function sassSummary(source: string, report: JsonObject | undefined): CheckSummary['sass'][number] | undefined {
  if (!report) return undefined;
  const kernels = arr(report['kernels']).filter(isObject);
  const violations = arr(report['violations']).filter(isObject);
  const known: Record<string, number> = {};
  for (const v of violations) {
    const label = str(v['known']);
    if (label) known[label] = (known[label] ?? 0) + 1;
  }
  return {
    source,
    disassembler: str(report['disassembler']) ?? null,
    kernels: kernels.length,
    violations: violations.filter((v) => !str(v['known'])).map((v) => `${str(v['arch'])} ${str(v['kernel'])} [${str(v['rule'])}]: ${str(v['message'])}`),
    known,
    note: str(report['reason']) ?? arr(report['notes']).map(String).join('; '),
  };
}

export function buildSummary(dir: string): CheckSummary {
  const check = new Map(readTsv(readText(dir, 'check.tsv')).map((r) => [r[0] ?? '', r[1] ?? '']));
  const device = check.get('device') ?? 'unknown';
  const backend = device.split(':')[0] ?? device;
  const steps: StepRow[] = readTsv(readText(dir, 'steps.tsv')).slice(1).map((r) => ({
    step: r[0] ?? '',
    status: r[1] ?? '',
    rc: r[2] ?? '',
    seconds: Number(r[3] ?? 0),
    note: r[4] ?? '',
  }));

  const listing = readJson(dir, 'devices.out');
  const listed = arr(listing?.['backends']).filter(isObject).flatMap((b) => arr(b['devices']).filter(isObject)).find((d) => d['id'] === device);
  const full = readJson(dir, 'bench.out');
  const reruns = readdirSafe(dir).filter((f) => /^bench-.+\.out$/.test(f)).sort()
    .flatMap((f) => { const r = readJson(dir, f); return r ? [{ source: f.slice(0, -4), report: r }] : []; });
  const benches = full ? [{ source: 'bench', report: full }] : reruns;
  const benchDevice = benches.map((b) => b.report['device']).find(isObject);
  const deviceInfo = listed ?? benchDevice;
  const architecture = architectureOf(deviceInfo);
  const model = str(deviceInfo?.['model']) ?? '';
  const peak = num(attribute(deviceInfo, 'peakDramBandwidthGbps'));
  const peakDramGbps = peak !== undefined && peak > 0 ? peak : null;

  const throughput = benches.flatMap((b) => throughputRows(b.source, b.report, architecture));
  const bandwidth = benches.flatMap((b) => bandwidthRows(b.source, b.report, peakDramGbps));
  const sweep = readJson(dir, 'sweep.out');
  const sweepRows = sweep ? throughputRows('sweep', sweep, architecture).filter((r) => r.available) : [];
  const sweepBest = [...new Set(sweepRows.map((r) => r.format))].map((format) =>
    sweepRows.filter((r) => r.format === format).reduce((a, b) => ((b.opsPerClockPerUnit ?? 0) > (a.opsPerClockPerUnit ?? 0) ? b : a)),
  );

  const peer = peerSummary(readJson(dir, 'peer.out'));
  const ldd = readText(dir, 'ldd.out');
  const libraries = ldd === undefined ? null : {
    ok: !/^MISSING/m.test(ldd),
    missing: ldd.split('\n').filter((l) => l.startsWith('MISSING')).map((l) => bounded(l.replace(/^MISSING:\s*/, ''))),
    optionalMissing: ldd.split('\n').filter((l) => l.startsWith('OPTIONAL-MISSING')).map((l) => bounded(l.replace(/^OPTIONAL-MISSING:\s*/, ''))),
  };

  const inputs: TargetInputs = {
    backend,
    model,
    architecture,
    bandwidthGbps: new Map(bandwidth.map((k) => [k.name, k.medianGbps])),
    throughput: throughput.flatMap((c) => (c.available && c.topsMedian !== null && c.opsPerClockPerUnit !== null
      ? [{ format: c.format, engine: c.engine, tops: c.topsMedian, opsPerClockPerUnit: c.opsPerClockPerUnit }] : [])),
    peer: new Map((peer?.cases ?? []).flatMap((c) => (c.verified && c.median !== null ? [[c.name, c.median] as const] : []))),
  };

  const errors = steps.filter((s) => s.status === 'failed' || s.status === 'timeout').map((s) => {
    const lines = (readText(dir, `${s.step}.err`) ?? '').split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-ERROR_LINES).map(bounded);
    return { step: s.step, lines: s.status === 'timeout' || lines.length === 0 ? [bounded(`${s.status}, rc ${s.rc}: ${s.note}`), ...lines] : lines };
  });
  const identity = readText(dir, 'identity-probe.out');
  const budget = Number(check.get('budget_s'));
  const elapsed = Number(new Map(readTsv(readText(dir, 'elapsed.tsv')).map((r) => [r[0] ?? '', r[1] ?? ''])).get('elapsed_s'));

  return {
    schema: SUMMARY_SCHEMA,
    device,
    model,
    backend,
    architecture,
    budgetSeconds: Number.isFinite(budget) ? budget : null,
    elapsedSeconds: Number.isFinite(elapsed) ? elapsed : null,
    quick: check.get('quick') === '1',
    steps,
    libraries,
    peakDramGbps,
    bandwidth,
    throughput,
    sweepBest,
    peer,
    telemetry: summarizeTelemetry(readText(dir, 'telemetry.csv')),
    sass: [sassSummary('sass (GPU host)', readJson(dir, 'sass.out')), sassSummary('sass (prepared here)', readJson(dir, 'sass-prepare.json'))]
      .filter((s): s is NonNullable<typeof s> => s !== undefined),
    identityProbe: identity?.trim() ? bounded(identity.trim().split('\n')[0] ?? '') : null,
    targets: evaluateTargets(inputs),
    errors,
  };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const pct = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} %`);

/** The summary text, its error section shortened (one line a step, then fewer steps) to fit MAX_SUMMARY_CHARS. */
export function renderSummary(s: CheckSummary): string {
  let text = renderFull(s, s.errors);
  for (let keep = s.errors.length; text.length > MAX_SUMMARY_CHARS && keep > 0; keep--) {
    const shortened = s.errors.slice(0, keep).map((e) => ({ step: e.step, lines: e.lines.slice(-1) }));
    text = renderFull(s, shortened, s.errors.length - keep);
  }
  return text.length > MAX_SUMMARY_CHARS ? `${text.slice(0, MAX_SUMMARY_CHARS - 40)}\n… cut: see summary.json in the archive\n` : text;
}

function renderFull(s: CheckSummary, errors: CheckSummary['errors'], errorsLeftOut = 0): string {
  const out: string[] = [];
  out.push(`tppverify device check: ${s.device} ${s.model}${s.architecture ? ` (${s.architecture})` : ''}${s.quick ? ' [quick dry run]' : ''}`);
  out.push(`time: ${s.elapsedSeconds ?? '?'} s of a ${s.budgetSeconds ?? '?'} s budget`);
  const ran = s.steps.filter((r) => r.status !== 'skipped');
  out.push(`steps: ${ran.map((r) => `${r.step} ${r.status}${r.status === 'ok' ? '' : ` (rc ${r.rc})`} ${r.seconds}s`).join(', ') || 'none'}`);
  // Skipped steps grouped by why (deadline notes differ only in the seconds left).
  const skipped = new Map<string, string[]>();
  for (const r of s.steps.filter((x) => x.status === 'skipped')) {
    const why = r.note.startsWith('deadline') ? 'the deadline' : r.note;
    skipped.set(why, [...(skipped.get(why) ?? []), r.step]);
  }
  for (const [why, names] of skipped) out.push(`  skipped (${bounded(why)}): ${names.join(', ')}`);
  if (s.libraries) out.push(`libraries: ${s.libraries.ok ? 'everything the addon needs is here' : `MISSING ${s.libraries.missing.join('; ')}`}`);
  for (const o of s.libraries?.optionalMissing ?? []) out.push(`  optional, missing: ${o}`);

  out.push(`bandwidth${s.peakDramGbps ? ` (peak ${fmt(s.peakDramGbps)} GB/s from the device's memory clock × bus width)` : ' (the device reports no peak)'}:`);
  if (s.bandwidth.length === 0) out.push('  not measured');
  for (const k of s.bandwidth) {
    out.push(`  ${k.name.padEnd(6)} ${fmt(k.medianGbps).padStart(7)} GB/s median, best ${fmt(k.bestGbps)}, spread ${k.spreadPercent.toFixed(1)} %, ${k.trials} trials, ${pct(k.percentOfPeak)} of peak${k.source === 'bench' ? '' : ` [${k.source}]`}`);
  }

  out.push('throughput (median; per clock per unit against the architecture rate and the counting bound):');
  if (s.throughput.length === 0) out.push('  not measured');
  for (const t of s.throughput) {
    const where = t.source === 'bench' ? '' : ` [${t.source}]`;
    out.push(t.available
      ? `  ${t.format.padEnd(11)} ${t.engine.padEnd(18)} ${fmt(t.topsMedian ?? 0, 1).padStart(8)} TOPS ${fmt(t.opsPerClockPerUnit ?? 0).padStart(6)} ops/clk/unit ${pct(t.percentOfArchitecture)} of arch${t.architectureRate ? ` ${fmt(t.architectureRate)}` : ''}, ${pct(t.percentOfBound)} of bound, ${fmt(t.clockMhz ?? 0)} MHz, ${t.units} units, spread ${(t.spreadPercent ?? 0).toFixed(1)} %, ${t.trials} trials${where}`
      : `  ${t.format.padEnd(11)} ${t.engine.padEnd(18)} unavailable: ${bounded(t.reason ?? '')}${where}`);
  }
  if (s.sweepBest.length) {
    out.push(`sweep best per format: ${s.sweepBest.map((t) => `${t.format} ${t.engine} ${fmt(t.opsPerClockPerUnit ?? 0)} (${pct(t.percentOfArchitecture)})`).join(', ')}`);
  }

  if (!s.peer) {
    out.push('peer (PyTorch): not measured');
  } else {
    out.push(`peer (PyTorch ${s.peer.torch ?? '?'} on ${s.peer.deviceName ?? '?'})${s.peer.error ? `: ${s.peer.error}` : ':'}`);
    for (const c of s.peer.cases) {
      out.push(c.verified && c.median !== null
        ? `  ${c.name.padEnd(18)} ${fmt(c.median, 1).padStart(8)} ${c.unit} median, spread ${(c.spreadPercent ?? 0).toFixed(1)} %, ${c.runs} runs, checked`
        : `  ${c.name.padEnd(18)} ${c.available ? 'FAILED' : 'unavailable'}: ${bounded(c.note)}`);
    }
  }

  if (s.telemetry) {
    const t = s.telemetry;
    const range = (r: { min: number; median: number; max: number } | null, unit: string) =>
      r ? `${fmt(r.min)}–${fmt(r.max)} ${unit} (median ${fmt(r.median)})` : 'n/a';
    const reasons = Object.entries(t.reasonsActive).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
    out.push(`telemetry: ${t.samples} samples; SM clock ${range(t.smClockMhz, 'MHz')}; power ${range(t.powerW, 'W')}${t.powerLimitW ? ` of ${fmt(t.powerLimitW)} W` : ''}; max ${t.temperatureMaxC ?? '?'} °C; throttle reasons seen: ${reasons}`);
  } else {
    out.push('telemetry: not sampled (no nvidia-smi)');
  }
  for (const x of s.sass) {
    const knownCount = Object.values(x.known).reduce((a, b) => a + b, 0);
    out.push(`${x.source}: ${x.disassembler ? `${x.kernels} kernels, ${x.violations.length} new violations, ${knownCount} from known defects` : 'not run'}${x.note ? ` (${bounded(x.note)})` : ''}`);
    for (const v of x.violations.slice(0, 8)) out.push(`  NEW ${bounded(v)}`);
    if (x.violations.length > 8) out.push(`  … ${x.violations.length - 8} more in the archive`);
    for (const [label, n] of Object.entries(x.known)) out.push(`  known ×${n}: ${bounded(label)}`);
  }
  if (s.identityProbe) out.push(`identity probe: ${s.identityProbe}`);

  out.push('targets:');
  for (const t of s.targets) out.push(`  ${t.status.padEnd(14)} ${t.description}: ${t.detail}`);
  if (errors.length) {
    out.push('errors (last lines of each failed step):');
    for (const e of errors) {
      out.push(`  ${e.step}:`);
      for (const l of e.lines) out.push(`    ${l}`);
    }
    if (errorsLeftOut) out.push(`  … ${errorsLeftOut} more failed steps: their stderr is in the archive`);
  }
  return out.join('\n') + '\n';
}

function main(argv: string[]): number {
  const dir = argv[2];
  if (!dir || !existsSync(dir)) {
    process.stderr.write(`usage: summary.js WORK_FOLDER (got ${JSON.stringify(dir ?? '')})\n`);
    return 2;
  }
  const summary = buildSummary(dir);
  const file = path.join(dir, 'summary.json');
  writeFileSync(`${file}.part`, JSON.stringify(summary, null, 2) + '\n');
  renameSync(`${file}.part`, file);
  process.stdout.write(renderSummary(summary));
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv);
}
