// Checkpoints that store several parameters as one tensor (Phi-3's qkv_proj and gate_up_proj; llama.cpp's
// attn_qkv and fused ffn_up): a TensorSource wrapper that shows each part under its own name,
// `<fused name>#<part>`, as rows of the fused tensor. Which parts, in which order and how many rows each
// is data (FusedTensor); a quantized fused tensor splits into quantized parts (rows are whole blocks).
import type { ModelConfig } from '../config.js';
import type { TensorSource } from './assemble.js';

/** One fused tensor of a layer: its name (with `{layer}`) and its parts, top rows first. */
export interface FusedTensor {
  name: string;
  parts: { part: string; rows: (config: ModelConfig) => number }[];
}

/** Phi-3's fused projections: query, key and value rows; gate then up rows. */
export const queryKeyValueParts = [
  { part: 'query', rows: (config: ModelConfig) => config.heads * config.headDim },
  { part: 'key', rows: (config: ModelConfig) => config.kvHeads * config.headDim },
  { part: 'value', rows: (config: ModelConfig) => config.kvHeads * config.headDim },
];
export const gateUpParts = [
  { part: 'gate', rows: (config: ModelConfig) => config.intermediateSize },
  { part: 'up', rows: (config: ModelConfig) => config.intermediateSize },
];

/** `source` with every part of every fused tensor readable as `<fused name>#<part>`. */
export function withFusedParts(
  source: TensorSource,
  config: ModelConfig,
  fused: FusedTensor[],
): TensorSource {
  const patterns = fused.map((entry) => ({ entry, pattern: pattern(entry.name) }));
  const split = (name: string) => {
    const at = name.lastIndexOf('#');
    if (at < 0) return undefined;
    const whole = name.slice(0, at);
    const part = name.slice(at + 1);
    const template = patterns.find(({ pattern }) => pattern.test(whole))?.entry;
    if (!template || !source.has(whole)) return undefined;
    let first = 0;
    for (const entry of template.parts) {
      const rows = entry.rows(config);
      if (entry.part === part) return { whole, first, rows };
      first += rows;
    }
    return undefined;
  };
  // the parts of a fused tensor are read one after another: the whole is read once for all of them
  const lastRead = <T>(read: (name: string) => T) => {
    let last: { name: string; value: T } | undefined;
    return (name: string): T => {
      if (last?.name !== name) last = { name, value: read(name) };
      return last.value;
    };
  };
  const readWhole = lastRead((name) => source.read(name));
  const readWholeQuantized = lastRead((name) => source.readQuantized?.(name));
  return {
    has: (name) => (name.includes('#') ? split(name) !== undefined : source.has(name)),
    shape(name) {
      const piece = split(name);
      if (!piece) return source.shape(name);
      const [, columns] = source.shape(piece.whole);
      return [piece.rows, columns];
    },
    read(name) {
      const piece = split(name);
      if (!piece) return source.read(name);
      const [, columns] = source.shape(piece.whole);
      return readWhole(piece.whole).slice(piece.first * columns, (piece.first + piece.rows) * columns);
    },
    readQuantized(name) {
      const piece = split(name);
      if (!piece) return source.readQuantized?.(name);
      const whole = readWholeQuantized(piece.whole);
      if (!whole) return undefined;
      const rowBytes = whole.bytes.byteLength / whole.rows;
      const bytes = whole.bytes.slice(piece.first * rowBytes, (piece.first + piece.rows) * rowBytes);
      return { type: whole.type, bytes, rows: piece.rows, columns: whole.columns };
    },
    file: source.file && ((name) => source.file!(split(name)?.whole ?? name)),
    names: source.names && (() => source.names!()),
  };
}

/** A fused name's template as a pattern: `{layer}` matches any layer number. */
const pattern = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace('{layer}', '\\d+')}$`);

/** Phi-3's fused tensors under Hugging Face's and llama.cpp's names. */
export const phi3FusedTensors = {
  huggingFace: [
    { name: 'model.layers.{layer}.self_attn.qkv_proj.weight', parts: queryKeyValueParts },
    { name: 'model.layers.{layer}.mlp.gate_up_proj.weight', parts: gateUpParts },
  ],
  gguf: [
    { name: 'blk.{layer}.attn_qkv.weight', parts: queryKeyValueParts },
    { name: 'blk.{layer}.ffn_up.weight', parts: gateUpParts },
  ],
} satisfies Record<string, FusedTensor[]>;
