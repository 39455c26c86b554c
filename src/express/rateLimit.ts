import type { ServerResponse } from 'node:http';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { addressKey } from '../core/internal/addressKey.js';
import { matchesAny, pathList, pathOf } from '../core/internal/pathMatching.js';
import { warnPermissiveProxy, warnUntrustedProxy } from '../core/internal/proxyWarning.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import { RateLimiter, rateLimitHandler, SlowDown } from '../resilience/index.js';
import type { ExpressRateLimitOptions, ExpressRequest } from './ExpressOptions.js';

const OPTIONS = optionNames<ExpressRateLimitOptions>()([
  'key',
  'ipv6Subnet',
  'cost',
  'headers',
  'policy',
  'skip',
]);
const SETTING = 'Express\'s "trust proxy"';

/**
 * Express middleware rate-limiting requests with a {@link RateLimiter} (or slowing them down with
 * a {@link SlowDown}). Every response carries the IETF `RateLimit` and `RateLimit-Policy` fields
 * (draft-08 on; `headers` picks an older form), never the key; a refused request gets `429` with
 * `Retry-After`. By default a request counts against its address, `req.ip`, so the app's
 * `trust proxy` setting decides whom a proxied request is from, as it does for express-rate-limit.
 *
 * @param limiter - the limiter (its store decides where counts live: memory, Redis, the cluster).
 * @param options - the key, cost, headers, exemptions.
 * @returns the middleware.
 * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
 *
 * @example
 * {@includeCode ./express.test.ts#express}
 */
export function rateLimit(
  limiter: RateLimiter | SlowDown,
  options?: ExpressRateLimitOptions,
): (req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void) => void {
  if (!(limiter instanceof RateLimiter) && !(limiter instanceof SlowDown)) {
    throw new InvalidOptionError('limiter', 'a RateLimiter or a SlowDown', limiter);
  }
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, OPTIONS, 'rateLimit');
  const subnet = opts.ipv6Subnet ?? 56;
  if (subnet !== false) integerOption('options.ipv6Subnet', subnet, 1, 128);
  const key =
    opts.key === undefined
      ? (req: ExpressRequest) => addressOf(req, subnet)
      : functionOption<(req: ExpressRequest) => string>('options.key', opts.key);
  const { cost, headers, policy } = opts;
  const limit = rateLimitHandler<ExpressRequest, ServerResponse>(limiter, { key, cost, headers, policy });
  const skip = skipOf(opts.skip);
  if (skip === undefined) return limit;
  return (req, res, next) => {
    let skipped: boolean;
    try {
      skipped = skip(req);
    } catch (error) {
      next(error);
      return;
    }
    if (skipped) next();
    else limit(req, res, next);
  };
}

/** The default key: the client's address by `trust proxy`, warning once about a likely mistake. */
function addressOf(req: ExpressRequest, subnet: number | false): string {
  const peer = req.socket.remoteAddress;
  const ip = req.ip ?? peer;
  if (ip === undefined) throw new Error('the request has no client address (its socket is closed)');
  if (req.app?.get('trust proxy') === true) warnPermissiveProxy(SETTING);
  // The address Express gives is the peer's own although a proxy forwarded the request: the
  // app's trust proxy does not cover that proxy.
  else if (ip === peer) warnUntrustedProxy(req.headers, SETTING);
  return addressKey(ip, subnet);
}

function skipOf(skip: ExpressRateLimitOptions['skip']): ((req: ExpressRequest) => boolean) | undefined {
  if (skip === undefined) return undefined;
  if (typeof skip === 'function') return skip;
  const paths = pathList('options.skip', skip);
  return (req) => matchesAny(pathOf(req.url), paths);
}
