// The operator's intake record: what a person saw on the board itself (the
// label's serial, the board part number, the package marking, photos by
// SHA-256, who looked and when). Read strictly (strict JSON, the text rules
// of every signed input), signed into the attestation as its exact bytes, and
// compared by the verdict with what the device reports.
import { decodeUtf8Strict, parseStrictJson, readStrictJsonFile, StrictJsonError, textProblem } from '../../attestations/strict-json.js';
import { sha256Hex } from '../../attestations/statement.js';
import { UsageError } from '../errors.js';
import type { Fact } from '../verdict/record.js';

export interface IntakePhoto {
  sha256: string;
  /** What the photo shows ("label, front"); optional. */
  caption: string;
}

export interface Intake {
  labelSerial: string;
  boardPartNumber: string;
  packageMarking: string;
  photos: IntakePhoto[];
  observer: string;
  /** RFC 3339, UTC. */
  observedAt: string;
}

const FIELDS = ['labelSerial', 'boardPartNumber', 'packageMarking', 'photos', 'observer', 'observedAt'] as const;
const REQUIRED: readonly string[] = ['labelSerial', 'observer', 'observedAt'];
const PHOTO_FIELDS = ['sha256', 'caption'] as const;
/** A record of a few lines and a list of photo digests. */
export const MAX_INTAKE_BYTES = 64 * 1024;
/** More photos than anyone takes of one board. */
const MAX_PHOTOS = 100;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export class IntakeError extends UsageError {
  constructor(
    readonly fieldPath: string,
    readonly detail: string,
    readonly file?: string,
  ) {
    super(`intake record${file ? ` ${file}` : ''}: ${fieldPath ? `${fieldPath}: ` : ''}${detail}`);
  }
}

function text(path: string, value: unknown): string {
  if (typeof value !== 'string') throw new IntakeError(path, 'expected a string');
  const problem = textProblem(value);
  if (problem) throw new IntakeError(path, problem);
  if (value.trim() !== value) throw new IntakeError(path, 'must not begin or end with spaces');
  return value;
}

export function intakeFromJson(value: unknown): Intake {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new IntakeError('', 'expected a JSON object');
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!(FIELDS as readonly string[]).includes(key)) throw new IntakeError(key, `unknown field (known: ${FIELDS.join(', ')})`);
  for (const key of REQUIRED) if (raw[key] === undefined || raw[key] === '') throw new IntakeError(key, 'required');
  const optional = (key: string) => (raw[key] === undefined ? '' : text(key, raw[key]));
  const observedAt = text('observedAt', raw['observedAt']);
  if (!RFC3339_UTC.test(observedAt) || Number.isNaN(Date.parse(observedAt))) throw new IntakeError('observedAt', 'expected an RFC 3339 UTC time, e.g. 2026-11-26T09:30:00Z');
  const photosRaw = raw['photos'] ?? [];
  if (!Array.isArray(photosRaw)) throw new IntakeError('photos', 'expected an array');
  if (photosRaw.length > MAX_PHOTOS) throw new IntakeError('photos', `at most ${MAX_PHOTOS} photos`);
  const seen = new Set<string>();
  const photos = photosRaw.map((photo, i): IntakePhoto => {
    const path = `photos[${i}]`;
    if (typeof photo !== 'object' || photo === null || Array.isArray(photo)) throw new IntakeError(path, 'expected an object with sha256 (and caption)');
    for (const key of Object.keys(photo)) if (!(PHOTO_FIELDS as readonly string[]).includes(key)) throw new IntakeError(`${path}.${key}`, 'unknown field');
    const entry = photo as Record<string, unknown>;
    const sha256 = text(`${path}.sha256`, entry['sha256']);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new IntakeError(`${path}.sha256`, 'expected 64 lowercase hex digits (the photo file\'s SHA-256)');
    if (seen.has(sha256)) throw new IntakeError(`${path}.sha256`, 'the same photo is listed twice');
    seen.add(sha256);
    return { sha256, caption: entry['caption'] === undefined ? '' : text(`${path}.caption`, entry['caption']) };
  });
  return {
    labelSerial: text('labelSerial', raw['labelSerial']),
    boardPartNumber: optional('boardPartNumber'),
    packageMarking: optional('packageMarking'),
    photos,
    observer: text('observer', raw['observer']),
    observedAt,
  };
}

/** The recorded bytes, read exactly as `run` read the file (verify re-reads them this way). */
export function parseIntakeBytes(bytes: Uint8Array): Intake {
  try {
    return intakeFromJson(parseStrictJson(decodeUtf8Strict(bytes)));
  } catch (error) {
    if (error instanceof StrictJsonError) throw new IntakeError(error.path, error.message);
    throw error;
  }
}

export interface IntakeFile {
  intake: Intake;
  bytes: Buffer;
  sha256: string;
}

export function readIntakeFile(file: string): IntakeFile {
  const { value, bytes } = readStrictJsonFile(file, MAX_INTAKE_BYTES, 'intake record', (path, detail) => new IntakeError(path, detail, file));
  try {
    return { intake: intakeFromJson(value), bytes, sha256: sha256Hex(bytes) };
  } catch (error) {
    if (error instanceof IntakeError) throw new IntakeError(error.fieldPath, error.detail, file);
    throw error;
  }
}

/** The observed facts beside the device's own: operator-observed, never merged into what the device reports. */
export function intakeFacts(intake: Intake): Fact[] {
  const source = `operator intake (${intake.observer}, ${intake.observedAt})`;
  const facts: Fact[] = [{ name: 'labelSerial', value: intake.labelSerial, source, assurance: 'operator-observed', readings: [{ source, value: intake.labelSerial }] }];
  if (intake.boardPartNumber) facts.push({ name: 'labelBoardPartNumber', value: intake.boardPartNumber, source, assurance: 'operator-observed', readings: [{ source, value: intake.boardPartNumber }] });
  if (intake.packageMarking) facts.push({ name: 'packageMarking', value: intake.packageMarking, source, assurance: 'operator-observed', readings: [{ source, value: intake.packageMarking }] });
  return facts;
}
