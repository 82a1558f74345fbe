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
  scopes: string; // comma-separated: read, run, admin
  rate_per_minute: number | null; // null: the service default
  created_at: string;
  revoked_at: string | null;
}

export interface RequestLogTable {
  id: Generated<number>;
  task: string;
  version: string;
  key_id: string | null;
  request: string; // JSON: the task input or messages
  response: string; // the output text
  latency_ms: number;
  at: string;
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
  request_logs: RequestLogTable;
}
