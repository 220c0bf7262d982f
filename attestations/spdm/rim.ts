// Offline check of a reference integrity manifest (RIM): NVIDIA's TCG SWID
// tags carry an enveloped XML-DSig signature (Canonical XML 1.1, ECDSA P-384
// with SHA-384) and their signing chain in KeyInfo, up to the NVIDIA CoRIM
// signing Root CA. Checked here with a pinned root, at a given time (the
// run's, since RIM signing certificates expire), and read for the golden
// measurements it lists. Node's crypto only; nothing is fetched.
import { createHash, verify, X509Certificate } from 'node:crypto';
import { chainProblems, type PinnedRoot } from './verify-evidence.js';
import { canonicalize, childElements, parseXml, textOf, XmlError, type XmlElement } from './xml-c14n.js';

/** NVIDIA CoRIM signing Root CA: nvtrust certs/verifier_RIM_root.pem (shared reference spdm-samples). */
export const NVIDIA_RIM_ROOT_SHA256 = '12977b5115acb0381179279fffeb5a8c4d264971ebb32298023a465fa41df5d1';
export const DEFAULT_RIM_ROOTS: readonly PinnedRoot[] = [{ sha256: NVIDIA_RIM_ROOT_SHA256 }];

const C14N_11 = 'http://www.w3.org/2006/12/xml-c14n11';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const ECDSA_SHA384 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384';
const SHA384 = 'http://www.w3.org/2001/04/xmldsig-more#sha384';
const DSIG_NAMESPACE = 'http://www.w3.org/2000/09/xmldsig#';

export interface RimMeasurement {
  index: number;
  active: boolean;
  /** Acceptable SHA-384 values, hex (Hash0, Hash1, ... for the alternatives). */
  alternatives: string[];
}

export interface RimCheck {
  valid: boolean;
  problems: string[];
  tagId: string;
  product: string;
  /** The firmware version the manifest describes ("96.00.74.00.01"). */
  colloquialVersion: string;
  measurements: RimMeasurement[];
}

function attribute(element: XmlElement | undefined, name: string): string {
  return element?.attributes.find((a) => a.name === name || a.name.endsWith(`:${name}`))?.value ?? '';
}

function only(parent: XmlElement | undefined, name: string, problems: string[]): XmlElement | undefined {
  const found = parent ? childElements(parent, name) : [];
  if (found.length !== 1) {
    problems.push(`the signature has ${found.length} ${name} elements, not one`);
    return undefined;
  }
  return found[0];
}

function measurementsOf(root: XmlElement): RimMeasurement[] {
  const payload = childElements(root, 'Payload')[0];
  return (payload ? childElements(payload, 'Resource') : [])
    .filter((r) => attribute(r, 'type') === 'Measurement')
    .map((r) => ({
      index: Number(attribute(r, 'index')),
      active: attribute(r, 'active') === 'True',
      alternatives: r.attributes.filter((a) => /(^|:)Hash\d+$/.test(a.name)).map((a) => a.value.toLowerCase()),
    }));
}

export function verifyRim(xml: string, options: { pinnedRoots?: readonly PinnedRoot[]; at?: Date } = {}): RimCheck {
  const problems: string[] = [];
  const empty: RimCheck = { valid: false, problems, tagId: '', product: '', colloquialVersion: '', measurements: [] };
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (!(error instanceof XmlError)) throw error;
    problems.push(error.message);
    return empty;
  }
  const meta = childElements(root, 'Meta')[0];
  const result: RimCheck = { ...empty, tagId: attribute(root, 'tagId'), product: attribute(meta, 'product'), colloquialVersion: attribute(meta, 'colloquialVersion'), measurements: measurementsOf(root) };
  const signatures = childElements(root, 'Signature');
  if (signatures.length !== 1) {
    problems.push(`the manifest has ${signatures.length} Signature elements, not one`);
    return result;
  }
  const signature = signatures[0]!;
  if (attribute(signature, 'ds') !== DSIG_NAMESPACE && attribute(signature, 'xmlns') !== DSIG_NAMESPACE) problems.push('the Signature is not in the XML-DSig namespace');
  const signedInfo = only(signature, 'SignedInfo', problems);
  const reference = only(signedInfo, 'Reference', problems);
  const algorithm = (parent: XmlElement | undefined, name: string) => attribute(parent ? childElements(parent, name)[0] : undefined, 'Algorithm');
  if (algorithm(signedInfo, 'CanonicalizationMethod') !== C14N_11) problems.push(`canonicalization ${algorithm(signedInfo, 'CanonicalizationMethod') || '(none)'} is not Canonical XML 1.1`);
  if (algorithm(signedInfo, 'SignatureMethod') !== ECDSA_SHA384) problems.push(`signature method ${algorithm(signedInfo, 'SignatureMethod') || '(none)'} is not ECDSA-SHA384`);
  if (attribute(reference, 'URI') !== '') problems.push('the signed reference is not the whole document (URI="")');
  const transforms = reference ? childElements(childElements(reference, 'Transforms')[0] ?? reference, 'Transform').map((t) => attribute(t, 'Algorithm')) : [];
  if (transforms.join(' ') !== `${ENVELOPED} ${C14N_11}`) problems.push(`transforms ${transforms.join(', ') || '(none)'} are not enveloped-signature then Canonical XML 1.1`);
  if (algorithm(reference, 'DigestMethod') !== SHA384) problems.push(`digest method ${algorithm(reference, 'DigestMethod') || '(none)'} is not SHA-384`);
  if (problems.length) return result;

  const digest = createHash('sha384').update(canonicalize(root, root, signature), 'utf8').digest('base64');
  const recorded = textOf(childElements(reference!, 'DigestValue')[0] ?? reference!).replace(/\s+/g, '');
  if (digest !== recorded) problems.push('the manifest does not match its signed digest: it was changed after signing');
  const certificates: X509Certificate[] = [];
  const keyInfo = childElements(signature, 'KeyInfo')[0];
  for (const data of keyInfo ? childElements(keyInfo, 'X509Data') : []) {
    for (const c of childElements(data, 'X509Certificate')) {
      try {
        certificates.push(new X509Certificate(Buffer.from(textOf(c).replace(/\s+/g, ''), 'base64')));
      } catch {
        problems.push('a KeyInfo certificate is not a valid X.509 certificate');
      }
    }
  }
  if (certificates.length < 2) {
    problems.push(`KeyInfo holds ${certificates.length} certificate(s): the signer and its issuers are needed`);
    return result;
  }
  problems.push(...chainProblems(certificates, options.pinnedRoots ?? DEFAULT_RIM_ROOTS, options.at ?? new Date()).problems);
  const signatureValue = Buffer.from(textOf(childElements(signature, 'SignatureValue')[0] ?? signature).replace(/\s+/g, ''), 'base64');
  const signedBytes = Buffer.from(canonicalize(root, signedInfo!), 'utf8');
  if (!verify('sha384', signedBytes, { key: certificates[0]!.publicKey, dsaEncoding: 'ieee-p1363' }, signatureValue)) {
    problems.push("the manifest's signature does not verify with its signing certificate");
  }
  result.valid = problems.length === 0;
  return result;
}

/** Does this manifest describe the firmware or driver the report names? (VBIOS RIMs carry the VBIOS version, driver RIMs the driver's.) */
export function rimApplies(rim: RimCheck, facts: { vbiosVersion?: string; driverVersion?: string }): boolean {
  const version = rim.colloquialVersion.toLowerCase();
  return version !== '' && (version === facts.vbiosVersion?.toLowerCase() || version === facts.driverVersion?.toLowerCase());
}

/**
 * Golden values against the report: every active measurement of the manifest
 * must equal one of its alternatives. RIM index i is SPDM measurement block i + 1
 * (nvtrust's measurement list is indexed by block index − 1).
 */
export function rimMeasurementProblems(rim: RimCheck, blocks: readonly { index: number; value: Buffer }[]): string[] {
  const problems: string[] = [];
  for (const m of rim.measurements) {
    if (!m.active) continue;
    const block = blocks.find((b) => b.index === m.index + 1);
    if (!block) problems.push(`RIM ${rim.colloquialVersion}: measurement ${m.index} is not in the report`);
    else if (!m.alternatives.includes(block.value.toString('hex'))) problems.push(`RIM ${rim.colloquialVersion}: measurement ${m.index} is not one of its golden values`);
  }
  return problems;
}
