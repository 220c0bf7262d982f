import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileWithin } from '../bounded-read.js';
import { KeyError } from '../errors.js';
import { loadSigningKey } from '../keys.js';

class TestReadError extends Error {}
const options = { what: 'sample', toError: (message: string) => new TestReadError(message) };
const scratch = () => mkdtempSync(path.join(tmpdir(), 'tppverify-read-'));

describe('readFileWithin', () => {
  it('returns the exact bytes and the mode of a file within the limit', () => {
    const file = path.join(scratch(), 'a.bin');
    writeFileSync(file, Buffer.from([0, 1, 2, 255]), { mode: 0o640 });
    chmodSync(file, 0o640);
    const read = readFileWithin(file, 4, options);
    expect(read).toMatchObject({ bytes: Buffer.from([0, 1, 2, 255]) });
    expect('mode' in read && read.mode & 0o777).toBe(0o640);
  });

  it('reports the size of a file over the limit without reading it', () => {
    const file = path.join(scratch(), 'big.bin');
    writeFileSync(file, Buffer.alloc(5));
    expect(readFileWithin(file, 4, options)).toEqual({ tooLargeBytes: 5 });
  });

  it("throws the caller's error class, naming the file, for a missing file or a folder", () => {
    const dir = scratch();
    expect(() => readFileWithin(path.join(dir, 'absent'), 4, options)).toThrow(TestReadError);
    expect(() => readFileWithin(path.join(dir, 'absent'), 4, options)).toThrow(/cannot read sample .*absent: no such file or folder/);
    expect(() => readFileWithin(dir, 4, options)).toThrow(/sample .* is not a regular file/);
  });

  it('backs the key loader: an oversized key file is refused as a KeyError', async () => {
    const file = path.join(scratch(), 'key.pem');
    writeFileSync(file, Buffer.alloc(64 * 1024 + 1, 0x41), { mode: 0o600 });
    await expect(loadSigningKey(file)).rejects.toThrow(KeyError);
    await expect(loadSigningKey(file)).rejects.toThrow(/too large to be a key/);
  });
});
