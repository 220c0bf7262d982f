// What an attestation's content must satisfy beyond its signature: the
// harness's own acceptance rules re-applied to the raw data (the functions
// run uses at measure time), the state problems re-derived, and TPP,
// classification and verdict recomputed from the recorded declaration and
// measurements. Needs neither a GPU nor the native addon.
import { isDeepStrictEqual } from 'node:util';
import type { NativeBandwidthResult, NativeThroughputCase } from '../../benchmarks/native-addon.js';
import { MIN_TRIALS } from '../../benchmarks/registry.js';
import { ResultValidationError, validateBandwidthResult, validateThroughputCase } from '../../benchmarks/validate.js';
import { decodeUtf8Strict } from '../../attestations/strict-json.js';
import { encodedComputed, PREDICATE_TYPE, sha256Hex, STATEMENT_TYPE, type Statement } from '../../attestations/statement.js';
import { auditProblems } from '../audit/compare.js';
import { measuredSequence, PLAN_DERIVATION, planDepartures } from '../plan/run-plan.js';
import { identityEvidenceProblems } from '../../attestations/spdm/identity-evidence.js';
import { parseDeclaration } from '../declaration/declaration.js';
import { identifierProblem, IDENTIFIER_FACTS } from '../identity.js';
import { measuredClockMhz, stateInputsFromRecord, stateProblemsOf } from '../verdict/state.js';
import { computeVerdict, DECISION_RULE } from '../verdict/verdict.js';
import { sustainedDepartures } from '../verdict/sustained.js';
import { validateSustained } from '../../benchmarks/sustained.js';

export interface AttestationSummary {
  reportId: string;
  issuedAt: string;
  device: string;
  model: string;
  serial: string;
  outcome: string;
  declaredTpp: number;
  measuredTppAtSpecClock: number | null;
  eccn3a090: string;
  performanceDensity: number | null;
  caseByCaseEligible: boolean;
  demo: boolean;
  selfDeclared: boolean;
  nonce: string;
  auditOf: string | null;
  /** An audit's outcome (reproduced, not-reproduced, inconclusive), or null for a first run. */
  auditOutcome: string | null;
}

export function summarize(statement: Statement): AttestationSummary {
  const p = statement.predicate;
  const identity = statement.subject[0]?.identity ?? [];
  const fact = (name: string) => identity.find((f) => f.name === name)?.value ?? '';
  return {
    reportId: p.report.reportId,
    issuedAt: p.report.issuedAt,
    device: statement.subject[0]?.name ?? '',
    model: fact('model'),
    serial: fact('serial'),
    outcome: p.verdict.outcome,
    declaredTpp: p.results.declaredTpp,
    measuredTppAtSpecClock: p.results.measuredAtClocks.find((c) => c.clock === 'spec')?.tpp ?? null,
    eccn3a090: p.results.eccn3a090,
    performanceDensity: p.results.performanceDensity,
    caseByCaseEligible: p.results.caseByCaseEligible,
    demo: p.report.demo,
    selfDeclared: p.report.selfDeclared,
    nonce: Buffer.from(p.nonce).toString('hex'),
    auditOf: p.audit ? p.audit.originalSha256 : null,
    auditOutcome: p.audit ? p.audit.outcome : null,
  };
}

/** The acceptance rules `run` applies before a result may be attested, re-applied to the recorded raw data. */
export function acceptanceProblems(statement: Statement): string[] {
  const m = statement.predicate.measurements;
  const problems: string[] = [];
  const check = (work: () => void) => {
    try {
      work();
    } catch (error) {
      if (!(error instanceof ResultValidationError)) throw error;
      problems.push(`the recorded measurements would not have been accepted: ${error.message}`);
    }
  };
  if (m.bandwidth) {
    const bandwidth = m.bandwidth;
    // The record keeps exactly the fields validation reads.
    check(() => validateBandwidthResult(
        { ...bandwidth, deviceId: m.deviceId, sizing: [], kernels: bandwidth.kernels.map((k) => ({ ...k, variantCount: 1 })) } as NativeBandwidthResult,
        MIN_TRIALS,
      ),
    );
    if (bandwidth.kernels.length && !bandwidth.sizing.some((s) => s.name === 'minimumArrayBytes')) {
      problems.push('the bandwidth record lacks its sizing rule: whether the arrays fit in cache cannot be shown');
    }
  }
  for (const c of m.throughput) check(() => validateThroughputCase(c as NativeThroughputCase, MIN_TRIALS));
  const evidence = statement.predicate.environment.phaseEvidence ?? [];
  const derived = stateProblemsOf(stateInputsFromRecord(statement.predicate.environment.facts, m.bandwidth, evidence));
  // Every measured phase carries its clock and power evidence, once: stripped, it could not show a cap.
  const measuredPhases = [...(m.bandwidth ? ['bandwidth'] : []), ...(m.throughput.length ? ['throughput'] : []), ...(m.sustained ? ['sustained'] : [])];
  for (const phase of measuredPhases) {
    const records = evidence.filter((e) => e.phase === phase).length;
    if (records !== 1) {
      problems.push(
        records ? `the ${phase} phase's clock and power evidence is recorded ${records} times` : `the attestation records no clock and power evidence for its ${phase} phase: a power cap or a clock disagreement in it cannot be shown absent`,
      );
    }
  }
  // The throughput phase's measured clock is the one its recorded trials give.
  const throughputEvidence = evidence.find((e) => e.phase === 'throughput');
  const trialsClock = measuredClockMhz(m.throughput);
  if (throughputEvidence?.clock && trialsClock !== null && throughputEvidence.clock.measuredMhz !== trialsClock) {
    problems.push(`the throughput phase's clock evidence records a measured ${throughputEvidence.clock.measuredMhz} MHz; its recorded trials give ${trialsClock} MHz`);
  }
  const sustained = m.sustained;
  if (sustained) check(() => validateSustained(sustained, m.throughput));
  // The derived problems come first, in order; problems only the run could see (identity readings,
  // a stand-in device) may follow, and can only make the verdict inconclusive.
  if (!isDeepStrictEqual(statement.predicate.stateProblems.slice(0, derived.length), derived)) {
    problems.push(
      `the recorded state problems are not those the recorded checks and measurements give (${derived.length ? derived.join('; ') : 'none'})`,
    );
  }
  for (const fact of statement.subject[0]?.identity ?? []) {
    if (!(IDENTIFIER_FACTS as readonly string[]).includes(fact.name)) continue;
    const problem = identifierProblem(fact.value);
    if (problem) problems.push(`device ${fact.name}: ${problem}`);
  }
  return problems;
}

/** Checks that the recorded results are what the recorded inputs give. */
export function recomputationProblems(statement: Statement): string[] {
  const p = statement.predicate;
  const problems: string[] = [];
  if (sha256Hex(p.declaration.json) !== p.declaration.sha256) problems.push('the declaration bytes do not match their recorded SHA-256');
  const rule = `${DECISION_RULE.id}@${DECISION_RULE.version}`;
  if (p.method.decisionRule !== rule) {
    problems.push(`made under decision rule ${p.method.decisionRule || '(none)'}; this verifier implements ${rule}`);
    return problems;
  }
  const expectedParameters = Object.entries(DECISION_RULE.parameters).map(([name, value]) => ({ name, value }));
  if (!isDeepStrictEqual(p.method.decisionParameters, expectedParameters)) problems.push('the recorded decision-rule parameters differ from the rule');
  let declaration;
  try {
    // The same reading as `run`'s: strict UTF-8, strict JSON.
    declaration = parseDeclaration(decodeUtf8Strict(p.declaration.json));
  } catch (error) {
    problems.push(`the recorded declaration is invalid: ${(error as Error).message}`);
    return problems;
  }
  let recomputed;
  try {
    recomputed = computeVerdict({
      declaration,
      measurements: p.measurements,
      deviceFacts: statement.subject[0]?.identity ?? [],
      stateProblems: p.stateProblems,
      selfDeclared: p.report.selfDeclared,
      intake: p.intake ?? null,
    });
  } catch (error) {
    problems.push(`the recorded measurements cannot be evaluated: ${(error as Error).message}`);
    return problems;
  }
  const expected = encodedComputed(recomputed.results, recomputed.verdict);
  const recorded = encodedComputed(p.results, p.verdict);
  if (!expected.results.equals(recorded.results)) problems.push('the recorded results differ from those recomputed from the recorded declaration and measurements');
  if (!expected.verdict.equals(recorded.verdict)) problems.push('the recorded verdict differs from the one recomputed from the recorded declaration and measurements');
  return problems;
}

/** Every content check of a decoded attestation, in the order a reader should see them. */
export function attestationProblems(statement: Statement): string[] {
  const problems: string[] = [];
  if (statement.type !== STATEMENT_TYPE) problems.push(`statement type '${statement.type}' is not ${STATEMENT_TYPE}`);
  if (statement.predicateType !== PREDICATE_TYPE) problems.push(`predicate type '${statement.predicateType}' is not ${PREDICATE_TYPE}`);
  if (statement.subject.length !== 1) problems.push(`expected one subject, found ${statement.subject.length}`);
  problems.push(...acceptanceProblems(statement));
  problems.push(...recomputationProblems(statement));
  if (statement.predicate.audit) problems.push(...auditProblems(statement.predicate.audit));
  // The GPU's SPDM evidence and every hardware-attested mark, re-checked against the pinned roots.
  problems.push(...identityEvidenceProblems(statement));
  problems.push(...planProblems(statement));
  problems.push(...sustainedProblems(statement));
  return problems;
}

/** The sustained phase: present, as long as the level asks, and rotating in the nonce's throughput order. */
export function sustainedProblems(statement: Statement): string[] {
  const p = statement.predicate;
  return sustainedDepartures(p.nonce, p.method, p.measurements);
}

/** The run plan: recorded, the nonce's own, and followed by the measurements (docs/run-plan.md). */
export function planProblems(statement: Statement): string[] {
  const p = statement.predicate;
  if (!p.plan) return [`the attestation records no run plan (${PLAN_DERIVATION}): its measurements cannot be shown to follow the nonce`];
  return planDepartures(p.nonce, p.plan, measuredSequence(p.measurements));
}
