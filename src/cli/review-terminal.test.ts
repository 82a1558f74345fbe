// The terminal reviewer on a terminal (raw key presses): keys typed ahead in one burst are each a
// decision, in order, not only the first. The queue is a stand-in client: this tests key handling.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ReviewDecisionInput } from '../registry/index.js';
import type { ReviewItemView } from '../review/index.js';
import type { ReviewClient } from './review-client.js';
import { reviewInTerminal } from './review-terminal.js';

/** A queue of `count` items; what was decided, in order. */
function queue(count: number) {
  const decided: [string, ReviewDecisionInput['decision']][] = [];
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
          } as unknown as ReviewItemView)
        : null,
    decide: async (item, input) => {
      decided.push([item, input.decision]);
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
});
