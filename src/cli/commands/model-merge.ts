// `promptune model merge --model <base> --adapter <LoRA folder> --out <dir>`: the LoRA adapter merged into
// its base model's weights (PEFT's merge_and_unload), written as the base model was stored (a GGUF, or a
// Hugging Face directory): a model that answers as the base with the adapter does, and runs where
// adapters do not (llama.cpp, Ollama, transformers, any promptune command's --model). promptune.json
// beside it says what it was merged from, as full fine-tuning's folder does.
import { defineCommand } from 'citty';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { baseModelNames } from '../base-model-names.js';
import { checkModelWritable, loadModel } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import {
  adapterMethod,
  loadLoraAdapter,
  mergeLora,
  modelFingerprint,
  saveFineTunedModel,
  tokenizerFingerprint,
} from '../../soft/index.js';
import { downloadProgress } from '../progress.js';
import { registryOption, versionReference, withRegistry } from '../registry-access.js';
import { versionAdapterBytes, writeVersionFiles } from '../version-files.js';

export default defineCommand({
  meta: {
    name: 'merge',
    description:
      "Merge a LoRA adapter into its base model's weights (PEFT's merge_and_unload), written as the base is stored",
  },
  args: {
    model: {
      type: 'string',
      required: true,
      description:
        'The base model the adapter was trained on: .gguf, Hugging Face directory, or hf:<org>/<name>',
    },
    adapter: { type: 'string', description: 'A LoRA adapter folder (soft train --method lora, or PEFT)' },
    version: {
      type: 'string',
      description: 'Or a LoRA version of the registry: <task>@<label|number|id> (production, say)',
    },
    db: registryOption,
    out: {
      type: 'string',
      required: true,
      description:
        'Folder to write: model.gguf (from a GGUF) or a Hugging Face directory, and promptune.json',
    },
    force: {
      type: 'boolean',
      default: false,
      description: 'Merge an adapter trained on other weights than --model (its fingerprint differs)',
    },
    json: { type: 'boolean', default: false, description: 'Print the result as JSON' },
  },
  async run({ args }) {
    if ((args.adapter === undefined) === (args.version === undefined))
      throw new ValidationError('name the LoRA to merge: --adapter <folder> or --version <task@ref>', {
        code: 'CLI_INVALID_OPTION',
        hint: 'Give one of them: an adapter folder, or a version of the registry (--db, or DATABASE_URL).',
      });
    // a version's files are written to a folder of their own first, and removed after
    const staged = args.version === undefined ? undefined : await stageVersion(args, args.version);
    try {
      await merge({ ...args, adapter: staged?.folder ?? args.adapter! }, staged?.name);
    } finally {
      if (staged) rmSync(staged.folder, { recursive: true, force: true });
    }
  },
});

/** Writes the registry version `reference` (a soft version) as an adapter folder in a temporary place. */
async function stageVersion(
  args: { db: string },
  reference: string,
): Promise<{ folder: string; name: string }> {
  const { task, ref } = versionReference(reference);
  const folder = mkdtempSync(join(tmpdir(), 'promptune-merge-version-'));
  try {
    const name = await withRegistry(
      args,
      async (registry) => {
        const version = await registry.resolveVersion(task, ref);
        writeVersionFiles(folder, version, await versionAdapterBytes(registry, version));
        return `${version.task}@${version.number}`;
      },
      { reads: true },
    );
    return { folder, name };
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

/** Merges the LoRA folder `args.adapter` (`name`: the version it came from) into `args.model`. */
async function merge(
  args: { model: string; adapter: string; out: string; force: boolean; json: boolean },
  name = args.adapter,
): Promise<void> {
  // a prompt or a prefix is not a change of weights: only LoRA's products fold into them
  const method = adapterMethod(args.adapter);
  if (method !== 'LORA')
    throw new ValidationError(
      `${name} is a ${method} adapter; only a LoRA adapter merges into the model's weights`,
      {
        code: 'ADAPTER_NOT_MERGEABLE',
        hint: 'A soft prompt, P-tuning prompt or prefix runs beside the frozen model: serve it as a version (promptune registry push --adapter), or train a LoRA (soft train --method lora).',
      },
    );
  if (existsSync(args.out) && readdirSync(args.out).length > 0)
    throw new ValidationError(`--out ${args.out} is not empty`, {
      code: 'OUTPUT_NOT_EMPTY',
      hint: 'Choose a new --out folder: the merged model is written whole into it.',
    });
  const loaded = await loadModel(args.model, { hub: { onProgress: downloadProgress() } });
  checkModelWritable(loaded.info, args.out);
  // fitted to the model (a GGUF's interleaved query and key rows), its base checked unless --force
  const { adapter, config } = loadLoraAdapter(args.adapter, loaded.model, { force: args.force });
  const merged = mergeLora(loaded.model, adapter);
  const projections = adapter.layers.reduce((sum, layer) => sum + Object.keys(layer).length, 0);
  const path = await saveFineTunedModel(args.out, merged.model, merged.values, loaded.info, {
    method: 'merged-lora',
    // the base, so that soft eval and generate check --model is the model it was merged into
    baseModel: { name: baseModelNames(args.model).baseModelName, sha256: modelFingerprint(loaded.model) },
    tokenizer: { kind: loaded.tokenizer.kind, sha256: tokenizerFingerprint(loaded.tokenizer) },
    training: {
      adapter: name === args.adapter ? resolve(args.adapter) : name,
      rank: config.r,
      alpha: config.lora_alpha,
      rankStabilized: config.use_rslora === true,
      projections,
    },
  });
  const summary = { model: path, method: 'merged-lora', rank: config.r, scale: adapter.scale, projections };
  if (args.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    `merged ${name} (LoRA of rank ${config.r}, scale ${adapter.scale}, on ${projections} projections) into ${args.model}'s weights: ${path}\n` +
      `it answers as the base model with the adapter: use it as --model anywhere (promptune serve --model ${path}), or in ${path.endsWith('.gguf') ? 'llama.cpp or Ollama' : 'transformers'}\n`,
  );
}
