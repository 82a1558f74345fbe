// Instruction paraphrases for the sensitivity audit, written by a teacher model: the template is sent
// with its {{placeholders}}, and a paraphrase counts only when it keeps every placeholder exactly (the
// ones it drops or invents are refused and counted). Identical paraphrases count once. Answers are kept
// in the response cache when one is given, so a repeated audit asks the teacher nothing and scores the
// same paraphrases.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { requestKey, withRetries, type ResponseCache } from '../eval/index.js';
import { answerText } from '../providers/index.js';
import { templateVariables, type TaskSpec } from '../tasks/index.js';
import type { PromptVariant } from './prompt-variants.js';

/** The request the teacher answers. */
export function paraphraseRequest(template: string): string {
  return [
    'Paraphrase this prompt template: say the same thing in other words, as another person would write it.',
    'Keep every {{placeholder}} exactly as written, and keep what each part asks for.',
    'Reply with the new template only, nothing before or after it.',
    '',
    template,
  ].join('\n');
}

/** Up to `count` paraphrases of the template, and how many answers were refused. */
export async function paraphraseVariants(
  prompt: TaskSpec['prompt'],
  teacher: LanguageModelV3,
  options: {
    count: number;
    seed: number;
    signal?: AbortSignal;
    cache?: ResponseCache;
    /** Where the teacher is served, in its cache keys (two servers of one model name answer apart). */
    endpoint?: string;
    /** How long one call may take before it is abandoned and retried (default 120 s). */
    timeoutMs?: number;
  },
): Promise<{ variants: PromptVariant[]; refused: number }> {
  const wanted = [...templateVariables(prompt.template)].sort().join(',');
  const seen = new Set([prompt.template.trim()]);
  const variants: PromptVariant[] = [];
  let refused = 0;
  for (let attempt = 0; attempt < options.count * 2 && variants.length < options.count; attempt++) {
    const request = {
      prompt: [
        {
          role: 'user' as const,
          content: [{ type: 'text' as const, text: paraphraseRequest(prompt.template) }],
        },
      ],
      temperature: 0.9,
      seed: options.seed + attempt,
      maxOutputTokens: 400,
    };
    const key = requestKey({
      provider: teacher.provider,
      modelId: teacher.modelId,
      ...(options.endpoint && { endpoint: options.endpoint }),
      ...request,
    });
    let text = options.cache?.get(key)?.text;
    if (text === undefined) {
      const started = performance.now();
      // as the harness calls: rate limits and server errors retried, each attempt timed out
      const result = await withRetries((abortSignal) => teacher.doGenerate({ ...request, abortSignal }), {
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      });
      text = answerText(result.content).trim();
      options.cache?.put(key, {
        text,
        inputTokens: result.usage.inputTokens.total ?? 0,
        outputTokens: result.usage.outputTokens.total ?? 0,
        latencyMs: performance.now() - started,
      });
    }
    if (!text || [...templateVariables(text)].sort().join(',') !== wanted) {
      refused++;
      continue;
    }
    if (seen.has(text)) continue;
    seen.add(text);
    variants.push({
      family: 'paraphrase',
      name: `paraphrase ${variants.length + 1}`,
      prompt: { ...prompt, template: text },
    });
  }
  return { variants, refused };
}
