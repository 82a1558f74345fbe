// Chat templates (Jinja, as shipped in tokenizer_config.json or GGUF metadata) rendered with
// @huggingface/jinja. Only rendering; choosing roles and messages is the caller's.
import { Template } from '@huggingface/jinja';
import { TokenizerError } from '../errors/index.js';
import type { Tokenizer } from './tokenizers/types.js';

/** One chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

/** Renders messages with the tokenizer's chat template into prompt text. */
export function applyChatTemplate(
  tokenizer: Tokenizer,
  messages: ChatMessage[],
  options: { addGenerationPrompt?: boolean; template?: string } = {},
): string {
  const source = options.template ?? tokenizer.chatTemplate;
  if (!source) {
    throw new TokenizerError('this model has no chat template', {
      code: 'CHAT_TEMPLATE_MISSING',
      hint: 'Use a plain prompt instead of chat messages (generate without --chat, or /v1/completions); from code, pass a Jinja template as `template`.',
    });
  }
  const special = (id: number | undefined) =>
    id === undefined ? '' : tokenizer.decode([id], { keepSpecial: true });
  try {
    return new Template(source).render({
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? true,
      bos_token: special(tokenizer.bosTokenId),
      eos_token: special(tokenizer.eosTokenIds[0]),
    });
  } catch (error) {
    throw new TokenizerError(`the chat template failed to render: ${(error as Error).message}`, {
      code: 'CHAT_TEMPLATE_INVALID',
      hint: 'Check the template syntax, or pass messages with role and content fields.',
      cause: error,
    });
  }
}
