import type { ClusterBusRelay } from './ClusterBusRelay.js';

/** Options of {@link ClusterBus}. */
export type ClusterBusOptions = {
  /**
   * In the cluster primary, the relay that receives the workers' messages (the supervisor's,
   * or your own with a hand-written primary); required there. In a worker it must be absent:
   * the worker talks to whatever relay its primary runs.
   * @default undefined (required in the primary)
   */
  readonly relay?: ClusterBusRelay;
  /**
   * Largest message accepted, as UTF-8 JSON text, in bytes: a bigger one rejects the publish
   * with `InvalidOptionError`. In the primary it defaults to the relay's bound; in a worker keep
   * it equal to the relay's, which drops anything bigger. Minimum: 1.
   * @default 1048576 (1 MiB), or the relay's `maxMessageBytes` in the primary
   */
  readonly maxMessageBytes?: number;
  /**
   * Receives what a handler throws (or what the promise it returns rejects with). If it throws
   * too, that is reported as a process warning.
   * @default a `process.emitWarning` with code `LOADSTONE_WARN_BUS_HANDLER_THREW`
   */
  readonly onHandlerError?: (error: unknown, channel: string) => void;
};
