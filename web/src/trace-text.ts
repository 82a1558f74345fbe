// What a trace list row shows of a request: a chat request's last message (the text a person typed), a
// task run's input, and nothing for a body the service refused before reading it; and a trace's status,
// the HTTP status it ended with, toned as an error when it carries an error code.
import { text } from './format';

/** A chat message's content as text: a string, or its text parts joined. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((part) =>
        part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string'
          ? (part as { text: string }).text
          : '',
      )
      .filter(Boolean)
      .join(' ');
  return text(content);
}

/** A trace's input on one line: `{messages}` → the last message's text, else the input as text. */
export function traceInput(input: unknown): string {
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const messages = (input as { messages?: unknown }).messages;
    if (Array.isArray(messages) && messages.length > 0) {
      const last = messages[messages.length - 1] as { content?: unknown } | null;
      if (last && typeof last === 'object') return contentText(last.content);
    }
    const prompt = (input as { prompt?: unknown }).prompt;
    if (typeof prompt === 'string') return prompt;
  }
  return text(input);
}

/**
 * The status tag of a trace, as Status's props: its HTTP status, in the error tone when it has an error
 * code; a request that failed after its 200 was sent (a stream cut by an error) says so, not a bare 200.
 */
export function traceStatus(trace: { status: number; errorCode: string | null }): {
  value: string;
  tone: string;
} {
  if (trace.errorCode && trace.status < 400) return { value: `failed after ${trace.status}`, tone: 'error' };
  const value = String(trace.status);
  return { value, tone: trace.status >= 400 ? 'error' : value };
}
