// Kubernetes: printed, never run. No kubelet, API server, k3s or kind exists
// on the machines this harness is built and tested on, so these manifests
// are checked offline against the Kubernetes schema (kubernetes-models, in
// the tests) and have not been run on a cluster.
//
// One Job per server holding sampled units, pinned to that node by its
// hostname label, holding every GPU on it (the device plugin hands out
// "some" GPUs, not named ones, so the Job takes them all) and measuring that
// server's units by UUID (`run --device uuid:…,uuid:… --parallel`), never by
// index. A pod lost to a node disruption is retried without counting against
// the bound; a usage error (exit 2) fails the Job at once.
import type { LotManifest, LotUnit } from '../lot/manifest.js';
import type { LotSample } from '../lot/sampling.js';
import { UsageError } from '../errors.js';
import type { ServerWork } from './lot-run.js';
import { unitSelector } from './server-job.js';

/** The NVIDIA device plugin's extended resource. */
const GPU_RESOURCE = 'nvidia.com/gpu';
/** Retries of a pod that failed for a reason other than a node disruption. */
const BACKOFF_LIMIT = 2;
/** Where the pod mounts the lot's shared folder, the declaration and the lab's key. */
const MOUNTS = { lot: '/lot', declaration: '/lot-input', key: '/lab-key' } as const;

export interface KubernetesOptions {
  image: string;
  gpusPerServer: number;
  runArgs: string[];
}

/** A Kubernetes object name: lowercase RFC 1123 label, at most 63 characters. */
function objectName(...parts: string[]): string {
  const name = parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return name || 'tppverify';
}

/** A label value: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
function labelValue(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'none';
}

export function serverJob(manifest: LotManifest, work: ServerWork, options: KubernetesOptions): Record<string, unknown> {
  const devices = work.units.map((u: LotUnit) => unitSelector(u)).join(',');
  const labels = { 'app.kubernetes.io/name': 'tppverify', 'tppverify/lot': labelValue(manifest.lotId), 'tppverify/server': labelValue(work.host) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: objectName('tppverify', manifest.lotId, work.host), labels, annotations: { 'tppverify/units': work.units.map((u) => u.serial).join(',') } },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: BACKOFF_LIMIT,
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          { action: 'FailJob', onExitCodes: { containerName: 'tppverify', operator: 'In', values: [2] } },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          nodeSelector: { 'kubernetes.io/hostname': work.host },
          containers: [
            {
              name: 'tppverify',
              image: options.image,
              command: ['tppverify'],
              args: ['run', '--device', devices, '--parallel', '--declaration', `${MOUNTS.declaration}/declaration.json`, '--key', `${MOUNTS.key}/tppverify-private.pem`, '--out', `${MOUNTS.lot}/attestations`, '--json', ...options.runArgs],
              resources: { limits: { [GPU_RESOURCE]: options.gpusPerServer } },
              volumeMounts: [
                { name: 'lot', mountPath: MOUNTS.lot },
                { name: 'declaration', mountPath: MOUNTS.declaration, readOnly: true },
                { name: 'lab-key', mountPath: MOUNTS.key, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'lot', persistentVolumeClaim: { claimName: objectName('tppverify', manifest.lotId) } },
            { name: 'declaration', configMap: { name: objectName('tppverify', manifest.lotId, 'declaration') } },
            { name: 'lab-key', secret: { secretName: 'tppverify-lab-key', defaultMode: 0o400 } },
          ],
        },
      },
    },
  };
}

/** A v1 List of one Job per server, as JSON (kubectl apply -f reads it). */
export function kubernetesManifests(manifest: LotManifest, sample: LotSample, servers: ServerWork[], options: KubernetesOptions): string {
  const withoutUuid = sample.sampled.filter((u) => !u.uuid);
  if (withoutUuid.length) throw new UsageError(`--scheduler kubernetes picks units by UUID; the manifest gives none for ${withoutUuid.slice(0, 10).map((u) => u.serial).join(', ')}`);
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: {}, items: servers.map((work) => serverJob(manifest, work, options)) }, null, 2) + '\n';
}
