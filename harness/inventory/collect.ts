// Runs nvidia-smi (through execa, with a time limit) and matches its GPUs to
// the CUDA devices by PCI bus id. A host without nvidia-smi gets a reason,
// not an error: the CUDA runtime's own attributes still identify the device.
import { execa } from 'execa';
import { NVIDIA_QUERY_FIELDS, parseQueryCsv, parseQueryXml, type NvidiaQueryRow, type NvidiaXmlGpu } from './nvidia-smi.js';

/** nvidia-smi answers in well under a second; a hung driver must not hang the run. */
export const NVIDIA_SMI_TIMEOUT_MS = 20_000;

export interface NvidiaInventory {
  rows: NvidiaQueryRow[];
  xml: NvidiaXmlGpu[];
  driverVersion: string | null;
  cudaVersion: string | null;
}

export type InventoryResult = { inventory: NvidiaInventory } | { unavailable: string };

export async function collectNvidiaInventory(command = 'nvidia-smi'): Promise<InventoryResult> {
  const query = await execa(command, [`--query-gpu=${NVIDIA_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], {
    reject: false,
    timeout: NVIDIA_SMI_TIMEOUT_MS,
  });
  if (query.failed) {
    const message = String(query.stderr || query.stdout || query.shortMessage || 'failed').trim();
    const why = query.timedOut ? `timed out after ${NVIDIA_SMI_TIMEOUT_MS} ms` : (message.split(/\r?\n/)[0] ?? message);
    return { unavailable: `${command}: ${why}` };
  }
  const xml = await execa(command, ['-q', '-x'], { reject: false, timeout: NVIDIA_SMI_TIMEOUT_MS });
  const report = xml.failed ? { driverVersion: null, cudaVersion: null, gpus: [] } : parseQueryXml(xml.stdout);
  return { inventory: { rows: parseQueryCsv(query.stdout), xml: report.gpus, driverVersion: report.driverVersion, cudaVersion: report.cudaVersion } };
}

/** "00000000:18:00.0" (nvidia-smi) ~ domain/bus/device numbers (CUDA runtime). */
export function samePciAddress(busId: string, domain: number, bus: number, device: number): boolean {
  const match = /^([0-9a-f]+):([0-9a-f]+):([0-9a-f]+)\.\d$/i.exec(busId.trim());
  if (!match) return false;
  return parseInt(match[1]!, 16) === domain && parseInt(match[2]!, 16) === bus && parseInt(match[3]!, 16) === device;
}
