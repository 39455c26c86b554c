// How the load-shedding handler tells probe and allowed requests by their path.
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';

/** The path of a request URL, without the query string or fragment. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** `/admin` matches `/admin`, `/admin/` and `/admin/users`, not `/administrator`. */
export function matchesAny(path: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) {
    if (path === prefix) return true;
    if (path.startsWith(prefix) && (prefix.endsWith('/') || path.charCodeAt(prefix.length) === 47))
      return true;
  }
  return false;
}

/** Validates a list of paths, each starting with `/`. */
export function pathList(path: string, value: unknown): readonly string[] {
  if (!Array.isArray(value)) throw new InvalidOptionError(path, 'an array of paths starting with `/`', value);
  return value.map((p, i) => {
    if (typeof p !== 'string' || !p.startsWith('/')) {
      throw new InvalidOptionError(`${path}[${i}]`, 'a path starting with `/`', p);
    }
    return p;
  });
}
