// The terminal reviewer on a terminal (raw key presses): keys typed ahead in one burst are each a
// decision, in order, not only the first. The queue is a stand-in client: this tests key handling.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ReviewDecisionInput, RubricItem } from '../registry/index.js';
import type { ReviewItemView } from '../review/index.js';
import type { ReviewClient } from './review-client.js';
import { reviewInTerminal } from './review-terminal.js';

/** A queue of `count` items asking `rubric`; what was decided, in order. */
function queue(count: number, rubric: RubricItem[] = []) {
  const decided: [string, ReviewDecisionInput['decision'], ReviewDecisionInput['rubric']?][] = [];
  let next = 0;
  const client: ReviewClient = {
    reviewer: 'ada',
    next: async () =>
      next < count
        ? ({
            item: {
              id: `item-${++next}`,
              input: { input: 'The dog barked.' },
              output: ' dog',
              reason: 'sampled',
            },
            task: { name: 'animal', output: { kind: 'text' } },
            trace: null,
            version: null,
            similar: [],
            rubric,
          } as unknown as ReviewItemView)
        : null,
    decide: async (item, input) => {
      decided.push(input.rubric ? [item, input.decision, input.rubric] : [item, input.decision]);
      return {} as never;
    },
    release: async () => undefined,
  };
  return { client, decided };
}

describe('the terminal reviewer', () => {
  it('takes keys typed ahead on a terminal one decision each', async () => {
    const { client, decided } = queue(3);
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
    const output = new PassThrough();
    const reviewing = reviewInTerminal(client, 'animals', { input, output, editor: 'true' });
    input.write('ars'); // three keys in one burst, before the second item is on screen
    expect(await reviewing).toBe(3);
    expect(decided).toEqual([
      ['item-1', 'approve'],
      ['item-2', 'reject'],
      ['item-3', 'skip'],
    ]);
  });

  it("asks the queue's rubric a key per question after a decision, not after a skip", async () => {
    const { client, decided } = queue(2, [
      { name: 'fluent', kind: 'boolean' },
      { name: 'tone', kind: 'categorical', categories: ['formal', 'casual'] },
      { name: 'clarity', kind: 'numeric', minimum: 1, maximum: 5 },
      { name: 'length', kind: 'numeric', minimum: 0, maximum: 500 },
    ]);
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const reviewing = reviewInTerminal(client, 'animals', { input, output, editor: 'true' });
    // approve; fluent: x (no such key, asked again) then y; tone: casual; clarity: Enter leaves it;
    // length, typed: an arrow key (ignored), 600 (out of range, asked again), then 42x mended by
    // Backspace to 420; then skip
    input.write('axy2\r');
    input.write('\u001b[A');
    input.write('600\r42x\u007f0\rs');
    expect(await reviewing).toBe(2);
    expect(decided).toEqual([
      ['item-1', 'approve', { fluent: true, tone: 'casual', length: 420 }],
      ['item-2', 'skip'],
    ]);
    expect(shown).toContain('tone? [1] formal  [2] casual  [enter] leave');
    expect(shown).toContain('clarity? [1] 1  [2] 2  [3] 3  [4] 4  [5] 5  [enter] leave');
    expect(shown).toContain('length? a number from 0 to 500, then Enter (Enter alone leaves it): ');
    expect(shown).toContain('"600" is not a number from 0 to 500; again: ');
    expect(shown).not.toContain('[A');
  });

  it('ends at the end of piped input, in a rubric question too: the decision is sent, the rest given back', async () => {
    const { client, decided } = queue(2, [{ name: 'fluent', kind: 'boolean' }]);
    const input = new PassThrough();
    const output = new PassThrough();
    const reviewing = reviewInTerminal(client, 'animals', { input, output, editor: 'true' });
    input.end('a\r'); // approve, then nothing for fluent? (printf 'a\r' | promptune review next)
    expect(await reviewing).toBe(1);
    expect(decided).toEqual([['item-1', 'approve']]);
  });

  it('takes a typed line for a category among more than nine and a fractional score, piped', async () => {
    const months = 'jan feb mar apr may jun jul aug sep oct nov dec'.split(' ');
    const { client, decided } = queue(1, [
      { name: 'month', kind: 'categorical', categories: months },
      { name: 'confidence', kind: 'numeric', minimum: 0, maximum: 10 },
    ]);
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const reviewing = reviewInTerminal(client, 'animals', { input, output, editor: 'true' });
    // approve; month: 13 (no such category) then 11; confidence: 1e2 (not written as a decimal), then 7.5
    input.end('a\n13\n11\n1e2\n 7.5 \n');
    expect(await reviewing).toBe(1);
    expect(decided).toEqual([['item-1', 'approve', { month: 'nov', confidence: 7.5 }]]);
    expect(shown).toContain('[10] oct  [11] nov  [12] dec\n  type its number, then Enter');
    expect(shown).toContain('"13" is not a category\'s number from 1 to 12; again: ');
    expect(shown).toContain('"1e2" is not a number from 0 to 10; again: ');
  });
});
