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
}

export function readFileWithin(file: string, maxBytes: number, options: BoundedReadOptions): BoundedRead {
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
