// Hash routes (#/tasks/name): the service serves one page, and a reload or a shared link lands where it
// was. A `#key=…` fragment (what `promptune ui` prints) signs in and is removed from the address.
import { useEffect, useState } from 'react';
import { signIn } from './api';

/** The current route's path segments and query, e.g. ['tasks', 'name'] and { a: '1' }. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

function readRoute(): Route {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [path, search] = hash.split('?');
  return {
    path: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search ?? ''),
  };
}

/** Takes a key from the address (`#key=…`), keeps it for the session, and clears it from history. */
export function takeKeyFromAddress(): void {
  const match = /^#key=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  signIn(decodeURIComponent(match[1]));
  history.replaceState(null, '', `${window.location.pathname}#/`);
}

/** The route, updated on navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const update = () => setRoute(readRoute());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** The href of a route: segments encoded, query values left out when empty. */
export function href(
  path: (string | number)[],
  query: Record<string, string | number | undefined> = {},
): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return `#/${path.map((segment) => encodeURIComponent(String(segment))).join('/')}${text ? `?${text}` : ''}`;
}

/** Goes to a route. */
export function navigate(
  path: (string | number)[],
  query: Record<string, string | number | undefined> = {},
): void {
  window.location.hash = href(path, query);
}
