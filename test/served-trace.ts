// A trace as the service writes one for a request to a task's label, for tests that give experiments
// traffic without serving it: answered (200) unless the overrides say otherwise.
import type { TraceRecord } from '../src/registry/index.js';

/** A served trace of `version` for `user` on task `greet`'s production label; `overrides` win. */
export function servedTrace(
  id: string,
  version: string,
  user: string,
  overrides: Partial<TraceRecord> = {},
): TraceRecord {
  return {
    id,
    at: Date.now(),
    source: 'service',
    run: null,
    operation: 'chat',
    model: 'greet',
    task: 'greet',
    version,
    label: 'production',
    keyId: 'key-1',
    user,
    input: {},
    output: 'x',
    inputTokens: 1,
    outputTokens: 1,
    cost: null,
    latencyMs: 50,
    firstTokenMs: null,
    finishReason: 'stop',
    status: 200,
    errorCode: null,
    checks: null,
    ...overrides,
  };
}
