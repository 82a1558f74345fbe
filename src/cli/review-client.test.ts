// The terminal reviewer on the registry itself (the local operator): an admin, who may review a queue
// with named reviewers, and who settles the items they disagree on seeing each decision (--disputes).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { registryReviewClient } from './review-client.js';
import { reviewInTerminal } from './review-terminal.js';

it('lets the operator settle a disagreement seeing each decision, then has nothing more to hand', async () => {
  const registry = await Registry.open({ path: join(mkdtempSync(join(tmpdir(), 'pt-review-')), 'r.sqlite') });
  try {
    await registry.putTask(
      taskSpec.parse({
        name: 'animal',
        output: { kind: 'label', labels: [' dog', ' cat'] },
        prompt: { template: '{{input}}' },
      }),
    );
    await registry.review.createQueue({
      name: 'q',
      task: 'animal',
      actor: 'op',
      config: { reviewsPerItem: 2, reviewers: ['x', 'y'] },
    });
    const [item] = await registry.review.addItems('q', [
      { input: { input: 'The dog barked.' }, output: ' dog' },
    ]);
    for (const [reviewer, decision] of [
      ['x', { decision: 'approve' as const }],
      ['y', { decision: 'correct' as const, correction: ' cat' }],
    ] as const) {
      expect((await registry.review.next('q', reviewer))?.id).toBe(item!.id);
      await registry.review.decide(item!.id, reviewer, decision);
    }
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const input = new PassThrough();
    const settling = reviewInTerminal(registryReviewClient(registry, 'op', { disputes: true }), 'q', {
      input,
      output,
      editor: 'true',
    });
    input.end('a\n');
    expect(await settling).toBe(1);
    expect(shown).toContain('decisions on this item:\n  x: approve\n  y: correct → " cat"');
    expect(shown).toMatch(/Nothing left to review in q for op/);
    // its vote made the majority: approved " dog" by two of three
    const decisions = await registry.review.decisions('q');
    expect(decisions.map((decision) => [decision.reviewer, decision.decision]).sort()).toEqual([
      ['op', 'approve'],
      ['x', 'approve'],
      ['y', 'correct'],
    ]);
    // the operator reviews a queue of named reviewers too (it is the registry's admin)
    expect(await registryReviewClient(registry, 'op').next('q')).toBeNull();
  } finally {
    await registry.close();
  }
});
