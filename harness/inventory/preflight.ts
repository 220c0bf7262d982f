// Preflight checks: is the device in the state a reportable measurement
// needs? Each check has an id, a status and the numbers behind it. Pure.
import type { AmdGpu, AmdMetric } from './amd-smi.js';
import type { NvidiaQueryRow, NvidiaXmlGpu } from './nvidia-smi.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface PreflightCheck {
  id: string;
  status: CheckStatus;
  detail: string;
}

/**
 * An idle data-centre GPU sits at 30–45 °C; starting hotter means the run
 * begins already near its thermal limits (H100 slows down from about 85 °C).
 */
export const MAX_IDLE_TEMPERATURE_C = 60;
/** Power limits are printed with two decimals. */
const POWER_LIMIT_TOLERANCE_W = 0.5;
/** clocks_event_reasons.active bit 0 = GPU idle; any other bit is a slowdown. */
const IDLE_REASON_MASK = 0x1n;

const num = (value: string | null): number | null => (value === null || Number.isNaN(Number(value)) ? null : Number(value));

function mig(row: NvidiaQueryRow): PreflightCheck {
  const mode = row['mig.mode.current'];
  if (mode === 'Enabled') return { id: 'mig-off', status: 'fail', detail: 'MIG is enabled: the measured units would be one partition, not the device' };
  return { id: 'mig-off', status: 'pass', detail: mode === null ? 'MIG not supported on this device' : `MIG ${mode}` };
}

function powerLimit(row: NvidiaQueryRow): PreflightCheck {
  const limit = num(row['power.limit']);
  const defaultLimit = num(row['power.default_limit']);
  if (limit === null || defaultLimit === null) return { id: 'power-limit-default', status: 'warn', detail: 'power limit or its default not reported' };
  if (Math.abs(limit - defaultLimit) > POWER_LIMIT_TOLERANCE_W) {
    return { id: 'power-limit-default', status: 'fail', detail: `power limit ${limit} W differs from the default ${defaultLimit} W` };
  }
  return { id: 'power-limit-default', status: 'pass', detail: `power limit ${limit} W = default` };
}

function applicationClocks(row: NvidiaQueryRow): PreflightCheck {
  const app = num(row['clocks.applications.graphics']);
  const max = num(row['clocks.max.sm']);
  if (app === null) return { id: 'no-clock-cap', status: 'pass', detail: 'no application clock set (or the driver no longer reports one)' };
  if (max !== null && app < max) return { id: 'no-clock-cap', status: 'fail', detail: `application clock ${app} MHz caps the ${max} MHz maximum` };
  return { id: 'no-clock-cap', status: 'pass', detail: `application clock ${app} MHz, maximum ${max ?? 'unknown'} MHz` };
}

function memoryHealth(row: NvidiaQueryRow): PreflightCheck {
  const problems: string[] = [];
  const uncorrected = num(row['ecc.errors.uncorrected.volatile.total']);
  if (uncorrected !== null && uncorrected > 0) problems.push(`${uncorrected} uncorrected ECC errors since boot`);
  if (row['retired_pages.pending'] === 'Yes') problems.push('a page retirement is pending');
  if (row['remapped_rows.pending'] === 'Yes') problems.push('a row remapping is pending (reset needed)');
  if (row['remapped_rows.failure'] === 'Yes') problems.push('row remapping has failed');
  if (problems.length) return { id: 'memory-health', status: 'fail', detail: problems.join('; ') };
  const ecc = row['ecc.mode.current'];
  if (ecc !== 'Enabled') return { id: 'memory-health', status: 'warn', detail: `ECC ${ecc ?? 'not reported'}` };
  return { id: 'memory-health', status: 'pass', detail: 'ECC enabled; no uncorrected errors, pending retirements or remaps' };
}

function otherProcesses(xml: NvidiaXmlGpu | undefined): PreflightCheck {
  if (!xml) return { id: 'no-other-process', status: 'warn', detail: 'process list not available' };
  if (xml.processes.length) {
    return { id: 'no-other-process', status: 'fail', detail: `other compute processes: ${xml.processes.map((p) => `${p.pid} ${p.name ?? ''}`.trim()).join(', ')}` };
  }
  return { id: 'no-other-process', status: 'pass', detail: 'no other process on the GPU' };
}

function temperature(row: NvidiaQueryRow): PreflightCheck {
  const t = num(row['temperature.gpu']);
  if (t === null) return { id: 'temperature', status: 'warn', detail: 'temperature not reported' };
  if (t >= MAX_IDLE_TEMPERATURE_C) return { id: 'temperature', status: 'fail', detail: `${t} °C at start, limit ${MAX_IDLE_TEMPERATURE_C} °C` };
  return { id: 'temperature', status: 'pass', detail: `${t} °C at start` };
}

function pcieLink(row: NvidiaQueryRow): PreflightCheck {
  const width = num(row['pcie.link.width.current']);
  const maxWidth = num(row['pcie.link.width.max']);
  const gen = num(row['pcie.link.gen.gpucurrent']);
  const maxGen = num(row['pcie.link.gen.max']);
  if (width !== null && maxWidth !== null && width < maxWidth) return { id: 'pcie-link', status: 'fail', detail: `PCIe link x${width}, capable of x${maxWidth}` };
  // An idle GPU drops its link generation to save power; that alone is no fault.
  if (gen !== null && maxGen !== null && gen < maxGen) return { id: 'pcie-link', status: 'warn', detail: `PCIe gen ${gen} now, ${maxGen} at most (idle power saving?)` };
  return { id: 'pcie-link', status: 'pass', detail: `PCIe gen ${gen ?? '?'} x${width ?? '?'}` };
}

function slowdown(row: NvidiaQueryRow): PreflightCheck {
  const raw = row['clocks_event_reasons.active'];
  if (raw === null || !/^0x[0-9a-f]+$/i.test(raw)) return { id: 'no-slowdown', status: 'warn', detail: 'clock event reasons not reported' };
  const active = BigInt(raw) & ~IDLE_REASON_MASK;
  if (active !== 0n) return { id: 'no-slowdown', status: 'fail', detail: `clock event reasons active: ${raw} (slowdown before the run)` };
  return { id: 'no-slowdown', status: 'pass', detail: `clock event reasons ${raw}` };
}

export function nvidiaPreflight(row: NvidiaQueryRow, xml: NvidiaXmlGpu | undefined, dirtyTree: boolean): PreflightCheck[] {
  return [
    { id: 'inventory', status: 'pass', detail: `nvidia-smi: ${row.name ?? 'GPU'} ${row.serial ? `serial ${row.serial}` : 'without a serial'}` },
    mig(row),
    powerLimit(row),
    applicationClocks(row),
    memoryHealth(row),
    otherProcesses(xml),
    temperature(row),
    pcieLink(row),
    slowdown(row),
    treeClean(dirtyTree),
  ];
}

export function treeClean(dirtyTree: boolean): PreflightCheck {
  return { id: 'tree-clean', status: dirtyTree ? 'fail' : 'pass', detail: dirtyTree ? 'the harness tree has uncommitted changes' : 'harness tree clean' };
}

/** AMD Instinct: partition mode, power cap, memory errors, processes, temperature, throttling. */
export function amdPreflight(gpu: AmdGpu, metric: AmdMetric | undefined, pids: readonly string[] | undefined, dirtyTree: boolean): PreflightCheck[] {
  const checks: PreflightCheck[] = [
    { id: 'inventory', status: 'pass', detail: `amd-smi: ${gpu.productName ?? gpu.marketName ?? 'GPU'} ${gpu.serial ? `serial ${gpu.serial}` : 'without a board serial'}` },
  ];
  const partitioned = (gpu.computePartition !== null && gpu.computePartition !== 'SPX') || (gpu.memoryPartition !== null && gpu.memoryPartition !== 'NPS1');
  checks.push(
    partitioned
      ? { id: 'partition-off', status: 'fail', detail: `compute partition ${gpu.computePartition}, memory partition ${gpu.memoryPartition}: the measured units would be one partition` }
      : { id: 'partition-off', status: 'pass', detail: `compute ${gpu.computePartition ?? 'not reported'}, memory ${gpu.memoryPartition ?? 'not reported'}` },
  );
  // Reading: limit.socket_power is the cap in force, limit.max_power the board's own maximum.
  if (gpu.socketPowerCapW === null || gpu.maxPowerW === null) checks.push({ id: 'power-limit-default', status: 'warn', detail: 'power cap not reported' });
  else if (Math.abs(gpu.socketPowerCapW - gpu.maxPowerW) > POWER_LIMIT_TOLERANCE_W) {
    checks.push({ id: 'power-limit-default', status: 'fail', detail: `socket power cap ${gpu.socketPowerCapW} W is below the board maximum ${gpu.maxPowerW} W` });
  } else checks.push({ id: 'power-limit-default', status: 'pass', detail: `socket power cap ${gpu.socketPowerCapW} W = board maximum` });
  const ecc = metric?.uncorrectableEccErrors ?? null;
  checks.push(
    ecc !== null && ecc > 0
      ? { id: 'memory-health', status: 'fail', detail: `${ecc} uncorrectable ECC errors` }
      : { id: 'memory-health', status: ecc === null ? 'warn' : 'pass', detail: ecc === null ? 'ECC counts not reported' : 'no uncorrectable ECC errors' },
  );
  if (pids === undefined) checks.push({ id: 'no-other-process', status: 'warn', detail: 'process list not available' });
  else checks.push(pids.length ? { id: 'no-other-process', status: 'fail', detail: `other processes: ${pids.join(', ')}` } : { id: 'no-other-process', status: 'pass', detail: 'no other process on the GPU' });
  const hot = metric?.hotspotC ?? null;
  if (hot === null) checks.push({ id: 'temperature', status: 'warn', detail: 'hotspot temperature not reported' });
  else checks.push(hot >= MAX_IDLE_TEMPERATURE_C ? { id: 'temperature', status: 'fail', detail: `hotspot ${hot} °C at start, limit ${MAX_IDLE_TEMPERATURE_C} °C` } : { id: 'temperature', status: 'pass', detail: `hotspot ${hot} °C at start` });
  const throttle = metric?.throttleStatus ?? null;
  checks.push(
    throttle !== null && /^(throttled|true|1)$/i.test(throttle)
      ? { id: 'no-slowdown', status: 'fail', detail: `throttle status ${throttle} before the run` }
      : { id: 'no-slowdown', status: throttle === null ? 'warn' : 'pass', detail: `throttle status ${throttle ?? 'not reported'}` },
  );
  checks.push(treeClean(dirtyTree));
  return checks;
}
