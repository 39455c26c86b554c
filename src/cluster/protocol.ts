/**
 * The IPC envelope every loadstone message between a cluster primary and its workers uses.
 *
 * User code may share the same IPC channel (`process.send`), so every loadstone message is a
 * plain object tagged `{ loadstone: 1, type }`; anything else is user traffic and is left alone.
 * The primary validates each envelope's fields before acting on it: a malformed or unexpected
 * message is counted and dropped, never thrown on.
 *
 * @module
 */

/** Version tag carried in the `loadstone` field of every envelope. */
export const PROTOCOL_VERSION = 1;

/**
 * A loadstone IPC message: a plain object with `loadstone: 1` and a string `type`
 * (`'bus:publish'`, `'sticky:connection'`, `'worker:ready'` …), plus fields specific to that type.
 */
export type LoadstoneMessage = {
  /** Always {@link PROTOCOL_VERSION}. */
  readonly loadstone: 1;
  /** Message type, `<area>:<name>`. */
  readonly type: string;
  /** Fields specific to the type; validated by whoever handles that type. */
  readonly [field: string]: unknown;
};

/**
 * Checks the envelope only (`loadstone === 1`, non-empty string `type`); the fields of each
 * type are validated by its handler.
 *
 * @param value - anything received over IPC.
 * @returns `true` when `value` is a loadstone envelope.
 */
export function isLoadstoneMessage(value: unknown): value is LoadstoneMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const candidate = value as { loadstone?: unknown; type?: unknown };
  return (
    candidate.loadstone === PROTOCOL_VERSION &&
    typeof candidate.type === 'string' &&
    candidate.type.length > 0
  );
}

/** Builds an envelope. @internal */
export function envelope<const T extends string>(
  type: T,
  fields: Record<string, unknown> = {},
): LoadstoneMessage & { readonly type: T } {
  return { ...fields, loadstone: PROTOCOL_VERSION, type };
}

// Message types of the supervisor itself (the bus:* and sticky:* types belong to ./bus and ./sticky).

/** worker → primary: the server listens (or accepts sticky connections) and user `ready()` resolved. @internal */
export const MSG_READY = 'worker:ready';
/** worker → primary: periodic heartbeat carrying the worker's stats sample. @internal */
export const MSG_HEARTBEAT = 'worker:heartbeat';
/** worker → primary: the worker failed to start (factory or ready() threw; listen failed). @internal */
export const MSG_START_FAILED = 'worker:startFailed';
/** worker → primary: drain finished, closables closed; the worker is about to exit. @internal */
export const MSG_DRAINED = 'worker:drained';
/** primary → worker: stop accepting, drain in-flight requests, close closables, exit. @internal */
export const MSG_DRAIN = 'worker:drain';
/** primary → worker: shutdown is coming (pre-stop delay): fail readiness now, keep serving. @internal */
export const MSG_PRESTOP = 'worker:prestop';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_TYPES = new Set(['counter', 'gauge', 'summary', 'histogram', 'untyped']);
/** Caps on what one heartbeat may carry, so a runaway worker cannot bloat the primary. @internal */
export const METRICS_LIMITS = Object.freeze({ families: 2_000, values: 50_000, text: 1_024 });

/**
 * Checks the metric families a worker attached to a heartbeat (see `WorkerContext.useMetrics`):
 * an array of `{ name, help, type, values: [{ value, labels, metricName? }] }` with valid metric
 * and label names, finite values, string label values, and within {@link METRICS_LIMITS}.
 * @internal
 */
export function isMetricFamilies(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > METRICS_LIMITS.families) return false;
  let total = 0;
  for (const family of value as unknown[]) {
    if (typeof family !== 'object' || family === null) return false;
    const { name, help, type, values } = family as Record<string, unknown>;
    if (typeof name !== 'string' || !METRIC_NAME.test(name)) return false;
    if (typeof help !== 'string' || help.length > METRICS_LIMITS.text) return false;
    if (typeof type !== 'string' || !METRIC_TYPES.has(type)) return false;
    if (!Array.isArray(values)) return false;
    total += values.length;
    if (total > METRICS_LIMITS.values) return false;
    for (const sample of values as unknown[]) {
      if (typeof sample !== 'object' || sample === null) return false;
      const { value: v, labels, metricName } = sample as Record<string, unknown>;
      if (typeof v !== 'number' || !Number.isFinite(v)) return false;
      if (metricName !== undefined) {
        if (typeof metricName !== 'string' || !METRIC_NAME.test(metricName)) return false;
        if (!metricName.startsWith(name)) return false;
      }
      if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return false;
      for (const [label, labelValue] of Object.entries(labels)) {
        if (!LABEL_NAME.test(label) || typeof labelValue !== 'string') return false;
        if (labelValue.length > METRICS_LIMITS.text) return false;
      }
    }
  }
  return true;
}
