// Test-only: a synthetic "GPU" with its own P-384 certificate chain (built
// here with a small DER writer and Node's crypto) and SPDM reports signed by
// its leaf over any nonce. Real evidence cannot be made for a nonce of our
// choosing, so the run → verify path is tested with this device pinned as
// its own root; NVIDIA's public samples test the verifier on real evidence.
import { createHash, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { fingerprintOf, type PinnedRoot } from '../verify-evidence.js';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
function oid(text: string): Buffer {
  const [a, b, ...rest] = text.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const groups: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      groups.unshift(v % 128);
      if (v < 128) break;
    }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(out));
}
const integer = (bytes: Buffer) => tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const name = (cn: string) => seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
const time = (d: Date) => tlv(0x18, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'));
const ECDSA_SHA384 = seq(oid('1.2.840.10045.4.3.3'));

export interface SyntheticCert {
  certificate: X509Certificate;
  privateKey: KeyObject;
}

function issue(subject: string, issuer: { name: string; key: KeyObject } | null, serial: Buffer, extensions: Buffer[], validity: [Date, Date]): SyntheticCert {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA384,
    name(issuer ? issuer.name : subject),
    seq(time(validity[0]), time(validity[1])),
    name(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha384', tbs, issuer ? issuer.key : privateKey);
  const der = seq(tbs, ECDSA_SHA384, tlv(0x03, Buffer.from([0]), signature));
  return { certificate: new X509Certificate(der), privateKey };
}

const caExtension = seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff])))));
/** NVIDIA's form of the DICE extension: SEQUENCE { version, SubjectPublicKeyInfo, FWID }. */
const diceExtension = (fwid: Buffer) =>
  seq(oid('2.23.133.5.4.1'), tlv(0x04, seq(integer(Buffer.from([1])), seq(seq(oid('1.2.840.10045.2.1'), oid('1.3.132.0.34'))), seq(oid('2.16.840.1.101.3.4.2.2'), tlv(0x04, fwid)))));

export interface SyntheticDevice {
  chainPem: string;
  pinnedRoots: PinnedRoot[];
  pdi: string;
  /** Leaf first, with their private keys (to make OCSP responses for them in tests). */
  certificates: SyntheticCert[];
  /** An SPDM 1.1 GET_MEASUREMENTS request ‖ signed MEASUREMENTS response over this nonce. */
  report(nonce: Buffer, opaque?: { vbios?: Buffer; fwid?: Buffer; measurements?: Buffer[] }): Buffer;
}

const VALIDITY: [Date, Date] = [new Date('2020-01-01T00:00:00Z'), new Date('9999-12-31T23:59:59Z')];

export function syntheticDevice(label = 'Test'): SyntheticDevice {
  const fwid = createHash('sha384').update(`${label} firmware`).digest();
  const pdiBytes = createHash('sha256').update(label).digest().subarray(0, 8);
  const root = issue(`${label} Device Identity CA`, null, Buffer.from([1]), [caExtension], VALIDITY);
  const device = issue(`${label} GPU BROM`, { name: `${label} Device Identity CA`, key: root.privateKey }, Buffer.concat([Buffer.from([0x41]), pdiBytes]), [caExtension], VALIDITY);
  const leaf = issue(`${label} GPU FMC LF`, { name: `${label} GPU BROM`, key: device.privateKey }, Buffer.from([0x11, 0x22]), [diceExtension(fwid)], VALIDITY);
  const chainPem = [leaf, device, root].map((c) => c.certificate.toString()).join('');
  return {
    chainPem,
    pinnedRoots: [{ sha256: fingerprintOf(root.certificate) }],
    pdi: `0x${pdiBytes.toString('hex')}`,
    certificates: [leaf, device, root],
    report(nonce, opaque = {}) {
      const request = Buffer.concat([Buffer.from([0x11, 0xe0, 0x01, 0xff]), nonce, Buffer.from([0])]);
      const values = opaque.measurements ?? Array.from({ length: 4 }, (_, i) => createHash('sha384').update(`m${i}`).digest());
      const blocks = Buffer.concat(values.map((value, i) => Buffer.concat([Buffer.from([i + 1, 0x01, 51, 0, 0x01, 48, 0]), value])));
      const field = (type: number, value: Buffer) => Buffer.concat([Buffer.from([type & 0xff, type >> 8, value.length & 0xff, value.length >> 8]), value]);
      const opaqueData = Buffer.concat([
        field(6, opaque.vbios ?? Buffer.from([0x00, 0x9f, 0x00, 0x96, 0x01, 0, 0, 0])),
        field(3, Buffer.from('590.48.01\0', 'latin1')),
        field(15, Buffer.from('895\0', 'latin1')),
        field(17, Buffer.from('G520\0', 'latin1')),
        field(20, opaque.fwid ?? fwid),
      ]);
      const header = Buffer.from([0x11, 0x60, 0, 0, values.length, blocks.length & 0xff, (blocks.length >> 8) & 0xff, blocks.length >> 16]);
      const responderNonce = createHash('sha256').update('responder').update(nonce).digest();
      const opaqueLength = Buffer.from([opaqueData.length & 0xff, opaqueData.length >> 8]);
      const signed = Buffer.concat([request, header, blocks, responderNonce, opaqueLength, opaqueData]);
      return Buffer.concat([signed, sign('sha384', signed, { key: leaf.privateKey, dsaEncoding: 'ieee-p1363' })]);
    },
  };
}
