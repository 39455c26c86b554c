import type { IncomingHttpHeaders } from 'node:http';

/** The warnings already given in this process, by code: each is given once. */
const given = new Set<string>();

function warnOnce(code: string, message: string): void {
  if (given.has(code)) return;
  given.add(code);
  process.emitWarning(message, { code });
}

/**
 * Warns once per process when a request keyed by its address came through a proxy (it has
 * `X-Forwarded-For`) that the framework does not trust: every client then shares the proxy's
 * address, and one limit (express-rate-limit's `ERR_ERL_UNEXPECTED_X_FORWARDED_FOR`).
 *
 * @param framework - the framework and its setting, e.g. `Fastify's trustProxy`.
 */
export function warnUntrustedProxy(headers: IncomingHttpHeaders, framework: string): void {
  if (headers['x-forwarded-for'] === undefined) return;
  warnOnce(
    'LOADSTONE_WARN_UNTRUSTED_PROXY',
    `A request rate-limited by its address came with X-Forwarded-For, but ${framework} does not ` +
      'trust the proxy: every client behind it shares its address and one limit. Set ' +
      `${framework} to the proxy's address (or hop count), or give the rate limit a key.`,
  );
}

/**
 * Warns once per process when the framework trusts every proxy (`trust proxy` is `true`): any
 * client can then send its own `X-Forwarded-For` and pick the address its limit is kept under
 * (express-rate-limit's `ERR_ERL_PERMISSIVE_TRUST_PROXY`).
 *
 * @param framework - the framework and its setting, e.g. `Express's "trust proxy"`.
 */
export function warnPermissiveProxy(framework: string): void {
  warnOnce(
    'LOADSTONE_WARN_PERMISSIVE_TRUST_PROXY',
    `${framework} is true: it trusts every X-Forwarded-For, so a client can choose the address ` +
      'its rate limit counts against. Set it to the number of proxies in front of the app, or ' +
      'their addresses.',
  );
}
