// The protobuf schemas, loaded by reflection from proto/tppverify/v1.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** proto/tppverify/v1 beside the harness (source tree or built dist/). */
export function protoDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    const candidate = path.join(dir, 'proto', 'tppverify', 'v1');
    if (existsSync(path.join(candidate, 'attestation.proto'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('proto/tppverify/v1 not found beside the harness');
}

let loaded: protobuf.Root | undefined;

function root(): protobuf.Root {
  if (!loaded) {
    const dir = protoDir();
    loaded = protobuf.loadSync(['envelope.proto', 'attestation.proto', 'lot.proto'].map((f) => path.join(dir, f)));
  }
  return loaded;
}

export function envelopeType(): protobuf.Type {
  return root().lookupType('tppverify.v1.Envelope');
}

export function lotCertificateType(): protobuf.Type {
  return root().lookupType('tppverify.v1.LotCertificate');
}

export function statementType(): protobuf.Type {
  return root().lookupType('tppverify.v1.Statement');
}

/** A message type of the attestation schema by its short name, e.g. "Results". */
const types = new Map<string, protobuf.Type>();

export function attestationType(name: string): protobuf.Type {
  let type = types.get(name);
  if (!type) {
    type = root().lookupType(`tppverify.v1.${name}`);
    types.set(name, type);
  }
  return type;
}

/** Plain-object conversion used for every decode: numbers for 64-bit ints, defaults filled in. */
export const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true, objects: false };
