// The lab's identity for the report (--lab FILE), read strictly.
import { readFileWithin } from '../attestations/bounded-read.js';
import { decodeUtf8Strict, parseStrictJson, StrictJsonError, textProblem } from '../attestations/strict-json.js';
import { UsageError } from './errors.js';

export interface LabInfo {
  name: string;
  accreditation: string;
  location: string;
  operator: string;
  exporter: string;
  filingReference: string;
}

export const LAB_FIELDS: readonly (keyof LabInfo)[] = ['name', 'accreditation', 'location', 'operator', 'exporter', 'filingReference'];
const MAX_LAB_FILE_BYTES = 64 * 1024;

export const EMPTY_LAB: LabInfo = { name: '', accreditation: '', location: '', operator: '', exporter: '', filingReference: '' };

/** A lab field given on the command line (--operator, --exporter, --filing-reference), held to the lab file's rules. */
export function labFieldFromOption(flag: string, value: string): string {
  const problem = textProblem(value);
  if (problem) throw new UsageError(`${flag}: ${problem}`);
  return value;
}

export function labFromJson(value: unknown): LabInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('lab file: expected a JSON object');
  const out: LabInfo = { ...EMPTY_LAB };
  for (const [key, field] of Object.entries(value)) {
    if (!(LAB_FIELDS as readonly string[]).includes(key)) throw new UsageError(`lab file: ${key}: unknown field (known: ${LAB_FIELDS.join(', ')})`);
    if (typeof field !== 'string') throw new UsageError(`lab file: ${key}: expected a string`);
    const problem = textProblem(field);
    if (problem) throw new UsageError(`lab file: ${key}: ${problem}`);
    out[key as keyof LabInfo] = field;
  }
  return out;
}

export async function readLabFile(file: string): Promise<LabInfo> {
  const read = readFileWithin(file, MAX_LAB_FILE_BYTES, { what: 'lab file', toError: (message) => new UsageError(message) });
  if ('tooLargeBytes' in read) throw new UsageError(`lab file ${file} is over ${MAX_LAB_FILE_BYTES} bytes`);
  try {
    return labFromJson(parseStrictJson(decodeUtf8Strict(read.bytes)));
  } catch (error) {
    if (error instanceof StrictJsonError) throw new UsageError(`lab file ${file}: ${error.path ? `${error.path}: ` : ''}${error.message}`);
    // Name the file: a run reads several inputs.
    if (error instanceof UsageError) throw new UsageError(error.message.replace(/^lab file: /, `lab file ${file}: `));
    throw error;
  }
}
