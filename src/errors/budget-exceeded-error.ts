// A model call refused because it could take a run over one of its caps (calls, tokens or dollars).
import { PromptuneError } from './promptune-error.js';

const marker = Symbol.for('promptune.error.budget-exceeded');

/** Thrown instead of a call that would go over budget (OPTIMIZE_BUDGET). */
export class BudgetExceededError extends PromptuneError {
  private readonly [marker] = true;

  /** True for a BudgetExceededError, even one from another copy of the package. */
  static override isInstance(error: unknown): error is BudgetExceededError {
    return PromptuneError.hasMarker(error, marker);
  }

  constructor(what: string, cap: number) {
    super(`the ${what} budget of ${cap} is spent`, {
      code: 'OPTIMIZE_BUDGET',
      // an optimizer that meets its cap after the starting prompt is scored ends with its best prompt; this
      // reaches the user when not even the starting prompt could be scored
      hint: 'Raise the cap (--max-calls, --max-cost, --budget or the preset; from code, budget), or score fewer dev examples (--dev-limit; from code, a shorter dev list): the starting prompt must be scored before anything else is tried.',
    });
  }
}
