// What a fleet run needs from a batch scheduler: submit one exclusive job per
// server, read a job's state, release a requeued job, cancel one. Slurm
// implements it (slurm.ts); Kubernetes is printed, not run (kubernetes.ts).

export interface ServerJobRequest {
  /** The server (a scheduler node name) whose sampled units the job measures. */
  host: string;
  /** Accelerators to hold on that server: all of them, so nothing else runs beside the measurement. */
  gpus: number;
  name: string;
  /** The job's script file (shell), which runs `tppverify lot run-server`. */
  script: string;
  /** Where the job's own output goes. */
  logFile: string;
  /** The folder the job runs in. */
  workDir: string;
}

/** A job's state as the scheduler reports it. */
export interface JobStatus {
  id: string;
  /** The scheduler's own state name (Slurm: PENDING, RUNNING, COMPLETED, FAILED, NODE_FAIL, …). */
  state: string;
  reason: string;
  /** Times the scheduler requeued the job (node failure, preemption). */
  restarts: number;
  /** "code:signal" as the scheduler reports it. */
  exitCode: string;
  /** No further change will come: the job finished, failed or was cancelled. */
  final: boolean;
  /** Held after a requeue until released (Slurm holds requeued jobs about two minutes: Reason=BeginTime). */
  heldAfterRequeue: boolean;
  /** The scheduler no longer knows the job (purged after it ended). */
  unknown: boolean;
}

export interface Scheduler {
  readonly name: string;
  submit(job: ServerJobRequest): Promise<string>;
  status(id: string): Promise<JobStatus>;
  /** Lets a requeued job start now instead of after the scheduler's hold. */
  release(id: string): Promise<void>;
  cancel(id: string): Promise<void>;
}
