// The registry's tables as Kysely types. JSON is stored as text and booleans as 0/1 integers so
// SQLite and Postgres hold exactly the same values; times are ISO-8601 text.
import type { Generated } from 'kysely';

export interface TaskTable {
  name: string;
  description: string;
  spec: string; // the task spec (JSON)
  created_at: string;
}

export interface VersionTable {
  id: string; // sha256 of the canonical content: the same prompt always gets the same id
  task: string;
  number: number; // 1, 2, ... per task, for people
  kind: 'hard' | 'soft';
  content: string; // JSON: hard {system, template, demos, generation}; soft {adapter, baseModel, tokenizer, ...}
  parent: string | null; // the version this one was derived from
  run: string | null; // JSON lineage: what produced it (optimizer or trainer, config, metrics, dataset ids)
  message: string;
  actor: string;
  created_at: string;
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

export interface RegistryDatabase {
  tasks: TaskTable;
  versions: VersionTable;
  labels: LabelTable;
  label_events: LabelEventTable;
  datasets: DatasetTable;
  blobs: BlobTable;
}
