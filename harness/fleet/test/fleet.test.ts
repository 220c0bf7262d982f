// The pure parts of a fleet run: grouping sampled units by server, the unit
// selector (never an index), and reading scontrol's one-line job records.
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
