// Verifies many signed documents at once, split over worker threads (one per
// core): a lot or an audit campaign checks thousands of files. Each file goes
// through the one verification, whatever its kind.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UnreadableAttestationError } from '../../attestations/errors.js';
import { keyIdOf } from '../../attestations/keys.js';
import { encodeStatement, sha256Hex } from '../../attestations/statement.js';
import { verifyDocumentFile, type DocumentKind, type DocumentVerification } from './document.js';

export interface FileVerdict {
  file: string;
  kind: DocumentKind | null;
  valid: boolean;
  /** Set when the file could not be read at all. */
  unreadable: boolean;
  keyids: string[];
  reasons: string[];
  summary: DocumentVerification['summary'];
  /** Hex SHA-256 of the decoded Statement's canonical protobuf: every form of one attestation has the same. */
  contentSha256: string | null;
}

/** The digest the forms of one attestation share (null for other documents). */
export function statementContentSha256(o: Pick<DocumentVerification, 'statement'>): string | null {
  return o.statement ? sha256Hex(encodeStatement(o.statement)) : null;
}

export interface BatchJob {
  files: string[];
  trustedPem: string[];
  threshold: number;
}

/** Below this many files a worker pool costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 64;

export function verifyFilesHere(job: BatchJob): FileVerdict[] {
  const keys = new Map<string, KeyObject>();
  for (const pem of job.trustedPem) {
    const key = createPublicKey(pem);
    keys.set(keyIdOf(key), key);
  }
  return job.files.map((file) => {
    try {
      const o = verifyDocumentFile(file, { keys, threshold: job.threshold });
      return { file, kind: o.kind, valid: o.valid, unreadable: false, keyids: o.signatures.keyids, reasons: o.reasons, summary: o.summary, contentSha256: statementContentSha256(o) };
    } catch (error) {
      if (!(error instanceof UnreadableAttestationError)) throw error;
      return { file, kind: null, valid: false, unreadable: true, keyids: [], reasons: [error.message], summary: null, contentSha256: null };
    }
  });
}

export async function verifyFiles(
  files: readonly string[],
  trusted: ReadonlyMap<string, KeyObject>,
  threshold: number,
  workers = availableParallelism(),
  minFilesPerWorker = MIN_FILES_FOR_WORKERS,
): Promise<FileVerdict[]> {
  const trustedPem = [...trusted.values()].map((k) => k.export({ type: 'spki', format: 'pem' }) as string);
  const count = Math.min(workers, Math.ceil(files.length / minFilesPerWorker));
  if (count <= 1) return verifyFilesHere({ files: [...files], trustedPem, threshold });
  // Interleaved slices keep the workers' loads even; results go back in input order.
  const slices = Array.from({ length: count }, (_, w) => files.filter((_, i) => i % count === w));
  const results = await Promise.all(
    slices.map(
      (slice) =>
        new Promise<FileVerdict[]>((resolve, reject) => {
          const worker = new Worker(new URL('./worker.js', import.meta.url), {
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
