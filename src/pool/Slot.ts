// Resource states.
export const IDLE = 0;
export const BORROWED = 1;
/** Being validated, either for a borrower or by the idle sweep. */
export const VALIDATING = 2;
export const DEAD = 3;

/** One resource and what the pool knows about it. */
export type Slot<T> = {
  readonly resource: T;
  state: number;
  readonly createdAt: number;
  /** Coarse time (see `Lender.coarseNow`) it last became idle. */
  idleSince: number;
  lastValidatedAt: number;
  /** Clock time it was handed out, or -1 when neither sampled nor leak-tracked. */
  acquiredAt: number;
  /** The acquirer's stack (leak detection only). */
  stack: string | undefined;
  leakReported: boolean;
};

/** A slot for a resource just made at clock time `now`: idle, validated and idle since `now`. */
export function newSlot<T>(resource: T, now: number): Slot<T> {
  return {
    resource,
    state: IDLE,
    createdAt: now,
    idleSince: now,
    lastValidatedAt: now,
    acquiredAt: -1,
    stack: undefined,
    leakReported: false,
  };
}
