// Lot manifests (proto/tppverify/v1/lot.proto), read strictly.
import { createHash } from 'node:crypto';
import { readStrictJsonFile, textProblem } from '../../attestations/strict-json.js';
import { UsageError } from '../errors.js';

export interface LotUnit {
  serial: string;
  uuid: string;
  boardPartNumber: string;
}

export interface LotManifest {
  lotId: string;
  exporter: string;
  filingReference: string;
  declarationSha256: string;
  units: LotUnit[];
}

export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const MANIFEST_FIELDS = ['lotId', 'exporter', 'filingReference', 'declarationSha256', 'units'] as const;
const UNIT_FIELDS = ['serial', 'uuid', 'boardPartNumber'] as const;

export class ManifestError extends UsageError {
  constructor(
    readonly fieldPath: string,
    readonly detail: string,
    /** The file it was read from, where there is one. */
    readonly file?: string,
  ) {
    const subject = file ? `manifest ${file}` : 'manifest';
    super(fieldPath ? `${file ? `${subject}: ` : 'manifest '}${fieldPath}: ${detail}` : `${subject}: ${detail}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(path: string, value: unknown, required: boolean): string {
  if (value === undefined) {
    if (required) throw new ManifestError(path, 'required field is missing');
    return '';
  }
  if (typeof value !== 'string') throw new ManifestError(path, 'expected a string');
  if (required && value.trim() === '') throw new ManifestError(path, 'must not be empty');
  const problem = textProblem(value);
  if (problem) throw new ManifestError(path, problem);
  return value;
}

export function manifestFromJson(value: unknown): LotManifest {
  if (!isObject(value)) throw new ManifestError('', 'expected a JSON object');
  for (const key of Object.keys(value)) if (!(MANIFEST_FIELDS as readonly string[]).includes(key)) throw new ManifestError(key, 'unknown field');
  const declarationSha256 = text('declarationSha256', value['declarationSha256'], true);
  if (!/^[0-9a-f]{64}$/.test(declarationSha256)) throw new ManifestError('declarationSha256', 'expected 64 lowercase hex digits');
  if (!Array.isArray(value['units']) || value['units'].length === 0) throw new ManifestError('units', 'expected a non-empty array');
  const seen = new Map<string, number>();
  const units = value['units'].map((raw, i) => {
    const path = `units[${i}]`;
    if (!isObject(raw)) throw new ManifestError(path, 'expected an object');
    for (const key of Object.keys(raw)) if (!(UNIT_FIELDS as readonly string[]).includes(key)) throw new ManifestError(`${path}.${key}`, 'unknown field');
    const unit = { serial: text(`${path}.serial`, raw['serial'], true), uuid: text(`${path}.uuid`, raw['uuid'], false), boardPartNumber: text(`${path}.boardPartNumber`, raw['boardPartNumber'], false) };
    const earlier = seen.get(unit.serial);
    if (earlier !== undefined) throw new ManifestError(path, `serial ${unit.serial} is listed twice (also units[${earlier}])`);
    seen.set(unit.serial, i);
    return unit;
  });
  return {
    lotId: text('lotId', value['lotId'], true),
    exporter: text('exporter', value['exporter'], true),
    filingReference: text('filingReference', value['filingReference'], false),
    declarationSha256,
    units,
  };
}

export interface LoadedManifest {
  manifest: LotManifest;
  /** Hex SHA-256 of the file's exact bytes: the sample is a function of it. */
  sha256: string;
}

export async function readManifestFile(file: string): Promise<LoadedManifest> {
  const { value, bytes } = readStrictJsonFile(file, MAX_MANIFEST_BYTES, 'manifest', (path, detail) => new ManifestError(path, detail, file), true);
  try {
    return { manifest: manifestFromJson(value), sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch (error) {
    if (error instanceof ManifestError) throw new ManifestError(error.fieldPath, error.detail, file);
    throw error;
  }
}
