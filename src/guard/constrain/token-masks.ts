// Compiles a character automaton and a vocabulary into the engine's TokenConstraint: a state's allowed
// tokens come from walking the vocabulary trie beside the automaton (dead branches pruned), memoised per
// state key in a bounded LRU of compact masks (the shorter of the allowed and disallowed id lists). EOS
// is allowed exactly where the output is complete, and at a dead end (no token continues an incomplete
// output), which also reports `finished`: generation ends there, incomplete, for validators to refuse.
// Given the row's remaining budget, masks turn budget-aware once it runs short: only tokens after which
// the output can still be completed in time stay allowed (or, past saving, those that come closest).
// Tokens that hold part of a character (byte-fallback tokens such as <0xE6>) are read as UTF-8: a state
// is the automaton's and the bytes of a character begun; a lead byte is allowed only when some character
// it may begin steps (CharacterAutomaton.stepsWithin), so a character the vocabulary spells only in bytes
// (most CJK, Cyrillic or emoji in a small vocabulary) is written, and nothing is left half a character.
import type { ConstraintState, TokenConstraint } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import type { CharacterAutomaton } from './character-automaton.js';
import { applyGroups, budgetAllowed, budgetProfile, type BudgetProfile } from './_budget-profile.js';
import { CompletionDistance } from './_completion-distance.js';
import { InternedAutomaton, type InternedState } from './_interned-automaton.js';
import { vocabularyTrie, walkBeside, type VocabularyTrie } from './_vocabulary-trie.js';
import { bytesToFinish, prefixRange, readUtf8 } from './_utf8-prefix.js';

/** Limits of the mask cache of one compiled constraint. */
export interface TokenMaskOptions {
  /** Most masks kept (default 4096). */
  maxMasks?: number;
  /** Most token ids kept across all masks (default 16M, 64 MB). */
  maxMaskIds?: number;
  /**
   * Budget-aware masks start when the remaining budget is within this many tokens of the shortest
   * completion (default 8): earlier, few tokens could strand the output (one that opens a long escape, say).
   */
  budgetMargin?: number;
  /**
   * The bytes of each token that holds part of a character (`tokenTexts` gives it no text), by id
   * (partialTokenBytes from the engine); without them, only characters that are whole tokens are written.
   */
  partialBytes?: readonly (Uint8Array | undefined)[];
}

/** Which tokens a state allows: `ids` are the allowed ones, or (`allows` false) the disallowed ones; EOS is never listed. */
interface TokenMask {
  readonly allows: boolean;
  readonly ids: Int32Array;
  /** Number of allowed tokens. */
  readonly allowedCount: number;
}

/** Compiles `automaton` over a vocabulary (`tokenTexts` from the engine) into the engine's constraint contract. */
export function compileTokenConstraint(
  automaton: CharacterAutomaton,
  tokenTexts: readonly (string | undefined)[],
  eosTokenIds: readonly number[],
  options: TokenMaskOptions = {},
): TokenConstraint {
  const compiled = new CompiledConstraint(automaton, vocabularyTrie(tokenTexts), eosTokenIds, options);
  return { start: () => new TokenConstraintState(compiled) };
}

class CompiledConstraint {
  readonly states: InternedAutomaton;
  /** The automaton's step, as the trie walk takes it. */
  readonly step = (state: InternedState, code: number) => this.states.step(state, code);
  readonly distance: CompletionDistance;
  readonly budgetMargin: number;
  readonly eos: Int32Array;
  private readonly isEos: Uint8Array;
  private readonly masks = new Map<string, TokenMask>();
  private readonly profiles = new Map<string, BudgetProfile>();
  private maskIds = 0;
  private saved = new Float32Array(0);
  private readonly maxMasks: number;
  private readonly maxMaskIds: number;
  /** The tokens that hold part of a character, and their bytes. */
  readonly partialIds: number[] = [];
  readonly partialBytes = new Map<number, Uint8Array>();
  /** Whether a character begun (state key and bytes) can still be finished: memoised. */
  private readonly finishable = new Map<string, boolean>();

  constructor(
    private readonly automaton: CharacterAutomaton,
    readonly trie: VocabularyTrie,
    eosTokenIds: readonly number[],
    options: TokenMaskOptions,
  ) {
    this.states = new InternedAutomaton(automaton);
    // characters that are whole tokens: any completion spelt in them takes one token per character
    const alphabet = new Set<number>();
    for (const codes of trie.tokenCodes) if (codes?.length === 1) alphabet.add(codes[0]);
    this.distance = new CompletionDistance(
      this.states,
      [...alphabet].sort((a, b) => a - b),
    );
    this.budgetMargin = options.budgetMargin ?? 8;
    this.eos = Int32Array.from(new Set(eosTokenIds));
    this.isEos = new Uint8Array(trie.size);
    for (const id of this.eos) if (id < trie.size) this.isEos[id] = 1;
    this.maxMasks = options.maxMasks ?? 4096;
    this.maxMaskIds = options.maxMaskIds ?? 16 * 1024 * 1024;
    (options.partialBytes ?? []).forEach((bytes, id) => {
      if (!bytes || bytes.length === 0 || trie.tokenCodes[id] || id >= trie.size) return;
      this.partialIds.push(id);
      this.partialBytes.set(id, bytes);
    });
    // a begun character is finished a continuation byte at a time: a vocabulary without a token for
    // each (0x80 to 0xBF alone) could strand one, and begins none
    const alone = new Set<number>();
    for (const bytes of this.partialBytes.values()) if (bytes.length === 1) alone.add(bytes[0]);
    for (let byte = 0x80; byte <= 0xbf; byte++)
      if (!alone.has(byte)) {
        this.partialIds.length = 0;
        this.partialBytes.clear();
        break;
      }
  }

  /**
   * The state and the bytes of the character left begun after token `id`'s bytes follow `pending` from
   * `state`; undefined when they are not UTF-8, a character they complete does not step, or the one
   * begun can become no character that steps.
   */
  readPartial(
    state: InternedState,
    pending: readonly number[],
    id: number,
  ): { state: InternedState; pending: number[] } | undefined {
    const bytes = this.partialBytes.get(id);
    const read = bytes && readUtf8(pending, bytes);
    if (!read) return undefined;
    let current: InternedState | undefined = state;
    for (const code of read.codes) {
      current = this.states.step(current, code);
      if (!current) return undefined;
    }
    return this.canFinish(current, read.rest) ? { state: current, pending: read.rest } : undefined;
  }

  /**
   * Disallows in `logits` the tokens that begin a character `remainingTokens` (this one included) cannot
   * finish, a byte a token: a row never ends half a character. True when that left nothing allowed: the
   * output is past saving, and ends here, invalid but whole.
   */
  dropUnfinishable(logits: Float32Array, state: InternedState, remainingTokens: number): boolean {
    let dropped = false;
    for (const id of this.partialIds) {
      if (logits[id] === -Infinity) continue;
      const read = this.readPartial(state, noBytes, id);
      if (read && 1 + bytesToFinish(read.pending) > remainingTokens) {
        logits[id] = -Infinity;
        dropped = true;
      }
    }
    if (!dropped) return false;
    for (let id = 0; id < logits.length; id++) if (logits[id] !== -Infinity) return false;
    return true;
  }

  /** Whether some character the begun bytes `rest` may become steps from `state` (none begun: true). */
  private canFinish(state: InternedState, rest: readonly number[]): boolean {
    if (rest.length === 0) return true;
    const key = `${state.key}\u0000${rest.join(',')}`;
    let known = this.finishable.get(key);
    if (known === undefined) {
      const [low, high] = prefixRange(rest)!;
      // the surrogates, which no UTF-8 writes, left out
      known =
        this.stepsWithin(state, low, Math.min(high, 0xd7ff)) ||
        this.stepsWithin(state, Math.max(low, 0xe000), high);
      if (this.finishable.size >= largestFinishable) this.finishable.clear();
      this.finishable.set(key, known);
    }
    return known;
  }

  /** Whether a code point from `low` to `high` steps: the automaton's answer, else each tried (to a bound). */
  private stepsWithin(state: InternedState, low: number, high: number): boolean {
    if (low > high) return false;
    if (this.automaton.stepsWithin) return this.automaton.stepsWithin(state.value, low, high);
    for (let code = low; code <= Math.min(high, low + largestTried - 1); code++)
      if (this.automaton.step(state.value, String.fromCodePoint(code)) !== undefined) return true;
    return false;
  }

  /**
   * The mask of a state with the bytes of a character begun (`pending`): from the cache (refreshed as
   * most recent), else computed and cached.
   */
  maskOf(state: InternedState, pending: readonly number[] = noBytes): TokenMask {
    const key = pending.length === 0 ? state.key : `${state.key}\u0000${pending.join(',')}`;
    const known = this.masks.get(key);
    if (known) {
      this.masks.delete(key);
      this.masks.set(key, known);
      return known;
    }
    const mask = this.computeMask(state, pending);
    this.masks.set(key, mask);
    this.maskIds += mask.ids.length;
    for (const [key, old] of this.masks) {
      if (this.masks.size <= this.maxMasks && this.maskIds <= this.maxMaskIds) break;
      if (old === mask) break;
      this.masks.delete(key);
      this.maskIds -= old.ids.length;
    }
    return mask;
  }

  /**
   * The budget a state's mask must respect: the characters left after this token when the output must
   * start closing (undefined while the budget is ample, or the distance unknown).
   */
  budgetFor(state: InternedState, remainingTokens: number | undefined): number | undefined {
    if (remainingTokens === undefined) return undefined;
    const distance = this.distance.of(state);
    if (distance === Infinity || remainingTokens > distance + this.budgetMargin) return undefined;
    return remainingTokens - 1;
  }

  /** The allowed tokens of a state grouped by the shortest completion after each (cached per state). */
  profileOf(state: InternedState): BudgetProfile {
    let profile = this.profiles.get(state.key);
    if (!profile) {
      if (this.profiles.size >= largestProfiles) this.profiles.clear();
      profile = budgetProfile(this.trie, this.step, this.distance, this.isEos, state);
      this.profiles.set(state.key, profile);
    }
    return profile;
  }

  /**
   * Walks the vocabulary trie beside the automaton from `state`; a token is allowed when its whole text
   * steps. With a character begun (`pending`), only tokens holding the rest of one may follow.
   */
  private computeMask(state: InternedState, pending: readonly number[]): TokenMask {
    const { tokenStart, tokenEnd, tokenIds } = this.trie;
    const allowed = new Uint8Array(this.trie.size);
    let allowedCount = 0;
    if (pending.length === 0)
      walkBeside(this.trie, this.step, state, (node) => {
        for (let t = tokenStart[node]; t < tokenEnd[node]; t++) {
          const id = tokenIds[t];
          if (!this.isEos[id]) {
            allowed[id] = 1;
            allowedCount++;
          }
        }
      });
    for (const id of this.partialIds)
      if (!this.isEos[id] && this.readPartial(state, pending, id)) {
        allowed[id] = 1;
        allowedCount++;
      }
    const allows = allowedCount <= (this.trie.size - this.eos.length) / 2;
    const ids = new Int32Array(allows ? allowedCount : this.trie.size - allowedCount);
    let count = 0;
    for (let id = 0; id < this.trie.size; id++) {
      if (allows ? allowed[id] === 1 : allowed[id] === 0 && this.isEos[id] === 0) ids[count++] = id;
    }
    return { allows, ids: count === ids.length ? ids : ids.subarray(0, count), allowedCount };
  }

  /** Applies a mask to logits; EOS stays allowed when `eosAllowed`. */
  apply(mask: TokenMask, logits: Float32Array, eosAllowed: boolean): void {
    const ids = mask.ids;
    const eos = this.eos;
    if (mask.allows) {
      if (this.saved.length < ids.length + eos.length) this.saved = new Float32Array(ids.length + eos.length);
      const saved = this.saved;
      for (let i = 0; i < ids.length; i++) saved[i] = logits[ids[i]];
      for (let i = 0; i < eos.length; i++) saved[ids.length + i] = logits[eos[i]];
      logits.fill(-Infinity);
      for (let i = 0; i < ids.length; i++) logits[ids[i]] = saved[i];
      if (eosAllowed) for (let i = 0; i < eos.length; i++) logits[eos[i]] = saved[ids.length + i];
      return;
    }
    for (let i = 0; i < ids.length; i++) logits[ids[i]] = -Infinity;
    if (!eosAllowed) for (let i = 0; i < eos.length; i++) logits[eos[i]] = -Infinity;
    // a model may have more logits than its tokenizer has tokens (padded embeddings)
    if (logits.length > this.trie.size) logits.fill(-Infinity, this.trie.size);
  }
}

/** One output's progress through a compiled constraint. */
class TokenConstraintState implements ConstraintState {
  private current: InternedState;
  /** The bytes of a character begun by tokens holding part of one (empty between characters). */
  private pending: readonly number[] = noBytes;
  /** Set once an EOS token was advanced past. */
  private ended = false;
  /** The last mask left only characters the budget cannot finish: EOS was let through instead. */
  private stranded = false;

  constructor(private readonly compiled: CompiledConstraint) {
    this.current = compiled.states.initial;
  }

  /** Valid as it stands: never with a character half written. */
  get complete(): boolean {
    return this.current.accepting && this.pending.length === 0;
  }

  /** Complete with nothing to follow, or at a dead end (nothing can follow an incomplete output). */
  get finished(): boolean {
    if (this.ended) return true;
    if (this.complete) return !this.current.canContinue;
    return this.compiled.maskOf(this.current, this.pending).allowedCount === 0;
  }

  mask(logits: Float32Array, remainingTokens?: number): void {
    // a character begun is finished first, whatever the budget
    const budget =
      this.ended || this.pending.length > 0
        ? undefined
        : this.compiled.budgetFor(this.current, remainingTokens);
    if (budget !== undefined) {
      const groups = budgetAllowed(this.compiled.profileOf(this.current), budget, this.current.accepting);
      applyGroups(logits, groups, this.current.accepting ? this.compiled.eos : emptyIds);
      return;
    }
    const mask = this.ended ? emptyMask : this.compiled.maskOf(this.current, this.pending);
    // near the budget's end, no character is begun that cannot be finished (a byte a token: 4 at most);
    // when that leaves nothing, the output ends here rather than half a character later
    const nearEnd =
      remainingTokens !== undefined &&
      remainingTokens < 4 &&
      !this.ended &&
      this.pending.length === 0 &&
      this.compiled.partialIds.length > 0;
    // the end's own logits, kept only where they may be let through (not at every step)
    const eosLogits = nearEnd ? this.compiled.eos.map((id) => logits[id]) : undefined;
    this.compiled.apply(mask, logits, this.complete || mask.allowedCount === 0);
    this.stranded = nearEnd && this.compiled.dropUnfinishable(logits, this.current, remainingTokens!);
    if (this.stranded) this.compiled.eos.forEach((id, index) => (logits[id] = eosLogits![index]));
  }

  advance(token: number): void {
    const codes = this.compiled.trie.tokenCodes[token];
    if (this.compiled.eos.includes(token)) {
      if (
        this.complete ||
        this.stranded ||
        this.compiled.maskOf(this.current, this.pending).allowedCount === 0
      ) {
        this.ended = true;
        return;
      }
    } else if (codes && !this.ended && this.pending.length === 0) {
      let state: InternedState | undefined = this.current;
      for (let i = 0; i < codes.length && state; i++) state = this.compiled.states.step(state, codes[i]);
      if (state) {
        this.current = state;
        return;
      }
    } else if (!this.ended) {
      const read = this.compiled.readPartial(this.current, this.pending, token);
      if (read) {
        this.current = read.state;
        this.pending = read.pending;
        return;
      }
    }
    throw new ValidationError(`Token ${token} is not allowed by the decoding constraint here`, {
      code: 'CONSTRAINT_VIOLATED',
      hint: 'Advance only past tokens the constraint mask left allowed (apply mask() before sampling).',
    });
  }
}

const emptyMask: TokenMask = { allows: true, ids: new Int32Array(0), allowedCount: 0 };
const noBytes: readonly number[] = [];
/** Code points a range is tried one by one, at most, for an automaton that cannot say at once. */
const largestTried = 4096;
/** Begun characters whose finishing is remembered at most (cleared when full). */
const largestFinishable = 65_536;
const emptyIds = new Int32Array(0);
/** Budget profiles kept at most (cleared when full). */
const largestProfiles = 1024;
