// The summaries the audit views read, mirroring src/audit's result types (the dashboard talks to the
// service over HTTP only), and how their numbers are written.

/** A 95% interval. */
export type Interval = [number, number];
export interface Estimate {
  value: number;
  interval: Interval;
}
export interface BiasSummary {
  groups: { name: string; score: number; interval: Interval; n: number }[];
  gap: {
    between: [string, string];
    difference: number;
    ratio: number | null;
    pValue: number;
    significant: boolean;
    /** The smallest gap the audit's size could show as significant (null: none), when the test was exact. */
    smallestSignificant?: number | null;
  };
  flipRate: number;
  /** Its 95% interval (Wilson's); absent from audits recorded before it was kept. */
  flipInterval?: [number, number];
  /** The task's audit policy's flip-rate limit, when it set one as the audit ran. */
  maxFlipRate?: number;
  /** `upper` when that policy bounds the rate's interval's upper end, not the rate. */
  flipRateBound?: 'upper';
  scoreFlipRate: number;
  audited: number;
  skipped: number;
  sets: { name: string; source: string }[];
}
export interface FlippedExample {
  line: number;
  answers: {
    group: string;
    input: Record<string, unknown>;
    output: string;
    /** The answer as compared: mapped back to the original's terms (absent in audits made before it). */
    readAs?: string;
    score: number;
  }[];
}
export interface Spread {
  min: Estimate;
  max: Estimate;
  range: Estimate;
  standardDeviation: Estimate;
}
export interface VariantScore {
  family: string;
  name: string;
  score: number;
  interval: Interval;
  drop: number | null;
  template?: string;
}
export interface SensitivitySummary {
  n: number;
  original: VariantScore;
  variants: VariantScore[];
  spread: Spread;
  families: Record<string, Spread & { count: number; meanDrop: number | null }>;
}
export interface VariabilitySummary {
  n: number;
  repeats: number;
  temperature: number;
  score: Estimate;
  agreement: Estimate;
  modalAgreement: Estimate;
  distinctAnswers: Record<string, number>;
  passK: { k: number; passAll: Estimate; passAny: Estimate }[];
  /** input and target: absent from audits recorded before they were kept */
  leastStable: {
    line: number;
    input?: string;
    target?: string;
    answers: { answer: string; count: number }[];
  }[];
}
export interface Ablation {
  exactMatch: number;
  effect: number;
  interval: Interval;
  lossEffect: number;
}
export interface SoftSummary {
  kind: 'soft';
  n: number;
  virtualTokens: number;
  original: { exactMatch: number; loss: number };
  tokens: {
    position: number;
    norm: number;
    cosine: { text: string; cosine: number }[];
    l2: { text: string; distance: number }[];
    zeroed: Ablation;
    removed: Ablation;
  }[];
  saliency: { example: number; promptShare: number; tokens: { text: string; saliency: number }[] }[];
}
export interface HardSummary {
  kind: 'hard';
  n: number;
  original: { score: number; interval: Interval };
  parts: { kind: string; text: string; score: number; effect: number; interval: Interval; pValue: number }[];
}

/** A change with its sign. */
export const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
/** An interval in brackets. */
export const range = ([low, high]: Interval) => `[${low.toFixed(3)}, ${high.toFixed(3)}]`;
/** A share as a percentage. */
export const percent = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);
