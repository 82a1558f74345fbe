// Compiles a character automaton and a vocabulary into the engine's TokenConstraint: a state's allowed
// tokens come from walking the vocabulary trie beside the automaton (dead branches pruned), memoised per
// state key in a bounded LRU of compact masks (the shorter of the allowed and disallowed id lists). EOS
// is allowed exactly where the output is complete, and at a dead end (no token continues an incomplete
// output), which also reports `finished`: generation ends there, incomplete, for validators to refuse.
// Given the row's remaining budget, masks turn budget-aware once it runs short: only tokens after which
// the output can still be completed in time stay allowed (or, past saving, those that come closest).
import type { ConstraintState, TokenConstraint } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import type { CharacterAutomaton } from './character-automaton.js';
import { applyGroups, budgetAllowed, budgetProfile, type BudgetProfile } from './_budget-profile.js';
import { CompletionDistance } from './_completion-distance.js';
import { InternedAutomaton, type InternedState } from './_interned-automaton.js';
import { vocabularyTrie, walkBeside, type VocabularyTrie } from './_vocabulary-trie.js';

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

  constructor(
    automaton: CharacterAutomaton,
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
  }

  /** The mask of a state: from the cache (refreshed as most recent), else computed and cached. */
  maskOf(state: InternedState): TokenMask {
    const known = this.masks.get(state.key);
    if (known) {
      this.masks.delete(state.key);
      this.masks.set(state.key, known);
      return known;
    }
    const mask = this.computeMask(state);
    this.masks.set(state.key, mask);
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

  /** Walks the vocabulary trie beside the automaton from `state`; a token is allowed when its whole text steps. */
  private computeMask(state: InternedState): TokenMask {
    const { tokenStart, tokenEnd, tokenIds } = this.trie;
    const allowed = new Uint8Array(this.trie.size);
    let allowedCount = 0;
    walkBeside(this.trie, this.step, state, (node) => {
      for (let t = tokenStart[node]; t < tokenEnd[node]; t++) {
        const id = tokenIds[t];
        if (!this.isEos[id]) {
          allowed[id] = 1;
          allowedCount++;
        }
      }
    });
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
  /** Set once an EOS token was advanced past. */
  private ended = false;

  constructor(private readonly compiled: CompiledConstraint) {
    this.current = compiled.states.initial;
  }

  get complete(): boolean {
    return this.current.accepting;
  }

  /** Complete with nothing to follow, or at a dead end (nothing can follow an incomplete output). */
  get finished(): boolean {
    if (this.ended) return true;
    if (this.current.accepting) return !this.current.canContinue;
    return this.compiled.maskOf(this.current).allowedCount === 0;
  }

  mask(logits: Float32Array, remainingTokens?: number): void {
    const budget = this.ended ? undefined : this.compiled.budgetFor(this.current, remainingTokens);
    if (budget !== undefined) {
      const groups = budgetAllowed(this.compiled.profileOf(this.current), budget, this.current.accepting);
      applyGroups(logits, groups, this.current.accepting ? this.compiled.eos : emptyIds);
      return;
    }
    const mask = this.ended ? emptyMask : this.compiled.maskOf(this.current);
    this.compiled.apply(mask, logits, this.current.accepting || mask.allowedCount === 0);
  }

  advance(token: number): void {
    const codes = this.compiled.trie.tokenCodes[token];
    if (this.compiled.eos.includes(token)) {
      if (this.current.accepting || this.compiled.maskOf(this.current).allowedCount === 0) {
        this.ended = true;
        return;
      }
    } else if (codes && !this.ended) {
      let state: InternedState | undefined = this.current;
      for (let i = 0; i < codes.length && state; i++) state = this.compiled.states.step(state, codes[i]);
      if (state) {
        this.current = state;
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
const emptyIds = new Int32Array(0);
/** Budget profiles kept at most (cleared when full). */
const largestProfiles = 1024;
