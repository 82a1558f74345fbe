// The registry's tables as Kysely types. JSON is stored as text and booleans as 0/1 integers so
// SQLite and Postgres hold exactly the same values; times are ISO-8601 text.
import type { Generated } from 'kysely';

export interface TaskTable {
  name: string;
  description: string;
  spec: string; // the latest pushed task spec (canonical JSON)
  created_at: string;
}

export interface TaskSpecTable {
  id: string; // sha256 of the canonical spec: every spec a task was pushed with, stored once
  task: string;
  spec: string; // canonical JSON
  created_at: string;
}

export interface VersionTable {
  id: string; // sha256 of the canonical task, kind, content and spec id: the same prompt always gets the same id
  task: string;
  number: number; // 1, 2, ... per task, for people
  kind: 'hard' | 'soft';
  content: string; // JSON: hard {system, template, demos, generation}; soft {adapter, baseModel, tokenizer, ...}
  parent: string | null; // the version this one was derived from
  run: string | null; // JSON lineage: what produced it (optimizer or trainer, config, metrics, dataset ids)
  message: string;
  actor: string;
  created_at: string;
  spec_id: string; // the task spec it serves with (task_specs.id); the column allows null, no row has it
}

export interface LabelTable {
  task: string;
  label: string;
  version: string;
  protected: number; // 1: moving it needs the admin scope
  updated_at: string;
}

export interface LabelEventTable {
  id: Generated<number>;
  task: string;
  label: string;
  from_version: string | null;
  to_version: string;
  actor: string;
  reason: string;
  at: string;
  details: string | null; // JSON: the statistics an experiment's step was taken on
}

export interface DatasetTable {
  id: string; // sha256 of the file's bytes
  task: string;
  split: string;
  name: string;
  rows: number;
  blob: string; // sha256 key into blobs
  created_at: string;
}

export interface BlobTable {
  sha256: string;
  bytes: Uint8Array;
  size: number;
}

export interface AccessKeyTable {
  id: string; // the public part of a key (pt_<id>_<secret>)
  name: string;
  hash: string; // sha256 of the whole key; the key itself is never stored
  scopes: string; // comma-separated: read, run, review, admin
  rate_per_minute: number | null; // null: the service default
  created_at: string;
  revoked_at: string | null;
}

export interface TraceTable {
  id: string; // the response id the client got (chatcmpl-..., cmpl-..., run-...), or the run's call id
  at: number; // epoch milliseconds when the request arrived (bigint in Postgres, read back as a number)
  source: string; // service | eval | optimize
  run: string | null; // the evaluation or optimization run the call belongs to
  operation: string; // chat | text_completion | run
  model: string | null; // the model the request named (task@label)
  task: string | null; // null when the request failed before it named a served task
  version: string | null;
  label: string | null; // the label (or experiment arm) the version was reached through
  key_id: string | null;
  end_user: string | null; // OpenAI's `user` field (user is a reserved word in Postgres)
  input: string; // JSON, redacted: the request's messages, prompt or fields
  output: string | null; // redacted output text
  input_tokens: number;
  output_tokens: number;
  cost: number | null;
  latency_ms: number;
  first_token_ms: number | null; // streamed requests: time to the first text
  finish_reason: string | null;
  status: number; // HTTP status (or 200/500 for calls outside the service)
  error_code: string | null;
  error_message: string | null; // what the error said, without its hint
  checks: string | null; // JSON: the results of output checks
  confidence: number | null; // the engine's first-token log-probability margin
  sampling: string | null; // JSON TraceSampling: the settings the answer was generated with
}

export interface ScoreTable {
  id: string;
  trace_id: string;
  name: string;
  kind: string; // numeric | boolean | categorical
  value: number | null; // numeric value, or 1/0 for booleans
  category: string | null; // categorical value
  source: string; // feedback | evaluator | review | guard
  comment: string | null;
  correction: string | null; // JSON: the output the scorer says was right
  key_id: string | null;
  // copied from the trace so aggregates over windows need no join
  task: string | null;
  version: string | null;
  label: string | null;
  trace_at: number;
  at: number;
}

export interface GuardFailureTable {
  trace_id: string;
  validator: string; // a validator the trace's checks failed ('' for a failed check naming none)
}

export interface ScoreConfigTable {
  name: string;
  kind: string; // numeric | boolean | categorical
  minimum: number | null;
  maximum: number | null;
  categories: string | null; // JSON array
  description: string;
  created_at: string;
}

export interface AlertStateTable {
  rule: string;
  state: string; // ok | pending | firing
  since: number;
  value: number | null;
  count: number;
  evaluated_at: number;
  error: string | null;
}

export interface AlertEventTable {
  id: Generated<number>;
  rule: string;
  state: string; // firing | resolved
  value: number | null;
  count: number;
  threshold: number;
  severity: string;
  detail: string | null; // JSON
  at: number;
}

export interface RunTable {
  id: string;
  kind: string; // evaluation | optimization | soft-training | audit
  task: string;
  version: string | null;
  datasets: string; // JSON array of dataset ids
  status: string; // running | completed | failed | cancelled (interrupted is read from a stale heartbeat)
  config: string; // JSON
  summary: string | null; // JSON
  progress: string | null; // JSON {done, total, message?}
  actor: string;
  started_at: number; // epoch ms
  heartbeat_at: number;
  finished_at: number | null;
  error: string | null;
  retired: string | null; // JSON {actor, reason, at}: an audit an admin set aside, which no policy counts
}

export interface RunEntryTable {
  run: string;
  kind: string; // example | step | trial
  position: number;
  score: number | null;
  passed: number | null; // 0 or 1
  data: string; // JSON
}

export interface ReviewQueueTable {
  name: string;
  task: string;
  config: string; // JSON: rubric, reviews per item, reservation time, reviewers, rules
  actor: string;
  created_at: number;
}

export interface ReviewItemTable {
  id: string;
  queue: string;
  trace_id: string | null;
  reason: string; // the rule that queued it, or "manual"
  input: string; // JSON: the task input fields (as the trace stored them, redacted)
  output: string | null; // the output under review
  context: string; // JSON: version, label, checks, scores the reviewer sees beside it
  reviews_needed: number;
  reviews_done: number; // decisions other than skip
  reserved_by: string | null;
  reserved_until: number | null; // epoch ms
  created_at: number;
}

export interface ReviewDecisionTable {
  item: string;
  reviewer: string;
  decision: string; // approve | correct | reject | skip
  correction: string | null; // JSON: the corrected output
  rubric: string; // JSON: score by rubric item
  comment: string | null;
  at: number;
  first_at: number | null; // when the reviewer first decided the item (null only if a write predates it)
}

export interface DatasetVersionTable {
  task: string;
  number: number; // 1, 2, ... per task
  splits: string; // JSON: dataset id by split
  parent: number | null;
  source: string; // files | review:<queue>
  message: string;
  details: string; // JSON: what the version added
  actor: string;
  created_at: number;
}

export interface ExperimentTable {
  id: string;
  task: string;
  label: string; // the label whose traffic is split
  control: string; // version id the label pointed at when the experiment started
  treatment: string; // version id under test
  status: string; // running | promoted | rolled-back | stopped | inconclusive
  weight: number; // the treatment's share of the label's traffic now (0 once finished)
  config: string; // JSON: metrics, schedule, test options
  state: string; // JSON: the canary's step, its start, the always-valid p-values
  revision: number; // bumped by every write: a look decided on an older revision is not applied
  reason: string; // why it is where it is (the last decision's reason)
  actor: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface ExperimentEventTable {
  id: Generated<number>;
  experiment: string;
  at: number;
  action: string; // start | hold | advance | promote | rollback | stop | conclude
  weight: number; // the treatment's share after the action
  reason: string;
  statistics: string | null; // JSON: arm metrics, test results, sample-ratio check
}

export interface JobTable {
  id: string;
  kind: string; // the command: eval | optimize | soft | audit
  args: string; // JSON: the command's arguments, as given to promptune
  cwd: string; // the folder it runs in (its files and journals are there)
  queue: string; // registry (claimed from this table) | redis (dispatched by BullMQ)
  status: string; // queued | running | completed | failed | cancelled
  attempts: number; // runs started so far
  max_attempts: number;
  worker: string | null; // who holds it
  lease_until: number | null; // a running job whose lease lapsed is taken again (its worker died)
  cancel_requested: number; // 1: the worker stops it at its next heartbeat
  log: string; // the tail of its output
  result: string | null; // JSON: exit status, the run ids it recorded
  error: string | null;
  actor: string;
  created_at: number;
  started_at: number | null;
  heartbeat_at: number | null;
  finished_at: number | null;
}

export interface RegistryDatabase {
  tasks: TaskTable;
  task_specs: TaskSpecTable;
  versions: VersionTable;
  labels: LabelTable;
  label_events: LabelEventTable;
  datasets: DatasetTable;
  blobs: BlobTable;
  access_keys: AccessKeyTable;
  traces: TraceTable;
  scores: ScoreTable;
  guard_failures: GuardFailureTable;
  score_configs: ScoreConfigTable;
  alert_states: AlertStateTable;
  alert_events: AlertEventTable;
  runs: RunTable;
  run_entries: RunEntryTable;
  review_queues: ReviewQueueTable;
  review_items: ReviewItemTable;
  review_decisions: ReviewDecisionTable;
  dataset_versions: DatasetVersionTable;
  experiments: ExperimentTable;
  experiment_events: ExperimentEventTable;
  jobs: JobTable;
}
