// Runs nvidia-smi (through execa, with a time limit) and matches its GPUs to
// the CUDA devices by PCI bus id. A host without nvidia-smi gets a reason,
// not an error: the CUDA runtime's own attributes still identify the device.
import { execa } from 'execa';
import { parseAmdMetric, parseAmdProcesses, parseAmdStatic, type AmdGpu, type AmdMetric } from './amd-smi.js';
import { NVIDIA_QUERY_FIELDS, parseQueryCsv, parseQueryXml, type NvidiaQueryRow, type NvidiaXmlGpu } from './nvidia-smi.js';

/** nvidia-smi answers in well under a second; a hung driver must not hang the run. */
export const NVIDIA_SMI_TIMEOUT_MS = 20_000;

/** The first line a failed tool printed (nvidia-smi prints its errors on stdout), or why it did not run. */
function failureReason(run: { timedOut: boolean; stderr?: unknown; stdout?: unknown; shortMessage?: string }): string {
  if (run.timedOut) return `timed out after ${NVIDIA_SMI_TIMEOUT_MS} ms`;
  const message = String(run.stderr || run.stdout || run.shortMessage || 'failed').trim();
  return message.split(/\r?\n/)[0] ?? message;
}

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
  if (query.failed) return { unavailable: `${command}: ${failureReason(query)}` };
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

export interface AmdInventory {
  gpus: AmdGpu[];
  metrics: AmdMetric[];
  processes: Map<number, string[]> | undefined;
}

async function amdSmiJson(command: string, args: string[]): Promise<{ text: string } | { failure: string }> {
  const run = await execa(command, [...args, '--json'], { reject: false, timeout: NVIDIA_SMI_TIMEOUT_MS, stdin: 'ignore' });
  if (run.failed) return { failure: `${command} ${args.join(' ')}: ${failureReason(run)}` };
  return { text: String(run.stdout) };
}

/** amd-smi static, metric and process, each as JSON. */
export async function collectAmdInventory(command = 'amd-smi'): Promise<{ inventory: AmdInventory } | { unavailable: string }> {
  const staticJson = await amdSmiJson(command, ['static']);
  if ('failure' in staticJson) return { unavailable: staticJson.failure };
  const metricJson = await amdSmiJson(command, ['metric']);
  const processJson = await amdSmiJson(command, ['process']);
  return {
    inventory: {
      gpus: parseAmdStatic(staticJson.text),
      metrics: 'text' in metricJson ? parseAmdMetric(metricJson.text) : [],
      processes: 'text' in processJson ? parseAmdProcesses(processJson.text) : undefined,
    },
  };
}
