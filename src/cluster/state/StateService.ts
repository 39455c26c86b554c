/**
 * One kind of cluster-wide state the primary keeps for its workers (rate limits, locks). The
 * {@link ClusterStateHost} routes each call to the service that owns its operation. @internal
 */
export type StateService = {
  /** The operations this service answers (`'lock.acquire'` …), unique across services. */
  readonly ops: readonly string[];
  /**
   * Answers one call, synchronously: the primary's state is its own memory.
   * @param owner - the calling process's pid (the primary's own for a call made in the primary).
   * @param op - one of {@link StateService.ops}.
   * @param args - the call's arguments as received; unchecked when the caller is a worker.
   * @returns a JSON value for the caller.
   * @throws a `LoadstoneError` whose code the caller gets back (bad arguments, a full table).
   */
  call(owner: number, op: string, args: readonly unknown[]): unknown;
  /** The process `owner` is gone: drop what it held (locks, permits) so others get it at once. */
  ownerGone(owner: number): void;
};
