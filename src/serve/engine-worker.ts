// The engine worker thread: loads the frozen model once and serves generation requests through the
// batch scheduler, so the service's event loop never runs a forward pass. Soft prompts arrive by
// registry version id; their adapter files are written once under the adapter folder, checked against
// this model (loadAdapter refuses another base model) and kept as sessions whose KV prefix is
// computed once.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import {
  applyChatTemplate,
  loadModel,
  nativeBlasCore,
  nativeThreading,
  parameterCount,
  PrefixCache,
  makeDirectory,
  longestTokenText,
  surelyMoreTokens,
} from '../engine/index.js';
import {
  ConflictError,
  EngineError,
  NotFoundError,
  PromptuneError,
  ValidationError,
} from '../errors/index.js';
import { compileConstraint } from '../guard/index.js';
import { promptText } from '../providers/index.js';
import { loadTrainedAdapter, recordedFingerprints, SoftPromptSession } from '../soft/index.js';
import type { EngineFailure, EngineWorkerSettings, FromWorker, ToWorker } from './_engine-protocol.js';
import type { SoftPromptReference } from './engine-types.js';
import { adapterFoldersKept, pruneAdapterFolders, touchAdapterFolder } from './adapter-folders.js';
import { BatchScheduler } from './batch-scheduler.js';
import { heldBytes } from './held-bytes.js';

const settings = workerData as EngineWorkerSettings;
const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);
/**
 * Runs `leave` (which ends this worker) once OpenMP's pool threads sleep: they spin for a few
 * milliseconds after each parallel region, and a thread or process that exits meanwhile crashes inside
 * libgomp (SIGSEGV).
 */
const afterThreadsSleep = (leave: () => void) => setTimeout(leave, 100);

/**
 * The native kernels as /ready names them: OpenBLAS's choice, and how OpenMP's threads wait between
 * products (this worker's environment is the main thread's, where the policy was chosen), which decides
 * batch-1 decode speed on an idle machine and on a shared one.
 */
function nativeKernels(): string {
  const policy = process.env.OMP_WAIT_POLICY?.toUpperCase();
  const wait = policy === 'PASSIVE' ? 'sleep' : policy === 'ACTIVE' ? 'spin' : 'spin, then sleep,';
  const threads = nativeThreading() === 'openmp' ? `, OpenMP threads ${wait} between products` : '';
  return `native, OpenBLAS ${nativeBlasCore()}${threads}`;
}
// an error nothing caught ends this worker (the service starts another)
process.on('uncaughtException', (error) => {
  console.error(error);
  afterThreadsSleep(() => process.exit(1));
});
/** An error as data for the service: its kind by class, so a bad request stays a 400 over there. */
function describe(error: unknown): EngineFailure {
  const stack = error instanceof Error ? error.stack : undefined;
  if (!PromptuneError.isInstance(error))
    return {
      kind: 'engine',
      message: (error as Error)?.message ?? String(error),
      code: 'ENGINE_FAILED',
      stack,
    };
  const kind = ValidationError.isInstance(error)
    ? 'validation'
    : NotFoundError.isInstance(error)
      ? 'not-found'
      : ConflictError.isInstance(error)
        ? 'conflict'
        : 'engine';
  return { kind, message: error.message, code: error.code, hint: error.hint, stack };
}

/** A model's name without where it lives: hf: references as given, paths by their last part. */
const modelName = (model: string) =>
  model.startsWith('hf:') ? model : basename(model.replace(/[/\\]+$/, ''));

try {
  const { model, tokenizer } = await loadModel(settings.model);
  const scheduler = new BatchScheduler(model, tokenizer, { maxBatch: settings.maxBatch });
  const prefixes =
    settings.prefixCacheBytes === 0
      ? undefined
      : new PrefixCache(model, { maxBytes: settings.prefixCacheBytes });
  // each loaded adapter version's session and the bytes it holds, least recently used first
  const sessions = new Map<string, { session: SoftPromptSession; bytes: number }>();
  const maxAdapters = settings.maxAdapters;
  let evicted = 0;
  const reportAdapters = () => {
    let bytes = 0;
    for (const loaded of sessions.values()) bytes += loaded.bytes;
    send({ type: 'adapters', adapters: { loaded: sessions.size, limit: maxAdapters, bytes, evicted } });
  };

  // a version for other weights (or other shapes: another model's layers or widths) is not the caller's
  // mistake but the service's state: not served here (404), and a hint an API caller can act on
  // (loadTrainedAdapter's speaks of the command line)
  const otherModel = new Set(['ADAPTER_WRONG_MODEL', 'ADAPTER_SHAPE']);
  const loadOnThisModel = (folder: string) => {
    try {
      return loadTrainedAdapter(folder, model);
    } catch (error) {
      if (!PromptuneError.isInstance(error) || !otherModel.has(error.code)) throw error;
      throw new ConflictError(error.message, {
        code: error.code,
        hint: `This service runs ${modelName(settings.model)}: request a version or label trained on it, or serve this version from a service of the model it was trained on.`,
      });
    }
  };
  const session = (reference: SoftPromptReference): SoftPromptSession => {
    const cached = sessions.get(reference.key);
    if (cached) {
      sessions.delete(reference.key); // most recently used goes last
      sessions.set(reference.key, cached);
      return cached.session;
    }
    const folder = join(settings.adapterDirectory, reference.key);
    if (!existsSync(folder)) {
      if (!reference.files)
        throw new EngineError(`soft prompt ${reference.key} is not known to the engine`, {
          code: 'ENGINE_UNKNOWN_PROMPT',
          hint: 'Send its adapter files with the request.',
        });
      const temporary = `${folder}.${process.pid}.${Date.now()}.tmp`;
      makeDirectory(temporary);
      writeFileSync(join(temporary, 'adapter_config.json'), JSON.stringify(reference.files.config));
      if (reference.files.metadata)
        writeFileSync(join(temporary, 'promptune.json'), JSON.stringify(reference.files.metadata));
      writeFileSync(join(temporary, 'adapter_model.safetensors'), reference.files.safetensors);
      renameSync(temporary, folder);
      const inUse = new Set([...sessions.keys(), reference.key]);
      try {
        pruneAdapterFolders(settings.adapterDirectory, adapterFoldersKept(maxAdapters), inUse);
      } catch {
        // housekeeping: a folder that cannot be listed or removed fails no request
      }
    } else touchAdapterFolder(folder);
    const { prompt, adapter } = loadOnThisModel(folder);
    const created = new SoftPromptSession(model, tokenizer, prompt, adapter);
    sessions.set(reference.key, {
      session: created,
      bytes: heldBytes([created.prompt, created.adapter, created.prefix]),
    });
    while (sessions.size > maxAdapters) {
      sessions.delete(sessions.keys().next().value!);
      evicted++;
    }
    reportAdapters();
    return created;
  };

  // a prompt far past the context is refused from its length, not tokenized first: one such request
  // (a megabyte of text) had held every task's requests behind it for seconds
  const contextLength = model.config.contextLength;
  longestTokenText(tokenizer); // read off the vocabulary now, not on the first request
  const checkedLength = (text: string): string => {
    if (surelyMoreTokens(tokenizer, text, contextLength))
      throw new ValidationError(
        `the prompt has ${text.length} characters: more tokens than the model's context of ${contextLength} can hold`,
        {
          code: 'CONTEXT_OVERFLOW',
          hint: `Shorten it to well under ${contextLength} tokens.`,
        },
      );
    return text;
  };

  const cancellers = new Map<number, AbortController>();
  port.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      afterThreadsSleep(() => port.close());
      return;
    }
    if (message.type === 'cancel') {
      cancellers.get(message.id)?.abort(new Error('cancelled'));
      return;
    }
    const {
      id,
      options: { constrain, ...options },
    } = message;
    try {
      // compiled once per constraint and tokenizer (the compiler caches), before anything is queued
      const constraint = constrain ? compileConstraint(constrain, tokenizer) : undefined;
      let tokens: number[];
      let prefix;
      let created = false; // a prefix computed for this request is not a cached one
      let adapter; // a LoRA version's adapter, which its every step runs with
      if (message.softPrompt) {
        created = !sessions.has(message.softPrompt.key);
        ({ prefix, adapter } = session(message.softPrompt));
        tokens = tokenizer.encode(checkedLength(promptText(message.prompt)), { addBos: false });
        // the engine's own words ("prompt 0 is empty; most models start with BOS") are not a caller's
        if (tokens.length === 0)
          throw new ValidationError(
            'the input is empty: an adapter version continues the text of its input',
            {
              code: 'PROMPT_EMPTY',
              hint: 'Send some input text (a hard version renders its template around an empty one).',
            },
          );
      } else if (tokenizer.chatTemplate && !message.raw) {
        const messages = message.prompt.map((entry) => ({
          role: entry.role,
          content: typeof entry.content === 'string' ? entry.content : promptText([entry]),
        }));
        tokens = tokenizer.encode(checkedLength(applyChatTemplate(tokenizer, messages)), { addBos: false });
      } else {
        tokens = tokenizer.encode(checkedLength(promptText(message.prompt)));
      }
      let cachedTokens = prefix && !created ? prefix.lengths[0] : 0;
      // a soft version's requests never take a prefix computed without its prompt and adapter
      if (!prefix && !message.softPrompt) {
        // a prompt that starts like an earlier one (a task's instruction and demos) reuses its prefix
        const hit = prefixes?.prefixFor(tokens);
        if (hit) {
          ({ prefix, rest: tokens } = hit);
          cachedTokens = hit.reused ? hit.length : 0;
          if (!hit.reused) send({ type: 'prefixes', prefixes: prefixes!.state });
        }
      }
      const promptTokens = tokens.length + (prefix ? prefix.lengths[0] : 0);
      const canceller = new AbortController();
      cancellers.set(id, canceller);
      scheduler
        .submit({
          tokens,
          options: { ...options, prefix, constraint, adapter },
          onDelta: (delta, generated) =>
            send({ type: 'delta', id, delta, inputTokens: promptTokens, outputTokens: generated }),
          signal: canceller.signal,
        })
        .finally(() => cancellers.delete(id))
        .then(
          (generation) =>
            send({
              type: 'done',
              id,
              text: generation.text,
              finishReason: generation.finishReason,
              inputTokens: promptTokens,
              outputTokens: generation.tokens.length,
              batchSize: generation.batchSize,
              queueSeconds: generation.queueSeconds,
              cachedTokens,
              margin: generation.margin ?? null,
            }),
          // a cancelled request's caller is gone and has nothing to hear
          (error: unknown) => canceller.signal.aborted || send({ type: 'error', id, error: describe(error) }),
        );
    } catch (error) {
      send({ type: 'error', id, error: describe(error) });
    }
  });
  send({
    type: 'ready',
    info: {
      model: settings.model,
      name: modelName(settings.model),
      architecture: model.config.architecture,
      parameters: parameterCount(model.config),
      modelFingerprint: recordedFingerprints(model)[0],
      fingerprints: recordedFingerprints(model),
      hiddenSize: model.config.hiddenSize,
      contextLength: model.config.contextLength,
      kernels: model.kernels.name === 'native' ? nativeKernels() : model.kernels.name,
    },
  });
} catch (error) {
  send({ type: 'failed', error: describe(error) });
}
