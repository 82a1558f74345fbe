// The terminal reviewer behind `promptune review next`: shows an item (input, output, why it was queued,
// the prompt version, similar past decisions), takes one key press (a line when stdin is not a
// terminal), asks the queue's rubric a key per question (a typed line for a wide range or many
// categories), and sends the decision at once, so a session
// killed at any point loses nothing it sent.
// Corrections are edited in $VISUAL or $EDITOR. Quitting gives the item on screen back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PromptuneError } from '../errors/index.js';
import { rubricAnswerFits, type ReviewDecisionInput, type RubricItem } from '../registry/index.js';
import type { ReviewItemView } from '../review/index.js';
import { cutText } from '../errors/index.js';
import type { ReviewClient } from './review-client.js';

/** Where the reviewer reads keys from and writes to, and the editor command. */
export interface TerminalIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: NodeJS.WritableStream;
  editor: string;
}

const excerpt = (value: unknown, length = 400) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return cutText(text, length + 1);
};
const indent = (text: string) => text.replace(/^/gm, '  ');
/** A decision in a line: who, what, and a correction cut to 80 characters. */
const decisionLine = (decision: { reviewer: string; decision: string; correction?: unknown }) =>
  `${decision.reviewer}: ${decision.decision}${decision.correction !== undefined ? ` → ${excerpt(JSON.stringify(decision.correction), 80)}` : ''}`;

/** The item as the reviewer sees it. */
export function renderItem(view: ReviewItemView, queue: string, decided: number): string {
  const { item, version, similar, task } = view;
  const lines = [
    `── queue ${queue} · ${decided} decided this session · item ${item.id}`,
    `reason: ${item.reason}${version ? ` · version ${version.number} (${version.kind})` : ''} · task ${task.name} (${task.output.kind}${task.output.kind === 'label' ? `: ${task.output.labels.map((label) => JSON.stringify(label)).join(', ')}` : ''})`,
    'input:',
    indent(excerpt(item.input, 2000)),
    'output:',
    indent(item.output === null ? '(none)' : JSON.stringify(item.output)),
  ];
  if (view.decisions?.length) {
    // an admin settling a disagreement sees what each reviewer said
    lines.push('decisions on this item:');
    for (const decision of view.decisions)
      lines.push(
        `  ${decisionLine(decision)}${decision.comment ? ` (${excerpt(decision.comment, 80)})` : ''}`,
      );
  }
  if (similar.length) {
    lines.push('similar past decisions:');
    for (const each of similar)
      lines.push(
        `  ${each.similarity.toFixed(2)}  ${each.decisions.map(decisionLine).join('; ')}  ${excerpt(each.input, 80).replace(/\s+/g, ' ')}`,
      );
  }
  lines.push('[a]pprove  [c]orrect in the editor  [r]eject  [s]kip  [q]uit');
  return `${lines.join('\n')}\n`;
}

/** Keys as the reviewer gives them: one at a time, or a typed line. */
interface KeyReader {
  next(): Promise<string>;
  /** A line typed up to Enter (echoed through `write`, Backspace mends it); undefined on Ctrl-C or Ctrl-D. */
  line(write: (text: string) => void): Promise<string | undefined>;
  close(): void;
}

/** Reads one key at a time: a raw key press on a terminal, else the first character of each line. */
function keyReader(io: TerminalIo): KeyReader {
  const { input } = io;
  if (input.isTTY && input.setRawMode) {
    // raw only while a key is awaited: Ctrl-C during a request or in the editor stays an interrupt, and
    // the terminal is never left raw
    const raw = (on: boolean) => {
      input.setRawMode!(on);
      if (on) input.resume();
      else input.pause();
    };
    // keys typed ahead (several in one chunk) wait their turn rather than being dropped
    const ahead: string[] = [];
    const next = (): Promise<string> => {
      if (ahead.length) return Promise.resolve(ahead.shift()!);
      raw(true);
      return new Promise((resolve) =>
        input.once('data', (data) => {
          raw(false);
          const text = String(data);
          // an arrow key or another escape sequence is one key (answering nothing), not its letters
          if (text.startsWith('\u001b')) return resolve('\u001b');
          const [key = '', ...rest] = [...text];
          ahead.push(...rest);
          resolve(key);
        }),
      );
    };
    return {
      next,
      line: async (write) => {
        let typed = '';
        for (;;) {
          const key = await next();
          if (key === '\r' || key === '\n') break;
          if (key === '\u0003' || key === '\u0004') {
            write('\n');
            return undefined;
          }
          if ((key === '\u007f' || key === '\b') && typed) {
            typed = [...typed].slice(0, -1).join(''); // a whole character, a surrogate pair too
            write('\b \b');
          } else if (key >= ' ' && key !== '\u007f') {
            typed += key;
            write(key);
          }
        }
        write('\n');
        return typed;
      },
      close: () => raw(false),
    };
  }
  // piped keys: one reader for the whole session, so lines it has buffered are never lost; the end of
  // the input is Ctrl-D, which every prompt takes as the end (a rubric question asked again and again
  // would spin on it)
  const lines = createInterface({ input })[Symbol.asyncIterator]();
  return {
    next: async () => {
      const line = await lines.next();
      return line.done ? '\u0004' : (line.value.trim()[0] ?? '');
    },
    line: async () => {
      const line = await lines.next();
      return line.done ? undefined : line.value.trim();
    },
    close: () => void lines.return?.(),
  };
}

/**
 * The queue's rubric asked one key per question: y or n, a digit for a number in a range of up to ten
 * whole numbers or for one of up to nine categories, Enter to leave a question unanswered. Any other
 * number (a wider range, fractions) or a category among more than nine is typed, then Enter.
 */
async function askRubric(
  rubric: RubricItem[],
  keys: KeyReader,
  write: (text: string) => void,
): Promise<Record<string, number | boolean | string>> {
  const answers: Record<string, number | boolean | string> = {};
  for (const question of rubric) {
    const choices = rubricChoices(question);
    if (!choices) {
      const answer = await typedAnswer(question, keys, write);
      // Ctrl-C or Ctrl-D leaves the rest unanswered; the decision is still sent
      if (answer === null) return answers;
      if (answer !== undefined) answers[question.name] = answer;
      continue;
    }
    write(
      `${question.name}? ${[...choices].map(([key, value]) => `[${key}] ${String(value)}`).join('  ')}  [enter] leave\n`,
    );
    for (;;) {
      const key = (await keys.next()).toLowerCase();
      if (key === '' || key === '\r' || key === '\n') break;
      if (key === '\u0003' || key === '\u0004') return answers;
      const value = choices.get(key);
      if (value === undefined) continue;
      answers[question.name] = value;
      break;
    }
  }
  return answers;
}

/**
 * A rubric answer typed as a line: a number in the question's range, or a category by its number. Asked
 * again until it is one; undefined when left empty, null on Ctrl-C or Ctrl-D.
 */
async function typedAnswer(
  question: RubricItem,
  keys: KeyReader,
  write: (text: string) => void,
): Promise<number | string | undefined | null> {
  const categories = question.kind === 'categorical' ? (question.categories ?? []) : undefined;
  const { minimum, maximum } = categories ? { minimum: 1, maximum: categories.length } : question;
  const range = `${minimum !== undefined ? ` from ${minimum}` : ''}${maximum !== undefined ? ` to ${maximum}` : ''}`;
  write(
    categories
      ? `${question.name}? ${categories.map((category, index) => `[${index + 1}] ${category}`).join('  ')}\n  type its number, then Enter (Enter alone leaves it): `
      : `${question.name}? a number${range}, then Enter (Enter alone leaves it): `,
  );
  for (;;) {
    const line = await keys.line(write);
    if (line === undefined) return null;
    const typed = line.trim();
    if (typed === '') return undefined;
    // a category by its number; the answer checked as the registry checks it
    const answer = categories ? categories[Number(typed) - 1] : Number(typed);
    // a decimal as people write it ("7", "-0.5", ".25"): not "0x1F" or "1e2", which Number also reads
    if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(typed) && rubricAnswerFits(question, answer)) return answer;
    write(`  "${typed}" is not ${categories ? "a category's number" : 'a number'}${range}; again: `);
  }
}

/** The keys that answer a rubric question, and what each means; undefined when one key cannot. */
function rubricChoices(question: RubricItem): Map<string, number | boolean | string> | undefined {
  if (question.kind === 'boolean')
    return new Map<string, boolean>([
      ['y', true],
      ['n', false],
    ]);
  if (question.kind === 'categorical') {
    const categories = question.categories ?? [];
    return categories.length <= 9
      ? new Map(categories.map((category, index) => [String(index + 1), category]))
      : undefined;
  }
  const { minimum, maximum } = question;
  if (
    minimum === undefined ||
    maximum === undefined ||
    !Number.isInteger(minimum) ||
    !Number.isInteger(maximum)
  )
    return undefined;
  if (minimum < 0 || maximum > 9 || maximum < minimum) return undefined;
  return new Map(
    Array.from({ length: maximum - minimum + 1 }, (_, index) => [String(minimum + index), minimum + index]),
  );
}

/** The corrected output as edited in `editor` from `initial`; undefined when left empty or unchanged. */
export function editCorrection(editor: string, initial: string): string | undefined {
  const folder = mkdtempSync(join(tmpdir(), 'promptune-review-'));
  const file = join(folder, 'correction.txt');
  try {
    writeFileSync(file, initial);
    // the editor command is the user's (it may carry arguments); the file goes in as $1, never as text
    const result = spawnSync('sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit' });
    if (result.status !== 0) return undefined;
    const edited = readFileSync(file, 'utf8').replace(/\r?\n$/, ''); // editors end files with a newline
    return edited.trim() === '' || edited === initial ? undefined : edited;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Reviews `queue` until it is empty or the reviewer quits; returns how many decisions were sent. */
export async function reviewInTerminal(client: ReviewClient, queue: string, io: TerminalIo): Promise<number> {
  const write = (text: string) => void io.output.write(text);
  let decided = 0;
  const keys = keyReader(io);
  try {
    for (;;) {
      const view = await client.next(queue);
      if (!view) {
        write(
          `Nothing left to review in ${queue} for ${client.reviewer} (${decided} decided this session).\n`,
        );
        return decided;
      }
      write(renderItem(view, queue, decided));
      for (;;) {
        const key = (await keys.next()).toLowerCase();
        let input: ReviewDecisionInput | undefined;
        if (key === 'a') input = { decision: 'approve' };
        else if (key === 'r') input = { decision: 'reject' };
        else if (key === 's') input = { decision: 'skip' };
        else if (key === 'c' || key === 'e') {
          const correction = editCorrection(io.editor, view.item.output ?? '');
          if (correction === undefined) {
            write('correction left unchanged: nothing sent\n');
            continue;
          }
          input = { decision: 'correct', correction };
        } else if (key === 'q' || key === '\u0003' || key === '\u0004') {
          await client.release(view.item.id);
          write(`stopped: ${decided} decided this session; item ${view.item.id} given back.\n`);
          return decided;
        } else continue;
        // (a service from before views carried the rubric sends none)
        if (input.decision !== 'skip' && view.rubric?.length) {
          const rubric = await askRubric(view.rubric, keys, write);
          if (Object.keys(rubric).length) input = { ...input, rubric };
        }
        try {
          await client.decide(view.item.id, input);
          decided++;
          write(`${input.decision} sent\n`);
          break;
        } catch (error) {
          if (!PromptuneError.isInstance(error)) throw error;
          write(`not sent: ${error.message} (${error.code})${error.hint ? `\n  hint: ${error.hint}` : ''}\n`);
          // the item is someone else's now: go on to the next one rather than ask again
          if (error.code === 'REVIEW_RESERVED' || error.code === 'REVIEW_NOT_RESERVED') break;
        }
      }
    }
  } finally {
    keys.close();
  }
}
