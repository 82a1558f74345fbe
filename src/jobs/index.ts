// Public surface of jobs: long work (evaluations, optimizations, soft-prompt training, audits, the
// closed loop) run as promptune commands by workers, from the registry's own queue (the embedded
// default) or from BullMQ on Redis (scale-out), each attempt's output and lease kept in the registry, and
// a worker killed mid-job replaced by another that resumes the command from its journals. The closed
// loop: reviewed corrections (or an alert, or a schedule) → a re-tune → an offline gate → a canary.
export { jobCommands, jobKind } from './job-commands.js';
export { runJob, promptuneCli, type RunJobOptions } from './run-job.js';
export { RegistryJobWorker, workerName, type JobWorkerOptions } from './registry-worker.js';
export { dispatchToBull, openBullQueue, startBullWorker } from './bull-entry.js';
export { bullQueueName } from './bull-queue-name.js';
export { checkedRedisUrl } from './redis-url.js';
export type { BullWorkerOptions, OpenQueue } from './bull-queue.js';
export { submitJob } from './submit-job.js';
export {
  loopPolicySchema,
  readLoopPolicy,
  gateAudits,
  type LoopPolicy,
  type LoopPolicyFile,
} from './loop-policy.js';
export { loopTriggers, latestLoopRun, type LoopTriggers } from './loop-triggers.js';
export { gateDecision, runGate, type GateResult } from './loop-gate.js';
export {
  runLoopIteration,
  unfinishedLoop,
  checkLoopPolicy,
  checkLoopReady,
  loopRunningError,
  type LoopOptions,
  type LoopOutcome,
} from './loop-iteration.js';
export { loopSteps, type LoopStepData } from './loop-steps.js';
export { retuneMethod, type RetuneMethod } from './loop-retune.js';
export { earlierCandidate, retuneBasis, retuneSettings, type EarlierCandidate } from './loop-reuse.js';
export { loopStepRunner, type LoopStepRunner, type StepResult } from './run-loop-step.js';
