// What the service's JSON holds, as far as the dashboard reads it (see GET /openapi.json).

export interface Me {
  name: string;
  scopes: string[];
}

export interface TaskSummary {
  name: string;
  description: string;
  versions: number;
  /** Label name to version number. */
  labels: Record<string, number>;
}

export interface TaskDetail {
  spec: { name: string; description?: string; input: { fields: string[] }; output: { kind: string } };
  labels: { label: string; version: string; protected: boolean; updatedAt: string }[];
}

export interface Version {
  id: string;
  task: string;
  number: number;
  kind: 'hard' | 'soft';
  /** The method in words ("hard prompt", "soft prompt", "LoRA", "prefix", "P-tuning", "multitask prompt"). */
  method?: string;
  content: Record<string, unknown>;
  parent: string | null;
  run: Record<string, unknown> | null;
  message: string;
  actor: string;
  createdAt: string;
  /** The task spec it serves with (GET /v1/tasks/{task}/specs/{specId}). */
  specId: string;
  /** Why the service showing it cannot run it (an adapter trained on other weights), when it cannot. */
  notServed?: string;
  /** For each label an audit policy guards, whether moving it here would pass (one version's read only). */
  auditPolicy?: PolicyVerdict[];
}

/** The parts of a task spec beside the prompt that change what a version answers. */
export interface ServingSpec {
  name: string;
  output: { kind: string; labels?: string[]; schema?: unknown };
  guards?: { input?: unknown[]; output?: unknown[]; maxReasks?: number; refrain?: string };
  decoding?: unknown;
  /** What a soft version generates with (a hard version carries its own in its content). */
  generation?: unknown;
}

/** The audit policy gate's verdict on moving one label to a version, read without moving it. */
export interface PolicyVerdict {
  label: string;
  met: boolean;
  failures: string[];
  counted: string[];
  notCounted: string[];
  heldByIncumbent: boolean;
  /** The label points at this version now. */
  current: boolean;
}

export interface LabelEvent {
  id: number;
  label: string;
  from: string | null;
  to: string;
  actor: string;
  reason: string;
  at: string;
}

export interface Dataset {
  id: string;
  split: string;
  name: string;
  rows: number;
  createdAt: string;
}

/** A numbered version of a task's dataset (GET /v1/tasks/{name}/dataset-versions). */
export interface DatasetVersion {
  task: string;
  number: number;
  splits: Record<string, string>;
  parent: number | null;
  source: string;
  message: string;
  details: { added?: Record<string, number>; duplicates?: number; held?: number };
  actor: string;
  createdAt: number;
}

export interface DatasetRow {
  index: number;
  line: number;
  fields: Record<string, unknown>;
  target: unknown;
  id: string;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface Run {
  id: string;
  kind: 'evaluation' | 'optimization' | 'soft-training' | 'audit' | 'loop' | 'comparison';
  task: string;
  version: string | null;
  datasets: string[];
  status: RunStatus;
  config: Record<string, unknown>;
  summary: Record<string, unknown> | null;
  progress: { done: number; total: number | null; message?: string } | null;
  actor: string;
  startedAt: number;
  heartbeatAt: number;
  finishedAt: number | null;
  error: string | null;
  /** Set aside by an admin with a reason: no audit policy counts it. */
  retired?: { actor: string; reason: string; at: number };
}

export interface RunEntry {
  kind: string;
  position: number;
  score: number | null;
  passed: boolean | null;
  data: Record<string, unknown>;
}

export interface Page<T> {
  data: T[];
  next?: string | number;
}

export interface Trace {
  id: string;
  at: number;
  source: string;
  run: string | null;
  operation: string;
  model: string | null;
  task: string | null;
  version: string | null;
  label: string | null;
  user: string | null;
  input: unknown;
  output: string | null;
  inputTokens: number;
  outputTokens: number;
  cost: number | null;
  latencyMs: number;
  firstTokenMs: number | null;
  finishReason: string | null;
  status: number;
  errorCode: string | null;
  /** What the error said, without its hint (null for traces from before it was kept). */
  errorMessage?: string | null;
  /** The API key that sent the request (its id). */
  keyId?: string | null;
  checks: unknown;
  /** The local engine's first-token log-probability margin over the runner-up (null: not the engine). */
  confidence: number | null;
  /** The settings the answer was generated with (absent or null on traces written before they were kept). */
  sampling?: {
    temperature: number;
    topP: number | null;
    topK: number | null;
    maxTokens: number;
    seed: number;
  } | null;
  scores?: {
    name: string;
    value: number | null;
    category?: string | null;
    source: string;
    comment?: string | null;
  }[];
}

export interface MonitorGroup {
  task: string | null;
  version: string | null;
  label: string | null;
  requests: number;
  errors: Record<string, number>;
  errorRate: number;
  latencyMs: { p50: number; p95: number; p99: number } | null;
  tokens: { input: number; output: number };
  cost: number | null;
  scores: Record<string, { kind: string; count: number; mean?: number; low?: number; high?: number }>;
  series: {
    start: number;
    requests: number;
    errors: number;
    latencyP50: number | null;
    latencyP95: number | null;
    latencyP99: number | null;
    cost: number | null;
    scores: Record<string, { mean: number; count: number }>;
  }[];
}

export interface MonitorReport {
  since: number;
  until: number;
  window: string;
  groups: MonitorGroup[];
}

/** One rubric question of a review queue. */
export interface RubricItem {
  name: string;
  kind: 'numeric' | 'boolean' | 'categorical';
  minimum?: number;
  maximum?: number;
  categories?: string[];
}

/** What a reviewer decided about an item. */
export type ReviewDecisionKind = 'approve' | 'correct' | 'reject' | 'skip';

/** A rubric answer. */
export type RubricValue = number | boolean | string;

/** Each reviewer's decisions on a queue, by kind. */
export type ReviewerCounts = Record<string, Partial<Record<ReviewDecisionKind, number>>>;

/** How far a queue is: its items, those fully reviewed, and each reviewer's decisions. */
export interface ReviewProgress {
  items: number;
  reviewed: number;
  reviewers: ReviewerCounts;
}

/** A review queue as a reviewer sees it (GET /v1/review/queues), with the key's own count (`mine`). */
export interface ReviewQueue {
  name: string;
  task: string;
  actor: string;
  createdAt: number;
  reviewsPerItem: number;
  reservationMs: number;
  rubric: RubricItem[];
  /** Key names that may review (empty: any reviewer). */
  reviewers: string[];
  rules: Record<string, unknown>[];
  progress: ReviewProgress & { mine: number };
}

/** An item in a queue: its input and output as stored, why it was queued, what is shown beside it. */
export interface ReviewItem {
  id: string;
  queue: string;
  traceId: string | null;
  reason: string;
  input: unknown;
  output: string | null;
  context: Record<string, unknown>;
  reviewsNeeded: number;
  reviewsDone: number;
  reservedBy: string | null;
  reservedUntil: number | null;
  createdAt: number;
}

/** What a task answers in: what a correction must be. */
export type TaskOutput =
  { kind: 'text' } | { kind: 'label'; labels: string[] } | { kind: 'json'; schema: Record<string, unknown> };

/** A decided item like the one under review, with its decisions. */
export interface SimilarDecision {
  item: string;
  similarity: number;
  input: unknown;
  output: string | null;
  decisions: { reviewer: string; decision: ReviewDecisionKind; correction?: unknown; at: number }[];
}

/** An item with everything shown beside it (POST /v1/review/queues/{name}/next). */
export interface ReviewItemView {
  item: ReviewItem;
  task: { name: string; output: TaskOutput };
  trace: Trace | null;
  version: Pick<Version, 'id' | 'number' | 'kind' | 'content' | 'message'> | null;
  similar: SimilarDecision[];
  /** The item's own decisions: given to an admin (settling a disagreement) only. */
  decisions?: {
    reviewer: string;
    decision: ReviewDecisionKind;
    correction?: unknown;
    comment?: string;
    at: number;
  }[];
}

/** A stored decision. */
export interface ReviewDecision {
  item: string;
  reviewer: string;
  decision: ReviewDecisionKind;
  correction?: unknown;
  rubric: Record<string, RubricValue>;
  comment?: string;
  at: number;
}

/** An agreement statistic with its 95% interval; null when the data cannot give it, and why. */
export interface AgreementEstimate {
  statistic: 'cohen-kappa' | 'krippendorff-alpha';
  value: number | null;
  interval: [number, number] | null;
  items: number;
  reason?: string;
  /** The share of agreeing pairs of ratings (nominal statistics). */
  observed?: number | null;
}

/** A queue's agreement report (GET /v1/review/queues/{name}/agreement). */
export interface QueueAgreement {
  queue: string;
  reviewers: string[];
  /** On the answer each decision names (the output approved, a correction, none for a rejection). */
  answer?: AgreementEstimate;
  decision: AgreementEstimate;
  rubric: Record<string, AgreementEstimate>;
  progress: ReviewProgress;
}

/** A traffic experiment between a label's version (control) and a version under test (treatment). */
export interface Experiment {
  id: string;
  task: string;
  label: string;
  control: string;
  treatment: string;
  status: 'running' | 'promoted' | 'rolled-back' | 'stopped' | 'inconclusive';
  /** The treatment's share of the label's traffic now. */
  weight: number;
  config: {
    primary: string;
    guardrails: string[];
    schedule: { weight: number; minimumDurationMs: number; minimumRequests: number }[];
    promoteWhen: 'better' | 'no-harm';
    /** With no-harm (absent from experiments started before it existed, which are read with 0.05). */
    margin?: number;
    alpha: number;
  };
  reason: string;
  actor: string;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** An always-valid test's state after a look (null bounds: not yet bounded). */
export interface ExperimentTest {
  difference: number;
  pValue: number;
  interval: [number | null, number | null];
  decision: 'treatment-better' | 'treatment-worse' | 'continue';
}

/** One arm as a look saw it. */
export interface ExperimentArm {
  version: string;
  requests: number;
  /** Requests since the step began (absent in looks stored by older releases). */
  stepRequests?: number;
  stepUnits: number;
  primary: { n: number; mean: number };
  guardrails: Record<string, { n: number; mean: number }>;
}

/** What a look decided on. */
export interface ExperimentStatistics {
  arms: { control: ExperimentArm; treatment: ExperimentArm };
  primary: ExperimentTest;
  guardrails: Record<string, ExperimentTest>;
  sampleRatio: { chiSquare: number; pValue: number; mismatch: boolean };
  step: number;
}

/** A stored look, start or stop. */
export interface ExperimentEvent {
  id: number;
  at: number;
  action: 'start' | 'hold' | 'advance' | 'promote' | 'rollback' | 'stop' | 'conclude';
  weight: number;
  reason: string;
  statistics?: ExperimentStatistics;
}

/** A job: a promptune command run by a worker, with the tail of its output. */
export interface Job {
  id: string;
  kind: string;
  args: string[];
  cwd: string;
  queue: 'registry' | 'redis';
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  attempts: number;
  maxAttempts: number;
  worker: string | null;
  cancelRequested: boolean;
  log: string;
  /** The exit status, and the runs its command recorded (with --push). */
  result: { exitCode?: number | null; runs?: string[] } | null;
  error: string | null;
  actor: string;
  createdAt: number;
  startedAt: number | null;
  heartbeatAt: number | null;
  finishedAt: number | null;
}

/** A job as the list gives it: without its output. */
export type JobSummary = Omit<Job, 'log'>;
