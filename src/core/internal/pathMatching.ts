// How the load-shedding and rate-limit handlers tell probe and allowed requests by their path.
import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/** The usual paths of health probes, never shed by default (`LoadSheddingOptions.healthPaths`). */
export const PROBE_PATHS: readonly string[] = Object.freeze([
  '/health',
  '/healthz',
  '/live',
  '/livez',
  '/liveness',
  '/ready',
  '/readyz',
  '/readiness',
  '/startup',
  '/startupz',
]);

/**
 * The path of a request URL, without the query string or fragment, with its dot segments
 * resolved (`.`, `..`, and their `%2e` spellings, as WHATWG URL parsing does): an exemption must
 * not be reachable by `/health/../api/heavy`, which a router may serve as `/api/heavy`. A URL that
 * does not parse gives `''`, which matches no exemption.
 */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  // The common case, no dot segment and no escape, needs no parse.
  if ((!path.includes('.') && !path.includes('%')) || !path.startsWith('/')) return path;
  try {
    // Appended to an origin, not resolved against one: `//x` stays a path, not a host.
    return new URL(`http://h${path}`).pathname;
  } catch {
    return '';
  }
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
