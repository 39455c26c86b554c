/** A snapshot of {@link Presence} counters. */
export type PresenceStats = {
  /** Ids online now, over every process. */
  readonly online: number;
  /** Entries known (an id held by one process), over every process. */
  readonly entries: number;
  /** Ids this process joined. */
  readonly local: number;
  /** Other processes heard from and not yet gone. */
  readonly peers: number;
  /** Entries from other processes refused because `maxEntries` or `maxBytes` was reached. */
  readonly dropped: number;
  /** Estimated bytes of the entries, as `maxBytes` counts them. */
  readonly bytes: number;
  /** Full copies asked of a peer after a missed message. */
  readonly resyncs: number;
  /** Malformed messages ignored. */
  readonly malformed: number;
};
