// Parsers for nvidia-smi's query CSV and `-q -x` XML (formats: shared
// reference gpu-inventory.md). Pure: they take text and return values, each
// with the source it came from; running nvidia-smi lives in collect.ts.
import { XMLParser } from 'fast-xml-parser';

/** The --query-gpu fields tppverify reads, in order. */
export const NVIDIA_QUERY_FIELDS = [
  'index',
  'name',
  'serial',
  'uuid',
  'vbios_version',
  'inforom.img',
  'pci.bus_id',
  'pci.device_id',
  'pcie.link.gen.gpucurrent',
  'pcie.link.gen.max',
  'pcie.link.width.current',
  'pcie.link.width.max',
  'power.draw',
  'power.limit',
  'power.default_limit',
  'power.max_limit',
  'clocks.sm',
  'clocks.mem',
  'clocks.max.sm',
  'clocks.max.mem',
  'clocks.applications.graphics',
  'mig.mode.current',
  'ecc.mode.current',
  'ecc.errors.uncorrected.volatile.total',
  'retired_pages.pending',
  'remapped_rows.pending',
  'remapped_rows.failure',
  'persistence_mode',
  'compute_mode',
  'clocks_event_reasons.active',
  'temperature.gpu',
  'memory.total',
  'memory.used',
  'driver_version',
] as const;

export type NvidiaQueryField = (typeof NVIDIA_QUERY_FIELDS)[number];
export type NvidiaQueryRow = Record<NvidiaQueryField, string | null>;

export class InventoryParseError extends Error {
  override readonly name = 'InventoryParseError';
}

/** "[N/A]", "[Not Supported]", "[Unknown Error]", bare "N/A", "" and the like: no value. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  return v === '' || v === 'N/A' || /^\[.*\]$/.test(v);
}

/** Rows of `--query-gpu=<NVIDIA_QUERY_FIELDS> --format=csv,noheader,nounits`. */
export function parseQueryCsv(text: string, fields: readonly NvidiaQueryField[] = NVIDIA_QUERY_FIELDS): NvidiaQueryRow[] {
  const rows: NvidiaQueryRow[] = [];
  text.split(/\r?\n/).forEach((line, lineIndex) => {
    if (line.trim() === '') return;
    if (/^(No devices were found|NVIDIA-SMI has failed|Failed to initialize NVML)/i.test(line.trim())) {
      throw new InventoryParseError(`nvidia-smi: ${line.trim()}`);
    }
    const cells = line.split(', ');
    if (cells.length !== fields.length) {
      throw new InventoryParseError(`nvidia-smi CSV line ${lineIndex + 1}: ${cells.length} fields, expected ${fields.length}`);
    }
    const row = {} as NvidiaQueryRow;
    fields.forEach((field, i) => {
      const cell = cells[i]!.trim();
      row[field] = isPlaceholder(cell) ? null : cell;
    });
    rows.push(row);
  });
  return rows;
}

/** What only `-q -x` has: board part number, MIG devices, running processes. */
export interface NvidiaXmlGpu {
  busId: string;
  productName: string | null;
  serial: string | null;
  uuid: string | null;
  boardPartNumber: string | null;
  gpuPartNumber: string | null;
  vbiosVersion: string | null;
  /** `<pci><pci_device_id>` as printed ("233010DE": device id, then vendor id). */
  pciDeviceId: string | null;
  /** `<pci><pci_sub_system_id>` ("16C110DE": subsystem id, then subsystem vendor id). */
  pciSubSystemId: string | null;
  /** "GPU PDI" of recent drivers; the element name `gpu_pdi` is [I] from the -q label. */
  pdi: string | null;
  migMode: string | null;
  processes: { pid: string; name: string | null }[];
}

export interface NvidiaXmlReport {
  driverVersion: string | null;
  cudaVersion: string | null;
  gpus: NvidiaXmlGpu[];
}

function text(value: unknown): string | null {
  if (value === undefined || value === null || typeof value === 'object') return null;
  const s = String(value).trim();
  return isPlaceholder(s) ? null : s;
}

function asArray<T>(value: T | T[] | undefined | null | ''): T[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

export function parseQueryXml(xml: string): NvidiaXmlReport {
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, trimValues: true }).parse(xml, true) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw new InventoryParseError(`nvidia-smi XML: ${(error as Error).message}`);
  }
  const log = doc['nvidia_smi_log'] as Record<string, unknown> | undefined;
  if (!log || typeof log !== 'object') throw new InventoryParseError('nvidia-smi XML: no <nvidia_smi_log> root');
  const gpus = asArray(log['gpu'] as Record<string, unknown> | Record<string, unknown>[] | undefined).map((gpu) => {
    const mig = gpu['mig_mode'] as Record<string, unknown> | undefined;
    const pci = gpu['pci'] as Record<string, unknown> | undefined;
    const processes = gpu['processes'] as Record<string, unknown> | string | undefined;
    const infos = typeof processes === 'object' && processes ? asArray(processes['process_info'] as Record<string, unknown>[] | undefined) : [];
    return {
      busId: String(gpu['@id'] ?? ''),
      productName: text(gpu['product_name']),
      serial: text(gpu['serial']),
      uuid: text(gpu['uuid']),
      boardPartNumber: text(gpu['board_part_number']),
      gpuPartNumber: text(gpu['gpu_part_number']),
      vbiosVersion: text(gpu['vbios_version']),
      pciDeviceId: pci && typeof pci === 'object' ? text(pci['pci_device_id']) : null,
      pciSubSystemId: pci && typeof pci === 'object' ? text(pci['pci_sub_system_id']) : null,
      pdi: text(gpu['gpu_pdi']),
      migMode: mig && typeof mig === 'object' ? text(mig['current_mig']) : null,
      processes: infos.map((p) => ({ pid: String(p['pid'] ?? ''), name: text(p['process_name']) })),
    };
  });
  return { driverVersion: text(log['driver_version']), cudaVersion: text(log['cuda_version']), gpus };
}
