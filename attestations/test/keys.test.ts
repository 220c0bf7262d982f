import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../errors.js';
import { generateKeyPairFiles, loadSigningKey, loadTrustedKeys } from '../keys.js';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'tppverify-keys-'));

describe('keygen', () => {
  it('writes a 0600 PKCS#8 private key and an SPKI public key whose SHA-256 is the key id', async () => {
    const pair = await generateKeyPairFiles(fresh());
    expect(statSync(pair.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(pair.privateKeyFile, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const spki = createPublicKey(readFileSync(pair.publicKeyFile)).export({ type: 'spki', format: 'der' });
    expect(pair.keyId).toBe(createHash('sha256').update(spki).digest('hex'));
    expect((await loadSigningKey(pair.privateKeyFile)).keyId).toBe(pair.keyId);
  });

  it('encrypts with a passphrase, and the key then needs it', async () => {
    const pair = await generateKeyPairFiles(fresh(), 'correct horse');
    expect(readFileSync(pair.privateKeyFile, 'utf8')).toMatch(/ENCRYPTED PRIVATE KEY/);
    await expect(loadSigningKey(pair.privateKeyFile)).rejects.toThrow(/is encrypted: give its passphrase/);
    await expect(loadSigningKey(pair.privateKeyFile, 'wrong')).rejects.toThrow(/wrong passphrase/);
    expect((await loadSigningKey(pair.privateKeyFile, 'correct horse')).keyId).toBe(pair.keyId);
  });

  it('tells an encrypted key by its PEM form, not by the word ENCRYPTED anywhere in the file', async () => {
    const pair = await generateKeyPairFiles(mkdtempSync(path.join(tmpdir(), 'tppverify-keys-')));
    writeFileSync(pair.privateKeyFile, `# backup copy, not ENCRYPTED\n${readFileSync(pair.privateKeyFile, 'utf8')}`, { mode: 0o600 });
    await expect(loadSigningKey(pair.privateKeyFile, 'correct horse')).rejects.toThrow(/is not encrypted, but a passphrase was given/);
  });

  it('refuses a passphrase for a key that is not encrypted, rather than ignoring it', async () => {
    const pair = await generateKeyPairFiles(fresh());
    await expect(loadSigningKey(pair.privateKeyFile, 'correct horse')).rejects.toThrow(/is not encrypted, but a passphrase was given/);
  });

  it('refuses a folder others may write in without the sticky bit', async () => {
    const open = fresh();
    chmodSync(open, 0o777);
    await expect(generateKeyPairFiles(open)).rejects.toThrow(/is writable by group or others \(mode 0777\), who could replace the keys/);
    chmodSync(open, 0o1777);
    await expect(generateKeyPairFiles(open)).resolves.toMatchObject({ keyId: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('refuses to overwrite an existing key', async () => {
    const dir = fresh();
    await generateKeyPairFiles(dir);
    await expect(generateKeyPairFiles(dir)).rejects.toThrow(/exists: refusing to overwrite/);
  });
});

describe('private key permissions', () => {
  it.each([0o644, 0o640, 0o604, 0o660])('refuses a key file with mode %o', async (mode) => {
    const pair = await generateKeyPairFiles(fresh());
    chmodSync(pair.privateKeyFile, mode);
    await expect(loadSigningKey(pair.privateKeyFile)).rejects.toThrow(KeyError);
    await expect(loadSigningKey(pair.privateKeyFile)).rejects.toThrow(/readable or writable to group or others .*chmod 600/);
  });

  it('refuses execute-only bits for group (0610) too, and says what they are', async () => {
    const pair = await generateKeyPairFiles(fresh());
    chmodSync(pair.privateKeyFile, 0o610);
    await expect(loadSigningKey(pair.privateKeyFile)).rejects.toThrow(/is open to group or others \(mode 0610\)/);
  });

  it('names the mistake when a public key or an RSA key is given to sign with', async () => {
    const pair = await generateKeyPairFiles(fresh());
    const dir = fresh();
    const publicAsPrivate = path.join(dir, 'public.pem');
    copyFileSync(pair.publicKeyFile, publicAsPrivate);
    chmodSync(publicAsPrivate, 0o600);
    await expect(loadSigningKey(publicAsPrivate)).rejects.toThrow(/is a public key: --key takes the private key/);
    const rsa = path.join(dir, 'rsa.pem');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(rsa, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await expect(loadSigningKey(rsa)).rejects.toThrow(/is an RSA key; tppverify signs with Ed25519/);
  });

  it('accepts 0400 and 0600', async () => {
    const pair = await generateKeyPairFiles(fresh());
    chmodSync(pair.privateKeyFile, 0o400);
    await expect(loadSigningKey(pair.privateKeyFile)).resolves.toMatchObject({ keyId: pair.keyId });
  });
});

describe('trust', () => {
  it('loads every .pem in a trust folder by key id', async () => {
    const a = await generateKeyPairFiles(fresh());
    const b = await generateKeyPairFiles(fresh());
    const trust = fresh();
    copyFileSync(a.publicKeyFile, path.join(trust, 'a.pem'));
    copyFileSync(b.publicKeyFile, path.join(trust, 'b.pem'));
    const trusted = await loadTrustedKeys([], trust);
    expect([...trusted.keys()].sort()).toEqual([a.keyId, b.keyId].sort());
  });

  it('refuses a private key offered as a trusted public key', async () => {
    const pair = await generateKeyPairFiles(fresh());
    await expect(loadTrustedKeys([pair.privateKeyFile])).rejects.toThrow(/is not a PEM public key/);
  });
});
