// `tppverify keygen --out DIR [--passphrase-env VAR]`
import { mkdir } from 'node:fs/promises';
import { checkOutputDir } from '../../../attestations/atomic-write.js';
import { generateKeyPairFiles } from '../../../attestations/keys.js';
import { passphraseFrom } from '../passphrase.js';
import type { CliIo } from '../io.js';

export async function runKeygen(options: { out: string; passphraseEnv?: string }, io: CliIo): Promise<void> {
  const passphrase = passphraseFrom(options.passphraseEnv);
  await checkOutputDir(options.out);
  // A new key folder is private: whoever can write in it could swap the keys.
  await mkdir(options.out, { recursive: true, mode: 0o700 });
  const pair = await generateKeyPairFiles(options.out, passphrase);
  io.out(`key id ${pair.keyId}\nprivate key ${pair.privateKeyFile} (mode 0600${passphrase ? ', encrypted' : ''})\npublic key  ${pair.publicKeyFile}\n`);
}
