// A registry version as a language model, so the OpenAI routes serve `task@label` like any model. The
// request's last user message is the task input: a hard version renders it into the task's template
// (with its instruction and demos) and calls the backend model; a soft version sends the raw text to
// the engine worker with the version's soft prompt prepended. The input is only ever a value in the
// template: it cannot select another version or task, and placeholders in it are not expanded.
import { randomInt } from 'node:crypto';
import type {
  JSONObject,
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Prompt,
} from '@ai-sdk/provider';
import { GuardError, parseJsonText, ValidationError } from '../errors/index.js';
import {
  checkFields as checkInputFields,
  guard,
  refrainResult,
  refrainStream,
  taskConstraint,
  type CheckOutcome,
  type GuardSet,
} from '../guard/index.js';
import { answerText, promptText, engineMargin } from '../providers/index.js';
import type { PromptVersion, TraceSampling } from '../registry/index.js';
import { type TaskSpec, renderPrompt } from '../tasks/index.js';
import type { EngineClient, SoftPromptSource } from './engine-client.js';

/** A version resolved for serving: the task spec with that version's prompt and generation settings. */
export interface ServedVersion {
  spec: TaskSpec;
  version: PromptVersion;
  /** For soft versions: the adapter to prepend. */
  softPrompt?: SoftPromptSource;
  /** The spec's validators, when it has any. */
  guards?: GuardSet;
  /** Counts an input's tokens for its input guards, where the service has the model's tokenizer. */
  countInputTokens?: (text: string) => number;
}

/** What models a served version can run on. */
export interface Backends {
  /** The model hard prompts run on (the local engine's model, or a provider's). */
  hard?: LanguageModelV3;
  /** The local engine (soft prompts). */
  engine?: EngineClient;
  /**
   * Token counts in the tokenizer of the model each kind of version runs on, where the service has it:
   * soft versions run on the engine; hard ones on it too unless a provider's model serves them.
   */
  tokens?: { soft?: (text: string) => number; hard?: (text: string) => number };
}

/** How the service counts a version's input tokens (its input guards' bounds), or undefined: it cannot. */
export const inputTokenCounter = (backends: Backends, version: Pick<PromptVersion, 'kind'>) =>
  version.kind === 'soft' ? backends.tokens?.soft : backends.tokens?.hard;

/** The text of the last user message (the task input). */
export function lastUserText(prompt: LanguageModelV3Prompt): string {
  const message = [...prompt].reverse().find((entry) => entry.role === 'user');
  if (!message)
    throw new ValidationError('the request has no user message', {
      code: 'TASK_INPUT_MISSING',
      hint: 'Send the task input as the last user message.',
    });
  return promptText([message]);
}

/** The task's input fields from a user text: the text itself for one field, else a JSON object of fields. */
export function inputFields(spec: TaskSpec, text: string): Record<string, unknown> {
  const fields = spec.input.fields;
  if (fields.length === 1) return { [fields[0]]: text };
  // the depth-limited reader: a message nesting past the limit would overflow later walks (a 500)
  const parsed = parseJsonText(text, {
    where: `the input of task ${spec.name}`,
    code: 'TASK_INPUT_INVALID',
    hint: `Send the last user message as a JSON object with the fields ${fields.join(', ')}.`,
  });
  return checkFields(spec, parsed);
}

/** Checks a typed input object against the task's input fields (all present, nothing else). */
export function checkFields(spec: TaskSpec, value: unknown): Record<string, unknown> {
  const fields = spec.input.fields;
  const fail = (found: string) =>
    new ValidationError(`task ${spec.name} takes input fields ${fields.join(', ')}; ${found}`, {
      code: 'TASK_INPUT_INVALID',
      hint: `Send an object with exactly the fields ${fields.join(', ')}.`,
    });
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail('the input is not an object');
  const record = value as Record<string, unknown>;
  const missing = fields.filter((field) => record[field] === undefined || record[field] === null);
  const extra = Object.keys(record).filter((key) => !fields.includes(key));
  if (missing.length) throw fail(`missing ${missing.join(', ')}`);
  if (extra.length) throw fail(`unknown ${extra.join(', ')}`);
  return record;
}

/** The chat prompt a hard version sends for `fields`. */
export function hardPrompt(spec: TaskSpec, fields: Record<string, unknown>): LanguageModelV3Prompt {
  const text = renderPrompt(spec, fields, `task ${spec.name} input`);
  return [
    ...(spec.prompt.system ? [{ role: 'system' as const, content: spec.prompt.system }] : []),
    { role: 'user', content: [{ type: 'text', text }] },
  ];
}

/** Told of a request's guard verdicts (traces, metrics), refusals included. */
export type ChecksListener = (outcomes: CheckOutcome[]) => void;

/**
 * Told of the input fields as the input guards left them, when a guard changed one (masked an email,
 * trimmed): what the model saw, for the trace to keep instead of what the user sent.
 */
export type FixedInputListener = (fields: Record<string, unknown>) => void;

/** Told of the settings a call samples with, the seed it drew among them (for the trace to keep). */
export type SamplingListener = (sampling: TraceSampling) => void;

/** What a request's caller hears of it. */
export interface RequestListeners {
  onChecks?: ChecksListener;
  onFixedInput?: FixedInputListener;
  onSampling?: SamplingListener;
}

/**
 * The model a version runs on, inside the version's output guards when it has any, and the prompt it
 * gets for input fields: a soft version's engine model with its soft prompt, continuing the raw text of
 * the input (what it was trained on); a hard version's backend model, with the task's instruction, demos
 * and template filled in. Input guards run on the fields before that (guardedFields).
 */
function backend(
  served: ServedVersion,
  backends: Backends,
  onChecks?: ChecksListener,
): { model: LanguageModelV3; prompt: (fields: Record<string, unknown>) => LanguageModelV3Prompt } {
  const found = unguardedBackend(served, backends);
  if (!served.guards?.output.length) return found;
  return { ...found, model: guard(found.model, { ...served.guards, input: [] }, { onChecks }) };
}

/**
 * A request's fields after the version's input guards (what the user sent, not the template around it),
 * with their verdicts; `refrained` when the refrain text answers. A refusal throws its GuardError after
 * `onChecks` heard its verdicts.
 */
async function guardedFields(
  served: ServedVersion,
  fields: Record<string, unknown>,
  { onChecks, onFixedInput }: RequestListeners,
): Promise<{ fields: Record<string, unknown>; outcomes: CheckOutcome[]; refrained: boolean }> {
  if (!served.guards?.input.length) return { fields, outcomes: [], refrained: false };
  try {
    const checked = await checkInputFields(fields, served.guards, { countTokens: served.countInputTokens });
    if (Object.entries(checked.fields).some(([name, value]) => fields[name] !== value))
      onFixedInput?.(checked.fields);
    return checked;
  } catch (error) {
    if (GuardError.isInstance(error)) onChecks?.(error.checks as CheckOutcome[]);
    throw error;
  }
}

function unguardedBackend(
  served: ServedVersion,
  backends: Backends,
): { model: LanguageModelV3; prompt: (fields: Record<string, unknown>) => LanguageModelV3Prompt } {
  const { spec } = served;
  if (served.softPrompt) {
    if (!backends.engine)
      throw new ValidationError(
        `${spec.name}@${served.version.number} is an adapter (a soft prompt, prefix or LoRA) for a local model, and no local engine runs here`,
        {
          code: 'SERVE_NO_ENGINE',
          hint: "Give the service an engine running the base model the adapter was trained on (createService's backends.engine; promptune serve --model).",
        },
      );
    return {
      model: backends.engine.languageModel(served.softPrompt),
      prompt: (fields) => [
        { role: 'user', content: [{ type: 'text', text: String(fields[spec.input.fields[0]]) }] },
      ],
    };
  }
  if (!backends.hard)
    throw new ValidationError(
      backends.engine
        ? 'no model serves hard prompts here'
        : 'no model runs here: this service shows the registry only (promptune ui)',
      {
        code: 'SERVE_NO_MODEL',
        hint: "Give the service a model to run versions on (createService's backends.hard or backends.engine; promptune serve --model, whose dashboard has the playground too).",
      },
    );
  return { model: backends.hard, prompt: (fields) => hardPrompt(spec, fields) };
}

/**
 * The seed a served request samples with: its own; else, when it samples (a temperature above 0), a
 * fresh one, as OpenAI's API does (the spec's seed keeps evaluations reproducible, not every answer
 * the same); else the spec's (greedy decoding reads no seed).
 */
function servedSeed(
  options: Partial<LanguageModelV3CallOptions>,
  generation: TaskSpec['generation'],
): number {
  if (options.seed !== undefined) return options.seed;
  const temperature = options.temperature ?? generation.temperature;
  return temperature > 0 ? randomInt(2 ** 31) : generation.seed;
}

/**
 * A request's call settings, the version's generation settings where the request sets none; the
 * sampling ones are told to `onSampling`.
 */
function callSettings(
  spec: TaskSpec,
  options: Partial<LanguageModelV3CallOptions>,
  onSampling: SamplingListener | undefined,
) {
  const generation = spec.generation;
  const sampling: TraceSampling = {
    temperature: options.temperature ?? generation.temperature,
    topP: options.topP ?? generation.topP ?? null,
    topK: options.topK ?? null,
    maxTokens: options.maxOutputTokens ?? generation.maxTokens,
    seed: servedSeed(options, generation),
  };
  onSampling?.(sampling);
  return {
    maxOutputTokens: sampling.maxTokens,
    temperature: sampling.temperature,
    topP: options.topP ?? generation.topP,
    topK: options.topK,
    stopSequences: servedStops(generation.stop, options.stopSequences),
    seed: sampling.seed,
    abortSignal: options.abortSignal,
    // /v1/completions continues the rendered text as is (no chat template), as the route asks; the
    // spec's decoding constraint reaches the local engine (other providers ignore promptune's options)
    providerOptions: withConstraint(spec, options.providerOptions),
  };
}

/**
 * The version's stop sequences with the request's added: the task's stops end its answers as its
 * template does, and a client's `stop` (LangChain and agent frameworks send their own) must not remove
 * them, which let answers run on past where the task ends.
 */
function servedStops(version: string[], request: string[] | undefined): string[] | undefined {
  const stops = [...new Set([...version, ...(request ?? [])])];
  return stops.length ? stops : undefined;
}

/** Provider options with the spec's decoding constraint added for the local engine, when it has one. */
function withConstraint(spec: TaskSpec, providerOptions: LanguageModelV3CallOptions['providerOptions']) {
  const constraint = taskConstraint(spec);
  if (!constraint) return providerOptions;
  // a spec is JSON through and through (read from YAML or JSON and validated)
  const constrain = constraint as unknown as JSONObject;
  return { ...providerOptions, promptune: { ...providerOptions?.promptune, constrain } };
}

/** The version as a LanguageModelV3 over the backends; the last user message is the task input. */
export function taskModel(
  served: ServedVersion,
  backends: Backends,
  listeners: RequestListeners = {},
): LanguageModelV3 {
  const { spec } = served;
  const { onChecks } = listeners;
  // the output's verdicts follow the input's in what the listener hears
  let inputOutcomes: CheckOutcome[] = [];
  const { model, prompt } = backend(served, backends, (outcomes) =>
    onChecks?.([...inputOutcomes, ...outcomes]),
  );
  const prepare = async (options: LanguageModelV3CallOptions) => {
    const text = lastUserText(options.prompt);
    const fields = served.softPrompt ? { [spec.input.fields[0]]: text } : inputFields(spec, text);
    const checked = await guardedFields(served, fields, listeners);
    inputOutcomes = checked.outcomes;
    // without output guards (or without a call) nothing else reports the input's verdicts
    const unguarded = !served.guards?.output.length;
    if (checked.outcomes.length && (checked.refrained || unguarded)) onChecks?.(checked.outcomes);
    return {
      refrained: checked.refrained,
      call: {
        // a refrained input makes no call: it sampled nothing
        ...callSettings(spec, options, checked.refrained ? undefined : listeners.onSampling),
        prompt: prompt(checked.fields),
      },
    };
  };
  const refrain = served.guards?.refrain ?? '';
  return {
    specificationVersion: 'v3',
    provider: 'promptune.task',
    modelId: `${spec.name}@${served.version.number}`,
    supportedUrls: {},
    async doGenerate(options) {
      const { refrained, call } = await prepare(options);
      return refrained ? refrainResult(refrain, inputOutcomes) : model.doGenerate(call);
    },
    async doStream(options) {
      const { refrained, call } = await prepare(options);
      return refrained ? refrainStream(refrain, inputOutcomes) : model.doStream(call);
    },
  };
}

/** Runs a version on typed input fields; returns the raw text, token counts and finish reason (abortable). */
export async function runFields(
  served: ServedVersion,
  backends: Backends,
  fields: Record<string, unknown>,
  options: RequestListeners & { abortSignal?: AbortSignal; seed?: number } = {},
): Promise<{
  text: string;
  inputTokens: number;
  outputTokens: number;
  finishReason: string;
  refrained: boolean;
  /** The engine's first-token margin (null from other backends). */
  margin: number | null;
}> {
  const { onChecks, abortSignal, seed } = options;
  const checked = await guardedFields(served, fields, options);
  if (checked.outcomes.length && (checked.refrained || !served.guards?.output.length))
    onChecks?.(checked.outcomes);
  if (checked.refrained) {
    return {
      text: served.guards?.refrain ?? '',
      inputTokens: 0,
      outputTokens: 0,
      finishReason: 'content-filter',
      refrained: true,
      margin: null,
    };
  }
  const { model, prompt } = backend(served, backends, (outcomes) =>
    onChecks?.([...checked.outcomes, ...outcomes]),
  );
  const result = await model.doGenerate({
    ...callSettings(served.spec, { abortSignal, seed }, options.onSampling),
    prompt: prompt(checked.fields),
  });
  return {
    text: answerText(result.content),
    inputTokens: result.usage.inputTokens.total ?? 0,
    outputTokens: result.usage.outputTokens.total ?? 0,
    finishReason: result.finishReason.unified,
    // an output guard answered with its refrain text instead of the model's
    refrained: result.finishReason.unified === 'content-filter' && result.finishReason.raw === 'refrain',
    margin: engineMargin(result.providerMetadata),
  };
}
