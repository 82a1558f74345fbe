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

/** Calls the service; JSON in and out. A 401 signs out (the key was revoked or mistyped). */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; key?: string } = {},
): Promise<T> {
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
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (body as { error?: { message?: string; code?: string; hint?: string } } | undefined)?.error;
    if (response.status === 401 && !init.key) {
      signOut();
      window.dispatchEvent(new Event('promptune:signed-out'));
    }
    throw new ApiError(
      error?.message ?? `HTTP ${response.status}`,
      response.status,
      error?.code,
      error?.hint,
    );
  }
  return body as T;
}

/** A query string from the defined values of `parameters`. */
export function query(parameters: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters))
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
