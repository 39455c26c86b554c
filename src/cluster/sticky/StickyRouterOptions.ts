import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  integerOption,
  nonEmptyStringOption,
  numberOption,
  optionNames,
  optionsObject,
} from '../../core/internal/validate.js';
import { type AddressMatcher, trustedProxyMatcher } from './trustedProxies.js';

/**
 * What a sticky connection is routed by:
 * - `'address'`: the client's IP address (the socket's remote address);
 * - `{ header }`: the value of that request header, e.g. `x-forwarded-for` or a session header,
 *   for clients that all arrive from one proxy address;
 * - `{ cookie }`: the value of that cookie.
 *
 * Header and cookie keys are read from the first request of each connection (the primary reads
 * its head, then hands the bytes on); later requests on a keep-alive connection stay where the
 * first went. A connection whose first request lacks the header or cookie is routed by address.
 */
export type StickyKey =
  | 'address'
  | {
      /** The request header's name (case-insensitive), e.g. `'x-forwarded-for'`. */
      readonly header: string;
    }
  | {
      /** The cookie's name (case-sensitive), e.g. `'sid'`. */
      readonly cookie: string;
    };

/** Options of {@link StickyRouter}. */
export type StickyRouterOptions = {
  /**
   * What connections are routed by.
   * @default 'address'
   */
  readonly key?: StickyKey;
  /**
   * With a header or cookie key: how many bytes of the first request the primary reads while
   * looking for the end of its head. A head that does not end within them is routed by address,
   * with the bytes read handed on unchanged. Minimum: 64. Maximum: 1048576.
   * @default 16384 (Node's default `maxHeaderSize`)
   */
  readonly maxHeadBytes?: number;
  /**
   * With a header or cookie key: how long the primary waits for the first request's head
   * before routing the connection by address. Minimum: 1.
   * @default 10000
   */
  readonly headTimeoutMs?: number;
  /**
   * How many connections may wait while no worker is up (at start-up, or while every worker
   * restarts); beyond it new connections are closed at once. `0` closes them at once always.
   * Minimum: 0.
   * @default 1024
   */
  readonly maxPending?: number;
  /**
   * How long a connection may wait for a worker to come up before it is closed. Minimum: 1.
   * @default 10000
   */
  readonly pendingTimeoutMs?: number;
  /**
   * Proxies (IP addresses and CIDR ranges, e.g. `['10.0.0.0/8', '::1']`) allowed to say who the
   * client is. A connection from one of them is routed by the client it names: with
   * `proxyProtocol`, the address in the PROXY header; otherwise the first hop of
   * `X-Forwarded-For`, read from the right, that is not itself a trusted proxy. Anyone else's
   * headers are ignored (they could name any address): by default the socket's address is the
   * client's. With a header or cookie key, the client address is the fallback key.
   */
  readonly trustedProxies?: readonly string[];
  /**
   * Connections from `trustedProxies` start with a PROXY protocol header (v1 or v2: HAProxy
   * `send-proxy`, nginx `proxy_protocol on`, cloud load balancers). The primary reads it, routes
   * by its source address and strips it, so the worker sees the client's bytes only. A trusted
   * connection without one is routed by its own address and counted
   * (`stats().proxyHeaderMissing`). Requires `trustedProxies`.
   * @default false
   */
  readonly proxyProtocol?: boolean;
  /**
   * Bounded loads (HAProxy's `hash-balance-factor`, as a ratio): no worker holds more than
   * `⌈balanceFactor × mean⌉` of the open connections. A client whose own worker is at the bound
   * goes to the next worker on the ring (in its own order) that is under it, so a crowd behind one
   * address, or a few heavy keys, cannot pile onto one worker; a client moves only while its worker
   * is full, and goes back when it is not. Workers report closed connections every 50 ms, so the
   * counts lag by that much. 1 to 100, e.g. `1.25`; off when absent (pure consistent hashing).
   */
  readonly balanceFactor?: number;
  /**
   * Most open connections per worker: a client whose worker is full goes to the next worker on
   * the ring with room; when every worker is full the connection is refused cleanly (a `503` with
   * `Retry-After: 1` and `Connection: close`) and counted (`stats().refused`). Counts lag the
   * workers' reports of closed connections by up to 50 ms, so a worker may look full a little
   * after it is not: the bound is never exceeded. An integer >= 1; no limit when absent.
   */
  readonly maxConnectionsPerSlot?: number;
};

/** The options with their defaults. @internal */
export type ResolvedStickyRouterOptions = {
  readonly key: { readonly kind: 'address' } | { readonly kind: 'header' | 'cookie'; readonly name: string };
  readonly maxHeadBytes: number;
  readonly headTimeoutMs: number;
  readonly maxPending: number;
  readonly pendingTimeoutMs: number;
  /** Whether an address is a trusted proxy; `undefined` when none is. */
  readonly trusted: AddressMatcher | undefined;
  readonly proxyProtocol: boolean;
  readonly balanceFactor: number | undefined;
  /** `Infinity` when absent. */
  readonly maxConnectionsPerSlot: number;
};

const OPTIONS = optionNames<StickyRouterOptions>()([
  'key',
  'proxyProtocol',
  'trustedProxies',
  'maxHeadBytes',
  'headTimeoutMs',
  'maxPending',
  'pendingTimeoutMs',
  'balanceFactor',
  'maxConnectionsPerSlot',
]);

/** Checks `options` (found at `path` in the caller's options) and fills in the defaults. @internal */
export function resolveStickyRouterOptions(
  options: StickyRouterOptions | undefined,
  path = 'options',
): ResolvedStickyRouterOptions {
  const opts = optionsObject(path, options);
  checkOptionKeys(opts, OPTIONS, 'StickyRouter', {}, path);
  if (opts.proxyProtocol !== undefined && typeof opts.proxyProtocol !== 'boolean') {
    throw new InvalidOptionError(`${path}.proxyProtocol`, 'a boolean', opts.proxyProtocol);
  }
  if (opts.proxyProtocol === true && opts.trustedProxies === undefined) {
    throw new InvalidOptionError(
      `${path}.proxyProtocol`,
      'false unless trustedProxies names the proxies that send it',
      opts.proxyProtocol,
    );
  }
  return Object.freeze({
    key: resolveKey(opts.key, path),
    maxHeadBytes: integerOption('options.maxHeadBytes', opts.maxHeadBytes ?? 16_384, 64, 1_048_576),
    headTimeoutMs: integerOption('options.headTimeoutMs', opts.headTimeoutMs ?? 10_000, 1),
    maxPending: integerOption('options.maxPending', opts.maxPending ?? 1024, 0),
    pendingTimeoutMs: integerOption('options.pendingTimeoutMs', opts.pendingTimeoutMs ?? 10_000, 1),
    trusted:
      opts.trustedProxies === undefined
        ? undefined
        : trustedProxyMatcher(`${path}.trustedProxies`, opts.trustedProxies),
    proxyProtocol: opts.proxyProtocol === true,
    balanceFactor:
      opts.balanceFactor === undefined
        ? undefined
        : numberOption(`${path}.balanceFactor`, opts.balanceFactor, 1, 100),
    maxConnectionsPerSlot:
      opts.maxConnectionsPerSlot === undefined
        ? Number.POSITIVE_INFINITY
        : integerOption(`${path}.maxConnectionsPerSlot`, opts.maxConnectionsPerSlot, 1),
  });
}

function resolveKey(key: StickyKey | undefined, path: string): ResolvedStickyRouterOptions['key'] {
  if (key === undefined || key === 'address') return { kind: 'address' };
  if (typeof key === 'object' && key !== null) {
    if ('header' in key && !('cookie' in key)) {
      const name = nonEmptyStringOption(`${path}.key.header`, key.header).toLowerCase();
      return { kind: 'header', name };
    }
    if ('cookie' in key && !('header' in key)) {
      return { kind: 'cookie', name: nonEmptyStringOption(`${path}.key.cookie`, key.cookie) };
    }
  }
  throw new InvalidOptionError(`${path}.key`, "'address', { header: string } or { cookie: string }", key);
}
