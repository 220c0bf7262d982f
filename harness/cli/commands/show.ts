// `tppverify show FILE`: the decoded attestation, without judging it.
import type { Statement } from '../../../attestations/statement.js';
import { decodeSignedDocument } from '../../signed-document.js';
import { readAttestationFile } from '../../../attestations/verify.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export async function runShow(file: string, options: { json: boolean }, io: CliIo): Promise<void> {
  const content = await readAttestationFile(file);
  if (!('bytes' in content)) throw new UsageError(`${file} is ${content.tooLargeBytes} bytes: too large to be an attestation`);
  let document;
  try {
    document = decodeSignedDocument(content.bytes);
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
  const { envelope } = document;
  const body =
    document.kind === 'attestation'
      ? { statement: statementView(document.statement) }
      : { certificate: { ...document.certificate, nonce: hex(document.certificate.nonce) } };
  const view = {
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
