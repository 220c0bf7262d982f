// Generated hostile inputs through verify and every reader: mutated envelopes
// in both renderings, payloads re-signed by a trusted key, declarations, lot
// manifests, lab files and key files. Counts crashes (an error that is not a
// TppverifyError, or an internal one), acceptances (a changed document that
// verifies), and refusals that are not one bounded, escaped line with exit 1
// or 2. Driven by benchmarks/scripts/fuzz-readers.mjs (≥ 100,000 inputs) and,
// with a small count, by the test suite.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { encodeEnvelope, envelopeToJson, signEnvelope } from '../../attestations/dsse.js';
import { generateKeyPairFiles, loadPublicKey, loadSigningKey, type SigningKey } from '../../attestations/keys.js';
import { decodeStatement, encodeStatement, PAYLOAD_TYPE, type Statement } from '../../attestations/statement.js';
import { runAudit } from '../cli/commands/audit.js';
import { runLotPlan } from '../cli/commands/lot.js';
import { runReport } from '../cli/commands/report.js';
import { runShow } from '../cli/commands/show.js';
import { runTpp } from '../cli/commands/tpp.js';
import { runVerify } from '../cli/commands/verify.js';
import { MAX_LINE_CHARS } from '../cli/escape.js';
import type { CliIo } from '../cli/io.js';
import { asTppverifyError, reportError } from '../cli/report-error.js';
import { readLabFile } from '../lab.js';
import { scanAttestations } from '../lot/certificate.js';
import { verifyFilesHere } from '../verify/batch.js';
import { verifyDocumentBytes, type TrustedKeys } from '../verify/document.js';

export interface FuzzStats {
  inputs: number;
  byKind: Record<string, number>;
  readerCalls: number;
  crashes: string[];
  acceptances: string[];
  badRefusals: string[];
  seconds: number;
}

/** A small, fast, seeded generator (mulberry32): the same seed gives the same inputs. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(items: readonly T[]) => items[int(items.length)]! };
}
type Random = ReturnType<typeof generator>;

/** Bytes an adversary finds interesting: controls, bidi overrides, quotes, digits, UTF-8 lead bytes. */
const HOSTILE_TEXT = ['\u001b[2J', '\n', '\r', '\u202e', '\u0000', '"', '\\', '}', ']', '{', '[', ',', ':', '-1', '1e309', '0', 'NaN', '\uFEFF', '\ud800', 'é', 'e\u0301', ' ', '\t', 'x'.repeat(5000), '['.repeat(2000)];

function mutateBytes(r: Random, input: Uint8Array): Buffer {
  const out = Buffer.from(input);
  switch (r.int(6)) {
    case 0: // flip bytes
      for (let i = 1 + r.int(8); i > 0 && out.length; i--) out[r.int(out.length)] = r.int(256);
      return out;
    case 1: // truncate
      return out.subarray(0, r.int(out.length + 1));
    case 2: {
      // insert random bytes
      const at = r.int(out.length + 1);
      return Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: 1 + r.int(16) }, () => r.int(256))), out.subarray(at)]);
    }
    case 3: {
      // duplicate a slice (repeated fields)
      const a = r.int(out.length + 1);
      const b = Math.min(out.length, a + r.int(64));
      return Buffer.concat([out.subarray(0, b), out.subarray(a, b), out.subarray(b)]);
    }
    case 4: // random bytes
      return Buffer.from(Array.from({ length: r.int(400) }, () => r.int(256)));
    default: {
      // splice hostile text
      const at = r.int(out.length + 1);
      return Buffer.concat([out.subarray(0, at), Buffer.from(r.pick(HOSTILE_TEXT)), out.subarray(at)]);
    }
  }
}

function mutateText(r: Random, text: string): string {
  const at = r.int(text.length + 1);
  switch (r.int(4)) {
    case 0:
      return text.slice(0, at) + r.pick(HOSTILE_TEXT) + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + r.int(20));
    case 2: {
      // replace a JSON value's text
      const matches = [...text.matchAll(/:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)/g)];
      if (!matches.length) return text + r.pick(HOSTILE_TEXT);
      const m = r.pick(matches);
      return text.slice(0, m.index!) + ': ' + r.pick(['"x"', '-1', '1e400', '0', '[]', '{}', 'null', '"\\u202e"', '"' + 'y'.repeat(3000) + '"', '1.5', '"é"']) + text.slice(m.index! + m[0].length);
    }
    default:
      return mutateBytes(r, Buffer.from(text)).toString('latin1');
  }
}

/**
 * What a re-signed payload mutation must not change and still verify: the
 * declaration, the results, the verdict, the state problems and the audit
 * link, which every reader decides on. A signer may assert other text (a
 * fact's source, a report id) and may record raw trials that give the same
 * results: those verify, rightly, and are not counted as acceptances.
 */
function decidingParts(statement: Statement) {
  const p = statement.predicate;
  return [Buffer.from(p.declaration.json).toString('hex'), p.results, p.verdict, p.stateProblems, p.audit];
}

export interface FuzzOptions {
  seed: number;
  count: number;
  /** A valid attestation (its statement) every document mutation starts from. */
  template: Statement;
  declarations: string[];
  onProgress?: (done: number) => void;
}

export async function fuzzReaders(options: FuzzOptions): Promise<FuzzStats> {
  const started = process.hrtime.bigint();
  const r = generator(options.seed);
  const work = mkdtempSync(path.join(tmpdir(), 'tppverify-fuzz-'));
  const stats: FuzzStats = { inputs: 0, byKind: {}, readerCalls: 0, crashes: [], acceptances: [], badRefusals: [], seconds: 0 };
  try {
    const keysDir = path.join(work, 'keys');
    mkdirSync(keysDir, { mode: 0o700 });
    const pair = await generateKeyPairFiles(keysDir);
    const key: SigningKey = await loadSigningKey(pair.privateKeyFile);
    const trust: TrustedKeys = { keys: new Map([[key.keyId, key.publicKey]]), threshold: 1 };
    const original = signEnvelope(encodeStatement(options.template), PAYLOAD_TYPE, [key]);
    const originalPb = encodeEnvelope(original);
    const originalJson = envelopeToJson(original);
    const originalParts = decidingParts(decodeStatement(original.payload));
    const io: CliIo = { out: () => {}, err: () => {}, progressEnabled: false };
    const input = path.join(work, 'input.dsse.pb');
    const html = path.join(work, 'out.html');
    const notAFolder = pair.publicKeyFile;

    /** One reader call: a refusal must be a TppverifyError whose line is one bounded, escaped line with exit 1 or 2. */
    const call = async (label: string, work: () => unknown): Promise<{ ok: boolean; value?: unknown }> => {
      stats.readerCalls++;
      try {
        return { ok: true, value: await work() };
      } catch (error) {
        const coded = asTppverifyError(error);
        if (coded.code === 'internal') {
          stats.crashes.push(`${label}: ${coded.message.slice(0, 200)}`);
          return { ok: false };
        }
        let line = '';
        const status = reportError(error, (t) => (line += t));
        const body = line.slice(0, -1);
        if (!line.endsWith('\n') || body.includes('\n') || /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(body) || body.length > MAX_LINE_CHARS + 100 || (status !== 1 && status !== 2)) {
          stats.badRefusals.push(`${label}: exit ${status}: ${JSON.stringify(line.slice(0, 200))}`);
        }
        return { ok: false };
      }
    };

    const documentReaders = async (label: string, bytes: Uint8Array, accepted: (valid: boolean) => boolean) => {
      writeFileSync(input, bytes);
      const core = verifyDocumentBytes(bytes, trust);
      if (accepted(core.valid)) stats.acceptances.push(`${label}: verify accepted it`);
      const one = await call(`${label} verify`, () => runVerify([input], { pubkey: [pair.publicKeyFile], threshold: 1, json: true }, io));
      if (one.ok && one.value === 0 && accepted(true)) stats.acceptances.push(`${label}: the verify command accepted it`);
      const batch = await call(`${label} verify many`, () => verifyFilesHere({ files: [input], trustedPem: [key.publicKey.export({ type: 'spki', format: 'pem' }) as string], threshold: 1 }));
      if (batch.ok && (batch.value as { valid: boolean }[])[0]!.valid && accepted(true)) stats.acceptances.push(`${label}: verify of many accepted it`);
      const report = await call(`${label} report`, () => runReport(input, { html, pubkey: [pair.publicKeyFile], paper: 'a4' }, io));
      if (report.ok && report.value === 0 && accepted(true)) stats.acceptances.push(`${label}: report showed it verified`);
      await call(`${label} show`, () => runShow(input, { json: true }, io));
      const audit = await call(`${label} audit`, () => runAudit(input, { device: 'cpu', key: pair.privateKeyFile, pubkey: [pair.publicKeyFile], out: notAFolder, json: true }, io));
      void audit;
      const units = await call(`${label} lot certify`, () => scanAttestations([{ file: input, bytes }], trust));
      if (units.ok && (units.value as { valid: boolean }[])[0]!.valid && accepted(true)) stats.acceptances.push(`${label}: lot certify used it`);
    };

    const kinds = ['envelope-pb', 'envelope-json', 'payload-resigned', 'declaration', 'manifest', 'lab', 'key'] as const;
    for (let i = 0; i < options.count; i++) {
      const kind = kinds[i % kinds.length]!;
      stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
      stats.inputs++;
      const label = `#${i} ${kind}`;
      if (kind === 'envelope-pb' || kind === 'envelope-json') {
        const bytes = kind === 'envelope-pb' ? mutateBytes(r, originalPb) : Buffer.from(mutateText(r, originalJson), 'latin1');
        const same = Buffer.compare(bytes, Buffer.from(originalPb)) === 0 || bytes.toString('latin1').trim() === originalJson;
        await documentReaders(label, bytes, (valid) => valid && !same && !sameDocument(bytes));
      } else if (kind === 'payload-resigned') {
        const payload = mutateBytes(r, original.payload);
        const bytes = encodeEnvelope(signEnvelope(payload, PAYLOAD_TYPE, [key]));
        await documentReaders(label, bytes, (valid) => {
          if (!valid) return false;
          try {
            return !isDeepStrictEqual(decidingParts(decodeStatement(payload)), originalParts);
          } catch {
            return true;
          }
        });
      } else {
        const file = path.join(work, `input-${kind}.json`);
        if (kind === 'declaration') {
          writeFileSync(file, mutateText(r, r.pick(options.declarations)), 'latin1');
          await call(`${label} tpp`, () => runTpp(file, { json: true }, io));
        } else if (kind === 'manifest') {
          writeFileSync(file, mutateText(r, JSON.stringify({ lotId: 'LOT-1', exporter: 'E', filingReference: 'F', declarationSha256: 'a'.repeat(64), units: [{ serial: 'S1', uuid: 'GPU-1', boardPartNumber: 'P' }, { serial: 'S2' }] })), 'latin1');
          await call(`${label} lot plan`, () => runLotPlan(file, { nonce: '0011223344556677', json: true }, io));
        } else if (kind === 'lab') {
          writeFileSync(file, mutateText(r, JSON.stringify({ name: 'Lab', accreditation: 'A', location: 'US', operator: 'op', exporter: 'ex', filingReference: 'F' })), 'latin1');
          await call(`${label} lab file`, () => readLabFile(file));
        } else {
          const keyFile = path.join(work, 'key.pem');
          const pem = r.int(2) ? (await import('node:fs')).readFileSync(pair.privateKeyFile, 'utf8') : (await import('node:fs')).readFileSync(pair.publicKeyFile, 'utf8');
          writeFileSync(keyFile, mutateText(r, pem), { encoding: 'latin1', mode: 0o600 });
          await call(`${label} private key`, () => loadSigningKey(keyFile));
          await call(`${label} public key`, () => loadPublicKey(keyFile));
        }
      }
      if (options.onProgress && i % 1000 === 999) options.onProgress(i + 1);
    }

    /** A mutation that only re-spells the original (JSON white space, the unsigned keyid hint): the same signed content, rightly accepted. */
    function sameDocument(bytes: Uint8Array): boolean {
      const envelope = verifyDocumentBytes(bytes, trust).envelope;
      return envelope !== null && envelope.payloadType === original.payloadType && Buffer.compare(Buffer.from(envelope.payload), Buffer.from(original.payload)) === 0;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  stats.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return stats;
}
