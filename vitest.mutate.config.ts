import { defineConfig } from 'vitest/config';

// The unit tests of the one module under mutation (stryker.config.mjs): every mutant is tested
// against the tests beside that module's sources, not the whole suite.
const module = process.env.LOADSTONE_MUTATE_MODULE ?? 'sharding';
// `npm run mutate -- <module> --with <globs>`: tests from elsewhere join them, such as the
// integration suites that are the only tests of a module's Redis-backed code.
const extra = (process.env.LOADSTONE_MUTATE_WITH ?? '').split(',').filter((glob) => glob !== '');

export default defineConfig({
  test: {
    include: [`src/${module}/**/*.test.ts`, ...extra],
    testTimeout: 60_000,
    hookTimeout: 60_000, // integration suites start redis-server (or a Redis Cluster) in their hooks
  },
});
