// Archived OCSP responses checked offline. The responses are made by
// OpenSSL's own OCSP responder (`openssl ocsp -index`), an independent
// producer, for a small P-384 CA made here: good, revoked, out of window,
// about another certificate, and signed by a stranger.
import { execa } from 'execa';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { children, readWhole } from '../der.js';
import { verifyOcspResponse } from '../ocsp.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tppverify-ocsp-'));
const file = (name: string) => path.join(dir, name);
const openssl = (args: string[]) => execa('openssl', args, { cwd: dir });
let chain: X509Certificate[];
let stranger: X509Certificate;

/** openssl's index.txt date form: YYMMDDHHMMSSZ. */
const indexDate = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';

async function ca(name: string): Promise<void> {
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-nodes', '-subj', `/CN=${name}`, '-days', '30', '-sha384', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
}

async function response(status: 'V' | 'R', signer: string, out: string): Promise<Buffer> {
  const expiry = indexDate(new Date(Date.now() + 30 * 86_400_000));
  const revoked = status === 'R' ? indexDate(new Date(Date.now() - 86_400_000)) : '';
  writeFileSync(file(`${out}.index`), `${status}\t${expiry}\t${revoked}\t1234\tunknown\t/CN=Leaf\n`);
  await openssl(['ocsp', '-index', `${out}.index`, '-rsigner', `${signer}.pem`, '-rkey', `${signer}.key`, '-CA', 'ca.pem', '-reqin', 'req.der', '-respout', `${out}.der`, '-ndays', '1', '-rmd', 'sha384']);
  return readFileSync(file(`${out}.der`));
}

beforeAll(async () => {
  await ca('ca');
  await ca('stranger');
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-nodes', '-subj', '/CN=Leaf']);
  await openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x1234', '-days', '30', '-sha384', '-out', 'leaf.pem']);
  await openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-reqout', 'req.der', '-no_nonce']);
  chain = [new X509Certificate(readFileSync(file('leaf.pem'))), new X509Certificate(readFileSync(file('ca.pem')))];
  stranger = new X509Certificate(readFileSync(file('stranger.pem')));
});

describe('archived OCSP responses', () => {
  it('good, signed by the issuing CA, inside its window: valid, and says which certificate it covers', async () => {
    const check = verifyOcspResponse(await response('V', 'ca', 'good'), chain, new Date());
    expect(check.problems).toEqual([]);
    expect(check).toMatchObject({ valid: true, covers: [1] });
  });

  it('revoked is refused, naming the certificate', async () => {
    const check = verifyOcspResponse(await response('R', 'ca', 'revoked'), chain, new Date());
    expect(check.valid).toBe(false);
    expect(check.problems).toContain('certificate 1 is REVOKED according to its OCSP response');
  });

  it('outside its validity window (two days on; a day before) is refused', async () => {
    const good = await response('V', 'ca', 'window');
    expect(verifyOcspResponse(good, chain, new Date(Date.now() + 2 * 86_400_000)).problems.join('; ')).toMatch(/OCSP response is valid .* not at/);
    expect(verifyOcspResponse(good, chain, new Date(Date.now() - 86_400_000)).valid).toBe(false);
  });

  it("signed by a stranger, or about another chain's certificate, is refused", async () => {
    const forged = verifyOcspResponse(await response('V', 'stranger', 'forged'), chain, new Date());
    expect(forged.problems).toContain("the OCSP response's signature is neither the issuing CA's nor a delegated responder's");
    const other = verifyOcspResponse(await response('V', 'ca', 'other'), [stranger], new Date());
    expect(other.valid).toBe(false);
    expect(other.problems.join('; ')).toMatch(/not a certificate of this chain/);
  });

  it('a flipped byte anywhere in the signed response data or the signature, or garbage, is refused, never thrown', async () => {
    const good = await response('V', 'ca', 'flip');
    // The signed ResponseData and the signature value sit inside the basic response; the
    // responder certificates after them are not signed (RFC 6960) and are not flipped here.
    const basic = readWhole(children(children(children(readWhole(good))[1]!)[0]!)[1]!.content);
    const [tbs, , signature] = children(basic);
    const start = good.indexOf(tbs!.encoded);
    const end = good.indexOf(signature!.encoded) + signature!.encoded.length;
    expect(start).toBeGreaterThan(0);
    for (let i = 0; i < end; i++) {
      if (i >= start + tbs!.encoded.length && i < good.indexOf(signature!.encoded)) continue; // the algorithm identifier: checked by name
      const changed = Buffer.from(good);
      changed[i] ^= 0x01;
      expect(verifyOcspResponse(changed, chain, new Date()).valid, `byte ${i}`).toBe(false);
    }
    expect(verifyOcspResponse(Buffer.from('not der'), chain, new Date()).valid).toBe(false);
  });
});

describe('OCSP responses archived with SPDM evidence', () => {
  it('a good response for the leaf passes with the evidence; a revoked one fails it', async () => {
    const { syntheticDevice } = await import('./synthetic-device.js');
    const { checkSpdmRecord } = await import('../identity-evidence.js');
    const device = syntheticDevice('Ocsp');
    const [leaf, issuer] = device.certificates;
    writeFileSync(file('s-leaf.pem'), leaf!.certificate.toString());
    writeFileSync(file('s-ca.pem'), issuer!.certificate.toString());
    writeFileSync(file('s-ca.key'), issuer!.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await openssl(['ocsp', '-issuer', 's-ca.pem', '-cert', 's-leaf.pem', '-reqout', 's-req.der', '-no_nonce']);
    const serial = leaf!.certificate.serialNumber;
    const make = async (status: 'V' | 'R', out: string) => {
      const revoked = status === 'R' ? indexDate(new Date(Date.now() - 86_400_000)) : '';
      writeFileSync(file(`${out}.index`), `${status}\t${indexDate(new Date(Date.now() + 86_400_000))}\t${revoked}\t${serial}\tunknown\t/CN=Ocsp GPU FMC LF\n`);
      await openssl(['ocsp', '-index', `${out}.index`, '-rsigner', 's-ca.pem', '-rkey', 's-ca.key', '-CA', 's-ca.pem', '-reqin', 's-req.der', '-respout', `${out}.der`, '-ndays', '1']);
      return readFileSync(file(`${out}.der`));
    };
    const nonce = Buffer.alloc(32, 3);
    const record = (ocsp: Buffer) => ({ phase: 'before', nonce, report: device.report(nonce), certificateChainPem: device.chainPem, collectedAt: new Date().toISOString(), ocspResponses: [ocsp], referenceManifests: [] });
    expect(checkSpdmRecord(record(await make('V', 's-good')), nonce, device.pinnedRoots).problems).toEqual([]);
    expect(checkSpdmRecord(record(await make('R', 's-revoked')), nonce, device.pinnedRoots).problems).toContain("the before evidence's OCSP response 1: certificate 1 is REVOKED according to its OCSP response");
  });
});
