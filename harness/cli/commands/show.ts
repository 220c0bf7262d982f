// `tppverify show FILE`: the decoded attestation, without judging it.
import { decodeEnvelopeAnyForm } from '../../../attestations/dsse.js';
import { decodeStatement, PAYLOAD_TYPE } from '../../../attestations/statement.js';
import { readAttestationFile } from '../../../attestations/verify.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export async function runShow(file: string, options: { json: boolean }, io: CliIo): Promise<void> {
  const content = await readAttestationFile(file);
  if (!('bytes' in content)) throw new UsageError(`${file} is ${content.tooLargeBytes} bytes: too large to be an attestation`);
  let envelope;
  let statement;
  try {
    envelope = decodeEnvelopeAnyForm(content.bytes);
    if (envelope.payloadType !== PAYLOAD_TYPE) throw new Error(`payload type '${envelope.payloadType}' is not ${PAYLOAD_TYPE}`);
    statement = decodeStatement(envelope.payload);
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
  const view = {
    note: 'decoded only: signatures are not checked here; use tppverify verify',
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: hex(s.sig) })),
    statement: {
      ...statement,
      predicate: {
        ...statement.predicate,
        declaration: {
          sha256: statement.predicate.declaration.sha256,
          json: Buffer.from(statement.predicate.declaration.json).toString('utf8'),
        },
        nonce: hex(statement.predicate.nonce),
      },
    },
  };
  io.out(options.json ? JSON.stringify(view) + '\n' : JSON.stringify(view, null, 2) + '\n');
}
