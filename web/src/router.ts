// Hash routes (#/tasks/name): the service serves one page, and a reload or a shared link lands where it
// was. A `#key=…` fragment (what `promptune ui` prints) is taken out of the address at once; the app
// decides whether to sign in with it.
import { useEffect, useState } from 'react';

/** The current route's path segments and query, e.g. ['tasks', 'name'] and { a: '1' }. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

/** A percent-encoded segment decoded, or as it is when it is not valid percent-encoding. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function readRoute(): Route {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [path, search] = hash.split('?');
  return {
    path: path.split('/').filter(Boolean).map(decoded),
    query: new URLSearchParams(search ?? ''),
  };
}

/** The key a `#key=…` address offers (removed from the address and its history entry), if any. */
export function takeKeyFromAddress(): string | undefined {
  const match = /^#key=([^&]+)/.exec(window.location.hash);
  if (!match) return undefined;
  history.replaceState(null, '', `${window.location.pathname}#/`);
  return decoded(match[1]);
}

/** A `#key=…` address opened in a tab already showing the dashboard loads it again, to offer the key. */
export function reloadOnOfferedKey(): void {
  window.addEventListener('hashchange', () => {
    if (/^#key=/.test(window.location.hash)) window.location.reload();
  });
}

/** The route, updated on navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const update = () => setRoute(readRoute());
    window.addEventListener('hashchange', update);
    navigated.add(update);
    return () => {
      window.removeEventListener('hashchange', update);
      navigated.delete(update);
    };
  }, []);
  return route;
}

// the routes in use, told at once when the app navigates: `hashchange` comes a task later, and until
// then an input the route controls (a diff's radio buttons) would show its old state
const navigated = new Set<() => void>();

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
  for (const update of navigated) update();
}
