// Clock and power evidence per phase (issue 18): the state problems derived
// from the record, the CPU sampler on a recorded sysfs tree, the one
// verification re-deriving them from a re-signed document, and a real CPU run
// that records evidence for every phase and verifies.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../attestations/dsse.js';
import { ephemeralSigningKey } from '../../attestations/keys.js';
import type { PhaseEvidenceRecord } from '../../attestations/records.js';
import { decodeStatement, type Statement } from '../../attestations/statement.js';
import { cpuClockSource, parseCpuList, raplEvidence, readRapl, startCpuTelemetry } from '../inventory/cpu-telemetry.js';
import { phaseEvidenceOf } from '../isolation/phase-evidence.js';
import { parseDeclaration } from '../declaration/declaration.js';
import { evidenceProblems, measuredClockMhz, stateProblemsOf } from '../verdict/state.js';
import { computeVerdict, DECISION_RULE, RULE_STEP } from '../verdict/verdict.js';
import { verifyDocumentBytes } from '../verify/document.js';
import { DECLARATION_JSON, DEVICE_FACTS, fixtureStatement, signedFixture } from './attestation-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-evidence-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A GPU phase whose telemetry agrees with its counters, at the default power limit, timer in real time. */
function gpuEvidence(phase = 'throughput'): PhaseEvidenceRecord {
  return {
    phase,
    clock: {
      reportedSource: 'nvidia-smi clocks.sm, samples without the GPU-idle event reason',
      reportedSamples: 40,
      reportedMinMhz: 1755,
      reportedMedianMhz: 1800,
      reportedMaxMhz: 1980,
      measuredMhz: 1800,
      measuredSource: 'median of the trial clocks (sim)',
      comparable: true,
      notComparableReason: '',
    },
    power: {
      source: 'nvidia-smi enforced.power.limit against power.default_limit',
      unreadable: '',
      samples: 40,
      enforcedMinW: 700,
      enforcedMaxW: 700,
      referenceMinW: 700,
      referenceMaxW: 700,
      referenceName: 'default',
      maxDrawW: 690,
    },
    clockEventReasons: '0x0000000000000000',
    throttled: false,
    timer: { method: 'globaltimer against the host steady clock', deviceTimerSeconds: 0.9995, hostSeconds: 1, trials: 10, sameClock: false },
  };
}

const problems = (e: PhaseEvidenceRecord) => stateProblemsOf({ preflight: [], telemetry: [], bandwidth: null, evidence: [e] });

describe('state problems from the clock and power evidence', () => {
  it('finds none when the limit is the default, the clocks agree and the timer ticks in real time', () => {
    expect(problems(gpuEvidence())).toEqual([]);
  });

  it('an enforced limit below the default in any phase is a state problem; at the default it is none', () => {
    const capped = gpuEvidence('bandwidth');
    capped.power = { ...capped.power!, enforcedMinW: 500 };
    expect(problems(capped)).toEqual([expect.stringMatching(/^the bandwidth phase ran with an enforced power limit of 500 W, below the default 700 W/)]);
    // Within the printing tolerance (two decimals) is the default.
    const rounding = gpuEvidence();
    rounding.power = { ...rounding.power!, enforcedMinW: 700 - DECISION_RULE.parameters.powerLimitToleranceW };
    expect(problems(rounding)).toEqual([]);
  });

  it('an unreadable limit is no problem, and the record says why it was not read', () => {
    const cpu = phaseEvidenceOf('throughput', 'cpu', undefined, []);
    expect(cpu.power).toMatchObject({ unreadable: 'not readable: no telemetry sampler for this device', samples: 0 });
    expect(cpu.clock).toMatchObject({ comparable: false, reportedSource: 'not reported: no telemetry sampler for this device' });
    expect(problems(cpu)).toEqual([]);
  });

  it('a measured clock outside the reported clocks by more than the tolerance is a disagreement', () => {
    // Counters that tick at 1,400 MHz on a part whose telemetry says 1,755–1,980 MHz.
    const slow = gpuEvidence();
    slow.clock = { ...slow.clock!, measuredMhz: 1400 };
    expect(problems(slow)).toEqual([expect.stringMatching(/^the throughput phase measured a clock of 1400 MHz where its telemetry reported 1755–1980 MHz .*ratio 0\.778.*10 %/)]);
    const fast = gpuEvidence();
    fast.clock = { ...fast.clock!, measuredMhz: 1980 * 1.11 };
    expect(problems(fast)).toHaveLength(1);
    // Not comparable (a hypervisor's /proc/cpuinfo): recorded, not judged.
    expect(problems({ ...slow, clock: { ...slow.clock!, comparable: false, notComparableReason: 'hypervisor' } })).toEqual([]);
  });

  it('a device timer off the host clock by more than the tolerance is a state problem; the CPU has one clock', () => {
    const drift = gpuEvidence();
    drift.timer = { ...drift.timer!, deviceTimerSeconds: 0.97 };
    expect(evidenceProblems(drift)).toEqual([expect.stringMatching(/device timer spanned 0\.97 s over 10 trials .* 1 s \(ratio 0\.97\): the device timer does not tick in real time/)]);
    const cpu = phaseEvidenceOf('throughput', 'cpu', undefined, []);
    expect(cpu.timer).toMatchObject({ sameClock: true, trials: 0 });
    expect(cpu.timer?.method).toMatch(/^same clock/);
  });

  it('a disagreement makes the verdict inconclusive through step 6-state, naming the clocks', () => {
    const slow = gpuEvidence();
    slow.clock = { ...slow.clock!, measuredMhz: 1400 };
    const statement = fixtureStatement();
    const { verdict } = computeVerdict({
      declaration: parseDeclaration(DECLARATION_JSON),
      measurements: statement.predicate.measurements,
      deviceFacts: DEVICE_FACTS,
      stateProblems: problems(slow),
    });
    expect(verdict.outcome).toBe('inconclusive');
    const state = verdict.findings.filter((f) => f.rule === RULE_STEP.state);
    expect(state).toHaveLength(1);
    expect(state[0]!.labels.find((l) => l.name === 'problem')?.value).toMatch(/measured a clock of 1400 MHz/);
  });
});

describe('the evidence a phase report gives', () => {
  it('takes the measured clock from the trials and the timer from the host and device spans; bandwidth measures neither', () => {
    const cases = [
      { format: 'FP16', available: true, trialClockMhz: [1790, 1800, 1810], clockMethod: 'clock64 over globaltimer', trialHostSeconds: [0.1, 0.1, 0.1], trialTimerSeconds: [0.0999, 0.0999, 0.0999] },
      { format: 'FP4', available: false, trialClockMhz: [], clockMethod: '' },
    ];
    const throughput = phaseEvidenceOf('throughput', 'cuda', undefined, cases);
    expect(throughput.clock).toMatchObject({ measuredMhz: 1800, measuredSource: 'median of the trial clocks (clock64 over globaltimer)' });
    expect(throughput.timer).toMatchObject({ trials: 3, sameClock: false });
    expect(throughput.timer!.deviceTimerSeconds / throughput.timer!.hostSeconds).toBeCloseTo(0.999, 6);
    // Trials too short for the launch to be negligible are left out, and the record says so.
    const short = phaseEvidenceOf('throughput', 'cuda', undefined, [{ ...cases[0]!, trialHostSeconds: [0.002, 0.002, 0.002], trialTimerSeconds: [0.0019, 0.0019, 0.0019] }]);
    expect(short.timer).toMatchObject({ trials: 0, hostSeconds: 0 });
    expect(short.timer?.method).toMatch(/^not measured: in the throughput phase none of its 3 timed trials lasted 0\.01 s/);
    const bandwidth = phaseEvidenceOf('bandwidth', 'cuda', undefined, { kernels: [] });
    expect(bandwidth.clock).toMatchObject({ measuredMhz: 0, measuredSource: "not measured: the bandwidth phase's kernels read no clock" });
    expect(bandwidth.timer?.method).toMatch(/^not measured/);
    // Any phase name, as a sustained phase would give.
    expect(phaseEvidenceOf('sustained', 'cuda', undefined, { cases }).clock?.measuredMhz).toBe(1800);
    expect(measuredClockMhz([{ trialClockMhz: [1, 3] }, { available: false, trialClockMhz: [100] }])).toBe(2);
  });
});

describe('the CPU sampler on a recorded sysfs tree', () => {
  const tree = (name: string) => {
    const base = path.join(work, name);
    const file = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
      writeFileSync(path.join(base, rel), text);
    };
    return { roots: { sys: path.join(base, 'sys'), proc: path.join(base, 'proc') }, file };
  };

  it('reads cpufreq for the cores used and RAPL limits against their maxima', async () => {
    const { roots, file } = tree('bare-metal');
    file('proc/self/status', 'Name:\tnode\nCpus_allowed_list:\t0-1,3\n');
    for (const [cpu, khz] of [[0, 3_000_000], [1, 3_100_000], [2, 800_000], [3, 2_900_000]] as const) file(`sys/devices/system/cpu/cpu${cpu}/cpufreq/scaling_cur_freq`, `${khz}\n`);
    file('sys/devices/system/clocksource/clocksource0/current_clocksource', 'tsc\n');
    file('sys/class/powercap/intel-rapl:0/name', 'package-0\n');
    file('sys/class/powercap/intel-rapl:0/constraint_0_name', 'long_term\n');
    file('sys/class/powercap/intel-rapl:0/constraint_0_power_limit_uw', '150000000\n');
    file('sys/class/powercap/intel-rapl:0/constraint_0_max_power_uw', '205000000\n');
    file('sys/class/powercap/intel-rapl:0/constraint_1_name', 'short_term\n');
    file('sys/class/powercap/intel-rapl:0/constraint_1_power_limit_uw', '250000000\n');
    file('sys/class/powercap/intel-rapl:0/constraint_1_max_power_uw', '0\n');
    expect(parseCpuList('0-1,3')).toEqual([0, 1, 3]);
    const clock = cpuClockSource(roots);
    // CPU 2 is not one the process runs on: its idle 800 MHz is not read.
    expect(clock.read()).toBe(3000);
    expect(clock).toMatchObject({ comparable: true, source: 'cpufreq scaling_cur_freq, median over 3 cores used' });
    const recorder = startCpuTelemetry('throughput', roots, 10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const summary = await recorder.stop();
    expect(summary.evidence?.clock).toMatchObject({ mhz: { median: 3000 }, comparable: true });
    expect(summary.evidence?.power).toMatchObject({ enforcedMinW: 150, referenceMinW: 205, referenceName: 'maximum', samples: 2, unreadable: '' });
    expect(summary).toMatchObject({ reasonsSeen: 'not reported', throttled: false });
    expect(phaseEvidenceOf('throughput', 'cpu', summary, []).timer?.method).toMatch(/^same clock: .*\(CLOCK_MONOTONIC, clocksource tsc\)/);
    // A long-term RAPL limit below the package's maximum is a cap: a state problem.
    expect(problems(phaseEvidenceOf('throughput', 'cpu', summary, []))).toEqual([expect.stringMatching(/enforced power limit of 150 W, below the maximum 205 W \(RAPL intel-rapl:0 \(package-0\) long_term/)]);
  });

  it('under a hypervisor without cpufreq or RAPL it records /proc/cpuinfo as not comparable and the power as not readable', () => {
    const { roots, file } = tree('vm');
    file('proc/self/status', 'Cpus_allowed_list:\t0-1\n');
    file('proc/cpuinfo', 'processor\t: 0\ncpu MHz\t\t: 2596.120\nflags\t\t: fpu hypervisor\n\nprocessor\t: 1\ncpu MHz\t\t: 2596.120\nflags\t\t: fpu hypervisor\n');
    const clock = cpuClockSource(roots);
    expect(clock.read()).toBe(2596.12);
    expect(clock.comparable).toBe(false);
    expect(clock.notComparableReason).toMatch(/hypervisor/);
    const rapl = readRapl(roots);
    expect(rapl).toMatch(/^not readable: .*powercap: ENOENT/);
    expect(raplEvidence([rapl])).toMatchObject({ unreadable: rapl, samples: 0 });
  });
});

describe('the one verification re-derives the evidence state problems', () => {
  const key = ephemeralSigningKey();
  const trust = { keys: new Map([[key.keyId, key.publicKey]]), threshold: 1 };
  const withEvidence = (edit: (e: PhaseEvidenceRecord[]) => void = () => {}): Statement => {
    const s = fixtureStatement();
    const evidence = [gpuEvidence('bandwidth'), gpuEvidence('throughput'), gpuEvidence('sustained')];
    for (const i of [0, 2]) evidence[i]!.clock = { ...evidence[i]!.clock!, measuredMhz: 0, comparable: false, notComparableReason: 'no clock measured in this phase' };
    edit(evidence);
    s.predicate.environment = { facts: [], phaseEvidence: evidence };
    return s;
  };
  const verify = (s: Statement) => verifyDocumentBytes(signedFixture(key, s), trust);

  it('accepts a record whose evidence gives no problem, and round-trips it through the signed payload', () => {
    const s = withEvidence();
    const result = verify(s);
    expect(result.reasons).toEqual([]);
    const decoded = decodeStatement(decodeEnvelope(signedFixture(key, s)).payload);
    expect(decoded.predicate.environment.phaseEvidence).toEqual(s.predicate.environment.phaseEvidence);
  });

  it('refuses a re-signed document whose evidence for a measured phase was removed or doubled', () => {
    const stripped = withEvidence((e) => e.splice(1, 1));
    expect(verify(stripped).reasons.join('\n')).toMatch(/records no clock and power evidence for its throughput phase/);
    const doubled = withEvidence((e) => e.push(gpuEvidence('bandwidth')));
    expect(verify(doubled).reasons.join('\n')).toMatch(/the bandwidth phase's clock and power evidence is recorded 2 times/);
  });

  it('refuses a re-signed document whose enforced limit was lowered without the state problem it gives', () => {
    const s = withEvidence((e) => (e[1]!.power = { ...e[1]!.power!, enforcedMinW: 450 }));
    expect(verify(s).reasons.join('\n')).toMatch(/recorded state problems are not those .*enforced power limit of 450 W, below the default 700 W/);
  });

  it('refuses a re-signed document whose reported clock was altered, and one whose measured clock is not its trials', () => {
    const reported = withEvidence((e) => (e[1]!.clock = { ...e[1]!.clock!, reportedMinMhz: 1400, reportedMedianMhz: 1400, reportedMaxMhz: 1400 }));
    expect(verify(reported).reasons.join('\n')).toMatch(/recorded state problems are not those .*measured a clock of 1800 MHz where its telemetry reported 1400–1400 MHz/);
    const measured = withEvidence((e) => (e[1]!.clock = { ...e[1]!.clock!, measuredMhz: 1850 }));
    expect(verify(measured).reasons.join('\n')).toMatch(/clock evidence records a measured 1850 MHz; its recorded trials give 1800 MHz/);
  });
});

describe('a real CPU run', () => {
  it('records clock and power evidence for every phase, as this host reports it, and verifies', async () => {
    const out = path.join(work, 'run');
    const run = await execa(process.execPath, [cli, 'run', '--device', 'cpu', '--array-mib', '4', '--seconds-per-trial', '0.002', '--sustained-seconds', '0.05', '--no-strict', '--out', out, '--json'], { reject: false, timeout: 180_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    const file = (JSON.parse(run.stdout) as { attestation: string }).attestation;
    const statement = decodeStatement(decodeEnvelope(readFileSync(file)).payload);
    const evidence = statement.predicate.environment.phaseEvidence ?? [];
    expect(evidence.map((e) => e.phase).sort()).toEqual(['bandwidth', 'sustained', 'throughput']);
    for (const e of evidence) {
      expect(e.timer?.sameClock).toBe(true);
      // Whatever this host has: a reading, or a named reason there is none.
      expect(e.clock!.reportedSamples > 0 || /^not reported/.test(e.clock!.reportedSource)).toBe(true);
      expect(e.power!.unreadable === '' ? e.power!.samples > 0 : /^not readable: /.test(e.power!.unreadable)).toBe(true);
    }
    const throughput = evidence.find((e) => e.phase === 'throughput')!;
    expect(throughput.clock!.measuredMhz).toBe(measuredClockMhz(statement.predicate.measurements.throughput));
    expect(evidence.find((e) => e.phase === 'bandwidth')!.clock!.measuredMhz).toBe(0);
    const verified = await execa(process.execPath, [cli, 'verify', file, '--pubkey', `${path.dirname(file)}/${path.basename(file, '.dsse.pb')}.pub.pem`], { reject: false });
    expect(verified.exitCode, verified.stdout).toBe(0);
    const report = await execa(process.execPath, [cli, 'report', file, '--pubkey', `${path.dirname(file)}/${path.basename(file, '.dsse.pb')}.pub.pem`, '--html', path.join(work, 'report.html')], { reject: false });
    expect(report.exitCode, report.stderr).toBe(0);
    const html = readFileSync(path.join(work, 'report.html'), 'utf8');
    expect(html).toContain('Clock and power evidence per phase');
    expect(html).toMatch(/Device timer ÷ host clock<\/th><td>same clock/);
  });
});
