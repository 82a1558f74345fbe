// The dashboard's only way to the service: fetch over /v1 with the signed-in key. The key lives in
// sessionStorage (this tab, until it closes), never in localStorage or a cookie. Errors keep the
// service's code and hint so pages can show what to do.

const storageKey = 'promptune.key';

/** The signed-in key, if any. */
export function currentKey(): string | null {
  return sessionStorage.getItem(storageKey);
}

/** Keeps `key` for this browser session. */
export function signIn(key: string): void {
  sessionStorage.setItem(storageKey, key);
}

/** Forgets the key. */
export function signOut(): void {
  sessionStorage.removeItem(storageKey);
}

/** An error the service answered with (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly hint: string | undefined,
  ) {
    super(message);
  }
}

/** Sends a request to the service; a failed answer becomes an ApiError (a 401 signs out). */
async function request(
  path: string,
  init: { method?: string; body?: unknown; key?: string },
): Promise<Response> {
  const key = init.key ?? currentKey();
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError(
      'the service did not answer',
      0,
      'NETWORK',
      'Is promptune serve (or ui) still running?',
    );
  }
  if (response.ok) return response;
  const body = (await readJson(response).catch(() => undefined)) as
    { error?: { message?: string; code?: string; hint?: string } } | undefined;
  if (response.status === 401 && !init.key) {
    signOut();
    window.dispatchEvent(new Event('promptune:signed-out'));
  }
  const error = body?.error;
  throw new ApiError(error?.message ?? `HTTP ${response.status}`, response.status, error?.code, error?.hint);
}

/** A response's JSON body (undefined when empty); a body that is not JSON is a BAD_RESPONSE. */
async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(
      `the service answered ${response.url} with something that is not JSON`,
      response.status,
      'BAD_RESPONSE',
      'Is a proxy in front of the service answering instead of it?',
    );
  }
}

/** Calls the service; JSON in and out. A 401 signs out (the key was revoked or mistyped). */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; key?: string } = {},
): Promise<T> {
  return (await readJson(await request(path, init))) as T;
}

/** Fetches a file the service makes (a run's HTML report), with the same errors as api. */
export async function apiBlob(path: string): Promise<Blob> {
  return (await request(path, {})).blob();
}

/** A query string from the defined values of `parameters`. */
export function query(parameters: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters))
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
