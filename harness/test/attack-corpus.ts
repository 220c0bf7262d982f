// Signed documents an adversary with a trusted key could make (re-signed
// after a change), beside valid ones: the corpus every reader must agree on.
import type { KeyObject } from 'node:crypto';
import { encodeEnvelope, envelopeToJson, signEnvelope, type Envelope } from '../../attestations/dsse.js';
import type { SigningKey } from '../../attestations/keys.js';
import { ephemeralSigningKey } from '../../attestations/keys.js';
import { CERTIFICATE_PAYLOAD_TYPE, encodeCertificate, type LotCertificate } from '../../attestations/lot-certificate.js';
import { encodeStatement, PAYLOAD_TYPE, sha256Hex, type Statement } from '../../attestations/statement.js';
import { parseDeclaration } from '../declaration/declaration.js';
import { lotOutcome } from '../lot/outcome.js';
import { computeVerdict } from '../verdict/verdict.js';
import { DEVICE_FACTS, fixtureStatement } from './attestation-fixture.js';

export interface CorpusEntry {
  name: string;
  bytes: Uint8Array;
  /** What verify must say. */
  valid: boolean;
}

/** Results and verdict recomputed from the (changed) raw data, as an adversary re-signing would. */
export function recomputed(statement: Statement): Statement {
  const { results, verdict } = computeVerdict({
    declaration: parseDeclaration(Buffer.from(statement.predicate.declaration.json).toString('utf8')),
    measurements: statement.predicate.measurements,
    deviceFacts: statement.subject[0]!.identity,
    stateProblems: statement.predicate.stateProblems,
  });
  statement.predicate.results = results;
  statement.predicate.verdict = verdict;
  return statement;
}

export function sign(key: SigningKey, statement: Statement): Envelope {
  return signEnvelope(encodeStatement(statement), PAYLOAD_TYPE, [key]);
}

export function attackCorpus(key: SigningKey): { entries: CorpusEntry[]; trusted: Map<string, KeyObject> } {
  const trusted = new Map([[key.keyId, key.publicKey]]);
  const entries: CorpusEntry[] = [];
  const add = (name: string, bytes: Uint8Array, valid: boolean) => entries.push({ name, bytes, valid });
  const pb = (statement: Statement) => encodeEnvelope(sign(key, statement));

  const good = sign(key, fixtureStatement());
  add('valid.pb', encodeEnvelope(good), true);
  add('valid.json', Buffer.from(envelopeToJson(good)), true);
  add('valid-leading-whitespace.json', Buffer.from(`\n  ${envelopeToJson(good)}`), true);
  // The standard proto3 form other tools write: an empty keyid is left out.
  add('valid-empty-keyid.pb', encodeEnvelope({ ...good, signatures: good.signatures.map((s) => ({ ...s, keyid: '' })) }), true);

  const verdictChanged = fixtureStatement();
  verdictChanged.predicate.verdict.outcome = 'consistent';
  verdictChanged.predicate.verdict.findings.forEach((f) => (f.status = 'consistent'));
  verdictChanged.predicate.results.declaredTpp += 1;
  add('resigned-verdict-changed.pb', pb(verdictChanged), false);

  const oneTrial = fixtureStatement();
  for (const c of oneTrial.predicate.measurements.throughput) {
    c.trialSeconds = c.trialSeconds.slice(0, 1);
    c.trialClockMhz = c.trialClockMhz.slice(0, 1);
  }
  for (const k of oneTrial.predicate.measurements.bandwidth!.kernels) k.trialSeconds = k.trialSeconds.slice(0, 1);
  add('resigned-one-trial.pb', pb(recomputed(oneTrial)), false);

  const negative = fixtureStatement();
  negative.predicate.measurements.bandwidth!.kernels[0]!.trialSeconds[3] = -0.001;
  add('resigned-negative-trial.pb', pb(recomputed(negative)), false);

  const fast = fixtureStatement();
  for (const c of fast.predicate.measurements.throughput) c.trialSeconds = c.trialSeconds.map((s) => s / 20);
  add('resigned-20x-rate.pb', pb(recomputed(fast)), false);

  const small = fixtureStatement();
  const bandwidth = small.predicate.measurements.bandwidth!;
  bandwidth.arrayBytes = 4096;
  for (const k of bandwidth.kernels) {
    k.elements = 512;
    k.bytesReadPerTrial = 2 * 4096;
    k.bytesWrittenPerTrial = 4096;
  }
  add('resigned-4kib-arrays-no-state-problem.pb', pb(recomputed(small)), false);

  const wrongItem = fixtureStatement();
  wrongItem.subject[0]!.identity = DEVICE_FACTS.map((f) => (f.name === 'computeCapability' ? { ...f, value: '8.0' } : f.name === 'model' ? { ...f, value: 'NVIDIA A100-SXM4-80GB' } : f));
  add('wrong-item-recomputed.pb', pb(recomputed(wrongItem)), true);

  const nfd = fixtureStatement();
  nfd.subject[0]!.identity = nfd.subject[0]!.identity.map((f) => (f.name === 'serial' ? { ...f, value: 'SE\u0301RIAL-1 ' } : f));
  add('resigned-serial-not-normalized.pb', pb(recomputed(nfd)), false);

  add('untrusted-signer.pb', encodeEnvelope(sign(ephemeralSigningKey(), fixtureStatement())), false);

  // A payload with a field the schema does not know, appended and signed.
  const unknownField = Buffer.concat([Buffer.from(encodeStatement(fixtureStatement())), Buffer.from([0xf8, 0x07, 0x01])]);
  add('resigned-unknown-payload-field.pb', encodeEnvelope(signEnvelope(unknownField, PAYLOAD_TYPE, [key])), false);

  // The JSON rendering's base64 with non-zero padding bits: decodes to the same bytes, is not the canonical spelling.
  const json = JSON.parse(envelopeToJson(good)) as { payload: string };
  const padded = json.payload.endsWith('==') ? json.payload.replace(/(.)==$/, (_m, c: string) => `${String.fromCharCode(c.charCodeAt(0) + 1)}==`) : json.payload.replace(/(.)=$/, (_m, c: string) => `${String.fromCharCode(c.charCodeAt(0) + 1)}=`);
  if (padded !== json.payload && Buffer.from(padded, 'base64').equals(Buffer.from(json.payload, 'base64'))) {
    add('non-canonical-base64.json', Buffer.from(JSON.stringify({ ...json, payload: padded })), false);
  }

  const auditOf = (outcome: 'reproduced' | 'not-reproduced', status: 'consistent' | 'not-confirmed', rerun: number) => {
    const audit = fixtureStatement();
    audit.predicate.audit = {
      originalSha256: 'ab'.repeat(32),
      outcome,
      tolerance: 0.02,
      nonceReused: false,
      comparisons: [
        { claim: 'identity', rule: 'audit', status: 'note', values: [], labels: [{ name: 'note', value: 'same item' }] },
        { claim: 'rate:FP16 ops/clk/unit', rule: 'audit', status, labels: [], values: [{ name: 'original', value: 4096 }, { name: 'rerun', value: rerun }, { name: 'allowed', value: 0.02 }] },
      ],
    };
    return audit;
  };
  add('audit-valid.pb', pb(auditOf('reproduced', 'consistent', 4100)), true);
  add('resigned-audit-outcome-not-from-comparisons.pb', pb(auditOf('reproduced', 'not-confirmed', 3000)), false);
  const badLink = auditOf('reproduced', 'consistent', 4100);
  badLink.predicate.audit!.originalSha256 = 'not-a-digest';
  add('resigned-audit-link-not-a-digest.pb', pb(badLink), false);

  const certificate = (units: LotCertificate['units'], outcome?: LotCertificate['outcome']): Uint8Array => {
    const derived = lotOutcome(units);
    const c: LotCertificate = {
      lotId: 'LOT-1', manifestSha256: 'cd'.repeat(32), declarationSha256: sha256Hex(Buffer.from(fixtureStatement().predicate.declaration.json)),
      plan: 'fixed-1', planDescription: 'fixed', nonce: Buffer.from('0011223344556677', 'hex'), lotSize: 3,
      units, outcome: outcome ?? derived.outcome, reasons: derived.reasons, issuedAt: '2026-12-01T00:00:00.000Z', ignoredSerials: [],
    };
    return encodeEnvelope(signEnvelope(encodeCertificate(c), CERTIFICATE_PAYLOAD_TYPE, [key]));
  };
  const unit = { serial: '1654922001234', attestationSha256: sha256Hex(encodeEnvelope(good)), status: 'valid' as const, verdict: 'consistent', detail: 'valid.pb' };
  add('certificate-valid.pb', certificate([unit]), true);
  add('certificate-zero-units-certified.pb', certificate([], 'certified'), false);
  add('certificate-outcome-edited.pb', certificate([{ ...unit, verdict: 'under-declared' }], 'certified'), false);

  add('garbage.pb', Buffer.from('this is not an envelope at all'), false);
  add('empty.pb', new Uint8Array(), false);
  return { entries, trusted };
}
