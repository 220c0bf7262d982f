// attestations/ is the floor of the TypeScript side: it knows proto/ and
// nothing above it. Every .ts file in it, tests included, is read for imports.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('layers', () => {
  it('no module in attestations/ imports from harness/ or benchmarks/', () => {
    const upward: string[] = [];
    for (const file of tsFiles(here)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:import|export)[^'"]*from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const target = match[1] ?? match[2]!;
        if (!target.startsWith('.')) continue;
        const resolved = path.relative(here, path.resolve(path.dirname(file), target));
        if (resolved.startsWith('..')) upward.push(`${path.relative(here, file)} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
