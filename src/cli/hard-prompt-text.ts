// A hard prompt's words as a soft prompt's start (--init text from --init-from or --baseline): its system
// text and template with the input placeholders taken out.
import { ValidationError } from '../errors/index.js';

/** A hard prompt's text: an artifact's or a task spec's. */
type HardPrompt = { system?: string; template: string };

/** A hard prompt's system text and template, the input placeholders taken out ('' when nothing is left). */
export function promptWords(prompt: HardPrompt): string {
  return [prompt.system ?? '', prompt.template.replace(/\{\{[^}]*\}\}/g, ' ')]
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The words of a hard prompt (an artifact's, a task spec's) as a soft prompt's init text: its system text
 * and template with the input placeholders taken out (demos left out: a prompt of 16 vectors holds the
 * instruction, not examples).
 */
export function hardPromptText(task: string, prompt: HardPrompt): string {
  const words = promptWords(prompt);
  if (!words)
    throw new ValidationError(`the hard prompt of task ${task} has no words besides its inputs`, {
      code: 'SOFT_INIT_EMPTY',
      hint: 'Start from another artifact, or use --init sample-vocab.',
    });
  return words;
}
