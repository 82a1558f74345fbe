// What a trace's request gave as the task input, read back from the stored request body: a typed run's
// fields, or the text of the last user message or of the completion prompt; and those as a task's
// fields. One reading for drift, correction metrics, the judge and the CLI. It does not render prompts.
import type { TraceRecord } from '../registry/index.js';
import type { TaskSpec } from '../tasks/index.js';

type StoredBody = { messages?: { role: string; content: unknown }[]; prompt?: unknown } | null;

/** The task input of a trace, before any spec reads it: a typed run's fields (an object), else text. */
export function traceInput(
  trace: Pick<TraceRecord, 'input' | 'operation'>,
): Record<string, unknown> | string {
  const input = trace.input as StoredBody;
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  if (trace.operation === 'run')
    return input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : text(input);
  if (trace.operation === 'text_completion') return text(input?.prompt ?? '');
  const content = input?.messages?.filter((message) => message.role === 'user').at(-1)?.content;
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? content.map((part: { text?: string }) => part.text ?? '').join('') : '';
}

/** The task input fields a trace carried (a multi-field task's chat message holds them as JSON). */
export function traceFields(
  spec: TaskSpec,
  trace: Pick<TraceRecord, 'input' | 'operation'>,
): Record<string, unknown> {
  const input = traceInput(trace);
  if (typeof input !== 'string') return input;
  if (spec.input.fields.length > 1) {
    try {
      const parsed: unknown = JSON.parse(input);
      if (parsed !== null && typeof parsed === 'object') return parsed as Record<string, unknown>;
    } catch {
      // not JSON: the text as the first field
    }
  }
  return { [spec.input.fields[0]]: input };
}
