import { RateLimiter } from '../resilience/index.js';
import { type Field, fields } from './fields.js';
import type { Kind } from './Kind.js';

const RATE_LIMIT: readonly Field[] = [
  ['allowed', 'allowed_total', 'counter', 'Calls the store allowed.'],
  ['denied', 'denied_total', 'counter', 'Calls the store denied (429s).'],
  [
    'degraded',
    'degraded_total',
    'counter',
    'Calls answered by the store-failure policy instead of the store.',
  ],
  ['pending', 'pending', 'gauge', 'Calls waiting on the store now.'],
];

/** `RateLimiter`: the `ratelimit_*` families. @internal */
export const rateLimiterKind: Kind = {
  module: 'ratelimit',
  is: (s) => s instanceof RateLimiter,
  map: (b, stats, labels) => fields(b, 'ratelimit', stats, RATE_LIMIT, labels),
};
