import type { IncomingHttpHeaders } from 'node:http';

let warned = false;

/**
 * Warns once per process when a request keyed by its address came through a proxy (it has
 * `X-Forwarded-For`) that Fastify does not trust: every client then shares the proxy's address, and one limit (as
 * express-rate-limit's `ERR_ERL_UNEXPECTED_X_FORWARDED_FOR` says).
 */
export function warnUntrustedProxy(headers: IncomingHttpHeaders): void {
  if (warned || headers['x-forwarded-for'] === undefined) return;
  warned = true;
  process.emitWarning(
    'A request rate-limited by its address came with X-Forwarded-For, but Fastify does not trust ' +
      'proxies (trustProxy): every client behind the proxy shares its address and one limit. Set ' +
      "Fastify's trustProxy to the proxy's address, or give rateLimit a key.",
    { code: 'LOADSTONE_UNTRUSTED_PROXY' },
  );
}
