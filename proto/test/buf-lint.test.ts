// The schemas pass buf's STANDARD lint rules (buf.yaml at the project root).
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('proto schemas', () => {
  it('pass buf lint', async () => {
    const run = await execa(path.join(root, 'node_modules', '.bin', 'buf'), ['lint'], { cwd: root, reject: false });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
  });

  it('keep the io.intoto.Envelope field numbers', async () => {
    const protobuf = (await import('protobufjs')).default;
    const schema = protobuf.loadSync(path.join(root, 'proto', 'tppverify', 'v1', 'envelope.proto'));
    const envelope = schema.lookupType('tppverify.v1.Envelope');
    const signature = schema.lookupType('tppverify.v1.Signature');
    expect(Object.fromEntries(envelope.fieldsArray.map((f) => [f.name, [f.id, f.type]]))).toEqual({
      payload: [1, 'bytes'],
      payloadType: [2, 'string'],
      signatures: [3, 'Signature'],
    });
    expect(Object.fromEntries(signature.fieldsArray.map((f) => [f.name, [f.id, f.type]]))).toEqual({ sig: [1, 'bytes'], keyid: [2, 'string'] });
  });
});
