import type { Worker } from 'node:cluster';

/** Options of {@link ClusterBusRelay}. */
export type ClusterBusRelayOptions = {
  /**
   * The workers to fan messages out to, read at each delivery; typically
   * `() => Object.values(cluster.workers ?? {})`. Workers that are not connected are skipped.
   */
  readonly workers: () => Iterable<Worker>;
  /**
   * Largest message accepted, as UTF-8 JSON text, in bytes; a bigger one is dropped with reason
   * `size`. Keep it equal to the workers' `ClusterBus` `maxMessageBytes`, so a publisher learns
   * of an oversize message from its own rejection rather than from a silent drop here.
   * Minimum: 1.
   * @default 1048576 (1 MiB)
   */
  readonly maxMessageBytes?: number;
};
