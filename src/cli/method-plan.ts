// What a `soft train --method` is, before it is planned: the methods and their names, the options the
// methods read, and the plan a method makes (soft-methods.ts makes it: what it records, how it trains).
import type {
  AdapterMetadata,
  PromptEvaluation,
  TokenizedExample,
  TrainedValues,
  TrainOptions,
} from '../soft/index.js';

/** The methods `soft train` knows. */
export const METHODS = [
  'prompt-tuning',
  'p-tuning',
  'multitask-prompt-tuning',
  'prefix-tuning',
  'lora',
  'full-fine-tuning',
] as const;
export type Method = (typeof METHODS)[number];

/** Each method's name as the docs and tables write it. */
export const METHOD_NAMES: Record<Method, string> = {
  'prompt-tuning': 'prompt tuning',
  'p-tuning': 'P-tuning',
  'multitask-prompt-tuning': 'multitask prompt tuning',
  'prefix-tuning': 'prefix tuning',
  lora: 'LoRA',
  'full-fine-tuning': 'full fine-tuning',
};

/** A method made ready from the options: what it records, and how it trains. */
export interface MethodPlan {
  method: Method;
  /** Positions a prompt takes in every example (0 for methods that change the model instead). */
  virtualTokens: number;
  /** The learning rate when --lr is not given. */
  defaultLearningRate: number;
  /** What the run record and the adapter's training metadata say about the method. */
  config: Record<string, unknown>;
  /**
   * What a checkpoint must agree on besides: for a LoRA or a prefix on a llama, the order its query and
   * key values are trained in (its GGUF interleaves them, its Hugging Face copy not). A checkpoint holds
   * them as the model ran them; adapter files are converted (query-key-order.ts).
   */
  checkpointOnly?: Record<string, unknown>;
  /** Words for the summary line: "soft prompt (16 virtual tokens)". */
  describe: string;
  train(train: TokenizedExample[], dev: TokenizedExample[], options: TrainOptions): Promise<TrainedMethod>;
}

/** A trained method: its result, scoring, and its folder. */
export interface TrainedMethod extends TrainedValues {
  /** Scores examples; with `candidates` (each example's label alternatives) label accuracy too. */
  evaluate(examples: TokenizedExample[], candidates?: TokenizedExample[][]): PromptEvaluation;
  save(
    directory: string,
    metadata: Omit<AdapterMetadata, 'format' | 'layout' | 'baseModel' | 'tokenizer'>,
  ): void | Promise<void>;
}

/** The options of `soft train` the methods read. */
export interface MethodArgs {
  model: string;
  method: string;
  'virtual-tokens': string;
  init: string;
  'init-text': string;
  layout: string;
  rank: string;
  alpha?: string;
  targets: string;
  dropout?: string;
  /** LoRA scaled by alpha / √rank (rsLoRA). */
  rslora?: boolean;
  'prefix-projection'?: boolean;
  'encoder-hidden'?: string;
  encoder?: string;
  'task-rank'?: string;
  source?: string;
  transfer?: string;
}
