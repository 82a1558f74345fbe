// An LLM judge as a validator: a model (any provider) reads the output against a rubric and answers
// with a score from 0 to 10; the output passes at or above the threshold. Its tokens are reported so
// callers count its cost. A verdict without a score fails, with the verdict quoted as the reason.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { answerText } from '../../providers/index.js';
import type { CheckResult, Validator } from '../validator.js';

/** The judge's prompt for one output. */
export function judgeValidatorPrompt(rubric: string, output: string): string {
  return [
    'You are checking a response before it is shown to a user.',
    `Requirement: ${rubric}`,
    `Response:\n${output}`,
    'Answer with exactly two lines:\nSCORE: <an integer from 0 (fails the requirement) to 10 (fully meets it)>\nREASON: <one sentence>',
  ].join('\n\n');
}

/** Output must satisfy `rubric` in `model`'s judgement (score / 10 >= threshold). */
export function judgeValidator(
  name: string,
  model: LanguageModelV3,
  rubric: string,
  threshold: number,
): Validator {
  return {
    name,
    kind: 'judge',
    prefixFailures: false,
    async check(text, context): Promise<CheckResult> {
      const result = await model.doGenerate({
        prompt: [{ role: 'user', content: [{ type: 'text', text: judgeValidatorPrompt(rubric, text) }] }],
        temperature: 0,
        maxOutputTokens: 96,
        abortSignal: context.signal,
      });
      const usage = {
        inputTokens: result.usage.inputTokens.total ?? 0,
        outputTokens: result.usage.outputTokens.total ?? 0,
      };
      const verdict = answerText(result.content);
      const match = /SCORE:\s*(\d+(?:\.\d+)?)/i.exec(verdict);
      if (!match)
        return {
          passed: false,
          issues: [{ reason: `the judge gave no score: ${JSON.stringify(verdict.slice(0, 160))}` }],
          usage,
        };
      const score = Math.min(1, Number(match[1]) / 10);
      const reason = /REASON:\s*(.*)/i.exec(verdict)?.[1]?.trim() ?? '';
      return score >= threshold
        ? { passed: true, issues: [], usage }
        : {
            passed: false,
            issues: [{ reason: `judged ${score.toFixed(1)} < ${threshold}: ${reason}` }],
            usage,
          };
    },
  };
}
