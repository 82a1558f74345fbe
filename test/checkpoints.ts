// stories260K's Hugging Face checkpoint written afresh for tests of checkpoint layouts: whole, or as
// transformers saves a large model (model.safetensors.index.json and two shards).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors, writeSafetensors } from '../src/engine/index.js';
import { stories } from './models.js';

/** Writes stories260K-hf's files in `folder`, its weights as an index and two shards when asked. */
export function writeStoriesCheckpoint(folder: string, options: { sharded?: boolean } = {}): void {
  mkdirSync(folder, { recursive: true });
  const copied = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
  if (!options.sharded) copied.push('model.safetensors');
  for (const file of copied) copyFileSync(join(stories.huggingFace, file), join(folder, file));
  if (!options.sharded) return;
  const source = openSafetensors([join(stories.huggingFace, 'model.safetensors')]);
  const names = source.names();
  const weightMap: Record<string, string> = {};
  [names.slice(0, 20), names.slice(20)].forEach((shard, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(
      join(folder, file),
      Object.fromEntries(shard.map((name) => [name, { shape: source.shape(name), data: source.read(name) }])),
    );
    for (const name of shard) weightMap[name] = file;
  });
  source.close();
  writeFileSync(
    join(folder, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
}
