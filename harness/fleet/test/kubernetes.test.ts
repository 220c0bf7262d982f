// lot run --scheduler kubernetes --print: one Job per server picking its
// units by UUID, validated offline against the Kubernetes schema
// (kubernetes-models). Never run on a cluster: none exists where these tests
// run (no kubelet, API server, k3s or kind in Debian 12).
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'dist', 'harness', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'tppverify-k8s-'));
const NONCE = '00112233445566778899aabbccddeeff';
const hosts = ['node-a.lab.example', 'node-b.lab.example', 'node-c.lab.example'];
const units = hosts.flatMap((host, h) => Array.from({ length: 8 }, (_, g) => ({ serial: `SN${h}${g}`, uuid: `GPU-${h}${g}000000-0000-0000-0000-000000000000`, host })));
const manifestFile = path.join(work, 'manifest.json');
writeFileSync(manifestFile, JSON.stringify({ lotId: 'LOT K8S/1', exporter: 'Example', declarationSha256: 'a'.repeat(64), units }));

interface JobLike {
  metadata: { name: string };
  spec: { template: { spec: { nodeSelector: Record<string, string>; containers: { args: string[]; resources: { limits: Record<string, number> } }[] } } };
}

const print = (extra: string[]) => execa('node', [cli, 'lot', 'run', manifestFile, '--nonce', NONCE, '--scheduler', 'kubernetes', ...extra], { reject: false });

describe('lot run --scheduler kubernetes --print', () => {
  it('prints one schema-valid Job per server holding sampled units, picking them by UUID, never by index', async () => {
    const run = await print(['--print', '--image', 'registry.example/tppverify:0.1.0', '--sample', '6', '--quick']);
    expect(run.exitCode, run.stderr).toBe(0);
    const list = JSON.parse(run.stdout) as { kind: string; items: JobLike[] };
    expect(list.kind).toBe('List');
    const plan = JSON.parse((await execa('node', [cli, 'lot', 'plan', manifestFile, '--nonce', NONCE, '--sample', '6', '--json'])).stdout) as { sampled: { uuid: string; host: string }[] };
    const sampledHosts = [...new Set(plan.sampled.map((u) => u.host))].sort();
    expect(list.items.map((j) => j.spec.template.spec.nodeSelector['kubernetes.io/hostname']).sort()).toEqual(sampledHosts);
    for (const item of list.items) {
      // Throws, naming the path, on anything the Kubernetes schema refuses.
      expect(() => new Job(item as unknown as ConstructorParameters<typeof Job>[0]).validate()).not.toThrow();
      expect(item.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      const container = item.spec.template.spec.containers[0]!;
      expect(container.resources.limits['nvidia.com/gpu']).toBe(8);
      const devices = container.args[container.args.indexOf('--device') + 1]!.split(',');
      const host = item.spec.template.spec.nodeSelector['kubernetes.io/hostname'];
      expect(devices.sort()).toEqual(plan.sampled.filter((u) => u.host === host).map((u) => `uuid:${u.uuid}`).sort());
      expect(container.args).toContain('--parallel');
      expect(container.args).toContain('--quick');
    }
  });

  it('the schema check is real: it refuses a Job the API server would refuse (it does not catch unknown fields)', () => {
    const job = () => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: { backoffLimit: 2 as unknown, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x' as string | undefined, image: 'x' }] } } } });
    const validate = (value: unknown) => () => new Job(value as ConstructorParameters<typeof Job>[0]).validate();
    expect(validate(job())).not.toThrow();
    const noName = job();
    delete noName.spec.template.spec.containers[0]!.name;
    expect(validate(noName)).toThrow(/containers\/0 must have required property name/);
    const wrongType = job();
    wrongType.spec.backoffLimit = 'two';
    expect(validate(wrongType)).toThrow(/backoffLimit must be integer/);
  });

  it('refuses to run instead of print, a unit without a UUID, and a missing image', async () => {
    const noPrint = await print(['--image', 'x']);
    expect(noPrint.exitCode).toBe(2);
    expect(noPrint.stderr.trim()).toBe('tppverify: --scheduler kubernetes only prints its Job manifests (--print): this harness has never run them on a cluster');
    const noImage = await print(['--print']);
    expect(noImage.exitCode).toBe(2);
    expect(noImage.stderr).toMatch(/needs --image/);
    const bare = path.join(work, 'no-uuid.json');
    writeFileSync(bare, JSON.stringify({ lotId: 'L', exporter: 'E', declarationSha256: 'a'.repeat(64), units: [{ serial: 'S1', host: 'node-a' }] }));
    const noUuid = await execa('node', [cli, 'lot', 'run', bare, '--nonce', NONCE, '--scheduler', 'kubernetes', '--print', '--image', 'x'], { reject: false });
    expect(noUuid.exitCode).toBe(2);
    expect(noUuid.stderr.trim()).toBe('tppverify: --scheduler kubernetes picks units by UUID; the manifest gives none for S1');
  });
});
