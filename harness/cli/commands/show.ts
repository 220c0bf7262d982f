// `tppverify show FILE`: the decoded attestation, without judging it.
import type { Statement } from '../../../attestations/statement.js';
import { readSignedDocument } from '../../signed-document.js';
import type { CliIo } from '../io.js';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export async function runShow(file: string, options: { json: boolean }, io: CliIo): Promise<void> {
  const document = await readSignedDocument(file);
  const { envelope } = document;
  const body =
    document.kind === 'attestation'
      ? { statement: statementView(document.statement) }
      : { certificate: { ...document.certificate, nonce: hex(document.certificate.nonce) } };
  const view = {
    schema: 'tppverify.show.v1',
    note: 'decoded only: signatures are not checked here; use tppverify verify',
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: hex(s.sig) })),
    ...body,
  };
  // Pretty-printed by default, one line with --json.
  io.out(options.json ? JSON.stringify(view) + '\n' : JSON.stringify(view, null, 2) + '\n');
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
    },
  };
}
