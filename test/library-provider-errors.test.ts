// Code that uses promptune as a library gets a model provider's failures as coded errors, as the CLI
// prints them: evaluate and the optimizers throw a ProviderError (a code, a hint, the AI SDK's error as
// its cause) rather than the AI SDK's bare APICallError, which has neither. Through the package's
// entry points, as a user's code imports them; scripted models fail on cue, and one real address
// refuses connections.
import { APICallError, type LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, makeOptimizer, presets, ProviderError, resolveModel } from '../src/index.js';
import { proposeOptimizer } from '../src/optimize/index.js';
import { ScriptedLanguageModel, ScriptedTeacher } from './scripted-model.js';
import { scripted, sumExamples, sumsTask } from './sums-task.js';

const state = () => mkdtempSync(join(tmpdir(), 'promptune-provider-errors-'));

/** A teacher whose every request the provider refuses (HTTP 400), as the AI SDK reports it. */
class RefusingTeacher extends ScriptedTeacher {
  constructor() {
    super('INSTRUCTION: add the two numbers');
  }

  override async doGenerate(_options: LanguageModelV3CallOptions): Promise<never> {
    this.calls++;
    throw new APICallError({
      message: 'model "gpt-nothing" does not exist',
      url: 'http://127.0.0.1:1/v1/chat/completions',
      requestBodyValues: {},
      statusCode: 400,
    });
  }
}

/** An OpenAI-compatible address on this machine where nothing listens (a port taken, then freed). */
async function refusedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('library errors from a model provider', () => {
  it('evaluate on a server nothing answers is UPSTREAM_UNREACHABLE, with a hint and the AI SDK error as cause', async () => {
    const model = await resolveModel(`openai-compatible:${await refusedAddress()}#nothing`);
    const error = await rejection(
      evaluate({
        task: sumsTask,
        split: 'dev',
        examples: sumExamples(0, 3),
        model,
        retries: 0,
        stateDirectory: state(),
      }),
    );
    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNREACHABLE' });
    expect((error as ProviderError).hint).toContain('Run it again to resume');
    expect(APICallError.isInstance((error as ProviderError).cause)).toBe(true);
  });

  it('an optimizer whose student cannot be reached is UPSTREAM_UNREACHABLE too', async () => {
    const student = await resolveModel(`openai-compatible:${await refusedAddress()}#nothing`);
    const error = await rejection(
      makeOptimizer('bootstrap', presets.light).optimize(sumsTask, {
        student,
        train: sumExamples(0, 6),
        dev: sumExamples(10, 6),
        budget: { student: { calls: 40 } },
        stateDirectory: state(),
      }),
    );
    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNREACHABLE' });
  });

  it('a teacher the provider refuses (its calls are no evaluation) is UPSTREAM_ERROR with its status', async () => {
    const teacher = new RefusingTeacher();
    const error = await rejection(
      proposeOptimizer().optimize(sumsTask, {
        student: scripted(new ScriptedLanguageModel()),
        teacher: scripted(teacher),
        train: sumExamples(0, 6),
        dev: sumExamples(10, 6),
        budget: { total: { calls: 200 } },
        stateDirectory: state(),
      }),
    );
    expect(teacher.calls).toBeGreaterThan(0);
    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect((error as ProviderError).message).toContain('HTTP 400');
    expect((error as ProviderError).message).toContain('does not exist');
  });
});
