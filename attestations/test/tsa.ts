// Test support: a throwaway TSA (root CA → TSA signing certificate, EC P-256,
// made with openssl) and the loopback responder of fixtures/tsa-server.mjs,
// started and stopped by PID.
import { execa, type ResultPromise } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface TestTsa {
  url: string;
  /** The TSA's signing certificate then its root, PEM: what verify --tsa-certs takes. */
  chainFile: string;
  /** A root that did not issue the TSA's certificate. */
  otherChainFile: string;
  stop: () => Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await execa('openssl', args, { cwd });
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

export async function startTestTsa(dir: string): Promise<TestTsa> {
  mkdirSync(dir, { recursive: true });
  await makeCa(dir, 'tsa-root');
  await makeCa(dir, 'other-root');
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=Test TSA'], dir);
  writeFileSync(path.join(dir, 'tsa.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n');
  await openssl(['x509', '-req', '-in', 'tsa.csr', '-CA', 'tsa-root.crt', '-CAkey', 'tsa-root.key', '-CAcreateserial', '-out', 'tsa.crt', '-days', '30', '-extfile', 'tsa.ext'], dir);
  writeFileSync(path.join(dir, 'serial'), '01\n');
  const config = path.join(dir, 'tsa.cnf');
  writeFileSync(
    config,
    [
      '[ tsa ]',
      'default_tsa = test_tsa',
      '[ test_tsa ]',
      `serial = ${path.join(dir, 'serial')}`,
      'crypto_device = builtin',
      `signer_cert = ${path.join(dir, 'tsa.crt')}`,
      `signer_key = ${path.join(dir, 'tsa.key')}`,
      'signer_digest = sha256',
      'default_policy = 1.3.6.1.4.1.4146.2.3',
      'digests = sha256',
      'accuracy = secs:1',
      'ordering = yes',
      'tsa_name = yes',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  const pem = (name: string) => readFileSync(path.join(dir, name), 'utf8');
  const chainFile = path.join(dir, 'chain.pem');
  writeFileSync(chainFile, pem('tsa.crt') + pem('tsa-root.crt'));
  const otherChainFile = path.join(dir, 'other-chain.pem');
  writeFileSync(otherChainFile, pem('tsa.crt') + pem('other-root.crt'));

  const server: ResultPromise = execa('node', [path.join(here, 'fixtures', 'tsa-server.mjs'), config], { reject: false, buffer: false });
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    server.once('exit', () => reject(new Error('the test TSA exited before listening')));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    chainFile,
    otherChainFile,
    stop: async () => {
      process.kill(server.pid!, 'SIGTERM');
      await server;
    },
  };
}
