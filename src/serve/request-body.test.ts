// A request body is UTF-8 JSON: bytes that are not UTF-8 are refused as INVALID_JSON, never decoded to
// U+FFFD and handed to the model as if the client had sent them.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PromptuneError } from '../errors/index.js';
import { readBody } from './request-body.js';

const app = new Hono();
app.post('/', async (context) => {
  try {
    return context.json({
      body: await readBody(context, z.object({ content: z.string() }), 'Send { content }.'),
    });
  } catch (error) {
    if (!PromptuneError.isInstance(error)) throw error;
    return context.json({ code: error.code }, 400);
  }
});
const post = (body: Uint8Array) =>
  app.request('/', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('readBody', () => {
  it('reads UTF-8 text of any script, a BOM-less body as sent', async () => {
    const response = await post(utf8('{"content":"李华 👍🏽 Zoe\\u0301 محمد"}'));
    expect(await response.json()).toEqual({ body: { content: '李华 👍🏽 Zoe\u0301 محمد' } });
  });

  it('refuses bytes that are not UTF-8 instead of reading them as U+FFFD', async () => {
    const bytes = new Uint8Array([...utf8('{"content":"bad '), 0xff, 0xfe, ...utf8(' bytes"}')]);
    const response = await post(bytes);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 'INVALID_JSON' });
    // a lone surrogate escape is half a character: refused too, never made U+FFFD
    expect((await post(utf8('{"content":"bad \\ud800 half"}'))).status).toBe(400);
    expect(await (await post(utf8('{"content":"\\ud83d\\udc4d"}'))).json()).toEqual({
      body: { content: '👍' },
    });
    // a multi-byte character cut short, then a quote
    const cut = new Uint8Array([...utf8('{"content":"'), 0xe6, 0x9d, ...utf8('"}')]);
    expect((await post(cut)).status).toBe(400);
  });
});
