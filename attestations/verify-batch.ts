// Verifies many attestation files at once, split over worker threads (one per
// core): a lot or an audit campaign checks thousands of files.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UnreadableAttestationError } from './errors.js';
import { keyIdOf } from './keys.js';
import { statementContentSha256, verifyAttestationFile, type AttestationSummary } from './verify.js';

export interface FileVerdict {
  file: string;
  valid: boolean;
  /** Set when the file could not be read at all. */
  unreadable: boolean;
  keyids: string[];
  reasons: string[];
  summary: AttestationSummary | null;
  /** Hex SHA-256 of the decoded Statement (statementContentSha256): the forms of one attestation share it. */
  contentSha256: string | null;
}

export interface BatchJob {
  files: string[];
  trustedPem: string[];
  threshold: number;
}

/** Below this many files a worker pool costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 64;

export async function verifyFilesHere(job: BatchJob): Promise<FileVerdict[]> {
  const trusted = new Map<string, KeyObject>();
  for (const pem of job.trustedPem) {
    const key = createPublicKey(pem);
    trusted.set(keyIdOf(key), key);
  }
  const out: FileVerdict[] = [];
  for (const file of job.files) {
    try {
      const o = await verifyAttestationFile(file, trusted, job.threshold);
      out.push({ file, valid: o.valid, unreadable: false, keyids: o.keyids, reasons: o.reasons, summary: o.summary, contentSha256: o.statement ? statementContentSha256(o.statement) : null });
    } catch (error) {
      if (!(error instanceof UnreadableAttestationError)) throw error;
      out.push({ file, valid: false, unreadable: true, keyids: [], reasons: [error.message], summary: null, contentSha256: null });
    }
  }
  return out;
}

export async function verifyFiles(
  files: readonly string[],
  trusted: ReadonlyMap<string, KeyObject>,
  threshold: number,
  workers = availableParallelism(),
): Promise<FileVerdict[]> {
  const trustedPem = [...trusted.values()].map((k) => k.export({ type: 'spki', format: 'pem' }) as string);
  const count = Math.min(workers, Math.ceil(files.length / MIN_FILES_FOR_WORKERS));
  if (count <= 1) return verifyFilesHere({ files: [...files], trustedPem, threshold });
  // Interleaved slices keep the workers' loads even; results go back in input order.
  const slices = Array.from({ length: count }, (_, w) => files.filter((_, i) => i % count === w));
  const results = await Promise.all(
    slices.map(
      (slice) =>
        new Promise<FileVerdict[]>((resolve, reject) => {
          const worker = new Worker(new URL('./verify-worker.js', import.meta.url), {
            workerData: { files: slice, trustedPem, threshold } satisfies BatchJob,
          });
          worker.once('message', (verdicts: FileVerdict[]) => {
            resolve(verdicts);
            void worker.terminate();
          });
          worker.once('error', reject);
        }),
    ),
  );
  return files.map((_, i) => results[i % count]![Math.floor(i / count)]!);
}
