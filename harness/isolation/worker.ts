// Child-process entry: measures one phase of one device and prints the report
// as one JSON line on stdout; progress goes to stderr as JSON lines. Run by
// isolated.ts, never by hand. A crash or hang here ends only this process.
import { faultFromEnvironment } from '../../benchmarks/bench.js';
import type { RunSettings } from '../../benchmarks/registry.js';
import { listBackends, resolveDevice } from '../devices.js';
import { TppverifyError } from '../errors.js';
import { measureDevice } from '../measure.js';

export interface PhaseRequest {
  device: string;
  phase: 'bandwidth' | 'throughput';
  settings: RunSettings;
}

export type PhaseReply =
  | { ok: true; report: unknown; startedAt: string; finishedAt: string }
  | { ok: false; error: { name: string; message: string; exitCode: number; kernel?: string } };

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as PhaseRequest;
  const fault = faultFromEnvironment();
  // Test-only: the two ways a kernel can go wrong that a result check cannot catch.
  if (fault?.suite === 'worker' && fault.name === `${request.phase}-hang`) for (;;);
  if (fault?.suite === 'worker' && fault.name === `${request.phase}-crash`) process.kill(process.pid, 'SIGSEGV');
  try {
    const entry = resolveDevice(request.device, listBackends());
    const measured = await measureDevice(entry, request.phase, request.settings, (event) => {
      process.stderr.write(`progress ${JSON.stringify(event)}\n`);
    });
    const report = request.phase === 'bandwidth' ? measured.bandwidth : measured.throughput;
    const reply: PhaseReply = { ok: true, report, startedAt: measured.startedAt, finishedAt: measured.finishedAt };
    process.stdout.write(JSON.stringify(reply) + '\n');
  } catch (error) {
    const e = error as Error & { exitCode?: number; kernel?: string };
    const reply: PhaseReply = {
      ok: false,
      error: {
        name: e.name,
        message: e.message,
        exitCode: error instanceof TppverifyError ? error.exitCode : 1,
        ...(e.kernel ? { kernel: e.kernel } : {}),
      },
    };
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
}

await main();
