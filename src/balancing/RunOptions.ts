import type { PickContext } from '../core/index.js';
import { optionNames } from '../core/internal/validate.js';

/** Per-call options of {@link LoadBalancer.run}: the routing hints, and a signal. */
export type RunOptions = PickContext & {
  /**
   * Gives up on the request: `run` rejects at once with `signal.reason`, the callback's signal
   * is aborted, and the backend stays counted as in flight until the callback settles.
   * @default undefined
   */
  readonly signal?: AbortSignal;
};

/** @internal The names `run` and `acquire` take: a pick context's and `signal`. */
export const RUN_OPTIONS = optionNames<RunOptions>()(['key', 'group', 'exclude', 'signal']);
