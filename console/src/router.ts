// Hash routes (`#/store/apps/redis?x=1`): the server serves one page at `/`, and every
// console address is a bookmarkable link.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Decoded path segments: `#/store/apps/redis` → ['store', 'apps', 'redis']. */
  segments: string[];
  query: URLSearchParams;
}

function current(): Route {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [pathPart = '/', queryPart = ''] = raw.split('?', 2);
  const segments = pathPart
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, query: new URLSearchParams(queryPart) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = (): void => setRoute(current());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** A console link: href('store', 'apps', name) → `#/store/apps/<name>`, each segment encoded. */
export function href(...segments: (string | number)[]): string {
  return '#/' + segments.map((s) => encodeURIComponent(String(s))).join('/');
}

/** The same with a query string; empty values are left out. */
export function hrefWith(query: Record<string, string | undefined>, ...segments: (string | number)[]): string {
  const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => !!e[1]));
  const s = q.toString();
  return href(...segments) + (s ? `?${s}` : '');
}

export function navigate(to: string): void {
  location.hash = to.replace(/^#/, '');
}
