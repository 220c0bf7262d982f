// The host the device sits in, from systeminformation: system, baseboard,
// CPU, memory and OS, each fact with the call it came from. Empty values
// (common in VMs and containers) are left out rather than recorded as "".
import si from 'systeminformation';
import type { Fact } from '../verdict/record.js';

export async function hostFacts(): Promise<Fact[]> {
  const [system, board, cpu, mem, os] = await Promise.all([si.system(), si.baseboard(), si.cpu(), si.mem(), si.osInfo()]);
  const raw: [string, unknown, string][] = [
    ['hostSystemManufacturer', system.manufacturer, 'systeminformation system()'],
    ['hostSystemModel', system.model, 'systeminformation system()'],
    ['hostSystemSerial', system.serial, 'systeminformation system()'],
    ['hostSystemUuid', system.uuid, 'systeminformation system()'],
    ['hostBaseboardManufacturer', board.manufacturer, 'systeminformation baseboard()'],
    ['hostBaseboardModel', board.model, 'systeminformation baseboard()'],
    ['hostBaseboardSerial', board.serial, 'systeminformation baseboard()'],
    ['hostCpu', `${cpu.manufacturer} ${cpu.brand}`.trim(), 'systeminformation cpu()'],
    ['hostCpuCores', cpu.cores, 'systeminformation cpu()'],
    ['hostCpuPhysicalCores', cpu.physicalCores, 'systeminformation cpu()'],
    ['hostMemoryBytes', mem.total, 'systeminformation mem()'],
    ['hostOs', `${os.distro} ${os.release}`.trim(), 'systeminformation osInfo()'],
    ['hostKernel', os.kernel, 'systeminformation osInfo()'],
    ['hostname', os.hostname, 'systeminformation osInfo()'],
    ['node', process.version, 'process.version'],
  ];
  return raw
    .filter(([, value]) => value !== undefined && value !== null && String(value).trim() !== '' && String(value).trim() !== '-')
    .map(([name, value, source]) => ({ name, value: String(value).trim(), source }));
}
