// The example Rego policy (docs/policy/accept.rego) evaluated by a real
// policy engine, OPA's `opa eval`, on a tppverify result it must accept and
// on documents it must refuse. OPA is neither in Debian 12 nor on npm (its
// wasm SDK runs only policies the opa binary compiled, and no maintained
// Rego interpreter is published there), so this runs where `opa` is on the
// PATH and is reported as skipped, with that reason, where it is not.
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { envelopeToJson, signEnvelope } from '../../../attestations/dsse.js';
import { encodeIntotoStatement, INTOTO_PAYLOAD_TYPE } from '../../../attestations/intoto-json.js';
import { ephemeralSigningKey } from '../../../attestations/keys.js';
import type { Statement } from '../../../attestations/statement.js';
import { fixtureStatement } from '../attestation-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const policy = path.join(root, 'docs', 'policy', 'accept.rego');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');

function opaOnPath(): boolean {
  try {
    execFileSync('opa', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const work = mkdtempSync(path.join(tmpdir(), 'tppverify-rego-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const key = ephemeralSigningKey();

/** The policy's input for a statement: what `tppverify verify --json` says of its .intoto.json, and the payload. */
async function policyInput(statement: Statement, name: string): Promise<string> {
  const file = path.join(work, `${name}.intoto.json`);
  const payload = encodeIntotoStatement(statement);
  writeFileSync(file, envelopeToJson(signEnvelope(payload, INTOTO_PAYLOAD_TYPE, [key])));
  const publicKey = path.join(work, 'key.pem');
  writeFileSync(publicKey, key.publicKey.export({ type: 'spki', format: 'pem' }));
  const verify = await execa('node', [cli, 'verify', file, '--pubkey', publicKey, '--json'], { reject: false });
  const input = path.join(work, `${name}.input.json`);
  writeFileSync(input, JSON.stringify({ verification: JSON.parse(verify.stdout), statement: JSON.parse(Buffer.from(payload).toString('utf8')) }));
  return input;
}

async function decide(input: string, labKeyid = key.keyId, minTppMargin = 1000): Promise<{ allow: boolean; deny: string[] }> {
  const data = path.join(work, 'data.json');
  writeFileSync(data, JSON.stringify({ lab_keyids: [labKeyid], min_tpp_margin: minTppMargin }));
  const run = await execa('opa', ['eval', '--format', 'json', '-d', policy, '-d', data, '-i', input, 'data.tppverify.accept']);
  const value = (JSON.parse(run.stdout) as { result: { expressions: { value: { allow: boolean; deny: string[] } }[] }[] }).result[0]!.expressions[0]!.value;
  return { allow: value.allow, deny: [...value.deny].sort() };
}

describe.skipIf(!opaOnPath())('docs/policy/accept.rego under OPA (skipped: opa is not on the PATH)', () => {
  it('accepts a verified, lab-signed, consistent, eligible board with margin to spare', async () => {
    expect(await decide(await policyInput(fixtureStatement(), 'good'))).toEqual({ allow: true, deny: [] });
  });

  it('refuses the same document under another lab key, and a margin it does not leave', async () => {
    const input = await policyInput(fixtureStatement(), 'good2');
    expect((await decide(input, 'f'.repeat(64))).deny).toEqual(['no signature from a lab key']);
    const strict = await decide(input, key.keyId, 1e6);
    expect(strict.allow).toBe(false);
    expect(strict.deny.join()).toMatch(/TPP margin/);
  });

  it('refuses a document that verify refused (its results were edited)', async () => {
    const statement = fixtureStatement();
    statement.predicate.verdict.outcome = 'consistent';
    statement.predicate.results.tppMargin = 50_000;
    const refused = await decide(await policyInput(statement, 'edited'));
    expect(refused.allow).toBe(false);
    expect(refused.deny).toContain('tppverify verify did not accept the attestation');
  });
});
