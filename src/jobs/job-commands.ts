// What a job may run: the promptune commands that do long work (an evaluation, an optimization, a
// soft-prompt training or a multitask one, a comparison of methods, an audit, an iteration of the closed
// loop), each of which resumes where a dead worker left it; never the service or key management. Their
// arguments are the command line's: `job submit` checks their names, and their values and combinations
// as the command does first (src/cli/job-option-checks.ts); what they read is checked when they run.
import { nearestName, ValidationError } from '../errors/index.js';

/** The commands a job may run, by their first argument(s). */
export const jobCommands = [
  'eval',
  'optimize',
  'soft train',
  'soft train-multitask',
  'compare-methods',
  'audit',
  'loop',
] as const;

/** A job's kind (its command) from its arguments; JOB_BAD_COMMAND for anything else. */
export function jobKind(args: string[]): string {
  const command = args[0] === 'soft' ? `soft ${args[1] ?? ''}`.trim() : (args[0] ?? '');
  if (!(jobCommands as readonly string[]).includes(command)) {
    const nearest = nearestName(command, jobCommands);
    throw new ValidationError(`a job cannot run "${command}"${nearest ? `; did you mean ${nearest}?` : ''}`, {
      code: 'JOB_BAD_COMMAND',
      hint: `Give one of: ${jobCommands.join(', ')}, with its options, after --, e.g. promptune job submit -- eval --task task.yaml --model ...`,
    });
  }
  return command.replaceAll(' ', '-');
}
