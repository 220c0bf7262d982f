// A writer killed at any moment leaves the old file or the new one, never part of one.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../atomic-write.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = path.join(root, 'dist', 'attestations', 'atomic-write.js');
const SIZE = 4 * 2 ** 20;

// Writes SIZE bytes of one value, then the next value, forever.
const writerScript = `
import { writeFileAtomic } from ${JSON.stringify(built)};
const target = process.argv[1];
for (let i = 1; ; i++) await writeFileAtomic(target, Buffer.alloc(${SIZE}, i % 251));
`;

describe('writeFileAtomic', () => {
  it('replaces a file and leaves no temp file behind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tppverify-atomic-'));
    const target = path.join(dir, 'a.dsse.pb');
    await writeFileAtomic(target, 'one');
    await writeFileAtomic(target, 'two');
    expect(readFileSync(target, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['a.dsse.pb']);
  });

  it('with exclusive, refuses to replace an existing file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tppverify-atomic-'));
    const target = path.join(dir, 'b');
    await writeFileAtomic(target, 'first', { exclusive: true });
    await expect(writeFileAtomic(target, 'second', { exclusive: true })).rejects.toThrow(/EEXIST/);
    expect(readFileSync(target, 'utf8')).toBe('first');
  });

  it('survives SIGKILL at 20 random moments with the target whole every time', async () => {
    expect(existsSync(built), `${built} missing: run npm install`).toBe(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'tppverify-atomic-'));
    const target = path.join(dir, 'target.bin');
    let whole = 0;
    for (let round = 0; round < 20; round++) {
      const child = execa('node', ['--input-type=module', '-e', writerScript, target], { reject: false });
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 400));
      child.kill('SIGKILL');
      await child;
      if (!existsSync(target)) continue;
      const bytes = readFileSync(target);
      expect(bytes.length).toBe(SIZE);
      expect(bytes.every((b) => b === bytes[0])).toBe(true);
      whole++;
    }
    // The kills must have landed while the writer was writing, not only before it started.
    expect(whole).toBeGreaterThan(3);
  });
});
