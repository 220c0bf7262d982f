// Strict JSON: repeated keys are found at any depth, and nothing else is taken for one.
import { describe, expect, it } from 'vitest';
import { findDuplicateKey, parseStrictJson, StrictJsonError } from '../strict-json.js';

describe('findDuplicateKey', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"a":1,"b":{"c":1,"c":2}}', 'b.c'],
    ['{"a":[{"x":1},{"x":2,"x":3}]}', 'a[1].x'],
    ['[{"k":1},[{"k":1,"k":2}]]', '[1][0].k'],
  ])('%s repeats %s', (text, path) => {
    expect(findDuplicateKey(text)).toBe(path);
  });

  it.each([
    '{"a":1,"b":{"a":2}}', // the same key in different objects
    '[{"a":1},{"a":2}]',
    '{"a":"}{\\"a\\":","b":"\\\\"}', // braces, quotes and backslashes inside strings
    '[{}, "x", {"y":1}]', // a value string after an empty object is no key
    '{"a":{},"b":[],"c":[{}]}',
  ])('%s has none', (text) => {
    expect(findDuplicateKey(text)).toBeUndefined();
  });
});

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses when no key repeats', () => {
    expect(parseStrictJson('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
  });

  it('names the repeated key in its error', () => {
    expect(() => parseStrictJson('{"lotId":"L1","units":[],"lotId":"L2"}')).toThrow(
      expect.objectContaining({ name: 'StrictJsonError', path: 'lotId', message: 'key appears twice in one object' }),
    );
  });

  it('refuses a byte-order mark and keeps parser messages printable', () => {
    expect(() => parseStrictJson('\uFEFF{}')).toThrow(/byte-order mark/);
    try {
      parseStrictJson('\u0000\u001b[31m');
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(StrictJsonError);
      expect((error as Error).message).toMatch(/^not valid JSON/);
      expect((error as Error).message).not.toMatch(/[\u0000-\u001f\u007f-\uffff]/);
    }
  });
});
