// Budget enforcement: wraps a model so every call is counted against its role's cap before it is made.
// A call that would exceed a cap throws BudgetExceeded and is never sent.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { PromptuneError } from '../errors/index.js';
import type { EvaluatedModel } from '../eval/harness.js';
import type { Budget } from './types.js';

/** Thrown instead of a call that would go over budget. */
export class BudgetExceeded extends PromptuneError {
  constructor(role: string, cap: number) {
    super(`the ${role} budget of ${cap} is spent`, {
      code: 'OPTIMIZE_BUDGET',
      hint: 'Raise --max-calls (or the preset), or accept the best prompt found so far.',
    });
  }
}

/** Calls and tokens used so far, per role. */
export class BudgetTracker {
  readonly used = { studentCalls: 0, teacherCalls: 0, tokens: 0 };

  constructor(readonly budget: Budget) {}

  /** The model, counting calls as `role` against the budget. */
  wrap(model: EvaluatedModel, role: 'student' | 'teacher'): EvaluatedModel {
    const key = role === 'student' ? 'studentCalls' : 'teacherCalls';
    const inner = model.model;
    const counted: LanguageModelV3 = {
      specificationVersion: 'v3',
      provider: inner.provider,
      modelId: inner.modelId,
      supportedUrls: inner.supportedUrls,
      doGenerate: async (options) => {
        this.reserve(key, role);
        const result = await inner.doGenerate(options);
        this.used.tokens += (result.usage.inputTokens.total ?? 0) + (result.usage.outputTokens.total ?? 0);
        return result;
      },
      doStream: async (options) => {
        this.reserve(key, role);
        return inner.doStream(options);
      },
    };
    return { ...model, model: counted };
  }

  /** Whether `calls` more calls as `role` fit. */
  fits(role: 'student' | 'teacher', calls: number): boolean {
    const cap = role === 'student' ? this.budget.studentCalls : this.budget.teacherCalls;
    const key = role === 'student' ? 'studentCalls' : 'teacherCalls';
    return (
      (cap === undefined || this.used[key] + calls <= cap) &&
      (this.budget.tokens === undefined || this.used.tokens < this.budget.tokens)
    );
  }

  private reserve(key: 'studentCalls' | 'teacherCalls', role: string): void {
    const cap = key === 'studentCalls' ? this.budget.studentCalls : this.budget.teacherCalls;
    if (cap !== undefined && this.used[key] + 1 > cap) throw new BudgetExceeded(`${role} calls`, cap);
    if (this.budget.tokens !== undefined && this.used.tokens >= this.budget.tokens)
      throw new BudgetExceeded('token', this.budget.tokens);
    this.used[key]++;
  }
}
