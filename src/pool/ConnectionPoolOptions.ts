import type { Clock } from '../core/Clock.js';
import type { LatencySnapshot } from '../core/LatencyRecorder.js';

/**
 * How a pool makes, checks and disposes of its resources (connections, clients, sockets).
 *
 * @typeParam T - the resource type.
 */
export type PoolFactory<T> = {
  /**
   * Opens one resource. A rejection fails the oldest waiting `acquire` with the same error
   * (pools never retry `create` in a loop: wrap it in a `createPolicy` to retry).
   *
   * @param signal - aborted while the resource is being made, when the pool is destroyed or
   * {@link ConnectionPoolOptions.createTimeoutMs} passes (its `reason` says which). Pass it on to
   * the connect so an abandoned attempt stops dialling.
   * @returns the resource.
   */
  readonly create: (signal: AbortSignal) => T | PromiseLike<T>;
  /**
   * Closes one resource (evicted, failed validation, retired by a shrink, or at close). A
   * rejection is reported with the `resource:destroyed` event's `error` and otherwise ignored.
   * @default nothing is done
   */
  readonly destroy?: (resource: T) => void | PromiseLike<void>;
  /**
   * Tells whether a resource still works (e.g. `PING`). A resource that fails (returns `false`,
   * rejects or throws) is destroyed and replaced. Called on borrow (see
   * {@link ConnectionPoolOptions.validateOnBorrow}) and for idle resources every
   * {@link ConnectionPoolOptions.idleValidationIntervalMs}.
   * @default every resource is valid
   */
  readonly validate?: (resource: T, signal: AbortSignal) => boolean | PromiseLike<boolean>;
};

/**
 * A resilience policy around `create`, e.g. a loadstone `CircuitBreaker` or cockatiel's
 * `wrap(retry, breaker, timeout)`: anything with an `execute(fn, signal)`.
 */
export type CreatePolicy = {
  /**
   * Runs `fn` (one `create` attempt), possibly several times.
   *
   * @param fn - the attempt; pass it the signal it is given.
   * @param signal - aborted when the pool is destroyed.
   * @returns what `fn` resolved to.
   */
  execute<R>(fn: (signal: AbortSignal) => PromiseLike<R> | R, signal?: AbortSignal): PromiseLike<R>;
};

/** Adaptive sizing: `max` follows demand between `floor` and `ceiling`. */
export type AdaptiveSizingOptions = {
  /** The largest `max` growth may reach. Minimum: the pool's `max`. */
  readonly ceiling: number;
  /**
   * The smallest `max` shrinking may reach. Minimum: 1 and the pool's `min`; maximum: its `max`.
   * @default the pool's `max` at registration
   */
  readonly floor?: number;
  /**
   * How many resources one grow or shrink adds or removes. Minimum: 1.
   * @default 25 % of the pool's `max`, at least 1
   */
  readonly step?: number;
  /**
   * An interval is hot when some `acquire` had to wait and the peak utilisation (borrowed ÷
   * `max`) reached this share. From 0 (exclusive) to 1.
   * @default 0.9
   */
  readonly highWatermark?: number;
  /**
   * An interval is cold when no `acquire` waited and the peak utilisation stayed at or below
   * this share. From 0 to `highWatermark` (exclusive).
   * @default 0.3
   */
  readonly lowWatermark?: number;
  /**
   * Length of one sampling interval, in ms. Minimum: 1.
   * @default 1_000
   */
  readonly intervalMs?: number;
  /**
   * Consecutive hot intervals before `max` grows by `step`. Minimum: 1.
   * @default 1
   */
  readonly growAfter?: number;
  /**
   * Consecutive cold intervals before `max` shrinks by `step`. Minimum: 1.
   * @default 5
   */
  readonly shrinkAfter?: number;
};

/** Options of one pool, given to {@link ConnectionPoolManager.register}. */
export type ConnectionPoolOptions = {
  /**
   * Resources kept open even when idle (made at registration and after evictions). Minimum: 0;
   * maximum: `max`.
   * @default 0
   */
  readonly min?: number;
  /**
   * Most resources open at once (borrowed, idle and being made). Changeable at run time with
   * `resize`. Minimum: 1.
   * @default 10
   */
  readonly max?: number;
  /**
   * How long an `acquire` waits for a resource before it rejects with `TimeoutError`, in ms.
   * `0` means wait as long as it takes (bound it with a `signal` instead). Only waiting
   * acquires cost anything: they share one timer per pool.
   * @default 0
   */
  readonly acquireTimeoutMs?: number;
  /**
   * How long one `create` may take before it counts as failed, in ms: it rejects the oldest
   * waiting acquire with a `TimeoutError` (`create in pool "<name>" timed out after … ms`), its
   * `signal` is aborted and its place under `max` is free for another `create`. A resource it
   * still resolves with later is destroyed at once (`resource:destroyed` with reason `'late'`),
   * never lent; a later rejection is ignored. The limit covers the whole `create`, `createPolicy`
   * retries included (put a timeout in the policy for a per-attempt limit). `0` means no limit.
   *
   * Why a limit by default: a connect to a black-holed host (a dropped route, a firewall that
   * discards SYNs) answers nothing. The kernel gives up only after its SYN retries (about 2 min
   * on Linux) and many clients set no connect timeout of their own, so meanwhile that `create`
   * holds one of the `max` places and waiting acquires time out although another resource could
   * be made. 30 s (tarn's `createTimeoutMillis` default) is far above a healthy connect, TLS and
   * authentication included. Minimum: 0, maximum: 2,147,483,647.
   *
   * It bounds the factory's `validate` too: a validation still running after it counts as failed
   * (the resource is destroyed), since a ping to a hung server holds its resource the same way.
   * @default 30_000
   */
  readonly createTimeoutMs?: number;
  /**
   * Most acquires waiting at once; one more rejects at once with `CapacityExceededError`.
   * `0` means no bound.
   * @default 0
   */
  readonly maxWaiters?: number;
  /**
   * An idle resource unused this long (ms) is destroyed, down to `min`. `0` means never.
   * @default 30_000
   */
  readonly idleTimeoutMs?: number;
  /**
   * A resource older than this (ms) is destroyed when next idle, so no connection outlives e.g.
   * a credential rotation. `0` means no limit.
   * @default 0
   */
  readonly maxLifetimeMs?: number;
  /**
   * A resource borrowed for longer than this (ms) is reported once with the acquirer's stack
   * (the `lease:leaked` event). `0` turns leak detection off; when on, every `acquire` captures
   * a stack, which costs a few µs.
   * @default 0
   */
  readonly leakDetectionMs?: number;
  /**
   * Whether an idle resource is validated before it is handed out (only with a
   * {@link PoolFactory.validate}).
   * @default true
   */
  readonly validateOnBorrow?: boolean;
  /**
   * Idle resources not validated for this long (ms) are validated by the maintenance sweep.
   * `0` means no idle validation.
   * @default 0
   */
  readonly idleValidationIntervalMs?: number;
  /**
   * How often the pool sweeps (ms): idle and lifetime eviction, idle validation, leak checks and
   * refilling to `min`. The sweep's timer is unref'd. Minimum: 1.
   * @default 1_000
   */
  readonly maintenanceIntervalMs?: number;
  /**
   * Adaptive sizing; `false` keeps `max` where it is set.
   * @default false
   */
  readonly adaptive?: AdaptiveSizingOptions | false;
  /**
   * Consecutive acquire timeouts (with no waiting acquire served in between) after which the
   * pool's health check reports `degraded`. Minimum: 1.
   * @default 3
   */
  readonly degradedAfterTimeouts?: number;
  /**
   * A policy every `create` runs through (retry, breaker, timeout).
   * @default none: `create` is called once per resource
   */
  readonly createPolicy?: CreatePolicy;
  /**
   * Time source for timestamps, eviction and percentiles. Timers are still real `setTimeout`s,
   * so tests use fake timers together with a clock that follows them.
   * @default systemClock
   */
  readonly clock?: Clock;
};

/** Options of {@link ConnectionPoolManager}. */
export type ConnectionPoolManagerOptions = {
  /**
   * The manager's health-check name.
   * @default 'pools'
   */
  readonly name?: string;
  /**
   * How long `close()` waits for borrowed connections to come back before it destroys every pool
   * (waiting acquires reject with `ClosedError`, `cause` a `TimeoutError`) and resolves, in ms.
   * `0` waits without bound. A leaked connection must not hang a shutdown (generic-pool's
   * `drain()` does). Minimum: 0, maximum: 2,147,483,647.
   * @default 30_000
   */
  readonly closeTimeoutMs?: number;
};

/** Per-call options of `acquire` and `use`. */
export type AcquireOptions = {
  /** Stops waiting: the acquire rejects with `signal.reason` and leaves the wait queue. */
  readonly signal?: AbortSignal;
  /**
   * Overrides the pool's `acquireTimeoutMs` for this call (ms, `0` = no timeout).
   * @default the pool's `acquireTimeoutMs`
   */
  readonly timeoutMs?: number;
};

/** New bounds for {@link ConnectionPoolManager.resize}. */
export type ResizeOptions = {
  /** New `min`. @default unchanged */
  readonly min?: number;
  /** New `max`. @default unchanged */
  readonly max?: number;
};

/** Why a pool's bounds changed. */
export type PoolResizeReason = 'manual' | 'grow' | 'shrink';

/** Payload of `pool:resized`. */
export type PoolResizedEvent = {
  /** The pool. */
  readonly pool: string;
  /** `max` before. */
  readonly fromMax: number;
  /** `max` after. */
  readonly toMax: number;
  /** `min` after. */
  readonly min: number;
  /** `manual` for `resize`, `grow`/`shrink` for adaptive sizing. */
  readonly reason: PoolResizeReason;
};

/**
 * Why a resource was destroyed: `'late'` is a resource whose `create` resolved after
 * {@link ConnectionPoolOptions.createTimeoutMs}, when it had already counted as failed.
 */
export type ResourceDestroyReason = 'idle' | 'lifetime' | 'invalid' | 'shrink' | 'closed' | 'late';

/** Payload of `resource:created`. */
export type ResourceCreatedEvent = {
  /** The pool. */
  readonly pool: string;
  /** Resources open after this one. */
  readonly size: number;
};

/** Payload of `resource:destroyed`. */
export type ResourceDestroyedEvent = {
  /** The pool. */
  readonly pool: string;
  /** Why. */
  readonly reason: ResourceDestroyReason;
  /** What the factory's `destroy` threw or rejected with, if it did. */
  readonly error?: unknown;
};

/** Payload of `create:failed`. */
export type CreateFailedEvent = {
  /** The pool. */
  readonly pool: string;
  /** What `create` threw or rejected with, or a `TimeoutError` past `createTimeoutMs`. */
  readonly error: unknown;
  /** Whether a waiting acquire was rejected with it (otherwise it was a refill to `min`). */
  readonly rejectedWaiter: boolean;
};

/** Payload of `lease:leaked`. */
export type LeaseLeakedEvent = {
  /** The pool. */
  readonly pool: string;
  /** How long the resource had been borrowed when it was noticed, in ms. */
  readonly heldMs: number;
  /** The `leakDetectionMs` it exceeded. */
  readonly leakDetectionMs: number;
  /** Stack of the `acquire` (or `use`) call that borrowed it. */
  readonly stack: string;
};

/** Events of {@link ConnectionPoolManager}. */
export type ConnectionPoolEvents = {
  /** A pool's `max` or `min` changed (by `resize` or adaptive sizing). */
  'pool:resized': [event: PoolResizedEvent];
  /** A resource was opened. */
  'resource:created': [event: ResourceCreatedEvent];
  /** A resource was closed. */
  'resource:destroyed': [event: ResourceDestroyedEvent];
  /** `create` failed. */
  'create:failed': [event: CreateFailedEvent];
  /** A resource has been borrowed for longer than `leakDetectionMs` (reported once per borrow). */
  'lease:leaked': [event: LeaseLeakedEvent];
};

/** A snapshot of one pool: {@link ConnectionPoolManager.stats}. */
export type PoolStats = {
  /** The pool's name. */
  readonly name: string;
  /** Current `min`. */
  readonly min: number;
  /** Current `max` (moved by `resize` and adaptive sizing). */
  readonly max: number;
  /** Resources open: borrowed + idle + being validated (not counting those being made). */
  readonly size: number;
  /** Resources idle in the pool. */
  readonly idle: number;
  /** Resources borrowed (including those being validated for a borrower). */
  readonly borrowed: number;
  /** Resources being made. */
  readonly creating: number;
  /** Acquires waiting. */
  readonly waiting: number;
  /** Acquires served since registration. */
  readonly acquired: number;
  /** Acquires that timed out. */
  readonly timedOut: number;
  /** Acquires aborted by their signal while waiting. */
  readonly aborted: number;
  /** Resources made. */
  readonly created: number;
  /** Resources destroyed. */
  readonly destroyed: number;
  /** `create` failures. */
  readonly createFailures: number;
  /** Resources that failed validation. */
  readonly validationFailures: number;
  /** Leases reported by leak detection. */
  readonly leaks: number;
  /** Changes of `max` by adaptive sizing (`manual` resizes not counted). */
  readonly adaptiveResizes: number;
  /** Time from `acquire` to being handed a resource (immediate acquires count as 0). */
  readonly acquireWait: LatencySnapshot;
  /** Time from being handed a resource to its release (every borrow recorded). */
  readonly holdTime: LatencySnapshot;
};

/** A snapshot of a manager: every pool's {@link PoolStats} by name. */
export type ConnectionPoolManagerStats = {
  /** Pools by name, in registration order. */
  readonly pools: Readonly<Record<string, PoolStats>>;
};
