// Code that uses promptune as a library gets the machine's failures as coded errors, as the CLI prints
// them: a registry, an adapter folder, an evaluation's journal, a response cache or a training's folder
// under a file, a port already taken. Each through the package's entry points, as a user's code
// imports them.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/engine/index.js';
import { ResponseCache } from '../src/eval/index.js';
import {
  EnvironmentError,
  evaluate,
  initSoftPrompt,
  listen,
  loadModel,
  loadSplit,
  loadTask,
  PromptuneError,
  Registry,
  resolveModel,
  saveAdapter,
  trainSoftPrompt,
} from '../src/index.js';
import { repositoryRoot, stories } from './models.js';
import { nameExamples } from './name-examples.js';

/** A folder holding a plain file `file`: any path under it cannot be made. */
function fileInTheWay(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'promptune-environment-')), 'file');
  writeFileSync(file, 'not a folder');
  return file;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('library errors from the machine', () => {
  it('Registry.open under a file is PATH_NOT_A_FOLDER, with a hint and the system error as cause', async () => {
    const error = await rejection(Registry.open({ path: join(fileInTheWay(), 'registry.sqlite') }));
    expect(EnvironmentError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'PATH_NOT_A_FOLDER', cause: { code: 'ENOTDIR' } });
    expect((error as PromptuneError).hint).toBeTruthy();
  });

  it('Registry.open given both a SQLite path and a Postgres url refuses, opening neither', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'promptune-both-')), 'registry.sqlite');
    const refused = await rejection(Registry.open({ path, url: 'postgres://127.0.0.1:1/promptune' }));
    expect(refused).toMatchObject({ code: 'REGISTRY_BAD_LOCATION' });
    expect(existsSync(path)).toBe(false); // the url had been used and the path silently ignored
  });

  it('Registry.open on a file that is not a database is REGISTRY_NOT_A_DATABASE', async () => {
    const file = fileInTheWay();
    writeFileSync(file, 'x'.repeat(4096));
    expect(await rejection(Registry.open({ path: file }))).toMatchObject({
      code: 'REGISTRY_NOT_A_DATABASE',
    });
  });

  it('saveAdapter under a file is PATH_NOT_A_FOLDER', async () => {
    const { model, tokenizer } = await loadModel(stories.gguf);
    const prompt = initSoftPrompt(model, tokenizer, 4, { kind: 'sample-vocab' }, seededRandom(0));
    let error: unknown;
    try {
      saveAdapter(join(fileInTheWay(), 'adapter'), prompt, model, { baseModelName: 'stories260K' });
    } catch (caught) {
      error = caught;
    }
    expect(EnvironmentError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'PATH_NOT_A_FOLDER' });
  });

  it('an evaluation journalled, a response cache, and a training saved under a file are PATH_NOT_A_FOLDER', async () => {
    const task = loadTask(join(repositoryRoot, 'examples', 'animal.yaml'));
    const examples = loadSplit(task, 'dev').slice(0, 2);
    const model = await resolveModel(`local:${stories.gguf}`);
    const journalled = await rejection(
      evaluate({ task, split: 'dev', examples, model, stateDirectory: join(fileInTheWay(), 'state') }),
    );
    expect(EnvironmentError.isInstance(journalled)).toBe(true);
    expect(journalled).toMatchObject({ code: 'PATH_NOT_A_FOLDER', cause: { code: 'ENOTDIR' } });
    const caught = (work: () => unknown) => {
      try {
        work();
      } catch (error) {
        return error;
      }
      return expect.unreachable('expected it to throw');
    };
    const cached = caught(() => new ResponseCache(join(fileInTheWay(), 'cache.sqlite')));
    expect(EnvironmentError.isInstance(cached)).toBe(true);
    expect(cached).toMatchObject({ code: 'PATH_NOT_A_FOLDER' });
    // a file that is not a cache opens, and failed at its first statement with SQLite's own error
    const garbage = fileInTheWay();
    writeFileSync(garbage, 'x'.repeat(4096));
    expect(caught(() => new ResponseCache(garbage))).toMatchObject({
      code: 'CACHE_CORRUPT',
      hint: expect.stringContaining('Delete the response cache'),
    });
    const { model: engine, tokenizer } = await loadModel(stories.gguf);
    const initial = initSoftPrompt(engine, tokenizer, 4, { kind: 'sample-vocab' }, seededRandom(0));
    const train = nameExamples(tokenizer, 'train', 4);
    const trained = caught(() =>
      trainSoftPrompt(engine, initial, train, train, { epochs: 1, directory: join(fileInTheWay(), 'run') }),
    );
    expect(EnvironmentError.isInstance(trained)).toBe(true);
    expect(trained).toMatchObject({ code: 'PATH_NOT_A_FOLDER' });
  });

  it('listen on a port another server holds rejects with PORT_IN_USE (it had never settled)', async () => {
    const holder: Server = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const { port } = holder.address() as { port: number };
    try {
      const error = await rejection(listen({ fetch: () => new Response('') }, { port }));
      expect(error).toMatchObject({ code: 'PORT_IN_USE' });
    } finally {
      await new Promise((done) => holder.close(done));
    }
  });
});
