/** Why a backend went down or came back up. */
export type BackendChangeReason = 'manual' | 'health-check' | 'outlier-detection' | 'failure-accrual';

/** Payload of `backend:added` and `backend:removed`. */
export type BackendMembershipEvent = {
  /** The backend's id. */
  readonly id: string;
};

/** Payload of `backend:down`: a backend stopped being picked (marked down, failed checks, or ejected). */
export type BackendDownEvent = {
  /** The backend's id. */
  readonly id: string;
  /** Who took it out: `markDown`, active health checks, or passive outlier detection. */
  readonly reason: BackendChangeReason;
  /** For `outlier-detection` and an open `failure-accrual` breaker: how long it lasts, in ms. */
  readonly durationMs?: number;
  /** For `health-check`: the last check's message, when it gave one. */
  readonly message?: string;
};

/** Payload of `backend:up`: a backend is picked again. */
export type BackendUpEvent = {
  /** The backend's id. */
  readonly id: string;
  /** What brought it back: `markUp`, passing health checks, or the end of an ejection. */
  readonly reason: BackendChangeReason;
};

/**
 * The events a {@link LoadBalancer} emits, for `on(name, listener)`. Listeners run
 * synchronously; what they throw reaches the code that caused the change.
 */
export type LoadBalancerEvents = {
  /** A backend was added by `add` (not emitted for `options.backends`). */
  'backend:added': [BackendMembershipEvent];
  /** A backend was removed. */
  'backend:removed': [BackendMembershipEvent];
  /** A backend stopped being picked. */
  'backend:down': [BackendDownEvent];
  /** A backend is picked again. */
  'backend:up': [BackendUpEvent];
};

/** @internal */
export const membershipEvent = (id: string): BackendMembershipEvent => ({ id });

/** @internal */
export function downEvent(
  id: string,
  reason: BackendChangeReason,
  extra?: { durationMs?: number; message?: string | undefined },
): BackendDownEvent {
  const event: { -readonly [K in keyof BackendDownEvent]: BackendDownEvent[K] } = { id, reason };
  if (extra?.durationMs !== undefined) event.durationMs = extra.durationMs;
  if (extra?.message !== undefined) event.message = extra.message;
  return event;
}

/** @internal */
export const upEvent = (id: string, reason: BackendChangeReason): BackendUpEvent => ({ id, reason });
