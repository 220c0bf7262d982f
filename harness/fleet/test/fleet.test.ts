// The pure parts of a fleet run: grouping sampled units by server, the unit
// selector (never an index), and reading scontrol's one-line job records.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { groupByServer } from '../lot-run.js';
import { unitSelector } from '../server-job.js';
import { parseScontrolJob } from '../slurm.js';

const unit = (serial: string, host: string, uuid = '') => ({ serial, uuid, host, pciBusId: '', boardPartNumber: '' });

describe('fleet planning', () => {
  it('groups sampled units by server, in host order, and refuses a unit that does not say where it sits', () => {
    const groups = groupByServer([unit('A', 'gpu02'), unit('B', 'gpu01'), unit('C', 'gpu02')]);
    expect(groups.map((g) => [g.host, g.units.map((u) => u.serial)])).toEqual([['gpu01', ['B']], ['gpu02', ['A', 'C']]]);
    expect(() => groupByServer([unit('A', 'gpu01'), unit('B', '')])).toThrow(/does not say which host this sampled unit sits in: B$/);
  });

  it('picks a unit by UUID where the manifest knows it, else by serial', () => {
    expect(unitSelector(unit('S1', 'h', 'GPU-1234'))).toBe('uuid:GPU-1234');
    expect(unitSelector(unit('S1', 'h'))).toBe('serial:S1');
  });

  it('reads the fields of scontrol show job -o, first occurrence winning', () => {
    const line = 'JobId=7 JobName=tppverify-L-gpu02 UserId=root(0) JobState=PENDING Reason=BeginTime Dependency=(null) Requeue=1 Restarts=1 BatchFlag=1 ExitCode=0:0 NodeList=(null) Command=/x/gpu02.sh';
    const fields = parseScontrolJob(line);
    expect(fields.get('JobState')).toBe('PENDING');
    expect(fields.get('Reason')).toBe('BeginTime');
    expect(fields.get('Restarts')).toBe('1');
    expect(fields.get('ExitCode')).toBe('0:0');
  });
});

describe('lot run refuses before submitting anything', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
  const work = mkdtempSync(path.join(tmpdir(), 'tppverify-fleet-'));
  const declaration = path.join(root, 'harness', 'declaration', 'examples', 'h200-sxm.json');
  const declarationSha256 = createHash('sha256').update(readFileSync(declaration)).digest('hex');
  const write = (name: string, units: object[]) => {
    const file = path.join(work, name);
    writeFileSync(file, JSON.stringify({ lotId: 'L', exporter: 'E', declarationSha256, units }));
    return file;
  };
  const lotRun = (manifest: string, extra: string[]) =>
    execa(process.execPath, [cli, 'lot', 'run', manifest, '--nonce', '0011223344556677', '--scheduler', 'slurm', '--out', path.join(work, 'out'), ...extra], { reject: false, env: { PATH: '/nonexistent' }, extendEnv: false });

  it('a unit without its host, a declaration other than the lot\'s, an unknown scheduler, a missing key', async () => {
    const placed = write('placed.json', [{ serial: 'S1', host: 'gpu01' }]);
    const unplaced = await lotRun(write('unplaced.json', [{ serial: 'S1' }]), ['--declaration', declaration, '--key', 'k']);
    expect(unplaced.exitCode).toBe(2);
    expect(unplaced.stderr.trim()).toBe('tppverify: the manifest does not say which host this sampled unit sits in: S1');
    const other = path.join(work, 'other.json');
    writeFileSync(other, readFileSync(declaration, 'utf8').replace('"H200', '"h200'));
    const wrong = await lotRun(placed, ['--declaration', other, '--key', 'k']);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toMatch(/other\.json has SHA-256 [0-9a-f]{12}…, not the lot's [0-9a-f]{12}…: its attestations would not count/);
    const unknown = await lotRun(placed, ['--scheduler', 'pbs']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.trim()).toBe("tppverify: --scheduler must be slurm or kubernetes, not 'pbs'");
    const noKey = await lotRun(placed, ['--declaration', declaration]);
    expect(noKey.exitCode).toBe(2);
    expect(noKey.stderr).toMatch(/lot run needs --key/);
  });
});
