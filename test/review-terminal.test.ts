// `promptune review next` as reviewers run it: against a service (`promptune ui`, a review key) with keys
// piped in and corrections written by $EDITOR, killed with SIGKILL partway (every decision it sent is
// kept, and the item on screen is free again once its reservation expires); and against the registry
// itself, where quitting gives the item on screen back at once. Refusals come with a code.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../src/registry/index.js';
import { repositoryRoot } from './models.js';

const bin = join(repositoryRoot, 'bin', 'promptune.js');
const run = (cwd: string, ...args: string[]) => spawnSync('node', [bin, ...args], { cwd, encoding: 'utf8' });

/** A folder with the animal task pushed and a queue of four items for `reviewer`. */
async function setUp(reviewer: string): Promise<{ cwd: string; editor: string; ids: string[] }> {
  const cwd = mkdtempSync(join(tmpdir(), 'promptune-review-terminal-'));
  expect(run(cwd, 'registry', 'push', '--task', join(repositoryRoot, 'examples', 'animal.yaml')).status).toBe(
    0,
  );
  const registry = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
  try {
    await registry.review.createQueue({
      name: 'animals',
      task: 'animal',
      actor: 'ada',
      config: { reservationMs: 1000, reviewers: [reviewer] },
    });
    const items = await registry.review.addItems(
      'animals',
      ['The dog barked.', 'The cat purred.', 'The bird sang.', 'The dog ran.'].map((input) => ({
        input: { input },
        output: ' dog',
      })),
    );
    // the editor a reviewer would use, scripted: it writes the corrected label into the file it is given
    const editor = join(cwd, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nprintf \' cat\\n\' > "$1"\n');
    chmodSync(editor, 0o755);
    return { cwd, editor, ids: items.map((item) => item.id) };
  } finally {
    await registry.close();
  }
}

/** Waits until the process has printed `count` prompts (or exited). */
async function prompts(child: ChildProcessWithoutNullStreams, output: { text: string }, count: number) {
  for (let i = 0; i < 400; i++) {
    if ((output.text.match(/\[a\]pprove/g) ?? []).length >= count || child.exitCode !== null) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no prompt ${count}:\n${output.text}`);
}

describe('promptune review next', () => {
  it('sends each decision at once through the service, so a killed session loses none', async () => {
    const { cwd, editor, ids } = await setUp('alice');
    const key = run(cwd, 'keys', 'create', '--name', 'alice', '--scopes', 'review').stdout.trim();
    const ui = spawn('node', [bin, 'ui', '--port', '0', '--no-session-key'], { cwd });
    let uiOutput = '';
    ui.stdout.on('data', (chunk: Buffer) => (uiOutput += chunk.toString()));
    try {
      for (let i = 0; i < 400 && !/dashboard on (\S+)\//.test(uiOutput); i++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      const url = /dashboard on (\S+)\//.exec(uiOutput)![1];
      // a key without the review scope is refused with a code
      const reader = run(cwd, 'keys', 'create', '--name', 'reader', '--scopes', 'read').stdout.trim();
      const refused = run(cwd, 'review', 'next', '--queue', 'animals', '--url', url, '--key', reader);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('code: AUTH_SCOPE');
      // the service's hint once, on its own line, not again inside the message
      const [message, hint] = refused.stderr.split('\n');
      expect(hint).toMatch(/^hint: ./);
      expect(message).not.toContain(hint.slice('hint: '.length));

      const reviewer = spawn(
        'node',
        [bin, 'review', 'next', '--queue', 'animals', '--url', url, '--key', key],
        {
          cwd,
          env: { ...process.env, EDITOR: editor, VISUAL: '' },
        },
      );
      const output = { text: '' };
      reviewer.stdout.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
      const killed = new Promise((resolve) => reviewer.on('exit', resolve));
      await prompts(reviewer, output, 1);
      expect(output.text).toContain('The dog barked.');
      expect(output.text).toContain('task animal (label: " dog", " cat", " bird")');
      reviewer.stdin.write('a\n');
      await prompts(reviewer, output, 2);
      reviewer.stdin.write('c\n');
      await prompts(reviewer, output, 3);
      reviewer.kill('SIGKILL'); // mid-session, the third item on screen
      await killed;
      expect(output.text).toContain('approve sent');
      expect(output.text).toContain('correct sent');

      const registry = await Registry.open({ path: join(cwd, '.promptune', 'registry.sqlite') });
      try {
        const decisions = await registry.review.decisions('animals');
        expect(
          decisions.map(({ item, reviewer, decision, correction }) => ({
            item,
            reviewer,
            decision,
            correction,
          })),
        ).toEqual([
          { item: ids[0], reviewer: 'alice', decision: 'approve', correction: undefined },
          { item: ids[1], reviewer: 'alice', decision: 'correct', correction: ' cat' },
        ]);
        const third = await registry.review.getItem(ids[2]);
        expect(third.reservedBy).toBe('alice');
        // the killed session's reservation expires, and the item goes to the next reviewer who asks
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, third.reservedUntil! - Date.now()) + 50),
        );
        const again = spawn(
          'node',
          [bin, 'review', 'next', '--queue', 'animals', '--url', url, '--key', key],
          {
            cwd,
            env: { ...process.env, EDITOR: editor, VISUAL: '' },
          },
        );
        const second = { text: '' };
        again.stdout.on('data', (chunk: Buffer) => (second.text += chunk.toString()));
        await prompts(again, second, 1);
        expect(second.text).toContain(`item ${ids[2]}`);
        again.stdin.end('q\n');
        await new Promise((resolve) => again.on('exit', resolve));
        expect(second.text).toContain(`item ${ids[2]} given back`);
        expect((await registry.review.getItem(ids[2])).reservedBy).toBeNull();
      } finally {
        await registry.close();
      }
    } finally {
      ui.kill('SIGTERM');
      await new Promise((resolve) => ui.on('exit', resolve));
    }
  }, 60_000);

  it('reviews against the registry as the operator, to the end of the queue', async () => {
    const operator = spawnSync('node', ['-e', 'process.stdout.write(require("os").userInfo().username)'], {
      encoding: 'utf8',
    }).stdout;
    const { cwd, editor } = await setUp(operator);
    // skip, reject, a correction left unchanged (nothing sent), then correct, approve: the queue is done
    const editorUnchanged = join(cwd, 'unchanged.sh');
    writeFileSync(editorUnchanged, '#!/bin/sh\ntrue\n');
    chmodSync(editorUnchanged, 0o755);
    const first = spawnSync('node', [bin, 'review', 'next', '--queue', 'animals'], {
      cwd,
      input: 's\nr\nc\nq\n',
      encoding: 'utf8',
      env: { ...process.env, EDITOR: editorUnchanged, VISUAL: '' },
    });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('skip sent');
    expect(first.stdout).toContain('reject sent');
    expect(first.stdout).toContain('correction left unchanged: nothing sent');
    const rest = spawnSync('node', [bin, 'review', 'next', '--queue', 'animals'], {
      cwd,
      input: 'c\na\n',
      encoding: 'utf8',
      env: { ...process.env, EDITOR: editor, VISUAL: '' },
    });
    expect(rest.status).toBe(0);
    expect(rest.stdout).toContain(
      `Nothing left to review in animals for ${operator} (2 decided this session).`,
    );
    const agreement = JSON.parse(run(cwd, 'review', 'agreement', 'animals', '--json').stdout);
    expect(agreement.progress).toMatchObject({
      items: 4,
      reviewed: 3, // the skipped item still needs a review
      reviewers: { [operator]: { skip: 1, reject: 1, correct: 1, approve: 1 } },
    });
    // what review dataset would write, said without writing it, and then written alike
    const dry = run(cwd, 'review', 'dataset', 'animals', '--dry-run');
    expect(dry.stdout).toMatch(
      /^would add 2 to train to dataset version 1; 0 duplicate\(s\) left out; held back: 1 incomplete, 1 rejected\nnothing written/,
    );
    const pending = JSON.parse(run(cwd, 'review', 'dataset', 'animals', '--dry-run', '--json').stdout);
    expect(pending).toMatchObject({ base: 1, added: { train: 2 }, duplicates: 0 });
    expect(run(cwd, 'dataset', 'versions', 'animal').stdout).not.toMatch(/^\s*2\b/m);
    expect(run(cwd, 'review', 'dataset', 'animals', '--dry-run', '--out', 'v2').stderr).toContain(
      '--out would be ignored: a dry run writes no version',
    );
    const written = JSON.parse(run(cwd, 'review', 'dataset', 'animals', '--json').stdout);
    expect(written).toMatchObject({ created: true, version: { number: 2 }, added: pending.added });
    // who reviews it changes later; a name no live key has is warned of
    const assigned = run(cwd, 'review', 'assign', 'animals', '--reviewers', `${operator},alcie`);
    expect(assigned.stdout).toBe(`animals is reviewed by ${operator}, alcie\n`);
    expect(assigned.stderr).toContain(
      'warning: no live key is named alcie (a reviewer through the service needs one',
    );
    expect(run(cwd, 'review', 'assign', 'animals', '--reviewers', '').stdout).toBe(
      'animals is reviewed by every key with the review scope\n',
    );
    // bad queue configs and stale pull folders are refused with codes
    writeFileSync(join(cwd, 'bad.yaml'), 'reviewers: [alice\n');
    expect(run(cwd, 'review', 'create', 'x', '--task', 'animal', '--config', 'bad.yaml').stderr).toContain(
      'code: REVIEW_INVALID',
    );
    expect(
      run(cwd, 'review', 'create', 'x', '--task', 'animal', '--config', 'nowhere.yaml').stderr,
    ).toContain('code: REVIEW_CONFIG_NOT_FOUND');
    mkdirSync(join(cwd, 'pulled'));
    writeFileSync(join(cwd, 'pulled', 'file.jsonl'), '{}\n');
    expect(run(cwd, 'dataset', 'pull', 'animal', '--out', 'pulled').stderr).toContain(
      'code: DATASET_FOLDER_STALE',
    );
    expect(run(cwd, 'dataset', 'pull', 'animal@1', '--out', 'fresh').stdout).toMatch(
      /animal dataset version 1: fresh\/train.jsonl, fresh\/dev.jsonl, fresh\/test.jsonl/,
    );
  }, 60_000);
});
