// One guarded call without streaming: the input validators on the user's text (a fix such as masking
// PII changes what the provider sees), then the answer checked with its on-fail policies, a re-ask
// sending the model its answer back with the reasons up to `maxReasks` times, the usage of every
// attempt summed and every verdict in providerMetadata.promptune.checks. Shared by guard() and streams.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
} from '@ai-sdk/provider';
import { GuardError } from '../errors/index.js';
import { answerText } from '../providers/index.js';
import type { GuardSet } from './create-validators.js';
import { refrainResult } from './refrain-answer.js';
import { describeFailures, runChecks, type CheckOutcome } from './run-checks.js';
import type { CheckContext } from './validator.js';

/** The checks of a call, as providerMetadata carries them. */
export function checksOf(result: {
  providerMetadata?: LanguageModelV3GenerateResult['providerMetadata'];
}): CheckOutcome[] {
  return (result.providerMetadata?.promptune?.checks as unknown as CheckOutcome[] | undefined) ?? [];
}

/** A GuardError for a refused input or output. */
export function guardRefusal(
  stage: 'input' | 'output',
  outcomes: CheckOutcome[],
  refused: CheckOutcome,
  usage?: { inputTokens: number; outputTokens: number },
  output?: string,
): GuardError {
  const failures = describeFailures([refused]);
  return new GuardError(`the ${stage} failed the ${refused.validator} guard: ${failures[0].reason}`, {
    code: stage === 'input' ? 'GUARD_INPUT_REFUSED' : 'GUARD_OUTPUT_REFUSED',
    hint:
      stage === 'input'
        ? 'The request was refused before reaching the model; change the input.'
        : 'The answer failed a guard whose policy is exception; the prompt version may need work.',
    stage,
    failures,
    checks: outcomes,
    usage,
    output,
  });
}

/** The prompt with every user text part checked (and possibly rewritten) by the input validators. */
export async function checkInput(
  prompt: LanguageModelV3Prompt,
  guards: GuardSet,
  context: CheckContext,
): Promise<{ prompt: LanguageModelV3Prompt; outcomes: CheckOutcome[]; refrained: boolean }> {
  if (guards.input.length === 0) return { prompt, outcomes: [], refrained: false };
  const outcomes: CheckOutcome[] = [];
  const checked: LanguageModelV3Prompt = [];
  for (const message of prompt) {
    if (message.role !== 'user') {
      checked.push(message);
      continue;
    }
    const content = [];
    for (const part of message.content) {
      if (part.type !== 'text') {
        content.push(part);
        continue;
      }
      const result = await runChecks(part.text, guards.input, {
        stage: 'input',
        refrain: guards.refrain,
        context,
      });
      outcomes.push(...result.outcomes);
      if (result.refused) throw guardRefusal('input', outcomes, result.refused);
      if (result.refrained) return { prompt, outcomes, refrained: true };
      content.push({ ...part, text: result.text });
    }
    checked.push({ ...message, content });
  }
  return { prompt: checked, outcomes, refrained: false };
}

/** The message that sends a failing answer back to the model. */
export function reaskMessage(outcomes: readonly CheckOutcome[]): string {
  const lines = describeFailures(outcomes).map((failure) => `- ${failure.validator}: ${failure.reason}`);
  return `Your answer was not accepted:\n${lines.join('\n')}\nAnswer again, fixing these problems. Reply with the answer only.`;
}

/** The prompt of the next attempt: the answer given and the reasons it failed. */
export function reaskPrompt(
  prompt: LanguageModelV3Prompt,
  answer: string,
  failures: readonly CheckOutcome[],
): LanguageModelV3Prompt {
  return [
    ...prompt,
    { role: 'assistant', content: [{ type: 'text', text: answer }] },
    { role: 'user', content: [{ type: 'text', text: reaskMessage(failures) }] },
  ];
}

/** Checks an answer and re-asks the model while a reask policy wants it and attempts remain. */
export async function guardedGenerate(
  model: LanguageModelV3,
  options: LanguageModelV3CallOptions,
  guards: GuardSet,
  context: CheckContext,
): Promise<LanguageModelV3GenerateResult> {
  const input = await checkInput(options.prompt, guards, context);
  const outcomes = [...input.outcomes];
  const withChecks = (result: LanguageModelV3GenerateResult, text: string, attempts: number) => ({
    ...result,
    content: [{ type: 'text' as const, text }],
    providerMetadata: {
      ...result.providerMetadata,
      promptune: {
        ...result.providerMetadata?.promptune,
        checks: JSON.parse(JSON.stringify(outcomes)),
        attempts,
      },
    },
  });
  if (input.refrained) return refrainResult(guards.refrain, outcomes);
  let prompt = input.prompt;
  let inputTokens = 0;
  let outputTokens = 0;
  for (let attempt = 0; ; attempt++) {
    const result = await model.doGenerate({ ...options, prompt });
    inputTokens += result.usage.inputTokens.total ?? 0;
    outputTokens += result.usage.outputTokens.total ?? 0;
    const answer = answerText(result.content);
    const reported = result.usage.outputTokens.total;
    const checked = await runChecks(answer, guards.output, {
      stage: 'output',
      attempt,
      refrain: guards.refrain,
      context:
        reported === undefined ? context : { ...context, knownTokens: { text: answer, tokens: reported } },
    });
    outcomes.push(...checked.outcomes);
    if (checked.refused)
      throw guardRefusal('output', outcomes, checked.refused, { inputTokens, outputTokens }, answer);
    if (checked.reask.length > 0 && !checked.refrained && attempt < guards.maxReasks) {
      prompt = reaskPrompt(prompt, answer, checked.reask);
      continue;
    }
    // no re-ask left: the failing answer stands, its verdicts say so: exhausted after re-asks, unrepaired
    // when none was allowed (maxReasks 0); a refrained answer was not left standing, its verdicts stay
    if (!checked.refrained)
      for (const outcome of checked.reask) outcome.action = attempt > 0 ? 'exhausted' : 'unrepaired';
    const usage = {
      inputTokens: { ...result.usage.inputTokens, total: inputTokens },
      outputTokens: { ...result.usage.outputTokens, total: outputTokens },
    };
    // an answer replaced by the refrain text finishes as a content filter's, as a refrained input does;
    // one a label fix replaced is a whole label, whatever cut the model's text (not "length")
    const labelled = checked.outcomes.some(
      (outcome) => outcome.kind === 'labels' && outcome.action === 'fixed',
    );
    const finishReason = checked.refrained
      ? { unified: 'content-filter' as const, raw: 'refrain' }
      : labelled && result.finishReason.unified === 'length'
        ? { unified: 'stop' as const, raw: 'label-fixed' }
        : result.finishReason;
    return withChecks({ ...result, usage, finishReason }, checked.text, attempt + 1);
  }
}
