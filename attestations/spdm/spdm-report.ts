// The SPDM 1.1 (DMTF DSP0274) GET_MEASUREMENTS request and MEASUREMENTS
// response that NVML's nvmlDeviceGetConfComputeGpuAttestationReport returns
// for a Hopper GPU in CC or PPCIe mode: request ‖ response, the response
// signed (ECDSA P-384, raw r‖s) over request ‖ response-without-signature.
// Opaque data is NVIDIA's TLV list (type u16 LE, length u16 LE, value); field
// ids as in NVIDIA/nvtrust local_gpu_verifier attestation/spdm_msrt_resp_msg.py.
// Pure: bytes in, a parsed record or a SpdmFormatError out.

export class SpdmFormatError extends Error {
  override readonly name = 'SpdmFormatError';
}

/** DSP0274 1.1 codes. */
const SPDM_VERSION_1_1 = 0x11;
const GET_MEASUREMENTS = 0xe0;
const MEASUREMENTS = 0x60;
/** Param1 bit 0 of GET_MEASUREMENTS: a signature is requested. */
const SIGNATURE_REQUESTED = 0x01;
/** Param2 0xFF: every measurement block. */
const ALL_MEASUREMENTS = 0xff;
export const SPDM_NONCE_BYTES = 32;
/** Version, code, param1, param2, nonce, slot id. */
export const REQUEST_BYTES = 4 + SPDM_NONCE_BYTES + 1;
/** Version, code, param1, param2, block count, 3-byte record length. */
const RESPONSE_HEADER_BYTES = 8;
/** ECDSA P-384: r and s of 48 bytes each. */
export const P384_SIGNATURE_BYTES = 96;
/** MeasurementSpecification bit 0: DMTF. */
const DMTF_MEASUREMENT_SPECIFICATION = 0x01;
/** Index, specification, size (u16). */
const BLOCK_HEADER_BYTES = 4;
/** DMTF measurement: value type, value size (u16). */
const DMTF_HEADER_BYTES = 3;
/** SHA-384. */
export const MEASUREMENT_DIGEST_BYTES = 48;

/** NVIDIA opaque field ids (nvtrust spdm_msrt_resp_msg.py OPAQUE_DATA_TYPES). */
export const OPAQUE_FIELD = {
  DRIVER_VERSION: 3,
  GPU_INFO: 4,
  VBIOS_VERSION: 6,
  MSRSCNT: 12,
  BOARD_ID: 14,
  CHIP_SKU: 15,
  CHIP_SKU_MOD: 16,
  PROJECT: 17,
  PROJECT_SKU: 18,
  PROJECT_SKU_MOD: 19,
  FWID: 20,
  PROTECTED_PCIE_STATUS: 21,
  SWITCH_PDI: 22,
} as const;

export interface MeasurementBlock {
  index: number;
  valueType: number;
  value: Buffer;
}

export interface SpdmReport {
  request: { nonce: Buffer; slot: number };
  response: {
    blocks: MeasurementBlock[];
    responderNonce: Buffer;
    /** Opaque TLVs in order; a type may repeat. */
    opaque: { type: number; value: Buffer }[];
  };
  /** request ‖ response up to the signature: what the signature covers. */
  signedBytes: Buffer;
  signature: Buffer;
}

function need(bytes: Buffer, offset: number, count: number, what: string): void {
  if (offset + count > bytes.length) throw new SpdmFormatError(`SPDM report: truncated in ${what} (needs ${offset + count} bytes, has ${bytes.length})`);
}

export function parseSpdmReport(bytes: Buffer): SpdmReport {
  need(bytes, 0, REQUEST_BYTES, 'the GET_MEASUREMENTS request');
  const [version, code, param1, param2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (version !== SPDM_VERSION_1_1 || code !== GET_MEASUREMENTS) {
    throw new SpdmFormatError(`SPDM report: the request is not an SPDM 1.1 GET_MEASUREMENTS (starts ${bytes.subarray(0, 2).toString('hex')})`);
  }
  if (!(param1 & SIGNATURE_REQUESTED)) throw new SpdmFormatError('SPDM report: the request asks for no signature');
  if (param2 !== ALL_MEASUREMENTS) throw new SpdmFormatError(`SPDM report: the request asks for measurement ${param2}, not all (0xff)`);
  const request = { nonce: Buffer.from(bytes.subarray(4, 4 + SPDM_NONCE_BYTES)), slot: bytes[4 + SPDM_NONCE_BYTES]! };

  const r = REQUEST_BYTES;
  need(bytes, r, RESPONSE_HEADER_BYTES, 'the MEASUREMENTS header');
  if (bytes[r] !== SPDM_VERSION_1_1 || bytes[r + 1] !== MEASUREMENTS) {
    throw new SpdmFormatError(`SPDM report: the response is not an SPDM 1.1 MEASUREMENTS (starts ${bytes.subarray(r, r + 2).toString('hex')})`);
  }
  const blockCount = bytes[r + 4]!;
  const recordLength = bytes.readUIntLE(r + 5, 3);
  let offset = r + RESPONSE_HEADER_BYTES;
  need(bytes, offset, recordLength, 'the measurement record');
  const recordEnd = offset + recordLength;
  const blocks: MeasurementBlock[] = [];
  while (offset < recordEnd) {
    if (offset + BLOCK_HEADER_BYTES > recordEnd) throw new SpdmFormatError('SPDM report: a measurement block header crosses the record end');
    const index = bytes[offset]!;
    const specification = bytes[offset + 1]!;
    const size = bytes.readUInt16LE(offset + 2);
    offset += BLOCK_HEADER_BYTES;
    if (offset + size > recordEnd) throw new SpdmFormatError(`SPDM report: measurement block ${index} crosses the record end`);
    if (specification !== DMTF_MEASUREMENT_SPECIFICATION) throw new SpdmFormatError(`SPDM report: measurement block ${index} is not in DMTF form`);
    if (size < DMTF_HEADER_BYTES) throw new SpdmFormatError(`SPDM report: measurement block ${index} is too short`);
    const valueType = bytes[offset]!;
    const valueSize = bytes.readUInt16LE(offset + 1);
    if (valueSize !== size - DMTF_HEADER_BYTES) throw new SpdmFormatError(`SPDM report: measurement block ${index} has inconsistent sizes`);
    blocks.push({ index, valueType, value: Buffer.from(bytes.subarray(offset + DMTF_HEADER_BYTES, offset + size)) });
    offset += size;
  }
  if (blocks.length !== blockCount) throw new SpdmFormatError(`SPDM report: ${blocks.length} measurement blocks, the header says ${blockCount}`);
  if (new Set(blocks.map((b) => b.index)).size !== blocks.length) throw new SpdmFormatError('SPDM report: a measurement index repeats');

  need(bytes, offset, SPDM_NONCE_BYTES + 2, 'the responder nonce and opaque length');
  const responderNonce = Buffer.from(bytes.subarray(offset, offset + SPDM_NONCE_BYTES));
  offset += SPDM_NONCE_BYTES;
  const opaqueLength = bytes.readUInt16LE(offset);
  offset += 2;
  need(bytes, offset, opaqueLength, 'the opaque data');
  const opaque: { type: number; value: Buffer }[] = [];
  const opaqueEnd = offset + opaqueLength;
  for (let o = offset; o < opaqueEnd; ) {
    if (o + 4 > opaqueEnd) throw new SpdmFormatError('SPDM report: an opaque field header crosses the opaque data end');
    const type = bytes.readUInt16LE(o);
    const length = bytes.readUInt16LE(o + 2);
    if (o + 4 + length > opaqueEnd) throw new SpdmFormatError(`SPDM report: opaque field ${type} crosses the opaque data end`);
    opaque.push({ type, value: Buffer.from(bytes.subarray(o + 4, o + 4 + length)) });
    o += 4 + length;
  }
  offset = opaqueEnd;
  if (bytes.length !== offset + P384_SIGNATURE_BYTES) {
    throw new SpdmFormatError(
      `SPDM report: ${bytes.length - offset} bytes after the opaque data, expected a ${P384_SIGNATURE_BYTES}-byte P-384 signature and nothing else`,
    );
  }
  return {
    request,
    response: { blocks, responderNonce, opaque },
    signedBytes: Buffer.from(bytes.subarray(0, offset)),
    signature: Buffer.from(bytes.subarray(offset)),
  };
}

function opaqueValue(report: SpdmReport, type: number): Buffer | undefined {
  return report.response.opaque.find((f) => f.type === type)?.value;
}

/** ASCII up to the first NUL. */
function asciiField(value: Buffer | undefined): string | undefined {
  if (!value) return undefined;
  const end = value.indexOf(0);
  const text = value.subarray(0, end === -1 ? value.length : end).toString('latin1');
  return /^[\x20-\x7e]*$/.test(text) ? text : undefined;
}

/**
 * VBIOS version as nvidia-smi prints it ("96.00.9F.00.01" → lower case here):
 * the first four bytes are a little-endian u32 printed as four hex octets, the
 * fifth byte is the OEM part. [V] on both public samples (96.00.9f.00.01 and
 * 96.00.a5.00.01, matching the RIM's colloquialVersion style).
 */
function vbiosField(value: Buffer | undefined): string | undefined {
  if (!value || value.length < 5) return undefined;
  const main = value.readUInt32LE(0).toString(16).padStart(8, '0');
  return `${main.slice(0, 2)}.${main.slice(2, 4)}.${main.slice(4, 6)}.${main.slice(6, 8)}.${value[4]!.toString(16).padStart(2, '0')}`;
}

/** The signed opaque facts, in the names identity facts use. */
export interface OpaqueFacts {
  vbiosVersion?: string;
  driverVersion?: string;
  chipSku?: string;
  chipSkuMod?: string;
  project?: string;
  projectSku?: string;
  boardId?: string;
  fwid?: string;
  protectedPcieStatus?: string;
}

/**
 * 0xAA in the PPCIe sample (attestation-sdk evidence_hopper_590_12, PPCIe on)
 * and 0x55 in the CC sample (nvtrust hopperAttestationReport): [I] read as on/off.
 */
const PROTECTED_PCIE_ON = 0xaa;
const PROTECTED_PCIE_OFF = 0x55;

export function opaqueFacts(report: SpdmReport): OpaqueFacts {
  const facts: OpaqueFacts = {};
  const set = (key: keyof OpaqueFacts, value: string | undefined) => {
    if (value !== undefined && value !== '') facts[key] = value;
  };
  set('vbiosVersion', vbiosField(opaqueValue(report, OPAQUE_FIELD.VBIOS_VERSION)));
  set('driverVersion', asciiField(opaqueValue(report, OPAQUE_FIELD.DRIVER_VERSION)));
  set('chipSku', asciiField(opaqueValue(report, OPAQUE_FIELD.CHIP_SKU)));
  set('chipSkuMod', asciiField(opaqueValue(report, OPAQUE_FIELD.CHIP_SKU_MOD)));
  set('project', asciiField(opaqueValue(report, OPAQUE_FIELD.PROJECT)));
  set('projectSku', asciiField(opaqueValue(report, OPAQUE_FIELD.PROJECT_SKU)));
  const board = opaqueValue(report, OPAQUE_FIELD.BOARD_ID);
  if (board && board.length === 4) set('boardId', `0x${board.readUInt32LE(0).toString(16)}`);
  const fwid = opaqueValue(report, OPAQUE_FIELD.FWID);
  if (fwid) set('fwid', fwid.toString('hex'));
  const ppcie = opaqueValue(report, OPAQUE_FIELD.PROTECTED_PCIE_STATUS);
  if (ppcie && ppcie.length === 1) {
    set('protectedPcieStatus', ppcie[0] === PROTECTED_PCIE_ON ? 'on' : ppcie[0] === PROTECTED_PCIE_OFF ? 'off' : `0x${ppcie[0]!.toString(16)}`);
  }
  return facts;
}
