// The lab's identity for the report (--lab FILE), read strictly.
import { readStrictJsonFile, textProblem } from '../attestations/strict-json.js';
import { UsageError } from './errors.js';

export interface LabInfo {
  name: string;
  accreditation: string;
  location: string;
  operator: string;
  exporter: string;
  filingReference: string;
  /** The lab's postal address, as the report prints it. */
  address: string;
  /** Who authorises the lab's reports, and in which role (ISO/IEC 17025 7.8.2.1 o). */
  signatoryName: string;
  signatoryRole: string;
}

export const LAB_FIELDS: readonly (keyof LabInfo)[] = [
  'name',
  'accreditation',
  'location',
  'address',
  'operator',
  'exporter',
  'filingReference',
  'signatoryName',
  'signatoryRole',
];
const MAX_LAB_FILE_BYTES = 64 * 1024;

export const EMPTY_LAB: LabInfo = {
  name: '',
  accreditation: '',
  location: '',
  address: '',
  operator: '',
  exporter: '',
  filingReference: '',
  signatoryName: '',
  signatoryRole: '',
};

/** A lab field given on the command line (--operator, --exporter, --filing-reference), held to the lab file's rules. */
export function labFieldFromOption(flag: string, value: string): string {
  const problem = textProblem(value);
  if (problem) throw new UsageError(`${flag}: ${problem}`);
  return value;
}

/** A refused lab file, naming the field and (when read from one) the file. */
export class LabFileError extends UsageError {
  constructor(
    readonly fieldPath: string,
    readonly detail: string,
    readonly file?: string,
  ) {
    super(`lab file${file ? ` ${file}` : ''}: ${fieldPath ? `${fieldPath}: ` : ''}${detail}`);
  }
}

export function labFromJson(value: unknown): LabInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LabFileError('', 'expected a JSON object');
  const out: LabInfo = { ...EMPTY_LAB };
  for (const [key, field] of Object.entries(value)) {
    if (!(LAB_FIELDS as readonly string[]).includes(key)) throw new LabFileError(key, `unknown field (known: ${LAB_FIELDS.join(', ')})`);
    if (typeof field !== 'string') throw new LabFileError(key, 'expected a string');
    const problem = textProblem(field);
    if (problem) throw new LabFileError(key, problem);
    out[key as keyof LabInfo] = field;
  }
  return out;
}

export async function readLabFile(file: string): Promise<LabInfo> {
  const { value } = readStrictJsonFile(file, MAX_LAB_FILE_BYTES, 'lab file', (path, detail) => new LabFileError(path, detail, file));
  try {
    return labFromJson(value);
  } catch (error) {
    // Name the file: a run reads several inputs.
    if (error instanceof LabFileError) throw new LabFileError(error.fieldPath, error.detail, file);
    throw error;
  }
}
