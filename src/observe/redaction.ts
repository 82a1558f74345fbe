// Redaction of traces before they are stored: rules are regular expressions (ours by name, or the
// operator's own) whose matches become `[REDACTED:<rule>]` in every string of a trace's input and in its
// output. It does not detect PII beyond these shapes; the guard layer's detectors can be added as rules.
import type { TraceRecord } from '../registry/index.js';
import { ValidationError } from '../errors/index.js';

/** A redaction rule: a name (shown in the replacement) and a pattern. */
export interface RedactionRule {
  name: string;
  pattern: RegExp;
}

/** Rules known by name (`--redact email`): shapes that are never worth keeping in a trace. */
export const namedRedactionRules: Record<string, RegExp> = {
  email: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g,
  // card-like digit runs (13-19 digits, spaces or dashes between groups)
  card: /\b(?:\d[ -]?){12,18}\d\b/g,
  phone: /(?<![\w+])\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}\b/g,
  ip: /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g,
  // API keys of common shapes (OpenAI, Anthropic, AWS, GitHub, promptune's own) and private key blocks
  secret:
    /\b(?:sk-(?:ant-)?[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|pt_[A-Za-z0-9]+_[A-Za-z0-9_-]{16,})\b|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
};

/** Turns `--redact` values (a rule's name, or `name=/regex/flags`) into rules. */
export function redactionRules(specifications: readonly string[]): RedactionRule[] {
  return specifications.map((specification) => {
    const named = namedRedactionRules[specification];
    if (named) return { name: specification, pattern: named };
    const match = /^([\w.-]+)=\/(.+)\/([a-z]*)$/s.exec(specification);
    if (!match)
      throw new ValidationError(`"${specification}" is not a redaction rule`, {
        code: 'REDACTION_RULE_INVALID',
        hint: `Name one of ${Object.keys(namedRedactionRules).join(', ')}, or give name=/regex/flags.`,
      });
    try {
      const flags = match[3].includes('g') ? match[3] : `${match[3]}g`;
      return { name: match[1], pattern: new RegExp(match[2], flags) };
    } catch (error) {
      throw new ValidationError(
        `the pattern of redaction rule "${match[1]}" is not a valid regular expression`,
        {
          code: 'REDACTION_RULE_INVALID',
          hint: (error as Error).message,
        },
      );
    }
  });
}

/** Applies rules to strings, and to every string inside a trace's input and output. */
export class Redactor {
  constructor(readonly rules: readonly RedactionRule[]) {}

  /** `text` with every match of every rule replaced. */
  redact(text: string): string {
    let result = text;
    for (const rule of this.rules) result = result.replace(rule.pattern, `[REDACTED:${rule.name}]`);
    return result;
  }

  /** A copy of `value` with every string in it redacted (object keys are kept). */
  redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.redactValue(item)]));
    return value;
  }

  /** A copy of the trace with its input, output and user redacted. */
  redactTrace(trace: TraceRecord): TraceRecord {
    if (this.rules.length === 0) return trace;
    return {
      ...trace,
      input: this.redactValue(trace.input),
      output: trace.output === null ? null : this.redact(trace.output),
      user: trace.user === null ? null : this.redact(trace.user),
      // an error may quote what it refused
      ...(typeof trace.errorMessage === 'string' && { errorMessage: this.redact(trace.errorMessage) }),
    };
  }
}
