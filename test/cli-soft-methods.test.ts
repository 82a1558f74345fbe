// `promptune soft train --method lora|prefix-tuning|p-tuning` (with its MLP or LSTM encoder) as a user runs
// them: each method's PEFT-format folder read back by eval, generate and push, and the options and files
// each refuses.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateAdapter, generateWithAdapter, promptune, slice } from './cli-soft-helpers.js';
import { jsonError } from './error-code.js';
import { stories } from './models.js';

describe('promptune soft train --method', () => {
  it('trains LoRA (--method lora), whose adapter PEFT-format files eval, generate and push read', () => {
    const data = slice('name', { train: 64, dev: 16, test: 32 });
    const out = join(data, 'lora');
    const database = join(data, 'registry.sqlite');
    const trained = promptune(
      'soft',
      'train',
      '--method',
      'lora',
      '--rank',
      '4',
      '--dropout',
      '0.1',
      '--model',
      stories.gguf,
      '--data',
      data,
      '--out',
      out,
      '--epochs',
      '3',
      '--json',
      '--push',
      '--db',
      database,
    );
    expect(trained.stderr).toMatch(/training 24\/24 100%/);
    expect(trained.status).toBe(0);
    const summary = JSON.parse(trained.stdout);
    // the name task's answers are in the input: LoRA learns to copy them in three epochs of 64
    expect(summary.test.exactMatch).toBeGreaterThan(0.5);
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({
      peft_type: 'LORA',
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0.1,
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    });
    expect(JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8'))).toMatchObject({
      method: 'lora',
      training: { dropout: 0.1 },
    });
    // the same folder with another rank is another run: refused, the rank named once
    const otherRank = promptune(
      ...['soft', 'train', '--method', 'lora', '--rank', '8', '--dropout', '0.1', '--model', stories.gguf],
      ...['--data', data, '--out', out, '--epochs', '3'],
    );
    expect(otherRank.stderr).toContain('code: TRAIN_CHECKPOINT_MISMATCH');
    expect(otherRank.stderr.match(/rank 4 → 8/g)).toHaveLength(1);
    const evaluated = JSON.parse(evaluateAdapter(out, join(data, 'test.jsonl')).stdout);
    expect(evaluated).toMatchObject({ n: 32, accuracy: summary.test.exactMatch });
    const generated = generateWithAdapter(out);
    expect(generated.status).toBe(0);
    const shown = JSON.parse(
      promptune('registry', 'show', summary.pushed, '--db', database, '--json').stdout,
    );
    expect(shown.version).toMatchObject({
      kind: 'soft',
      content: { adapterConfig: { peft_type: 'LORA', r: 4 } },
    });
    // --like trains as the version does: its method and shape, the options written beside it winning
    const like = (out: string, ...more: string[]) =>
      promptune(
        ...['soft', 'train', '--model', stories.gguf, '--data', data, '--out', join(data, out)],
        ...['--steps', '1', '--db', database, ...more],
      );
    const liked = like('like', '--like', summary.pushed);
    expect(liked.status, liked.stderr).toBe(0);
    expect(liked.stderr).not.toContain('was trained on'); // the same weights: nothing to warn of
    expect(liked.stderr).toContain(
      `--like ${summary.pushed}: version ${summary.pushed}'s LoRA: --method lora --rank 4 --alpha 8 --targets q,k,v,o,gate,up,down --dropout 0.1`,
    );
    const likeConfig = (out: string) =>
      JSON.parse(readFileSync(join(data, out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(likeConfig('like')).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, lora_dropout: 0.1 });
    // a bare number is a version of --data's task; a rank written takes its own alpha (2 × rank)
    const ranked = like(
      'like-rank',
      '--like',
      summary.pushed.split('@')[1],
      '--rank',
      '2',
      '--targets',
      'q,v',
    );
    expect(ranked.status, ranked.stderr).toBe(0);
    expect(likeConfig('like-rank')).toMatchObject({
      r: 2,
      lora_alpha: 4,
      target_modules: ['q_proj', 'v_proj'],
    });
    // another method beside it, or an option LoRA does not read, is refused before training
    const otherMethod = like('like-other', '--like', summary.pushed, '--method', 'prefix-tuning');
    expect(otherMethod.stderr).toContain('code: CLI_INVALID_OPTION');
    expect(otherMethod.stderr).toContain(
      'trains version ' + summary.pushed + "'s LoRA (--method lora); --method prefix-tuning was given too",
    );
    const foreign = like('like-foreign', '--like', summary.pushed, '--virtual-tokens', '8');
    expect(foreign.stderr).toContain(
      `--virtual-tokens is not an option of version ${summary.pushed}'s LoRA, which --like copies`,
    );
    expect(like('like-none', '--like', `${summary.pushed.split('@')[0]}@9`).stderr).toContain(
      'code: REGISTRY_NO_VERSION',
    );
    // eval names what answered: the base model with a LoRA adapter (it said +soft: before)
    const byVersion = promptune(
      ...['eval', '--version', summary.pushed, '--model', `local:${stories.gguf}`, '--db', database],
      ...['--split', 'test', '--limit', '4', '--json'],
    );
    expect(byVersion.status, byVersion.stderr).toBe(0);
    expect(JSON.parse(byVersion.stdout).model).toMatch(/^local:.*stories260K\.gguf\+lora:[0-9a-f]{12}$/);
    // the Hugging Face copy of the same weights (query and key rows in rotate-half order) is the same
    // model: the adapter (its q_proj and k_proj products reordered) loads on it without --force and gives
    // the same loss, not only the same answers
    const onCopy = promptune(
      ...['soft', 'eval', '--model', stories.huggingFace, '--adapter', out],
      ...['--data', join(data, 'test.jsonl'), '--json'],
    );
    expect(onCopy.status, onCopy.stderr).toBe(0);
    expect(JSON.parse(onCopy.stdout).accuracy).toBe(evaluated.accuracy);
    expect(JSON.parse(onCopy.stdout).loss).toBeCloseTo(evaluated.loss, 5);
    // a push for other weights (an 8-bit quantization, another fingerprint) moves the task's latest to a
    // model a service of the first refuses: it says so
    const quantized = join(data, 'stories-q8.gguf');
    expect(
      promptune('model', 'convert', '--model', stories.gguf, '--to', 'q8_0', '--out', quantized).status,
    ).toBe(0);
    const otherBase = promptune(
      ...['soft', 'train', '--method', 'lora', '--model', quantized, '--data', data],
      ...['--out', join(data, 'lora-q8'), '--steps', '1', '--push', '--db', database],
    );
    expect(otherBase.status, otherBase.stderr).toBe(0);
    expect(otherBase.stderr).toMatch(
      /warning: \S+@1, the task's latest before \S+@2, was trained on stories260K\.gguf; \S+@2 on stories-q8\.gguf, whose weights differ/,
    );
    // --rslora scales by alpha / √rank, as PEFT's use_rslora, written so PEFT reads it the same way
    const stabilized = join(data, 'lora-rs');
    const rs = promptune(
      ...['soft', 'train', '--method', 'lora', '--rank', '4', '--rslora', '--model', stories.gguf],
      ...['--data', data, '--out', stabilized, '--steps', '2'],
    );
    expect(rs.status, rs.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(stabilized, 'adapter_config.json'), 'utf8'))).toMatchObject({
      r: 4,
      lora_alpha: 8,
      use_rslora: true,
    });
    expect(JSON.parse(readFileSync(join(stabilized, 'promptune.json'), 'utf8')).training).toMatchObject({
      rslora: true,
    });
    const notLora = promptune(
      ...['soft', 'train', '--method', 'prefix-tuning', '--rslora', '--model', stories.gguf],
      ...['--data', data, '--out', join(data, 'x-rs'), '--steps', '1'],
    );
    expect(notLora.stderr).toMatch(/--rslora would be ignored[\s\S]*code: CLI_INVALID_OPTION/);
    // a method promptune does not run is refused by name, not half-loaded
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    writeFileSync(join(out, 'adapter_config.json'), JSON.stringify({ ...config, peft_type: 'IA3' }));
    const refused = promptune(
      'soft',
      'eval',
      '--model',
      stories.gguf,
      '--adapter',
      out,
      '--data',
      join(data, 'test.jsonl'),
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/ADAPTER_UNSUPPORTED/);
    const badTargets = promptune(
      'soft',
      'train',
      '--method',
      'lora',
      '--targets',
      'q,fc1',
      '--model',
      stories.gguf,
      '--data',
      data,
      '--out',
      join(data, 'x'),
    );
    expect(badTargets.stderr).toMatch(/LORA_OPTIONS/);
    const prototypeName = promptune(
      'soft',
      'train',
      '--method',
      'lora',
      '--targets',
      'constructor',
      '--model',
      stories.gguf,
      '--data',
      data,
      '--out',
      join(data, 'y'),
    );
    expect(prototypeName.stderr).toMatch(/LORA_OPTIONS/);
    const emptyName = promptune(
      ...['soft', 'train', '--method', 'lora', '--targets', 'q,,v', '--model', stories.gguf],
      ...['--data', data, '--out', join(data, 'z')],
    );
    expect(emptyName.stderr).toContain('error: --targets "q,,v" names an empty projection');
  });

  it('trains prefix tuning (--method prefix-tuning), whose PEFT-format prefix eval, generate and push read', () => {
    const data = slice('name', { train: 64, dev: 16, test: 32 });
    const out = join(data, 'prefix');
    const database = join(data, 'registry.sqlite');
    const train = (...more: string[]) =>
      promptune(
        'soft',
        'train',
        '--method',
        'prefix-tuning',
        '--model',
        stories.gguf,
        '--data',
        data,
        ...more,
      );
    const trained = train(
      '--out',
      out,
      '--init',
      'text',
      '--epochs',
      '3',
      '--json',
      '--push',
      '--db',
      database,
    );
    expect(trained.stderr).toMatch(/training 24\/24 100%/);
    expect(trained.status).toBe(0);
    const summary = JSON.parse(trained.stdout);
    expect(summary.test.exactMatch).toBeGreaterThan(0.5);
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({
      peft_type: 'PREFIX_TUNING',
      num_virtual_tokens: 16,
      num_layers: 5,
      token_dim: 32,
      prefix_projection: false,
    });
    expect(JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8'))).toMatchObject({
      method: 'prefix-tuning',
      init: 'text',
    });
    const evaluate = () => evaluateAdapter(out, join(data, 'test.jsonl'));
    const evaluated = JSON.parse(evaluate().stdout);
    expect(evaluated).toMatchObject({ n: 32, accuracy: summary.test.exactMatch });
    // candidate labels that are none of the targets (written without the targets' leading space) are said
    const unlabelled = evaluateAdapter(out, join(data, 'test.jsonl'), '--labels', 'Bob,Sue');
    expect(unlabelled.status).toBe(0);
    expect(JSON.parse(unlabelled.stdout).likelihoodAccuracy).toBe(0);
    expect(unlabelled.stderr).toMatch(
      /32 of 32 targets are none of --labels \(.*\): log-likelihood accuracy counts them wrong; .* give --labels as the targets read \(" (Bob|Sue)/,
    );
    // the prefix's keys are in the order of the model file's query and key rows: on the Hugging Face copy
    // (rotate-half where this GGUF interleaves) it scores the same, its keys reordered
    const onCopy = promptune(
      ...['soft', 'eval', '--model', stories.huggingFace, '--adapter', out],
      ...['--data', join(data, 'test.jsonl'), '--json'],
    );
    expect(onCopy.status, onCopy.stderr).toBe(0);
    expect(JSON.parse(onCopy.stdout)).toMatchObject({ accuracy: evaluated.accuracy, n: 32 });
    expect(JSON.parse(onCopy.stdout).loss).toBeCloseTo(evaluated.loss, 5);
    // ... but its checkpoint holds the keys as this GGUF runs them: not resumed on the copy
    const resumedOnCopy = promptune(
      ...['soft', 'train', '--method', 'prefix-tuning', '--model', stories.huggingFace, '--data', data],
      ...['--out', out, '--init', 'text', '--epochs', '3'],
    );
    expect(resumedOnCopy.status).not.toBe(0);
    expect(resumedOnCopy.stderr).toMatch(/code: TRAIN_CHECKPOINT_MISMATCH/);
    expect(resumedOnCopy.stderr).toMatch(/query and key order \(.*\) interleaved → rotate-half/);
    // a checkpoint written before the order was recorded still resumes on the model it began on
    const checkpointPath = join(out, 'checkpoint.json');
    const checkpoint = JSON.parse(readFileSync(checkpointPath, 'utf8'));
    const settings = JSON.parse(checkpoint.settings);
    expect(settings.run.queryKeyOrder).toBe('interleaved');
    delete settings.run.queryKeyOrder;
    writeFileSync(checkpointPath, JSON.stringify({ ...checkpoint, settings: JSON.stringify(settings) }));
    const resumedOlder = train('--out', out, '--init', 'text', '--epochs', '3', '--json');
    expect(resumedOlder.status, resumedOlder.stderr).toBe(0);
    expect(resumedOlder.stderr).toContain('already holds this run to its end');
    const generated = generateWithAdapter(out);
    expect(generated.status).toBe(0);
    const shown = JSON.parse(
      promptune('registry', 'show', summary.pushed, '--db', database, '--json').stdout,
    );
    expect(shown.version).toMatchObject({
      kind: 'soft',
      message: expect.stringMatching(/^prefix trained on/),
      content: { adapterConfig: { peft_type: 'PREFIX_TUNING', num_virtual_tokens: 16 } },
    });
    // reparameterized through an MLP: its size recorded, the prefix it makes saved
    const projected = train(
      '--out',
      join(data, 'projected'),
      '--prefix-projection',
      '--encoder-hidden',
      '8',
      '--steps',
      '2',
      '--json',
    );
    expect(projected.status, projected.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(data, 'projected', 'promptune.json'), 'utf8'))).toMatchObject({
      training: { projection: 8, init: 'normal' },
    });
    // options another method reads are refused, not ignored
    for (const wrong of [
      ['--encoder-hidden', '8'],
      ['--method', 'lora', '--prefix-projection'],
      ['--method', 'lora', '--virtual-tokens', '8'],
      ['--dropout', '0.1'],
      ['--method', 'p-tuning', '--init', 'text'],
      ['--rank', '4'],
      ['--prefix-projection', '--init-from', join(data, 'missing.json')],
      // --init-from chooses the start: another start beside it would be overridden
      ['--init-from', join(data, 'missing.json'), '--init', 'text'],
      ['--init-from', join(data, 'missing.json'), '--init-text', 'words'],
      // a method that does not start from words: no way to use --init-text
      ['--method', 'lora', '--init-text', 'words'],
    ]) {
      const refusedOption = train('--out', join(data, 'wrong'), ...wrong);
      expect(refusedOption.status).not.toBe(0);
      expect(refusedOption.stderr).toMatch(/CLI_INVALID_OPTION/);
    }
    // a config that does not fit the tensor is refused, not half-loaded
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    writeFileSync(join(out, 'adapter_config.json'), JSON.stringify({ ...config, token_dim: 64 }));
    const refused = evaluate();
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/ADAPTER_CORRUPT/);
  });

  it("evaluates a label task's adapter version as the service decodes it: constrained to its labels, so eval scores its label accuracy", () => {
    const data = slice('gender', { train: 32, dev: 8, test: 32 });
    const out = join(data, 'prefix');
    const database = join(data, 'registry.sqlite');
    const trained = promptune(
      ...['soft', 'train', '--method', 'prefix-tuning', '--model', stories.gguf, '--data', data],
      ...['--out', out, '--epochs', '2', '--json', '--push', '--db', database],
    );
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stderr).toContain('decoding constrained to them');
    const version = JSON.parse(trained.stdout).pushed;
    const scored = JSON.parse(evaluateAdapter(out, join(data, 'test.jsonl')).stdout);
    // training reports it too: what the service answers, beside exact match, and the run list heads with it
    expect(JSON.parse(trained.stdout).test.labelAccuracy).toBe(scored.likelihoodAccuracy);
    expect(promptune('runs', 'ls', '--db', database).stdout).toContain(
      `test label accuracy ${scored.likelihoodAccuracy.toFixed(3)}`,
    );
    // the spec --push built says decoding.constrain: eval (and the gate and audits built on it) decodes
    // under it, as the service does; it had decoded freely (exact match on free text)
    const evaluated = promptune(
      ...['eval', '--version', version, '--model', `local:${stories.gguf}`, '--db', database],
      ...['--split', 'test', '--json'],
    );
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout);
    expect(report.constrained).toBe(true);
    // a label chosen whole, by its likelihood: the label accuracy soft eval measures
    expect(report.score).toBeCloseTo(scored.likelihoodAccuracy, 10);
    // --constrain on an adapter version is honoured, not refused as if it were a hosted model
    const asked = promptune(
      ...['eval', '--version', version, '--model', `local:${stories.gguf}`, '--db', database],
      ...['--split', 'test', '--limit', '4', '--constrain', '--json'],
    );
    expect(asked.status, asked.stderr).toBe(0);
    expect(JSON.parse(asked.stdout).constrained).toBe(true);
    // a re-tune names the version it replaces as its parent: checked before training, kept in the lineage
    const retune = (...more: string[]) =>
      promptune(
        ...['soft', 'train', '--method', 'prefix-tuning', '--model', stories.gguf, '--data', data],
        ...['--out', join(data, `retune-${more.join('-')}`), '--steps', '2', '--json', ...more],
      );
    const missing = retune('--push', '--db', database, '--parent', '9');
    expect(missing.stderr).toContain('"code":"REGISTRY_NO_VERSION"');
    expect(missing.stderr).not.toMatch(/training \d/);
    expect(retune('--parent', '1').stderr).toContain('"code":"CLI_INVALID_OPTION"');
    const child = retune('--push', '--db', database, '--parent', '1');
    expect(child.status, child.stderr).toBe(0);
    const shown = JSON.parse(
      promptune('registry', 'show', JSON.parse(child.stdout).pushed, '--db', database, '--json').stdout,
    );
    const first = JSON.parse(promptune('registry', 'show', version, '--db', database, '--json').stdout);
    expect(shown.version.parent).toBe(first.version.id);
    // the same adapter pushed again names another parent: its lineage stays, and the push says so
    const other = promptune(
      ...['soft', 'train', '--method', 'prefix-tuning', '--model', stories.gguf, '--data', data],
      ...['--out', join(data, 'other'), '--steps', '3', '--json', '--push', '--db', database],
    );
    expect(other.status, other.stderr).toBe(0);
    const again = retune(
      '--push',
      '--db',
      database,
      '--parent',
      JSON.parse(other.stdout).pushed.split('@')[1],
    );
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      /warning: \S+ was registered before with another parent \([0-9a-f]{12}\); --parent \d is not recorded/,
    );
    // a re-tune that gives its parent itself (the loop's `unchanged`) has no other lineage to warn of
    const childNumber = String(shown.version.number);
    const itself = retune('--push', '--db', database, '--parent', childNumber, '--seed', '0');
    expect(itself.status, itself.stderr).toBe(0);
    expect(JSON.parse(itself.stdout).pushed).toBe(JSON.parse(child.stdout).pushed);
    expect(itself.stderr).not.toContain('was registered before');
  });

  it('trains P-tuning (--method p-tuning): the prompt its encoder makes is saved as P_TUNING and served as a soft prompt', () => {
    const data = slice('name', { train: 32, dev: 8, test: 16 });
    const out = join(data, 'p-tuning');
    const trained = promptune(
      'soft',
      'train',
      '--method',
      'p-tuning',
      '--encoder-hidden',
      '32',
      '--model',
      stories.gguf,
      '--data',
      data,
      '--out',
      out,
      '--epochs',
      '2',
      '--json',
    );
    expect(trained.stderr).toMatch(/training 8\/8 100%/);
    expect(trained.status, trained.stderr).toBe(0);
    const summary = JSON.parse(trained.stdout);
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({
      peft_type: 'P_TUNING',
      encoder_reparameterization_type: 'MLP',
      encoder_hidden_size: 32,
      num_virtual_tokens: 16,
    });
    const sidecar = JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8'));
    expect(sidecar).toMatchObject({
      method: 'p-tuning',
      // PEFT's MLP encoder trained: its 16 inputs of 64, then 64 → 32 → 32 → 64 with biases
      training: {
        encoder: 32,
        trainableParameters: 16 * 64 + (64 * 32 + 32) + (32 * 32 + 32) + (32 * 64 + 64),
      },
    });
    // the tokens nearest the prompt it made, one row per virtual token, for the version's page
    expect(sidecar.nearestTokens).toHaveLength(16);
    const evaluated = evaluateAdapter(out, join(data, 'test.jsonl'));
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ n: 16, accuracy: summary.test.exactMatch });
    // the encoder is not saved: a P-tuning run resumes from its checkpoint, which holds it
    const checkpoint = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'));
    expect(JSON.parse(checkpoint.settings)).toMatchObject({ encoder: 32, n: 16 });
    // PEFT's LSTM encoder: the config says so, the prompt it made is served the same way
    const lstm = join(data, 'p-tuning-lstm');
    const common = ['--model', stories.gguf, '--data', data, '--epochs', '1', '--json'];
    const withLstm = promptune(
      'soft',
      'train',
      '--method',
      'p-tuning',
      '--encoder',
      'lstm',
      '--encoder-hidden',
      '16',
      '--out',
      lstm,
      ...common,
    );
    expect(withLstm.status, withLstm.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(lstm, 'adapter_config.json'), 'utf8'))).toMatchObject({
      peft_type: 'P_TUNING',
      encoder_reparameterization_type: 'LSTM',
      encoder_hidden_size: 16,
      encoder_num_layers: 2,
    });
    expect(JSON.parse(evaluateAdapter(lstm, join(data, 'test.jsonl')).stdout)).toMatchObject({
      n: 16,
      accuracy: JSON.parse(withLstm.stdout).test.exactMatch,
    });
    const refused = promptune('soft', 'train', '--encoder', 'lstm', '--out', join(data, 'x'), ...common);
    expect(jsonError(refused.stderr)).toMatchObject({
      code: 'CLI_INVALID_OPTION',
      message: expect.stringContaining('--encoder is for --method p-tuning'),
    });
  });
});
