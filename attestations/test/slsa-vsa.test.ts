// The lot VSA, read by in-toto's own definitions: the Statement and the
// VSA v1 predicate (in_toto_attestation.predicates.vsa.v1), unknown fields
// refused, by Buf's protobuf-es.
import { createFileRegistry, fromBinary, fromJson, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../intoto-json.js';
import { LOT_CERTIFIED_LEVEL, lotVsaStatement, VSA_PREDICATE_TYPE, type LotSummary } from '../slsa-vsa.js';
import { sha256Hex } from '../statement.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let work: string;
let statementSchema: DescMessage;
let vsaSchema: DescMessage;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tppverify-vsa-'));
  const out = path.join(work, 'in-toto.binpb');
  await execa(path.join(root, 'node_modules', '.bin', 'buf'), ['build', path.join(root, 'attestations', 'test', 'fixtures', 'in-toto'), '-o', out], { cwd: root });
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(out)));
  statementSchema = registry.getMessage('in_toto_attestation.v1.Statement')!;
  vsaSchema = registry.getMessage('in_toto_attestation.predicates.vsa.v1.VerificationSummary')!;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const summary = (outcome: LotSummary['outcome']): LotSummary => ({
  lotId: 'LOT 7/2026',
  manifestSha256: 'a'.repeat(64),
  declarationSha256: 'b'.repeat(64),
  plan: 'fixed-2',
  planDescription: 'a fixed sample of 2 units',
  nonceHex: '0011223344556677',
  lotSize: 6,
  outcome,
  issuedAt: '2026-12-01T17:00:00.000Z',
  units: [
    { serial: 'S1', attestationSha256: 'c'.repeat(64), status: 'valid', verdict: 'consistent' },
    { serial: 'S2', attestationSha256: outcome === 'incomplete' ? '' : 'd'.repeat(64), status: outcome === 'incomplete' ? 'missing' : 'valid', verdict: 'consistent' },
  ],
  unitDecisionRule: 'tppverify-decision-rule@1',
  harnessVersion: 'test',
});

describe('lot certificate as a SLSA VSA v1', () => {
  it('parses strictly as in-toto Statement and VSA v1, PASSED for a certified lot', () => {
    const json = lotVsaStatement(summary('certified'));
    const statement = fromJson(statementSchema, json as JsonValue) as unknown as { predicateType: string; subject: { digest: Record<string, string> }[] };
    expect(statement.predicateType).toBe(VSA_PREDICATE_TYPE);
    expect(statement.subject[0]!.digest['sha256']).toBe('a'.repeat(64));
    const vsa = fromJson(vsaSchema, json['predicate'] as JsonValue) as unknown as {
      verificationResult: string;
      verifiedLevels: string[];
      resourceUri: string;
      inputAttestations: { digest: Record<string, string> }[];
      policy: { digest: Record<string, string> };
      timeVerified: { seconds: bigint };
    };
    expect(vsa.verificationResult).toBe('PASSED');
    expect(vsa.verifiedLevels).toEqual([LOT_CERTIFIED_LEVEL]);
    expect(vsa.resourceUri).toBe('urn:tppverify:lot:LOT%207%2F2026');
    expect(vsa.inputAttestations.map((a) => a.digest['sha256'])).toEqual(['c'.repeat(64), 'd'.repeat(64)]);
    expect(vsa.timeVerified.seconds).toBe(BigInt(Date.parse('2026-12-01T17:00:00.000Z') / 1000));
    // The policy digest is recomputable from the policy the subject carries.
    const policy = ((json['subject'] as { annotations: { policy: unknown } }[])[0]!).annotations.policy;
    expect(vsa.policy.digest['sha256']).toBe(sha256Hex(canonicalJson(policy)));
    expect(policy).toMatchObject({ plan: 'fixed-2', nonce: '0011223344556677', unitDecisionRule: 'tppverify-decision-rule@1' });
  });

  it('is FAILED for a lot that is not certified, listing only the attestations it had', () => {
    const predicate = lotVsaStatement(summary('incomplete'))['predicate'] as JsonValue;
    const vsa = fromJson(vsaSchema, predicate) as unknown as { verificationResult: string; inputAttestations: unknown[] };
    expect(vsa.verificationResult).toBe('FAILED');
    expect(vsa.inputAttestations).toHaveLength(1);
    expect((lotVsaStatement(summary('rejected'))['predicate'] as { verificationResult: string }).verificationResult).toBe('FAILED');
  });

  it('a predicate field the VSA spec does not define is refused by the peer', () => {
    const predicate = { ...(lotVsaStatement(summary('certified'))['predicate'] as Record<string, unknown>), grade: 'A' };
    expect(() => fromJson(vsaSchema, predicate as JsonValue)).toThrow(/grade/);
  });
});
