/**
 * A source of uniform random numbers in `[0, 1)`, like `Math.random`: the `random` option of the
 * randomised strategies and of backoff jitter, so tests and simulations can make them
 * reproducible (see `seededRandom` in `loadstone/testing`).
 */
export type RandomSource = () => number;
