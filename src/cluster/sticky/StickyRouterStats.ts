/** A snapshot of {@link StickyRouter} counters. */
export type StickyRouterStats = {
  /** Connections handed to a worker since creation. */
  readonly connections: number;
  /** Connections handed to each slot's workers since creation, by slot id (current slots only). */
  readonly perSlot: Readonly<Record<string, number>>;
  /** Connections that went to another slot because their own slot's worker was down. */
  readonly rerouted: number;
  /** With `balanceFactor` or `maxConnectionsPerSlot`: connections that went past their own slot because it was at its bound. */
  readonly overflowed: number;
  /** With `maxConnectionsPerSlot`: connections refused (503) because every worker was full. */
  readonly refused: number;
  /** With `balanceFactor` or `maxConnectionsPerSlot`: open connections per slot (as the workers last reported). */
  readonly openPerSlot: Readonly<Record<string, number>>;
  /** Connections waiting now for a worker to come up. */
  readonly pending: number;
  /**
   * Connections closed without reaching a worker: no worker came up in time, too many waiting,
   * the client left while its head was read, or the handle could not be sent.
   */
  readonly dropped: number;
  /** Slots in the ring. */
  readonly slots: number;
  /** Slots whose worker is up. */
  readonly liveSlots: number;
  /** Failed `accept()` calls (e.g. out of file descriptors); the server keeps listening. */
  readonly acceptErrors: number;
  /** Connections from a trusted proxy routed by the client address it named (X-Forwarded-For or PROXY). */
  readonly forwarded: number;
  /** Connections from a trusted proxy, with `proxyProtocol`, that did not start with a valid PROXY header. */
  readonly proxyHeaderMissing: number;
};
