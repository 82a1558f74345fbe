// Public surface of jobs: long work (evaluations, optimizations, soft-prompt training, audits) run as
// promptune commands by workers, from the registry's own queue (the embedded default) or from BullMQ on
// Redis (scale-out), each attempt's output and lease kept in the registry, and a worker killed mid-job
// replaced by another that resumes the command from its journals.
export { jobCommands, jobKind } from './job-commands.js';
export { runJob, type RunJobOptions } from './run-job.js';
export { RegistryJobWorker, workerName, type JobWorkerOptions } from './registry-worker.js';
export { bullQueueName, dispatchToBull, startBullWorker, type BullWorkerOptions } from './bull-queue.js';
export { submitJob } from './submit-job.js';
