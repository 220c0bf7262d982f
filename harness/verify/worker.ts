// Worker thread of verifyFiles: verifies its slice and posts the verdicts back.
import { parentPort, workerData } from 'node:worker_threads';
import { verifyFilesHere, type BatchJob } from './batch.js';

parentPort?.postMessage(verifyFilesHere(workerData as BatchJob));
