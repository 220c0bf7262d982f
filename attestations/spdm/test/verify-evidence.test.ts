// The offline SPDM verifier on NVIDIA's two public Hopper evidence sets
// (fixtures/NOTICE): both verify against the pinned NVIDIA root; a wrong
// nonce, a swapped chain, any flipped byte and a foreign root do not.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSpdmReport, SpdmFormatError } from '../spdm-report.js';
import {
  decodeReportText,
  fingerprintOf,
  NVIDIA_DEVICE_IDENTITY_ROOT_SHA256,
  parsePemChain,
  verifyEvidence,
} from '../verify-evidence.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const read = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');

const SAMPLES = {
  nvtrust: {
    report: decodeReportText(read('nvtrust-hopperAttestationReport.txt')),
    chain: parsePemChain(read('nvtrust-hopperCertChain.txt')),
    nonce: '931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb',
    facts: { pdi: '0x431d480fe5e87274', chipSku: '882', vbiosVersion: '96.00.9f.00.01', driverVersion: '550.90.07', protectedPcieStatus: 'off' },
  },
  sdk: {
    report: decodeReportText(read('attestation-sdk-evidence_hopper_590_12.report.hex')),
    chain: parsePemChain(read('attestation-sdk-evidence_hopper_590_12.chain.pem')),
    nonce: 'e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576',
    facts: { pdi: '0x2e7aa130caa058dd', chipSku: '885', project: 'G520', vbiosVersion: '96.00.a5.00.01', driverVersion: '590.12', protectedPcieStatus: 'on' },
  },
};

describe('SPDM evidence samples', () => {
  for (const [name, sample] of Object.entries(SAMPLES)) {
    it(`${name}: verifies against the pinned NVIDIA root, with its nonce, and yields the signed facts`, () => {
      const check = verifyEvidence({ report: sample.report, chain: sample.chain, expectedNonce: Buffer.from(sample.nonce, 'hex') });
      expect(check.problems).toEqual([]);
      expect(check.valid).toBe(true);
      expect(check.root).toBe(NVIDIA_DEVICE_IDENTITY_ROOT_SHA256);
      expect(check.requestNonce).toBe(sample.nonce);
      expect(check.measurementCount).toBe(64);
      expect(check.facts).toMatchObject(sample.facts);
      expect(check.facts.fwid).toMatch(/^[0-9a-f]{96}$/);
    });
  }

  it('the attestation-sdk base64 form decodes to the same bytes as the hex fixture', () => {
    const json = JSON.parse(read('attestation-sdk-evidence_hopper_590_12.json')) as { evidence: string; certificate: string }[];
    expect(decodeReportText(json[0]!.evidence).equals(SAMPLES.sdk.report)).toBe(true);
    expect(Buffer.from(json[0]!.certificate, 'base64').toString('utf8')).toBe(read('attestation-sdk-evidence_hopper_590_12.chain.pem'));
  });

  it('the pinned fingerprint is that of the root NVIDIA publishes', () => {
    expect(fingerprintOf(new X509Certificate(read('nvtrust-verifier_device_root.pem')))).toBe(NVIDIA_DEVICE_IDENTITY_ROOT_SHA256);
  });
});

describe('evidence that must not verify', () => {
  const { report, chain, nonce } = SAMPLES.nvtrust;

  it('a wrong nonce', () => {
    const wrong = Buffer.from(nonce, 'hex');
    wrong[0] ^= 1;
    const check = verifyEvidence({ report, chain, expectedNonce: wrong });
    expect(check.valid).toBe(false);
    expect(check.problems.join('; ')).toMatch(/request nonce .* is not the expected/);
    expect(check.facts).toEqual({});
  });

  it("a swapped chain: the other sample's chain, or this chain out of order", () => {
    const other = verifyEvidence({ report, chain: SAMPLES.sdk.chain });
    expect(other.valid).toBe(false);
    expect(other.problems.join('; ')).toMatch(/signature does not verify/);
    expect(other.problems.join('; ')).toMatch(/FWID/);
    const reordered = verifyEvidence({ report, chain: [chain[1]!, chain[0]!, ...chain.slice(2)] });
    expect(reordered.valid).toBe(false);
    expect(reordered.problems.join('; ')).toMatch(/is not signed by certificate/);
  });

  it('a device certificate from another GPU spliced into the chain', () => {
    const spliced = [chain[0]!, SAMPLES.sdk.chain[1]!, ...chain.slice(2)];
    const check = verifyEvidence({ report, chain: spliced });
    expect(check.valid).toBe(false);
    expect(check.problems.join('; ')).toMatch(/certificate 1 .* is not signed by certificate 2/);
  });

  it('one flipped bit in every part of the report (headers, nonce, each measurement, opaque data, signature)', () => {
    const accepted: number[] = [];
    // Every byte of the request, response header, tail (nonce, opaque data, signature); every 8th byte of the measurements.
    const tail = report.length - 700;
    const offsets = [...Array(report.length).keys()].filter((i) => i < 45 || i >= tail || i % 8 === 0);
    for (const i of offsets) {
      const changed = Buffer.from(report);
      changed[i] ^= 0x01;
      if (verifyEvidence({ report: changed, chain, expectedNonce: Buffer.from(nonce, 'hex') }).valid) accepted.push(i);
    }
    expect(accepted).toEqual([]);
  });

  it('one flipped bit in a certificate of the chain', () => {
    for (let c = 0; c < chain.length; c++) {
      const der = Buffer.from(chain[c]!.raw);
      // A bit inside the signed part (past the outer headers), where the certificate still parses.
      der[der.length - 120] ^= 0x01;
      let changed: X509Certificate;
      try {
        changed = new X509Certificate(der);
      } catch {
        continue; // no longer a certificate at all: refused before verification
      }
      const tampered = chain.map((cert, i) => (i === c ? changed : cert));
      expect(verifyEvidence({ report, chain: tampered }).valid, `certificate ${c + 1}`).toBe(false);
    }
  });

  it('a foreign root: a chain ending elsewhere, or another pinned root', () => {
    const rimRoot = new X509Certificate(read('nvtrust-verifier_RIM_root.pem'));
    const pinnedElsewhere = verifyEvidence({ report, chain, pinnedRoots: [{ sha256: fingerprintOf(rimRoot), certificate: rimRoot }] });
    expect(pinnedElsewhere.valid).toBe(false);
    expect(pinnedElsewhere.problems.join('; ')).toMatch(/does not end at a pinned root/);
    // The chain without its root, and nothing pinned that issued its last certificate.
    const truncated = verifyEvidence({ report, chain: chain.slice(0, -1) });
    expect(truncated.valid).toBe(false);
    expect(truncated.problems.join('; ')).toMatch(/does not end at a pinned root/);
    // ... and with the root given as a pinned certificate, it verifies again.
    const root = chain[chain.length - 1]!;
    expect(verifyEvidence({ report, chain: chain.slice(0, -1), pinnedRoots: [{ sha256: fingerprintOf(root), certificate: root }] }).valid).toBe(true);
  });

  it('certificates outside their validity window at the collection time', () => {
    const check = verifyEvidence({ report, chain, at: new Date('2019-01-01T00:00:00Z') });
    expect(check.valid).toBe(false);
    expect(check.problems.join('; ')).toMatch(/is not valid at 2019-01-01/);
  });

  it('a truncated or extended report is a format problem, never a pass', () => {
    expect(() => parseSpdmReport(report.subarray(0, report.length - 1))).toThrow(SpdmFormatError);
    expect(() => parseSpdmReport(Buffer.concat([report, Buffer.from([0])]))).toThrow(SpdmFormatError);
    expect(verifyEvidence({ report: report.subarray(0, 100), chain }).valid).toBe(false);
  });
});

describe('a synthetic device (the test-only chain the run → verify tests use)', () => {
  it('verifies against its own pinned root and not against NVIDIA', async () => {
    const { syntheticDevice } = await import('./synthetic-device.js');
    const device = syntheticDevice();
    const nonce = Buffer.alloc(32, 7);
    const chain = parsePemChain(device.chainPem);
    const check = verifyEvidence({ report: device.report(nonce), chain, expectedNonce: nonce, pinnedRoots: device.pinnedRoots });
    expect(check.problems).toEqual([]);
    expect(check.facts).toMatchObject({ pdi: device.pdi, vbiosVersion: '96.00.9f.00.01', chipSku: '895', driverVersion: '590.48.01' });
    expect(verifyEvidence({ report: device.report(nonce), chain }).valid).toBe(false);
  });
});
