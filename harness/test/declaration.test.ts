// Declarations are read strictly: every refusal names the field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { DECLARATION } from './attestation-fixture.js';
import {
  DECLARATION_COMPOUND_FIELDS,
  DECLARATION_FIELDS,
  DeclarationError,
  MAX_DECLARATION_BYTES,
  SOURCE_FIELDS,
  parseDeclaration,
  readDeclarationFile,
} from '../declaration/declaration.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'tppverify-decl-'));

const VALID = DECLARATION;

function withField(path: string, value: unknown): string {
  const copy = JSON.parse(JSON.stringify(VALID)) as Record<string, unknown>;
  const [head, tail] = path.split('.', 2) as [string, string | undefined];
  if (tail === undefined) copy[head] = value;
  else (copy[head] as Record<string, unknown>)[tail] = value;
  return JSON.stringify(copy);
}

function refusal(text: string): string {
  try {
    parseDeclaration(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DeclarationError);
    return (error as Error).message;
  }
  throw new Error('expected the declaration to be refused');
}

describe('declaration parsing', () => {
  it('accepts a valid declaration and keeps every field', () => {
    const parsed = parseDeclaration(JSON.stringify({ ...VALID, maxClockMhz: 1980, dieAreaMm2: 814 }));
    expect(parsed).toMatchObject({ ...VALID, maxClockMhz: 1980, dieAreaMm2: 814, sources: [] });
  });

  it.each([
    ['peakDenseTops.FP9', 1, /^peakDenseTops\.FP9: unknown format/],
    ['frequencyMhz', 1830, /^frequencyMhz: unknown field/],
    ['computeUnits', '132', /^computeUnits: expected a number, got a string/],
    ['computeUnits', 131.5, /^computeUnits: expected a whole number, got 131.5/],
    ['specClockMhz', -1830, /^specClockMhz: must not be negative, got -1830/],
    ['specClockMhz', 0, /^specClockMhz: must be greater than zero/],
    ['declaredDramBandwidthGbps', true, /^declaredDramBandwidthGbps: expected a number, got boolean/],
    ['peakDenseTops.FP16', -989.4, /^peakDenseTops\.FP16: must not be negative/],
    ['peakDenseTops.FP16', '989.4', /^peakDenseTops\.FP16: expected a number/],
    ['peakDenseTops', [989.4], /^peakDenseTops: expected an object, got an array/],
    ['vendor', '', /^vendor: must not be empty/],
    ['vendor', 7, /^vendor: expected a string/],
    ['sources', [{ title: 'x', page: 3 }], /^sources\[0\]\.page: unknown field/],
    // Names every JavaScript object already answers to: still unknown fields here.
    ['constructor', 'hello', /^constructor: unknown field/],
    ['toString', 5, /^toString: unknown field/],
    ['hasOwnProperty', [1], /^hasOwnProperty: unknown field/],
    // Finite but absurd: TPP from these would overflow or vanish.
    ['peakDenseTops.FP8', 1e308, /^peakDenseTops\.FP8: must be at most 1000000000, got 1e\+308/],
    ['specClockMhz', 1e-300, /^specClockMhz: must be at least 0\.001/],
    ['maxClockMhz', 100, /^maxClockMhz: must not be below specClockMhz \(1830\), got 100/],
    ['vendor', 'NV\u001b[31mRED', /^vendor: must not contain control, bidirectional or invisible formatting characters/],
    ['product', 'H100\u202Egnp.exe', /^product: must not contain control, bidirectional/],
    ['partNumber', 'x'.repeat(1025), /^partNumber: must be at most 1024 characters, got 1025/],
  ])('refuses %s = %j, naming the field', (field, value, message) => {
    expect(refusal(withField(field, value))).toMatch(message);
  });

  it('refuses a non-finite number (1e999 parses as Infinity)', () => {
    expect(refusal(JSON.stringify(VALID).replace('"specClockMhz":1830', '"specClockMhz":1e999'))).toMatch(
      /^specClockMhz: must be a finite number, got Infinity/,
    );
  });

  it('refuses __proto__ as an unknown field (JSON.parse makes it an own key)', () => {
    expect(refusal(JSON.stringify(VALID).replace('{', '{"__proto__":{"x":1},'))).toMatch(/^__proto__: unknown field/);
  });

  it('refuses a key given twice, naming it, at any depth', () => {
    // JSON.parse would keep the last; other readers of the signed bytes may keep the first.
    expect(refusal(JSON.stringify(VALID).replace('{', '{"vendor":"AMD",'))).toMatch(/^vendor: key appears twice in one object/);
    expect(refusal(JSON.stringify(VALID).replace('"FP16":989.4', '"FP16":989.4,"FP16":1'))).toMatch(
      /^peakDenseTops\.FP16: key appears twice/,
    );
  });

  it('refuses a byte-order mark by name and never echoes raw control bytes', () => {
    expect(refusal('\uFEFF' + JSON.stringify(VALID))).toMatch(/byte-order mark/);
    const message = refusal('{"vendor": \u001b[31m}');
    expect(message).toMatch(/^not valid JSON/);
    expect(message).not.toMatch(/[\u0000-\u001f]/);
  });

  it('refuses a missing required field, naming it', () => {
    const { specClockMhz: _dropped, ...rest } = VALID;
    expect(refusal(JSON.stringify(rest))).toMatch(/^specClockMhz: required field is missing/);
  });

  it('refuses an empty rate map, invalid JSON and a non-object', () => {
    expect(refusal(withField('peakDenseTops', {}))).toMatch(/^peakDenseTops: must declare at least one format/);
    expect(refusal('{"vendor": ')).toMatch(/^not valid JSON/);
    expect(refusal('[1, 2]')).toMatch(/must be a JSON object, got an array/);
  });
});

describe('declaration files', () => {
  it('refuses a file over 1 MiB before parsing it', async () => {
    const file = path.join(scratch, 'huge.json');
    writeFileSync(file, ' '.repeat(MAX_DECLARATION_BYTES + 1));
    await expect(readDeclarationFile(file)).rejects.toThrow(/huge\.json: the file is 1048577 bytes; a declaration may be at most 1048576 bytes/);
  });

  it('keeps the exact bytes it read', async () => {
    const file = path.join(scratch, 'ok.json');
    const text = JSON.stringify(VALID, null, 3);
    writeFileSync(file, text);
    const loaded = await readDeclarationFile(file);
    expect(loaded.bytes.toString('utf8')).toBe(text);
  });

  it('names a file that cannot be read', async () => {
    await expect(readDeclarationFile(path.join(scratch, 'absent.json'))).rejects.toThrow(/cannot read declaration .*absent\.json: no such file or folder/);
  });
});

describe('schema and parser agree', () => {
  it('reads exactly the fields of tppverify.v1.Declaration and Source', async () => {
    const root_ = await protobuf.load(path.join(root, 'proto', 'tppverify', 'v1', 'declaration.proto'));
    const declaration = root_.lookupType('tppverify.v1.Declaration');
    const source = root_.lookupType('tppverify.v1.Source');
    const jsonNames = (type: protobuf.Type) => type.fieldsArray.map((f) => f.name).sort();
    expect(jsonNames(declaration)).toEqual([...Object.keys(DECLARATION_FIELDS), ...DECLARATION_COMPOUND_FIELDS].sort());
    expect(jsonNames(source)).toEqual([...SOURCE_FIELDS].sort());
    for (const field of declaration.fieldsArray) {
      const spec = DECLARATION_FIELDS[field.name];
      if (spec) expect(spec.required, field.name).toBe(!field.options?.['proto3_optional']);
    }
  });
});

describe('fuzzing declaration parsing', () => {
  it('10,000 random and mutated inputs: only DeclarationError, and garbage is never accepted', () => {
    let seed = 99;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const valid = JSON.stringify(VALID);
    const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const values = [null, true, -1, 0, 1e999, 'x', '', [], {}, 132, 'FP8', { FP8: 1 }, [1, 2]];
    for (let i = 0; i < 10_000; i++) {
      let text: string;
      let garbage = false;
      if (i % 3 === 0) {
        text = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256))).toString('latin1');
        garbage = true;
      } else if (i % 3 === 1) {
        const chars = valid.split('');
        for (let e = 0; e < 1 + Math.floor(random() * 4); e++) chars[Math.floor(random() * chars.length)] = String.fromCharCode(32 + Math.floor(random() * 95));
        text = chars.join('');
      } else {
        const object = JSON.parse(valid) as Record<string, unknown>;
        const keys = [...Object.keys(object), 'extra', 'peakDenseTops'];
        object[pick(keys)] = pick(values);
        text = JSON.stringify(object);
      }
      try {
        const parsed = parseDeclaration(text);
        expect(garbage, `random bytes accepted: ${JSON.stringify(text)}`).toBe(false);
        // Whatever is accepted keeps the invariants the engine relies on.
        expect(Number.isSafeInteger(parsed.computeUnits) && parsed.computeUnits > 0).toBe(true);
        expect(Number.isFinite(parsed.specClockMhz) && parsed.specClockMhz > 0).toBe(true);
        for (const rate of Object.values(parsed.peakDenseTops)) expect(Number.isFinite(rate) && rate > 0).toBe(true);
      } catch (error) {
        expect(error, String(error)).toBeInstanceOf(DeclarationError);
      }
    }
  });
});
