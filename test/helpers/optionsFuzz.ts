// The options fuzzer's engine: valid options with some of their values swapped for hostile ones
// (null, NaN, ±Infinity, negatives, 2^31, 1e300, strings, arrays, nested objects, functions) and
// sometimes an unknown or `__proto__` key. Each case either works (the object is made, does one
// ordinary thing, and closes within a second) or throws (or rejects with)
// `ERR_LOADSTONE_INVALID_OPTION` naming an option of the object fuzzed. Never a hang, never an
// uncoded error. The targets live in the test files (test/unit/options-fuzz*.test.ts,
// test/integration/options-fuzz-redis.test.ts).
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { isLoadstoneError } from '../../src/index.js';

export type Options = Record<string, unknown>;

export type Target = {
  readonly name: string;
  /** Where the fuzzed object sits in the error's `option` path. */
  readonly path: string;
  /** Valid options, before any value is swapped. */
  readonly base: Options;
  /** The names whose values are swapped. */
  readonly keys: readonly string[];
  /** Makes the object (or makes the call) with the options. */
  readonly make: (options: Options) => unknown;
  /** One ordinary use of what `make` returned. */
  readonly use?: (made: never) => unknown;
};

const hostile = fc.constantFrom<unknown>(
  null,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1,
  0,
  0.5,
  1,
  3,
  2 ** 31,
  1e300,
  -1e300,
  '',
  'x',
  '1',
  true,
  [],
  ['x'],
  {},
  { nested: { deep: 1 } },
  () => 1,
);

/** Valid options with some values swapped, and now and then an unknown or `__proto__` key. */
function optionsFor(target: Target): fc.Arbitrary<Options> {
  return fc
    .record({
      swaps: fc.dictionary(fc.constantFrom(...target.keys), hostile, { maxKeys: 3 }),
      extra: fc.constantFrom('none', 'none', 'none', 'unknown', 'proto'),
    })
    .map(({ swaps, extra }) => {
      const options: Options = { ...target.base, ...swaps };
      if (extra === 'unknown') options.tiemout = 1;
      if (extra === 'proto') Object.assign(options, JSON.parse('{"__proto__": {"x": 1}}'));
      return options;
    });
}

const HUNG = Symbol('hung');

/** `value` settled, or {@link HUNG} after a second. */
async function within(value: unknown): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((resolve) => {
    timer = setTimeout(() => resolve(HUNG), 1_000);
  });
  try {
    return await Promise.race([Promise.resolve(value), hung]);
  } finally {
    clearTimeout(timer);
  }
}

async function closeIt(made: unknown): Promise<unknown> {
  const closeable = made as { destroy?: () => unknown; close?: () => unknown } | null;
  if (typeof closeable?.destroy === 'function') return within(closeable.destroy());
  if (typeof closeable?.close === 'function') return within(closeable.close());
  return undefined;
}

/** What went wrong with one case, or `undefined` when it behaved. */
async function misbehaviour(target: Target, options: Options): Promise<string | undefined> {
  let made: unknown;
  try {
    made = target.make(options);
    if (made instanceof Promise) {
      const settled = await within(made);
      if (settled === HUNG) return 'the call did not settle within a second';
      made = settled; // what the promise gave: the object to use and close
    }
  } catch (error) {
    if (!isLoadstoneError(error, 'ERR_LOADSTONE_INVALID_OPTION')) return `threw ${String(error)}`;
    const option = (error as { option: string }).option;
    if (
      option !== target.path &&
      !option.startsWith(`${target.path}.`) &&
      !option.startsWith(`${target.path}[`)
    ) {
      return `named ${option}, not an option under ${target.path}`;
    }
    return undefined;
  }
  let usage: string | undefined;
  try {
    if (target.use !== undefined && (await within(target.use(made as never))) === HUNG) {
      usage = 'its first use did not settle within a second';
    }
  } catch (error) {
    if (!isLoadstoneError(error)) usage = `its first use threw ${String(error)}`;
  }
  if ((await closeIt(made)) === HUNG) return 'it did not close within a second';
  return usage;
}

/** One test per target: `numRuns` cases each (seed 22, or `LOADSTONE_FUZZ_SEED`). */
export function fuzzTargets(targets: readonly Target[], numRuns = 300): void {
  it.each(targets.map((target) => [target.name, target] as const))(
    '%s: hostile values are refused by name or work, and close',
    async (_, target) => {
      await fc.assert(
        fc.asyncProperty(optionsFor(target), async (options) => {
          const wrong = await misbehaviour(target, options);
          expect(
            wrong,
            JSON.stringify(options, (_k, v) => (typeof v === 'function' ? 'fn' : v)),
          ).toBeUndefined();
        }),
        { numRuns, seed: Number(process.env.LOADSTONE_FUZZ_SEED ?? 22) },
      );
    },
    60_000,
  );
}
