import { defineConfig } from 'vitest/config';

// The unit tests of the one module under mutation (stryker.config.mjs): every mutant is tested
// against the tests beside that module's sources, not the whole suite.
const module = process.env.LOADSTONE_MUTATE_MODULE ?? 'sharding';

export default defineConfig({
  test: {
    include: [`src/${module}/**/*.test.ts`],
    testTimeout: 60_000,
  },
});
