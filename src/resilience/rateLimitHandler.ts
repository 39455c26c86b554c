import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { RateLimiter } from './RateLimiter.js';
import type { RateLimitResult } from './RateLimitResult.js';
import { type RateLimitHeaderFormat, rateLimitHeaders } from './rateLimitHeaders.js';
import { SlowDown } from './SlowDown.js';

/** Options of {@link rateLimitHandler}. */
export type RateLimitHandlerOptions<Req extends IncomingMessage = IncomingMessage> = {
  /**
   * Whose limit a request counts against: e.g. `(req) => req.socket.remoteAddress ?? 'unknown'`,
   * or an API key header. Must return a non-empty string; if it throws, the error goes to `next`.
   */
  readonly key: (req: Req) => string;
  /**
   * What a request spends: a fixed integer >= 0, or a function of the request.
   * @default 1
   */
  readonly cost?: number | ((req: Req) => number);
  /**
   * Which rate-limit header fields a response carries ({@link RateLimitHeaderFormat}); ignored
   * for a {@link SlowDown}. The key is never in them.
   * @default 'draft-8'
   */
  readonly headers?: RateLimitHeaderFormat;
  /**
   * The policy's name in the `draft-8` fields (`RateLimit-Policy: "<policy>";q=…`): 1 to 64
   * printable ASCII characters.
   * @default 'default'
   */
  readonly policy?: string;
};

/** The `next` callback of a node-style (Connect, Express, `@fastify/middie`) handler. */
export type NextFunction = (error?: unknown) => void;

const OPTIONS = optionNames<RateLimitHandlerOptions>()(['key', 'cost', 'headers', 'policy']);

/**
 * A node-style `(req, res, next)` handler that rate-limits requests with `limiter`, or slows them
 * down with a {@link SlowDown}.
 *
 * On every request it sets the rate-limit header fields `headers` names (by default the IETF
 * `RateLimit-Policy` and `RateLimit` fields of draft 08 on; never the key). When the request is
 * allowed it calls `next()`; when denied it answers `429 Too Many Requests` with a short
 * `text/plain` body and `Retry-After` (seconds, rounded up; left out when the cost can never
 * pass), and does not call `next`. An error from `key`, `cost` or the limiter goes to
 * `next(error)`.
 *
 * With a {@link SlowDown} it refuses nothing and sets no header: it calls `next()` once the
 * request's delay has passed. When the client disconnects meanwhile (the response's `close`),
 * the wait ends at once and `next` is never called.
 *
 * - **Express / Connect**: `app.use(rateLimitHandler(limiter, { key: (req) => req.ip }))`, or
 *   `rateLimit(limiter)` from `loadstone/express`, which keys by `req.ip` for you.
 * - **Fastify**: hand it the raw Node objects in an `onRequest` hook,
 *   `(request, reply, done) => handler(request.raw, reply.raw, done)`, or register it with
 *   `@fastify/middie`. A denied request's response is ended on `reply.raw` and `done` is not
 *   called, so Fastify routes it no further.
 *
 * @param limiter - the limiter to consult.
 * @param options - how to derive each request's key and cost.
 * @returns the handler.
 * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
 *
 * @example
 * {@includeCode ./rateLimitHandler.test.ts#rateLimitHandler}
 */
export function rateLimitHandler<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(
  limiter: RateLimiter | SlowDown,
  options: RateLimitHandlerOptions<Req>,
): (req: Req, res: Res, next: NextFunction) => void {
  const opts = optionsObject('options', options) as Partial<RateLimitHandlerOptions<Req>>;
  checkOptionKeys(opts, OPTIONS, 'rateLimitHandler');
  const keyOf = functionOption<(req: Req) => string>('options.key', opts.key);
  const costOption = opts.cost ?? 1;
  const costOf =
    typeof costOption === 'function'
      ? costOption
      : (
          (fixed: number) => () =>
            fixed
        )(integerOption('options.cost', costOption, 0));
  const headersOf = rateLimitHeaders({ headers: opts.headers, policy: opts.policy });
  if (limiter instanceof SlowDown) return slowDownHandler(limiter, keyOf, costOf);
  return (req, res, next) => {
    let pending: Promise<RateLimitResult>;
    try {
      pending = limiter.limit(keyOf(req), { cost: costOf(req) });
    } catch (error) {
      next(error);
      return;
    }
    pending.then(
      (result) => {
        if (res.headersSent || res.writableEnded) return;
        for (const [name, value] of headersOf(result, limiter.periodMs)) res.setHeader(name, value);
        if (result.allowed) {
          next();
          return;
        }
        res.statusCode = 429;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end('Too Many Requests\n');
      },
      (error: unknown) => next(error),
    );
  };
}

/** The handler's form for a {@link SlowDown}: waits out each request's delay, then `next()`. */
function slowDownHandler<Req extends IncomingMessage, Res extends ServerResponse>(
  slowDown: SlowDown,
  keyOf: (req: Req) => string,
  costOf: (req: Req) => number,
): (req: Req, res: Res, next: NextFunction) => void {
  return (req, res, next) => {
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    let waited: Promise<unknown>;
    try {
      waited = slowDown.wait(keyOf(req), { cost: costOf(req), signal: gone.signal });
    } catch (error) {
      next(error);
      return;
    }
    // `close` before the response ends: the client went away while the request waited.
    res.once('close', onClose);
    waited.then(
      () => {
        res.off('close', onClose);
        if (!res.headersSent && !res.writableEnded && !res.destroyed) next();
      },
      (error: unknown) => {
        res.off('close', onClose);
        if (!gone.signal.aborted) next(error);
      },
    );
  };
}
