// What a user sees of the built package: every exported class and function keeps its name in
// both builds (bundlers rename them, e.g. `_LoadstoneError` in ESM, `_class` in CommonJS, which
// users then read in `err.name`, `String(err)` and stack traces), and the root entry exports every
// module's surface. Loads dist/, so build first (`npx tsup`).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  exports: Record<string, { import?: { default: string }; require?: { default: string } }>;
};
const require = createRequire(import.meta.url);
// `./threads/worker` is the script a worker thread runs: it exports nothing and starts on import.
const entries = Object.entries(pkg.exports).filter(
  ([subpath, e]) => e.import !== undefined && e.require !== undefined && subpath !== './threads/worker',
);

/**
 * Exports whose value is a function (classes included) and whose name is not their own. A
 * `default` export has no name of its own (`loadstone/fastify`'s is also exported by name).
 */
function misnamed(module: Record<string, unknown>): string[] {
  return Object.entries(module)
    .filter(
      ([name, value]) =>
        name !== 'default' && typeof value === 'function' && (value as { name: string }).name !== name,
    )
    .map(([name, value]) => `${name} is named ${(value as { name: string }).name}`);
}

describe('the built package', () => {
  it('has entries to check', () => {
    expect(entries.length).toBeGreaterThan(10);
  });

  for (const [subpath, entry] of entries) {
    it(`${subpath}: every class and function keeps its name, in ESM and in CommonJS`, async () => {
      const esm = (await import(new URL(entry.import?.default as string, root).href)) as Record<
        string,
        unknown
      >;
      const cjs = require(new URL(entry.require?.default as string, root).pathname) as Record<
        string,
        unknown
      >;
      expect(Object.keys(esm).length).toBeGreaterThan(0);
      expect(misnamed(esm)).toEqual([]);
      expect(misnamed(cjs)).toEqual([]);
      const named = (module: Record<string, unknown>) => Object.keys(module).filter((k) => k !== 'default');
      expect(named(cjs).sort()).toEqual(named(esm).sort());
    });
  }

  it('names errors by their class in both builds', async () => {
    const esm = (await import(new URL('dist/index.js', root).href)) as typeof import('../../src/index.js');
    const cjs = require(new URL('dist/index.cjs', root).pathname) as typeof import('../../src/index.js');
    for (const lib of [esm, cjs]) {
      const error = new lib.InvalidOptionError('options.x', 'a number', 'y');
      expect(error.name).toBe('InvalidOptionError');
      expect(String(error)).toMatch(/^InvalidOptionError: /);
      expect(new lib.ClosedError('pool').name).toBe('ClosedError');
    }
  });

  // Not `loadstone/testing`, and not the adapters (`loadstone/fastify`, `loadstone/express`,
  // `loadstone/otel`, `loadstone/ws`): importing the root must not load a framework or an optional peer.
  it('exports every module from the root entry, prometheus included, the adapters not', async () => {
    const rootModule = (await import(new URL('dist/index.js', root).href)) as Record<string, unknown>;
    for (const [subpath, entry] of entries) {
      if (['.', './testing', './fastify', './express', './otel', './ws'].includes(subpath)) continue;
      const module = (await import(new URL(entry.import?.default as string, root).href)) as Record<
        string,
        unknown
      >;
      const missing = Object.keys(module).filter((name) => rootModule[name] !== module[name]);
      expect({ subpath, missing }).toEqual({ subpath, missing: [] });
    }
  });
});
