// Reads an input file whole under a size limit: the size is checked before
// reading, and a file that grows while it is read is refused rather than
// returned cut short. Synchronous: a few small reads, and verify reads
// thousands of files in a row.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fsReason } from './errors.js';

export type BoundedRead = { bytes: Buffer; mode: number } | { tooLargeBytes: number };

export interface BoundedReadOptions {
  /** Names the file in messages: "cannot read declaration x.json: no such file or folder". */
  what?: string;
  /** The caller's error class for an unreadable file. */
  toError: (message: string) => Error;
  /** "-" means standard input (declarations, manifests, signed files; never keys). */
  stdin?: boolean;
}

/** The file name that stands for standard input. */
export const STDIN_NAME = '-';
/** Standard input in non-blocking mode answers EAGAIN until data arrives: wait this long between tries. */
const STDIN_RETRY_MS = 5;

/** Standard input can be read only once: a second reader of "-" (verify checks the payload type first) gets the same bytes. */
let stdinRead: { bytes: Buffer; total: number } | undefined;

/** Standard input read whole, bounded like a file: over the limit, only that it is too large is known. */
function readStdinWithin(maxBytes: number, options: BoundedReadOptions): BoundedRead {
  stdinRead ??= drainStdin(maxBytes, options);
  if (stdinRead.total > maxBytes) return { tooLargeBytes: stdinRead.total };
  return { bytes: stdinRead.bytes, mode: 0 };
}

function drainStdin(maxBytes: number, options: BoundedReadOptions): { bytes: Buffer; total: number } {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let read: number;
    try {
      read = readSync(0, chunk, 0, chunk.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, STDIN_RETRY_MS);
        continue;
      }
      if (code === 'EOF') break;
      throw options.toError(`cannot read standard input: ${fsReason(error)}`);
    }
    if (read === 0) break;
    total += read;
    // Past the limit nothing more is kept: the caller refuses the input by its size.
    if (total > maxBytes) continue;
    chunks.push(Buffer.from(chunk.subarray(0, read)));
  }
  return { bytes: Buffer.concat(chunks), total };
}

export function readFileWithin(file: string, maxBytes: number, options: BoundedReadOptions): BoundedRead {
  if (options.stdin && file === STDIN_NAME) return readStdinWithin(maxBytes, options);
  const name = options.what ? `${options.what} ${file}` : file;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever;
    // it changes nothing for a regular file, and anything else is refused below.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw options.toError(`cannot read ${name}: ${fsReason(error)}`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw options.toError(`${name} is not a regular file`);
    if (info.size > maxBytes) return { tooLargeBytes: info.size };
    // One byte more than the size: filling it means the file grew after fstat.
    const buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) {
      read = readSync(fd, buffer, length, buffer.length - length, length);
    }
    if (length > info.size) throw options.toError(`${name} changed while it was being read`);
    return { bytes: buffer.subarray(0, length), mode: info.mode };
  } finally {
    closeSync(fd);
  }
}
