// Where the terminal reviewer takes items from and sends decisions to: the service over HTTP (--url with
// a review key: what a reviewer on another machine uses) or the registry itself (--db, as the local
// operator). Both give the same views and keep each decision the moment it is sent.
import { AuthError, NotFoundError, PromptuneError, ValidationError } from '../errors/index.js';
import type { Registry, ReviewDecision, ReviewDecisionInput } from '../registry/index.js';
import { decideItem, nextDisputed, reviewItemView, type ReviewItemView } from '../review/index.js';

/** What the terminal reviewer needs of a queue. */
export interface ReviewClient {
  /** The reviewer's name (the key's, or the operator's). */
  readonly reviewer: string;
  next(queue: string): Promise<ReviewItemView | null>;
  decide(item: string, input: ReviewDecisionInput): Promise<ReviewDecision>;
  release(item: string): Promise<void>;
}

/** What the terminal reviewer is handed: the queue's next items, or (an admin) the disputed ones. */
export interface ReviewMode {
  disputes?: boolean;
}

/**
 * Reviews through the registry directly, as `reviewer`: the operator of the registry, an admin (any
 * queue, named reviewers or not; its decisions settle ties and are not counted as ratings).
 */
export function registryReviewClient(
  registry: Registry,
  reviewer: string,
  mode: ReviewMode = {},
): ReviewClient {
  const admin = { admin: true };
  return {
    reviewer,
    async next(queue) {
      if (mode.disputes) {
        const disputed = await nextDisputed(registry, queue, reviewer);
        return disputed ? reviewItemView(registry, disputed.item, admin) : null;
      }
      const item = await registry.review.next(queue, reviewer, undefined, admin);
      return item ? reviewItemView(registry, item) : null;
    },
    decide: (item, input) => decideItem(registry, item, reviewer, input, admin),
    release: (item) => registry.review.release(item, reviewer),
  };
}

/** Reviews through a promptune service at `url` with an API key. */
export async function httpReviewClient(
  url: string,
  key: string,
  mode: ReviewMode = {},
): Promise<ReviewClient> {
  const base = url.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new ValidationError(`could not reach the service at ${base}: ${(error as Error).message}`, {
        code: 'REVIEW_SERVICE_UNREACHABLE',
        hint: 'Check --url (promptune serve prints it) and that the service is running.',
      });
    }
    if (response.status === 204) return undefined as T;
    const payload = (await response.json().catch(() => ({}))) as {
      error?: { message?: string; code?: string; hint?: string };
    };
    if (!response.ok) {
      const { message = `HTTP ${response.status}`, code = 'HTTP_ERROR', hint = '' } = payload.error ?? {};
      const Kind =
        response.status === 401 ? AuthError : response.status === 404 ? NotFoundError : PromptuneErrorOf;
      // the service appends the hint to the message for OpenAI clients, which print only the message;
      // here the hint has its own line
      const suffix = hint ? ` (${hint})` : '';
      throw new Kind(suffix && message.endsWith(suffix) ? message.slice(0, -suffix.length) : message, {
        code,
        hint,
      });
    }
    return payload as T;
  }
  const me = await call<{ name: string }>('GET', '/v1/me');
  return {
    reviewer: me.name,
    async next(queue) {
      const view = await call<ReviewItemView | { item: null }>(
        'POST',
        `/v1/review/queues/${encodeURIComponent(queue)}/next${mode.disputes ? '?disputes=1' : ''}`,
      );
      return view.item === null ? null : (view as ReviewItemView);
    },
    decide: (item, input) => call('POST', `/v1/review/items/${encodeURIComponent(item)}/decision`, input),
    release: (item) => call('POST', `/v1/review/items/${encodeURIComponent(item)}/release`),
  };
}

/** A service error of no more specific kind, keeping its code and hint. */
class PromptuneErrorOf extends PromptuneError {}
