// The meter charges a failed call by what it may have cost: nothing when the request never reached the
// provider (a refused connection), its worst case when it may have been generated and lost (a connection
// dropped mid-answer). Both against real sockets, through the openai-compatible provider's own fetch.
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveModel } from '../providers/index.js';
import { meteredModel, type TokenUsage } from './metered-model.js';

const servers: Server[] = [];
afterAll(() => servers.forEach((server) => server.close()));

/** A TCP server that accepts a request and closes the connection without an answer. */
async function dropping(): Promise<string> {
  const server = createServer((socket) => socket.once('data', () => socket.destroy()));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1`;
}

/** What the meter settled a failed call at. */
async function settledAt(base: string): Promise<{ worst: TokenUsage; used: TokenUsage }> {
  const resolved = await resolveModel(`openai-compatible:${base}#m`, { environment: {} });
  const seen: { worst?: TokenUsage; used?: TokenUsage } = {};
  const metered = meteredModel(resolved, {
    reserve: (worst) => (seen.worst = worst),
    settle: (_, used) => (seen.used = used),
  });
  await expect(
    metered.model.doGenerate({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      maxOutputTokens: 8,
    }),
  ).rejects.toThrow();
  return { worst: seen.worst!, used: seen.used! };
}

describe('meteredModel', () => {
  it('charges nothing for a connection never made', async () => {
    const { worst, used } = await settledAt('http://127.0.0.1:9/v1');
    expect(worst).toEqual({ inputTokens: 16 + 5, outputTokens: 8 });
    expect(used).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('charges its worst case for a request sent and never answered', async () => {
    const { worst, used } = await settledAt(await dropping());
    expect(used).toEqual(worst);
  });
});
