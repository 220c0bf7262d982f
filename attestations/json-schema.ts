// JSON Schemas (draft 2020-12) for the records and every --json output.
// Where a JSON form mirrors a protobuf message (the predicate, the
// declaration, the lot manifest), its schema is generated from the .proto
// by reflection, following the proto3 JSON mapping proto-json.ts writes;
// the CLI outputs that are not messages are described here by hand and
// refer to the generated definitions. `npm run schemas` writes schemas/;
// a test checks that the committed files equal what this generates.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { INTOTO_PAYLOAD_TYPE, INTOTO_PREDICATE_TYPE, INTOTO_STATEMENT_TYPE } from './intoto-json.js';
import { protoDir } from './schema.js';

type Schema = Record<string, unknown>;

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
const ID_BASE = 'https://tppverify.dev/schemas/';
const UINT32_MAX = 2 ** 32 - 1;
const HEX_SHA256 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const UINT64_DECIMAL = '^(0|[1-9][0-9]*)$';

/** The JSON of one protobuf scalar type under the proto3 mapping. */
function scalarSchema(type: string): Schema {
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'bool':
      return { type: 'boolean' };
    case 'bytes':
      return { type: 'string', contentEncoding: 'base64' };
    case 'double':
    case 'float':
      return { oneOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] };
    case 'uint32':
    case 'fixed32':
      return { type: 'integer', minimum: 0, maximum: UINT32_MAX };
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return { type: 'integer', minimum: -(2 ** 31), maximum: 2 ** 31 - 1 };
    case 'uint64':
    case 'fixed64':
      return { oneOf: [{ type: 'string', pattern: UINT64_DECIMAL }, { type: 'integer', minimum: 0 }] };
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return { oneOf: [{ type: 'string', pattern: '^-?(0|[1-9][0-9]*)$' }, { type: 'integer' }] };
  }
  throw new Error(`json-schema: no JSON mapping for protobuf type ${type}`);
}

/** $defs for `type` and every message it reaches, keyed by the message's short name. */
function messageDefs(type: protobuf.Type, defs: Record<string, Schema> = {}): Record<string, Schema> {
  if (defs[type.name]) return defs;
  const properties: Record<string, Schema> = {};
  defs[type.name] = { type: 'object', ...(type.comment ? { description: type.comment } : {}), properties, additionalProperties: false };
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    field.resolve();
    let value: Schema;
    if (field.resolvedType instanceof protobuf.Type) {
      messageDefs(field.resolvedType, defs);
      value = { $ref: `#/$defs/${field.resolvedType.name}` };
    } else if (field.resolvedType) {
      throw new Error(`json-schema: enums are not in the schemas yet (${field.fullName})`);
    } else {
      value = scalarSchema(field.type);
    }
    if (field instanceof protobuf.MapField) value = { type: 'object', additionalProperties: value };
    else if (field.repeated) value = { type: 'array', items: value };
    // proto3 JSON readers take null for a default value.
    properties[field.name] = field.comment ? { description: field.comment, ...value } : value;
  }
  return defs;
}

/** The schemas with their comments: `//` comments count (alternateCommentMode), as the .proto files use them. */
function loadRoot(files: string[]): protobuf.Root {
  const root = new protobuf.Root();
  for (const file of files) protobuf.parse(readFileSync(path.join(protoDir(), file), 'utf8'), root, { alternateCommentMode: true });
  root.resolveAll();
  return root;
}

function messageSchema(id: string, title: string, root: protobuf.Root, name: string): Schema {
  const type = root.lookupType(`tppverify.v1.${name}`);
  return { $schema: DRAFT, $id: `${ID_BASE}${id}`, title, $ref: `#/$defs/${name}`, $defs: messageDefs(type) };
}

const ref = (file: string, def?: string) => ({ $ref: `${ID_BASE}${file}${def ? `#/$defs/${def}` : ''}` });

/** An output object: `schema` is required and names it; the listed members are required too. */
function outputSchema(id: string, schemaName: string, title: string, properties: Record<string, Schema>, extra: Schema = {}, optional: Record<string, Schema> = {}): Schema {
  return {
    $schema: DRAFT,
    $id: `${ID_BASE}${id}`,
    title,
    type: 'object',
    required: ['schema', ...Object.keys(properties)],
    properties: { schema: { const: schemaName }, ...properties, ...optional },
    ...extra,
  };
}

const ATTESTATION_SUMMARY: Schema = {
  type: 'object',
  required: ['reportId', 'issuedAt', 'device', 'model', 'serial', 'outcome', 'declaredTpp', 'measuredTppAtSpecClock', 'eccn3a090', 'performanceDensity', 'caseByCaseEligible', 'demo', 'selfDeclared', 'nonce', 'auditOf', 'auditOutcome'],
  properties: {
    reportId: { type: 'string' },
    issuedAt: { type: 'string', format: 'date-time' },
    device: { type: 'string' },
    model: { type: 'string' },
    serial: { type: 'string' },
    outcome: { enum: ['consistent', 'under-declared', 'over-declared', 'inconclusive'] },
    declaredTpp: { type: 'number' },
    measuredTppAtSpecClock: { type: ['number', 'null'] },
    eccn3a090: { type: 'string' },
    performanceDensity: { type: ['number', 'null'] },
    caseByCaseEligible: { type: 'boolean' },
    demo: { type: 'boolean' },
    selfDeclared: { type: 'boolean' },
    nonce: { type: 'string', pattern: '^([0-9a-f]{2})*$' },
    auditOf: { oneOf: [HEX_SHA256, { type: 'null' }] },
    auditOutcome: { enum: ['reproduced', 'not-reproduced', 'inconclusive', null] },
  },
  additionalProperties: false,
};

const LOT_CERTIFICATE_SUMMARY: Schema = {
  type: 'object',
  required: ['kind', 'lotId', 'outcome', 'units', 'lotSize', 'nonceRule', 'nonceParties'],
  properties: {
    kind: { const: 'lot-certificate' },
    lotId: { type: 'string' },
    outcome: { enum: ['certified', 'rejected', 'incomplete'] },
    units: { type: 'integer' },
    lotSize: { type: 'integer' },
    nonceRule: { type: 'string', description: 'the rule that combined the contributions; empty when one party gave the nonce' },
    nonceParties: { type: 'array', items: { type: 'string' }, description: 'each contributing party and its role' },
  },
  additionalProperties: false,
};

const PATH = { type: 'string', minLength: 1 };

/** Every schema file under schemas/, by file name. */
export function generateSchemas(): Record<string, Schema> {
  const attestation = loadRoot(['envelope.proto', 'attestation.proto']);
  const declaration = loadRoot(['declaration.proto']);
  const lot = loadRoot(['lot.proto']);
  const predicate = messageSchema('predicate.v1.schema.json', `The tppverify predicate (${INTOTO_PREDICATE_TYPE}): tppverify.v1.Predicate in proto3 JSON`, attestation, 'Predicate');
  const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
  return {
    'predicate.v1.schema.json': predicate,
    'declaration.v1.schema.json': messageSchema('declaration.v1.schema.json', "An exporter's declaration: tppverify.v1.Declaration in proto3 JSON", declaration, 'Declaration'),
    'lot-manifest.v1.schema.json': messageSchema('lot-manifest.v1.schema.json', 'A lot manifest: tppverify.v1.LotManifest in proto3 JSON', lot, 'LotManifest'),
    'lot-certificate.v1.schema.json': messageSchema('lot-certificate.v1.schema.json', 'A lot certificate payload: tppverify.v1.LotCertificate in proto3 JSON', lot, 'LotCertificate'),
    'intoto-statement.v1.schema.json': {
      $schema: DRAFT,
      $id: `${ID_BASE}intoto-statement.v1.schema.json`,
      title: `The payload of a .intoto.json envelope (payload type ${INTOTO_PAYLOAD_TYPE}): an in-toto Statement v1 with the tppverify predicate`,
      type: 'object',
      required: ['_type', 'subject', 'predicateType', 'predicate'],
      properties: {
        _type: { const: INTOTO_STATEMENT_TYPE },
        subject: {
          type: 'array',
          prefixItems: [
            {
              type: 'object',
              required: ['name', 'digest', 'annotations'],
              properties: {
                name: { type: 'string' },
                digest: { type: 'object', required: ['sha256'], properties: { sha256: HEX_SHA256 }, additionalProperties: false },
                annotations: {
                  type: 'object',
                  required: ['role', 'deviceId', 'identity'],
                  properties: {
                    role: { const: 'board' },
                    deviceId: { type: 'string' },
                    serial: { type: 'string' },
                    uuid: { type: 'string' },
                    pdi: { type: 'string' },
                    boardPartNumber: { type: 'string' },
                    identity: { type: 'array', items: ref('predicate.v1.schema.json', 'Fact') },
                  },
                  additionalProperties: false,
                },
              },
              additionalProperties: false,
            },
            {
              type: 'object',
              required: ['name', 'digest', 'mediaType', 'annotations'],
              properties: {
                name: { const: 'declaration' },
                digest: { type: 'object', required: ['sha256'], properties: { sha256: HEX_SHA256 }, additionalProperties: false },
                mediaType: { const: 'application/json' },
                annotations: { type: 'object', required: ['role'], properties: { role: { const: 'declaration' } }, additionalProperties: false },
              },
              additionalProperties: false,
            },
          ],
          items: false,
          minItems: 2,
        },
        predicateType: { const: INTOTO_PREDICATE_TYPE },
        predicate: ref('predicate.v1.schema.json'),
      },
      additionalProperties: false,
    },
    'verify.v1.schema.json': outputSchema('verify.v1.schema.json', 'tppverify.verify.v1', 'tppverify verify --json: the same shape for one file or many', {
      valid: { type: 'boolean', description: 'every file is valid' },
      count: { type: 'integer', minimum: 1 },
      validCount: { type: 'integer', minimum: 0 },
      seconds: { type: 'number', minimum: 0 },
      files: {
        type: 'array',
        items: {
          type: 'object',
          required: ['file', 'valid', 'unreadable', 'kind', 'keyids', 'reasons', 'summary', 'timestamps'],
          properties: {
            file: PATH,
            valid: { type: 'boolean' },
            unreadable: { type: 'boolean' },
            kind: { enum: ['attestation', 'lot-certificate', null] },
            keyids: { type: 'array', items: HEX_SHA256 },
            reasons: { type: 'array', items: { type: 'string' } },
            summary: { oneOf: [{ type: 'null' }, ATTESTATION_SUMMARY, LOT_CERTIFICATE_SUMMARY] },
            timestamps: { type: 'array', items: { type: 'string', format: 'date-time' } },
          },
          additionalProperties: false,
        },
      },
    }, { additionalProperties: false }),
    'run.v1.schema.json': outputSchema('run.v1.schema.json', 'tppverify.run.v1', 'tppverify run --json (one object per device)', {
      attestation: PATH,
      json: PATH,
      intoto: PATH,
      bundle: PATH,
      keyid: HEX_SHA256,
      summary: ATTESTATION_SUMMARY,
      findings: { type: 'array', items: ref('predicate.v1.schema.json', 'Finding') },
    }, { additionalProperties: false }, {
      publicKey: { ...PATH, description: 'demo runs: the ephemeral public key written beside the attestation' },
      verifyCommand: { type: 'string', description: 'demo runs: a verify command that works on this attestation as printed' },
      reportCommand: { type: 'string', description: 'demo runs: a report command that works on this attestation as printed' },
    }),
    'audit.v1.schema.json': outputSchema('audit.v1.schema.json', 'tppverify.audit.v1', 'tppverify audit --json', {
      attestation: PATH,
      json: PATH,
      intoto: PATH,
      bundle: PATH,
      keyid: HEX_SHA256,
      audit: {
        type: 'object',
        required: ['outcome', 'originalSha256', 'nonceReused', 'comparisons'],
        properties: {
          outcome: { enum: ['reproduced', 'not-reproduced', 'inconclusive'] },
          originalSha256: HEX_SHA256,
          nonceReused: { type: 'boolean' },
          comparisons: { type: 'array', items: ref('predicate.v1.schema.json', 'Finding') },
        },
        additionalProperties: false,
      },
      summary: ATTESTATION_SUMMARY,
    }, { additionalProperties: false }),
    'lot-plan.v1.schema.json': outputSchema('lot-plan.v1.schema.json', 'tppverify.lot-plan.v1', 'tppverify lot plan --json', {
      lotId: { type: 'string' },
      plan: { type: 'string' },
      planDescription: { type: 'string' },
      manifestSha256: HEX_SHA256,
      nonceHex: { type: 'string', pattern: '^([0-9a-f]{2})+$' },
      nonceRule: { type: 'string', description: 'the rule that combined the contributions; empty when one party gave the nonce' },
      contributions: {
        type: 'array',
        items: {
          type: 'object',
          required: ['party', 'role', 'committedAt', 'commitment', 'contribution'],
          properties: { party: { type: 'string' }, role: { enum: ['lab', 'exporter', 'auditor', 'bis'] }, committedAt: { type: 'string' }, commitment: HEX_SHA256, contribution: { type: 'string', pattern: '^([0-9a-f]{2})+$' } },
          additionalProperties: false,
        },
      },
      lotSize: { type: 'integer', minimum: 0 },
      sampled: {
        type: 'array',
        items: {
          type: 'object',
          required: ['serial'],
          properties: { serial: { type: 'string' }, uuid: { type: 'string' }, boardPartNumber: { type: 'string' }, pdi: { type: 'string' }, host: { type: 'string' }, pciBusId: { type: 'string' } },
          additionalProperties: false,
        },
      },
    }, { additionalProperties: false }),
    'lot-certify.v1.schema.json': outputSchema('lot-certify.v1.schema.json', 'tppverify.lot-certify.v1', 'tppverify lot certify --json: the files written and the certificate (nonce as hex)', {
      certificate: PATH,
      vsa: PATH,
      keyid: HEX_SHA256,
      lotId: { type: 'string' },
      outcome: { enum: ['certified', 'rejected', 'incomplete'] },
      units: { type: 'array', items: ref('lot-certificate.v1.schema.json', 'UnitAttestation') },
    }),
    'show.v1.schema.json': outputSchema('show.v1.schema.json', 'tppverify.show.v1', 'tppverify show --json: the decoded document, signatures not checked (declaration as text, nonce and signatures as hex)', {
      note: { type: 'string' },
      payloadType: { type: 'string' },
      signatures: { type: 'array', items: { type: 'object', required: ['keyid', 'sig'], properties: { keyid: { type: 'string' }, sig: { type: 'string', pattern: '^([0-9a-f]{2})*$' } }, additionalProperties: false } },
    }, { oneOf: [{ required: ['statement'], properties: { statement: { type: 'object' } } }, { required: ['certificate'], properties: { certificate: { type: 'object' } } }] }),
    'bench.v1.schema.json': outputSchema('bench.v1.schema.json', 'tppverify.bench.v1', 'tppverify bench --json', {
      device: { type: 'object' },
    }, {}, { bandwidth: { type: ['object', 'null'] }, throughput: { type: ['array', 'null'] } }),
    'tpp.v1.schema.json': outputSchema('tpp.v1.schema.json', 'tppverify.tpp.v1', 'tppverify tpp --json: the evaluation of a declaration', {
      declaration: { type: 'object' },
      tpp: { type: 'number' },
    }),
    'devices.v1.schema.json': outputSchema('devices.v1.schema.json', 'tppverify.devices.v1', 'tppverify devices --json', {
      backends: { type: 'array', items: { type: 'object', required: ['backend', 'devices'], properties: { backend: { type: 'string' }, devices: { type: 'array', items: { type: 'object' } }, reason: { type: 'string' } } } },
    }),
    'vsa-lot.v1.schema.json': {
      $schema: DRAFT,
      $id: `${ID_BASE}vsa-lot.v1.schema.json`,
      title: 'The payload of a lot .vsa.intoto.json: an in-toto Statement v1 with a SLSA Verification Summary v1 predicate',
      type: 'object',
      required: ['_type', 'subject', 'predicateType', 'predicate'],
      properties: {
        _type: { const: INTOTO_STATEMENT_TYPE },
        subject: { type: 'array', minItems: 1, maxItems: 1, items: { type: 'object', required: ['name', 'uri', 'digest', 'annotations'], properties: { name: { type: 'string' }, uri: { type: 'string' }, digest: { type: 'object', required: ['sha256'], properties: { sha256: HEX_SHA256 } }, annotations: { type: 'object' } } } },
        predicateType: { const: 'https://slsa.dev/verification_summary/v1' },
        predicate: {
          type: 'object',
          required: ['verifier', 'timeVerified', 'resourceUri', 'policy', 'inputAttestations', 'verificationResult', 'verifiedLevels'],
          properties: {
            verifier: { type: 'object', required: ['id'], properties: { id: { type: 'string' } }, additionalProperties: false },
            timeVerified: { type: 'string', format: 'date-time' },
            resourceUri: { type: 'string' },
            policy: { type: 'object', required: ['uri', 'digest'], properties: { uri: { type: 'string' }, digest: stringMap }, additionalProperties: false },
            inputAttestations: { type: 'array', items: { type: 'object', required: ['uri', 'digest'], properties: { uri: { type: 'string' }, digest: stringMap }, additionalProperties: false } },
            verificationResult: { enum: ['PASSED', 'FAILED'] },
            verifiedLevels: { type: 'array', items: { type: 'string' } },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
  };
}

/** The text of each file: two-space indentation, a final newline. */
export function schemaFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(generateSchemas()).map(([name, schema]) => [name, JSON.stringify(schema, null, 2) + '\n']));
}

// `node dist/attestations/json-schema.js DIR` (npm run schemas) writes the files.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = process.argv[2] ?? 'schemas';
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(schemaFiles())) writeFileSync(path.join(dir, name), text);
}
