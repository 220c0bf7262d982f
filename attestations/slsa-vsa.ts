// A lot certificate as a SLSA Verification Summary Attestation v1
// (https://slsa.dev/verification_summary/v1) in an in-toto Statement: the
// lab (verifier) checked the sampled units' attestations of a lot against
// a sampling plan and decision rule (policy, by digest), with every unit
// attestation it used by digest. PASSED only for a certified lot.
import { canonicalJson, INTOTO_STATEMENT_TYPE } from './intoto-json.js';
import { sha256Hex } from './statement.js';

export const VSA_PREDICATE_TYPE = 'https://slsa.dev/verification_summary/v1';
/** Who verified: tppverify's lot certification, as the project names it (docs/predicate-spec.md). */
export const LOT_VERIFIER_ID = 'https://tppverify.dev/verifier/lot-certify/v1';
/** The policy's URI; its digest pins the exact plan, nonce and rules. */
export const LOT_POLICY_URI = 'https://tppverify.dev/policy/lot-sampling/v1';
/** A custom verified level (SLSA allows any not starting with SLSA_): the lot is certified. */
export const LOT_CERTIFIED_LEVEL = 'TPPVERIFY_LOT_CERTIFIED';
/** The rule that turns unit statuses into the lot outcome (harness/lot/certificate.ts lotOutcome). */
export const LOT_OUTCOME_RULE = 'certified: every sampled unit has a valid attestation for the lot declaration with verdict consistent; rejected: any under- or over-declared; otherwise incomplete';

/** What a lot certificate says, in the plain terms the VSA needs. */
export interface LotSummary {
  lotId: string;
  manifestSha256: string;
  declarationSha256: string;
  plan: string;
  planDescription: string;
  nonceHex: string;
  lotSize: number;
  outcome: 'certified' | 'rejected' | 'incomplete';
  issuedAt: string;
  units: { serial: string; attestationSha256: string; status: string; verdict: string }[];
  /** The decision rule the unit attestations are judged by, id@version. */
  unitDecisionRule: string;
  harnessVersion: string;
}

/** The policy the lot was judged by: its JCS form's SHA-256 is the VSA's policy digest. */
export function lotPolicy(summary: LotSummary): Record<string, string> {
  return {
    plan: summary.plan,
    planDescription: summary.planDescription,
    nonce: summary.nonceHex,
    unitDecisionRule: summary.unitDecisionRule,
    lotOutcomeRule: LOT_OUTCOME_RULE,
  };
}

export function lotResourceUri(lotId: string): string {
  return `urn:tppverify:lot:${encodeURIComponent(lotId)}`;
}

/** The VSA Statement, as a JSON value: sign its JSON bytes in DSSE with payload type application/vnd.in-toto+json. */
export function lotVsaStatement(summary: LotSummary): Record<string, unknown> {
  const policy = lotPolicy(summary);
  const passed = summary.outcome === 'certified';
  return {
    _type: INTOTO_STATEMENT_TYPE,
    subject: [
      {
        name: summary.lotId,
        uri: lotResourceUri(summary.lotId),
        digest: { sha256: summary.manifestSha256 },
        annotations: {
          role: 'lot-manifest',
          outcome: summary.outcome,
          lotSize: summary.lotSize,
          sampled: summary.units.length,
          declarationSha256: summary.declarationSha256,
          verifierVersion: summary.harnessVersion,
          policy,
        },
      },
    ],
    predicateType: VSA_PREDICATE_TYPE,
    predicate: {
      verifier: { id: LOT_VERIFIER_ID },
      timeVerified: summary.issuedAt,
      resourceUri: lotResourceUri(summary.lotId),
      policy: { uri: LOT_POLICY_URI, digest: { sha256: sha256Hex(canonicalJson(policy)) } },
      inputAttestations: summary.units
        .filter((u) => u.attestationSha256)
        .map((u) => ({ uri: `urn:tppverify:unit:${encodeURIComponent(u.serial)}`, digest: { sha256: u.attestationSha256 } })),
      verificationResult: passed ? 'PASSED' : 'FAILED',
      verifiedLevels: [passed ? LOT_CERTIFIED_LEVEL : 'FAILED'],
    },
  };
}

export function encodeLotVsa(summary: LotSummary): Uint8Array {
  return Buffer.from(JSON.stringify(lotVsaStatement(summary)), 'utf8');
}
