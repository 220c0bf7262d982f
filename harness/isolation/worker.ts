// Child-process entry: measures one phase of one device and prints the report
// as one JSON line on stdout; progress goes to stderr as JSON lines. Run by
// isolated.ts, never by hand. A crash or hang here ends only this process,
// and this process ends with its parent (the watchdog below).
import { faultFromEnvironment } from '../../benchmarks/bench.js';
import type { RunSettings } from '../../benchmarks/registry.js';
import { listBackends, resolveDevice } from '../devices.js';
import type { ErrorCode } from '../errors.js';
import { measureDevice, measureSustainedDevice } from '../measure.js';
import type { SustainedRequest } from '../../benchmarks/sustained.js';
import { asTppverifyError } from '../cli/report-error.js';
import { watchParent } from './watchdog.js';

export interface PhaseRequest {
  device: string;
  phase: 'bandwidth' | 'throughput' | 'sustained';
  settings: RunSettings;
  /** The sustained phase's formats and fixed work, from the throughput phase's report. */
  sustained?: SustainedRequest;
}

/** An error crosses the pipe as its code and message: the parent maps the code through the one exit table. */
export type PhaseReply =
  | { ok: true; report: unknown; startedAt: string; finishedAt: string }
  | { ok: false; error: { code: ErrorCode; message: string; kernel?: string } };

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as PhaseRequest & { parentPid?: number };
  watchParent(request.parentPid);
  try {
    const fault = faultFromEnvironment();
    // Test-only: the two ways a kernel can go wrong that a result check cannot catch.
    if (fault?.suite === 'worker' && fault.name === `${request.phase}-hang`) for (;;);
    if (fault?.suite === 'worker' && fault.name === `${request.phase}-crash`) process.kill(process.pid, 'SIGSEGV');
    const entry = resolveDevice(request.device, listBackends());
    const onProgress = (event: unknown) => {
      process.stderr.write(`progress ${JSON.stringify(event)}\n`);
    };
    let reply: PhaseReply;
    if (request.phase === 'sustained') {
      if (!request.sustained) throw new Error('a sustained phase request without its formats and work');
      const report = await measureSustainedDevice(entry, request.settings, request.sustained, onProgress);
      reply = { ok: true, report, startedAt: report.startedAt, finishedAt: report.finishedAt };
    } else {
      const measured = await measureDevice(entry, request.phase, request.settings, onProgress);
      const report = request.phase === 'bandwidth' ? measured.bandwidth : measured.throughput;
      reply = { ok: true, report, startedAt: measured.startedAt, finishedAt: measured.finishedAt };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  } catch (error) {
    const coded = asTppverifyError(error);
    const reply: PhaseReply = { ok: false, error: { code: coded.code, message: coded.message, ...(coded.kernel ? { kernel: coded.kernel } : {}) } };
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
}

await main();
