/**
 * What a {@link Picker} sees of one candidate: its identity, its weight and the load it carries
 * right now. The load balancer, the worker pool and the connection pool hand pickers objects of
 * this shape (or a richer subtype); fields are read when the picker reads them, so a picker pays
 * only for what it looks at.
 */
export type PickCandidate = {
  /** Stable, unique id of the candidate, e.g. `api-1` or `10.0.0.7:8080`. */
  readonly id: string;
  /** Relative capacity, > 0; a weight-2 candidate should get twice the share of a weight-1 one. */
  readonly weight: number;
  /** Requests started on it and not yet finished. */
  readonly inFlight: number;
  /**
   * Its latency estimate in ms (the load balancer's is a peak-sensitive EWMA that decays while
   * idle), or `undefined` while nothing has been measured.
   */
  readonly latencyMs?: number | undefined;
};

/** What a request asks of a {@link Picker}: all fields are optional hints. */
export type PickContext = {
  /** Routing key for sticky strategies (consistent hashing): a user id, a session, a tenant. */
  readonly key?: string | number;
  /** Affinity group, e.g. `premium`: prefer candidates in this group. */
  readonly group?: string;
  /**
   * Candidate ids to avoid, e.g. the backend a failed idempotent request just went to, so its
   * retry goes elsewhere (Envoy's `previous_hosts` retry predicate). A preference, like `group`:
   * when it would leave no candidate, every candidate stays in the running.
   */
  readonly exclude?: readonly string[];
};

/** How a request sent to a picked candidate ended, as reported to {@link Picker.report}. */
export type PickOutcome = {
  /** `success`, `failure`, or `cancelled` (the caller gave up; says nothing about the candidate). */
  readonly result: 'success' | 'failure' | 'cancelled';
  /** From start to end, in ms. */
  readonly latencyMs: number;
};

/**
 * A strategy that chooses one of several candidates for a request: round-robin, least
 * connections, power of two choices, consistent hashing… The load balancer accepts any picker,
 * so you can write your own in a few lines.
 *
 * A picker is called with the candidates that are up (never an empty array) and may keep state
 * between calls, keyed by candidate id; it is told when an id is gone for good through
 * `forget`.
 *
 * @typeParam C - the candidates' type; pickers that only read {@link PickCandidate} fields work
 * with every caller.
 *
 * @example
 * {@includeCode ../balancing/LoadBalancer.test.ts#customPicker}
 */
export interface Picker<C extends PickCandidate = PickCandidate> {
  /**
   * Chooses a candidate.
   *
   * @param candidates - the candidates that are up, at least one, in a stable order.
   * @param ctx - the request's routing hints.
   * @returns one of `candidates`, or `undefined` when none will do (the caller then fails the
   * request with `NoTargetError`).
   */
  pick(candidates: readonly C[], ctx?: PickContext): C | undefined;

  /**
   * Learns how a request sent to `candidate` ended, e.g. to update a latency estimate. Optional.
   *
   * @param candidate - the candidate that served the request.
   * @param outcome - its result and latency.
   */
  report?(candidate: C, outcome: PickOutcome): void;

  /**
   * Drops whatever state is kept for a candidate that was removed. Optional.
   *
   * @param id - the removed candidate's id.
   */
  forget?(id: string): void;
}
