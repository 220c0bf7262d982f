// A minimal DER reader: enough to walk X.509 extensions (the TCG DICE TcbInfo
// that carries the FWID) and OCSP responses. Node's crypto verifies
// certificates but exposes no arbitrary extension; this reads, never builds.

export class DerError extends Error {
  override readonly name = 'DerError';
}

export interface DerNode {
  /** The whole identifier octet: class, constructed bit and tag number (tags above 30 are refused). */
  tag: number;
  /** The content octets. */
  content: Buffer;
  /** The encoding of this node, header included (what a signature covers). */
  encoded: Buffer;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  GENERALIZED_TIME: 0x18,
} as const;

const CONSTRUCTED = 0x20;
/** Lengths beyond four octets would be over 4 GiB: no certificate or report is. */
const MAX_LENGTH_OCTETS = 4;

/** The node at `offset` of `bytes`. */
export function readNode(bytes: Buffer, offset = 0): DerNode {
  if (offset + 2 > bytes.length) throw new DerError('DER: truncated header');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('DER: multi-octet tags are not supported');
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > MAX_LENGTH_OCTETS) throw new DerError('DER: indefinite or oversized length');
    if (offset + 2 + octets > bytes.length) throw new DerError('DER: truncated length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += octets;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError('DER: content runs past the end');
  return { tag, content: bytes.subarray(offset + header, end), encoded: bytes.subarray(offset, end) };
}

/** Reads one node that must fill `bytes` exactly. */
export function readWhole(bytes: Buffer): DerNode {
  const node = readNode(bytes);
  if (node.encoded.length !== bytes.length) throw new DerError('DER: trailing bytes after the value');
  return node;
}

/** The children of a constructed node. */
export function children(node: DerNode): DerNode[] {
  if (!(node.tag & CONSTRUCTED)) throw new DerError(`DER: tag 0x${node.tag.toString(16)} is not constructed`);
  const out: DerNode[] = [];
  for (let offset = 0; offset < node.content.length; ) {
    const child = readNode(node.content, offset);
    out.push(child);
    offset += child.encoded.length;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's content. */
export function oidText(node: DerNode): string {
  if (node.tag !== TAG.OID || node.content.length === 0) throw new DerError('DER: not an OBJECT IDENTIFIER');
  const parts: number[] = [];
  let value = 0;
  for (const byte of node.content) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

/** A node's children, requiring the given tag first. */
export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || node.tag !== tag) throw new DerError(`DER: ${what} is missing or has the wrong type`);
  return node;
}

/** The extensions of a DER certificate: OID → extnValue content (the inner DER). */
export function certificateExtensions(certificateDer: Buffer): Map<string, Buffer> {
  const [tbs] = children(readWhole(certificateDer));
  const extensions = new Map<string, Buffer>();
  // Extensions are the [3] EXPLICIT member of TBSCertificate.
  const wrapper = children(expectTag(tbs, TAG.SEQUENCE, 'tbsCertificate')).find((n) => n.tag === 0xa3);
  if (!wrapper) return extensions;
  for (const extension of children(expectTag(children(wrapper)[0], TAG.SEQUENCE, 'extensions'))) {
    const parts = children(extension);
    const oid = oidText(expectTag(parts[0], TAG.OID, 'extnID'));
    const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue');
    extensions.set(oid, value.content);
  }
  return extensions;
}

/** The signatureAlgorithm OID of a DER certificate (or any SEQUENCE { tbs, algorithm, signature }). */
export function signatureAlgorithmOid(signedDer: Buffer): string {
  const parts = children(readWhole(signedDer));
  return oidText(expectTag(children(expectTag(parts[1], TAG.SEQUENCE, 'signatureAlgorithm'))[0], TAG.OID, 'algorithm'));
}
