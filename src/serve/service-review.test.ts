// The review routes over HTTP on 127.0.0.1, with keys of each scope: an admin creates queues and adds
// items; reviewer keys see and decide only the queues they are assigned to and cannot read or write
// anything else (datasets included); reservations keep two reviewers off one item and expire; a
// correction must fit the task's output; agreement, calibration and corrections written as a dataset
// version come back through the API.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedStreamingModel } from '../../test/scripted-model.js';
import { registerTask, Registry } from '../registry/index.js';
import { loadTask } from '../tasks/index.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

const root = join(import.meta.dirname, '..', '..');
let registry: Registry;
let server: RunningServer;
let service: Service;
const keys: Record<string, string> = {};

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies read loosely

const call = async (bearer: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Body };
};

beforeAll(async () => {
  registry = await Registry.open({
    path: join(mkdtempSync(join(tmpdir(), 'promptune-review-')), 'r.sqlite'),
  });
  for (const [name, scopes] of [
    ['boss', ['admin']],
    ['chief', ['admin']],
    ['alice', ['review']],
    ['bob', ['review']],
    ['carol', ['review']],
    ['viewer', ['read']],
  ] as const)
    keys[name] = (await registry.keys.create({ name, scopes: [...scopes], ratePerMinute: 1e7 })).key;
  await registerTask(registry, loadTask(join(root, 'examples', 'animal.yaml')), 'boss');
  service = createService({
    registry,
    backends: { hard: new ScriptedStreamingModel('scripted', () => 'ok') },
    logger: pino({ level: 'silent' }),
    tracing: false,
  });
  server = await listen(service.app);
});

afterAll(async () => {
  await server?.close();
  await service?.drain();
  await registry?.close();
});

const stories = ['The dog ran to the park.', 'A cat sat on the mat.', 'The bird sang in the tree.'];

describe('the review routes', () => {
  it('lets only an admin create queues and add items, and shows a reviewer only its queues', async () => {
    const created = await call(keys.boss, 'POST', '/v1/review/queues', {
      name: 'animals',
      task: 'animal',
      reviewsPerItem: 2,
      reservationMs: 1000,
      reviewers: ['alice', 'bob'],
      rubric: [{ name: 'clear', kind: 'boolean' }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'animals', task: 'animal', reviewsPerItem: 2 });
    expect((await call(keys.alice, 'POST', '/v1/review/queues', { name: 'x', task: 'animal' })).status).toBe(
      403,
    );
    expect((await call(keys.boss, 'POST', '/v1/review/queues', { name: 'y', task: 'nope' })).status).toBe(
      404,
    );
    expect(
      (await call(keys.boss, 'POST', '/v1/review/queues', { name: 'Bad Name', task: 'animal' })).body.error,
    ).toMatchObject({ code: 'INVALID_BODY' });
    await call(keys.boss, 'POST', '/v1/review/queues', {
      name: 'private',
      task: 'animal',
      reviewers: ['carol'],
    });
    const added = await call(keys.boss, 'POST', '/v1/review/queues/animals/items', {
      items: stories.map((input, index) => ({ input: { input }, output: [' dog', ' dog', ' bird'][index] })),
    });
    expect(added).toMatchObject({ status: 201, body: { added: 3 } });
    // an input the task cannot read could be decided, but never become a dataset row: refused, none added
    const unreadable = await call(keys.boss, 'POST', '/v1/review/queues/animals/items', {
      items: [
        { input: 'a story', output: ' cat' },
        { input: { wrong: 'x' }, output: ' cat' },
      ],
    });
    expect(unreadable.status).toBe(400);
    expect(unreadable.body.error).toMatchObject({
      code: 'TASK_INPUT_INVALID',
      param: 'items.1.input',
      message: expect.stringMatching(/^items\.1\.input: task animal takes input fields input; missing input/),
    });
    expect(
      (
        await call(keys.alice, 'POST', '/v1/review/queues/animals/items', {
          items: [{ input: 'x', output: 'y' }],
        })
      ).status,
    ).toBe(403);

    const listed = await call(keys.alice, 'GET', '/v1/review/queues');
    expect(listed.body.data.map((queue: { name: string }) => queue.name)).toEqual(['animals']);
    expect(listed.body.data[0].progress).toMatchObject({ items: 3, reviewed: 0, mine: 0 });
    expect((await call(keys.boss, 'GET', '/v1/review/queues')).body.data).toHaveLength(2);
    // a queue not assigned is as absent as a missing one, for every route
    for (const [method, path] of [
      ['GET', '/v1/review/queues/private'],
      ['POST', '/v1/review/queues/private/next'],
      ['GET', '/v1/review/queues/private/agreement'],
    ])
      expect((await call(keys.alice, method, path)).body.error.code).toBe('REVIEW_QUEUE_NOT_FOUND');
    expect((await call(keys.viewer, 'GET', '/v1/review/queues')).status).toBe(403);
    // an admin assigns alice to it; an item carol held is given back when carol is dropped
    await call(keys.boss, 'POST', '/v1/review/queues/private/items', {
      items: [{ input: { input: 'A cat sat.' }, output: ' cat' }],
    });
    const held = await call(keys.carol, 'POST', '/v1/review/queues/private/next');
    expect(held.body.item).toMatchObject({ reservedBy: 'carol' });
    expect(
      (await call(keys.alice, 'PUT', '/v1/review/queues/private/reviewers', { reviewers: ['alice'] })).status,
    ).toBe(403);
    const assigned = await call(keys.boss, 'PUT', '/v1/review/queues/private/reviewers', {
      reviewers: ['alice'],
    });
    expect(assigned.body).toMatchObject({ name: 'private', reviewers: ['alice'] });
    expect((await call(keys.alice, 'POST', '/v1/review/queues/private/next')).body.item.id).toBe(
      held.body.item.id,
    );
    expect((await call(keys.carol, 'GET', '/v1/review/queues/private')).status).toBe(404);
  });

  it('gives a reviewer key nothing outside review: no library reads, no dataset or label writes', async () => {
    expect((await call(keys.alice, 'GET', '/v1/me')).body).toEqual({ name: 'alice', scopes: ['review'] });
    for (const [method, path, body] of [
      ['GET', '/v1/tasks'],
      ['GET', '/v1/tasks/animal/datasets'],
      ['GET', '/v1/traces'],
      ['POST', '/v1/review/queues/animals/dataset', {}],
      ['POST', '/v1/review/queues/animals/feed', {}],
      ['GET', '/v1/review/queues/animals/decisions'],
      ['PUT', '/v1/tasks/animal/labels/production', { version: 1 }],
      ['POST', '/v1/chat/completions', { model: 'animal', messages: [{ role: 'user', content: 'x' }] }],
    ] as const)
      expect({ path, status: (await call(keys.alice, method, path, body)).status }).toEqual({
        path,
        status: 403,
      });
    expect(await registry.datasetVersions.list('animal')).toHaveLength(1);
  });

  it('reserves each item for one reviewer until it decides or the reservation expires', async () => {
    const first = await call(keys.alice, 'POST', '/v1/review/queues/animals/next');
    expect(first.body).toMatchObject({
      item: { input: { input: stories[0] }, output: ' dog', reservedBy: 'alice' },
      task: { name: 'animal', output: { kind: 'label' } },
      trace: null,
    });
    const id = first.body.item.id as string;
    // bob is handed the next item, and may not decide alice's
    const second = await call(keys.bob, 'POST', '/v1/review/queues/animals/next');
    expect(second.body.item.id).not.toBe(id);
    expect(
      (await call(keys.bob, 'POST', `/v1/review/items/${id}/decision`, { decision: 'approve' })).body.error,
    ).toMatchObject({
      code: 'REVIEW_RESERVED',
    });
    // a correction must be one of the task's labels
    const wrong = await call(keys.alice, 'POST', `/v1/review/items/${id}/decision`, {
      decision: 'correct',
      correction: ' horse',
    });
    expect(wrong).toMatchObject({ status: 400, body: { error: { code: 'REVIEW_INVALID' } } });
    expect(
      (
        await call(keys.alice, 'POST', `/v1/review/items/${id}/decision`, {
          decision: 'approve',
          rubric: { clear: 'yes' },
        })
      ).body.error.code,
    ).toBe('REVIEW_INVALID');
    // alice's reservation lapses (1 s): bob may take the item, and alice's late decision is refused
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await call(keys.bob, 'POST', `/v1/review/items/${second.body.item.id}/release`);
    const taken = await call(keys.bob, 'POST', '/v1/review/queues/animals/next');
    expect(taken.body.item.id).toBe(id);
    expect(
      (await call(keys.alice, 'POST', `/v1/review/items/${id}/decision`, { decision: 'approve' })).status,
    ).toBe(400);
    expect(
      (
        await call(keys.bob, 'POST', `/v1/review/items/${id}/decision`, {
          decision: 'approve',
          rubric: { clear: true },
        })
      ).status,
    ).toBe(201);
    expect((await call(keys.carol, 'GET', `/v1/review/items/${id}`)).body.error.code).toBe(
      'REVIEW_ITEM_NOT_FOUND',
    );
  });

  it('reports agreement, and writes the agreed corrections as the next dataset version', async () => {
    // the remaining decisions: both reviewers decide every item; they disagree on the second
    const plan: Record<string, Record<string, { decision: string; correction?: string }>> = {
      alice: {
        [stories[0]]: { decision: 'approve' },
        [stories[1]]: { decision: 'correct', correction: ' cat' },
        [stories[2]]: { decision: 'approve' },
      },
      bob: {
        [stories[1]]: { decision: 'approve' },
        [stories[2]]: { decision: 'approve' },
      },
    };
    for (const reviewer of ['alice', 'bob'])
      for (;;) {
        const next = await call(keys[reviewer], 'POST', '/v1/review/queues/animals/next');
        if (next.body.item === null) break;
        const decision = plan[reviewer][next.body.item.input.input];
        expect(
          (
            await call(keys[reviewer], 'POST', `/v1/review/items/${next.body.item.id}/decision`, {
              ...decision,
              rubric: { clear: true },
            })
          ).status,
        ).toBe(201);
      }
    const agreement = await call(keys.alice, 'GET', '/v1/review/queues/animals/agreement');
    expect(agreement.body).toMatchObject({
      reviewers: ['alice', 'bob'],
      decision: { statistic: 'cohen-kappa', items: 3 },
      answer: { statistic: 'cohen-kappa', items: 3 },
      progress: { items: 3, reviewed: 3 },
    });
    // the similar past decisions of an item show the other items' decisions
    const view = await call(
      keys.alice,
      'GET',
      `/v1/review/items/${agreement.body ? (await registry.review.items('animals'))[0].id : ''}`,
    );
    expect(view.body.similar.length).toBeGreaterThan(0);

    const written = await call(keys.boss, 'POST', '/v1/review/queues/animals/dataset', {
      splits: { train: 1 },
    });
    expect(written.status).toBe(201);
    expect(written.body).toMatchObject({
      version: { task: 'animal', number: 2, parent: 1, source: 'review:animals' },
      created: true,
      added: { train: 2 },
      duplicates: 0,
      held: [{ reason: 'disagreement' }],
    });
    const versions = await call(keys.viewer, 'GET', '/v1/tasks/animal/dataset-versions');
    expect(versions.body.data.map((version: { number: number }) => version.number)).toEqual([1, 2]);
    const rows = await call(
      keys.viewer,
      'GET',
      `/v1/tasks/animal/datasets/${written.body.version.splits.train}/rows?offset=512`,
    );
    expect(rows.body.total).toBe(514);
    expect(
      rows.body.data.map((row: { fields: unknown; target: unknown }) => [row.fields, row.target]),
    ).toEqual([
      [{ input: stories[0] }, ' dog'],
      [{ input: stories[2] }, ' bird'],
    ]);
    // writing again adds nothing new: the rows are duplicates now, and the version is the same
    const again = await call(keys.boss, 'POST', '/v1/review/queues/animals/dataset', {
      splits: { train: 1 },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: { number: 2 }, created: false, added: {}, duplicates: 2 });
    // an admin adjudicates the tie (admins may decide in any queue): the disputed items, each with its
    // reviewers' decisions, which a reviewer never sees
    const tied = written.body.held[0].item as string;
    const disputes = await call(keys.boss, 'GET', '/v1/review/queues/animals/disputes');
    expect(disputes.body.data).toEqual([
      expect.objectContaining({
        item: expect.objectContaining({ id: tied }),
        answers: expect.arrayContaining([
          { reviewer: 'alice', decision: 'correct', answer: ' cat' },
          expect.objectContaining({ reviewer: 'bob', decision: 'approve' }),
        ]),
      }),
    ]);
    expect((await call(keys.alice, 'POST', '/v1/review/queues/animals/next?disputes=1')).status).toBe(403);
    const settling = await call(keys.boss, 'POST', '/v1/review/queues/animals/next?disputes=1');
    expect(settling.body.item.id).toBe(tied);
    // held for the admin settling it: a second admin is handed nothing (the only dispute is taken)
    expect(settling.body.item).toMatchObject({ reservedBy: 'boss' });
    expect((await call(keys.chief, 'POST', '/v1/review/queues/animals/next?disputes=1')).body).toEqual({
      item: null,
    });
    expect(settling.body.decisions.map((decision: { reviewer: string }) => decision.reviewer).sort()).toEqual(
      ['alice', 'bob'],
    );
    const reviewerView = await call(keys.alice, 'GET', `/v1/review/items/${tied}`);
    expect([reviewerView.status, reviewerView.body.decisions]).toEqual([200, undefined]);
    expect(
      (
        await call(keys.boss, 'POST', `/v1/review/items/${tied}/decision`, {
          decision: 'correct',
          correction: ' cat',
        })
      ).status,
    ).toBe(201);
    // settled: nothing more to hand the admin
    expect((await call(keys.boss, 'POST', '/v1/review/queues/animals/next?disputes=1')).body).toEqual({
      item: null,
    });
    expect((await call(keys.boss, 'GET', '/v1/review/queues/animals/disputes')).body.data).toEqual([]);
    const adjudicated = await call(keys.boss, 'POST', '/v1/review/queues/animals/dataset', {
      splits: { train: 1 },
    });
    expect(adjudicated.body).toMatchObject({
      version: { number: 3, parent: 2 },
      added: { train: 1 },
      held: [],
    });
    // adjudication is not a rating: agreement is still the two reviewers'
    expect((await call(keys.boss, 'GET', '/v1/review/queues/animals/agreement')).body.reviewers).toEqual([
      'alice',
      'bob',
    ]);
  });
});
