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
  content: Record<string, unknown>;
  parent: string | null;
  run: Record<string, unknown> | null;
  message: string;
  actor: string;
  createdAt: string;
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
  kind: 'evaluation' | 'optimization' | 'soft-training';
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
  checks: unknown;
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
