// Credentials by shape: provider API keys (OpenAI, Anthropic, AWS access key ids, GitHub, Slack,
// Stripe, Google), JSON Web Tokens, PEM private-key blocks and promptune's own `pt_<id>_<secret>`
// keys. It does not score arbitrary high-entropy strings (hashes, ids and base64 data look the same)
// nor verify a key with its provider; `detail` names the provider.
import { onNormalizedText } from './_normalize.js';
import { scan } from './_scan.js';
import type { DetectedSpan } from './span.js';

const shapes = [
  '(?<anthropic>sk-ant-[A-Za-z0-9_-]{20,})',
  '(?<openai>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{20,})',
  '(?<aws>(?:AKIA|ASIA)[A-Z0-9]{16})',
  '(?<github>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})',
  '(?<slack>xox[baprs]-[A-Za-z0-9-]{10,})',
  '(?<stripe>[sr]k_(?:live|test)_[A-Za-z0-9]{16,})',
  '(?<google>AIza[A-Za-z0-9_-]{35})',
  '(?<jwt>eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*)',
  '(?<promptune>pt_[A-Za-z0-9]+_[A-Za-z0-9_-]{16,})',
  '(?<pem>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)',
];
const secretPattern = new RegExp(`(?<![A-Za-z0-9_-])(?:${shapes.join('|')})(?![A-Za-z0-9_-])`, 'g');
// each shape's group name is its provider
const providers = shapes.map((shape) => shape.slice(3, shape.indexOf('>')));
// shapes whose prefix alone is a common word part: their random part must mix letters and digits
const needsMixture = new Set(['anthropic', 'openai', 'slack', 'promptune']);
const pemEnd = /-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/y;
// a truncated block: its header lines ("Proc-Type: 4,ENCRYPTED") and base64 lines, nothing shorter
const pemBody = /(?:\s+(?:[A-Za-z0-9+/=]{16,}|[A-Za-z]+(?:-[A-Za-z]+)*: [^\n]*))*/y;

function mixesLettersAndDigits(value: string): boolean {
  return /\d/.test(value) && /[A-Za-z]/.test(value);
}

/** The part of a key after its fixed prefix (after the id, for promptune's keys). */
function randomPart(provider: string, key: string): string {
  return provider === 'promptune' ? key.slice(key.indexOf('_', 3) + 1) : key.slice(key.indexOf('-') + 1);
}

/** True when a JWT's first part decodes to a JSON object naming its algorithm (`alg`). */
function hasJwtHeader(token: string): boolean {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString(),
    );
    return (
      typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

/**
 * The end of each private-key block in one text: its END line, or else its last base64 line. Blocks
 * are asked for in order, so the search for END lines resumes where it stopped (linear in the text).
 */
function pemBlockEnds(text: string): (bodyStart: number) => number {
  let endMarker = -2; // not searched yet; -1 once no END line remains
  return (bodyStart) => {
    if (endMarker !== -1 && endMarker < bodyStart) endMarker = text.indexOf('-----END ', bodyStart);
    if (endMarker >= 0) {
      pemEnd.lastIndex = endMarker;
      if (pemEnd.test(text)) return pemEnd.lastIndex;
    }
    pemBody.lastIndex = bodyStart;
    pemBody.test(text);
    return pemBody.lastIndex;
  };
}

/**
 * API keys, tokens and private keys, such as `AKIAIOSFODNN7EXAMPLE` or a `-----BEGIN RSA PRIVATE
 * KEY-----` block; `detail` is the provider (`openai`, `aws`, `jwt`, `pem`, `promptune`, ...).
 */
export const detectSecrets = onNormalizedText((text) => {
  const blockEnd = pemBlockEnds(text);
  return scan(secretPattern, text, (match): DetectedSpan | undefined => {
    const groups = match.groups ?? {};
    const provider = providers.find((name) => groups[name] !== undefined) ?? 'unknown';
    if (needsMixture.has(provider) && !mixesLettersAndDigits(randomPart(provider, match[0])))
      return undefined;
    if (provider === 'jwt' && !hasJwtHeader(match[0])) return undefined;
    const start = match.index;
    let end = start + match[0].length;
    if (provider === 'pem') {
      end = blockEnd(end);
      // resume the scan after the block: its base64 lines are not keys of their own
      secretPattern.lastIndex = end;
    }
    return { kind: 'secret', start, end, text: text.slice(start, end), detail: provider };
  });
});
