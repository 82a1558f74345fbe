// The trace recorder against a real SQLite registry: batches land, a full queue drops and counts
// instead of waiting, sampling is counted, redaction happens before storage, a failing sink is retried
// and then counted as failed (a restarting database is waited for instead), and close writes what is queued.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Registry, type TraceRecord } from '../registry/index.js';
import { sampleTrace } from '../registry/traces.case.js';
import { Redactor, redactionRules } from './redaction.js';
import { TraceRecorder } from './trace-recorder.js';
import { WorkerTraceSink } from './worker-trace-sink.js';

const open = () =>
  Registry.open({ path: join(mkdtempSync(join(tmpdir(), 'promptune-recorder-')), 'r.sqlite') });
const traces = (count: number, prefix = 't') =>
  Array.from({ length: count }, (_, index) => sampleTrace({ id: `${prefix}-${index}`, at: 1000 + index }));
let recorder: TraceRecorder | undefined;
afterEach(async () => recorder?.close());

describe('TraceRecorder', () => {
  it('writes batches behind the caller and everything on close', async () => {
    const registry = await open();
    recorder = new TraceRecorder(registry.traces, { batchSize: 100, flushIntervalMs: 10 });
    for (const trace of traces(1234)) expect(recorder.record(trace)).toBe(true);
    expect(recorder.isQueued('t-5')).toBe(true);
    await recorder.close();
    expect(await registry.traces.count()).toBe(1234);
    expect(recorder.stats).toEqual({
      recorded: 1234,
      written: 1234,
      dropped: 0,
      sampledOut: 0,
      failed: 0,
      queued: 0,
    });
    expect(recorder.isQueued('t-5')).toBe(false);
    await registry.close();
  });

  it('writes from a worker thread into the same registry file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'promptune-recorder-')), 'r.sqlite');
    const registry = await Registry.open({ path });
    const sink = await WorkerTraceSink.start({ path });
    recorder = new TraceRecorder(sink, { batchSize: 250, flushIntervalMs: 10 });
    for (const trace of traces(1000, 'w')) recorder.record(trace);
    await recorder.close();
    await sink.close();
    expect(await registry.traces.count()).toBe(1000);
    expect((await registry.traces.get('w-999')).input).toEqual(sampleTrace().input);
    await expect(sink.insert(traces(1, 'late'))).rejects.toThrow(/closed/);
    await expect(WorkerTraceSink.start({ path: join(path, 'not-a-folder', 'r.sqlite') })).rejects.toThrow(
      /could not open the registry/,
    );
    await registry.close();
  });

  it('drops and counts what does not fit in the queue, and samples', async () => {
    const registry = await open();
    recorder = new TraceRecorder(registry.traces, { capacity: 10, flushIntervalMs: 60_000 });
    const accepted = traces(25).map((trace) => recorder!.record(trace));
    expect(accepted.filter(Boolean)).toHaveLength(10);
    expect(recorder.stats).toMatchObject({ dropped: 15, queued: 10 });
    await recorder.close();
    let draws = 0;
    recorder = new TraceRecorder(registry.traces, { sampleRate: 0.25, random: () => (draws++ % 4) / 4 });
    for (const trace of traces(40, 's')) recorder.record(trace);
    await recorder.close();
    expect(recorder.stats).toMatchObject({ recorded: 10, sampledOut: 30, written: 10 });
    expect(await registry.traces.count()).toBe(20);
    await registry.close();
  });

  it('redacts inputs, outputs, users and error messages before they are stored', async () => {
    const registry = await open();
    const redactor = new Redactor(redactionRules(['email', 'secret', 'order=/ORD-\\d+/']));
    recorder = new TraceRecorder(registry.traces, { redactor });
    recorder.record(
      sampleTrace({
        id: 'r',
        input: {
          messages: [{ role: 'user', content: 'mail bo@x.org about ORD-991, key sk-abcdefghijklmnopqrstuv' }],
        },
        output: 'sent to bo@x.org',
        user: 'bo@x.org',
        errorMessage: 'the input quotes bo@x.org',
      }),
    );
    await recorder.close();
    const stored = await registry.traces.get('r');
    expect(stored.errorMessage).toBe('the input quotes [REDACTED:email]');
    expect(stored.input).toEqual({
      messages: [
        { role: 'user', content: 'mail [REDACTED:email] about [REDACTED:order], key [REDACTED:secret]' },
      ],
    });
    expect(stored.output).toBe('sent to [REDACTED:email]');
    expect(stored.user).toBe('[REDACTED:email]');
    expect(() => redactionRules(['phonebook'])).toThrow(/not a redaction rule/);
    expect(() => redactionRules(['bad=/(/'])).toThrow(/not a valid regular expression/);
    await registry.close();
  });

  it('retries a failing sink, then counts the batch as failed without a tight loop', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const failing = {
      insert: async (_batch: readonly TraceRecord[]) => {
        calls++;
        throw new Error('database is gone');
      },
    };
    recorder = new TraceRecorder(failing, {
      flushIntervalMs: 60_000,
      onError: (error) => errors.push(error),
    });
    for (const trace of traces(5)) recorder.record(trace);
    await recorder.flush(); // first attempt: back to the queue
    expect(recorder.stats).toMatchObject({ queued: 5, failed: 0 });
    await recorder.flush();
    await recorder.flush(); // third attempt: given up
    expect(recorder.stats).toMatchObject({ queued: 0, failed: 5, written: 0 });
    expect(calls).toBe(3);
    expect(errors).toHaveLength(3);
  });

  it('keeps its batches through a database restart, however many writes it takes, and says so once', async () => {
    const registry = await open();
    let away = true;
    let calls = 0;
    const errors: unknown[] = [];
    const restarting = {
      insert: async (batch: readonly TraceRecord[]) => {
        calls++;
        // as node-postgres says it while the server restarts
        if (away)
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        await registry.traces.insert(batch);
      },
    };
    let now = 0;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      recorder = new TraceRecorder(restarting, {
        flushIntervalMs: 60_000,
        onError: (error) => errors.push(error),
      });
      for (const trace of traces(5)) recorder.record(trace);
      for (let second = 0; second < 6; second++) {
        await recorder.flush();
        await recorder.flush(); // within the same second: not tried again
        now += 1000;
      }
      // six tries in six seconds (one a second, not one a flush), all five traces kept, one error told
      expect(recorder.stats).toMatchObject({ queued: 5, failed: 0, written: 0 });
      expect(calls).toBe(6);
      expect(errors).toHaveLength(1);
      for (const trace of traces(3, 'later')) recorder.record(trace);
      away = false;
      await recorder.flush();
      expect(recorder.stats).toMatchObject({ queued: 0, failed: 0, written: 8 });
      expect(await registry.traces.count()).toBe(8);
    } finally {
      clock.mockRestore();
      await recorder?.close();
      recorder = undefined;
      await registry.close();
    }
  });

  it('flushes what was queued when asked, even while traces keep arriving', async () => {
    const slow = { insert: () => new Promise<void>((resolve) => setTimeout(resolve, 5)) };
    recorder = new TraceRecorder(slow, { flushIntervalMs: 60_000, batchSize: 10 });
    let arriving = 0;
    const traffic = setInterval(() => recorder!.record(sampleTrace({ id: `steady-${arriving++}` })), 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    recorder.record(sampleTrace({ id: 'awaited' }));
    await recorder.flush(); // returns although the queue never empties
    clearInterval(traffic);
    expect(recorder.isQueued('awaited')).toBe(false);
  });

  it('writes on close what a transient failure sent back to the queue, and refuses traces after', async () => {
    let calls = 0;
    const stored: string[] = [];
    const flaky = {
      insert: async (batch: readonly TraceRecord[]) => {
        if (calls++ === 0) throw new Error('busy');
        stored.push(...batch.map((trace) => trace.id));
      },
    };
    recorder = new TraceRecorder(flaky, { flushIntervalMs: 60_000 });
    for (const trace of traces(3, 'f')) recorder.record(trace);
    await recorder.close();
    expect(stored).toEqual(['f-0', 'f-1', 'f-2']);
    expect(recorder.record(sampleTrace({ id: 'late' }))).toBe(false);
    expect(recorder.stats).toMatchObject({ written: 3, failed: 0, queued: 0, dropped: 1 });
  });

  it('fails writes and still closes when its worker has died', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'promptune-recorder-')), 'r.sqlite');
    const sink = await WorkerTraceSink.start({ path });
    await (sink as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(sink.insert(traces(1, 'dead'))).rejects.toThrow(/stopped/);
    recorder = new TraceRecorder(sink, { flushIntervalMs: 60_000 });
    recorder.record(sampleTrace({ id: 'lost' }));
    await recorder.close(); // gives up after its attempts instead of hanging
    expect(recorder.stats).toMatchObject({ failed: 1, queued: 0 });
    await sink.close();
  });
});
