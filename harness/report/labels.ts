// What a person reads for each recorded fact: a label instead of the machine
// key, and the value in human units. A fact this table does not know yet
// (a newer harness, another engineer's inventory) still gets a readable
// label from its name, never the raw key.
import { binaryBytes, bandwidth, megahertz } from './units.js';

type Unit = 'bytes' | 'mhz' | 'gbps' | 'watts' | 'celsius' | 'bits' | 'count' | 'text';

interface FactLabel {
  label: string;
  unit: Unit;
}

const L = (label: string, unit: Unit = 'text'): FactLabel => ({ label, unit });

/** Every fact name tppverify records (identity, inventory and host), with its label and unit. */
export const FACT_LABELS: Readonly<Record<string, FactLabel>> = {
  deviceId: L('Device as measured'),
  vendor: L('Vendor'),
  model: L('Model'),
  computeUnits: L('Compute units', 'count'),
  unitName: L('Compute unit kind'),
  // CPU backend
  family: L('CPU family'),
  modelNumber: L('CPU model number'),
  stepping: L('CPU stepping'),
  logicalCpus: L('Logical CPUs', 'count'),
  physicalCores: L('Physical cores', 'count'),
  packages: L('CPU packages', 'count'),
  numaNodes: L('NUMA nodes', 'count'),
  memoryBytes: L('Memory', 'bytes'),
  lastLevelCacheBytes: L('Last-level cache', 'bytes'),
  isaFeatures: L('Instruction-set features'),
  // GPU backends
  architecture: L('Architecture'),
  computeCapability: L('CUDA compute capability'),
  gfxTarget: L('AMD GPU target'),
  smCount: L('Streaming multiprocessors', 'count'),
  cuCount: L('Compute units (CUs)', 'count'),
  maxSmClockMhz: L('Maximum SM clock', 'mhz'),
  maxClockMhz: L('Maximum clock', 'mhz'),
  memoryClockMhz: L('Memory clock', 'mhz'),
  memoryBusWidthBits: L('Memory bus width', 'bits'),
  peakDramBandwidthGbps: L('Peak DRAM bandwidth from the memory interface', 'gbps'),
  totalMemoryBytes: L('Device memory', 'bytes'),
  l2CacheBytes: L('L2 cache', 'bytes'),
  eccEnabled: L('ECC enabled'),
  pciDomain: L('PCI domain'),
  pciBus: L('PCI bus'),
  pciDevice: L('PCI device'),
  runtimeVersion: L('Runtime version'),
  builtTargets: L('Kernels built for'),
  // nvidia-smi and amd-smi inventory
  serial: L('Serial number'),
  asicSerial: L('ASIC serial number'),
  uuid: L('UUID'),
  boardPartNumber: L('Board part number'),
  gpuPartNumber: L('GPU part number'),
  vbiosVersion: L('VBIOS version'),
  inforomImage: L('InfoROM image'),
  pciBusId: L('PCI address'),
  pciDeviceId: L('PCI device id'),
  driverVersion: L('Driver version'),
  cudaDriverVersion: L('CUDA version of the driver'),
  powerLimitW: L('Power limit', 'watts'),
  defaultPowerLimitW: L('Default power limit', 'watts'),
  maxPowerLimitW: L('Maximum power limit', 'watts'),
  powerCapW: L('Socket power cap', 'watts'),
  maxSmClockMhzNvidiaSmi: L('Maximum SM clock (nvidia-smi)', 'mhz'),
  maxMemoryClockMhz: L('Maximum memory clock', 'mhz'),
  eccMode: L('ECC mode'),
  eccUncorrectedVolatile: L('Uncorrected ECC errors since boot', 'count'),
  retiredPagesPending: L('Retired pages pending'),
  remappedRowsPending: L('Remapped rows pending'),
  migMode: L('MIG mode'),
  computePartition: L('Compute partition'),
  memoryPartition: L('Memory partition'),
  pcieGenCurrent: L('PCIe generation now'),
  pcieGenMax: L('PCIe generation, maximum'),
  pcieWidthCurrent: L('PCIe link width now'),
  pcieWidthMax: L('PCIe link width, maximum'),
  smClockMhzAtInventory: L('SM clock at inventory', 'mhz'),
  applicationClockMhz: L('Application clock', 'mhz'),
  persistenceMode: L('Persistence mode'),
  computeMode: L('Compute mode'),
  temperatureCAtInventory: L('Temperature at inventory', 'celsius'),
  amdSmiGpu: L('amd-smi GPU index'),
  // host (systeminformation)
  hostSystemManufacturer: L('Host system manufacturer'),
  hostSystemModel: L('Host system model'),
  hostSystemSerial: L('Host system serial number'),
  hostSystemUuid: L('Host system UUID'),
  hostBaseboardManufacturer: L('Host baseboard manufacturer'),
  hostBaseboardModel: L('Host baseboard model'),
  hostBaseboardSerial: L('Host baseboard serial number'),
  hostCpu: L('Host CPU'),
  hostCpuCores: L('Host CPU threads', 'count'),
  hostCpuPhysicalCores: L('Host CPU physical cores', 'count'),
  hostMemoryBytes: L('Host memory', 'bytes'),
  hostOs: L('Host operating system'),
  hostKernel: L('Host kernel'),
  hostname: L('Host name'),
  node: L('Node.js version'),
};

/** Cache facts are named per level and kind: cacheL1dBytes, cacheL2Instances, ... */
const CACHE_FACT = /^cacheL(\d)([di]?)(Bytes|Instances)$/;

function cacheLabel(name: string): FactLabel | undefined {
  const match = CACHE_FACT.exec(name);
  if (!match) return undefined;
  const [, level, kind, what] = match;
  const cache = `L${level}${kind === 'd' ? ' data' : kind === 'i' ? ' instruction' : ''} cache`;
  return what === 'Bytes' ? L(`${cache}, each`, 'bytes') : L(`${cache} instances`, 'count');
}

/** "hostGpuFanSpeed" → "Host gpu fan speed": readable words, never the key itself. */
function wordsFromKey(name: string): string {
  const words = name
    .replace(/[._-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function labelFor(name: string): FactLabel {
  return FACT_LABELS[name] ?? cacheLabel(name) ?? L(wordsFromKey(name));
}

export function factLabel(name: string): string {
  return labelFor(name).label;
}

/** True when the table knows the name (tests check every fact a run records is known). */
export function hasFactLabel(name: string): boolean {
  return name in FACT_LABELS || cacheLabel(name) !== undefined;
}

/** The value in human units: 25276510208 bytes → "23.54 GiB", 1980 (MHz) → "1,980 MHz". */
export function factValue(name: string, raw: string): string {
  const unit = labelFor(name).unit;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) return raw;
  switch (unit) {
    case 'bytes':
      return binaryBytes(value);
    case 'mhz':
      return megahertz(value);
    case 'gbps':
      return bandwidth(value);
    case 'watts':
      return `${value} W`;
    case 'celsius':
      return `${value} °C`;
    case 'bits':
      return `${value} bits`;
    default:
      return raw;
  }
}

/** Preflight check ids as a person reads them. */
export const PREFLIGHT_LABELS: Readonly<Record<string, string>> = {
  inventory: 'Inventory read',
  'mig-off': 'MIG off',
  'partition-off': 'No compute or memory partition',
  'power-limit-default': 'Power limit at its default',
  'no-clock-cap': 'No application-clock cap',
  'memory-health': 'Memory health (ECC, retired pages, remapped rows)',
  'no-other-process': 'No other process on the device',
  temperature: 'Starting temperature',
  'pcie-link': 'PCIe link at full width',
  'no-slowdown': 'No active clock slowdown',
  'tree-clean': 'Harness source tree clean',
};

export function preflightLabel(id: string): string {
  return PREFLIGHT_LABELS[id] ?? wordsFromKey(id);
}

/** Finding claims ("rate:FP16", "dram:achieved") as a person reads them. */
export function claimLabel(claim: string): string {
  const [kind, detail = ''] = claim.split(':');
  switch (kind) {
    case 'units':
      return 'Compute units used';
    case 'rate':
      // Audit comparisons carry the unit in the claim: "rate:FP16 ops/clk/unit".
      return `${detail.split(' ')[0]} rate per clock`;
    case 'bandwidth':
      return `${detail.split(' ')[0]} bandwidth`;
    case 'format':
      return `${detail}: executed, not declared`;
    case 'clock':
      return `TPP at the ${detail} clock`;
    case 'dram':
      return detail === 'peak' ? 'DRAM peak bandwidth' : 'DRAM achieved bandwidth';
    case 'state':
      return 'State of the device';
    case 'identity':
      return 'Same item';
    case 'sustained':
      return detail ? `${detail} rate held (sustained)` : 'Sustained phase';
    case 'second-method':
      return detail === 'bandwidth' ? 'Bandwidth by a second method' : `${detail} by a second method`;
    default:
      return wordsFromKey(claim);
  }
}

const STATUS_LABELS: Readonly<Record<string, string>> = {
  consistent: 'consistent',
  'under-declared': 'under-declared',
  'over-declared': 'over-declared',
  'not-confirmed': 'not confirmed',
  inconclusive: 'inconclusive',
  note: 'note',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? wordsFromKey(status);
}

/** Decision-rule parameter names as words. */
export const PARAMETER_LABELS: Readonly<Record<string, string>> = {
  perClockTolerance: 'Tolerance of a measured per-clock rate above the declared one',
  coverageFactor: 'Coverage factor k of the expanded uncertainty',
  notConfirmedBelow: 'Per-clock rate below this share of the declared one: not confirmed',
  dramPeakTolerance: 'Tolerance of the memory-interface peak against the declared bandwidth',
  dramNotConfirmedBelow: 'Achieved bandwidth below this share of the declared peak: not confirmed',
  clockAgreementTolerance: "A phase's measured clock outside the reported clocks by more than this: a state problem",
  hostTimerTolerance: "A phase's device timer differing from the host clock by more than this: a state problem",
  powerLimitToleranceW: 'An enforced power limit below the default by more than this: a state problem',
  sustainedAbovePeakTolerance: 'Tolerance of a sustained rate above the peak (beyond it: the peak was held down)',
  sustainedFarBelowPeak: 'Sustained rate below this share of the peak: reported',
  secondMethodAbove: 'Second method (library) above our kernel by more than this share plus U: inconclusive',
  secondMethodBelow: 'Second method (library) below this share of our kernel: note',
};

export function parameterLabel(name: string): string {
  return PARAMETER_LABELS[name] ?? wordsFromKey(name);
}

/** Recorded policy names as words. */
export const POLICY_LABELS: Readonly<Record<string, string>> = {
  tf32BitLength: 'TF32 bit length',
  rates: 'Rates counted',
  verdictClock: 'Clocks in the verdict',
};

export function policyLabel(name: string): string {
  return POLICY_LABELS[name] ?? wordsFromKey(name);
}
