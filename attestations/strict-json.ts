// JSON for signed inputs, read strictly. JSON.parse lets the last of two equal
// keys win silently, while other parsers keep the first: a file whose digest
// is signed must not mean different things to different readers. A leading
// byte-order mark is refused by name rather than as an invisible character.
import { readFileWithin } from './bounded-read.js';
import { TppverifyError } from './errors.js';

/** Why a text is not acceptable JSON; `path` names the offending key where there is one ("peakDenseTops.FP8"). */
export class StrictJsonError extends TppverifyError {
  constructor(
    message: string,
    readonly path = '',
  ) {
    super('input', message);
  }
}

const BYTE_ORDER_MARK = '\uFEFF';
/** Longest excerpt of a parser message kept in an error line. */
const MAX_MESSAGE_CHARS = 160;

/** Control and non-ASCII characters as \uXXXX, so a message never writes raw bytes to a terminal. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7E]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface Container {
  path: string;
  /** Keys seen so far, for an object; undefined for an array. */
  keys?: Set<string>;
  lastKey: string;
  index: number;
}

function childPath(parent: Container | undefined): string {
  if (!parent) return '';
  if (!parent.keys) return `${parent.path}[${parent.index}]`;
  return parent.path ? `${parent.path}.${parent.lastKey}` : parent.lastKey;
}

/** The path of the first key that repeats within one object of valid JSON text, if any. */
export function findDuplicateKey(text: string): string | undefined {
  const stack: Container[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      // Jump to the next quote not escaped by an odd run of backslashes (long
      // base64 payloads make a character-by-character walk the slow part).
      let end = text.indexOf('"', i + 1);
      for (;;) {
        let backslashes = 0;
        while (text[end - 1 - backslashes] === '\\') backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (expectKey) {
        const top = stack[stack.length - 1]!;
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys!.has(key)) return top.path ? `${top.path}.${key}` : key;
        top.keys!.add(key);
        top.lastKey = key;
        expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      stack.push({ path: childPath(stack[stack.length - 1]), ...(c === '{' ? { keys: new Set<string>() } : {}), lastKey: '', index: 0 });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      const top = stack[stack.length - 1]!;
      if (top.keys) expectKey = true;
      else top.index++;
    }
  }
  return undefined;
}

/**
 * Characters no signed text field may hold: C0 and C1 controls (a terminal
 * acts on them), bidirectional embeddings, overrides and isolates (they
 * reorder what a reader sees: "Trojan Source", CVE-2021-42574), zero-width
 * characters, the line and paragraph separators, and the byte-order mark.
 */
const UNSAFE_TEXT = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/;
/** Longer than any name, part number or reference a report needs. */
const MAX_TEXT_CHARS = 1024;

/** Why a text field is unacceptable, or undefined when it is fine. */
export function textProblem(value: string): string | undefined {
  if (UNSAFE_TEXT.test(value)) return 'must not contain control, bidirectional or invisible formatting characters';
  if (value.length > MAX_TEXT_CHARS) return `must be at most ${MAX_TEXT_CHARS} characters, got ${value.length}`;
  return undefined;
}

/** UTF-8 bytes as text, refusing invalid sequences (toString would turn them into U+FFFD while the original bytes are signed). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8Strict(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new StrictJsonError('is not valid UTF-8 (save it as UTF-8)');
  }
}

/**
 * No input tppverify reads nests deeper than a few levels; far deeper values
 * would only exhaust the stack of whatever walks them later.
 */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of objects and arrays in JSON text, outside strings (an iterative scan). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
    } else if (c === 0x7b || c === 0x5b) {
      deepest = Math.max(deepest, ++depth);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

/** JSON.parse, refusing a byte-order mark, repeated keys and deep nesting; messages are one printable line. */
export function parseStrictJson(text: string): unknown {
  if (text.startsWith(BYTE_ORDER_MARK)) throw new StrictJsonError('starts with a byte-order mark (U+FEFF): save it as UTF-8 without one');
  if (nestingDepth(text) > MAX_JSON_DEPTH) throw new StrictJsonError(`nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StrictJsonError(`not valid JSON: ${printable((error as Error).message).slice(0, MAX_MESSAGE_CHARS)}`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) throw new StrictJsonError('key appears twice in one object', duplicate);
  return value;
}

/**
 * Reads a JSON input file (declaration, lab file, lot manifest): its size
 * bounded before reading, valid UTF-8, strict JSON. Every refusal goes through
 * the caller's `refuse(fieldPath, detail)`, so each kind of file keeps its own error class.
 */
export function readStrictJsonFile(
  file: string,
  maxBytes: number,
  what: string,
  refuse: (fieldPath: string, detail: string) => Error,
  /** "-" reads standard input. */
  stdin = false,
): { value: unknown; bytes: Buffer } {
  const read = readFileWithin(file, maxBytes, { what, toError: (message) => refuse('', message), stdin });
  if ('tooLargeBytes' in read) throw refuse('', `the file is ${read.tooLargeBytes} bytes; a ${what} may be at most ${maxBytes} bytes`);
  try {
    return { value: parseStrictJson(decodeUtf8Strict(read.bytes)), bytes: read.bytes };
  } catch (error) {
    if (error instanceof StrictJsonError) throw refuse(error.path, error.message);
    throw error;
  }
}
