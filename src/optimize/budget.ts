// Budget enforcement: wraps a model so every call is counted against its role's caps (and the run's
// total caps) before it is sent. Token and money caps are hard: a call reserves its worst case (prompt
// bytes as tokens plus its maximum output) and is refused if that could cross a cap; the reservation is
// settled with the real usage when the call returns. Cached replays never reach the wrapped model.
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { PromptuneError } from '../errors/index.js';
import type { EvaluatedModel } from '../eval/harness.js';
import { callCost, type Price } from '../eval/prices.js';
import type { Budget, Role, RoleUsage } from './types.js';

/** Thrown instead of a call that would go over budget. */
export class BudgetExceeded extends PromptuneError {
  constructor(what: string, cap: number) {
    super(`the ${what} budget of ${cap} is spent`, {
      code: 'OPTIMIZE_BUDGET',
      hint: 'Raise the cap (--max-calls, --max-cost, --budget or the preset), or accept the best prompt found so far.',
    });
  }
}

/** Output tokens assumed for a call that sets no maximum. */
const unboundedOutputTokens = 4096;
export const roles: Role[] = ['student', 'teacher', 'judge'];

const emptyUsage = (): RoleUsage => ({ calls: 0, inputTokens: 0, outputTokens: 0, dollars: 0 });

/** An upper bound on a prompt's input tokens: no tokenizer makes more tokens than UTF-8 bytes, plus framing. */
function inputTokenBound(options: LanguageModelV3CallOptions): number {
  let bound = 0;
  for (const message of options.prompt) {
    bound += 16;
    const parts = typeof message.content === 'string' ? [message.content] : message.content;
    for (const part of parts)
      bound += Buffer.byteLength(typeof part === 'string' ? part : 'text' in part ? part.text : '', 'utf8');
  }
  return bound;
}

/** Calls, tokens and dollars used so far, per role and in total. */
export class BudgetTracker {
  readonly used: Record<Role, RoleUsage> = {
    student: emptyUsage(),
    teacher: emptyUsage(),
    judge: emptyUsage(),
  };
  /** Worst-case tokens and dollars of calls in flight, per role. */
  private readonly reserved: Record<Role, { tokens: number; dollars: number }> = {
    student: { tokens: 0, dollars: 0 },
    teacher: { tokens: 0, dollars: 0 },
    judge: { tokens: 0, dollars: 0 },
  };

  constructor(
    readonly budget: Budget,
    private readonly prices?: Record<string, Price>,
  ) {}

  /** Usage summed over the roles (dollars undefined when a model's price is unknown). */
  get total(): RoleUsage {
    const total = emptyUsage();
    for (const role of roles) {
      const usage = this.used[role];
      total.calls += usage.calls;
      total.inputTokens += usage.inputTokens;
      total.outputTokens += usage.outputTokens;
      total.dollars =
        total.dollars === undefined || usage.dollars === undefined
          ? undefined
          : total.dollars + usage.dollars;
    }
    return total;
  }

  /** The model, counting its calls as `role` against the budget. */
  wrap(model: EvaluatedModel, role: Role): EvaluatedModel {
    const inner = model.model;
    const call = async <T>(
      options: LanguageModelV3CallOptions,
      send: () => PromiseLike<T>,
      usage: (result: T) => [number, number] | undefined,
    ) => {
      const reservation = this.reserve(role, model, options);
      let result: T;
      try {
        result = await send();
      } catch (error) {
        this.settle(role, model, reservation, [0, 0]);
        throw error;
      }
      this.settle(role, model, reservation, usage(result) ?? reservation.worst);
      return result;
    };
    const counted: LanguageModelV3 = {
      specificationVersion: 'v3',
      provider: inner.provider,
      modelId: inner.modelId,
      supportedUrls: inner.supportedUrls,
      doGenerate: (options) =>
        call(
          options,
          () => inner.doGenerate(options),
          (result) => [result.usage.inputTokens.total ?? 0, result.usage.outputTokens.total ?? 0],
        ),
      // a stream's usage arrives at its end; it is charged at its worst case
      doStream: (options) =>
        call(
          options,
          () => inner.doStream(options),
          () => undefined,
        ),
    };
    return { ...model, model: counted };
  }

  /** Whether `calls` more calls as `role` fit the call caps, and no token or money cap is already reached. */
  fits(role: Role, calls: number): boolean {
    const own = this.budget[role] ?? {};
    const total = this.budget.total ?? {};
    const usage = this.used[role];
    const all = this.total;
    const under = (cap: number | undefined, value: number | undefined) =>
      cap === undefined || value === undefined || value < cap;
    return (
      (own.calls === undefined || usage.calls + calls <= own.calls) &&
      (total.calls === undefined || all.calls + calls <= total.calls) &&
      under(own.tokens, usage.inputTokens + usage.outputTokens) &&
      under(total.tokens, all.inputTokens + all.outputTokens) &&
      under(own.dollars, usage.dollars) &&
      under(total.dollars, all.dollars)
    );
  }

  private reserve(role: Role, model: EvaluatedModel, options: LanguageModelV3CallOptions) {
    const worst: [number, number] = [
      inputTokenBound(options),
      options.maxOutputTokens ?? unboundedOutputTokens,
    ];
    const worstDollars = callCost(model.provider, model.modelId, worst[0], worst[1], this.prices);
    const own = this.budget[role] ?? {};
    const total = this.budget.total ?? {};
    if ((own.dollars !== undefined || total.dollars !== undefined) && worstDollars === undefined) {
      throw new PromptuneError(`no price is known for ${model.provider} model ${model.modelId}`, {
        code: 'OPTIMIZE_NO_PRICE',
        hint: 'Pass --prices <file.json> with its price per million tokens, or drop the money cap.',
      });
    }
    const usage = this.used[role];
    const all = this.total;
    const reservedTokens = roles.reduce((sum, r) => sum + this.reserved[r].tokens, 0);
    const reservedDollars = roles.reduce((sum, r) => sum + this.reserved[r].dollars, 0);
    const tokens = worst[0] + worst[1];
    const checks: [string, number | undefined, number][] = [
      [`${role} calls`, own.calls, usage.calls + 1],
      ['total calls', total.calls, all.calls + 1],
      [
        `${role} token`,
        own.tokens,
        usage.inputTokens + usage.outputTokens + this.reserved[role].tokens + tokens,
      ],
      ['total token', total.tokens, all.inputTokens + all.outputTokens + reservedTokens + tokens],
      [
        `${role} dollar`,
        own.dollars,
        (usage.dollars ?? 0) + this.reserved[role].dollars + (worstDollars ?? 0),
      ],
      ['total dollar', total.dollars, (all.dollars ?? 0) + reservedDollars + (worstDollars ?? 0)],
    ];
    for (const [what, cap, wouldUse] of checks)
      if (cap !== undefined && wouldUse > cap) throw new BudgetExceeded(what, cap);
    usage.calls++;
    this.reserved[role].tokens += tokens;
    this.reserved[role].dollars += worstDollars ?? 0;
    return { worst, tokens, dollars: worstDollars ?? 0 };
  }

  private settle(
    role: Role,
    model: EvaluatedModel,
    reservation: { tokens: number; dollars: number },
    [inputTokens, outputTokens]: [number, number],
  ): void {
    this.reserved[role].tokens -= reservation.tokens;
    this.reserved[role].dollars -= reservation.dollars;
    const usage = this.used[role];
    usage.inputTokens += inputTokens;
    usage.outputTokens += outputTokens;
    const dollars = callCost(model.provider, model.modelId, inputTokens, outputTokens, this.prices);
    usage.dollars =
      usage.dollars === undefined || dollars === undefined ? undefined : usage.dollars + dollars;
  }
}
