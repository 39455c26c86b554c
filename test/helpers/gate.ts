/**
 * A promise the test settles by hand: `open(value)` resolves it, `fail(error)` rejects it. The
 * stand-in for a task, a handler or a batch whose completion the test controls.
 */
export function gate<T = void>(): {
  promise: Promise<T>;
  open: (value: T) => void;
  fail: (error: unknown) => void;
} {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}
