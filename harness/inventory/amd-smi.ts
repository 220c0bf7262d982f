// Parsers for amd-smi's JSON (static, metric, process), in both the list form
// and the {"gpu_data": [...]} wrapper, with numbers as plain values or as
// {"value": N, "unit": "W"} objects (ROCm ≥ 6.1). Missing values are "N/A".
import { InventoryParseError, isPlaceholder } from './nvidia-smi.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The per-GPU records of any amd-smi --json output. */
export function amdGpuRecords(text: string): JsonObject[] {
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch (error) {
    throw new InventoryParseError(`amd-smi JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : isObject(parsed) && Array.isArray(parsed['gpu_data']) ? parsed['gpu_data'] : null;
  if (!list) throw new InventoryParseError('amd-smi JSON: expected a list of GPUs or {"gpu_data": [...]}');
  return list.filter(isObject);
}

/** A value at a path, as text; {"value", "unit"} objects give their value; "N/A" gives null. */
export function amdValue(record: JsonObject, ...path: string[]): string | null {
  let node: Json | undefined = record;
  for (const key of path) node = isObject(node) ? node[key] : undefined;
  if (isObject(node) && 'value' in node) node = node['value'];
  if (node === undefined || node === null || typeof node === 'object') return null;
  const text = String(node).trim();
  return isPlaceholder(text) ? null : text;
}

export function amdNumber(record: JsonObject, ...path: string[]): number | null {
  const text = amdValue(record, ...path);
  if (text === null) return null;
  const value = Number.parseFloat(text);
  return Number.isFinite(value) ? value : null;
}

export interface AmdGpu {
  gpu: number;
  bdf: string | null;
  marketName: string | null;
  productName: string | null;
  serial: string | null;
  asicSerial: string | null;
  vendorId: string | null;
  deviceId: string | null;
  subsystemId: string | null;
  vbiosVersion: string | null;
  vbiosPartNumber: string | null;
  computeUnits: number | null;
  computePartition: string | null;
  memoryPartition: string | null;
  socketPowerCapW: number | null;
  maxPowerW: number | null;
  driverVersion: string | null;
}

export function parseAmdStatic(text: string): AmdGpu[] {
  return amdGpuRecords(text).map((r) => ({
    gpu: amdNumber(r, 'gpu') ?? -1,
    bdf: amdValue(r, 'bus', 'bdf'),
    marketName: amdValue(r, 'asic', 'market_name'),
    productName: amdValue(r, 'board', 'product_name'),
    serial: amdValue(r, 'board', 'product_serial'),
    asicSerial: amdValue(r, 'asic', 'asic_serial'),
    vendorId: amdValue(r, 'asic', 'vendor_id'),
    deviceId: amdValue(r, 'asic', 'device_id'),
    subsystemId: amdValue(r, 'asic', 'subsystem_id'),
    vbiosVersion: amdValue(r, 'vbios', 'version'),
    vbiosPartNumber: amdValue(r, 'vbios', 'part_number'),
    computeUnits: amdNumber(r, 'asic', 'num_compute_units'),
    computePartition: amdValue(r, 'partition', 'compute_partition'),
    memoryPartition: amdValue(r, 'partition', 'memory_partition'),
    socketPowerCapW: amdNumber(r, 'limit', 'socket_power'),
    maxPowerW: amdNumber(r, 'limit', 'max_power'),
    driverVersion: amdValue(r, 'driver', 'version'),
  }));
}

export interface AmdMetric {
  gpu: number;
  gfxClockMhz: number | null;
  socketPowerW: number | null;
  hotspotC: number | null;
  throttleStatus: string | null;
  uncorrectableEccErrors: number | null;
}

export function parseAmdMetric(text: string): AmdMetric[] {
  return amdGpuRecords(text).map((r) => ({
    gpu: amdNumber(r, 'gpu') ?? -1,
    gfxClockMhz: amdNumber(r, 'clock', 'gfx_0', 'clk'),
    socketPowerW: amdNumber(r, 'power', 'socket_power'),
    hotspotC: amdNumber(r, 'temperature', 'hotspot'),
    throttleStatus: amdValue(r, 'power', 'throttle_status'),
    uncorrectableEccErrors: amdNumber(r, 'ecc', 'total_uncorrectable_count'),
  }));
}

/** PIDs per GPU; "No running processes detected" counts as none. */
export function parseAmdProcesses(text: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const r of amdGpuRecords(text)) {
    const list = r['process_list'];
    const pids = (Array.isArray(list) ? list : [])
      .map((entry) => (isObject(entry) && isObject(entry['process_info']) ? amdValue(entry['process_info'], 'pid') : null))
      .filter((pid): pid is string => pid !== null);
    out.set(amdNumber(r, 'gpu') ?? -1, pids);
  }
  return out;
}
