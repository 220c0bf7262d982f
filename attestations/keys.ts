// Ed25519 keys: generation, loading with permission checks, key ids, trust.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { lstatSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { readFileWithin } from './bounded-read.js';
import { fsReason, KeyError } from './errors.js';

export const PRIVATE_KEY_FILE = 'tppverify-private.pem';
export const PUBLIC_KEY_FILE = 'tppverify-public.pem';
/** Group and other permission bits: a private key file must have none. */
const GROUP_OTHER_BITS = 0o077;
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** Hex SHA-256 of the public key's SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export function ephemeralSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

export interface GeneratedKeyPair {
  keyId: string;
  privateKeyFile: string;
  publicKeyFile: string;
}

/** Writes a new key pair into `dir`: PKCS#8 PEM (encrypted when a passphrase is given, mode 0600) and SPKI PEM. */
export async function generateKeyPairFiles(dir: string, passphrase?: string): Promise<GeneratedKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export(
    passphrase ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase } : { type: 'pkcs8', format: 'pem' },
  ) as string;
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const privateKeyFile = path.join(dir, PRIVATE_KEY_FILE);
  const publicKeyFile = path.join(dir, PUBLIC_KEY_FILE);
  // Whoever may write in the folder, or in any folder above it, may swap the key files.
  checkFolderChain(dir, 'the keys');
  // Neither file is replaced: a public key others already trust must not change under them.
  for (const file of [privateKeyFile, publicKeyFile]) {
    // lstat: a dangling symbolic link in a key's place counts as taken (link() would fail on it later).
    let taken = true;
    try {
      lstatSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      taken = false;
    }
    if (taken) throw new KeyError(`${file} exists: refusing to overwrite a key`);
  }
  for (const [file, pem, mode] of [[privateKeyFile, privatePem, 0o600], [publicKeyFile, publicPem, 0o644]] as const) {
    try {
      await writeFileAtomic(file, pem, { mode, exclusive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyError(`${file} exists: refusing to overwrite a key`);
      throw error;
    }
  }
  return { keyId: keyIdOf(publicKey), privateKeyFile, publicKeyFile };
}

async function readKeyFile(file: string): Promise<{ text: string; mode: number }> {
  const read = readFileWithin(file, MAX_KEY_FILE_BYTES, { what: 'key', toError: (message) => new KeyError(message) });
  if ('tooLargeBytes' in read) throw new KeyError(`${file} is too large to be a key`);
  return { text: read.bytes.toString('utf8'), mode: read.mode };
}

/** "an RSA key", "a DSA key": the article follows how the letters are spoken. */
function keyTypeName(key: KeyObject): string {
  const type = (key.asymmetricKeyType ?? 'unknown').toUpperCase();
  return `${'AEFHILMNORSX'.includes(type[0]!) ? 'an' : 'a'} ${type} key`;
}

/** Loads a private signing key, refusing a file that group or others can read. */
export async function loadSigningKey(file: string, passphrase?: string): Promise<SigningKey> {
  const { text, mode } = await readKeyFile(file);
  // The wrong kind of file first: chmod advice for a public key would mislead.
  if (/^-----BEGIN PUBLIC KEY-----/m.test(text)) throw new KeyError(`${file} is a public key: --key takes the private key (tppverify-private.pem)`);
  if ((mode & GROUP_OTHER_BITS) !== 0) {
    // Any bit for group or others is refused; the message names the worst of them.
    const access = mode & 0o066 ? 'readable or writable' : 'open';
    throw new KeyError(
      `${file} is ${access} to group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): run 'chmod 600 ${file}'`,
    );
  }
  // Encrypted by its PEM form (PKCS#8's label, or the legacy Proc-Type header), not by the word appearing anywhere.
  const encrypted = /^-----BEGIN ENCRYPTED PRIVATE KEY-----$/m.test(text) || /^Proc-Type: 4,ENCRYPTED$/m.test(text);
  if (passphrase !== undefined && !encrypted) {
    throw new KeyError(`${file} is not encrypted, but a passphrase was given: drop --passphrase-env or use the encrypted key`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(passphrase ? { key: text, format: 'pem', passphrase } : { key: text, format: 'pem' });
  } catch {
    throw new KeyError(
      encrypted && !passphrase
        ? `${file} is encrypted: give its passphrase with --passphrase-env VAR`
        : `${file} is not a usable private key${encrypted ? ' (wrong passphrase?)' : ''}`,
    );
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new KeyError(`${file} is ${keyTypeName(privateKey)}; tppverify signs with Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

export async function loadPublicKey(file: string): Promise<KeyObject> {
  const { text } = await readKeyFile(file);
  // createPublicKey would derive a public key from a private one: a trust
  // store must hold public keys only.
  if (!/^-----BEGIN PUBLIC KEY-----/m.test(text) || /PRIVATE KEY/.test(text)) {
    throw new KeyError(`${file} is not a PEM public key (SPKI, "BEGIN PUBLIC KEY")`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new KeyError(`${file} is not a PEM public key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`${file} is ${keyTypeName(key)}; tppverify verifies Ed25519`);
  return key;
}

/**
 * Refuses `dir` when it, or any folder above it, may be written by group or
 * others without the sticky bit (as on /tmp, which stops them renaming what is
 * not theirs): whoever can write there can replace what the folder holds, or
 * the folder itself.
 */
export function checkFolderChain(dir: string, what: string): void {
  let current = path.resolve(dir);
  for (;;) {
    let mode: number;
    try {
      mode = statSync(current).mode;
    } catch (error) {
      throw new KeyError(`cannot check ${current}: ${fsReason(error)}`);
    }
    if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
      const which = current === path.resolve(dir) ? current : `${current}, above ${dir},`;
      throw new KeyError(`${which} is writable by group or others (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}), who could replace ${what}: use a private folder (chmod 700)`);
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/** Trusted keys by key id, from explicit files and every *.pem in a trust folder. */
export async function loadTrustedKeys(files: readonly string[], trustDir?: string): Promise<Map<string, KeyObject>> {
  const all = [...files];
  if (trustDir) {
    checkFolderChain(trustDir, 'the trusted keys');
    let names: string[];
    try {
      names = await readdir(trustDir);
    } catch (error) {
      throw new KeyError(`cannot read trust folder ${trustDir}: ${fsReason(error)}`);
    }
    all.push(...names.filter((n) => n.endsWith('.pem')).sort().map((n) => path.join(trustDir, n)));
  }
  // A trusted key others could replace would let them choose what verifies.
  for (const file of files) checkFolderChain(path.dirname(file), `the trusted key ${path.basename(file)}`);
  const trusted = new Map<string, KeyObject>();
  for (const file of all) {
    const key = await loadPublicKey(file);
    trusted.set(keyIdOf(key), key);
  }
  return trusted;
}
