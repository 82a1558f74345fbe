// Chat templates render through @huggingface/jinja with the tokenizer's special tokens.
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { PromptuneError } from '../errors/index.js';
import { applyChatTemplate } from './chat-template.js';
import { loadTokenizerJson } from './tokenizers/load-tokenizer.js';

const chatml =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const llama2 =
  "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

describe('chat templates', () => {
  const tokenizer = loadTokenizerJson(stories.huggingFace);

  it('renders a ChatML template with a generation prompt', () => {
    const text = applyChatTemplate(
      tokenizer,
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      { template: chatml },
    );
    expect(text).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('passes the tokenizer’s BOS and EOS text to the template', () => {
    const text = applyChatTemplate(
      tokenizer,
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
      ],
      { template: llama2 },
    );
    expect(text).toBe('<s>[INST] Hi [/INST]Hello</s>');
  });

  it('says so when the model has no template', () => {
    expect(tokenizer.chatTemplate).toBeUndefined();
    try {
      applyChatTemplate(tokenizer, [{ role: 'user', content: 'Hi' }]);
      expect.unreachable();
    } catch (error) {
      expect(PromptuneError.isInstance(error) && error.code).toBe('CHAT_TEMPLATE_MISSING');
    }
  });
});
