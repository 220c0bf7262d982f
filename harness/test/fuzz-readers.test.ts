// The seeded, smaller run of the readers' fuzzer (the benchmark sends
// ≥ 100,000 inputs: benchmarks/scripts/fuzz-readers.mjs).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fuzzReaders } from '../fuzz/readers-fuzz.js';
import { fixtureStatement } from './attestation-fixture.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'declaration', 'examples');

describe('fuzzing every reader', () => {
  it('1,400 seeded inputs: no crash, no acceptance, every refusal one bounded line with exit 1 or 2', async () => {
    const stats = await fuzzReaders({
      seed: 20261201,
      count: Number(process.env["FUZZ_COUNT"] ?? 1400),
      template: fixtureStatement(),
      declarations: readdirSync(examples).map((f) => readFileSync(path.join(examples, f), 'utf8')),
    });
    expect(stats.crashes).toEqual([]);
    expect(stats.acceptances).toEqual([]);
    expect(stats.badRefusals).toEqual([]);
    expect(stats.inputs).toBe(Number(process.env["FUZZ_COUNT"] ?? 1400));
    expect(stats.readerCalls).toBeGreaterThan(4000);
  });
});
