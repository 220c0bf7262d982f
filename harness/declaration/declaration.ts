// Reads an exporter's declaration (proto/tppverify/v1/declaration.proto, in
// its canonical JSON form) strictly: every problem names its field path.
import { parseStrictJson, readStrictJsonFile, StrictJsonError, textProblem } from '../../attestations/strict-json.js';
import { FORMATS, isFormat, type Format } from '../tpp/formats.js';
import { UsageError } from '../errors.js';

export interface DeclarationSource {
  title: string;
  url: string;
  covers: string;
}

export interface Declaration {
  vendor: string;
  product: string;
  partNumber: string;
  eccn: string;
  architecture: string;
  computeUnits: number;
  specClockMhz: number;
  maxClockMhz?: number;
  dieAreaMm2?: number;
  declaredTpp?: number;
  declaredDramBandwidthGbps: number;
  memoryBusWidthBits?: number;
  memoryDataRateMtps?: number;
  peakDenseTops: Partial<Record<Format, number>>;
  /**
   * The clock each format's declared peak is computed at, where it differs
   * from specClockMhz (NVIDIA rates H100/H200 FP64 at 1,980 MHz, tensor
   * formats at 1,830 MHz). Read it through ratedClockMhz().
   */
  ratedClockMhz?: Partial<Record<Format, number>>;
  sources: DeclarationSource[];
}

/** The clock a format's declared rate is computed at: its rated clock, else the spec clock. */
export function ratedClockMhz(declaration: Pick<Declaration, 'specClockMhz' | 'ratedClockMhz'>, format: Format): number {
  return declaration.ratedClockMhz?.[format] ?? declaration.specClockMhz;
}

/** Larger files are refused before they are read. */
export const MAX_DECLARATION_BYTES = 1 << 20;

export class DeclarationError extends UsageError {
  constructor(
    readonly fieldPath: string,
    readonly detail: string,
    /** The file it was read from, where there is one: a run reads several. */
    readonly file?: string,
  ) {
    super(`${file ? `declaration ${file}: ` : ''}${fieldPath ? `${fieldPath}: ` : ''}${detail}`);
  }
}

type Kind = 'string' | 'positive' | 'nonNegative' | 'positiveInteger';

interface FieldSpec {
  kind: Kind;
  required: boolean;
}

/** The Declaration message's fields by JSON name; a test keeps this in step with the .proto. */
export const DECLARATION_FIELDS: Readonly<Record<string, FieldSpec>> = {
  vendor: { kind: 'string', required: true },
  product: { kind: 'string', required: true },
  partNumber: { kind: 'string', required: true },
  eccn: { kind: 'string', required: true },
  architecture: { kind: 'string', required: true },
  computeUnits: { kind: 'positiveInteger', required: true },
  specClockMhz: { kind: 'positive', required: true },
  maxClockMhz: { kind: 'positive', required: false },
  dieAreaMm2: { kind: 'positive', required: false },
  declaredTpp: { kind: 'positive', required: false },
  declaredDramBandwidthGbps: { kind: 'positive', required: true },
  memoryBusWidthBits: { kind: 'positiveInteger', required: false },
  memoryDataRateMtps: { kind: 'positive', required: false },
};
/** Fields that hold something other than a scalar. */
export const DECLARATION_COMPOUND_FIELDS = ['peakDenseTops', 'ratedClockMhz', 'sources'] as const;
export const SOURCE_FIELDS = ['title', 'url', 'covers'] as const;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'string' ? `a string` : `${typeof value} ${JSON.stringify(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// No quantity of a real part comes near these bounds (clocks in MHz, rates in
// TOPS, bandwidth in GB/s, areas in mm²); inside them every derived figure —
// TPP = 2 × TOPS × bit length, rates ÷ (units × clock) — stays finite.
const MAX_DECLARED_NUMBER = 1e9;
const MIN_DECLARED_POSITIVE = 1e-3;

function readScalar(path: string, value: unknown, kind: Kind): string | number {
  if (kind === 'string') {
    if (typeof value !== 'string') throw new DeclarationError(path, `expected a string, got ${describe(value)}`);
    if (value.trim() === '') throw new DeclarationError(path, 'must not be empty');
    const problem = textProblem(value);
    if (problem) throw new DeclarationError(path, problem);
    return value;
  }
  if (typeof value !== 'number') throw new DeclarationError(path, `expected a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new DeclarationError(path, `must be a finite number, got ${value}`);
  if (value < 0) throw new DeclarationError(path, `must not be negative, got ${value}`);
  if (kind !== 'nonNegative' && value === 0) throw new DeclarationError(path, 'must be greater than zero');
  if (kind === 'positiveInteger' && !Number.isSafeInteger(value)) {
    throw new DeclarationError(path, `expected a whole number, got ${value}`);
  }
  if (value > MAX_DECLARED_NUMBER) throw new DeclarationError(path, `must be at most ${MAX_DECLARED_NUMBER}, got ${value}`);
  if (kind === 'positive' && value < MIN_DECLARED_POSITIVE) throw new DeclarationError(path, `must be at least ${MIN_DECLARED_POSITIVE}, got ${value}`);
  return value;
}

function readRates(value: unknown): Partial<Record<Format, number>> {
  if (!isPlainObject(value)) throw new DeclarationError('peakDenseTops', `expected an object, got ${describe(value)}`);
  const rates: Partial<Record<Format, number>> = {};
  for (const [key, rate] of Object.entries(value)) {
    const path = `peakDenseTops.${key}`;
    if (!isFormat(key)) throw new DeclarationError(path, `unknown format (known: ${FORMATS.join(', ')})`);
    rates[key] = readScalar(path, rate, 'positive') as number;
  }
  if (Object.keys(rates).length === 0) throw new DeclarationError('peakDenseTops', 'must declare at least one format');
  return rates;
}

/** Format → MHz: every key a declared format, every clock within the declared clock range. */
function readRatedClocks(value: unknown, rates: Partial<Record<Format, number>>, maxClockMhz: number | undefined): Partial<Record<Format, number>> {
  if (!isPlainObject(value)) throw new DeclarationError('ratedClockMhz', `expected an object, got ${describe(value)}`);
  const clocks: Partial<Record<Format, number>> = {};
  for (const [key, clock] of Object.entries(value)) {
    const path = `ratedClockMhz.${key}`;
    if (!isFormat(key)) throw new DeclarationError(path, `unknown format (known: ${FORMATS.join(', ')})`);
    if (rates[key] === undefined) throw new DeclarationError(path, `no peakDenseTops.${key} is declared for this clock to rate`);
    const mhz = readScalar(path, clock, 'positive') as number;
    if (maxClockMhz !== undefined && mhz > maxClockMhz) throw new DeclarationError(path, `must not be above maxClockMhz (${maxClockMhz}), got ${mhz}`);
    clocks[key] = mhz;
  }
  return clocks;
}

function readSources(value: unknown): DeclarationSource[] {
  if (!Array.isArray(value)) throw new DeclarationError('sources', `expected an array, got ${describe(value)}`);
  return value.map((item, i) => {
    const path = `sources[${i}]`;
    if (!isPlainObject(item)) throw new DeclarationError(path, `expected an object, got ${describe(item)}`);
    for (const key of Object.keys(item)) {
      if (!(SOURCE_FIELDS as readonly string[]).includes(key)) throw new DeclarationError(`${path}.${key}`, 'unknown field');
    }
    const out: DeclarationSource = { title: '', url: '', covers: '' };
    for (const key of SOURCE_FIELDS) {
      if (item[key] !== undefined) out[key] = readScalar(`${path}.${key}`, item[key], 'string') as string;
    }
    if (!out.title && !out.url) throw new DeclarationError(path, 'needs a title or a url');
    return out;
  });
}

/** Validates an already-parsed JSON value as a Declaration. */
export function declarationFromJson(value: unknown): Declaration {
  if (!isPlainObject(value)) throw new DeclarationError('', `a declaration must be a JSON object, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    // Object.hasOwn, not `in`: "constructor" or "__proto__" must not pass as known fields.
    if (!Object.hasOwn(DECLARATION_FIELDS, key) && !(DECLARATION_COMPOUND_FIELDS as readonly string[]).includes(key)) {
      throw new DeclarationError(key, 'unknown field');
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(DECLARATION_FIELDS)) {
    const field = value[key];
    if (field === undefined || field === null) {
      if (spec.required) throw new DeclarationError(key, 'required field is missing');
      continue;
    }
    out[key] = readScalar(key, field, spec.kind);
  }
  if (value['peakDenseTops'] === undefined) throw new DeclarationError('peakDenseTops', 'required field is missing');
  out['peakDenseTops'] = readRates(value['peakDenseTops']);
  out['sources'] = value['sources'] === undefined ? [] : readSources(value['sources']);
  const specClockMhz = out['specClockMhz'] as number;
  const maxClockMhz = out['maxClockMhz'] as number | undefined;
  if (maxClockMhz !== undefined && maxClockMhz < specClockMhz) {
    throw new DeclarationError('maxClockMhz', `must not be below specClockMhz (${specClockMhz}), got ${maxClockMhz}`);
  }
  if (value['ratedClockMhz'] !== undefined) {
    out['ratedClockMhz'] = readRatedClocks(value['ratedClockMhz'], out['peakDenseTops'] as Partial<Record<Format, number>>, maxClockMhz);
  }
  return out as unknown as Declaration;
}

/** Parses declaration text (JSON) strictly. */
export function parseDeclaration(text: string): Declaration {
  let value: unknown;
  try {
    value = parseStrictJson(text);
  } catch (error) {
    if (error instanceof StrictJsonError) throw new DeclarationError(error.path, error.message);
    throw error;
  }
  return declarationFromJson(value);
}

export interface LoadedDeclaration {
  declaration: Declaration;
  /** The file's exact bytes, for digests and attestations. */
  bytes: Buffer;
}

/** Reads a declaration file, refusing one over MAX_DECLARATION_BYTES before reading it. */
export async function readDeclarationFile(file: string): Promise<LoadedDeclaration> {
  const { value, bytes } = readStrictJsonFile(file, MAX_DECLARATION_BYTES, 'declaration', (path, detail) => new DeclarationError(path, detail, file));
  try {
    return { declaration: declarationFromJson(value), bytes };
  } catch (error) {
    if (error instanceof DeclarationError) throw new DeclarationError(error.fieldPath, error.detail, file);
    throw error;
  }
}

/** Canonical JSON of a declaration, without empty optional text (the reader refuses empty strings). */
export function declarationToJson(declaration: Declaration): string {
  return JSON.stringify(declaration, (_key, value: unknown) => (value === '' || value === undefined ? undefined : value), 2) + '\n';
}
