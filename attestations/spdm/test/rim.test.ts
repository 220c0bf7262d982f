// Reference integrity manifests checked offline on NVIDIA's public sample
// (fixtures/NOTICE): its XML-DSig signature (Canonical XML 1.1 written here)
// verifies to the pinned CoRIM root inside its certificates' validity window,
// and any change, a foreign root, or a time outside the window does not.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NVIDIA_RIM_ROOT_SHA256, verifyRim } from '../rim.js';
import { fingerprintOf, NVIDIA_DEVICE_IDENTITY_ROOT_SHA256 } from '../verify-evidence.js';
import { canonicalize, parseXml, XmlError } from '../xml-c14n.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const xml = readFileSync(path.join(fixtures, 'nvtrust-g520_0200_885_9600740001_PROD.swidtag'), 'utf8');
/** Inside every certificate's window (the signer's runs 2023-08-25 to 2025-08-24). */
const IN_WINDOW = new Date('2024-06-01T00:00:00Z');

describe('RIM sample', () => {
  it('verifies against the pinned NVIDIA CoRIM root inside its validity window, and lists its golden measurements', () => {
    const check = verifyRim(xml, { at: IN_WINDOW });
    expect(check.problems).toEqual([]);
    expect(check.valid).toBe(true);
    expect(check).toMatchObject({ product: 'GH100', colloquialVersion: '96.00.74.00.01' });
    expect(check.measurements).toHaveLength(64);
    expect(check.measurements.find((m) => m.index === 3)).toEqual({
      index: 3,
      active: true,
      alternatives: ['73bbf35822549e28ba8fb2671fb7b58f46424a0069205b3ecf1d0fa762adef90b538cc9d692eb5c050147f2f1e8214ab'],
    });
    expect(fingerprintOf(new X509Certificate(readFileSync(path.join(fixtures, 'nvtrust-verifier_RIM_root.pem'))))).toBe(NVIDIA_RIM_ROOT_SHA256);
  });

  it('is refused after its signing certificate expired (2025-08-24)', () => {
    const check = verifyRim(xml, { at: new Date('2026-01-01T00:00:00Z') });
    expect(check.valid).toBe(false);
    expect(check.problems.join('; ')).toMatch(/HCC RIM L4 Signer\) is not valid at 2026-01-01/);
  });

  it('a changed golden measurement breaks the signed digest', () => {
    const changed = xml.replace('ns2:Hash0="73bbf358', 'ns2:Hash0="73bbf359');
    expect(changed).not.toBe(xml);
    const check = verifyRim(changed, { at: IN_WINDOW });
    expect(check.problems).toContain('the manifest does not match its signed digest: it was changed after signing');
  });

  it('a changed signature value, or a foreign root, is refused', () => {
    const value = /<ds:SignatureValue>([^<]+)</.exec(xml)![1]!;
    const other = value.startsWith('A') ? `B${value.slice(1)}` : `A${value.slice(1)}`;
    expect(verifyRim(xml.replace(value, other), { at: IN_WINDOW }).problems).toContain("the manifest's signature does not verify with its signing certificate");
    const foreign = verifyRim(xml, { at: IN_WINDOW, pinnedRoots: [{ sha256: NVIDIA_DEVICE_IDENTITY_ROOT_SHA256 }] });
    expect(foreign.problems.join('; ')).toMatch(/does not end at a pinned root/);
  });

  it('whitespace the signature covers matters; an XML declaration in front does not', () => {
    expect(verifyRim(xml.replace('<ns0:Payload', '<ns0:Payload '), { at: IN_WINDOW }).valid).toBe(true);
    expect(verifyRim(xml.replace('\n    <ns0:Payload', '\n     <ns0:Payload'), { at: IN_WINDOW }).valid).toBe(false);
    expect(verifyRim(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, { at: IN_WINDOW }).valid).toBe(true);
  });

  it('refuses XML it does not parse exactly: DTDs, comments, unknown entities, unclosed elements', () => {
    for (const bad of ['<!DOCTYPE x><x/>', '<x><!-- c --></x>', '<x a="&foo;"/>', '<x><y></x>', '<x a="1" a="2"/>']) expect(() => parseXml(bad), bad).toThrow(XmlError);
    expect(verifyRim('<x><y></x>').valid).toBe(false);
  });
});

describe('Canonical XML 1.1', () => {
  it('sorts namespaces and attributes, expands empty elements, escapes, and renders inherited namespaces on a subset apex', () => {
    const doc = parseXml('<r xmlns="urn:d" xmlns:b="urn:b" xmlns:a="urn:a" z="1" b:y="2" a:x="3"><a:e q="&lt;&amp;&quot;"/>t&amp;&gt;</r>');
    expect(canonicalize(doc, doc)).toBe('<r xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" z="1" a:x="3" b:y="2"><a:e q="&lt;&amp;&quot;"></a:e>t&amp;&gt;</r>');
    const child = doc.children[0] as ReturnType<typeof parseXml>;
    expect(canonicalize(doc, child)).toBe('<a:e xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" q="&lt;&amp;&quot;"></a:e>');
  });
});
