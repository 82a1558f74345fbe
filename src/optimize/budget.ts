// Budget enforcement: wraps a model so every call is counted against its role's caps (and the run's
// total caps) before it is sent. Caps are hard: a call reserves its worst case (prompt bytes as tokens
// plus its maximum output) and is refused if that could cross a cap; the reservation is settled with the
// real usage when the call returns. With a spend journal the caps hold across kills and reruns: what
// earlier runs of the same command spent counts from the start, and their answers, replayed from the
// cache, are not paid twice.
import { BudgetExceededError, ValidationError } from '../errors/index.js';
import {
  type EvaluatedModel,
  meteredModel,
  type TokenUsage,
  callCost,
  type Price,
  emptyTally,
  sumTallies,
  type CallTally,
  type SpendJournal,
} from '../eval/index.js';
import type { Budget, Role, RoleUsage } from './types.js';

/**
 * BudgetExceededError (from promptune/errors) under its old name.
 * @deprecated Use BudgetExceededError.
 */
export const BudgetExceeded = BudgetExceededError;
/**
 * BudgetExceededError under its old name.
 * @deprecated Use BudgetExceededError.
 */
export type BudgetExceeded = BudgetExceededError;

export const roles: Role[] = ['student', 'teacher', 'judge'];

const plus = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : a + b;

/** Calls, tokens and dollars used so far, per role and in total, including earlier runs this one resumes or replays. */
export class BudgetTracker {
  /** This process's calls. */
  private readonly fresh = byRole<RoleUsage>(() => ({ ...emptyTally(), dollars: 0 }));
  /** Earlier runs' calls that returned (their answers may be cached), and those killed in flight. */
  private readonly settled: Record<Role, CallTally>;
  private readonly unsettled: Record<Role, CallTally>;
  /** Answers this run replayed (from the cache or a journal) instead of calling. */
  private readonly replayedSoFar = byRole(emptyTally);
  /** Worst-case tokens and dollars of calls in flight. */
  private readonly reserved = byRole(() => ({ tokens: 0, dollars: 0 }));
  private readonly models: Partial<Record<Role, EvaluatedModel>> = {};

  constructor(
    readonly budget: Budget,
    private readonly prices?: Record<string, Price>,
    /** Where each call is journaled before it is sent, and whose earlier spend counts from the start. */
    private readonly journal?: SpendJournal,
    /** Told of each call answered (not replays from the cache), by role: progress within a trial. */
    private readonly onCall?: (role: Role) => void,
  ) {
    this.settled = byRole((role) => journal?.settled(role) ?? emptyTally());
    this.unsettled = byRole((role) => journal?.unsettled(role) ?? emptyTally());
  }

  /** What earlier runs of the same command (killed or finished) spent per role (part of `used`). */
  get earlier(): Record<Role, RoleUsage> {
    return byRole((role) => {
      const tally = sumTallies(this.settled[role], this.unsettled[role]);
      return { ...tally, dollars: this.dollars(role, tally) };
    });
  }

  /** Usage per role: this run's calls and those of the earlier runs it resumes or replays. */
  get used(): Record<Role, RoleUsage> {
    const earlier = this.earlier;
    return byRole((role) => {
      const fresh = this.fresh[role];
      return { ...sumTallies(earlier[role], fresh), dollars: plus(earlier[role].dollars, fresh.dollars) };
    });
  }

  /** Answers replayed (from the cache or a killed run's journal) instead of calls, by role. */
  get replayedCalls(): Record<Role, number> {
    return byRole((role) => this.replayedSoFar[role].calls);
  }

  /** Usage summed over the roles (dollars undefined when a model's price is unknown). */
  get total(): RoleUsage {
    return sum(Object.values(this.used));
  }

  /** The model, counting its calls as `role` against the budget (and its replays against earlier spend). */
  wrap(model: EvaluatedModel, role: Role): EvaluatedModel {
    this.models[role] = model;
    const metered = meteredModel(model, {
      reserve: (worst) => this.reserve(role, model, worst),
      settle: (reservation, used) => this.settle(role, model, reservation, used),
      release: (reservation) => this.release(role, reservation),
    });
    return { ...metered, replayed: (usage) => this.replay(role, usage) };
  }

  /**
   * Whether `calls` more calls as `role` fit the call caps, and no token or money cap is already reached.
   * Earlier runs' calls whose answers are cached count only once this run has replayed them, so a
   * resumed run can replay what the killed one did and then stops where an unbroken run would have.
   */
  fits(role: Role, calls: number): boolean {
    const own = this.budget[role] ?? {};
    const total = this.budget.total ?? {};
    const committed = byRole((each) => this.committed(each));
    const usage = committed[role];
    const all = sum(Object.values(committed));
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

  /** Usage less what earlier runs spent on answers this run has yet to replay. */
  private committed(role: Role): RoleUsage {
    const used = this.used[role];
    const settled = this.settled[role];
    const replayed = this.replayedSoFar[role];
    const credit = {
      calls: Math.max(0, settled.calls - replayed.calls),
      inputTokens: Math.max(0, settled.inputTokens - replayed.inputTokens),
      outputTokens: Math.max(0, settled.outputTokens - replayed.outputTokens),
    };
    const creditDollars = this.dollars(role, credit);
    return {
      calls: used.calls - credit.calls,
      inputTokens: used.inputTokens - credit.inputTokens,
      outputTokens: used.outputTokens - credit.outputTokens,
      dollars:
        used.dollars === undefined || creditDollars === undefined ? undefined : used.dollars - creditDollars,
    };
  }

  /** Dollars of `tally` at the role's model's price (undefined until the role's model is known). */
  private dollars(role: Role, tally: CallTally): number | undefined {
    if (tally.calls + tally.inputTokens + tally.outputTokens === 0) return 0;
    const model = this.models[role];
    return model && callCost(model, tally.inputTokens, tally.outputTokens, this.prices);
  }

  private replay(role: Role, usage: TokenUsage): void {
    const replayed = this.replayedSoFar[role];
    replayed.calls++;
    replayed.inputTokens += usage.inputTokens;
    replayed.outputTokens += usage.outputTokens;
  }

  private reserve(role: Role, model: EvaluatedModel, worst: TokenUsage) {
    const worstDollars = callCost(model, worst.inputTokens, worst.outputTokens, this.prices);
    const own = this.budget[role] ?? {};
    const total = this.budget.total ?? {};
    const usage = this.used[role];
    const all = this.total;
    // under a money cap, a spend that cannot be priced (this call, or this role's or any role's
    // spend so far, a killed run's included) cannot be counted as $0
    const unpriced =
      worstDollars === undefined ||
      (own.dollars !== undefined && usage.dollars === undefined) ||
      (total.dollars !== undefined && all.dollars === undefined);
    if ((own.dollars !== undefined || total.dollars !== undefined) && unpriced) {
      throw new ValidationError(
        `no price is known for ${model.provider} model ${model.modelId}, or for a model whose calls the run (or a killed run it resumes) already made`,
        {
          code: 'OPTIMIZE_NO_PRICE',
          hint: 'Pass --prices <file.json> with the price per million tokens of every model the run calls (a server of your own that costs nothing per token: {"<model string>": {"input": 0, "output": 0}}), or drop the money cap.',
        },
      );
    }
    const reservedTokens = roles.reduce((tokens, each) => tokens + this.reserved[each].tokens, 0);
    const reservedDollars = roles.reduce((dollars, each) => dollars + this.reserved[each].dollars, 0);
    const tokens = worst.inputTokens + worst.outputTokens;
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
      if (cap !== undefined && wouldUse > cap) throw new BudgetExceededError(what, cap);
    // journaled before it is sent: a kill from here on leaves the call counted, at its worst case
    const id = this.journal?.reserve(role, worst);
    this.fresh[role].calls++;
    this.reserved[role].tokens += tokens;
    this.reserved[role].dollars += worstDollars ?? 0;
    return { id, tokens, dollars: worstDollars ?? 0 };
  }

  /** A call whose request never left: no call, against any cap (a rerun once the server is up has them all). */
  private release(
    role: Role,
    reservation: { id: number | undefined; tokens: number; dollars: number },
  ): void {
    if (reservation.id !== undefined) this.journal?.release(reservation.id);
    this.reserved[role].tokens -= reservation.tokens;
    this.reserved[role].dollars -= reservation.dollars;
    this.fresh[role].calls--;
  }

  private settle(
    role: Role,
    model: EvaluatedModel,
    reservation: { id: number | undefined; tokens: number; dollars: number },
    used: TokenUsage,
  ): void {
    if (reservation.id !== undefined) this.journal?.settle(reservation.id, used);
    this.reserved[role].tokens -= reservation.tokens;
    this.reserved[role].dollars -= reservation.dollars;
    const usage = this.fresh[role];
    usage.inputTokens += used.inputTokens;
    usage.outputTokens += used.outputTokens;
    usage.dollars = plus(usage.dollars, callCost(model, used.inputTokens, used.outputTokens, this.prices));
    this.onCall?.(role);
  }
}

/** One value per role. */
function byRole<T>(value: (role: Role) => T): Record<Role, T> {
  return { student: value('student'), teacher: value('teacher'), judge: value('judge') };
}

/** The sum of usages (dollars undefined when any is). */
function sum(usages: RoleUsage[]): RoleUsage {
  return usages.reduce(
    (total, usage) => ({ ...sumTallies(total, usage), dollars: plus(total.dollars, usage.dollars) }),
    {
      ...emptyTally(),
      dollars: 0,
    },
  );
}
