import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { matchesAny, PROBE_PATHS, pathList, pathOf } from '../core/internal/pathMatching.js';
import {
  checkOptionKeys,
  integerOption,
  oneOfOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { LoadSheddingOptions } from './HealthMonitorOptions.js';
import { priorityRule, type ShedRule } from './priorityShedding.js';
import type { Level } from './thresholds.js';

/** The body of a shed request's 503. */
export const SHED_BODY = 'Service Unavailable\n';

/** What {@link HealthMonitor.shedDecision} gives: whether to shed a request, and the Retry-After of its 503. */
export type ShedDecision = {
  /** True when `req` must be refused now (counted as shed); throws what `allow` throws. */
  readonly shed: (req: IncomingMessage) => boolean;
  /** The `Retry-After` of the 503, in seconds. */
  readonly retryAfterSeconds: number;
};

const OPTIONS = optionNames<LoadSheddingOptions>()([
  'allow',
  'healthPaths',
  'retryAfterSeconds',
  'shedFrom',
  'priority',
]);

/**
 * Makes the monitor's load-shedding handlers and counts the requests they all refused. Each
 * handler reads the current level from `levels` on every request.
 */
export class LoadShedder {
  readonly #levels: { readonly level: Level };
  #shed = 0;

  constructor(levels: { readonly level: Level }) {
    this.#levels = levels;
  }

  /** Requests refused so far, by every handler made here. */
  get shedRequests(): number {
    return this.#shed;
  }

  /**
   * The decision behind {@link LoadShedder.handler}, for adapters that answer through their
   * framework (Fastify's `reply`): `shed(req)` is true when the request must get a 503 now (and
   * counts it), false when it goes on. It throws what an `allow` predicate throws.
   *
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
   */
  decision(options: LoadSheddingOptions | undefined): ShedDecision {
    const levels = this.#levels;
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'loadShedding', { retryAfter: 'retryAfterSeconds' });
    if (opts.priority !== undefined && opts.shedFrom !== undefined) {
      throw new InvalidOptionError(
        'options.shedFrom',
        'absent with `priority` (it sheds by level from degraded on)',
        opts.shedFrom,
      );
    }
    const byPriority: ShedRule | undefined =
      opts.priority === undefined ? undefined : priorityRule(opts.priority);
    const shedFrom = byPriority === undefined ? shedFromLevel(opts.shedFrom) : 1;
    const retryAfterSeconds = integerOption('options.retryAfterSeconds', opts.retryAfterSeconds ?? 5, 0);
    const healthPaths = pathList('options.healthPaths', opts.healthPaths ?? PROBE_PATHS);
    let allowFn: ((req: IncomingMessage) => boolean) | undefined;
    let allowPaths: readonly string[] = [];
    if (typeof opts.allow === 'function') allowFn = opts.allow;
    else if (opts.allow !== undefined) allowPaths = pathList('options.allow', opts.allow);
    const shed = (req: IncomingMessage): boolean => {
      if (levels.level < shedFrom) return false;
      const path = pathOf(req.url);
      if (matchesAny(path, healthPaths) || matchesAny(path, allowPaths)) return false;
      if (allowFn?.(req)) return false;
      if (byPriority !== undefined && !byPriority(req, levels.level)) return false;
      this.#shed++;
      return true;
    };
    return { shed, retryAfterSeconds };
  }

  /**
   * A `(req, res, next)` handler that answers 503 from `shedFrom` on (see `HealthMonitor.loadShedding`).
   *
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
   */
  handler(
    options: LoadSheddingOptions | undefined,
  ): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
    const { shed, retryAfterSeconds } = this.decision(options);
    const headers: OutgoingHttpHeaders = {
      'Retry-After': String(retryAfterSeconds),
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
    };
    return (req, res, next) => {
      let refused: boolean;
      try {
        refused = shed(req);
      } catch (error) {
        next(error);
        return;
      }
      if (!refused) {
        next();
        return;
      }
      if (res.headersSent || res.writableEnded) return;
      res.writeHead(503, { ...headers, 'Content-Length': String(Buffer.byteLength(SHED_BODY)) });
      res.end(req.method === 'HEAD' ? undefined : SHED_BODY);
    };
  }
}

/** The level `shedFrom` names: critical unless it says degraded. */
function shedFromLevel(value: unknown): Level {
  if (value === undefined) return 2;
  return oneOfOption('options.shedFrom', value, ['degraded', 'critical']) === 'critical' ? 2 : 1;
}
