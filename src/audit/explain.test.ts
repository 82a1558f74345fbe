// Explanations. A soft prompt on stories260K (the real engine): a prompt initialized from a text reads
// back as that text by cosine and by distance; ablations report exact match without each token with
// intervals that hold their effect; saliency is gradient × input, checked against finite differences
// of the engine's own loss. A hard prompt, with a scripted model that needs one sentence (controlled
// behaviour is what is tested): removing that sentence costs everything, removing the other nothing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, stories } from '../../test/models.js';
import { ScriptedModel } from '../../test/scripted-model.js';
import { inputGradients, loadModel, seededRandom, tokenTexts } from '../engine/index.js';
import { buildBatch, initSoftPrompt, tokenizeExample } from '../soft/index.js';
import { loadSplit, loadTask } from '../tasks/index.js';
import { explainHardPrompt } from './explain-hard.js';
import { explainSoftPrompt } from './explain-soft.js';

describe('explainSoftPrompt', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const text = 'Once upon a time';
  const prompt = initSoftPrompt(model, tokenizer, 4, { kind: 'text', text }, seededRandom(0));
  const examples = [
    ['Lily had a red ball. Lily', ' loved'],
    ['Tom saw a big dog. Tom', ' was'],
    ['The cat sat on the mat. The', ' cat'],
  ].map(([input, target], index) => tokenizeExample(tokenizer, input, target, `example ${index}`));

  it('reads each virtual token, ablates it, and attributes the loss to the input tokens', () => {
    const explanation = explainSoftPrompt(model, tokenizer, prompt, examples, { nearest: 3, resamples: 200 });
    expect(explanation).toMatchObject({ kind: 'soft', n: 3, virtualTokens: 4 });
    const ids = tokenizer.encode(text, { addBos: false });
    explanation.tokens.forEach((token, position) => {
      expect(token.cosine[0].cosine).toBeCloseTo(1, 5);
      expect(token.l2[0].distance).toBeCloseTo(0, 4);
      expect(token.l2[0].text).toBe(token.cosine[0].text);
      expect(token.cosine[0].text).toBe(tokenTexts(tokenizer)[ids[position]]);
      for (const ablation of [token.zeroed, token.removed]) {
        expect(ablation.effect).toBeCloseTo(ablation.exactMatch - explanation.original.exactMatch, 10);
        expect(ablation.interval[0]).toBeLessThanOrEqual(ablation.effect);
        expect(ablation.interval[1]).toBeGreaterThanOrEqual(ablation.effect);
      }
    });
    const [first] = explanation.saliency;
    // the input's tokens without BOS, each with its share (token texts keep the leading space)
    expect(
      first.tokens
        .map((token) => token.text)
        .join('')
        .trimStart(),
    ).toBe(tokenizer.decode(examples[0].inputIds.slice(1)));
    expect(first.tokens.reduce((sum, token) => sum + token.saliency, 0)).toBeCloseTo(1, 6);
    expect(first.promptShare).toBeGreaterThan(0);
    expect(first.promptShare).toBeLessThan(1);

    // gradient × input at each position equals the loss's derivative along that position's embedding
    const batch = buildBatch(model, prompt, [examples[0]]);
    const C = model.config.hiddenSize;
    const lossWith = (position: number, scale: number) => {
      const embeddings = batch.embeddings.slice();
      for (let i = position * C; i < (position + 1) * C; i++) embeddings[i] *= scale;
      return inputGradients(model, { ...batch, embeddings }).loss;
    };
    const inputStart = batch.targetStarts[0] - first.tokens.length;
    const numeric = first.tokens.map((_, i) =>
      Math.abs((lossWith(inputStart + i, 1.01) - lossWith(inputStart + i, 0.99)) / 0.02),
    );
    const total = numeric.reduce((sum, value) => sum + value, 0);
    numeric.forEach((value, i) => expect(first.tokens[i].saliency).toBeCloseTo(value / total, 2));
  });
});

describe('explainHardPrompt', () => {
  it('measures what removing each sentence and demo costs', async () => {
    const task = loadTask(join(repositoryRoot, 'examples', 'name.yaml'));
    const withDemo = {
      ...task,
      spec: { ...task.spec, prompt: { ...task.spec.prompt, demos: [{ input: 'Sam ran.', target: ' Sam' }] } },
    };
    const examples = loadSplit(task, 'dev').slice(0, 30);
    // names the story's hero only when asked for the main character's name
    const model = new ScriptedModel('asked', (text) =>
      text.includes('What is the name of the main character?')
        ? ` ${text.match(/(?:named|called) (\p{Lu}\p{Ll}+)/u)?.[1] ?? 'Nobody'}`
        : ' The end',
    );
    const explanation = await explainHardPrompt({
      task: withDemo,
      split: 'dev',
      examples,
      model: { name: 'scripted', provider: 'scripted', modelId: 'asked', model },
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-explain-')),
      resamples: 300,
    });
    expect(explanation.original.score).toBeGreaterThan(0.5);
    // most needed first: the question; the answer cue and the demo cost this model nothing
    expect(explanation.parts[0]).toMatchObject({
      kind: 'sentence',
      text: 'Q: What is the name of the main character?',
    });
    expect(
      explanation.parts
        .slice(1)
        .map((part) => part.text)
        .sort(),
    ).toEqual(['A:', JSON.stringify({ input: 'Sam ran.', target: ' Sam' })]);
    const [question, ...rest] = explanation.parts;
    expect(question.score).toBe(0);
    expect(question.effect).toBeCloseTo(-explanation.original.score, 10);
    expect(question.pValue).toBeLessThan(0.01);
    for (const part of rest) {
      expect(part.effect).toBe(0);
      expect(part.pValue).toBe(1);
    }
  });
});
