// Budgets across kills, as a user meets them: `optimize --max-calls N` and `eval` are killed with
// SIGKILL mid-run (while the model server holds a request in flight), resumed, and the calls the model
// server received over all the runs are counted there. The model is scripted (a deterministic reply
// behind a real OpenAI-compatible HTTP server on 127.0.0.1): this tests budget and journal logic, not
// model quality. Ctrl-C stops a run once its calls under way are answered, and the rerun asks for none of
// them again.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killedAt, startCli, sumsTask } from './cli-optimize-helpers.js';
import { jsonError } from './error-code.js';
import { serveScriptedChat, type ScriptedChatServer } from './scripted-model.js';

let server: ScriptedChatServer;
beforeAll(async () => {
  server = await serveScriptedChat(() => ' ?'); // never right: the optimizer uses all it may
});
afterAll(() => server?.close());

describe('optimize --max-calls across kills', () => {
  it('never lets the calls of all runs together exceed the cap', async () => {
    const cwd = sumsTask();
    const cap = 60;
    const args = [
      'optimize',
      '--task',
      'task.yaml',
      '--model',
      `openai-compatible:${server.url}#scripted`,
      '--dev-limit',
      '8',
      '--max-calls',
      String(cap),
      '--out',
      'prompt.json',
      '--json',
    ];
    const before = server.requests;
    const afterFirst = (await killedAt(server, before + 20, cwd, args)) - before;
    const afterSecond = (await killedAt(server, before + 45, cwd, args)) - before;
    const last = await startCli(cwd, args).done();
    expect(last.stderr).not.toMatch(/\n\s+at /);
    expect(last.status).toBe(0);
    const total = server.requests - before;
    console.log(
      `optimize --max-calls ${cap}: server requests ${afterFirst} (killed), ${afterSecond - afterFirst} (killed), ${total - afterSecond} (finished); total ${total}`,
    );
    expect(total).toBeLessThanOrEqual(cap);
    const summary = JSON.parse(last.stdout);
    console.log(JSON.stringify(summary));
    // the summary and the artifact count every call of every run: a call in flight at a kill counts
    // (it may have been answered), so they never count fewer than the server saw
    expect(summary.earlierCalls).toBeGreaterThanOrEqual(afterSecond);
    expect(summary.calls).toBeGreaterThanOrEqual(total);
    expect(summary.calls).toBeLessThanOrEqual(cap);
    expect(summary.roles.student.calls).toBe(summary.calls);
    expect(summary.stopped).toBe('the student budget cannot score another candidate');
    const artifact = JSON.parse(readFileSync(join(cwd, 'prompt.json'), 'utf8'));
    expect(artifact.optimizer).toMatchObject({ calls: summary.calls, spend: { calls: summary.calls } });
    // its spend journal is kept: run again, it replays to the same prompt and asks the server nothing
    // (with the budget reset, a rerun had searched on past the cap and written another prompt)
    const again = await startCli(cwd, args).done();
    expect(again.status, again.stderr).toBe(0);
    expect(server.requests - before).toBe(total);
    expect(JSON.parse(again.stdout)).toMatchObject({ calls: summary.calls, stopped: summary.stopped });
    expect(JSON.parse(readFileSync(join(cwd, 'prompt.json'), 'utf8')).prompt).toEqual(artifact.prompt);
  });
});

describe('eval across kills', () => {
  it('journals the calls and cost of killed runs: the final report counts every call the server got', async () => {
    const cwd = sumsTask();
    const model = `openai-compatible:${server.url}#scripted`;
    // priced by the whole model string: dollars per million tokens
    writeFileSync(join(cwd, 'prices.json'), JSON.stringify({ [model]: { input: 1, output: 2 } }));
    const args = ['eval', '--task', 'task.yaml', '--model', model, '--concurrency', '1'];
    args.push('--prices', 'prices.json', '--json');
    const before = server.requests;
    await killedAt(server, before + 10, cwd, args);
    await killedAt(server, before + 25, cwd, args);
    const last = await startCli(cwd, args).done();
    expect(last.status).toBe(0);
    const total = server.requests - before;
    const summary = JSON.parse(last.stdout);
    console.log(
      `eval: server requests 10 (killed), 15 (killed), ${total - 25} (finished); total ${total}; spend ${JSON.stringify(summary.spend)}`,
    );
    // one call at a time: each killed run had just its held call in flight; it counts, and is asked again
    expect(total).toBe(40 + 2);
    expect(summary).toMatchObject({ n: 40, resumed: 9 + 14, calls: 40 - 9 - 14 });
    expect(summary.spend.calls).toBe(total);
    expect(summary.spend.earlierCalls).toBe(25);
    // the server reports 10 tokens in and 2 out per answer; the two calls lost in flight count at their
    // worst case (prompt bytes and the task's 4 output tokens)
    expect(summary.spend.tokens.input).toBeGreaterThan(10 * total);
    expect(summary.spend.tokens.output).toBe(2 * 40 + 4 * 2);
    const { input, output } = summary.spend.tokens;
    expect(summary.spend.cost).toBeCloseTo((input * 1 + output * 2) / 1e6, 12);
    expect(summary.cost).toBeCloseTo((40 * (10 * 1 + 2 * 2)) / 1e6, 12); // the answers kept, priced
    expect(readdirSync(join(cwd, '.promptune', 'runs'))).toEqual([]);
  });

  it('Ctrl-C stops once the calls under way are answered and journaled: the rerun asks for none again', async () => {
    const args = [
      ...['optimize', '--task', 'task.yaml', '--model', `openai-compatible:${server.url}#scripted`],
      ...['--dev-limit', '8', '--max-calls', '60', '--out', 'prompt.json', '--json'],
    ];
    let before = server.requests;
    const straight = await startCli(sumsTask(), args).done();
    expect(straight.status, straight.stderr).toBe(0);
    const straightCalls = server.requests - before;
    const cwd = sumsTask();
    before = server.requests;
    const run = startCli(cwd, args);
    await server.holdRequest(before + 20);
    run.child.kill('SIGINT'); // while the server holds the 20th call: the run waits for its answer
    server.releaseHeld();
    const stopped = await run.done();
    expect(stopped.signal, stopped.stderr).toBe('SIGINT');
    expect(stopped.stderr).toContain(
      'SIGINT: stopping the optimization after the calls under way and keeping their answers',
    );
    const error = jsonError(stopped.stderr);
    expect(error.code).toBe('OPTIMIZE_INTERRUPTED');
    expect(error.hint).toContain('run the same command again');
    const rest = await startCli(cwd, args).done();
    expect(rest.status, rest.stderr).toBe(0);
    // every call answered before the stop was kept: both runs together asked what one run asks
    expect(server.requests - before).toBe(straightCalls);
    expect(JSON.parse(rest.stdout)).toMatchObject({ calls: JSON.parse(straight.stdout).calls });
  });

  it('warns when the cap leaves no room to score a candidate, and the run then tries none', async () => {
    const run = await startCli(sumsTask(), [
      ...['optimize', '--task', 'task.yaml', '--model', `openai-compatible:${server.url}#scripted`],
      ...['--dev-limit', '8', '--max-calls', '12', '--out', 'prompt.json', '--json'],
    ]).done();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      'warning: --max-calls 12 scores the seed prompt on the 8 dev examples and leaves no room for a candidate (each costs 8 calls), so nothing will be tried. Raise --max-calls to 16 or more, or score fewer dev examples (--dev-limit 3 leaves room for about three).',
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ candidates: 0 });
  });
});

describe('--timeout', () => {
  it('abandons a call the server holds after the given seconds, and its retry is answered', async () => {
    const cwd = sumsTask();
    const args = [
      ...['eval', '--task', 'task.yaml', '--model', `openai-compatible:${server.url}#scripted`],
      ...['--limit', '2', '--concurrency', '1', '--timeout', '0.5', '--no-cache', '--json'],
    ];
    const before = server.requests;
    const held = server.holdRequest(before + 1); // never answered while the run lasts
    const run = await startCli(cwd, args).done();
    await held;
    server.releaseHeld();
    expect(run.status, run.stderr).toBe(0);
    expect(server.requests - before).toBe(3); // the held call, its retry, the second example
    expect(JSON.parse(run.stdout)).toMatchObject({ n: 2 });
    const refused = await startCli(cwd, [...args.slice(0, -4), '--timeout', '0', '--json']).done();
    expect(jsonError(refused.stderr).code).toBe('CLI_INVALID_OPTION');
  });
});
