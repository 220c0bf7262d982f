// Lot manifests (proto/tppverify/v1/lot.proto), read strictly.
import { createHash } from 'node:crypto';
import { readStrictJsonFile, textProblem } from '../../attestations/strict-json.js';
import { UsageError } from '../errors.js';
import { identifierProblem } from '../identity.js';

export interface LotUnit {
  serial: string;
  uuid: string;
  boardPartNumber: string;
  /** The GPU's PDI ("0x…"), when the manifest gives it: units are then matched by it first. */
  pdi?: string;
  /** Where the unit sits: the server's host name as the scheduler knows it (empty when not known). */
  host: string;
  /** The unit's PCI address on that host, domain:bus:device.function (empty when not known). */
  pciBusId: string;
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
const UNIT_FIELDS = ['serial', 'uuid', 'boardPartNumber', 'pdi', 'host', 'pciBusId'] as const;
/** A DNS label sequence, as Slurm node names and Kubernetes node names are (RFC 1123). */
const HOST_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAX_HOST_CHARS = 253;
/** domain:bus:device.function as nvidia-smi and lspci print it (4 or 8 domain digits). */
const PCI_BUS_ID_PATTERN = /^(?:[0-9a-fA-F]{4}|[0-9a-fA-F]{8}):[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
/** The canonical spelling, so one address written two ways is one address: 4-digit lowercase domain. */
export function canonicalPciBusId(busId: string): string {
  const lower = busId.toLowerCase();
  return lower.length === 16 ? lower.slice(4) : lower;
}

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

/** A serial, UUID or part number: matched exactly against attestations, so it must have its one spelling. */
function identifier(path: string, value: unknown, required: boolean): string {
  const checked = text(path, value, required);
  const problem = identifierProblem(checked);
  if (problem) throw new ManifestError(path, `${problem}: identifiers are compared exactly`);
  return checked;
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
    const pdi = identifier(`${path}.pdi`, raw['pdi'], false);
    if (pdi && !/^0x[0-9a-fA-F]{1,16}$/.test(pdi)) throw new ManifestError(`${path}.pdi`, 'expected 0x and up to 16 hex digits');
    const unit: LotUnit = {
      serial: identifier(`${path}.serial`, raw['serial'], true),
      uuid: identifier(`${path}.uuid`, raw['uuid'], false),
      boardPartNumber: identifier(`${path}.boardPartNumber`, raw['boardPartNumber'], false),
      host: text(`${path}.host`, raw['host'], false),
      pciBusId: text(`${path}.pciBusId`, raw['pciBusId'], false),
      ...(pdi ? { pdi } : {}),
    };
    if (unit.host && (unit.host.length > MAX_HOST_CHARS || !HOST_PATTERN.test(unit.host))) throw new ManifestError(`${path}.host`, 'expected a host name (letters, digits, hyphens and dots)');
    if (unit.pciBusId && !PCI_BUS_ID_PATTERN.test(unit.pciBusId)) throw new ManifestError(`${path}.pciBusId`, 'expected a PCI address domain:bus:device.function, e.g. 0000:18:00.0');
    if (unit.pciBusId && !unit.host) throw new ManifestError(`${path}.pciBusId`, 'a PCI address needs the host it is on');
    const claims: [string, string][] = [[`serial ${unit.serial}`, unit.serial]];
    if (unit.uuid) claims.push([`uuid ${unit.uuid}`, `uuid\0${unit.uuid.toLowerCase()}`]);
    if (unit.pciBusId) claims.push([`location ${unit.host} ${unit.pciBusId}`, `at\0${unit.host.toLowerCase()}\0${canonicalPciBusId(unit.pciBusId)}`]);
    for (const [what, claim] of claims) {
      const earlier = seen.get(claim);
      if (earlier !== undefined) throw new ManifestError(path, `${what} is listed twice (also units[${earlier}])`);
      seen.set(claim, i);
    }
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
