// The trace list's summary of a request and its status tag.
import { describe, expect, it } from 'vitest';
import { traceInput, traceStatus } from './trace-text';

describe('traceInput', () => {
  it("shows a chat request's last message, a completion's prompt, a run's input, and nothing for none", () => {
    const chat = {
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Which animal?' },
      ],
    };
    expect(traceInput(chat)).toBe('Which animal?');
    const parts = {
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'a' }, { type: 'image' }, { type: 'text', text: 'b' }],
        },
      ],
    };
    expect(traceInput(parts)).toBe('a b');
    expect(traceInput({ prompt: 'Once upon' })).toBe('Once upon');
    expect(traceInput('a story')).toBe('a story');
    expect(traceInput({ story: 'a', question: 'b' })).toBe('{"story":"a","question":"b"}');
    expect(traceInput({ messages: [] })).toBe('{"messages":[]}');
    expect(traceInput(null)).toBe('');
  });
});

describe('traceStatus', () => {
  it('gives the HTTP status, toned as an error when the trace has an error code or a 4xx/5xx status', () => {
    expect(traceStatus({ status: 200, errorCode: null })).toEqual({ value: '200', tone: '200' });
    expect(traceStatus({ status: 404, errorCode: 'REGISTRY_NO_VERSION' })).toEqual({
      value: '404',
      tone: 'error',
    });
    expect(traceStatus({ status: 503, errorCode: null })).toEqual({ value: '503', tone: 'error' });
  });
  it('says a request failed after its 200 (a stream cut by an error) instead of a bare 200', () => {
    expect(traceStatus({ status: 200, errorCode: 'ENGINE_FAILED' })).toEqual({
      value: 'failed after 200',
      tone: 'error',
    });
  });
});
