// Stored traces for the benchmarks that read them (bench:observe, bench:web): four tasks, three
// versions, two labels, seven keys, 2% errors, seeded latencies.
import { seededRandom } from '../src/engine/index.js';
import type { TraceRecord } from '../src/registry/index.js';

const random = seededRandom(1);
const taskNames = ['name', 'animal', 'gender', 'support'];
/** The index-th synthetic service trace, at `at` (epoch ms). */
export function syntheticTrace(index: number, at: number): TraceRecord {
  const task = taskNames[index % taskNames.length];
  const failed = random() < 0.02;
  return {
    id: `bench-${index}`,
    at,
    source: 'service',
    run: null,
    operation: 'chat',
    model: task,
    task,
    version: `${task}-v${index % 3}`.padEnd(64, '0'),
    label: index % 3 === 0 ? 'canary' : 'production',
    keyId: `key${index % 7}`,
    user: null,
    input: {
      messages: [
        { role: 'user', content: `Once upon a time there was a story number ${index} about a cat.` },
      ],
    },
    output: ' Lily',
    inputTokens: 40 + (index % 60),
    outputTokens: 2,
    cost: null,
    latencyMs: 3 + random() * 40,
    firstTokenMs: null,
    finishReason: failed ? null : 'stop',
    status: failed ? 400 : 200,
    errorCode: failed ? 'CONTEXT_OVERFLOW' : null,
    checks: null,
    confidence: null,
  };
}
