// Offline verification: a valid attestation passes; every tampering is refused.
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, envelopeToJson, signEnvelope } from '../../../attestations/dsse.js';
import { ephemeralSigningKey } from '../../../attestations/keys.js';
import { decodeStatement, encodeStatement, PAYLOAD_TYPE, sha256Hex } from '../../../attestations/statement.js';
import { MAX_ATTESTATION_BYTES } from '../../../attestations/document-file.js';
import { verifyDocumentBytes, verifyDocumentFile } from '../document.js';
import { fixtureStatement, signedFixture } from '../../test/attestation-fixture.js';

const verifyAttestationBytes = (bytes: Uint8Array, keys: ReadonlyMap<string, import('node:crypto').KeyObject>, threshold = 1) => verifyDocumentBytes(bytes, { keys, threshold });
const verifyAttestationFile = async (file: string, keys: ReadonlyMap<string, import('node:crypto').KeyObject>) => verifyDocumentFile(file, { keys, threshold: 1 });

const key = ephemeralSigningKey();
const trusted = new Map([[key.keyId, key.publicKey]]);
const valid = signedFixture(key);
const scratch = mkdtempSync(path.join(tmpdir(), 'tppverify-verify-'));

describe('a valid attestation', () => {
  it('verifies, names its key, and summarizes the verdict', () => {
    const outcome = verifyAttestationBytes(valid, trusted);
    expect(outcome.reasons).toEqual([]);
    expect(outcome.valid).toBe(true);
    expect(outcome.signatures.keyids).toEqual([key.keyId]);
    expect(outcome.summary).toMatchObject({ device: 'cuda:0', serial: '1654922001234', outcome: 'consistent', eccn3a090: '3A090.a.1' });
  });

  it('verifies in its JSON rendering too', () => {
    const json = Buffer.from(envelopeToJson(decodeEnvelope(valid)));
    expect(verifyAttestationBytes(json, trusted).valid).toBe(true);
  });

  it('refuses the JSON rendering with a byte-order mark or a repeated key, saying which', () => {
    const json = envelopeToJson(decodeEnvelope(valid));
    const withBom = verifyAttestationBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]), trusted);
    expect(withBom.valid).toBe(false);
    expect(withBom.reasons.join()).toMatch(/byte-order mark/);
    const repeated = verifyAttestationBytes(Buffer.from(json.replace('{', '{"payloadType":"x",')), trusted);
    expect(repeated.valid).toBe(false);
    expect(repeated.reasons.join()).toMatch(/payloadType: key appears twice/);
  });

  it('keeps every recorded field through encoding (nothing silently dropped)', () => {
    const statement = fixtureStatement();
    const decoded = decodeStatement(encodeStatement(statement));
    expect(decoded.predicate.results).toEqual(statement.predicate.results);
    expect(decoded.predicate.verdict).toEqual(statement.predicate.verdict);
    expect(decoded.predicate.measurements).toEqual(statement.predicate.measurements);
    expect(decoded.predicate.report).toEqual(statement.predicate.report);
    expect(decoded.subject).toEqual(statement.subject);
  });
});

describe('tampering', () => {
  it(`rejects every single-byte change of the ${valid.length}-byte file`, () => {
    const accepted: number[] = [];
    for (let position = 0; position < valid.length; position++) {
      const copy = Buffer.from(valid);
      copy[position] = copy[position]! ^ (1 + (position % 255));
      if (verifyAttestationBytes(copy, trusted).valid) accepted.push(position);
    }
    expect(accepted).toEqual([]);
  });

  it('rejects truncation at any length, and an empty file', () => {
    for (let length = 0; length < valid.length; length += Math.max(1, Math.floor(valid.length / 300))) {
      expect(verifyAttestationBytes(valid.subarray(0, length), trusted).valid).toBe(false);
    }
    expect(verifyAttestationBytes(new Uint8Array(), trusted).reasons).toEqual(['the file is empty']);
  });

  it('refuses a 100 MiB file before reading it', async () => {
    const file = path.join(scratch, 'huge.dsse.pb');
    writeFileSync(file, '');
    truncateSync(file, 100 * 2 ** 20); // sparse: no 100 MiB written or read
    const outcome = await verifyAttestationFile(file, trusted);
    expect(outcome.valid).toBe(false);
    expect(outcome.reasons[0]).toMatch(new RegExp(`over the ${MAX_ATTESTATION_BYTES}-byte limit: refused unread`));
  });

  it('rejects a valid envelope signed by an untrusted key', () => {
    const stranger = ephemeralSigningKey();
    const outcome = verifyAttestationBytes(signedFixture(stranger), trusted);
    expect(outcome.valid).toBe(false);
    expect(outcome.reasons.join(' ')).toMatch(/not trusted/);
  });

  it('rejects a signature moved onto another payload', () => {
    const other = decodeEnvelope(signedFixture(key));
    const original = decodeEnvelope(valid);
    const moved = encodeEnvelope({ ...original, signatures: other.signatures });
    expect(verifyAttestationBytes(moved, trusted).valid).toBe(false);
  });

  it('rejects a changed payload type, even one the signature covers', () => {
    const payload = encodeStatement(fixtureStatement());
    const resigned = encodeEnvelope(signEnvelope(payload, 'application/vnd.in-toto+json', [key]));
    const outcome = verifyAttestationBytes(resigned, trusted);
    expect(outcome.valid).toBe(false);
    // The in-toto type is one verify reads, so the protobuf payload is then refused as not being in-toto JSON.
    expect(outcome.reasons[0]).toMatch(/not a tppverify in-toto Statement/);
    const original = decodeEnvelope(valid);
    expect(verifyAttestationBytes(encodeEnvelope({ ...original, payloadType: 'text/plain' }), trusted).valid).toBe(false);
    const plain = verifyAttestationBytes(encodeEnvelope(signEnvelope(payload, 'text/plain', [key])), trusted);
    expect(plain.reasons[0]).toMatch(/payload type 'text\/plain' is not/);
  });

  it('rejects a keyid that does not name the key that signed', () => {
    const original = decodeEnvelope(valid);
    const relabelled = encodeEnvelope({ ...original, signatures: original.signatures.map((s) => ({ ...s, keyid: 'f'.repeat(64) })) });
    expect(verifyAttestationBytes(relabelled, trusted).valid).toBe(false);
  });

  it('rejects correctly signed results that the recorded measurements do not give', () => {
    const statement = fixtureStatement();
    statement.predicate.results.declaredTpp += 1;
    const outcome = verifyAttestationBytes(signedFixture(key, statement), trusted);
    expect(outcome.valid).toBe(false);
    expect(outcome.reasons).toContain('the recorded results differ from those recomputed from the recorded declaration and measurements');
    const verdictEdited = fixtureStatement();
    verdictEdited.predicate.verdict.outcome = 'consistent';
    verdictEdited.predicate.verdict.findings[0]!.status = 'note';
    expect(verifyAttestationBytes(signedFixture(key, verdictEdited), trusted).reasons).toContain(
      'the recorded verdict differs from the one recomputed from the recorded declaration and measurements',
    );
  });

  it('rejects a declaration whose bytes no longer match their digest', () => {
    const statement = fixtureStatement();
    statement.predicate.declaration.json = Buffer.from(statement.predicate.declaration.json.toString().replace('1830', '1831'));
    expect(verifyAttestationBytes(signedFixture(key, statement), trusted).reasons).toContain(
      'the declaration bytes do not match their recorded SHA-256',
    );
  });

  it('reads the embedded declaration as run does: invalid UTF-8 is refused even when digest and signature agree', () => {
    const statement = fixtureStatement();
    const text = statement.predicate.declaration.json.toString();
    const at = text.indexOf('"vendor": "') + '"vendor": "'.length;
    statement.predicate.declaration.json = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff]), Buffer.from(text.slice(at))]);
    statement.predicate.declaration.sha256 = sha256Hex(statement.predicate.declaration.json);
    const outcome = verifyAttestationBytes(signedFixture(key, statement), trusted);
    expect(outcome.valid).toBe(false);
    expect(outcome.reasons).toContain('the recorded declaration is invalid: is not valid UTF-8 (save it as UTF-8)');
  });

  it('needs the threshold of distinct trusted keys', () => {
    const second = ephemeralSigningKey();
    const both = new Map([...trusted, [second.keyId, second.publicKey]]);
    const payload = encodeStatement(fixtureStatement());
    const once = encodeEnvelope(signEnvelope(payload, PAYLOAD_TYPE, [key]));
    const twice = encodeEnvelope(signEnvelope(payload, PAYLOAD_TYPE, [key, second]));
    const sameTwice = encodeEnvelope(signEnvelope(payload, PAYLOAD_TYPE, [key, key]));
    expect(verifyAttestationBytes(once, both, 2).valid).toBe(false);
    expect(verifyAttestationBytes(twice, both, 2).valid).toBe(true);
    expect(verifyAttestationBytes(sameTwice, both, 2).valid).toBe(false);
  });
});

describe('one canonical form', () => {
  it('refuses a payload whose singular message appears twice, even signed', () => {
    const payload = Buffer.from(encodeStatement(fixtureStatement()));
    // Field 4 (predicate) again at the end: protobuf readers keep the last (or merge), so two readers could disagree.
    const statement = decodeStatement(payload);
    const again = Buffer.from(encodeStatement({ ...statement, type: '', subject: [], predicateType: '' }));
    const outcome = verifyAttestationBytes(encodeEnvelope(signEnvelope(Buffer.concat([payload, again]), PAYLOAD_TYPE, [key])), trusted);
    expect(outcome.valid).toBe(false);
    expect(outcome.reasons.join()).toMatch(/not the canonical encoding of a tppverify Statement/);
  });

  it('refuses JSON base64 whose padding bits are not zero', () => {
    const json = JSON.parse(envelopeToJson(decodeEnvelope(valid))) as { signatures: { sig: string }[] };
    const sig = json.signatures[0]!.sig; // 64 bytes: ends in "==", the last letter carries 4 unused bits
    json.signatures[0]!.sig = sig.slice(0, -3) + String.fromCharCode(sig.charCodeAt(sig.length - 3) + 1) + '==';
    expect(Buffer.from(json.signatures[0]!.sig, 'base64').equals(Buffer.from(sig, 'base64'))).toBe(true);
    const outcome = verifyAttestationBytes(Buffer.from(JSON.stringify(json)), trusted);
    expect(outcome.valid).toBe(false);
    expect(outcome.reasons.join()).toMatch(/signatures\[0\]\.sig must be base64/);
  });
});

describe('the recomputation compares canonical encodings', () => {
  it('counts -0 and 0 as one value, as the canonical payload does', async () => {
    const { encodedComputed } = await import('../../../attestations/statement.js');
    const s = fixtureStatement();
    const negativeZero = { ...s.predicate.results, tppMargin: -0 };
    const zero = { ...s.predicate.results, tppMargin: 0 };
    expect(encodedComputed(negativeZero, s.predicate.verdict).results.equals(encodedComputed(zero, s.predicate.verdict).results)).toBe(true);
  });
});

describe('the acceptance rules, re-applied', () => {
  it('names what run would have refused', async () => {
    const { attackCorpus } = await import('../../test/attack-corpus.js');
    const corpus = attackCorpus(key);
    const reasons = (name: string) => verifyAttestationBytes(corpus.entries.find((e) => e.name === name)!.bytes, trusted).reasons.join('; ');
    expect(reasons('resigned-one-trial.pb')).toMatch(/1 timed trials, at least 10 required/);
    expect(reasons('resigned-negative-trial.pb')).toMatch(/triad: result rejected: trial 4 took -0.001 s/);
    expect(reasons('resigned-20x-rate.pb')).toMatch(/above the hardware bound/);
    expect(reasons('resigned-4kib-arrays-no-state-problem.pb')).toMatch(/the recorded state problems are not those .*below the sizing rule/);
    expect(reasons('resigned-serial-not-normalized.pb')).toMatch(/device serial: .*white space/);
    expect(reasons('resigned-audit-outcome-not-from-comparisons.pb')).toMatch(/audit comparison .* is recorded not-confirmed; its figures give consistent|does not follow from its comparisons/);
    expect(reasons('certificate-zero-units-certified.pb')).toMatch(/the recorded outcome certified does not follow from its units \(incomplete\)/);
  });
});

describe('fuzzing verify', () => {
  it('accepts none of 10,000 random and mutated inputs, and never throws', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 10_000; i++) {
      let input: Buffer;
      if (i % 2 === 0) {
        input = Buffer.from(Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
        if (i % 10 === 0 && input.length) input[0] = 0x7b; // exercise the JSON path too
      } else {
        input = Buffer.from(valid);
        const edits = 1 + Math.floor(random() * 8);
        for (let e = 0; e < edits; e++) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
        if (input.equals(Buffer.from(valid))) continue;
      }
      const outcome = verifyAttestationBytes(input, trusted);
      expect(outcome.valid, `input ${i}`).toBe(false);
    }
  });
});
