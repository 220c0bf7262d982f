// Test support: every published schema loaded into Ajv (draft 2020-12,
// strict), as a lab's client would load them.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { generateSchemas } from '../json-schema.js';

const ID = 'https://tppverify.dev/schemas/';
let ajv: Ajv2020 | undefined;

/** True when `value` validates against schemas/<schemaFile>; the errors are printed with SCHEMA_DEBUG=1. */
export function validatesAgainst(schemaFile: string, value: unknown): boolean {
  if (!ajv) {
    ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats.default(ajv);
    for (const schema of Object.values(generateSchemas())) ajv.addSchema(schema);
  }
  const validate = ajv.getSchema(`${ID}${schemaFile}`);
  if (!validate) throw new Error(`no schema ${schemaFile}`);
  const ok = validate(value) as boolean;
  if (!ok && process.env['SCHEMA_DEBUG']) console.log(JSON.stringify(validate.errors, null, 2));
  return ok;
}
