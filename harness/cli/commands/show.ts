// `tppverify show FILE`: the decoded attestation, without judging it.
import type { Statement } from '../../../attestations/statement.js';
import { readSignedDocument } from '../../signed-document.js';
import { NO_TRUSTED_KEYS } from '../../verify/document.js';
import { boundedLine, terminalJson } from '../escape.js';
import type { CliIo } from '../io.js';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export async function runShow(file: string, options: { json: boolean }, io: CliIo): Promise<void> {
  // The banner is the one verification's answer without keys: the signatures unchecked, every content problem listed.
  const document = readSignedDocument(file, NO_TRUSTED_KEYS);
  const envelope = document.envelope!;
  const body =
    document.kind === 'attestation'
      ? { statement: statementView(document.statement) }
      : { certificate: { ...document.certificate, nonce: hex(document.certificate.nonce) } };
  const problems = document.contentProblems;
  const view = {
    schema: 'tppverify.show.v1',
    note: problems.length
      ? `DOES NOT VERIFY (${problems.length} problem${problems.length === 1 ? '' : 's'}); signatures are not checked here either: use tppverify verify`
      : 'decoded only: signatures are not checked here; use tppverify verify',
    verification: { signaturesChecked: false, problems },
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: hex(s.sig) })),
    ...body,
  };
  // Pretty-printed by default, one line with --json.
  io.out(terminalJson(options.json ? JSON.stringify(view) : JSON.stringify(view, null, 2)) + '\n');
  if (problems.length) io.err(`tppverify: ${boundedLine(`${file}: does not verify: ${problems.join('; ')}`)}\n`);
}

/** The statement with its byte fields as text: the declaration as UTF-8, the nonce as hex. */
function statementView(statement: Statement) {
  return {
    ...statement,
    predicate: {
      ...statement.predicate,
      declaration: {
        sha256: statement.predicate.declaration.sha256,
        json: Buffer.from(statement.predicate.declaration.json).toString('utf8'),
      },
      nonce: hex(statement.predicate.nonce),
      intake: statement.predicate.intake ? { sha256: statement.predicate.intake.sha256, json: Buffer.from(statement.predicate.intake.json).toString('utf8') } : null,
      identityEvidence: statement.predicate.identityEvidence
        ? {
            ...statement.predicate.identityEvidence,
            spdm: statement.predicate.identityEvidence.spdm.map((e) => ({
              ...e,
              nonce: hex(e.nonce),
              report: hex(e.report),
              ocspResponses: e.ocspResponses.map(hex),
              referenceManifests: e.referenceManifests.map((m) => Buffer.from(m).toString('utf8')),
            })),
          }
        : null,
    },
  };
}
